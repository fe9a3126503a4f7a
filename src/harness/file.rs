//! One scenario file in the harness: its trials (named from a load with the environment's overrides),
//! its run (once, shared by its trials, judged into a [`Judgement`]), and its JUnit suite.
//!
//! Everything a trial reports comes from the file's one judgement: a trial is looked up there by name
//! and its [`TrialOutcome`] becomes the libtest result and the JUnit case.

use super::Harness;
use super::discover::ScenarioFile;
use crate::report::checkpoint::CheckpointWriter;
use crate::report::json::Results;
use crate::report::junit::{Case, Suite};
use crate::report::summary;
use crate::run::{RunError, RunOptions, run};
use crate::scenario::load_file;
use crate::verdict::{FailureKind, Judgement, TrialFailure, TrialOutcome, TrialSpec, trial_specs};
use libtest_mimic::{Completion, Failed, Trial};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Why a file's run could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The file did not load with the hook's and the environment's overrides (rendered diagnostics).
    #[error("{0}")]
    Load(String),
    /// No async runtime.
    #[error("failed to start a tokio runtime: {0}")]
    Runtime(std::io::Error),
    /// The run could not start.
    #[error("failed to run: {0}")]
    Run(#[from] RunError),
    /// A harness environment variable has a value that cannot be used.
    #[error("{0}")]
    Setting(String),
}

/// One file's run, done at most once.
pub(super) struct FileRun {
    file: ScenarioFile,
    result: OnceLock<Result<Judgement, HarnessError>>,
}

impl FileRun {
    /// The judged run, running the file the first time it is asked for (and printing the one-line
    /// summary, so a passing run shows its numbers too).
    fn result(&self, harness: &Harness) -> &Result<Judgement, HarnessError> {
        self.result.get_or_init(|| {
            let result = harness.gated(|| run_file(harness, &self.file));
            match &result {
                Ok(judgement) => {
                    eprintln!("stressor: {}", summary::line(&self.file.name, judgement));
                    if let Some(dir) = &harness.results {
                        write_results(dir, &self.file.name, judgement);
                    }
                }
                Err(err) => eprintln!(
                    "stressor: {}: not run: {}",
                    self.file.name,
                    err.to_string().lines().next().unwrap_or_default()
                ),
            }
            result
        })
    }
}

/// Writes a file's JSON results to `dir/<prefix>.json` (what `STRESSOR_BASELINE` reads next time); a
/// failure is said on stderr and does not fail the trials.
fn write_results(dir: &std::path::Path, prefix: &str, judgement: &Judgement) {
    let path = results_path(dir, prefix);
    let written = crate::report::json::write(&path, &Results::of(judgement)).map_err(|e| e.to_string());
    if let Err(why) = written {
        eprintln!("stressor: cannot write the results of {prefix}: {why}");
    }
}

/// Loads (with the hook's and the environment's overrides), runs and judges a file.
pub(super) fn run_file(harness: &Harness, file: &ScenarioFile) -> Result<Judgement, HarnessError> {
    let overrides = harness.run_overrides();
    let loaded = load_file(&file.path, &harness.load_options(overrides));
    let sources = Arc::new(loaded.sources.clone());
    let scenario = Arc::new(loaded.into_result().map_err(|e| HarnessError::Load(e.render(false)))?);
    let every = harness.env.checkpoint_every().map_err(HarnessError::Setting)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(HarnessError::Runtime)?;
    let run_once = || {
        let options = RunOptions {
            single: harness.env.smoke,
            activities: harness.activities.clone(),
            // Under the smoke profile thresholds are not judged, so they stop nothing either.
            abort: crate::verdict::AbortWatch::check_for(&scenario).filter(|_| !harness.env.smoke),
            ..RunOptions::default()
        };
        if let Some(url) = harness.env.ab_baseline_url.as_deref().filter(|_| !harness.env.smoke) {
            return run_ab(
                harness,
                file,
                url,
                (scenario.clone(), sources.clone()),
                options,
                &runtime,
            );
        }
        run_once(harness, file, (&scenario, &sources), options, every, &runtime)
    };
    let confirm = if harness.env.smoke {
        0
    } else {
        scenario.thresholds.confirm
    };
    crate::verdict::confirm::run_confirmed(confirm, run_once, |latest, run| {
        eprintln!(
            "stressor: {}: a gate failed ({}); running it again to confirm (run {run} of at most {})",
            file.name,
            latest.result_line().trim_start_matches("Result: "),
            confirm + 1
        );
    })
}

/// One run of a file, its results file rewritten while it goes (so a test process killed outright,
/// by a CI job's time limit, leaves what it measured; the final write, `write_results`, replaces it).
fn run_once(
    harness: &Harness,
    file: &ScenarioFile,
    (scenario, sources): (&Arc<crate::scenario::Scenario>, &Arc<crate::scenario::SourceMap>),
    mut options: RunOptions,
    every: Duration,
    runtime: &tokio::runtime::Runtime,
) -> Result<Judgement, HarnessError> {
    let checkpoints = harness.results.as_ref().filter(|_| !every.is_zero()).map(|dir| {
        let (scenario, sources, policy) = (scenario.clone(), sources.clone(), harness.policy(&file.name));
        CheckpointWriter::new(results_path(dir, &file.name), move |report| {
            Results::from_judgement(Judgement::new(&scenario, sources.clone(), report, policy.clone()))
        })
    });
    options.checkpoints = checkpoints.as_ref().map(|w| w.checkpoints(every));
    let report = runtime.block_on(run(scenario.clone(), sources.clone(), options));
    if let Some(w) = &checkpoints {
        w.finish();
    }
    Ok(Judgement::new(
        scenario,
        sources.clone(),
        report?,
        harness.policy(&file.name),
    ))
}

/// The file's thresholds and trials: the scenario's own, and under `STRESSOR_AB_BASELINE_URL` the
/// A/B gate's too (`ab::<subject>::<metric>`, see [`crate::verdict::gate`]).
fn thresholds_and_trials(
    harness: &Harness,
    scenario: &crate::scenario::Scenario,
) -> (Vec<crate::verdict::SubjectThresholds>, Vec<TrialSpec>) {
    let activities = crate::verdict::trials::activities_of(scenario);
    let thresholds = crate::verdict::collect(scenario, &activities);
    let mut specs = trial_specs(scenario, &activities);
    if harness.env.baseline.is_some() {
        crate::verdict::trials::add_baseline(&mut specs);
    }
    if harness.env.ab_baseline_url.is_none() || harness.env.smoke {
        return (thresholds, specs);
    }
    crate::verdict::gate::with_ab_gate(thresholds, specs, crate::verdict::baseline::Tolerance::DEFAULT)
}

/// `STRESSOR_AB_BASELINE_URL`: the file run as B (as the harness would run it) against the baseline
/// service at `url` as A, at the same moments ([`crate::ab`]); its own trials judged on B, its
/// `vs_baseline` rules and the A/B gate by the paired test over the rounds.
fn run_ab(
    harness: &Harness,
    file: &ScenarioFile,
    url: &str,
    (scenario, sources): (Arc<crate::scenario::Scenario>, Arc<crate::scenario::SourceMap>),
    mut options: RunOptions,
    runtime: &tokio::runtime::Runtime,
) -> Result<Judgement, HarnessError> {
    let mut overrides = harness.run_overrides();
    overrides.push(crate::scenario::Override::env(
        "STRESSOR_AB_BASELINE_URL",
        "base_url",
        url,
    ));
    let loaded = load_file(&file.path, &harness.load_options(overrides));
    let a_sources = Arc::new(loaded.sources.clone());
    let a_scenario = Arc::new(loaded.into_result().map_err(|e| HarnessError::Load(e.render(false)))?);
    let a = crate::ab::Side {
        scenario: a_scenario,
        sources: a_sources,
    };
    let b = crate::ab::Side {
        scenario: scenario.clone(),
        sources: sources.clone(),
    };
    // One abort watch per side would stop each on its own: the gate is judged at the end.
    options.abort = None;
    options.checkpoints = None;
    let ab_options = crate::ab::AbOptions {
        rounds: harness.env.ab_rounds,
        round_time: harness.env.ab_round_time,
        warmup: None,
        run: options,
    };
    let measured = runtime
        .block_on(crate::ab::run(a, b, ab_options))
        .map_err(|e| HarnessError::Setting(format!("STRESSOR_AB_BASELINE_URL: {e}")))?;
    if let Some(why) = &measured.short {
        eprintln!("stressor: {}: {why}", file.name);
    }
    let (thresholds, specs) = thresholds_and_trials(harness, &scenario);
    let mut policy = harness.policy(&file.name);
    policy.baseline = Some(Ok(crate::verdict::Baseline::Paired(Arc::new(measured.paired))));
    Ok(Judgement::from_parts(measured.b, thresholds, specs, sources, policy))
}

/// Where a file's JSON results go: `dir/<prefix>.json`, its folder made (a failure shows when the
/// file is written).
fn results_path(dir: &std::path::Path, prefix: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{prefix}.json"));
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    path
}

/// A file's trials as the JUnit report sees them.
pub(super) struct FileEntry {
    /// The trial prefix (`fixtures/smoke`).
    prefix: String,
    /// `config.ignore`'s reason, when the file is ignored.
    ignore: Option<String>,
    /// The file's load-time warnings, rendered (JUnit `<system-err>`).
    warnings: Option<String>,
    /// The file's shared run (none when the file did not load).
    shared: Option<Arc<FileRun>>,
    /// Per trial, in order: its name and, once it ran, its case.
    pub(super) cases: Vec<(String, Arc<OnceLock<Case>>)>,
}

impl FileEntry {
    /// The file's judged run, when it ran (and could be judged).
    pub(super) fn judgement(&self) -> Option<&Judgement> {
        self.shared.as_ref()?.result.get()?.as_ref().ok()
    }

    /// The file's trial prefix (`fixtures/smoke`).
    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The file's suite: the trials `selected` by the filters, run or (`ignored`) skipped; `None` when
    /// no trial was selected. A selected trial that never recorded a case (it panicked) is a failure.
    pub(super) fn suite(&self, selected: &[bool], ignored: &[bool]) -> Option<Suite> {
        let mut cases = Vec::new();
        for (i, (name, case)) in self.cases.iter().enumerate() {
            if !selected.get(i).copied().unwrap_or(false) {
                continue;
            }
            let case = if ignored.get(i).copied().unwrap_or(false) {
                Case {
                    name: name.clone(),
                    time: Duration::ZERO,
                    outcome: TrialOutcome::Skipped(self.ignore.clone().unwrap_or_else(|| "ignored".into())),
                    tags: Vec::new(),
                }
            } else {
                case.get().cloned().unwrap_or_else(|| {
                    failed_case(
                        name,
                        TrialFailure::new(FailureKind::Panic, "the trial ended without a result (it panicked)"),
                    )
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
            started: run.and_then(|j| j.report.started_at),
            cases,
            system_out: run.map(|j| summary::render(j, false)),
            system_err: self.warnings.clone(),
        })
    }
}

fn failed_case(name: &str, failure: TrialFailure) -> Case {
    Case {
        name: name.to_string(),
        time: Duration::ZERO,
        outcome: TrialOutcome::Failed(failure),
        tags: Vec::new(),
    }
}

/// The trials of one file (loaded here with the environment's overrides, to name them), and the entry
/// that collects their JUnit cases. Unless `listing`, the file's load-time warnings are printed (once,
/// here); with `STRESSOR_DENY_WARNINGS=1` they fail the file's `load` trial instead.
pub(super) fn file_trials(harness: &Arc<Harness>, file: ScenarioFile, listing: bool) -> (Vec<Trial>, FileEntry) {
    let mut options = harness.load_options(harness.env.overrides.clone());
    // The hook runs later (never for `--list`) and may set `base_url`; the run's load checks it.
    options.base_url_later = harness.config.before.is_some();
    let loaded = load_file(&file.path, &options);
    let prefix = file.name.clone();
    let warnings = (loaded.diagnostics.warning_count() > 0).then(|| loaded.render(false));
    if let Some(text) = warnings.as_ref().filter(|_| !listing && loaded.scenario.is_some()) {
        eprint!("{text}");
    }
    let denied = harness.env.deny_warnings && warnings.is_some();
    let scenario = match &loaded.scenario {
        Some(s) if !denied => s,
        _ => {
            let mut message = loaded.render(false);
            if denied && loaded.scenario.is_some() {
                message.push_str("error: warnings are errors here (STRESSOR_DENY_WARNINGS is set)\n");
            }
            return load_trial(&prefix, message, warnings);
        }
    };
    let ignore = scenario.config.ignore.clone();
    let (_, specs) = thresholds_and_trials(harness, scenario);
    let shared = Arc::new(FileRun {
        file,
        result: OnceLock::new(),
    });
    let mut entry = FileEntry {
        prefix: prefix.clone(),
        ignore: ignore.clone(),
        warnings,
        shared: Some(shared.clone()),
        cases: Vec::new(),
    };
    let trials = specs
        .into_iter()
        .map(|spec| {
            let name = format!("{prefix}::{}", spec.name);
            let slot = Arc::new(OnceLock::new());
            entry.cases.push((name.clone(), slot.clone()));
            let (harness, shared) = (harness.clone(), shared.clone());
            Trial::ignorable_test(name.clone(), move || {
                let case = run_trial(&harness, &shared, &name, &spec);
                let result = match &case.outcome {
                    TrialOutcome::Failed(f) => Err(Failed::from(f.details.clone())),
                    TrialOutcome::Skipped(why) => Ok(Completion::ignored_with(why)),
                    TrialOutcome::Passed => Ok(Completion::Completed),
                    TrialOutcome::Flaky(failures) => {
                        // libtest has no word for it: it passes, and says why here.
                        for f in failures {
                            eprintln!("stressor: {name}: flaky, passed when run again; earlier: {}", f.summary);
                        }
                        Ok(Completion::Completed)
                    }
                };
                let _ = slot.set(case);
                result
            })
            .with_ignored_flag(ignore.is_some())
        })
        .collect();
    (trials, entry)
}

/// The one `<file>::load` trial of a file that did not load (or whose warnings are denied).
fn load_trial(prefix: &str, message: String, warnings: Option<String>) -> (Vec<Trial>, FileEntry) {
    let name = format!("{prefix}::load");
    let slot = Arc::new(OnceLock::new());
    let entry = FileEntry {
        prefix: prefix.to_string(),
        ignore: None,
        warnings,
        shared: None,
        cases: vec![(name.clone(), slot.clone())],
    };
    let prefix = prefix.to_string();
    let trial = Trial::test(name, move || {
        let _ = slot.set(Case::load_failed(&prefix, &message));
        Err(Failed::from(message))
    });
    (vec![trial], entry)
}

/// Looks a trial up in its file's (shared) judgement. Trials are named from the file loaded with the
/// environment's overrides only (the hook does not run for `--list`); the run also applies the hook's
/// overrides (such as `base_url`), which do not change the trials.
fn run_trial(harness: &Harness, shared: &FileRun, name: &str, spec: &TrialSpec) -> Case {
    match shared.result(harness) {
        Ok(judgement) => match judgement.trial(&spec.name) {
            Some(trial) => Case::of(name.to_string(), trial, judgement),
            None => failed_case(
                name,
                TrialFailure::new(
                    FailureKind::Load,
                    format!(
                        "trial `{}` is not in the run: the hook's overrides changed the file's sequences, checks or thresholds",
                        spec.name
                    ),
                ),
            ),
        },
        Err(err) => failed_case(name, TrialFailure::from_text(FailureKind::Load, err.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::plugin::Registry;
    use crate::harness::HarnessConfig;
    use crate::harness::env::HarnessEnv;

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
        let (trials, entry) = file_trials(&harness, file, false);
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
            let (trials, _) = file_trials(&harness, file(), false);
            let results: Vec<_> = trials.iter().map(|t| t.name().to_string()).collect();
            (harness, results)
        };
        assert_eq!(names(config(None)).1, ["p::load"]);
        let registry: fn() -> Registry = || Registry::new().register(Noop).expect("unique");
        let (harness, trials) = names(config(Some(registry)));
        assert_eq!(trials, ["p::main", "p::checks::main/0", "p::run"]);
        let judgement = run_file(&harness, &file()).expect("runs");
        assert_eq!(judgement.report.error_count(), 0);
        assert_eq!(judgement.report.stats.activities[0].count, 1);
        assert_eq!(judgement.verdict, crate::verdict::Verdict::Pass);
    }
}
