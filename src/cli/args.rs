//! Command-line arguments. Global flags work before or after the sub-command (`stressor -q run x` and
//! `stressor run x -q` are the same), unlike the original.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Load- and stress-testing for HTTP services.
#[derive(Debug, Parser)]
#[command(name = "stressor", version, propagate_version = true, about, after_help = super::Exit::help_text())]
pub struct Cli {
    /// Flags every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More output (repeatable).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Less output (repeatable).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Never use colours (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Also write the log to FILE, at debug level or more (a folder gets `stressor-YYYYMMDD-HHMMSS.log`).
    #[arg(long, global = true, value_name = "FILE|DIR")]
    pub log: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario, print a summary and judge it (exit 0 pass, 1 failed, 2 invalid, 3 interrupted, 4 inconclusive).
    // Boxed: `run` has the most flags by far, and every other command would carry its size.
    Run(Box<RunArgs>),
    /// Merge results files of one scenario (`run --out`) and evaluate its thresholds over the whole.
    Merge(MergeArgs),
    /// Coordinate a distributed run: N shards (`run --coordinator URL`) start together, report live and are judged once here (exit: the merged verdict; 5 when shards are missing).
    Coordinate(CoordinateArgs),
    /// Compare two results files of one scenario: per run, sequence and activity, whether each metric regressed (exit 1 if any did).
    Compare(CompareArgs),
    /// Run a scenario against a baseline (A) and a candidate (B) at the same moments, and judge whether B is worse (exit 0 no, 1 regressed, 4 too noisy).
    Ab(AbArgs),
    /// Find the highest arrival rate at which the service holds an SLO (exit 0 found, 1 not even the start rate, 4 inconclusive).
    Search(SearchArgs),
    /// Check scenario files and print every problem found (exit 2 if any error).
    Validate(ValidateArgs),
    /// Run the built-in target server (static files, echo, /status, /slow, in-memory PUT/DELETE, login).
    Serve(ServeArgs),
    /// Create a new scenario folder (scenario.yaml, users.yaml, main_sequence.yaml), optionally from a HAR recording.
    Init(InitArgs),
}

/// `stressor init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to create (or fill).
    pub dir: PathBuf,
    /// Turn this browser recording (HAR file) into the main sequence.
    #[arg(long, visible_alias = "import", value_name = "FILE")]
    pub har: Option<PathBuf>,
    /// HAR conversion options (YAML): base_url, collate_*, skip_externals, statics_types.
    #[arg(long, value_name = "FILE", requires = "har")]
    pub opts: Option<PathBuf>,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

/// `stressor validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (a directory means DIR/scenario.yaml).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Override a config, sessions or context value: NAME:VALUE (repeatable).
    #[arg(short = 'o', long = "option", value_name = "NAME:VALUE")]
    pub options: Vec<String>,
}

/// `stressor run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (a directory means DIR/scenario.yaml).
    pub scenario: PathBuf,
    /// Override a config, sessions or context value: NAME:VALUE (repeatable).
    #[arg(short = 'o', long = "option", value_name = "NAME:VALUE")]
    pub options: Vec<String>,
    /// Dry run: send no request, sleep no sleep (scripts run; HTTP activities return `mock_result`).
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// One session, one pass per scenario item (a quick functional check).
    #[arg(long, conflicts_with = "shard")]
    pub single: bool,
    /// Run only shard K of N of the load (sessions or arrivals), for N processes whose `--out` files
    /// `stressor merge` combines; defaults to JOB_COMPLETION_INDEX/JOB_COMPLETIONS (a Kubernetes
    /// Indexed Job) when both are set.
    #[arg(long, value_name = "K/N", value_parser = crate::run::Shard::parse)]
    pub shard: Option<crate::run::Shard>,
    /// Stop starting new work after this many errors (overrides config.max_errors; 0 = unlimited).
    #[arg(long, value_name = "N")]
    pub max_errors: Option<u64>,
    /// Stop starting new work after this run time, e.g. 30s or 2m (overrides config.max_time).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub max_time: Option<std::time::Duration>,
    /// Start the built-in target server in-process on a free port and point `base_url` at it.
    #[arg(long)]
    pub serve: bool,
    /// How long `end` sequences may run after a stop request.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, default_value = "10s")]
    pub grace: std::time::Duration,
    /// Reports.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// The live dashboard.
    #[command(flatten)]
    pub monitor: MonitorArgs,
    /// Results of earlier runs to compare with (`vs_baseline` thresholds, a comparison table): a results file (`run --out`), or a folder of them whose newest runs of this scenario are the baseline's history. An empty STRESSOR_BASELINE asks for none.
    #[arg(long, value_name = "FILE|DIR", env = "STRESSOR_BASELINE", value_parser = any_path)]
    pub baseline: Option<PathBuf>,
    /// How many of the newest runs in a `--baseline` folder make its history.
    #[arg(long, value_name = "N", env = "STRESSOR_BASELINE_RUNS", default_value_t = crate::verdict::history::DEFAULT_RUNS, value_parser = parse_rounds)]
    pub baseline_runs: usize,
    /// Take part in a coordinated run as shard --shard K/N: the coordinator's URL (http://HOST:PORT).
    /// Needs STRESSOR_COORDINATOR_TOKEN. The exit code is 0 once the results are delivered (the
    /// coordinator's is the verdict); 5 when the coordinator is gone (the results are then printed).
    #[arg(
        long,
        value_name = "URL",
        env = "STRESSOR_COORDINATOR",
        hide_env_values = true,
        conflicts_with = "single"
    )]
    pub coordinator: Option<String>,
    /// As shard 1 of a coordinated run, also be its coordinator, listening on ADDR (other shards
    /// ignore it, so one command serves every pod of an Indexed Job); --out, --junit, --html and
    /// --monitor then describe the merged run, and the exit code is its verdict.
    #[arg(long, value_name = "ADDR", conflicts_with = "single")]
    pub coordinate: Option<std::net::SocketAddr>,
    /// How long a coordinated shard waits for its coordinator and the start.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, default_value = "10m")]
    pub wait_coordinator: std::time::Duration,
    /// Also print the results on stdout as one marked line of JSON, for `stressor merge --from-logs`
    /// (a coordinated shard does so anyway when its coordinator is gone).
    #[arg(long)]
    pub print_results: bool,
    /// How a coordinated run goes (with --coordinate).
    #[command(flatten)]
    pub coordination: CoordinationArgs,
    /// What watches the run from outside: the request log, metrics.
    #[command(flatten)]
    pub observe: ObserveArgs,
}

/// What watches a run from outside (`run`): a per-request log, `/metrics`, an OTLP push.
#[derive(Debug, Args)]
pub struct ObserveArgs {
    /// Write one row per request to FILE: `.jsonl` (JSON Lines) or `.csv`, by the extension.
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<PathBuf>,
    /// Keep this share of the successful requests in --request-log (failed ones are always kept), e.g. 1%.
    #[arg(long, value_name = "PERCENT", requires = "request_log", default_value = "100%", value_parser = parse_share)]
    pub request_log_sample: f64,
    /// Serve the run's metrics in the Prometheus text format at http://ADDR/metrics (also on the monitor's port).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<std::net::SocketAddr>,
    /// After the run, keep serving --metrics until the final state was scraped once, at most this long.
    #[arg(long, value_name = "DURATION", requires = "metrics", default_value = "15s", value_parser = parse_duration_arg)]
    pub metrics_wait: std::time::Duration,
    /// Push the run's metrics over OTLP/HTTP (protobuf) to this collector endpoint (`/v1/metrics` is
    /// appended unless given); defaults to OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_METRICS_ENDPOINT.
    #[arg(long, value_name = "URL")]
    pub otlp: Option<String>,
}

/// Where a run's reports go (`run`, `coordinate`).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Write the results as JSON (histograms included, for `stressor merge`); also when interrupted.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// While the run goes, rewrite `--out` every DURATION with everything measured so far
    /// (`"complete": false`), so a process killed outright leaves its results behind; 0 turns it off.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, default_value = "5s", requires = "out")]
    pub checkpoint: std::time::Duration,
    /// Write a JUnit XML report (a test case per sequence, checked activity and threshold), as the
    /// cargo harness does; also when the scenario does not load.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a self-contained HTML report with plots (viewable offline); also when interrupted.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the verdict and the thresholds as Markdown (also appended to $GITHUB_STEP_SUMMARY when it is set).
    #[arg(long, value_name = "FILE")]
    pub summary_md: Option<PathBuf>,
}

/// The live dashboard (`run`, `coordinate`).
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Serve a live dashboard of the run (with a Stop button) on --monitor-addr.
    #[arg(id = "monitor", long = "monitor")]
    pub enabled: bool,
    /// Address of the dashboard (port 0: any free port). Keep it on loopback: anyone who reaches it can stop the run.
    #[arg(id = "monitor_addr", long = "monitor-addr", value_name = "ADDR", requires = "monitor", default_value = crate::monitor::DEFAULT_ADDR)]
    pub addr: std::net::SocketAddr,
    /// After the run, keep showing its final state this long, or `forever` (until Ctrl-C or the page's Close button). Default: forever on a terminal; without one (stdin or stdout not a TTY) or with CI set, the run ends when it ends.
    #[arg(id = "monitor_wait", long = "monitor-wait", value_name = "DURATION", requires = "monitor", value_parser = parse_wait_arg)]
    pub wait: Option<std::time::Duration>,
    /// Open the dashboard in the default web browser.
    #[arg(long, requires = "monitor")]
    pub open: bool,
}

/// How a coordinated run goes (`coordinate`, `run --coordinate`).
#[derive(Debug, Args)]
pub struct CoordinationArgs {
    /// How long the coordinator waits for every shard to register; then it fails naming the missing ones (exit 5).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, default_value = "10m")]
    pub wait_shards: std::time::Duration,
    /// How far after the last shard registered the shared start is (time for every shard to hear of it).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, default_value = "2s")]
    pub start_delay: std::time::Duration,
    /// A shard that sends no report for this long is lost: the run goes on, its verdict is at best inconclusive.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, default_value = "3s")]
    pub lost_after: std::time::Duration,
}

/// `stressor coordinate`.
#[derive(Debug, Args)]
pub struct CoordinateArgs {
    /// Scenario file (a directory means DIR/scenario.yaml): the same the shards run.
    pub scenario: PathBuf,
    /// Override a config, sessions or context value: NAME:VALUE (repeatable); the shards must pass the same.
    #[arg(short = 'o', long = "option", value_name = "NAME:VALUE")]
    pub options: Vec<String>,
    /// How many shards the run has (default: JOB_COMPLETIONS).
    #[arg(long, value_name = "N", env = "JOB_COMPLETIONS", hide_env_values = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: u32,
    /// Where to listen for the shards, e.g. 0.0.0.0:7070 (every request needs STRESSOR_COORDINATOR_TOKEN).
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Also print the merged results on stdout as one marked line of JSON, for `stressor merge --from-logs`.
    #[arg(long)]
    pub print_results: bool,
    /// How the run goes.
    #[command(flatten)]
    pub coordination: CoordinationArgs,
    /// Reports of the merged run.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// The live dashboard of the merged run.
    #[command(flatten)]
    pub monitor: MonitorArgs,
}

/// `stressor search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The scenario file; each step runs one pass of it per arrival.
    pub scenario: PathBuf,
    /// The service level objective, as run thresholds: `p99<300ms,error_rate<0.1%`.
    #[arg(long, value_name = "SLO")]
    pub slo: String,
    /// The first arrival rate tried (`10/s`, `600/m`, or per second).
    #[arg(long, value_name = "RATE", default_value = "10/s", value_parser = parse_rate_arg)]
    pub start: f64,
    /// The highest arrival rate tried.
    #[arg(long, value_name = "RATE", default_value = "100000/s", value_parser = parse_rate_arg)]
    pub max: f64,
    /// How long each step lasts at least (longer when 100 arrivals take longer).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration_arg)]
    pub step: std::time::Duration,
    /// The pool of sessions the arrivals run on; an arrival that finds them all busy makes the step inconclusive.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_sessions: u32,
    /// Stop when the rate that broke is within this above the rate that held.
    #[arg(long, value_name = "PERCENT", default_value = "10%", value_parser = parse_percent)]
    pub resolution: f64,
    /// Each step's warm-up, a duration or `auto`: not judged, and added to the step [default: the scenario's `thresholds.warmup`]
    #[arg(long, value_name = "DURATION|auto", value_parser = parse_warmup)]
    pub warmup: Option<crate::scenario::WarmupLength>,
    /// Write the steps and the answer as JSON.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the steps, a plot of them and the answer as a self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Override a config, sessions or context value: NAME:VALUE (repeatable).
    #[arg(short = 'o', long = "option", value_name = "NAME:VALUE")]
    pub options: Vec<String>,
    /// Start the built-in target server in-process on a free port and point `base_url` at it.
    #[arg(long)]
    pub serve: bool,
}

/// `100/s`, `600/m` or a number per second.
fn parse_rate_arg(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, per) = match t.split_once('/') {
        Some((n, "s")) => (n, 1.0),
        Some((n, "m")) => (n, 60.0),
        None => (t, 1.0),
        Some(_) => return Err(format!("`{text}` is not a rate such as `100/s` or `600/m`")),
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0)
        .map(|n| n / per)
        .ok_or_else(|| format!("`{text}` is not a positive rate such as `100/s` or `600/m`"))
}

/// `stressor compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline's results file (`run --out`, `merge --out`).
    #[arg(value_name = "BASELINE")]
    pub baseline: PathBuf,
    /// The current results file.
    #[arg(value_name = "CURRENT")]
    pub current: PathBuf,
    /// Changes, the error rate's and the latency floor that count as noise.
    #[command(flatten)]
    pub tolerance: ToleranceArgs,
    /// Write the comparison as JSON.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let t = text.trim().trim_end_matches('%');
    t.parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p >= 0.0)
        .map(|p| p / 100.0)
        .ok_or_else(|| format!("`{text}` is not a percentage such as `5%`"))
}

/// `5%` or `0.05` as 0.05, between 0 and 1.
fn parse_share(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok().map(|p| p / 100.0),
        None => t.parse::<f64>().ok(),
    };
    value
        .filter(|v| (0.0..=1.0).contains(v))
        .ok_or_else(|| format!("`{text}` is not a share between 0% and 100%, such as `1%`"))
}

fn parse_points(text: &str) -> Result<f64, String> {
    let t = text.trim().trim_end_matches("pp");
    t.parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p >= 0.0)
        .map(|p| p / 100.0)
        .ok_or_else(|| format!("`{text}` is not percentage points such as `0.1pp`"))
}

/// `stressor ab`.
#[derive(Debug, Args)]
pub struct AbArgs {
    /// The scenario file (a directory means DIR/scenario.yaml); its main part must keep running for the warm-up and all rounds.
    pub scenario: PathBuf,
    /// The baseline's base URL (A).
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "a_cmd",
        conflicts_with = "a_cmd"
    )]
    pub a: Option<String>,
    /// The candidate's base URL (B).
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "b_cmd",
        conflicts_with = "b_cmd"
    )]
    pub b: Option<String>,
    /// Start the baseline with this shell command; `{port}` in it becomes a free port, and A is `http://127.0.0.1:PORT`.
    #[arg(long, value_name = "COMMAND")]
    pub a_cmd: Option<String>,
    /// Start the candidate with this shell command (as --a-cmd).
    #[arg(long, value_name = "COMMAND")]
    pub b_cmd: Option<String>,
    /// Rounds to measure (at least 9 give an answer).
    #[arg(long, value_name = "N", default_value_t = crate::ab::DEFAULT_ROUNDS, value_parser = parse_rounds)]
    pub rounds: usize,
    /// How long each round lasts.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_positive_duration)]
    pub round_time: std::time::Duration,
    /// The warm-up before the first round, a duration or `auto` [default: the scenario's `thresholds.warmup`, else 2s]
    #[arg(long, value_name = "DURATION|auto", value_parser = parse_warmup)]
    pub warmup: Option<crate::scenario::WarmupLength>,
    /// Changes, the error rate's and the latency floor that count as noise.
    #[command(flatten)]
    pub tolerance: ToleranceArgs,
    /// Override a config, sessions or context value on both sides: NAME:VALUE (repeatable).
    #[arg(short = 'o', long = "option", value_name = "NAME:VALUE")]
    pub options: Vec<String>,
    /// Override a value on the baseline's side only (repeatable).
    #[arg(long = "a-option", value_name = "NAME:VALUE")]
    pub a_options: Vec<String>,
    /// Override a value on the candidate's side only (repeatable).
    #[arg(long = "b-option", value_name = "NAME:VALUE")]
    pub b_options: Vec<String>,
    /// Write the measurement, its judgement and each side's results as JSON.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write a JUnit XML report: a test case per judged metric.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the verdict as a Markdown table (also to $GITHUB_STEP_SUMMARY when it is set).
    #[arg(long, value_name = "FILE")]
    pub summary_md: Option<PathBuf>,
}

/// How much change counts as noise (`compare`, `ab`).
#[derive(Debug, Args)]
pub struct ToleranceArgs {
    /// Changes of latency and throughput within this are `unchanged` (default 5%).
    #[arg(long, value_name = "PERCENT", default_value = "5%", value_parser = parse_percent)]
    pub tolerance: f64,
    /// Changes of the error rate within this are `unchanged` (default 0.1pp, percentage points).
    #[arg(long, value_name = "POINTS", default_value = "0.1pp", value_parser = parse_points)]
    pub error_tolerance: f64,
    /// Latency changes smaller than this are `unchanged` however significant (machine noise on fast requests).
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_duration_arg)]
    pub min_change: std::time::Duration,
}

impl ToleranceArgs {
    /// As the verdict takes it.
    pub fn tolerance(&self) -> crate::verdict::baseline::Tolerance {
        crate::verdict::baseline::Tolerance {
            relative: self.tolerance,
            error_points: self.error_tolerance,
            min_latency_change: self.min_change.as_secs_f64(),
        }
    }
}

/// `auto` or a duration.
fn parse_warmup(text: &str) -> Result<crate::scenario::WarmupLength, String> {
    if text.trim() == "auto" {
        return Ok(crate::scenario::WarmupLength::Auto);
    }
    parse_duration_arg(text).map(crate::scenario::WarmupLength::Fixed)
}

/// 1 to 10,000 rounds.
fn parse_rounds(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n @ 1..=10_000) => Ok(n),
        _ => Err(format!("`{text}` is not a number of rounds from 1 to 10000")),
    }
}

/// A duration above zero.
fn parse_positive_duration(text: &str) -> Result<std::time::Duration, String> {
    parse_duration_arg(text).and_then(|d| {
        if d.is_zero() {
            Err("must be longer than 0".into())
        } else {
            Ok(d)
        }
    })
}

/// `stressor merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Results files written by `stressor run --out` (same scenario).
    #[arg(required_unless_present = "from_logs", value_name = "RESULTS")]
    pub files: Vec<PathBuf>,
    /// Also read the results framed in a log (`run --print-results`, or a coordinated shard whose
    /// coordinator was gone); `-` reads stdin: `kubectl logs -l job-name=stressor | stressor merge --from-logs -`.
    #[arg(long, value_name = "LOG")]
    pub from_logs: Option<PathBuf>,
    /// Write the merged results as JSON.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write a JUnit XML report of the merged run.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write an HTML report of the merged run.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    crate::scenario::duration::parse_duration(text).map_err(|e| e.to_string())
}

/// A duration, or `forever` ([`std::time::Duration::MAX`]).
fn parse_wait_arg(text: &str) -> Result<std::time::Duration, String> {
    if text.eq_ignore_ascii_case("forever") {
        Ok(std::time::Duration::MAX)
    } else {
        parse_duration_arg(text)
    }
}

/// `stressor serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Folder to serve static files from (default: a built-in demo folder).
    pub dir: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8082)]
    pub port: u16,
}

/// A path, empty allowed (an empty `STRESSOR_BASELINE` means "no baseline", as in the harness; clap's
/// own path parser refuses it).
fn any_path(text: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(text))
}
