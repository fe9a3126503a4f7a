//! What the coordinated-run tests share: `stressor` processes with their output in files, the
//! coordinator and shard command lines, a target server that notes who asked when, the monitor's
//! data endpoint, and network namespaces as hosts.

use crate::common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use stressor::target::{TargetConfig, TargetServer};

/// The shared secret of these runs; no output may show it.
pub(super) const TOKEN: &str = "coordinate-test-token-5f1c";

/// A `stressor` process whose stdout and stderr go to files (read while it runs).
pub(super) struct Proc {
    pub(super) child: Child,
    pub(super) name: String,
    pub(super) out: PathBuf,
    pub(super) err: PathBuf,
}

impl Proc {
    /// `stressor ARGS` in `dir`, with the token unless `token` is `None`.
    pub(super) fn spawn(dir: &Path, name: &str, args: &[&str], token: Option<&str>) -> Proc {
        Proc::spawn_in(None, dir, name, args, token)
    }

    /// Like [`Proc::spawn`], in the network namespace `netns` when given (`ip netns exec`).
    pub(super) fn spawn_in(netns: Option<&str>, dir: &Path, name: &str, args: &[&str], token: Option<&str>) -> Proc {
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

    pub(super) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    pub(super) fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Waits for the exit (killing it after `limit`); the exit code and its output.
    pub(super) fn wait(mut self, limit: Duration) -> Done {
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
    pub(super) fn kill9(&mut self) {
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
pub(super) struct Done {
    pub(super) code: Option<i32>,
    pub(super) stdout: String,
    pub(super) stderr: String,
    pub(super) name: String,
}

impl Done {
    pub(super) fn text(&self) -> String {
        format!(
            "{} (exit {:?})\n--- stdout\n{}\n--- stderr\n{}",
            self.name, self.code, self.stdout, self.stderr
        )
    }

    /// A run that passed: exit 0, or 4 for the one reason a loaded test machine gives (a shard's
    /// scheduler lag makes its generator count as the bottleneck), and nothing else.
    pub(super) fn assert_passed(&self) {
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

    pub(super) fn assert_code(&self, code: i32) {
        assert_eq!(self.code, Some(code), "{}", self.text());
        assert!(
            !self.stdout.contains(TOKEN) && !self.stderr.contains(TOKEN),
            "the token leaked: {}",
            self.text()
        );
    }
}

/// Polls `f` until it gives a value (panicking with `what` after `limit`).
pub(super) fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
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
pub(super) fn coordinator_url(p: &Proc) -> String {
    wait_for("the coordinator to listen", Duration::from_secs(60), || {
        let err = p.stderr();
        let at = err.find("listening on ")? + "listening on ".len();
        let addr = err[at..].lines().next()?.trim();
        Some(format!("http://{addr}"))
    })
}

/// Starts a coordinator of `shards` shards for `scenario` in `dir`, with more arguments (on a free
/// loopback port unless they say `--listen`).
pub(super) fn coordinator(dir: &Path, scenario: &str, shards: u32, more: &[&str]) -> (Proc, String) {
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
pub(super) fn shard(dir: &Path, scenario: &str, k: u32, n: u32, url: &str) -> Proc {
    shard_in(None, dir, scenario, k, n, url)
}

/// Like [`shard`], in a network namespace when given.
pub(super) fn shard_in(netns: Option<&str>, dir: &Path, scenario: &str, k: u32, n: u32, url: &str) -> Proc {
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
pub(super) fn merge_files(parts: &[&Path], out: &Path) -> Value {
    let merged = common::stressor()
        .arg("merge")
        .args(parts)
        .arg("--out")
        .arg(out)
        .output()
        .expect("merge");
    let text = common::output_text(&merged);
    assert!(matches!(merged.status.code(), Some(0 | 4)), "{text}");
    let stderr = String::from_utf8_lossy(&merged.stderr);
    assert!(!stderr.lines().any(|l| l.starts_with("warning:")), "{text}");
    common::results_json(out)
}

pub(super) fn results(dir: &Path, name: &str) -> Value {
    common::results_json(&dir.join(name))
}

/// The built-in target's routes behind a hyper server that notes, for each request, the
/// `X-Session` header it carried, the address it came from and when it arrived.
pub(super) struct Recording {
    pub(super) url: String,
    pub(super) seen: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Clone)]
pub(super) struct Seen {
    pub(super) session: String,
    pub(super) from: std::net::IpAddr,
    pub(super) at: SystemTime,
}

pub(super) fn recording_target(ip: std::net::IpAddr) -> Recording {
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
pub(super) fn start_skew(seen: &[Seen]) -> Duration {
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

/// One SSE message of a monitor: its first `data:` line.
pub(super) fn monitor_state(url: &str) -> String {
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
pub(super) fn close_monitor(url: &str) {
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
pub(super) fn shown(state: &str, id: &str) -> String {
    let start = state
        .find(&format!("<b id=\"{id}\">"))
        .unwrap_or_else(|| panic!("{id} in {state}"))
        + id.len()
        + 9;
    state[start..].split('<').next().expect("value").to_string()
}

/// Two sessions per shard, each request and a short sleep, for `duration`.
pub(super) fn steady(base: &str, duration: &str) -> String {
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

/// Network namespaces joined by a bridge: a test's separate hosts on one machine (root only).
pub(super) struct Hosts {
    pub(super) bridge: String,
    pub(super) namespaces: Vec<String>,
    /// The bridge's address: what every host reaches the others' services at.
    pub(super) gateway: std::net::Ipv4Addr,
}

pub(super) fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Hosts {
    /// `n` hosts, or `None` where namespaces cannot be made (not root, no `ip`).
    pub(super) fn new(n: u32) -> Option<Hosts> {
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
