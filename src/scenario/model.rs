//! The typed scenario model: what a `stressor#0` file means once loaded and validated.
//!
//! Every type here is plain data (no tokio, no HTTP). Values the user may fill from variables at run
//! time stay JSON values or [`Param::Template`]s and are expanded per execution; everything that can be
//! checked at load time (regexes, XPath, durations, scripts, paths) has been checked.

use super::source::{SourceMap, Span};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A loaded, validated run configuration.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `config.name`, or the file stem.
    pub name: String,
    /// The main file.
    pub path: PathBuf,
    /// The folder `$load` and `RunScript.path` are confined to (the main file's folder).
    pub root: PathBuf,
    /// The `config` section.
    pub config: Config,
    /// The initial context of every session: `config` keys first, then `context` (which wins).
    pub context: Map<String, Value>,
    /// The variables of `context` that hold text from `$env()` with a `$(` in it, by name: that text is
    /// data, so their templates expand from a copy with it escaped (see [`Scenario::templates`]).
    pub env_templates: std::collections::BTreeMap<String, EnvTemplate>,
    /// `load.seed`: the run's seed, for Poisson arrivals and generated feeders (`None`: each run draws
    /// one and reports it).
    pub seed: Option<u64>,
    /// The `sessions` section.
    pub sessions: Sessions,
    /// The `scenario` section: the sequences each session runs, in order.
    pub items: Vec<ScenarioItem>,
    /// The `sequences` section, in file order.
    pub sequences: Vec<Sequence>,
    /// The `thresholds` section plus inline thresholds of sequences and activities.
    pub thresholds: Thresholds,
    /// The `load` section.
    pub load: LoadModel,
    /// The `feeders` section: test data, read at load time.
    pub feeders: Vec<Feeder>,
    /// The `workloads` section, each with its share of the load resolved. Empty for a file without one:
    /// then `items`, `sessions` and `load` are its one workload (see [`Scenario::workload_views`]).
    pub workloads: Vec<Workload>,
    /// The files it was loaded from (the runner names script error locations with them).
    pub sources: Arc<SourceMap>,
}

impl Scenario {
    /// The author's templates of a session's context: every variable of [`Scenario::context`] that
    /// holds `$(...)`, and one expansion bounded by `config.max_body_size`. A session adds its user.
    pub fn templates(&self) -> crate::expand::Templates {
        let max_len = usize::try_from(self.config.max_body_size).unwrap_or(usize::MAX);
        let mut templates = crate::expand::Templates::new(max_len);
        for (name, value) in &self.context {
            let expand_as = self.env_templates.get(name).and_then(|t| t.expand_as(value));
            templates.add(name, value, expand_as);
        }
        templates
    }

    /// The sequence of a given name.
    pub fn sequence(&self, name: &str) -> Option<&Sequence> {
        self.sequences.iter().find(|s| s.name == name)
    }

    /// What the run starts: the `workloads`, or for a file without them one unnamed workload made of
    /// the top-level `scenario`, `sessions` and `load`.
    pub fn workload_views(&self) -> Vec<WorkloadView<'_>> {
        (0..self.workloads.len().max(1))
            .map(|i| self.workload_view(i))
            .collect()
    }

    /// Workload `i` of [`Self::workload_views`] (the implicit one when there is no such workload).
    pub fn workload_view(&self, i: usize) -> WorkloadView<'_> {
        match self.workloads.get(i) {
            Some(w) => WorkloadView {
                name: Some(&w.name),
                items: &w.items,
                sessions: &w.sessions,
                load: &w.load,
                start_after: w.start_after,
            },
            None => WorkloadView {
                name: None,
                items: &self.items,
                sessions: &self.sessions,
                load: &self.load,
                start_after: Duration::ZERO,
            },
        }
    }
}

/// One entry of `workloads`: sequences run under a load model of their own, measured and judged apart.
#[derive(Clone, Debug)]
pub struct Workload {
    /// `name`: unique, made of letters, digits, `_`, `-` and `.` (it prefixes sequence paths and session
    /// ids).
    pub name: String,
    /// Its `scenario` list.
    pub items: Vec<ScenarioItem>,
    /// Its sessions: the file's `sessions` with the workload's own keys over them, and with `weight`, its
    /// share of `sessions.count`.
    pub sessions: Sessions,
    /// Its load model: its own `load`, or with `weight` its share of the file's.
    pub load: LoadModel,
    /// `weight`, when its load is a share of the file's.
    pub weight: Option<f64>,
    /// `start_after`: how long after the run's start its first session or arrival starts.
    pub start_after: Duration,
    /// Where the entry was written.
    pub span: Span,
}

/// A workload as the runner sees it (see [`Scenario::workload_views`]).
#[derive(Clone, Copy, Debug)]
pub struct WorkloadView<'a> {
    /// `None` for the implicit workload of a file without `workloads`.
    pub name: Option<&'a str>,
    /// What each session runs.
    pub items: &'a [ScenarioItem],
    /// Its sessions.
    pub sessions: &'a Sessions,
    /// Its load model.
    pub load: &'a LoadModel,
    /// Delay before it starts.
    pub start_after: Duration,
}

/// The `config` section.
#[derive(Clone, Debug)]
pub struct Config {
    /// Scenario name (`config.name`, default: the file stem).
    pub name: Option<String>,
    /// Free text shown in reports.
    pub details: Option<String>,
    /// A label shown in the summary (`Tag:`).
    pub tag: Option<String>,
    /// Absolute `http(s)://` URL that relative activity URLs are resolved against (RFC 3986).
    pub base_url: Option<String>,
    /// Default per-request timeout; `None` means no timeout. Default 10 s.
    pub request_timeout: Option<Duration>,
    /// Stop starting new work after this many errors (all sessions); 0 = unlimited.
    pub max_errors: u64,
    /// Stop starting new work after this much run time; `None` = unlimited.
    pub max_time: Option<Duration>,
    /// Verbosity hint copied into the context (does not change logging, as in the original).
    pub verbose: i64,
    /// When set, the cargo harness lists this scenario's tests as ignored, with this reason.
    pub ignore: Option<String>,
    /// Which client sends `http://` requests (`config.http_client`).
    pub http_client: HttpClientKind,
    /// The most bytes of a response body kept for checks and stores (`config.max_body_size`), as
    /// received and as decoded.
    pub max_body_size: u64,
    /// Whether checks read response bodies with their `Content-Encoding` undone (`config.decompress`,
    /// default true); `false` keeps the bytes as received.
    pub decompress: bool,
    /// How long the checks and stores on one response may take; `None` = no limit.
    pub check_timeout: Option<Duration>,
    /// Whether a connection carries more than one request (`config.keep_alive`); with `false`, every
    /// request opens a new connection (and does a new TLS handshake).
    pub keep_alive: bool,
    /// The HTTP version requests are sent with (`config.http_version`).
    pub http_version: HttpVersion,
    /// The client certificate presented to servers that ask for one (`config.client_cert`).
    pub client_cert: Option<ClientCert>,
    /// W3C `traceparent` headers on every request (`config.trace_context`); `None` sends none.
    pub trace_context: Option<TraceContextConfig>,
    /// Whether and how far redirects are followed (`config.follow_redirects`, `config.max_redirects`).
    pub redirects: RedirectPolicy,
    /// Where the section was written.
    pub span: Option<Span>,
}

/// Whether a client follows redirects, and how many (`follow_redirects`, `max_redirects` in `config`
/// and on an activity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedirectPolicy {
    /// Follow a 301, 302, 303, 307 or 308 with a `Location`; `false` makes the 3xx the response.
    pub follow: bool,
    /// The most redirects one request follows; one more is an error (`connect`).
    pub max: u32,
}

/// The default `max_redirects`: 10, as reqwest, Python requests (30) and curl (50) bound it too; 10 is
/// what both clients always did.
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;

impl Default for RedirectPolicy {
    fn default() -> Self {
        RedirectPolicy {
            follow: true,
            max: DEFAULT_MAX_REDIRECTS,
        }
    }
}

/// `config.http_version`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/1.1, on the lean path (the default).
    #[default]
    Http1,
    /// HTTP/2: ALPN `h2` over TLS, prior knowledge over cleartext; one connection per session that
    /// concurrent requests share.
    Http2,
}

/// `config.trace_context: w3c` or `{format: w3c, sample: 10%}`: a trace per session pass, a span
/// per request (see `activity::trace`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceContextConfig {
    /// The share of traces sent with the `sampled` flag, 0..=1 (default 1: every one).
    pub sample: f64,
}

/// A client certificate for mutual TLS, read from PEM files when the scenario loads.
#[derive(Clone, Debug)]
pub struct ClientCert {
    /// The certificate chain file (PEM), leaf first.
    pub cert_path: PathBuf,
    /// The private key file (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
    /// The chain's PEM text.
    pub cert_pem: Vec<u8>,
    /// The key's PEM text.
    pub key_pem: Vec<u8>,
}

impl Default for Config {
    /// The settings of a file without a `config` section.
    fn default() -> Self {
        Config {
            name: None,
            details: None,
            tag: None,
            base_url: None,
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            max_errors: 0,
            max_time: None,
            verbose: 3,
            ignore: None,
            http_client: HttpClientKind::default(),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            decompress: true,
            check_timeout: Some(DEFAULT_CHECK_TIMEOUT),
            keep_alive: true,
            http_version: HttpVersion::default(),
            client_cert: None,
            trace_context: None,
            redirects: RedirectPolicy::default(),
            span: None,
        }
    }
}

/// Which client sends requests (`config.http_client`): the transport under `crate::http`'s client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpClientKind {
    /// stressor's own HTTP/1.1 exchange (or the `h2` crate's HTTP/2), run by the session's task on its
    /// own keep-alive connections (`http/transport/`): the least CPU per request (see
    /// `bench/RESULTS.md`).
    #[default]
    Lean,
    /// reqwest for every request, with stressor's own redirects and cookies (the `https` feature).
    Reqwest,
}

impl HttpClientKind {
    /// The names `config.http_client` accepts.
    pub const NAMES: [&str; 2] = ["lean", "reqwest"];

    /// The kind of a name in [`Self::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "lean" => Some(HttpClientKind::Lean),
            "reqwest" => Some(HttpClientKind::Reqwest),
            _ => None,
        }
    }
}

/// The default `config.request_timeout`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The default `config.max_body_size`: 16 MiB, enough for any page or API response a check reads, small
/// enough that a thousand sessions reading one at once stay within a test machine's memory.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 << 20;

/// The default `config.check_timeout`.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// The `sessions` section.
#[derive(Clone, Debug)]
pub struct Sessions {
    /// Users, assigned to sessions round robin. Default: one `anonymous` user with an empty password.
    pub users: Vec<User>,
    /// Number of parallel sessions (virtual users), at least 1.
    pub count: u32,
    /// Per-session time limit after which only `end` runs; `None` = unlimited.
    pub duration: Option<Duration>,
    /// Delay between session starts.
    pub ramp_up_delay: Delay,
    /// Send the session user's name and password as HTTP basic auth by default.
    pub basic_auth: bool,
    /// Verify TLS certificates by default.
    pub verify_ssl: bool,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            users: vec![User::anonymous()],
            count: 1,
            duration: None,
            ramp_up_delay: Delay::Fixed(Duration::ZERO),
            basic_auth: false,
            verify_ssl: true,
        }
    }
}

/// A fixed delay or a uniform random one in `[min, max]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Delay {
    /// Always the same.
    Fixed(Duration),
    /// Drawn anew each time.
    Range(Duration, Duration),
}

/// A virtual user's identity.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// `name`.
    pub name: String,
    /// `password`; `None` when null (then `user.auth` is null too).
    pub password: Option<String>,
    /// Any other keys, readable as `$(user.KEY)`.
    pub extra: Map<String, Value>,
    /// Set when a field holds text from `$env()` with a `$(` in it (data in templates).
    pub env_template: Option<EnvTemplate>,
}

impl User {
    /// The default user when `sessions.users` is absent.
    pub fn anonymous() -> Self {
        User {
            name: "anonymous".into(),
            password: Some(String::new()),
            extra: Map::new(),
            env_template: None,
        }
    }

    /// The user as a context value: `{name, password, auth: [name, password] | null, ...extra}`.
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("name".into(), Value::String(self.name.clone()));
        map.insert(
            "password".into(),
            self.password.clone().map_or(Value::Null, Value::String),
        );
        let auth = match &self.password {
            Some(p) => Value::Array(vec![Value::String(self.name.clone()), Value::String(p.clone())]),
            None => Value::Null,
        };
        map.insert("auth".into(), auth);
        for (k, v) in &self.extra {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }
}

/// A variable (or user) whose value holds text from `$env()` with a `$(` in it.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvTemplate {
    /// The value as loaded (the environment's text as it is).
    pub written: Value,
    /// The value as its templates expand: the environment's text with `$(` escaped as `$$(`.
    pub expand_as: Value,
}

impl EnvTemplate {
    /// What `value` expands from: [`EnvTemplate::expand_as`] while `value` is still the one loaded
    /// (a program may have replaced it since), else nothing special.
    pub fn expand_as(&self, value: &Value) -> Option<Value> {
        (*value == self.written).then(|| self.expand_as.clone())
    }
}

/// One entry of the `scenario` list.
#[derive(Clone, Debug)]
pub struct ScenarioItem {
    /// The sequence to run.
    pub sequence: String,
    /// Number of passes (`None`: one pass unless `duration` is set).
    pub repeat: Option<u64>,
    /// Start passes while less than this has elapsed (at least one pass).
    pub duration: Option<Duration>,
    /// Where the item was written.
    pub span: Span,
}

/// A named list of activities.
#[derive(Clone, Debug)]
pub struct Sequence {
    /// The name (`init` and `end` are the set-up and tear-down sequences).
    pub name: String,
    /// The activities, in order.
    pub activities: Vec<Activity>,
    /// Where the name was written.
    pub span: Span,
}

/// One step of a sequence.
#[derive(Clone, Debug)]
pub struct Activity {
    /// What it does.
    pub kind: ActivityKind,
    /// Arguments every activity accepts.
    pub common: CommonArgs,
    /// 0-based position in its sequence.
    pub index: usize,
    /// Where the activity (its `activity:` value) was written.
    pub span: Span,
}

impl Activity {
    /// The activity's type name as written in YAML (`GetRequest`, `Sleep`, ...).
    pub fn type_name(&self) -> &str {
        self.kind.type_name()
    }

    /// Whether its executions count in the run's and its sequence's latency, `error_rate` and rates:
    /// it exchanges with the service ([`ActivityKind::exchanges`]) and `ignore_timing` does not take
    /// it out.
    pub fn counted(&self) -> bool {
        self.kind.exchanges() && !self.common.ignore_timing.unwrap_or(false)
    }
}

/// Arguments accepted by every activity.
#[derive(Clone, Debug, Default)]
pub struct CommonArgs {
    /// Display name; also how thresholds and reports refer to the activity.
    pub name: Option<String>,
    /// Regex that must be found in the result text.
    pub assert_match: Option<Pattern>,
    /// Maximum execution time.
    pub assert_max_time: Option<Duration>,
    /// Where `assert_max_time` was written.
    pub max_time_span: Option<Span>,
    /// Extra logging for this activity.
    pub debug: bool,
    /// Result returned instead of sending a request in dry-run mode.
    pub mock_result: Option<Value>,
    /// Give the activity its own row in the monitor (all activities get stats rows anyway).
    pub monitor: bool,
    /// `ignore_timing: true` leaves an exchange out of the run's and its sequence's latency,
    /// `error_rate` and rates, as local activities always are (see [`ActivityKind::exchanges`]).
    pub ignore_timing: Option<bool>,
    /// Values copied from the result into the context.
    pub stores: Vec<Store>,
    /// Inline thresholds for this activity.
    pub thresholds: Option<ThresholdSet>,
    /// `tags: {api: checkout}`, in order written.
    pub tags: Vec<(String, String)>,
}

pub use super::feeder::{FeedData, FeedOrder, Feeder};
pub use super::pattern::{Pattern, PatternMode};
pub use super::threshold::{
    Change, Filter, Limit, Metric, RelativeRule, StatusClass, Threshold, ThresholdSet, Thresholds, Warmup, WarmupLength,
};

/// `Feed`'s arguments.
#[derive(Clone, Debug)]
pub struct FeedArgs {
    /// The `feeders` entry to take a row from.
    pub feeder: String,
}

/// A setting that is either fixed at load time or a `$(var)` template resolved at run time.
#[derive(Clone, Debug, PartialEq)]
pub enum Param<T> {
    /// Known now.
    Fixed(T),
    /// A string with `$(...)` macros, converted when the activity runs.
    Template(String),
}

/// The built-in activities (and `$debug()`).
#[derive(Clone, Debug)]
pub enum ActivityKind {
    /// `HTTPRequest`, `GetRequest`, `PostRequest`, `PutRequest`, `DeleteRequest`.
    Http(Box<HttpRequest>),
    /// `StaticRequests`.
    Static(Box<StaticRequests>),
    /// `PollRequest`.
    Poll(Box<PollRequest>),
    /// `Sleep` (also from `$sleep()`).
    Sleep(SleepArgs),
    /// `RunScript`.
    Script(Box<RunScript>),
    /// `$debug()`: print the session context, secrets redacted.
    Debug,
    /// `Feed`: take the next row of a feeder into `$(NAME...)`.
    Feed(FeedArgs),
    /// `Record`: append a row to a file (what a run created, for the next run to feed on).
    Record(Box<super::generate::RecordArgs>),
    /// An activity written in Rust and registered by the program (see `crate::activity::plugin`).
    Plugin(Box<PluginCall>),
}

impl ActivityKind {
    /// The name users write after `activity:`.
    pub fn type_name(&self) -> &str {
        match self {
            ActivityKind::Http(h) => &h.activity,
            ActivityKind::Static(_) => "StaticRequests",
            ActivityKind::Poll(_) => "PollRequest",
            ActivityKind::Sleep(_) => "Sleep",
            ActivityKind::Script(_) => "RunScript",
            ActivityKind::Debug => "$debug",
            ActivityKind::Feed(_) => "Feed",
            ActivityKind::Record(_) => "Record",
            ActivityKind::Plugin(p) => &p.name,
        }
    }

    /// Whether it exchanges with the service under test. Only exchanges make the run's and a
    /// sequence's latency, `error_rate` and rates (thresholds, `compare`, the summary's headline): a
    /// `Feed` that reads a row in 20 µs, or a `Sleep`, must not make a latency budget pass while every
    /// request fails. Local activities keep their own rows, and their errors still fail the run.
    ///
    /// Exchanges: the HTTP requests, `StaticRequests`, `PollRequest`, and plugins that declare it
    /// (`stressor::activity::plugin::Activity::EXCHANGES`). Local: `Sleep`, `Feed`, `Record`, `$debug()`
    /// and `RunScript` (its sandbox has no network access, so a script cannot talk to the service).
    pub fn exchanges(&self) -> bool {
        match self {
            ActivityKind::Http(_) | ActivityKind::Static(_) | ActivityKind::Poll(_) => true,
            ActivityKind::Sleep(_)
            | ActivityKind::Script(_)
            | ActivityKind::Debug
            | ActivityKind::Feed(_)
            | ActivityKind::Record(_) => false,
            ActivityKind::Plugin(p) => p.exchanges,
        }
    }
}

/// A use of a Rust activity plugin.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginCall {
    /// The plugin's name, as written after `activity:`.
    pub name: String,
    /// Its own arguments (a mapping; the keys every activity accepts are in [`CommonArgs`]). Checked at
    /// load time; `$(var)`s in them are expanded when the activity runs.
    pub args: Value,
    /// Where the arguments' mapping was written (the activity).
    pub span: Span,
    /// The session variables it sets, as the plugin named them at load time
    /// (`stressor::activity::plugin::Activity::sets`).
    pub sets: Vec<String>,
    /// Whether it exchanges with the service, as the plugin declared
    /// (`stressor::activity::plugin::Activity::EXCHANGES`; see [`ActivityKind::exchanges`]).
    pub exchanges: bool,
}

/// Arguments of an HTTP request (shared by the HTTP activities and `PollRequest`).
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// The activity name used (`GetRequest`, `HTTPRequest`, ...).
    pub activity: String,
    /// HTTP method, upper case.
    pub method: String,
    /// URL, absolute or relative to `config.base_url`; may contain `$(...)`.
    pub url: String,
    /// Where `url` was written.
    pub url_span: Span,
    /// Query parameters (a mapping).
    pub params: Option<Value>,
    /// Body: a mapping is sent as a form, a string as raw text.
    pub data: Option<Value>,
    /// Body sent as JSON (types kept through whole-value macros).
    pub json: Option<Value>,
    /// Extra request headers (a mapping).
    pub headers: Option<Value>,
    /// Basic auth: `[name, password]` or `$(user.auth)`.
    pub auth: Option<Value>,
    /// Per-request timeout; `Fixed(None)` = no timeout; absent = `config.request_timeout`.
    pub timeout: Option<Param<Option<Duration>>>,
    /// Verify TLS certificates; absent = `sessions.verify_ssl`.
    pub verify: Option<Param<bool>>,
    /// The most body bytes kept for checks and stores; absent = `config.max_body_size`.
    pub max_body_size: Option<u64>,
    /// Undo the response's `Content-Encoding` for checks; absent = `config.decompress`.
    pub decompress: Option<bool>,
    /// `follow_redirects`; absent = `config.follow_redirects`.
    pub follow_redirects: Option<bool>,
    /// `max_redirects`; absent = `config.max_redirects`.
    pub max_redirects: Option<u32>,
    /// `multipart:` a `multipart/form-data` body of text fields and files.
    pub multipart: Option<Vec<MultipartPart>>,
    /// Response checks.
    pub checks: HttpChecks,
}

/// Checks on an HTTP response.
#[derive(Clone, Debug, Default)]
pub struct HttpChecks {
    /// Accepted status codes; without it, 2xx is success.
    pub assert_status: Option<Vec<u16>>,
    /// Where `assert_status` was written (a failed status check points there, else at the activity).
    pub status_span: Option<Span>,
    /// Regex searched in the headers rendered as `{'Name': 'value', ...}`.
    pub assert_match_headers: Option<Pattern>,
    /// `{Header-Name: regex | absent}`.
    pub assert_headers: Vec<HeaderCheck>,
    /// `{path: expected}` on a JSON body.
    pub assert_json: Vec<JsonCheck>,
    /// `{xpath: expectation}` on an HTML body.
    pub assert_html: Vec<HtmlCheck>,
    /// `{xpath: expectation}` on an XML body.
    pub assert_xpath: Vec<HtmlCheck>,
    /// `namespaces: {prefix: uri}`: the prefixes `assert_xpath` expressions use.
    pub namespaces: Vec<(String, String)>,
    /// `assert_redirects: N`: exactly N redirects were followed, and where that was written.
    pub assert_redirects: Option<(u32, Span)>,
}

impl HttpChecks {
    /// Whether a check reads the response body (`assert_json`, `assert_html`, `assert_xpath`).
    pub fn read_body(&self) -> bool {
        !self.assert_json.is_empty() || !self.assert_html.is_empty() || !self.assert_xpath.is_empty()
    }
}

/// One part of a `multipart:` body.
#[derive(Clone, Debug)]
pub struct MultipartPart {
    /// The field name.
    pub name: String,
    /// A text value (may hold `$(var)`), or a file read when the scenario loaded.
    pub value: MultipartValue,
}

/// What a multipart part carries.
#[derive(Clone, Debug)]
pub enum MultipartValue {
    /// A text field; `$(var)` is expanded when the request is sent.
    Text(Value),
    /// A file part.
    File(MultipartFile),
}

/// A file part of a `multipart:` body: `{file: path, filename: name, content_type: type}`.
#[derive(Clone, Debug)]
pub struct MultipartFile {
    /// The file, resolved against the scenario file's directory.
    pub path: PathBuf,
    /// The `filename` sent (default: the path's last component).
    pub filename: String,
    /// The part's `Content-Type` (default `application/octet-stream`).
    pub content_type: String,
    /// The file's bytes, read when the scenario loaded (shared, never copied until a body is built).
    pub bytes: bytes::Bytes,
}

/// One `assert_headers` entry.
#[derive(Clone, Debug)]
pub struct HeaderCheck {
    /// The header name, as written (compared without regard to case).
    pub name: String,
    /// What its value must be.
    pub expect: HeaderExpect,
    /// Where the entry was written.
    pub span: Span,
}

/// What an `assert_headers` entry expects.
#[derive(Clone, Debug)]
pub enum HeaderExpect {
    /// A regex found in one of the header's field lines or in all of them joined by `, `.
    Matches(Pattern),
    /// `absent`: the response has no such header.
    Absent,
}

/// One `assert_json` entry.
#[derive(Clone, Debug)]
pub struct JsonCheck {
    /// Dotted path (`result.user_guid`, `items[0]`) or RFC 9535 JSONPath (`$[0].name`).
    pub path: String,
    /// What the value must be.
    pub expect: JsonExpect,
    /// Where the entry was written.
    pub span: Span,
}

/// What an `assert_json` value must be.
#[derive(Clone, Debug)]
pub enum JsonExpect {
    /// A string: a regex that must match the value's whole text.
    Matches(Pattern),
    /// Anything else: exact JSON equality.
    Equals(Value),
    /// `absent`: the path selects nothing.
    Absent,
}

/// One `assert_html` or `assert_xpath` entry.
#[derive(Clone, Debug)]
pub struct HtmlCheck {
    /// The XPath expression.
    pub xpath: String,
    /// What the node set must be.
    pub expect: HtmlExpect,
    /// Where the entry was written.
    pub span: Span,
}

/// What an `assert_html` or `assert_xpath` XPath must select.
#[derive(Clone, Debug)]
pub enum HtmlExpect {
    /// `true`: at least one node.
    Exists,
    /// `false`: no node.
    Absent,
    /// `N`: exactly N nodes.
    Count(u64),
    /// `"regex"`: the text of the first node matches.
    TextMatches(Pattern),
}

/// A value copied from an activity's result into the context.
#[derive(Clone, Debug)]
pub struct Store {
    /// The context variable to set.
    pub var: String,
    /// Where the value comes from.
    pub source: StoreSource,
    /// Where the entry was written.
    pub span: Span,
}

/// Where a stored value comes from.
#[derive(Clone, Debug)]
pub enum StoreSource {
    /// `store_json`: a dotted path or RFC 9535 JSONPath into the JSON result.
    Json(String),
    /// `store_header`: a response header's field line(s).
    Header(String, HeaderLine),
    /// `store_regex`: the first capture group (or the whole match) of a regex on the body.
    Regex(Pattern),
}

/// Which field line of a repeated header `store_header` copies: `Name` (the first), `Name[N]`
/// (counting from 0; `[-1]` is the last) or `Name[*]` (all, as a list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HeaderLine {
    /// `Name`: the first line.
    #[default]
    First,
    /// `Name[N]`: line N from the first (N ≥ 0) or from the last (`-1` is the last).
    Index(i64),
    /// `Name[*]`: every line, as a list of strings.
    All,
}

/// `StaticRequests`: GET a list of URLs concurrently.
#[derive(Clone, Debug)]
pub struct StaticRequests {
    /// The URLs.
    pub url_list: Vec<String>,
    /// Spans of the URLs.
    pub url_spans: Vec<Span>,
    /// Concurrent fetches (default 5).
    pub thread_count: u32,
    /// Request settings applied to each URL (method GET; `url` unused).
    pub request: HttpRequest,
}

/// `PollRequest`: repeat a request until its checks pass.
#[derive(Clone, Debug)]
pub struct PollRequest {
    /// The request and its checks.
    pub request: HttpRequest,
    /// Pause between attempts (default 1 s).
    pub interval: Duration,
    /// Give up after this long (default 60 s).
    pub timeout: Duration,
}

/// `Sleep` arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct SleepArgs {
    /// Seconds to sleep, or the lower bound of a random range.
    pub duration: Param<Duration>,
    /// Upper bound of a random range.
    pub duration_2: Option<Param<Duration>>,
}

/// `RunScript`: a Rhai script.
#[derive(Clone, Debug)]
pub struct RunScript {
    /// The script text.
    pub source: String,
    /// The file the text came from (`path`), if any.
    pub path: Option<PathBuf>,
    /// The compiled script.
    #[cfg(feature = "script")]
    pub ast: Arc<rhai::AST>,
    /// Variables copied into the context afterwards; `None` = nothing.
    pub export: Vec<String>,
    /// Where the script text starts, to map script line numbers back to the file.
    pub origin: ScriptOrigin,
}

/// How Rhai's line/column inside a script map to the scenario files.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScriptOrigin {
    /// The file and line of the script's first line.
    pub span: Span,
    /// Columns to add to Rhai's column (the block scalar's indentation).
    pub indent: u32,
}

impl ScriptOrigin {
    /// Maps a position inside the script text (as Rhai reports it: 1-based line and column) to the
    /// file the script was written in: an inline `script: |` block maps to the scenario line of that
    /// script line, a `.rhai` file to its own line. Without a line, the script's start is returned.
    /// Used both for compile errors at load time and for run-time errors.
    #[cfg(feature = "script")]
    pub fn span_of(&self, sources: &SourceMap, pos: rhai::Position) -> Span {
        let Some(line) = pos.line() else {
            return self.span;
        };
        let col = pos.position().unwrap_or(1);
        let file_line = self.span.line + line as u32 - 1;
        let file_col = self.indent + col as u32;
        let offset = sources
            .get(self.span.file)
            .map_or(0, |f| f.offset_of(file_line, file_col));
        Span {
            file: self.span.file,
            line: file_line,
            col: file_col,
            offset,
            len: 1,
        }
    }
}

/// How sessions and iterations are started.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LoadModel {
    /// `sessions.count` users loop over the scenario (the original's model).
    #[default]
    Closed,
    /// The closed model with `stages`: sessions are started and retired to follow a target count.
    ClosedStages {
        /// Session-count stages, ramped linearly.
        stages: Vec<SessionStage>,
    },
    /// Iterations arrive on a schedule, whether or not earlier ones finished.
    ArrivalRate {
        /// Rate stages, ramped linearly.
        stages: Vec<Stage>,
        /// Pool of virtual users; arrivals that find none free are dropped.
        max_sessions: u32,
        /// How arrivals are spaced at the stages' rate.
        arrivals: Arrivals,
    },
}

impl LoadModel {
    /// A `fraction` of an arrival-rate load: every stage's rate times it, and the pool in proportion,
    /// rounded up (at least 1). How weights share a file's load out, and how `search` shares its rate.
    pub fn arrival_share(stages: &[Stage], max_sessions: u32, arrivals: Arrivals, fraction: f64) -> LoadModel {
        LoadModel::ArrivalRate {
            stages: stages
                .iter()
                .map(|s| Stage {
                    rate: s.rate * fraction,
                    duration: s.duration,
                })
                .collect(),
            max_sessions: ((f64::from(max_sessions) * fraction).ceil() as u32).max(1),
            arrivals,
        }
    }
}

/// One stage of a closed model's schedule (`{sessions: 50, duration: 1m}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionStage {
    /// Target number of sessions at the end of the stage.
    pub sessions: u32,
    /// Stage length.
    pub duration: Duration,
}

/// How an arrival-rate schedule spaces its arrivals (`load.arrivals`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Arrivals {
    /// Evenly spaced at the current rate; the first at once.
    #[default]
    Constant,
    /// A Poisson process at the current rate (exponential gaps; non-homogeneous on a ramp).
    Poisson {
        /// `load.seed`: the same seed gives the same arrival times. `None`: a new seed per run.
        seed: Option<u64>,
    },
}

/// One stage of an arrival-rate schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// Target arrivals per second at the end of the stage.
    pub rate: f64,
    /// Stage length.
    pub duration: Duration,
}
