//! `stressor ab`: A and B measured at the same moments and judged by a paired test over rounds,
//! against real servers (the built-in target, whose `/slow?ms=N` makes one side slower).

use crate::common;

use common::run::server;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use stressor::ab::{AbOptions, Side, judge};
use stressor::scenario::{LoadOptions, Override, WarmupLength, load_str};
use stressor::verdict::baseline::{Call, Tolerance};
use stressor::verdict::relative::RelativeResult;
use stressor::verdict::{TrialOutcome, Verdict};

/// Four sessions request `/slow?ms=$(delay_ms)` until stopped.
const SCENARIO: &str = "file_version: stressor#0
context:
  delay_ms: 2
sessions:
  count: 4
scenario:
  - sequence: main
    duration: 1h
sequences:
  main:
    - activity: GetRequest
      url: /slow?ms=$(delay_ms)
";

/// The scenario loaded for one side: its base URL and overrides.
fn side(base_url: &str, overrides: &[&str]) -> Side {
    let mut all = vec![Override::program("test", format!("base_url:{base_url}"))];
    all.extend(overrides.iter().map(|o| Override::from(o.to_string())));
    let loaded = load_str(
        Path::new("ab.yaml"),
        SCENARIO.to_string(),
        &LoadOptions {
            overrides: all,
            ..LoadOptions::default()
        },
    );
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    Side {
        scenario: Arc::new(loaded.scenario.expect("valid")),
        sources: Arc::new(loaded.sources),
    }
}

fn options() -> AbOptions {
    AbOptions {
        rounds: 16,
        round_time: Duration::from_millis(250),
        warmup: Some(WarmupLength::Fixed(Duration::from_millis(500))),
        ..AbOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slower_candidate_is_regressed_and_the_same_service_is_not() {
    let (fast, slow) = (server().await, server().await);
    let a = side(&fast.url(), &[]);
    let b = side(&slow.url(), &["delay_ms:10"]);
    let ab = stressor::ab::run(a.clone(), b, options()).await.expect("runs");
    assert_eq!(ab.paired.rounds.len(), 16, "{:?}", ab.short);
    let j = judge(&a.scenario, a.sources.clone(), &ab, Tolerance::DEFAULT, true);
    let p50 = j
        .relative
        .iter()
        .find(|o| o.message.starts_with("p50 of the run"))
        .expect("p50 of the run is judged");
    assert_eq!(p50.result, RelativeResult::Regressed, "{}", p50.message);
    let worse = p50.delta.as_ref().and_then(|d| d.worse_by).unwrap();
    assert!(worse > 0.3, "2ms -> 10ms: {worse}");
    assert_eq!(j.verdict, Verdict::Failed, "{}", j.result_line());
    assert!(matches!(
        j.trial("ab::run::p50").map(|t| &t.outcome),
        Some(TrialOutcome::Failed(_))
    ));
    let table: Vec<Call> = j.comparison[0].deltas.iter().map(|d| d.call).collect();
    assert_eq!(table[0], Call::Regressed, "{:?}", j.comparison);

    // A/A: both sides against the same server.
    let a = side(&fast.url(), &[]);
    let ab = stressor::ab::run(a.clone(), a.clone(), options()).await.expect("runs");
    let j = judge(&a.scenario, a.sources.clone(), &ab, Tolerance::DEFAULT, true);
    let regressed: Vec<&str> = j
        .relative
        .iter()
        .filter(|o| o.result == RelativeResult::Regressed)
        .map(|o| o.message.as_str())
        .collect();
    assert!(regressed.is_empty(), "{regressed:?}");
    assert_ne!(j.verdict, Verdict::Failed, "{}", j.result_line());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_few_rounds_are_inconclusive_and_different_scenarios_are_refused() {
    let srv = server().await;
    let a = side(&srv.url(), &[]);
    let few = AbOptions { rounds: 4, ..options() };
    let ab = stressor::ab::run(a.clone(), a.clone(), few).await.expect("runs");
    let j = judge(&a.scenario, a.sources.clone(), &ab, Tolerance::DEFAULT, true);
    assert_eq!(j.verdict, Verdict::Inconclusive, "{}", j.result_line());

    let other = {
        let loaded = load_str(
            Path::new("other.yaml"),
            SCENARIO
                .replace("context:\n", &format!("config:\n  base_url: {}\ncontext:\n", srv.url()))
                .replace(
                    "    - activity: GetRequest\n",
                    "    - activity: GetRequest\n      url: /\n    - activity: GetRequest\n",
                ),
            &LoadOptions::default(),
        );
        Side {
            scenario: Arc::new(loaded.scenario.expect("valid")),
            sources: Arc::new(loaded.sources),
        }
    };
    let err = stressor::ab::run(a, other, options()).await.expect_err("refused");
    assert!(err.to_string().contains("the two sides' scenarios differ"), "{err}");
}

/// A fixture for the harness under `STRESSOR_AB_BASELINE_URL`: two sessions request `/slow?ms=5` of
/// the service under test (the harness's built-in target) until the rounds are over.
const FIXTURE: &str = "file_version: stressor#0
sessions:
  count: 2
scenario:
  - sequence: main
    duration: 1h
thresholds:
  warmup: 500ms
sequences:
  main:
    - activity: GetRequest
      url: /slow?ms=5
";

/// Runs the `scenarios` harness over [`FIXTURE`] with A at `a_url`; (exit code, output, JUnit XML,
/// the GitHub job summary it appended to).
async fn harness_ab(
    a_url: String,
    extra: &'static [(&'static str, &'static str)],
) -> (Option<i32>, String, String, String) {
    tokio::task::spawn_blocking(move || {
        let root = common::harness::fixtures_root(&[("ab.yaml", FIXTURE)]);
        let junit = root.path().join("junit.xml");
        let summary = root.path().join("step-summary.md");
        std::fs::write(&summary, "earlier step\n").unwrap();
        let mut env = vec![
            ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
            ("STRESSOR_JUNIT", junit.to_str().unwrap()),
            ("STRESSOR_AB_BASELINE_URL", a_url.as_str()),
            ("STRESSOR_AB_ROUNDS", "12"),
            ("STRESSOR_AB_ROUND_TIME", "250ms"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ];
        env.extend_from_slice(extra);
        let (out, text) = common::harness::harness(&[], &env);
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (out.status.code(), text, read(&junit), read(&summary))
    })
    .await
    .expect("joins")
}

/// Whether libtest printed `test NAME ... STATUS` (names are padded to one width).
fn outcome(text: &str, name: &str, status: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with(&format!("test {name} ")) && l.ends_with(&format!("... {status}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_judges_each_file_against_the_baseline_service() {
    let (list, text) = common::harness::harness(
        &["--list"],
        &[
            (
                "STRESSOR_FIXTURES_ROOT",
                common::harness::fixtures_root(&[("ab.yaml", FIXTURE)])
                    .path()
                    .to_str()
                    .unwrap(),
            ),
            ("STRESSOR_AB_BASELINE_URL", "http://127.0.0.1:9"),
        ],
    );
    assert!(list.status.success(), "{text}");
    for name in [
        "fixtures/ab::main",
        "fixtures/ab::ab::run::p50",
        "fixtures/ab::ab::run::min_rps",
        "fixtures/ab::run",
    ] {
        assert!(text.contains(&format!("{name}: test")), "{name} in {text}");
    }

    // A answers at once, B (the target's /slow?ms=5) takes 5 ms: B regressed.
    let instant = common::scripted::phased(|_| common::scripted::OK).await;
    let (code, text, junit, summary) = harness_ab(instant.url.clone(), &[]).await;
    assert_eq!(code, Some(101), "{text}");
    assert!(outcome(&text, "fixtures/ab::ab::run::p50", "FAILED"), "{text}");
    assert!(
        outcome(&text, "fixtures/ab::main", "ok"),
        "the file's own trials are judged on B: {text}"
    );
    assert!(
        junit.contains(r#"<testcase name="fixtures/ab::ab::run::p50""#),
        "{junit}"
    );
    assert!(
        summary.starts_with("earlier step\n### ❌ stressor: `fixtures/ab`"),
        "appended: {summary}"
    );
    assert!(summary.contains("| the run | p50 |"), "{summary}");

    // A is the same kind of service: nothing regressed.
    let same = server().await;
    let (_, text, _, _) = harness_ab(same.url(), &[("STRESSOR_INCONCLUSIVE", "pass")]).await;
    assert!(!outcome(&text, "fixtures/ab::ab::run::p50", "FAILED"), "{text}");
}

#[test]
fn the_command_starts_both_services_and_writes_every_report() {
    let (dir, file) = common::write_files(&[("ab.yaml", SCENARIO)]);
    let bin = env!("CARGO_BIN_EXE_stressor");
    let serve = format!("{bin} serve --port {{port}}");
    let path = |name: &str| dir.path().join(name);
    let step_summary = path("step-summary.md");
    let out = common::stressor()
        .arg("ab")
        .arg(&file)
        .args(["--a-cmd", &serve, "--b-cmd", &serve, "--b-option", "delay_ms:12"])
        .args(["--rounds", "10", "--round-time", "250ms", "--warmup", "500ms"])
        .arg("--out")
        .arg(path("ab.json"))
        .arg("--junit")
        .arg(path("ab.xml"))
        .arg("--summary-md")
        .arg(path("ab.md"))
        .env("GITHUB_STEP_SUMMARY", &step_summary)
        .output()
        .expect("runs");
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(1), "B sleeps 12 ms, A 2 ms: {text}");
    assert!(text.contains("Result: REGRESSED ("), "{text}");
    assert!(text.contains("| the run | p50        |"), "{text}");

    let json = common::results_json(&path("ab.json"));
    assert_eq!(json["schema"], "stressor-ab/1");
    assert_eq!(json["rounds"], 10);
    assert_eq!(json["verdict"], "failed");
    assert_eq!(json["b"]["schema"], "stressor-results/1", "each side as a results file");
    let p50 = &json["comparison"][0]["deltas"][0];
    assert_eq!(p50["call"], "regressed", "{p50}");
    assert!(p50["interval"][0].as_f64().unwrap() > 0.0, "{p50}");

    common::junit::assert_valid(&path("ab.xml"));
    let junit = std::fs::read_to_string(path("ab.xml")).unwrap();
    assert!(junit.contains(r#"/ab::ab::run::p50" time="0""#), "{junit}");
    let md = std::fs::read_to_string(path("ab.md")).unwrap();
    assert!(md.starts_with("### ❌ stressor ab: `ab`"), "{md}");
    assert!(md.contains("| the run | p50 |"), "{md}");
    assert_eq!(
        std::fs::read_to_string(&step_summary).unwrap(),
        md,
        "the same Markdown, appended"
    );

    // The services are gone with the command.
    let ports: Vec<String> = [&json["a"]["base_url"], &json["b"]["base_url"]]
        .iter()
        .map(|u| u.as_str().unwrap().rsplit(':').next().unwrap().to_string())
        .collect();
    for port in ports {
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        assert!(
            std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err(),
            "nothing listens on {port} any more"
        );
    }
}
