//! The optional parts of stressor (Cargo features) and the one message for a scenario that needs a
//! part this build leaves out: at load time for what the file says (`RunScript`, `assert_html`, an
//! `https://` URL, `http_client: reqwest`), at run time for what only a variable or a redirect reveals.

/// The features this build of stressor was compiled with.
pub const ENABLED: &[&str] = &[
    #[cfg(feature = "cli")]
    "cli",
    #[cfg(feature = "https")]
    "https",
    #[cfg(feature = "script")]
    "script",
    #[cfg(feature = "xpath")]
    "xpath",
    #[cfg(feature = "monitor")]
    "monitor",
    #[cfg(feature = "target")]
    "target",
    #[cfg(feature = "otlp")]
    "otlp",
    #[cfg(feature = "prometheus")]
    "prometheus",
];

/// "`what` needs stressor's `feature` feature ...": what the user wrote and which feature to enable.
#[cfg_attr(all(feature = "https", feature = "script", feature = "xpath"), allow(dead_code))]
pub(crate) fn missing(what: &str, feature: &str) -> String {
    format!("{what} needs stressor's `{feature}` feature, which this build of stressor leaves out")
}

/// How to enable `feature` where stressor is a dependency.
#[cfg_attr(all(feature = "https", feature = "script", feature = "xpath"), allow(dead_code))]
pub(crate) fn how_to_enable(feature: &str) -> String {
    format!(
        "add it to the dependency in Cargo.toml: `stressor = {{ ..., default-features = false, features = [\"{feature}\"] }}` (see the manual, docs/src/project/features.md)"
    )
}
