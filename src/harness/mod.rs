//! The `cargo test` harness: scenario files as test cases.
//!
//! ```ignore
//! // tests/scenarios.rs, with `[[test]] name = "scenarios"` and `harness = false` in Cargo.toml
//! stressor::harness!("fixtures/**/*.yaml");
//! ```
//!
//! [`harness!`](crate::harness!) expands to a `fn main()` that calls [`main`] with a [`HarnessConfig`].
//! At run time the pattern is expanded relative to the package's manifest directory
//! ([`discover`](discover::discover)); files without a top-level `file_version:` (parts a scenario
//! `$load`s, data) are skipped with a one-line note ([`is_scenario`](discover::is_scenario)); each
//! scenario file is loaded and becomes [libtest-mimic] trials named
//! `<file>::<sequence>`, `<file>::checks::<activity>` and `<file>::thresholds::<subject>::<metric>`,
//! where `<file>` is the path without extension (`fixtures/smoke::main`); see [`crate::verdict::trials`] for the rules.
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
mod file;

use crate::activity::plugin::Registry;
use crate::report::junit::{self, Suite};
use crate::scenario::{LoadOptions, Override};
use crate::verdict::Policy;
use discover::discover;
use env::HarnessEnv;
use file::file_trials;
use libtest_mimic::Arguments;
use std::any::Any;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex, OnceLock};

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
    let mut env = HarnessEnv::from_process();
    let root = env
        .fixtures_root
        .clone()
        .unwrap_or_else(|| PathBuf::from(config.manifest_dir));
    let junit = junit_path(&env, Path::new(config.manifest_dir));
    let write_junit = !args.list && !env.nextest;
    // Each run starts with an empty results folder: the last run's are set aside (and still readable
    // as this run's baseline), then removed at the end.
    let results = write_junit.then(|| results_dir(&junit));
    if let Some(results) = &results {
        match set_aside(results, env.baseline.as_deref()) {
            Ok(Some(baseline)) => env.baseline = Some(baseline),
            Ok(None) => {}
            Err(why) => {
                eprintln!("stressor harness: {why}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut harness = Harness::new(config, env);
    harness.results = results.clone();
    let harness = Arc::new(harness);
    let files = match discover(&root, config.pattern) {
        Ok(files) => files,
        Err(why) => {
            eprintln!("stressor harness: {why}");
            return ExitCode::FAILURE;
        }
    };
    let (files, skipped) = discover::scenarios_only(files);
    for file in &skipped {
        eprintln!(
            "stressor harness: skipped {}: not a scenario (no top-level `file_version:`)",
            file.path.display()
        );
    }
    let mut trials = Vec::new();
    let mut entries = Vec::new();
    for file in files {
        let (file_trials, entry) = file_trials(&harness, file, args.list);
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
        // GitHub Actions: every file's verdict on the job's summary page.
        if let Some(path) = std::env::var_os(crate::report::markdown::GITHUB_STEP_SUMMARY).filter(|p| !p.is_empty()) {
            let markdown: String = entries
                .iter()
                .filter_map(|(entry, _, _)| Some(crate::report::markdown::run(entry.prefix(), entry.judgement()?)))
                .collect();
            if !markdown.is_empty()
                && let Err(why) = crate::report::markdown::append(Path::new(&path), &markdown)
            {
                eprintln!("stressor harness: GITHUB_STEP_SUMMARY: {why}");
            }
        }
    }
    if let Some(results) = &results {
        // A leftover is harmless (it is not the folder CI uploads); the next run removes it.
        let _ = std::fs::remove_dir_all(previous_dir(results));
    }
    conclusion.exit_code()
}

/// Where the last run's results wait while this run writes its own: `.results-previous` beside
/// `results`.
fn previous_dir(results: &Path) -> PathBuf {
    results.with_file_name(".results-previous")
}

/// Moves the last run's results out of the way, so that the folder holds only this run's (results of a
/// file deleted, renamed or not run this time must never be archived as the next baseline; this run's
/// checkpoints still land in the folder CI uploads, should the process be killed). A `baseline` inside
/// the folder (the last local run as the baseline) is read from where it moved: the new path.
fn set_aside(results: &Path, baseline: Option<&Path>) -> Result<Option<PathBuf>, String> {
    let previous = previous_dir(results);
    let _ = std::fs::remove_dir_all(&previous);
    if !results.exists() {
        return Ok(None);
    }
    let canonical = |p: &Path| p.canonicalize().ok();
    let inside = match (baseline.and_then(canonical), canonical(results)) {
        (Some(b), Some(r)) => b.strip_prefix(&r).ok().map(Path::to_path_buf),
        _ => None,
    };
    std::fs::rename(results, &previous).map_err(|e| {
        format!(
            "cannot set the last run's results `{}` aside for this run's: {e}",
            results.display()
        )
    })?;
    Ok(inside.map(|rel| previous.join(rel)))
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

/// Where the harness writes each scenario's JSON results: `results/` next to the JUnit file, one
/// `<prefix>.json` per file (`fixtures/smoke.json`). Archived, the folder is the next run's
/// `STRESSOR_BASELINE`. It holds one run's results only: a run starts by setting the last run's aside
/// (see `set_aside`), so a file deleted or not run since leaves no stale results behind.
pub fn results_dir(junit: &Path) -> PathBuf {
    junit.parent().unwrap_or(Path::new(".")).join("results")
}

/// Creates the folder and writes the file (atomically: a CI job never reads half a report).
fn write_junit_file(path: &Path, suites: &[Suite]) -> Result<(), crate::report::ReportError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| crate::report::ReportError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    junit::write(path, suites)
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
    /// Where each scenario's JSON results go ([`results_dir`]); `None` for `--list` and under nextest.
    results: Option<PathBuf>,
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
            results: None,
        }
    }

    /// Load options with these overrides and the harness's plugins.
    fn load_options(&self, overrides: Vec<Override>) -> LoadOptions {
        LoadOptions {
            overrides,
            ..LoadOptions::default()
        }
        .with_plugins(self.activities.clone())
    }

    /// Hook overrides, then the environment's (which win).
    fn run_overrides(&self) -> Vec<Override> {
        let setup = self
            .setup
            .get_or_init(|| self.config.before.map(|f| f()).unwrap_or_default());
        setup
            .overrides
            .iter()
            .map(|o| Override::program("harness hook", o.clone()))
            .chain(self.env.overrides.iter().cloned())
            .collect()
    }

    /// How the run of file `prefix` is judged: the smoke profile skips thresholds,
    /// `STRESSOR_INCONCLUSIVE=pass` lets an inconclusive run pass, `STRESSOR_BASELINE` gives the
    /// baseline (one that cannot be read fails the file's `baseline` trial, unless
    /// `STRESSOR_BASELINE_REQUIRED=0`).
    fn policy(&self, prefix: &str) -> Policy {
        let baseline = self.env.baseline.as_ref().map(|path| {
            let unreadable = |e: &dyn std::fmt::Display| format!("STRESSOR_BASELINE={}: {e}", path.display());
            if path.is_dir() {
                // Every `<prefix>.json` under the folder: one run's results folder, or several.
                let which = crate::report::history::Which::File(prefix);
                return crate::report::history::baseline(path, self.env.baseline_runs, None, which)
                    .map(|(b, notes)| {
                        for note in notes {
                            eprintln!("stressor: {prefix}: STRESSOR_BASELINE: {note}");
                        }
                        b
                    })
                    .map_err(|e| unreadable(&e));
            }
            crate::report::json::read(path)
                .map(|r| crate::verdict::Baseline::Run(Arc::new(r.to_report())))
                .map_err(|e| unreadable(&e))
        });
        Policy {
            baseline,
            baseline_optional: self.env.baseline_optional,
            baseline_required: false,
            skip_thresholds: self
                .env
                .smoke
                .then(|| "not judged under STRESSOR_PROFILE=smoke (one session, one pass)".to_string()),
            inconclusive_fails: !self.env.inconclusive_pass,
            ..Policy::default()
        }
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
