//! stressor — load- and stress-testing for HTTP services.
//!
//! Scenario files (`file_version: stressor#0`) describe what virtual users do; stressor loads them into a
//! typed model ([`scenario`]), expands run-time variables ([`expand`]) and runs them against a server
//! ([`run()`], [`mod@run`]). After a run, [`verdict`] evaluates thresholds and decides pass/fail; [`report`]
//! renders the results (terminal summary, JUnit, JSON, HTML). [`harness!`] and [`mod@harness`] turn scenario
//! files into `cargo test` cases, which is how most projects use stressor:
//!
//! ```toml
//! [dev-dependencies]
//! stressor = { version = "0.1", default-features = false }
//!
//! [[test]]
//! name = "load"
//! harness = false
//! ```
//!
//! ```ignore
//! // tests/load.rs: every file under fixtures/ becomes test cases (sequences, checks, thresholds).
//! stressor::harness!("fixtures/**/*.yaml");
//! ```
//!
//! The manual has the whole setup: [Use stressor in your project][project] (where fixtures go, pointing
//! them at your service, debug or release builds, CI snippets that publish the JUnit file).
//!
//! # The manual
//!
//! This is the API reference. The user's guide is the stressor book, an mdBook under `docs/` in the
//! repository (`mdbook build docs`): [Getting started][start], [the cargo test harness][harness-book],
//! the [scenario format reference][reference], the [command line][cli-book], [reports][reports] and
//! the [library overview][library], which points back here.
//!
//! [project]: https://github.com/stressor-rs/stressor/blob/main/docs/src/project/index.md
//! [start]: https://github.com/stressor-rs/stressor/blob/main/docs/src/getting-started.md
//! [harness-book]: https://github.com/stressor-rs/stressor/blob/main/docs/src/harness/index.md
//! [reference]: https://github.com/stressor-rs/stressor/blob/main/docs/src/reference/index.md
//! [cli-book]: https://github.com/stressor-rs/stressor/blob/main/docs/src/cli/index.md
//! [reports]: https://github.com/stressor-rs/stressor/blob/main/docs/src/reports/index.md
//! [library]: https://github.com/stressor-rs/stressor/blob/main/docs/src/library.md
//!
//! # Running a scenario from code
//!
//! A scenario built in code (or loaded with [`scenario::load_file`]) runs with [`run()`]; this one
//! runs against the built-in target server, started in the same process:
//!
//! ```
//! # #[cfg(feature = "target")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use stressor::run::RunOptions;
//! use stressor::scenario::ScenarioBuilder;
//! use stressor::target::{TargetConfig, TargetServer};
//!
//! let server = TargetServer::start(TargetConfig::default()).await?;
//! let scenario = ScenarioBuilder::new("docs")
//!     .base_url(server.url())
//!     .sessions(2)
//!     .sequence("main", |s| {
//!         s.get("/").assert_match("Index of /")
//!             .post("/echo").json(serde_json::json!({"n": 1})).assert_json("json.n", 1)
//!     })
//!     .repeat("main", 5)
//!     .threshold("p95", "1s")
//!     .build()
//!     .map_err(|e| e.render(false))?;
//! let report = stressor::run(scenario, RunOptions::default()).await?;
//! let (passes, errors) = report.sequence("main").ok_or("no main sequence")?;
//! assert_eq!((passes.count, errors), (10, 0)); // 2 sessions × 5 passes, no error
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "target"))]
//! # fn main() {}
//! ```
//!
//! # Features
//!
//! The default features give the `stressor` command line and everything it uses. A project that only
//! runs scenarios from `cargo test` needs none of them (`default-features = false`), and adds those its
//! scenarios use:
//!
//! | feature | gives | without it |
//! |---|---|---|
//! | `https` | `https://` URLs, `http_client: reqwest`, [`PluginContext::http`](activity::plugin::PluginContext) (reqwest, rustls; needs a C compiler) | plain `http://` on the lean HTTP/1.1 client |
//! | `script` | `RunScript` activities (Rhai) | `RunScript` is a load error naming the feature |
//! | `xpath` | `assert_html` and `assert_xpath` checks | `assert_html` and `assert_xpath` are load errors naming the feature |
//! | `target` | the built-in target server (`stressor::target`, `stressor serve`) | |
//! | `monitor` | the live dashboard (`stressor::monitor`, `run --monitor`) | |
//! | `prometheus` | `GET /metrics` in the Prometheus text format (`observe::prometheus`, `run --metrics`) | the registry ([`observe::metrics`]) without an HTTP endpoint |
//! | `otlp` | OTLP/HTTP metrics push (`observe::otlp`, `run --otlp`); enables `https` | no push |
//! | `cli` (default) | the `stressor` binary, HAR import; all of the above | |
//!
//! What a file uses from a feature the build leaves out is a load-time error that names the feature;
//! [`features::ENABLED`] lists what this build has.
//!
//! # Layers
//!
//! The modules form layers, and no module imports from a layer above its own (a unit test,
//! `src/tests/layers.rs`, reads `src/` and enforces it). From the bottom up:
//!
//! | layer | modules | what it is |
//! |---|---|---|
//! | leaves | [`features`], [`rfc3339`], `target` | import nothing of stressor (the built-in target server shares no code with the client it serves) |
//! | 1 | [`expand`] | `$(var)` templates |
//! | 2 | [`redact`] | secrets kept out of what is written |
//! | 3 | [`scenario`] | the file format, the typed model, load-time diagnostics |
//! | 4 | [`check`] | checks and stores on a result |
//! | 5 | [`mod@http`] | the HTTP client: one behaviour over three transports |
//! | 6 | [`activity`], `fuzzing` | running one activity; the fuzz targets' entry into the client |
//! | 7 | [`stats`] | measurements |
//! | 8 | [`mod@run`] | the runner |
//! | 9 | [`verdict`] | thresholds, baselines, the one judgement |
//! | 10 | [`search`], [`ab`], [`observe`] | capacity search and A/B measurement (each runs and judges); metrics and the request log of a run |
//! | 11 | [`report`] | summary, JSON, JUnit, HTML |
//! | 12 | [`mod@harness`], `monitor`, `har`, `coordinate` | the cargo harness, the live dashboard, HAR import, distributed runs' coordinator |
//! | 13 | `cli` | the command line |
//!
//! Modules of one layer do not import each other. This is SPEC §11's order (expand → scenario → check
//! → http → activity → stats → run → verdict → report → harness / monitor / har → cli) with the
//! modules it does not name put in their place.

pub mod ab;
pub mod activity;
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod coordinate;
pub mod expand;
pub mod features;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "cli")]
pub mod har;
pub mod harness;
pub mod http;
#[cfg(feature = "monitor")]
pub mod monitor;
pub mod observe;
pub mod redact;
pub mod report;
pub mod rfc3339;
pub mod run;
pub mod scenario;
pub mod search;
pub mod stats;
#[cfg(feature = "target")]
pub mod target;
pub mod verdict;

#[cfg(test)]
mod tests;

pub use run::run_scenario as run;

/// The manual's Rust examples, compiled and run as doc tests so that they cannot go stale
/// (`tests/it/docs.rs` checks that every page with a Rust example is listed here). Only under
/// `cfg(doctest)`: the published crate has no `docs/` folder.
#[cfg(doctest)]
// The fences' info strings also carry the example test's markers (`file=...`, `fragment=sequence`),
// which rustdoc does not know and would warn about.
#[allow(rustdoc::invalid_codeblock_attributes)]
mod manual {
    #[doc = include_str!("../README.md")]
    struct Readme;
    #[doc = include_str!("../docs/src/project/index.md")]
    struct Project;
    #[doc = include_str!("../docs/src/harness/index.md")]
    struct Harness;
    #[doc = include_str!("../docs/src/library.md")]
    struct Library;
}
pub use stressor_macros::harness;
