//! The harness (issue 23, points 2, 5 and 7): a baseline that cannot be read, discovery of
//! scenario files and `init`'s scaffold, one run's results only.

use super::PASSING;
use crate::common;

use common::harness::{fixtures_root, harness, trial_line};
use common::{output_text, stressor};
#[test]
fn a_baseline_that_cannot_be_read_fails_the_harness_as_it_fails_the_cli() {
    let root = fixtures_root(&[("gated.yaml", PASSING)]);
    let missing = root.path().join("baseline-download-failed");
    let fixtures = ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap());
    let asked = ("STRESSOR_BASELINE", missing.to_str().unwrap());
    let (out, text) = harness(&[], &[fixtures, asked]);
    assert!(!out.status.success(), "{text}");
    assert!(
        trial_line(&text, "fixtures/gated::baseline").ends_with("FAILED"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "no baseline: STRESSOR_BASELINE={0}: failed to read `{0}`: No such file or directory",
            missing.display(),
        )),
        "the path and the reason: {text}"
    );
    assert!(trial_line(&text, "fixtures/gated::main").ends_with("ok"), "{text}");
    assert!(
        text.contains("FAILED (no baseline: STRESSOR_BASELINE="),
        "the one-line summary: {text}"
    );

    // The explicit opt-out: the trial is ignored with the reason, and the gate passes.
    let (out, text) = harness(&[], &[fixtures, asked, ("STRESSOR_BASELINE_REQUIRED", "0")]);
    assert!(out.status.success(), "{text}");
    let line = trial_line(&text, "fixtures/gated::baseline");
    assert!(line.contains("ignored (no baseline: STRESSOR_BASELINE="), "{text}");
    assert!(line.ends_with("not required (STRESSOR_BASELINE_REQUIRED=0))"), "{text}");

    // No baseline asked for (empty): no baseline trial at all.
    let (out, text) = harness(&["--list"], &[fixtures, ("STRESSOR_BASELINE", "")]);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("::baseline"), "{text}");

    // The CLI: the same variable is an error before the run, and the same opt-out runs without it.
    let (_dir, main) = common::write_files(&[("gated.yaml", PASSING)]);
    let out = stressor()
        .args(["run", "--serve", "--no-color"])
        .arg(&main)
        .env("STRESSOR_BASELINE", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let out = stressor()
        .args(["run", "--serve", "--no-color"])
        .arg(&main)
        .env("STRESSOR_BASELINE", &missing)
        .env("STRESSOR_BASELINE_REQUIRED", "0")
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("running without a baseline (STRESSOR_BASELINE_REQUIRED=0)"),
        "{text}"
    );
    let out = stressor()
        .args(["run", "--serve", "--no-color"])
        .arg(&main)
        .env("STRESSOR_BASELINE", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "empty asks for none: {}", output_text(&out));
}

#[test]
fn the_readmes_ci_recipe_cannot_lose_its_baseline_unnoticed() {
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/reference/regression-gates.md"
    ))
    .unwrap();
    let recipe = readme
        .split("**A CI example**")
        .nth(1)
        .and_then(|rest| rest.split("```yaml").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the CI example");
    assert!(
        !recipe.contains("continue-on-error"),
        "a failed download must fail the job, not turn the gate off: {recipe}"
    );
    assert!(recipe.contains("STRESSOR_BASELINE"), "{recipe}");
}

#[test]
fn inits_scaffold_runs_under_the_harness_as_generated_and_dry() {
    let root = fixtures_root(&[]);
    let demo = root.path().join("fixtures/demo");
    let out = stressor().arg("init").arg(&demo).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    // The dry run of the scaffold passes: its login stores from a mock answer.
    let out = stressor()
        .args(["run", "-n", "--no-color"])
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    // Under the harness (its hook points base_url at the built-in target): the included parts are
    // skipped with a note each, and the scenario's trials pass. The machine under test is shared, so
    // its own load is not what this test judges.
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_INCONCLUSIVE", "pass"),
    ];
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    for part in ["users.yaml", "main_sequence.yaml"] {
        let note = format!(
            "stressor harness: skipped {}: not a scenario (no top-level `file_version:`)",
            demo.join(part).display()
        );
        assert!(text.contains(&note), "{note}\n{text}");
    }
    for trial in [
        "init",
        "main",
        "end",
        "thresholds::run::p95",
        "thresholds::run::error_rate",
        "run",
    ] {
        let line = trial_line(&text, &format!("fixtures/demo/scenario::{trial}"));
        assert!(line.ends_with("ok"), "{trial}: {text}");
    }
    assert!(!text.contains("fixtures/demo/users::"), "{text}");
}

#[test]
fn each_harness_run_leaves_only_its_own_results_to_upload() {
    let root = fixtures_root(&[("old.yaml", PASSING), ("kept.yaml", PASSING)]);
    let junit = root.path().join("out/junit.xml");
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_JUNIT", junit.to_str().unwrap()),
    ];
    let results = root.path().join("out/results/fixtures");
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(
        results.join("old.json").is_file() && results.join("kept.json").is_file(),
        "{text}"
    );
    // `old` is deleted: the next run's results are `kept`'s alone, not `old`'s from before.
    std::fs::remove_file(root.path().join("fixtures/old.yaml")).unwrap();
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(results.join("kept.json").is_file(), "{text}");
    assert!(
        !results.join("old.json").exists(),
        "a stale result would be uploaded: {text}"
    );
    assert!(
        !root.path().join("out/.results-previous").exists(),
        "the last run's are gone"
    );
    // The last local run as the baseline: read from where it was set aside, then replaced.
    let folder = root.path().join("out/results");
    let env = [env[0], env[1], ("STRESSOR_BASELINE", folder.to_str().unwrap())];
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(trial_line(&text, "fixtures/kept::baseline").ends_with("ok"), "{text}");
    assert!(results.join("kept.json").is_file(), "{text}");
}
