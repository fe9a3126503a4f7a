//! The open model (`load.model: arrival-rate`) against the built-in target server: passes start on
//! the schedule, sessions come from a bounded pool, `init` and `end` run once per session, latency
//! is recorded from the intended start too, and arrivals that find no free session are dropped and
//! make the run inconclusive.

use crate::common;

use common::run::{counts, run_yaml, server};
use common::{cmd, write_files};
use stressor::run::RunOptions;

fn scenario(load: &str, main: &str) -> String {
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: {{BASE}}\nload:\n{load}scenario:\n  - sequence: init\n  - sequence: main\n  - sequence: end\nsequences:\n  init:\n    - activity: GetRequest\n      url: /test1.json\n  main:\n{main}  end:\n    - activity: GetRequest\n      url: /test1.json\n"
    )
}

const QUICK_MAIN: &str = "    - activity: GetRequest\n      url: /test1.json\n      assert_json: {foo: bar}\n";

#[tokio::test]
async fn arrivals_follow_the_schedule_on_a_bounded_pool_of_sessions() {
    let srv = server().await;
    // 20/s for 1.5 s: 30 arrivals, the first at once.
    let load = "  model: arrival-rate\n  stages:\n    - {rate: 20/s, duration: 1.5s}\n  max_sessions: 4\n";
    let report = run_yaml(&srv, &scenario(load, QUICK_MAIN), RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
    assert_eq!(report.health.arrivals, Some(30));
    assert_eq!(report.health.dropped_arrivals, 0);
    assert_eq!(counts(&report, "main", 0), (30, 0));
    let sessions = u64::from(report.sessions);
    assert!((1..=4).contains(&sessions), "{sessions} sessions");
    // init and end once per session created.
    assert_eq!(counts(&report, "init", 0), (sessions, 0));
    assert_eq!(counts(&report, "end", 0), (sessions, 0));
    // Every main pass is also timed from its intended start, which is never after its actual start.
    let rt = report.stats.response_time.as_ref().expect("response times");
    let main = report
        .activities
        .iter()
        .position(|a| a.sequence == "main")
        .expect("main/0");
    assert_eq!(rt.activities[main].count, 30);
    let (service, response) = (&report.stats.activities[main].latency, &rt.activities[main].latency);
    assert!(
        response.max() >= service.max(),
        "{:?} < {:?}",
        response.max(),
        service.max()
    );
    // The schedule took its 1.5 s, not less (the last arrival is due at 1.45 s).
    assert!(report.elapsed.as_secs_f64() >= 1.45, "{:?}", report.elapsed);
}

#[tokio::test]
async fn arrivals_that_find_every_session_busy_are_dropped_and_the_run_is_inconclusive() {
    let srv = server().await;
    // One session, each pass 300 ms, 20 arrivals per second: most must be dropped.
    let load = "  model: arrival-rate\n  stages:\n    - {rate: 20/s, duration: 1s}\n  max_sessions: 1\n";
    let main = "    - activity: GetRequest\n      url: /slow?s=0.3\n";
    let report = run_yaml(&srv, &scenario(load, main), RunOptions::default()).await;
    assert_eq!(report.health.arrivals, Some(20));
    let dropped = report.health.dropped_arrivals;
    let (run, _) = counts(&report, "main", 0);
    assert_eq!(run + dropped, 20, "every arrival is either run or dropped");
    assert!(dropped >= 10, "{dropped} dropped");
    assert_eq!(report.sessions, 1);
    assert!(
        report
            .health
            .overload
            .iter()
            .any(|o| o.contains(&format!("{dropped} of 20 arrivals were dropped"))),
        "{:?}",
        report.health.overload
    );
}

#[test]
fn the_cli_reports_the_schedule_and_exits_4_on_dropped_arrivals() {
    let yaml = scenario(
        "  model: arrival-rate\n  stages:\n    - {rate: 10/s, duration: 1s}\n  max_sessions: 1\n",
        "    - activity: GetRequest\n      url: /slow?s=0.5\n",
    )
    .replace("{BASE}", "http://127.0.0.1:8082");
    let (_dir, main) = write_files(&[("open.yaml", &yaml)]);
    let a = cmd().args(["run", "--serve"]).arg(&main).assert().code(4);
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("Running 'open': arrival rate 10/s for 1s, up to 1 session(s)"),
        "{err}"
    );
    assert!(out.contains("response time from intended start"), "{out}");
    assert!(out.contains("Arrivals: 10 due,"), "{out}");
    assert!(
        out.contains("arrivals were dropped because every session was busy"),
        "{out}"
    );
    assert!(out.contains("Result: INCONCLUSIVE"), "{out}");
}

#[tokio::test]
async fn poisson_arrivals_run_the_seeded_schedule() {
    use std::time::Duration;
    use stressor::run::arrivals::poisson_offsets;
    use stressor::scenario::Stage;
    let srv = server().await;
    // 40/s for 3 s: a Poisson count with mean 120 (sd ~11); seed 11 fixes which.
    let load = "  model: arrival-rate\n  arrivals: poisson\n  seed: 11\n  stages:\n    - {rate: 40/s, duration: 3s}\n  max_sessions: 20\n";
    let report = run_yaml(&srv, &scenario(load, QUICK_MAIN), RunOptions::default()).await;
    let stage = Stage {
        rate: 40.0,
        duration: Duration::from_secs(3),
    };
    let expected = poisson_offsets(std::slice::from_ref(&stage), 11, 1).count() as u64;
    assert!((65..=175).contains(&expected), "{expected} arrivals in the schedule");
    assert_ne!(
        expected, 120,
        "seeded Poisson arrivals are not the constant schedule's 120"
    );
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
    assert_eq!(report.health.arrivals, Some(expected));
    assert_eq!(report.health.dropped_arrivals, 0);
    assert_eq!(counts(&report, "main", 0), (expected, 0));
    assert_eq!(report.health.arrival_seeds, [11]);
    // The same seed, run again, produces the same number of arrivals.
    let again = run_yaml(&srv, &scenario(load, QUICK_MAIN), RunOptions::default()).await;
    assert_eq!(again.health.arrivals, Some(expected));

    // Without a seed, the one drawn is reported, and running with it repeats the schedule.
    let unseeded = load.replace("  seed: 11\n", "");
    let drawn = run_yaml(&srv, &scenario(&unseeded, QUICK_MAIN), RunOptions::default()).await;
    let [seed] = drawn.health.arrival_seeds[..] else {
        panic!("one seed: {:?}", drawn.health.arrival_seeds)
    };
    // Small enough to be written back into YAML (a signed 64-bit integer) and read from JSON by doubles.
    assert!(seed < 1 << 53, "{seed}");
    let replay = unseeded.replace("  stages:", &format!("  seed: {seed}\n  stages:"));
    let repeated = run_yaml(&srv, &scenario(&replay, QUICK_MAIN), RunOptions::default()).await;
    assert_eq!(repeated.health.arrivals, drawn.health.arrivals);
    assert_eq!(
        drawn.health.arrivals,
        Some(poisson_offsets(std::slice::from_ref(&stage), seed, 1).count() as u64)
    );
}

#[test]
fn the_cli_names_poisson_arrivals_and_their_seed() {
    let yaml = scenario(
        "  model: arrival-rate\n  arrivals: poisson\n  seed: 5\n  stages:\n    - {rate: 10/s, duration: 1s}\n",
        QUICK_MAIN,
    )
    .replace("{BASE}", "http://127.0.0.1:8082");
    let (_dir, main) = write_files(&[("open.yaml", &yaml)]);
    let a = cmd().args(["run", "--serve"]).arg(&main).assert();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("Running 'open': arrival rate 10/s for 1s (Poisson, seed 5), up to 100 session(s)"),
        "{err}"
    );
}

#[test]
fn an_unseeded_poisson_run_logs_its_seed() {
    let yaml = scenario(
        "  model: arrival-rate\n  arrivals: poisson\n  stages:\n    - {rate: 10/s, duration: 0.5s}\n",
        QUICK_MAIN,
    )
    .replace("{BASE}", "http://127.0.0.1:8082");
    let (_dir, main) = write_files(&[("open.yaml", &yaml)]);
    let a = cmd().args(["run", "--serve", "-v"]).arg(&main).assert();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    let line = err
        .lines()
        .find(|l| l.contains("Poisson arrivals drawn from a new seed"))
        .unwrap_or_else(|| panic!("no seed logged: {err}"));
    let seed = line.split("seed=").nth(1).and_then(|s| s.split_whitespace().next());
    assert!(seed.is_some_and(|s| s.parse::<u64>().is_ok()), "{line}");
}

/// Issue 27: an absurd rate must not make a run outlast its stages. 10^9 arrivals per second for 1 s
/// on 4 sessions took minutes (~75 ns per dropped arrival); arrivals due while every session is busy
/// are now dropped in bulk, so the run lasts its stage plus at most the grace period (10 s by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_rate_lasts_as_long_as_its_stages() {
    let srv = server().await;
    let load = "  model: arrival-rate\n  stages:\n    - {rate: 1000000000/s, duration: 1s}\n  max_sessions: 4\n";
    let started = std::time::Instant::now();
    let report = run_yaml(&srv, &scenario(load, QUICK_MAIN), RunOptions::default()).await;
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(11), "took {took:?}");
    let due = report.health.arrivals.expect("arrivals");
    assert_eq!(due, 1_000_000_000, "every arrival of the stage is counted");
    let (run, errors) = counts(&report, "main", 0);
    assert_eq!(errors, 0);
    assert_eq!(
        run + report.health.dropped_arrivals,
        due,
        "every arrival is either run or dropped"
    );
    assert!(run >= 4, "{run} passes ran");
    eprintln!(
        "1e9/s for 1 s on 4 sessions: {took:?}, {run} passes, {} dropped",
        report.health.dropped_arrivals
    );
}
