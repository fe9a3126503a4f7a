//! The route table and the small fixed-purpose endpoints (status codes, delays, login, cookies,
//! headers, redirects, polling, payload sizes, HTML, server statistics, stored files).
//!
//! Handlers stay cheap on purpose: this server is the load generator's benchmark target, so its own
//! cost per request must stay far below stressor's.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, SET_COOKIE, TRANSFER_ENCODING};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::codec::{is_valid_cookie, pairs_to_json, query_pairs, request_cookies};
use super::content;
use super::docroot::DocRoot;
use super::echo::{echo, parse_body};
use super::files::{self, MemoryStore, dav_options, text};

/// Largest request body accepted (PUT uploads included); bigger ones get 413.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// `/slow` never waits longer than this, so a typo cannot hang a test run.
const MAX_SLEEP_SECS: f64 = 60.0;
/// `/bytes/<n>` never sends more than this (10 MiB).
const MAX_BYTES: usize = 10 * 1024 * 1024;
/// `/poll/<key>` reports ready from this poll on unless `ready_after` says otherwise.
const DEFAULT_READY_AFTER: u64 = 3;
/// The user GUID of the original fixtures' `mock_login_response.json`.
const USER_GUID: &str = "{BBFC98E6-DD92-473C-A65C-BDD868E64CF2}";

/// State shared by all connections.
pub(crate) struct AppState {
    /// Requests handled since start (`/_stressor/stats`, [`super::TargetServer::requests`]).
    pub requests: AtomicU64,
    pub root: DocRoot,
    pub memory: MemoryStore,
    polls: Mutex<HashMap<String, u64>>,
    /// `/slow?c=N`: one semaphore of N permits per N, shared by every request that names it.
    limits: Mutex<HashMap<u32, Arc<tokio::sync::Semaphore>>>,
    sessions: AtomicU64,
    /// Per-process random seed, so session tokens differ between runs without an RNG dependency.
    token_seed: RandomState,
    /// How long this server took per request (`/_stressor/latency`).
    latency: Mutex<ServerLatency>,
}

/// The server's own time per request, in microseconds: from the moment its routing saw the request
/// (head parsed) to the moment the response was ready to be written. What a client measures beyond
/// this was spent on the wire, in socket queues (the server's and the client's) and in the client:
/// `bench/peers.py` subtracts the two to tell what latency a load generator added.
struct ServerLatency(hdrhistogram::Histogram<u64>);

impl ServerLatency {
    fn new() -> Self {
        // 3 significant digits from 1 µs, growing to what is recorded (as the client's own).
        ServerLatency(hdrhistogram::Histogram::new(3).expect("3 significant digits are valid"))
    }
}

impl AppState {
    /// The semaphore of `/slow?c=N`.
    fn limit(&self, permits: u32) -> Arc<tokio::sync::Semaphore> {
        let mut limits = self.limits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        limits
            .entry(permits)
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(permits as usize)))
            .clone()
    }

    pub(crate) fn new(root: DocRoot) -> Self {
        AppState {
            requests: AtomicU64::new(0),
            root,
            memory: MemoryStore::default(),
            polls: Mutex::new(HashMap::new()),
            limits: Mutex::new(HashMap::new()),
            sessions: AtomicU64::new(0),
            token_seed: RandomState::new(),
            latency: Mutex::new(ServerLatency::new()),
        }
    }

    fn session_token(&self) -> String {
        let seq = self.sessions.fetch_add(1, Ordering::Relaxed);
        let mut hasher = self.token_seed.build_hasher();
        hasher.write_u64(seq);
        format!("{:016x}{seq:04x}", hasher.finish())
    }
}

/// Builds the application. Specific routes answer `OPTIONS` like the document routes do, except
/// `/echo`, whose job is to reflect every method.
pub(crate) fn router(app: Arc<AppState>) -> Router {
    let login_routes = || dav(get(login).post(login));
    Router::new()
        .route("/echo", any(echo))
        .route("/echo/", any(echo))
        .route("/echo/{*rest}", any(echo))
        .route("/status/{code}", dav(any(status)))
        .route("/slow", dav(any(slow)))
        .route("/login", login_routes())
        .route("/my-login-service", login_routes())
        .route("/cookies", dav(get(cookies)))
        .route("/cookies/set", dav(get(cookies_set)))
        .route("/response-headers", dav(get(response_headers)))
        .route("/redirect/{n}", dav(get(redirect)))
        .route("/redirect-to", dav(any(redirect_to)))
        .route("/login/redirect", dav(get(login_redirect).post(login_redirect)))
        .route("/multipart", any(super::forms::multipart_echo))
        .route("/poll/{key}", dav(any(poll)))
        .route("/bytes/{n}", dav(get(bytes)))
        .route("/html", dav(get(html)))
        .route("/items", dav(get(content::items)))
        .route("/gzip-bomb", dav(get(content::gzip_bomb)))
        .route("/charset/{name}", dav(get(content::charset)))
        .route("/xml", dav(get(content::xml)))
        .route("/_stressor/stats", dav(get(stats)))
        .route("/_stressor/latency", dav(get(latency).delete(reset_latency)))
        .route("/_stressor/files", dav(get(stored_files)))
        .fallback(files::handle)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // Outermost, so rejected requests (405, 413) are counted too.
        .layer(from_fn_with_state(app.clone(), count_request))
        .with_state(app)
}

fn dav(route: MethodRouter<Arc<AppState>>) -> MethodRouter<Arc<AppState>> {
    route.options(|| async { dav_options() })
}

async fn count_request(State(app): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    app.requests.fetch_add(1, Ordering::Relaxed);
    // The benchmark's own questions (`/_stressor/...`) are not part of the load it measures.
    if request.uri().path().starts_with("/_stressor/") {
        return next.run(request).await;
    }
    let started = Instant::now();
    let response = next.run(request).await;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
    let mut latency = app.latency.lock().unwrap_or_else(PoisonError::into_inner);
    // `record` grows the histogram to the value; `saturating_record` alone would clamp every value to
    // the small range an empty auto-resizing histogram starts with.
    if latency.0.record(micros).is_err() {
        latency.0.saturating_record(micros);
    }
    response
}

/// 1xx codes are refused: HTTP/1.1 only allows them as interim answers before a final one, so they
/// cannot be "the" response.
async fn status(Path(code): Path<String>) -> Response {
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|c| (100..=599).contains(c))
        .and_then(|c| StatusCode::from_u16(c).ok());
    match status {
        Some(status) if status.is_informational() => {
            text(StatusCode::BAD_REQUEST, "1xx status codes cannot be a final response\n")
        }
        // These must not carry content (RFC 9110 §15.3.5, §15.3.6, §15.4.5).
        Some(status @ (StatusCode::NO_CONTENT | StatusCode::RESET_CONTENT | StatusCode::NOT_MODIFIED)) => {
            status.into_response()
        }
        Some(status) => {
            let body = format!(
                "{} {}\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Unknown")
            );
            (status, body).into_response()
        }
        None => text(StatusCode::BAD_REQUEST, "status code must be 100..=599\n"),
    }
}

/// `/slow?ms=N` (or `s=N`) sleeps that long; with `c=N`, at most N such requests sleep at once and the
/// others wait their turn, so the endpoint has a known capacity (N / delay per second) beyond which
/// its latency grows without bound, as a saturated service's does.
async fn slow(State(app): State<Arc<AppState>>, uri: Uri) -> Response {
    let pairs = query_pairs(uri.query());
    let number = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().parse::<f64>())
    };
    let secs = match (number("s"), number("ms")) {
        (Some(Ok(s)), _) => s,
        (None, Some(Ok(ms))) => ms / 1000.0,
        _ => return text(StatusCode::BAD_REQUEST, "give s=<seconds> or ms=<millis>\n"),
    };
    if secs.is_nan() || secs < 0.0 {
        return text(StatusCode::BAD_REQUEST, "delay must be a number >= 0\n");
    }
    let secs = secs.min(MAX_SLEEP_SECS);
    let limit = match number("c") {
        None => None,
        Some(Ok(c)) if (1.0..=10_000.0).contains(&c) => Some(app.limit(c as u32)),
        Some(_) => return text(StatusCode::BAD_REQUEST, "c must be a whole number from 1 to 10000\n"),
    };
    // The semaphore is never closed, so acquiring only waits.
    let _permit = match &limit {
        Some(semaphore) => semaphore.acquire().await.ok(),
        None => None,
    };
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    Json(json!({ "slept": secs })).into_response()
}

/// Mimics the login service the original fixtures mock with `mock_login_response.json`, plus a
/// session cookie so cookie handling can be tested across requests.
async fn login(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let parsed = parse_body(&headers, &body);
    let from_pairs = |pairs: Vec<(String, String)>| pairs.into_iter().find(|(n, _)| n == "name").map(|(_, v)| v);
    let name = parsed
        .form
        .and_then(from_pairs)
        .or_else(|| match parsed.json {
            Some(Value::Object(mut map)) => match map.remove("name") {
                Some(Value::String(name)) => Some(name),
                _ => None,
            },
            _ => None,
        })
        .or_else(|| from_pairs(query_pairs(uri.query())));
    let mut result = json!({ "user_guid": USER_GUID, "roles": [] });
    if let (Some(name), Value::Object(map)) = (name, &mut result) {
        map.insert("user".into(), Value::String(name));
    }
    let cookie = format!("session={}; Path=/; HttpOnly", app.session_token());
    let mut response = Json(json!({ "status": "ok", "result": result })).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

async fn cookies(headers: HeaderMap) -> Json<Value> {
    Json(Value::Object(pairs_to_json(request_cookies(&headers))))
}

async fn cookies_set(uri: Uri) -> Response {
    let pairs = query_pairs(uri.query());
    let mut set_cookies = HeaderMap::new();
    for (name, value) in &pairs {
        let header = is_valid_cookie(name, value)
            .then(|| HeaderValue::from_str(&format!("{name}={value}; Path=/")).ok())
            .flatten();
        match header {
            Some(header) => set_cookies.append(SET_COOKIE, header),
            None => return text(StatusCode::BAD_REQUEST, "invalid cookie name or value\n"),
        };
    }
    (set_cookies, Json(Value::Object(pairs_to_json(pairs)))).into_response()
}

async fn response_headers(uri: Uri) -> Response {
    let pairs = query_pairs(uri.query());
    let mut headers = HeaderMap::new();
    for (name, value) in &pairs {
        let parsed = HeaderName::from_bytes(name.as_bytes())
            .ok()
            .zip(HeaderValue::from_str(value).ok());
        match parsed {
            // Framing headers would make the response unreadable rather than test anything.
            Some((name, _)) if name == CONTENT_LENGTH || name == TRANSFER_ENCODING => {
                return text(StatusCode::BAD_REQUEST, "framing headers cannot be set\n");
            }
            Some((name, value)) => headers.append(name, value),
            None => return text(StatusCode::BAD_REQUEST, "invalid header name or value\n"),
        };
    }
    let mut response = Json(Value::Object(pairs_to_json(pairs))).into_response();
    // Requested headers replace defaults (e.g. Content-Type) instead of adding a second value.
    for name in headers.keys() {
        response.headers_mut().remove(name);
    }
    for (name, value) in &headers {
        response.headers_mut().append(name, value.clone());
    }
    response
}

async fn redirect(Path(n): Path<String>) -> Response {
    let location = match n.parse::<u32>() {
        Ok(0) => "/echo".to_owned(),
        Ok(n) => format!("/redirect/{}", n - 1),
        Err(_) => return text(StatusCode::BAD_REQUEST, "redirect count must be a number\n"),
    };
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "bad location\n"),
    }
}

/// `/redirect-to?url=U&status=S`: a redirect to `U` with status `S` (default 302; 301, 302, 303, 307
/// or 308), any method, so a 307's kept body can be seen at `/echo`.
async fn redirect_to(uri: Uri) -> Response {
    let pairs = query_pairs(uri.query());
    let get = |key: &str| pairs.iter().find(|(n, _)| n == key).map(|(_, v)| v.as_str());
    let status = match get("status").map_or(Ok(302), str::parse::<u16>) {
        Ok(s @ (301..=303 | 307 | 308)) => StatusCode::from_u16(s).unwrap_or(StatusCode::FOUND),
        _ => return text(StatusCode::BAD_REQUEST, "status must be 301, 302, 303, 307 or 308\n"),
    };
    match get("url").map(HeaderValue::from_str) {
        Some(Ok(location)) => (status, [(LOCATION, location)]).into_response(),
        _ => text(StatusCode::BAD_REQUEST, "url must be given\n"),
    }
}

/// `/login/redirect`: a login form's answer, as most sites give it: `302 Found` to `/cookies` (which
/// shows the cookies sent) with the session's `Set-Cookie`.
async fn login_redirect(State(app): State<Arc<AppState>>) -> Response {
    let cookie = format!("session={}; Path=/; HttpOnly", app.session_token());
    match HeaderValue::from_str(&cookie) {
        Ok(cookie) => (
            StatusCode::FOUND,
            [(LOCATION, HeaderValue::from_static("/cookies")), (SET_COOKIE, cookie)],
        )
            .into_response(),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "bad cookie\n"),
    }
}

/// Counts polls per key, so a scenario's poll loop can be tested to stop exactly when ready.
async fn poll(State(app): State<Arc<AppState>>, method: Method, Path(key): Path<String>, uri: Uri) -> Response {
    if method == Method::DELETE {
        let mut polls = app.polls.lock().unwrap_or_else(PoisonError::into_inner);
        polls.remove(&key);
        return StatusCode::NO_CONTENT.into_response();
    }
    let ready_after = match query_pairs(uri.query()).iter().find(|(n, _)| n == "ready_after") {
        None => DEFAULT_READY_AFTER,
        Some((_, v)) => match v.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return text(StatusCode::BAD_REQUEST, "ready_after must be a number\n"),
        },
    };
    let count = {
        let mut polls = app.polls.lock().unwrap_or_else(PoisonError::into_inner);
        let count = polls.entry(key).or_insert(0);
        *count += 1;
        *count
    };
    Json(json!({ "count": count, "ready": count >= ready_after })).into_response()
}

async fn bytes(Path(n): Path<String>) -> Response {
    // One shared buffer, sliced per request: large payloads cost no allocation or copy.
    static XS: OnceLock<Bytes> = OnceLock::new();
    let Ok(n) = n.parse::<usize>() else {
        return text(StatusCode::BAD_REQUEST, "byte count must be a number\n");
    };
    let xs = XS.get_or_init(|| Bytes::from(vec![b'x'; MAX_BYTES]));
    (
        [(CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
        xs.slice(..n.min(MAX_BYTES)),
    )
        .into_response()
}

const HTML_PAGE: &str = "<!DOCTYPE html>
<html>
<head><meta charset=\"utf-8\"><title>stressor test page</title></head>
<body>
<div id=\"main\">Hello stressor</div>
<ul>
<li class=\"item\">one</li>
<li class=\"item\">two</li>
<li class=\"item\">three</li>
</ul>
</body>
</html>
";

async fn html() -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
        HTML_PAGE,
    )
        .into_response()
}

async fn stats(State(app): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "requests": app.requests.load(Ordering::Relaxed) }))
}

/// `GET /_stressor/latency`: the server's own time per request (see [`ServerLatency`]) since start or
/// the last `DELETE`, as a count and percentiles in microseconds.
async fn latency(State(app): State<Arc<AppState>>) -> Json<Value> {
    let latency = app.latency.lock().unwrap_or_else(PoisonError::into_inner);
    let h = &latency.0;
    let at = |q: f64| if h.is_empty() { 0 } else { h.value_at_quantile(q) };
    Json(json!({
        "count": h.len(),
        "p50_us": at(0.5),
        "p90_us": at(0.9),
        "p99_us": at(0.99),
        "max_us": if h.is_empty() { 0 } else { h.max() },
    }))
}

/// `DELETE /_stressor/latency`: starts the server's latency histogram afresh (a benchmark does so
/// before each measured run).
async fn reset_latency(State(app): State<Arc<AppState>>) -> StatusCode {
    app.latency.lock().unwrap_or_else(PoisonError::into_inner).0.reset();
    StatusCode::NO_CONTENT
}

/// `/_stressor/files?prefix=/orders/`: the paths stored by `PUT` (and not deleted) under a prefix, and
/// how many: what a test-data run created and what its clean-up left, counted by the server.
async fn stored_files(State(app): State<Arc<AppState>>, uri: Uri) -> Json<Value> {
    let pairs = query_pairs(uri.query());
    let prefix = pairs
        .iter()
        .find(|(n, _)| n == "prefix")
        .map_or("/", |(_, v)| v.as_str());
    let paths = app.memory.paths(prefix);
    Json(json!({ "count": paths.len(), "paths": paths }))
}
