//! Coordinated distributed runs: a `stressor coordinate` process and shard processes (`stressor run
//! --coordinator URL`) on loopback against a built-in target server in this process — the start
//! skew, exact merging, a shard killed mid-run, stale and restarted shards, `abort_on_fail` on the
//! merged run, the merged monitor, the token, and shards that outlive their coordinator; and, where
//! the machine lets root make network namespaces, four shards as four hosts.

use crate::common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use stressor::target::{TargetConfig, TargetServer};

/// The shared secret of these runs; no output may show it.
const TOKEN: &str = "coordinate-test-token-5f1c";

/// A `stressor` process whose stdout and stderr go to files (read while it runs).
struct Proc {
    child: Child,
    name: String,
    out: PathBuf,
    err: PathBuf,
}

impl Proc {
    /// `stressor ARGS` in `dir`, with the token unless `token` is `None`.
    fn spawn(dir: &Path, name: &str, args: &[&str], token: Option<&str>) -> Proc {
        Proc::spawn_in(None, dir, name, args, token)
    }

    /// Like [`Proc::spawn`], in the network namespace `netns` when given (`ip netns exec`).
    fn spawn_in(netns: Option<&str>, dir: &Path, name: &str, args: &[&str], token: Option<&str>) -> Proc {
        let (out, err) = (dir.join(format!("{name}.out")), dir.join(format!("{name}.err")));
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, env!("CARGO_BIN_EXE_stressor")])
                    .env_remove("NO_COLOR")
                    .env_remove("RUST_LOG");
                c
            }
            None => common::stressor(),
        };
        cmd.current_dir(dir)
            .args(args)
            .env_remove(stressor::coordinate::protocol::TOKEN_ENV)
            .env_remove(stressor::coordinate::protocol::URL_ENV)
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("JOB_COMPLETIONS")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"));
        if let Some(token) = token {
            cmd.env(stressor::coordinate::protocol::TOKEN_ENV, token);
        }
        Proc {
            child: cmd.spawn().expect("spawn stressor"),
            name: name.to_string(),
            out,
            err,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Waits for the exit (killing it after `limit`); the exit code and its output.
    fn wait(mut self, limit: Duration) -> Done {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Done {
                    code: status.code(),
                    stdout: self.stdout(),
                    stderr: self.stderr(),
                    name: self.name.clone(),
                };
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{} did not exit within {limit:?}\n--- stdout\n{}\n--- stderr\n{}",
                    self.name,
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: nothing of the process runs after it.
    fn kill9(&mut self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A finished process.
struct Done {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    name: String,
}

impl Done {
    fn text(&self) -> String {
        format!(
            "{} (exit {:?})\n--- stdout\n{}\n--- stderr\n{}",
            self.name, self.code, self.stdout, self.stderr
        )
    }

    /// A run that passed: exit 0, or 4 for the one reason a loaded test machine gives (a shard's
    /// scheduler lag makes its generator count as the bottleneck), and nothing else.
    fn assert_passed(&self) {
        if self.code == Some(4) {
            assert!(
                self.stdout
                    .contains("Result: INCONCLUSIVE (the load generator was the bottleneck)\n"),
                "{}",
                self.text()
            );
            eprintln!(
                "note: {} passed, but the machine was too loaded to call it a pass",
                self.name
            );
            return;
        }
        self.assert_code(0);
    }

    fn assert_code(&self, code: i32) {
        assert_eq!(self.code, Some(code), "{}", self.text());
        assert!(
            !self.stdout.contains(TOKEN) && !self.stderr.contains(TOKEN),
            "the token leaked: {}",
            self.text()
        );
    }
}

/// Polls `f` until it gives a value (panicking with `what` after `limit`).
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The URL of a coordinator started with `--listen 127.0.0.1:0`, from its first line.
fn coordinator_url(p: &Proc) -> String {
    wait_for("the coordinator to listen", Duration::from_secs(60), || {
        let err = p.stderr();
        let at = err.find("listening on ")? + "listening on ".len();
        let addr = err[at..].lines().next()?.trim();
        Some(format!("http://{addr}"))
    })
}

/// Starts a coordinator of `shards` shards for `scenario` in `dir`, with more arguments (on a free
/// loopback port unless they say `--listen`).
fn coordinator(dir: &Path, scenario: &str, shards: u32, more: &[&str]) -> (Proc, String) {
    let n = shards.to_string();
    let mut args = vec!["coordinate", scenario, "--shards", &n];
    if !more.contains(&"--listen") {
        args.extend(["--listen", "127.0.0.1:0"]);
    }
    args.extend(more);
    let p = Proc::spawn(dir, "coordinator", &args, Some(TOKEN));
    let url = coordinator_url(&p);
    (p, url)
}

/// Starts shard `k` of `n`, reporting to `url`, writing `shard-K.json`.
fn shard(dir: &Path, scenario: &str, k: u32, n: u32, url: &str) -> Proc {
    shard_in(None, dir, scenario, k, n, url)
}

/// Like [`shard`], in a network namespace when given.
fn shard_in(netns: Option<&str>, dir: &Path, scenario: &str, k: u32, n: u32, url: &str) -> Proc {
    let (spec, out) = (format!("{k}/{n}"), format!("shard-{k}.json"));
    Proc::spawn_in(
        netns,
        dir,
        &format!("shard-{k}"),
        &[
            "run",
            scenario,
            "--shard",
            &spec,
            "--coordinator",
            url,
            "--out",
            &out,
            "--no-color",
        ],
        Some(TOKEN),
    )
}

/// `stressor merge PARTS --out OUT` without a warning (a pass, or an inconclusive run on a loaded
/// machine); the merged results.
fn merge_files(parts: &[&Path], out: &Path) -> Value {
    let merged = common::stressor()
        .arg("merge")
        .args(parts)
        .arg("--out")
        .arg(out)
        .output()
        .expect("merge");
    let text = common::output_text(&merged);
    assert!(matches!(merged.status.code(), Some(0 | 4)), "{text}");
    assert!(!text.contains("warning"), "{text}");
    common::results_json(out)
}

fn results(dir: &Path, name: &str) -> Value {
    common::results_json(&dir.join(name))
}

/// The built-in target's routes behind a hyper server that notes, for each request, the
/// `X-Session` header it carried, the address it came from and when it arrived.
struct Recording {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Clone)]
struct Seen {
    session: String,
    from: std::net::IpAddr,
    at: SystemTime,
}

fn recording_target(ip: std::net::IpAddr) -> Recording {
    use hyper::body::Incoming;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto;
    use tower::Service;
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let noted = seen.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            let app = TargetServer::app(TargetConfig::default()).expect("routes");
            while let Ok((tcp, peer)) = listener.accept().await {
                let (app, noted) = (app.clone(), noted.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let session = req
                            .headers()
                            .get("x-session")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        noted.lock().expect("lock").push(Seen {
                            session,
                            from: peer.ip(),
                            at: SystemTime::now(),
                        });
                        let mut app = app.clone();
                        async move { app.call(req).await }
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
    });
    let addr = rx.recv().expect("server address");
    Recording {
        url: format!("http://{addr}"),
        seen,
    }
}

/// The spread of the four shards' first requests at the server (session *i* runs in shard
/// *i* mod 4): the start skew.
fn start_skew(seen: &[Seen]) -> Duration {
    let firsts: Vec<SystemTime> = (0..4)
        .map(|k| {
            seen.iter()
                .filter(|s| {
                    let n: usize = s.session.trim_start_matches('t').parse().expect("session number");
                    (n - 1) % 4 == k
                })
                .map(|s| s.at)
                .min()
                .expect("a request of each shard")
        })
        .collect();
    let (earliest, latest) = (firsts.iter().min().expect("4"), firsts.iter().max().expect("4"));
    latest.duration_since(*earliest).unwrap_or_default()
}

/// Eight sessions in four shards (session *i* in shard *i* mod 4), each naming itself in a header.
const FOUR_SHARDS: &str = "file_version: stressor#0
config:
  name: together
  base_url: {BASE}
sessions:
  count: 8
scenario:
  - sequence: main
    duration: 8s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
      headers: {X-Session: $(session_id)}
    - activity: Sleep
      duration: 20ms
";

/// One SSE message of a monitor: its first `data:` line.
fn monitor_state(url: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut events = reqwest::Client::new()
            .get(format!("{url}events"))
            .send()
            .await
            .expect("GET /events");
        let mut text = String::new();
        while !text.contains("\n\n") {
            let chunk = events.chunk().await.expect("read").expect("an event");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    })
}

/// Presses the page's "Close monitor" button (after the run).
fn close_monitor(url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{url}stop"))
            .header("X-Stressor", "stop")
            .send()
            .await
            .expect("POST /stop")
            .status()
    });
    assert_eq!(status, 200, "the monitor closes");
}

/// The number in `<b id="ID">N</b>` of a monitor state.
fn shown(state: &str, id: &str) -> String {
    let start = state
        .find(&format!("<b id=\"{id}\">"))
        .unwrap_or_else(|| panic!("{id} in {state}"))
        + id.len()
        + 9;
    state[start..].split('<').next().expect("value").to_string()
}

#[test]
fn four_shards_start_together_merge_exactly_and_show_the_merged_run_live() {
    let target = recording_target(std::net::Ipv4Addr::LOCALHOST.into());
    let (dir, _) = common::write_files(&[("s.yaml", &FOUR_SHARDS.replace("{BASE}", &target.url))]);
    let dir = dir.path();
    let (coord, url) = coordinator(
        dir,
        "s.yaml",
        4,
        &[
            "--out",
            "merged.json",
            "--checkpoint",
            "1s",
            "--monitor",
            "--monitor-addr",
            "127.0.0.1:0",
            "--monitor-wait",
            "60s",
        ],
    );
    let monitor = wait_for("the monitor's address", Duration::from_secs(30), || {
        let err = coord.stderr();
        let at = err.find("Monitor: ")? + "Monitor: ".len();
        Some(err[at..].lines().next()?.trim().to_string())
    });
    let mut shards: Vec<Proc> = (1..=4).map(|k| shard(dir, "s.yaml", k, 4, &url)).collect();

    // While the run goes, the monitor shows the merged run: the eight sessions of the four shards
    // (each shard runs two) and their requests, growing.
    // Sampled while every shard still runs. The coordinator's --out holds the merged run so far
    // meanwhile (`"complete": false`), as `run --out` does.
    let mut counts: Vec<u64> = Vec::new();
    let mut checkpoints: Vec<u64> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline && shards.iter_mut().all(|s| s.child.try_wait().ok().flatten().is_none()) {
        let state = monitor_state(&monitor);
        if state.contains("data-status=\"running\"") && shown(&state, "sessions-total") == "8" {
            counts.push(shown(&state, "total-count").parse().expect("a count"));
        }
        if let Ok(r) = stressor::report::json::read(&dir.join("merged.json"))
            && !r.complete
        {
            checkpoints.push(r.stats.total.count);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        counts.len() >= 2 && counts.last() > counts.first(),
        "the merged count grows while the run goes: {counts:?}"
    );
    assert!(
        checkpoints.last().is_some_and(|n| *n > 0),
        "a checkpoint of the merged run: {checkpoints:?}"
    );
    for s in shards {
        s.wait(Duration::from_secs(90)).assert_code(0);
    }
    // The final state is the merged run; the page's Close button ends the coordinator.
    let last = wait_for("the final state", Duration::from_secs(60), || {
        let state = monitor_state(&monitor);
        state.contains("data-status=\"finished\"").then_some(state)
    });
    close_monitor(&monitor);
    let done = coord.wait(Duration::from_secs(60));
    done.assert_passed();

    // The start: the first request of each shard, as the server saw it.
    let seen = target.seen.lock().expect("lock").clone();
    let skew = start_skew(&seen);
    eprintln!("start skew between 4 shards on loopback (first requests at the server): {skew:?}");
    // The target is 50 ms; a shared, loaded machine gets a generous bound (the measured value is printed).
    assert!(skew < Duration::from_millis(500), "start skew {skew:?}");

    // The coordinator's merge is `stressor merge` of the shards' own files, exactly.
    let parts: Vec<PathBuf> = (1..=4).map(|k| dir.join(format!("shard-{k}.json"))).collect();
    let part_refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let by_merge = merge_files(&part_refs, &dir.join("by-merge.json"));
    let coordinated = results(dir, "merged.json");
    for key in ["total", "activities", "sequences"] {
        assert_eq!(coordinated["stats"][key], by_merge["stats"][key], "stats.{key}");
    }
    for key in ["count", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms"] {
        assert_eq!(coordinated["total"][key], by_merge["total"][key], "total.{key}");
    }
    let total = coordinated["total"]["count"].as_u64().expect("count");
    assert_eq!(total as usize, seen.len(), "every request the server saw, once");
    assert_eq!(coordinated["sessions"].as_u64(), Some(8));
    assert_eq!(coordinated["complete"], true);
    assert_eq!(shown(&last, "total-count"), total.to_string(), "{last}");
    let rate = coordinated["total"]["rate"].as_f64().expect("rate");
    assert_eq!(shown(&last, "total-rps"), format!("{rate:.1}"), "the merged rate");
}

/// Two sessions per shard, each request and a short sleep, for `duration`.
fn steady(base: &str, duration: &str) -> String {
    format!(
        "file_version: stressor#0
config:
  name: steady
  base_url: {base}
sessions:
  count: 8
scenario:
  - sequence: main
    duration: {duration}
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: Sleep
      duration: 50ms
"
    )
}

#[test]
fn a_shard_killed_mid_run_is_lost_and_named_and_the_others_data_are_all_there() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &steady(&target.url(), "6s"))]);
    let dir = dir.path();
    let (coord, url) = coordinator(dir, "s.yaml", 4, &["--out", "merged.json"]);
    let mut shards: Vec<Proc> = (1..=4).map(|k| shard(dir, "s.yaml", k, 4, &url)).collect();
    // Mid-run: after the start, once the shards have reported a few times.
    wait_for("requests", Duration::from_secs(60), || {
        (target.requests() >= 100).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    shards[2].kill9();
    let killed = shards.remove(2);
    drop(killed);
    for s in shards {
        s.wait(Duration::from_secs(90)).assert_code(0);
    }
    let done = coord.wait(Duration::from_secs(60));
    done.assert_code(4);
    assert!(
        done.stderr
            .contains("warning: shard 3/4 is lost (no report for 3s); the run goes on without it"),
        "{}",
        done.text()
    );
    assert!(
        done.stdout
            .contains("shard 3/4 was lost (no report for 3s, last report at "),
        "{}",
        done.text()
    );
    let merged = results(dir, "merged.json");
    assert_eq!(merged["verdict"], "inconclusive");
    assert_eq!(merged["lost"][0]["shard"], "3/4");
    // The other three shards' data are all there, and what the killed one had sent besides.
    let survivors: Vec<PathBuf> = [1, 2, 4].iter().map(|k| dir.join(format!("shard-{k}.json"))).collect();
    let survivor_refs: Vec<&Path> = survivors.iter().map(PathBuf::as_path).collect();
    // (Its exit code is this partial run's verdict, which does not matter here.)
    common::stressor()
        .arg("merge")
        .args(&survivor_refs)
        .arg("--out")
        .arg(dir.join("survivors.json"))
        .output()
        .expect("merge");
    let survivors = results(dir, "survivors.json");
    let (all, three) = (
        merged["total"]["count"].as_u64().expect("count"),
        survivors["total"]["count"].as_u64().expect("count"),
    );
    assert!(all > three, "the killed shard's reports count too: {all} vs {three}");
    assert!(
        all <= target.requests(),
        "nothing counted twice: {all} vs {}",
        target.requests()
    );
    assert_eq!(
        merged["sessions"].as_u64(),
        Some(8),
        "the lost shard's sessions are kept"
    );
}

#[test]
fn a_stale_scenario_is_refused_at_the_barrier_and_a_restarted_shard_adds_no_load() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let yaml = steady(&target.url(), "4s");
    let stale = yaml.replace("duration: 50ms", "duration: 60ms");
    let (dir, _) = common::write_files(&[("s.yaml", &yaml), ("old/s.yaml", &stale)]);
    let dir = dir.path();
    let (coord, url) = coordinator(dir, "s.yaml", 2, &["--out", "merged.json"]);
    let first = shard(dir, "s.yaml", 1, 2, &url);
    let old = shard(dir, "old/s.yaml", 2, 2, &url).wait(Duration::from_secs(60));
    old.assert_code(2);
    assert!(
        old.stderr.contains(
            "error: the coordinator refused shard 2/2: shard 2/2 loaded another scenario than the coordinator (sha256:"
        ),
        "{}",
        old.text()
    );
    assert!(
        old.stderr
            .contains("the scenario file, the files it loads and the -o options must be the same everywhere"),
        "{}",
        old.text()
    );
    assert_eq!(target.requests(), 0, "nothing started while a shard was missing");

    // The right file for shard 2: the run starts.
    let second = shard(dir, "s.yaml", 2, 2, &url);
    wait_for("requests", Duration::from_secs(60), || {
        (target.requests() > 0).then_some(())
    });
    // Shard 1 again (a replaced pod) after the start: refused, exits 0, sends nothing.
    let again = Proc::spawn(
        dir,
        "shard-1-again",
        &[
            "run",
            "s.yaml",
            "--shard",
            "1/2",
            "--coordinator",
            &url,
            "--out",
            "again.json",
        ],
        Some(TOKEN),
    )
    .wait(Duration::from_secs(60));
    again.assert_code(0);
    assert!(
        again.stderr.contains(
            "registered again after that (a restarted shard) and is refused, so that its load is never added twice"
        ),
        "{}",
        again.text()
    );
    assert!(!dir.join("again.json").exists(), "the refused shard ran nothing");
    first.wait(Duration::from_secs(60)).assert_code(0);
    second.wait(Duration::from_secs(60)).assert_code(0);
    let done = coord.wait(Duration::from_secs(60));
    done.assert_passed();
    assert!(
        done.stderr
            .contains("warning: refused a registration: shard 2/2 loaded another scenario"),
        "{}",
        done.text()
    );
    let merged = results(dir, "merged.json");
    assert_eq!(
        merged["total"]["count"].as_u64(),
        Some(target.requests()),
        "the server saw the two shards' requests and nothing else"
    );
}

#[test]
fn the_barrier_gives_up_after_wait_shards_naming_the_missing_shards() {
    let (dir, _) = common::write_files(&[("s.yaml", &steady("http://127.0.0.1:9", "1s"))]);
    let dir = dir.path();
    let (coord, url) = coordinator(dir, "s.yaml", 3, &["--wait-shards", "2s"]);
    let only = shard(dir, "s.yaml", 2, 3, &url);
    let done = coord.wait(Duration::from_secs(60));
    done.assert_code(5);
    assert!(
        done.stderr
            .contains("error: gave up waiting for the shards after 2s: missing 1/3, 3/3"),
        "{}",
        done.text()
    );
    let shard = only.wait(Duration::from_secs(60));
    shard.assert_code(5);
    assert!(
        shard
            .stderr
            .contains("the coordinator gave up the run: gave up waiting"),
        "{}",
        shard.text()
    );
}

/// Four shards whose requests fail half the time, each too slow to gather `min_samples` on its own.
const HALF_FAILING: &str = "file_version: stressor#0
config:
  name: failing
  base_url: {BASE}
sessions:
  count: 4
scenario:
  - sequence: main
    duration: 12s
thresholds:
  min_samples: 40
  error_rate: {max: 10%, abort_on_fail: true}
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: GetRequest
      url: /status/500
    - activity: Sleep
      duration: 800ms
";

#[test]
fn abort_on_fail_trips_on_the_merged_error_rate_when_no_shard_would_alone() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &HALF_FAILING.replace("{BASE}", &target.url()))]);
    let dir = dir.path();
    // One shard on its own: 30 executions in 12 s, under min_samples, so its abort never trips.
    let alone = Proc::spawn(
        dir,
        "alone",
        &["run", "s.yaml", "--shard", "1/4", "--out", "alone.json"],
        None,
    );
    let started = Instant::now();
    let (coord, url) = coordinator(dir, "s.yaml", 4, &["--out", "merged.json"]);
    let shards: Vec<Proc> = (1..=4).map(|k| shard(dir, "s.yaml", k, 4, &url)).collect();
    for s in shards {
        let done = s.wait(Duration::from_secs(90));
        done.assert_code(0);
        assert!(
            done.stdout.contains("Run stopped: an abort_on_fail threshold failed"),
            "{}",
            done.text()
        );
    }
    let done = coord.wait(Duration::from_secs(60));
    done.assert_code(1);
    assert!(
        done.stderr.contains("Stopping the run: error_rate of the run: "),
        "{}",
        done.text()
    );
    assert!(done.stdout.contains("aborted at "), "{}", done.text());
    let merged = results(dir, "merged.json");
    let aborted = merged["aborted"]["threshold"].as_str().expect("aborted");
    assert!(
        aborted.starts_with("error_rate of the run: ") && aborted.contains("> 10% ("),
        "{aborted}"
    );
    assert!(
        merged["elapsed"]["secs"].as_u64().expect("elapsed") < 10,
        "stopped well before the 12 s: {:?} after {:?}",
        merged["elapsed"],
        started.elapsed()
    );

    let alone = alone.wait(Duration::from_secs(60));
    let solo = results(dir, "alone.json");
    assert!(solo["aborted"].is_null(), "{}", alone.text());
    assert!(solo["total"]["count"].as_u64().expect("count") < 40, "{}", alone.text());
    assert!(alone.stdout.contains("not enough data"), "{}", alone.text());
}

#[test]
fn a_request_without_the_token_is_refused_with_401_and_changes_nothing() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &steady(&target.url(), "2s"))]);
    let dir = dir.path();
    let (coord, url) = coordinator(dir, "s.yaml", 1, &["--out", "merged.json"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = reqwest::Client::new();
    let register = serde_json::json!({
        "protocol": 1, "version": env!("CARGO_PKG_VERSION"), "shard": "1/1",
        "scenario": "sha256:0", "clock": {"offset_ns": 0, "uncertainty_ns": 0}
    });
    let attempts = [
        ("POST", "/v1/register", Some(register.to_string()), None),
        ("POST", "/v1/stop", None, Some("Bearer wrong-token")),
        ("GET", "/v1/start", None, None),
        (
            "POST",
            "/v1/results",
            Some(r#"{"shard": "1/1", "results": {}}"#.to_string()),
            Some(TOKEN),
        ),
    ];
    for (method, path, body, auth) in attempts {
        let status = runtime.block_on(async {
            let mut request = match method {
                "GET" => http.get(format!("{url}{path}")),
                _ => http.post(format!("{url}{path}")),
            };
            if let Some(body) = body {
                request = request.header("content-type", "application/json").body(body);
            }
            if let Some(auth) = auth {
                // The token without `Bearer ` is no token either.
                request = request.header(
                    "authorization",
                    auth.strip_prefix("Bearer ")
                        .map_or(auth.to_string(), |t| format!("Token {t}")),
                );
            }
            request.send().await.expect("request").status()
        });
        assert_eq!(status, 401, "{method} {path}");
    }
    // The run happens as if nothing had been sent: not stopped, nothing added.
    let one = shard(dir, "s.yaml", 1, 1, &url).wait(Duration::from_secs(60));
    one.assert_code(0);
    let done = coord.wait(Duration::from_secs(60));
    done.assert_passed();
    assert!(
        done.stderr
            .contains("warning: 4 request(s) without a valid token were refused and changed nothing"),
        "{}",
        done.text()
    );
    assert_eq!(
        done.stderr.matches("no valid token").count(),
        4,
        "each logged: {}",
        done.text()
    );
    let (merged, own) = (results(dir, "merged.json"), results(dir, "shard-1.json"));
    assert_eq!(merged["total"]["count"], own["total"]["count"]);
    assert!(merged["stop"].is_null(), "not stopped");

    // A shard with another token is refused before it runs anything.
    let (coord, url) = coordinator(dir, "s.yaml", 1, &["--wait-shards", "5s"]);
    let wrong = Proc::spawn(
        dir,
        "wrong-token",
        &["run", "s.yaml", "--shard", "1/1", "--coordinator", &url],
        Some("another-token"),
    )
    .wait(Duration::from_secs(60));
    wrong.assert_code(2);
    assert!(wrong.stderr.contains("missing or wrong token"), "{}", wrong.text());
    coord.wait(Duration::from_secs(60)).assert_code(5);
}

#[test]
fn shards_outlive_a_killed_coordinator_print_their_results_and_merge_from_their_logs() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &steady(&target.url(), "5s"))]);
    let dir = dir.path();
    let (mut coord, url) = coordinator(dir, "s.yaml", 2, &[]);
    let shards: Vec<Proc> = (1..=2).map(|k| shard(dir, "s.yaml", k, 2, &url)).collect();
    wait_for("requests", Duration::from_secs(60), || {
        (target.requests() >= 20).then_some(())
    });
    coord.kill9();
    let mut logs = String::new();
    for s in shards {
        let done = s.wait(Duration::from_secs(90));
        done.assert_code(5);
        assert!(
            done.stderr
                .contains("this shard's results follow on stdout as one line"),
            "{}",
            done.text()
        );
        // What `kubectl logs -l job-name=...` gives: both pods' output, one after the other.
        logs.push_str(&done.stdout);
    }
    std::fs::write(dir.join("job.log"), &logs).expect("log");
    let from_logs = common::stressor()
        .args(["merge", "--from-logs", "-", "--out", "from-logs.json"])
        .current_dir(dir)
        .stdin(std::fs::File::open(dir.join("job.log")).expect("log"))
        .output()
        .expect("merge --from-logs");
    assert!(
        from_logs.status.code().is_some_and(|c| c == 0 || c == 4),
        "{}",
        common::output_text(&from_logs)
    );
    let parts = [dir.join("shard-1.json"), dir.join("shard-2.json")];
    let by_files = merge_files(&[&parts[0], &parts[1]], &dir.join("by-files.json"));
    let by_logs = results(dir, "from-logs.json");
    assert_eq!(by_logs["stats"]["total"], by_files["stats"]["total"]);
    assert_eq!(
        by_logs["total"]["count"].as_u64(),
        Some(target.requests()),
        "the whole load, from the logs alone"
    );
}

#[test]
fn shard_1_coordinates_too_so_an_indexed_job_needs_no_extra_pod() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &steady(&target.url(), "2s"))]);
    let dir = dir.path();
    // The same command for every pod of the Job; the index decides who coordinates.
    let pod = |index: &str, url: &str| {
        let (out, err) = (
            dir.join(format!("pod-{index}.out")),
            dir.join(format!("pod-{index}.err")),
        );
        let child = common::stressor()
            .current_dir(dir)
            .args([
                "run",
                "s.yaml",
                "--coordinate",
                "127.0.0.1:0",
                "--out",
                "out.json",
                "--print-results",
            ])
            .env("JOB_COMPLETION_INDEX", index)
            .env("JOB_COMPLETIONS", "2")
            .env(stressor::coordinate::protocol::TOKEN_ENV, TOKEN)
            .env(stressor::coordinate::protocol::URL_ENV, url)
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::fs::File::create(&err).expect("err"))
            .spawn()
            .expect("spawn");
        Proc {
            child,
            name: format!("pod-{index}"),
            out,
            err,
        }
    };
    let zero = pod("0", "http://unused.invalid");
    let url = coordinator_url(&zero);
    let one = pod("1", &url);
    let one = one.wait(Duration::from_secs(60));
    one.assert_code(0);
    let zero = zero.wait(Duration::from_secs(60));
    zero.assert_passed();
    // Pod 0's --out is the merged run; pod 1's is its own part (in the same folder here, so pod 0
    // wrote last); both printed their results for the logs.
    let merged = results(dir, "out.json");
    assert_eq!(merged["total"]["count"].as_u64(), Some(target.requests()));
    assert!(merged["shard"].is_null(), "merged, not a part");
    assert!(
        zero.stdout
            .contains(&format!("{} {{\"kind\":\"merged\"", stressor::report::logs::MARKER)),
        "{}",
        zero.text()
    );
    assert!(
        one.stdout
            .contains(&format!("{} {{\"kind\":\"part\"", stressor::report::logs::MARKER)),
        "{}",
        one.text()
    );
}

/// Network namespaces joined by a bridge: a test's separate hosts on one machine (root only).
struct Hosts {
    bridge: String,
    namespaces: Vec<String>,
    /// The bridge's address: what every host reaches the others' services at.
    gateway: std::net::Ipv4Addr,
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Hosts {
    /// `n` hosts, or `None` where namespaces cannot be made (not root, no `ip`).
    fn new(n: u32) -> Option<Hosts> {
        let tag = std::process::id() % 10_000;
        let net = 100 + (std::process::id() % 150) as u8;
        let mut hosts = Hosts {
            bridge: format!("stb{tag}"),
            namespaces: Vec::new(),
            gateway: std::net::Ipv4Addr::new(10, 201, net, 1),
        };
        let (bridge, gateway) = (hosts.bridge.clone(), format!("{}/24", hosts.gateway));
        let mut ok = ip(&["link", "add", &bridge, "type", "bridge"])
            && ip(&["addr", "add", &gateway, "dev", &bridge])
            && ip(&["link", "set", &bridge, "up"]);
        for k in 1..=n {
            let (ns, outside, inside) = (format!("st{tag}n{k}"), format!("st{tag}v{k}"), format!("st{tag}p{k}"));
            let address = format!("10.201.{net}.{}/24", 10 + k);
            ok = ok && ip(&["netns", "add", &ns]);
            if ok {
                hosts.namespaces.push(ns.clone());
            }
            ok = ok
                && ip(&["link", "add", &outside, "type", "veth", "peer", "name", &inside])
                && ip(&["link", "set", &inside, "netns", &ns])
                && ip(&["link", "set", &outside, "master", &bridge])
                && ip(&["link", "set", &outside, "up"])
                && ip(&["netns", "exec", &ns, "ip", "addr", "add", &address, "dev", &inside])
                && ip(&["netns", "exec", &ns, "ip", "link", "set", &inside, "up"])
                && ip(&["netns", "exec", &ns, "ip", "link", "set", "lo", "up"]);
        }
        ok.then_some(hosts)
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the veth pair, and with it the other end.
        for ns in &self.namespaces {
            ip(&["netns", "del", ns]);
        }
        ip(&["link", "del", &self.bridge]);
    }
}

#[test]
fn four_shards_on_four_hosts_start_together() {
    let Some(hosts) = Hosts::new(4) else {
        eprintln!("note: network namespaces cannot be made here (needs root and `ip`); the test is skipped");
        return;
    };
    let target = recording_target(hosts.gateway.into());
    let (dir, _) = common::write_files(&[("s.yaml", &FOUR_SHARDS.replace("{BASE}", &target.url))]);
    let dir = dir.path();
    let listen = format!("{}:0", hosts.gateway);
    let (coord, url) = coordinator(dir, "s.yaml", 4, &["--listen", &listen, "--out", "merged.json"]);
    let shards: Vec<Proc> = (1..=4)
        .map(|k| shard_in(Some(&hosts.namespaces[k as usize - 1]), dir, "s.yaml", k, 4, &url))
        .collect();
    for s in shards {
        s.wait(Duration::from_secs(90)).assert_code(0);
    }
    coord.wait(Duration::from_secs(60)).assert_passed();
    let seen = target.seen.lock().expect("lock").clone();
    let hosts_seen: std::collections::BTreeSet<_> = seen.iter().map(|s| s.from).collect();
    assert_eq!(hosts_seen.len(), 4, "requests came from four hosts: {hosts_seen:?}");
    let skew = start_skew(&seen);
    eprintln!("start skew between 4 shards on 4 network namespaces: {skew:?}");
    assert!(skew < Duration::from_millis(500), "start skew {skew:?}");
    let merged = results(dir, "merged.json");
    assert_eq!(merged["total"]["count"].as_u64(), Some(seen.len() as u64));
}
