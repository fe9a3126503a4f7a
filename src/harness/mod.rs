//! The `cargo test` harness: scenario files as test cases.
//!
//! ```ignore
//! // tests/scenarios.rs, with `[[test]] name = "scenarios"` and `harness = false` in Cargo.toml
//! stressor::harness!("fixtures/**/*.yaml");
//! ```
//!
//! [`harness!`](crate::harness!) expands to a `fn main()` that calls [`main`] with a [`HarnessConfig`].
//! At run time the pattern is expanded relative to the package's manifest directory
//! ([`discover`](discover::discover)); each file is loaded and becomes [libtest-mimic] trials named
//! `<file>::<sequence>`, `<file>::checks::<activity>` and `<file>::thresholds::<subject>::<metric>`,
//! where `<file>` is the path without extension (`fixtures/smoke::main`); see [`trials`] for the rules.
//! A file that does not load is one failing trial `<file>::load` carrying the rendered diagnostics.
//! `config.ignore: "reason"` in a file marks all its trials ignored (run them with `--ignored`).
//! The usual libtest options work: `--list`, name filters, `--exact`, `--skip`, `--ignored`,
//! `--include-ignored`.
//!
//! **Runs.** A scenario runs at most once per invocation, the first time one of its (not filtered out)
//! trials needs the result; its trials share that result. Scenarios run one at a time by default, so
//! that they do not disturb each other's timing; set `STRESSOR_CONCURRENT_SCENARIOS=N` to allow N at
//! once. The other environment variables (`STRESSOR_BASE_URL`, `STRESSOR_OPT_<name>`,
//! `STRESSOR_PROFILE=smoke`) are described in [`env`](mod@env).
//!
//! **JUnit.** Every run (not `--list`) writes a JUnit XML report ([`report::junit`](crate::report::junit))
//! to [`junit_path`] (`target/stressor/junit.xml` unless `STRESSOR_JUNIT` names another path), atomically,
//! at the end, also when trials failed. It holds the trials this invocation selected: filtered-out
//! trials are left out (as libtest leaves them out of its counts), ignored ones are `<skipped>`. Under
//! nextest no file is written (every trial is its own process; use nextest's JUnit output).
//!
//! **Files.** The pattern is expanded relative to the package directory, or to
//! `STRESSOR_FIXTURES_ROOT` when set (the same test binary over another folder of files).
//!
//! **nextest.** `cargo nextest run` works (it lists with `--list` and runs each trial with `--exact` in
//! its own process), but then "once per invocation" means once per trial: every trial runs its whole
//! scenario, and trials of different processes run at the same time. Use `cargo test` (or a nextest
//! `test-group` with `max-threads = 1`) for timing-sensitive gates.
//!
//! **Hook.** [`HarnessConfig::before`] runs once, before the first scenario (never for `--list`); it can
//! start a server and return `-o`-style overrides, e.g. the built-in target server's `base_url`:
//!
//! ```ignore
//! fn start_target() -> stressor::harness::HarnessSetup {
//!     let server = stressor::target::TargetServer::start_in_thread(Default::default()).unwrap();
//!     stressor::harness::HarnessSetup::new()
//!         .override_with(format!("base_url:{}", server.url()))
//!         .keep(server)
//! }
//! stressor::harness!("fixtures/**/*.yaml", before = start_target);
//! ```
//!
//! **Rust activities.** `activities = fn() -> Registry` makes plugins (see
//! [`crate::activity::plugin`]) available to every file:
//!
//! ```ignore
//! fn activities() -> stressor::activity::plugin::Registry {
//!     stressor::activity::plugin::Registry::new().register(MyActivity).expect("unique name")
//! }
//! stressor::harness!("fixtures/**/*.yaml", before = start_target, activities = activities);
//! ```
//!
//! **Rebuilds.** The files are discovered and read when the test binary runs, so editing a fixture or
//! adding a new one needs no rebuild: the next `cargo test` lists it. In addition the macro globs the
//! pattern at compile time and emits `const _: &[u8] = include_bytes!("<file>");` for every match, which
//! makes cargo rebuild the test binary when a matched file changes (useful when the binary is archived
//! and run elsewhere, e.g. with `cargo nextest archive`). The limit: a proc macro cannot ask cargo to
//! watch a directory on stable Rust, so a *new* file does not trigger a rebuild; that is harmless here
//! because discovery happens at run time. (A build script printing `cargo:rerun-if-changed=fixtures`
//! would also catch new files, at the cost of a build script in every package that uses the harness.)
//!
//! [libtest-mimic]: https://docs.rs/libtest-mimic

pub mod discover;
pub mod env;
pub mod trials;

use crate::activity::plugin::Registry;
use crate::report::junit::{self, Case, CaseOutcome, Suite, run_summary};
use crate::run::{RunOptions, RunReport, run};
use crate::scenario::{LoadOptions, load_file};
use crate::verdict::{ThresholdOutcome, collect, evaluate};
use discover::{ScenarioFile, discover};
use env::HarnessEnv;
use libtest_mimic::{Arguments, Failed, Trial};
use std::any::Any;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use trials::{TrialFailure, TrialSpec, activities_of, trial_specs};

/// What [`harness!`](crate::harness!) passes to [`main`].
#[derive(Clone, Copy, Debug)]
pub struct HarnessConfig {
    /// The glob pattern, relative to `manifest_dir`.
    pub pattern: &'static str,
    /// The package directory (`env!("CARGO_MANIFEST_DIR")` of the test target).
    pub manifest_dir: &'static str,
    /// The files the pattern matched at compile time (relative to `manifest_dir`); informational, the
    /// harness discovers the files again at run time.
    pub files: &'static [&'static str],
    /// Runs once before the first scenario runs (not for `--list`).
    pub before: Option<fn() -> HarnessSetup>,
    /// The Rust activity plugins the scenario files may use (`activities = fn` in [`harness!`](crate::harness!)).
    /// Called once, before the files are loaded (also for `--list`, since names depend on loading).
    pub activities: Option<fn() -> Registry>,
}

/// What the [`before`](HarnessConfig::before) hook returns.
#[derive(Default)]
pub struct HarnessSetup {
    /// `-o NAME:VALUE` overrides for every scenario (the environment's come after, and win).
    pub overrides: Vec<String>,
    /// Values kept alive until the harness ends (e.g. a started server).
    pub keep: Vec<Box<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for HarnessSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HarnessSetup")
            .field("overrides", &self.overrides)
            .field("keep", &self.keep.len())
            .finish()
    }
}

impl HarnessSetup {
    /// No overrides, nothing kept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an override (`NAME:VALUE`, as with `stressor run -o`).
    pub fn override_with(mut self, option: impl Into<String>) -> Self {
        self.overrides.push(option.into());
        self
    }

    /// Keeps `value` alive while the scenarios run.
    pub fn keep(mut self, value: impl Any + Send + Sync) -> Self {
        self.keep.push(Box::new(value));
        self
    }
}

/// The entry point [`harness!`](crate::harness!) calls: parses the libtest arguments, builds the trials,
/// runs them and writes the JUnit report (see [`junit_path`]; not for `--list`, nor under nextest).
pub fn main(config: HarnessConfig) -> ExitCode {
    let args = Arguments::from_args();
    let env = HarnessEnv::from_process();
    let root = env
        .fixtures_root
        .clone()
        .unwrap_or_else(|| PathBuf::from(config.manifest_dir));
    let junit = junit_path(&env, Path::new(config.manifest_dir));
    let write_junit = !args.list && !env.nextest;
    let harness = Arc::new(Harness::new(config, env));
    let files = match discover(&root, config.pattern) {
        Ok(files) => files,
        Err(why) => {
            eprintln!("stressor harness: {why}");
            return ExitCode::FAILURE;
        }
    };
    let mut trials = Vec::new();
    let mut entries = Vec::new();
    for file in files {
        let (file_trials, entry) = file_trials(&harness, file);
        // Which trials this invocation runs or reports as skipped; libtest-mimic decides the same way.
        let selected: Vec<bool> = file_trials.iter().map(|t| !args.is_filtered_out(t)).collect();
        let ignored: Vec<bool> = file_trials.iter().map(|t| args.is_ignored(t)).collect();
        trials.extend(file_trials);
        entries.push((entry, selected, ignored));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if write_junit {
        let suites: Vec<Suite> = entries
            .iter()
            .filter_map(|(entry, selected, ignored)| entry.suite(selected, ignored))
            .collect();
        if let Err(why) = write_junit_file(&junit, &suites) {
            eprintln!("stressor harness: {why}");
            return ExitCode::FAILURE;
        }
    }
    conclusion.exit_code()
}

/// Where the harness writes its JUnit XML: `STRESSOR_JUNIT` when set, else
/// `<target dir>/stressor/junit.xml`. The target dir is `CARGO_TARGET_DIR` when set at run time, else
/// the folder above the test binary that holds cargo's `CACHEDIR.TAG` (the target dir the binary was
/// built into, wherever it is), else `<manifest dir>/target`.
pub fn junit_path(env: &HarnessEnv, manifest_dir: &Path) -> PathBuf {
    if let Some(path) = &env.junit {
        return path.clone();
    }
    let from_exe = || {
        let exe = std::env::current_exe().ok()?;
        exe.ancestors()
            .skip(1)
            .find(|dir| dir.join("CACHEDIR.TAG").is_file())
            .map(Path::to_path_buf)
    };
    let target = env
        .target_dir
        .clone()
        .or_else(from_exe)
        .unwrap_or_else(|| manifest_dir.join("target"));
    target.join("stressor").join("junit.xml")
}

/// Creates the folder and writes the file (atomically: a CI job never reads half a report).
fn write_junit_file(path: &Path, suites: &[Suite]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the folder of the JUnit file `{}`: {e}", path.display()))?;
    }
    junit::write(path, suites).map_err(|e| e.to_string())
}

/// State shared by all trials of one invocation.
struct Harness {
    config: HarnessConfig,
    activities: Registry,
    env: HarnessEnv,
    setup: OnceLock<HarnessSetup>,
    /// Scenarios running now, limited to `env.concurrent_scenarios`.
    running: Mutex<usize>,
    freed: Condvar,
}

impl Harness {
    fn new(config: HarnessConfig, env: HarnessEnv) -> Self {
        Harness {
            config,
            activities: config.activities.map(|f| f()).unwrap_or_default(),
            env,
            setup: OnceLock::new(),
            running: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Load options with these overrides and the harness's plugins.
    fn load_options(&self, overrides: Vec<String>) -> LoadOptions {
        LoadOptions {
            overrides,
            ..LoadOptions::default()
        }
        .with_plugins(self.activities.clone())
    }

    /// Hook overrides, then the environment's.
    fn run_overrides(&self) -> Vec<String> {
        let setup = self
            .setup
            .get_or_init(|| self.config.before.map(|f| f()).unwrap_or_default());
        setup.overrides.iter().chain(&self.env.overrides).cloned().collect()
    }

    /// Runs `f` when fewer than `concurrent_scenarios` scenarios are running.
    fn gated<T>(&self, f: impl FnOnce() -> T) -> T {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= self.env.concurrent_scenarios {
            running = self.freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        drop(running);
        let out = f();
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.freed.notify_one();
        out
    }
}

/// One file's result, computed once.
struct FileRun {
    file: ScenarioFile,
    result: OnceLock<Result<(RunReport, Vec<ThresholdOutcome>), String>>,
}

impl FileRun {
    fn result(&self, harness: &Harness) -> &Result<(RunReport, Vec<ThresholdOutcome>), String> {
        self.result
            .get_or_init(|| harness.gated(|| run_file(harness, &self.file)))
    }
}

/// Loads (with all overrides) and runs a file, and evaluates its thresholds.
fn run_file(harness: &Harness, file: &ScenarioFile) -> Result<(RunReport, Vec<ThresholdOutcome>), String> {
    let overrides = harness.run_overrides();
    let loaded = load_file(&file.path, &harness.load_options(overrides));
    let sources = Arc::new(loaded.sources.clone());
    let scenario = loaded.into_result().map_err(|e| e.render(false))?;
    let thresholds = collect(&scenario, &activities_of(&scenario));
    let options = RunOptions {
        single: harness.env.smoke,
        activities: harness.activities.clone(),
        ..RunOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let report = runtime
        .block_on(run(Arc::new(scenario), sources, options))
        .map_err(|e| format!("run failed: {e}"))?;
    let outcomes = evaluate(&thresholds, &report);
    Ok((report, outcomes))
}

/// A file's trials as the JUnit report sees them.
struct FileEntry {
    /// The trial prefix (`fixtures/smoke`).
    prefix: String,
    /// `config.ignore`'s reason, when the file is ignored.
    ignore: Option<String>,
    /// The file's shared run (none when the file did not load).
    shared: Option<Arc<FileRun>>,
    /// Per trial, in order: its name and, once it ran, its case.
    cases: Vec<(String, Arc<OnceLock<Case>>)>,
}

impl FileEntry {
    /// The file's suite: the trials `selected` by the filters, run or (`ignored`) skipped; `None` when
    /// no trial was selected. A selected trial that never recorded a case (it panicked) is a failure.
    fn suite(&self, selected: &[bool], ignored: &[bool]) -> Option<Suite> {
        let mut cases = Vec::new();
        for (i, (name, case)) in self.cases.iter().enumerate() {
            if !selected.get(i).copied().unwrap_or(false) {
                continue;
            }
            let case = if ignored.get(i).copied().unwrap_or(false) {
                Case {
                    name: name.clone(),
                    time: std::time::Duration::ZERO,
                    outcome: CaseOutcome::Skipped(self.ignore.clone().unwrap_or_else(|| "ignored".into())),
                }
            } else {
                case.get().cloned().unwrap_or_else(|| {
                    failed_case(name, "panic", "the trial ended without a result (it panicked)".into())
                })
            };
            cases.push(case);
        }
        if cases.is_empty() {
            return None;
        }
        let run = self
            .shared
            .as_ref()
            .and_then(|s| s.result.get())
            .and_then(|r| r.as_ref().ok());
        Some(Suite {
            name: self.prefix.clone(),
            started: run.and_then(|(report, _)| report.started_at),
            cases,
            system_out: run.map(|(report, outcomes)| run_summary(report, outcomes)),
        })
    }
}

/// A failed case whose details are `why` (its first line is the summary).
fn failed_case(name: &str, kind: &'static str, why: String) -> Case {
    Case {
        name: name.to_string(),
        time: std::time::Duration::ZERO,
        outcome: CaseOutcome::Failed(TrialFailure {
            kind,
            summary: why.lines().next().unwrap_or_default().to_string(),
            details: why,
        }),
    }
}

/// The trials of one file (loaded here with the environment's overrides, to name them), and the entry
/// that collects their JUnit cases.
fn file_trials(harness: &Arc<Harness>, file: ScenarioFile) -> (Vec<Trial>, FileEntry) {
    let loaded = load_file(&file.path, &harness.load_options(harness.env.overrides.clone()));
    let prefix = file.name.clone();
    let scenario = match loaded.scenario {
        Some(ref s) => s,
        None => {
            let message = loaded.render(false);
            let name = format!("{prefix}::load");
            let slot = Arc::new(OnceLock::new());
            let entry = FileEntry {
                prefix: prefix.clone(),
                ignore: None,
                shared: None,
                cases: vec![(name.clone(), slot.clone())],
            };
            let trial = Trial::test(name, move || {
                let _ = slot.set(Case::load_failed(&prefix, &message));
                Err(Failed::from(message))
            });
            return (vec![trial], entry);
        }
    };
    let ignore = scenario.config.ignore.clone();
    let specs = trial_specs(scenario, &activities_of(scenario));
    let shared = Arc::new(FileRun {
        file,
        result: OnceLock::new(),
    });
    let mut entry = FileEntry {
        prefix: prefix.clone(),
        ignore: ignore.clone(),
        shared: Some(shared.clone()),
        cases: Vec::new(),
    };
    let trials = specs
        .into_iter()
        .map(|spec| {
            let name = format!("{prefix}::{}", spec.name);
            let slot = Arc::new(OnceLock::new());
            entry.cases.push((name.clone(), slot.clone()));
            let (harness, shared, prefix) = (harness.clone(), shared.clone(), prefix.clone());
            Trial::test(name, move || {
                let case = run_trial(&harness, &shared, &prefix, &spec);
                let result = match &case.outcome {
                    CaseOutcome::Failed(f) => Err(Failed::from(f.details.clone())),
                    _ => Ok(()),
                };
                let _ = slot.set(case);
                result
            })
            .with_ignored_flag(ignore.is_some())
        })
        .collect();
    (trials, entry)
}

/// Judges one trial against its file's (shared) result. Trials are named from the file loaded with the
/// environment's overrides only (the hook does not run for `--list`); they are judged by position
/// against the run, which also applies the hook's overrides (such as `base_url`, which does not change
/// the trials).
fn run_trial(harness: &Harness, shared: &FileRun, prefix: &str, spec: &TrialSpec) -> Case {
    match shared.result(harness) {
        Ok((report, outcomes)) => Case::judged(prefix, spec, report, outcomes),
        Err(why) => failed_case(&format!("{prefix}::{}", spec.name), "run", why.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_does_not_load_is_one_failing_load_trial() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.yaml"), "file_version: stressor#0\nnope: 1\n").unwrap();
        let config = HarnessConfig {
            pattern: "*.yaml",
            manifest_dir: "",
            files: &[],
            before: None,
            activities: None,
        };
        let harness = Arc::new(Harness::new(config, HarnessEnv::default()));
        let file = ScenarioFile {
            path: dir.path().join("bad.yaml"),
            name: "bad".into(),
        };
        let (trials, entry) = file_trials(&harness, file);
        let names: Vec<&str> = trials.iter().map(Trial::name).collect();
        assert_eq!(names, ["bad::load"]);
        assert_eq!(entry.cases.len(), 1);
    }

    /// A Rust activity for the harness test below.
    struct Noop;

    impl crate::activity::plugin::Activity for Noop {
        const NAME: &'static str = "Noop";
        type Args = ();

        async fn run(
            &self,
            _: (),
            _: crate::activity::plugin::PluginContext<'_>,
        ) -> Result<serde_json::Value, crate::activity::ActivityError> {
            Ok(serde_json::Value::Null)
        }
    }

    #[test]
    fn files_may_use_the_activities_the_config_registers() {
        let dir = tempfile::tempdir().unwrap();
        let text = "file_version: stressor#0\nscenario: [{sequence: main}]\nsequences:\n  main:\n    - activity: Noop\n      assert_max_time: 1s\n";
        std::fs::write(dir.path().join("p.yaml"), text).unwrap();
        let file = || ScenarioFile {
            path: dir.path().join("p.yaml"),
            name: "p".into(),
        };
        let config = |activities: Option<fn() -> Registry>| HarnessConfig {
            pattern: "*.yaml",
            manifest_dir: "",
            files: &[],
            before: None,
            activities,
        };
        let names = |config| {
            let harness = Arc::new(Harness::new(config, HarnessEnv::default()));
            let (trials, _) = file_trials(&harness, file());
            let results: Vec<_> = trials.iter().map(|t| t.name().to_string()).collect();
            (harness, results)
        };
        assert_eq!(names(config(None)).1, ["p::load"]);
        let registry: fn() -> Registry = || Registry::new().register(Noop).expect("unique");
        let (harness, trials) = names(config(Some(registry)));
        assert_eq!(trials, ["p::main", "p::checks::main/0"]);
        let (report, _) = run_file(&harness, &file()).expect("runs");
        assert_eq!(report.error_count(), 0);
        assert_eq!(report.stats.activities[0].count, 1);
    }
}
