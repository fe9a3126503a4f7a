//! The harness's environment variables.
//!
//! - `STRESSOR_BASE_URL=URL` — overrides `config.base_url` of every scenario (wins over the
//!   [`before`](super::HarnessConfig::before) hook's overrides).
//! - `STRESSOR_OPT_<name>=value` — like `stressor run -o name:value`, e.g.
//!   `STRESSOR_OPT_sessions.count=2`. Applied in name order, after the hook's overrides.
//! - `STRESSOR_PROFILE=smoke` — one session and one pass per scenario ([`RunOptions::single`](crate::run::RunOptions::single)),
//!   a fast functional check of the same files; threshold trials are then ignored (with the reason),
//!   not failed, since one pass cannot meet a budget made for a load. Any other value (or none) runs
//!   them as configured.
//! - `STRESSOR_INCONCLUSIVE=pass` — an inconclusive run (the load generator was the bottleneck) passes
//!   its `<file>::run` trial instead of failing it. For shared CI runners that are too noisy to load
//!   test on; the price is a gate that can pass on numbers the generator made. `fail` (the default)
//!   or any other value keeps it failing.
//! - `STRESSOR_BASELINE=PATH` — the baseline for `vs_baseline` thresholds and the summary's
//!   comparison: a folder of results files as the harness writes them (`<prefix>.json`, see
//!   [`results_dir`](super::results_dir)), or one results file for every scenario. Every file then has
//!   a `<file>::baseline` trial, which fails with the path and the reason when its baseline cannot be
//!   read (a folder that does not exist, a file missing from it, not results JSON): a baseline that
//!   was asked for is never silently missing. Empty means no baseline (no `baseline` trial).
//! - `STRESSOR_BASELINE_REQUIRED=0` (or `false`, `no`) — the explicit opt-out: a baseline that cannot
//!   be read leaves the `baseline` trial ignored, with the reason, instead of failing it (the first
//!   run of a pipeline, before there is a baseline to download).
//!   [`results_dir`](super::results_dir)), or one results file for every scenario.
//! - `STRESSOR_BASELINE_RUNS=N` — how many of the newest runs under a `STRESSOR_BASELINE` folder
//!   (every `<prefix>.json` under it, a few subfolders down) make a file's history (default 10; see
//!   [`crate::verdict::history`]).
//! - `STRESSOR_AB_BASELINE_URL=URL` — every file is measured A/B against the service at `URL`, at the
//!   same moments ([`crate::ab`]): the file's own trials on the service under test, its `vs_baseline`
//!   rules by the paired test, and a trial per judged metric (`<file>::ab::run::p95`).
//!   `STRESSOR_AB_ROUNDS` (default 20) and `STRESSOR_AB_ROUND_TIME` (default 1 s) set the rounds.
//! - `GITHUB_STEP_SUMMARY` (set by GitHub Actions) — every file's verdict is appended to it as
//!   Markdown ([`crate::report::markdown`]).
//! - `STRESSOR_CHECKPOINT=DURATION` — how often each scenario's results file is rewritten while it
//!   runs (`"complete": false`, as `stressor run --checkpoint`), so a test process killed outright (a CI
//!   job's time limit) leaves what it measured; default 5 s, `0` turns it off. A value that is not a
//!   duration fails the file's trials, naming the variable.
//! - `STRESSOR_DENY_WARNINGS=1` — a file with load-time warnings (a misspelt key, an unknown variable)
//!   fails its `<file>::load` trial instead of running. Without it the warnings are printed (stderr,
//!   once per file) and put in the JUnit `<system-err>`.
//! - `STRESSOR_CONCURRENT_SCENARIOS=N` — how many scenarios may run at the same time (default 1, so
//!   that they do not disturb each other's timing).
//! - `STRESSOR_JUNIT=PATH` — where the JUnit XML goes (default `<target dir>/stressor/junit.xml`, see
//!   [`junit_path`](super::junit_path)).
//! - `STRESSOR_FIXTURES_ROOT=DIR` — expand the harness pattern relative to `DIR` instead of the
//!   package directory (run the same test binary over another copy of the files).
//! - `NEXTEST` (set by `cargo nextest`) — no JUnit file is written: nextest runs every trial in its own
//!   process, which would overwrite the file once per trial; use nextest's own JUnit output instead.

use crate::scenario::Override;

/// Settings read from the environment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HarnessEnv {
    /// `-o`-style overrides from `STRESSOR_OPT_*` and `STRESSOR_BASE_URL` (in that order), each naming
    /// its variable for diagnostics.
    pub overrides: Vec<Override>,
    /// `STRESSOR_PROFILE=smoke`.
    pub smoke: bool,
    /// `STRESSOR_CONCURRENT_SCENARIOS` (at least 1).
    pub concurrent_scenarios: usize,
    /// `STRESSOR_JUNIT`.
    pub junit: Option<std::path::PathBuf>,
    /// `CARGO_TARGET_DIR`, when set at run time.
    pub target_dir: Option<std::path::PathBuf>,
    /// `STRESSOR_FIXTURES_ROOT`.
    pub fixtures_root: Option<std::path::PathBuf>,
    /// Running under `cargo nextest` (`NEXTEST` is set).
    pub nextest: bool,
    /// `STRESSOR_INCONCLUSIVE=pass`.
    pub inconclusive_pass: bool,
    /// `STRESSOR_DENY_WARNINGS` set to anything but empty, `0` or `false`.
    pub deny_warnings: bool,
    /// `STRESSOR_BASELINE`.
    pub baseline: Option<std::path::PathBuf>,
    /// `STRESSOR_BASELINE_REQUIRED` is `0`, `false` or `no`: a baseline that cannot be read is
    /// ignored with the reason instead of failing (default: required).
    pub baseline_optional: bool,
    /// `STRESSOR_CHECKPOINT`, as given (see [`HarnessEnv::checkpoint_every`]).
    pub checkpoint: Option<String>,
    /// `STRESSOR_BASELINE_RUNS`: how many of the newest runs under a `STRESSOR_BASELINE` folder make
    /// a scenario's history (default 10).
    pub baseline_runs: usize,
    /// `STRESSOR_AB_BASELINE_URL`: the baseline service each scenario is measured against, at the
    /// same moments (`stressor ab` from `cargo test`).
    pub ab_baseline_url: Option<String>,
    /// `STRESSOR_AB_ROUNDS` (default 20).
    pub ab_rounds: usize,
    /// `STRESSOR_AB_ROUND_TIME` (default 1 s).
    pub ab_round_time: std::time::Duration,
}

impl HarnessEnv {
    /// Reads the process environment.
    pub fn from_process() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// Reads the given variables (for tests).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut opts = Vec::new();
        let mut base_url = None;
        let mut smoke = false;
        let mut concurrent_scenarios = 1;
        let (mut junit, mut target_dir, mut fixtures_root, mut nextest) = (None, None, None, false);
        let (mut inconclusive_pass, mut deny_warnings, mut baseline) = (false, false, None);
        let mut baseline_optional = false;
        let mut checkpoint = None;
        let mut baseline_runs = crate::verdict::history::DEFAULT_RUNS;
        let mut ab_baseline_url = None;
        let mut ab_rounds = crate::ab::DEFAULT_ROUNDS;
        let mut ab_round_time = crate::ab::DEFAULT_ROUND_TIME;
        let path = |v: String| (!v.is_empty()).then(|| std::path::PathBuf::from(v));
        for (key, value) in vars {
            if let Some(name) = key.strip_prefix("STRESSOR_OPT_") {
                opts.push((name.to_string(), value));
            } else if key == "STRESSOR_BASE_URL" && !value.is_empty() {
                base_url = Some(value);
            } else if key == "STRESSOR_PROFILE" {
                smoke = value.eq_ignore_ascii_case("smoke");
            } else if key == "STRESSOR_CONCURRENT_SCENARIOS" {
                concurrent_scenarios = value.trim().parse::<usize>().unwrap_or(1).max(1);
            } else if key == "STRESSOR_JUNIT" {
                junit = path(value);
            } else if key == "CARGO_TARGET_DIR" {
                target_dir = path(value);
            } else if key == "STRESSOR_FIXTURES_ROOT" {
                fixtures_root = path(value);
            } else if key == "NEXTEST" {
                nextest = true;
            } else if key == "STRESSOR_INCONCLUSIVE" {
                inconclusive_pass = value.trim().eq_ignore_ascii_case("pass");
            } else if key == "STRESSOR_BASELINE" {
                baseline = path(value);
            } else if key == "STRESSOR_BASELINE_REQUIRED" {
                baseline_optional = is_off(&value);
            } else if key == "STRESSOR_CHECKPOINT" {
                checkpoint = Some(value);
            } else if key == "STRESSOR_BASELINE_RUNS" {
                baseline_runs = value.trim().parse::<usize>().unwrap_or(baseline_runs).max(1);
            } else if key == "STRESSOR_AB_BASELINE_URL" && !value.trim().is_empty() {
                ab_baseline_url = Some(value.trim().to_string());
            } else if key == "STRESSOR_AB_ROUNDS" {
                ab_rounds = value.trim().parse::<usize>().unwrap_or(ab_rounds).max(1);
            } else if key == "STRESSOR_AB_ROUND_TIME" {
                ab_round_time = crate::scenario::duration::parse_duration(value.trim())
                    .ok()
                    .filter(|d| !d.is_zero())
                    .unwrap_or(ab_round_time);
            } else if key == "STRESSOR_DENY_WARNINGS" {
                deny_warnings = !matches!(value.trim().to_ascii_lowercase().as_str(), "" | "0" | "false" | "no");
            }
        }
        opts.sort();
        let mut overrides: Vec<Override> = opts
            .into_iter()
            .map(|(n, v)| Override::env(format!("STRESSOR_OPT_{n}"), &n, &v))
            .collect();
        if let Some(url) = base_url {
            overrides.push(Override::env("STRESSOR_BASE_URL", "base_url", &url));
        }
        HarnessEnv {
            overrides,
            smoke,
            concurrent_scenarios,
            junit,
            target_dir,
            fixtures_root,
            nextest,
            inconclusive_pass,
            deny_warnings,
            baseline,
            baseline_optional,
            checkpoint,
            baseline_runs,
            ab_baseline_url,
            ab_rounds,
            ab_round_time,
        }
    }

    /// How often results files are rewritten while a scenario runs; zero turns it off.
    pub fn checkpoint_every(&self) -> Result<std::time::Duration, String> {
        match self.checkpoint.as_deref().map(str::trim) {
            None | Some("") => Ok(crate::report::checkpoint::DEFAULT_EVERY),
            Some(text) => crate::scenario::duration::parse_duration(text).map_err(|why| {
                format!("STRESSOR_CHECKPOINT=`{text}` is not a duration: {why} (e.g. `5s`, or `0` for none)")
            }),
        }
    }
}

/// Whether a yes/no variable says no (`0`, `false`, `no`, any case).
pub fn is_off(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_overrides_profile_and_concurrency() {
        let env = HarnessEnv::from_vars(vars(&[
            ("STRESSOR_BASE_URL", "http://h:1"),
            ("STRESSOR_OPT_sessions.count", "2"),
            ("STRESSOR_OPT_config.max_errors", "5"),
            ("STRESSOR_PROFILE", "smoke"),
            ("STRESSOR_CONCURRENT_SCENARIOS", "3"),
            ("STRESSOR_JUNIT", "out/j.xml"),
            ("STRESSOR_FIXTURES_ROOT", "/tmp/fx"),
            ("CARGO_TARGET_DIR", ""),
            ("PATH", "/bin"),
        ]));
        assert_eq!(env.junit.as_deref(), Some(std::path::Path::new("out/j.xml")));
        assert_eq!(env.fixtures_root.as_deref(), Some(std::path::Path::new("/tmp/fx")));
        assert_eq!(env.target_dir, None, "an empty CARGO_TARGET_DIR means unset");
        assert!(!env.nextest);
        let texts: Vec<&str> = env.overrides.iter().map(|o| o.text.as_str()).collect();
        assert_eq!(
            texts,
            ["config.max_errors:5", "sessions.count:2", "base_url:http://h:1"]
        );
        assert!(env.smoke);
        assert_eq!(env.concurrent_scenarios, 3);
    }

    #[test]
    fn defaults() {
        let env = HarnessEnv::from_vars(vars(&[
            ("STRESSOR_PROFILE", "full"),
            ("STRESSOR_CONCURRENT_SCENARIOS", "0"),
        ]));
        assert_eq!(
            env,
            HarnessEnv {
                concurrent_scenarios: 1,
                baseline_runs: 10,
                ab_rounds: 20,
                ab_round_time: std::time::Duration::from_secs(1),
                ..HarnessEnv::default()
            }
        );
    }
}
