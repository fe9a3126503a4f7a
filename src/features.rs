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

#[cfg(test)]
mod tests {
    //! The same file loads and runs in every build; what differs is whether the parts that need a
    //! feature are errors naming it. `.ci/run` runs these with and without the features.

    use crate::run::RunOptions;
    use crate::scenario::{LoadOptions, load_str};
    use std::path::Path;

    const USES_EVERYTHING: &str = r#"file_version: stressor#0
config:
  name: features
  base_url: https://127.0.0.1:9/
  http_client: reqwest
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: https://127.0.0.1:9/x
    - activity: RunScript
      script: "let a = 1;"
    - activity: GetRequest
      url: /page
      assert_html:
        "//title": true
"#;

    /// The rendered diagnostics of [`USES_EVERYTHING`], one per line.
    fn diagnostics() -> String {
        let loaded = load_str(Path::new("f.yaml"), USES_EVERYTHING, &LoadOptions::default());
        loaded.diagnostics.render(&loaded.sources, false)
    }

    /// `message` is in the diagnostics at each of `lines` when the build lacks the feature, and
    /// nowhere when it has it; without the feature the help says how to enable it.
    fn named_where_used(message: &str, feature: &str, enabled: bool, lines: &[u32]) {
        let text = diagnostics();
        let expected = if enabled { 0 } else { lines.len() };
        assert_eq!(text.matches(message).count(), expected, "{text}");
        if !enabled {
            for line in lines {
                assert!(text.contains(&format!("f.yaml:{line}:")), "{text}");
            }
            assert!(text.contains(&format!("features = [\"{feature}\"]")), "{text}");
            // The activity's own keys are not reported as unknown on top.
            assert!(!text.contains("unknown key"), "{text}");
        }
    }

    #[test]
    fn with_every_feature_the_file_loads() {
        let loaded = load_str(Path::new("f.yaml"), USES_EVERYTHING, &LoadOptions::default());
        let errors = loaded.diagnostics.error_count();
        let enabled = [
            cfg!(feature = "https"),
            cfg!(feature = "script"),
            cfg!(feature = "xpath"),
        ];
        // Three https errors, one for RunScript, one for assert_html.
        let expected: usize = [3, 1, 1]
            .iter()
            .zip(enabled)
            .filter(|(_, on)| !on)
            .map(|(n, _)| n)
            .sum();
        assert_eq!(
            errors,
            expected,
            "{}",
            loaded.diagnostics.render(&loaded.sources, false)
        );
    }

    #[test]
    fn the_https_parts_need_the_https_feature() {
        // base_url, http_client and the activity's URL, each where the file says it.
        let message = "needs stressor's `https` feature";
        named_where_used(message, "https", cfg!(feature = "https"), &[4, 5, 11]);
    }

    #[test]
    fn run_script_needs_the_script_feature() {
        let message = "`RunScript` needs stressor's `script` feature";
        named_where_used(message, "script", cfg!(feature = "script"), &[12]);
    }

    #[test]
    fn assert_html_needs_the_xpath_feature() {
        let message = "`assert_html` needs stressor's `xpath` feature";
        named_where_used(message, "xpath", cfg!(feature = "xpath"), &[17]);
    }

    /// An `https://` URL that only a variable reveals fails when it is sent, with the same message,
    /// instead of panicking; with the feature it is an ordinary connection error.
    #[tokio::test]
    async fn an_https_url_from_a_variable_fails_at_run_time_naming_the_feature() {
        let text = r#"file_version: stressor#0
config:
  name: runtime
  max_errors: 0
context:
  target: https://127.0.0.1:9/
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: $(target)x
      timeout: 5
"#;
        let loaded = load_str(Path::new("r.yaml"), text, &LoadOptions::default());
        let scenario = loaded.scenario.filter(|_| !loaded.diagnostics.has_errors());
        let scenario = scenario.unwrap_or_else(|| panic!("{}", loaded.diagnostics.render(&loaded.sources, false)));
        let report = crate::run(scenario, RunOptions::default()).await.expect("run");
        let error = report.errors.first().expect("the request failed");
        let named = error.message.contains("needs stressor's `https` feature");
        assert_eq!(named, !cfg!(feature = "https"), "{}", error.message);
        assert_eq!(error.class, crate::activity::ErrorClass::Connect);
    }
}
