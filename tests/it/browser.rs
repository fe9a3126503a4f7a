//! The live monitor and the HTML report in a real browser: headless Chromium driven over WebDriver
//! (chromedriver started by the test on a free port, fantoccini as the client), against the CLI binary
//! running real load on the built-in target server. The tests write screenshots under
//! `target/stressor/screenshots/` (`monitor-running.png`, `monitor.png`, `report.png`).
//!
//! Chromium and chromedriver come from the Debian packages `chromium` and `chromium-driver` (`.ci/run`
//! installs them). Without them the tests fail under CI (`CI` set) and are skipped with a reason
//! elsewhere.

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A chromedriver process, killed on drop. One at a time: two chromedrivers started at once can be
/// handed the same free port, and then the second exits while the first answers for it (seen in CI as
/// "connection refused" once the first test ended); two Chromiums on two cores also starve the load.
struct Driver {
    child: Child,
    port: u16,
    _turn: std::sync::MutexGuard<'static, ()>,
}

static DRIVER_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|p| p.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Starts chromedriver, or says why not: a failure under CI, a skip elsewhere.
fn chromedriver() -> Option<Driver> {
    let (Some(driver), Some(_)) = (on_path("chromedriver"), on_path("chromium")) else {
        let why = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)";
        assert!(std::env::var_os("CI").is_none(), "{why}: .ci/run must install them");
        eprintln!("skipped: {why}");
        return None;
    };
    // A test that failed while holding the turn poisons it; the next test may still go.
    let turn = DRIVER_TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let mut driver = Driver {
        child,
        port,
        _turn: turn,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = driver.child.try_wait() {
            panic!("chromedriver exited with {status} before listening on port {port}");
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on port {port} within 20s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(driver)
}

/// A headless Chromium session (no sandbox: CI runs as root).
async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        "--window-size=1280,1800"]}),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("WebDriver session in headless Chromium")
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.expect("run script in the page")
}

async fn number(client: &Client, id: &str) -> u64 {
    let v = js(
        client,
        &format!("return document.getElementById('{id}')?.textContent ?? ''"),
    )
    .await;
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Polls `script` until it returns true.
async fn wait_for(client: &Client, script: &str, what: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while js(client, script).await != Value::Bool(true) {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn screenshot_path(name: &str) -> PathBuf {
    // CARGO_TARGET_TMPDIR is target/tmp: the screenshots go beside it, under target/stressor.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap_or(Path::new("target"))
        .join("stressor/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir.join(name)
}

async fn save_screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let path = screenshot_path(name);
    std::fs::write(&path, png).expect("write screenshot");
    eprintln!("screenshot: {}", path.display());
    path
}

/// The CLI as a child process, its stderr lines forwarded to a channel.
fn stressor(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stressor"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stressor");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn wait_exit(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait for stressor") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("stressor did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

const MONITORED: &str = r#"
file_version: stressor#0
config:
  name: monitored
sessions:
  users: [{name: ann}, {name: bob}]
  count: 4
  ramp_up_delay: 100ms
scenario:
  - sequence: main
    duration: 120s
  - sequence: end
sequences:
  main:
    - activity: GetRequest
      name: index
      url: /
    - activity: GetRequest
      name: slow
      url: /slow?ms=30
    - activity: GetRequest
      name: broken
      url: /status/503
    - activity: $sleep(50ms)
  end:
    - activity: GetRequest
      name: goodbye
      url: /
"#;

#[tokio::test(flavor = "multi_thread")]
async fn monitor_shows_live_numbers_and_its_stop_button_ends_the_run() {
    let Some(driver) = chromedriver() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("monitored.yaml");
    std::fs::write(&scenario, MONITORED).expect("write scenario");
    let scenario = scenario.to_string_lossy().into_owned();
    let args = [
        "run",
        &scenario,
        "--serve",
        "--monitor",
        "--monitor-addr",
        "127.0.0.1:0",
        "--monitor-wait",
        "60s",
    ];
    let (mut child, lines) = stressor(&args);
    let mut log = Vec::new();
    let url = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no `Monitor: URL` line; stderr so far: {log:#?}"));
        if let Some(url) = line.strip_prefix("Monitor: http") {
            break format!("http{url}");
        }
        log.push(line);
    };
    let client = browser(&driver).await;
    client.goto(&url).await.expect("open the monitor");
    let live = "return document.getElementById('state')?.dataset.status === 'running' \
                && Number(document.getElementById('total-count')?.textContent) > 0";
    wait_for(&client, live, "the first live numbers", Duration::from_secs(20)).await;
    let first = number(&client, "total-count").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let second = number(&client, "total-count").await;
    assert!(
        second > first,
        "the activity count did not move between two reads: {first} then {second}"
    );
    assert!(
        number(&client, "total-errors").await > 0,
        "the 503s are counted as errors"
    );
    let rows = js(
        &client,
        "return [...document.querySelectorAll('#activities tbody tr')].map(r => r.textContent)",
    )
    .await;
    let broken = rows
        .as_array()
        .and_then(|r| r.iter().filter_map(Value::as_str).find(|r| r.contains("broken")))
        .unwrap_or_default()
        .to_string();
    assert!(broken.contains("status"), "the last error is shown on its row: {rows}");
    let points = js(
        &client,
        "return document.querySelector('#throughput-chart polyline')?.getAttribute('points')?.split(' ').length ?? 0",
    )
    .await;
    assert!(
        points.as_u64().unwrap_or(0) >= 2,
        "the throughput chart has points: {points}"
    );

    save_screenshot(&client, "monitor-running.png").await;
    let button = client.find(fantoccini::Locator::Id("stop")).await.expect("Stop button");
    assert_eq!(button.text().await.expect("button text"), "Stop run");
    button.click().await.expect("click Stop");
    let finished = "return document.getElementById('state')?.dataset.status === 'finished'";
    wait_for(
        &client,
        finished,
        "the run to finish after Stop",
        Duration::from_secs(30),
    )
    .await;
    let status = js(&client, "return document.getElementById('status').textContent").await;
    assert_eq!(status, json!("finished (stop requested)"));
    let final_count = number(&client, "total-count").await;
    assert!(final_count >= second, "final {final_count} < live {second}");
    let goodbyes = js(
        &client,
        "return [...document.querySelectorAll('#activities tbody tr')].find(r => r.textContent.includes('goodbye'))\
         ?.children[1].textContent",
    )
    .await;
    assert_eq!(
        goodbyes,
        json!("4"),
        "every session ran its `end` sequence after the graceful stop"
    );
    save_screenshot(&client, "monitor.png").await;

    // Once the run is over the same button closes the monitor, and the process exits.
    let button = client.find(fantoccini::Locator::Id("stop")).await.expect("button");
    assert_eq!(button.text().await.expect("button text"), "Close monitor");
    button.click().await.expect("click Close");
    let status = wait_exit(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(3), "a stop from the page exits like Ctrl-C (3)");
    client.close().await.expect("close the browser");
}

#[tokio::test(flavor = "multi_thread")]
async fn html_report_opens_offline_and_plots_the_run() {
    let Some(driver) = chromedriver() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let smoke = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/smoke.yaml"))
        .expect("read fixtures/smoke.yaml");
    // Four seconds give the series four entries: enough points to call the plot a line.
    let scenario = dir.path().join("smoke.yaml");
    std::fs::write(&scenario, smoke.replace("duration: 2s", "duration: 4s")).expect("write scenario");
    let report = dir.path().join("report.html");
    let (scenario, report_arg) = (scenario.to_string_lossy(), report.to_string_lossy());
    let (mut child, lines) = stressor(&["run", &scenario, "--serve", "-q", "--html", &report_arg]);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let stderr: Vec<String> = lines.try_iter().collect();
    // 4 (inconclusive) when the machine is too busy for the generator to keep up; the report is the same.
    assert!(matches!(status.code(), Some(0 | 4)), "{status}: {stderr:#?}");

    let html = std::fs::read_to_string(&report).expect("the report was written");
    for outside in ["src=\"http", "href=\"http", "<script", "@import"] {
        assert!(!html.contains(outside), "the report must not load `{outside}`…");
    }
    let client = browser(&driver).await;
    client
        .goto(&format!("file://{}", report.display()))
        .await
        .expect("open the report");
    let points = js(
        &client,
        "return [...document.querySelectorAll('#latency-chart polyline')].map(p => p.getAttribute('points').split(' ').length)",
    )
    .await;
    let points: Vec<u64> = points
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    assert_eq!(points.len(), 3, "p50, p95 and p99 lines: {points:?}");
    assert!(
        points.iter().all(|&n| n >= 4),
        "one point per second of a 4 s run: {points:?}"
    );
    let bars = js(
        &client,
        "return [...document.querySelectorAll('#histogram rect.bar')].filter(r => r.getBBox().height > 0).length",
    )
    .await;
    assert!(
        bars.as_u64().unwrap_or(0) >= 3,
        "the histogram has visible bars: {bars}"
    );
    let verdict = js(&client, "return document.getElementById('verdict').textContent").await;
    let expected = if status.code() == Some(0) {
        "Result: ok"
    } else {
        "Result: INCONCLUSIVE (the load generator was the bottleneck)"
    };
    assert_eq!(verdict, json!(expected), "the verdict matches the exit code");
    let text = js(&client, "return document.body.innerText").await;
    let text = text.as_str().unwrap_or_default();
    for expected in ["main/0 index", "Sequences", "No errors.", "Generator health"] {
        assert!(text.contains(expected), "the report shows `{expected}`:\n{text}");
    }
    save_screenshot(&client, "report.png").await;
    client.close().await.expect("close the browser");
}
