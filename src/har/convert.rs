//! Entries of a HAR file → typed activities.

use super::model::{Entry, HarFile, Log};
use super::{BaseUrlOption, HarError, HarOptions};
use crate::rfc3339::parse_rfc3339;
use regex::Regex;
use std::collections::HashSet;
use std::path::Path;
use std::time::UNIX_EPOCH;
use url::Url;

/// What the recording says about itself, for the header of the generated file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceInfo {
    /// HAR format version.
    pub har_version: Option<String>,
    /// `name/version` of the tool that wrote the file.
    pub creator: Option<String>,
    /// `name/version` of the browser.
    pub browser: Option<String>,
    /// Start time of the earliest entry, as written in the file.
    pub recorded: Option<String>,
}

/// Counters of one conversion; every entry of the file ends up in exactly one of `activities`
/// (or merged into a `StaticRequests` via `collated_urls`), `external_skipped` and `unusable`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConversionStats {
    /// Entries in the file.
    pub entries_total: usize,
    /// Activities written (`StaticRequests` count once).
    pub activities: usize,
    /// Entries left out because their origin is not the base URL's.
    pub external_skipped: usize,
    /// Entries whose URL is not an absolute http(s) URL (`data:`, `blob:`, extensions, garbage).
    pub unusable: usize,
    /// URLs that went into a `StaticRequests`.
    pub collated_urls: usize,
    /// `StaticRequests` activities made by collation.
    pub collated_activities: usize,
}

/// The request body of an HTTP activity.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    None,
    /// Form fields (`data:` mapping).
    Form(Vec<(String, String)>),
    /// A JSON body (`json:`), when the request's media type was JSON and the text parsed.
    Json(serde_json::Value),
    /// Any other body, sent as is (`data:` string, with its `Content-Type` header).
    Text(String),
}

/// One HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestActivity {
    /// Upper-case method.
    pub method: String,
    /// Relative to the base URL (`/path`), or absolute for a kept external URL. Carries the query only
    /// when it could not become `params` (a name given twice).
    pub url: String,
    /// Query parameters, decoded.
    pub params: Vec<(String, String)>,
    /// Extra headers (`Content-Type` of a text body and the recorded `Accept-Encoding`: cookies and
    /// other browser headers are session state that a load test should make itself).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// The recorded status when it was neither 2xx nor 3xx (`assert_status: [404]`): the browser got
    /// it too, so a faithful replay expects it rather than failing on it.
    pub expect_status: Option<u16>,
    /// Comment lines: what the recording said about the response.
    pub comments: Vec<String>,
}

/// A burst of static resources fetched in parallel.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticActivity {
    /// The URLs (query included), in recorded order.
    pub url_list: Vec<String>,
    /// Parallel fetches.
    pub thread_count: u32,
    /// Comment lines.
    pub comments: Vec<String>,
}

/// One generated activity.
#[derive(Debug, Clone, PartialEq)]
pub enum Activity {
    /// `GetRequest`, `PostRequest`, ..., or `HTTPRequest` with `method:`.
    Request(RequestActivity),
    /// `StaticRequests`.
    Static(StaticActivity),
}

/// The result of converting one HAR file.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// About the recording.
    pub source: SourceInfo,
    /// The base URL the activities are relative to (`config.base_url`).
    pub base_url: String,
    /// The activities, in recorded order.
    pub activities: Vec<Activity>,
    /// What was done.
    pub stats: ConversionStats,
    /// The skipped external URLs, in order.
    pub skipped_urls: Vec<String>,
}

/// An entry reduced to what the conversion needs.
struct Prepared {
    method: String,
    url: Url,
    start: f64,
    mime: String,
    body: Body,
    headers: Vec<(String, String)>,
    /// The recorded status, when it is a final HTTP status (100-599).
    status: Option<u16>,
    comments: Vec<String>,
}

impl Prepared {
    /// The recorded status, when a replay must expect it explicitly: anything but 2xx and 3xx (a
    /// redirect is followed to its 2xx, as the browser did).
    fn unusual_status(&self) -> Option<u16> {
        self.status.filter(|s| !(200..400).contains(s))
    }
}

/// Reads and converts a HAR file.
pub fn convert(path: &Path, opts: &HarOptions) -> Result<Conversion, HarError> {
    let bytes = std::fs::read(path).map_err(|source| HarError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    // Recordings with a broken byte somewhere in a captured body are common; that byte matters less
    // than the rest of the file, so it is replaced rather than refused.
    let text = String::from_utf8_lossy(bytes);
    if let std::borrow::Cow::Owned(_) = text {
        tracing::warn!("{}: not valid UTF-8; invalid bytes were replaced", path.display());
    }
    let har: HarFile = serde_json::from_str(&text).map_err(|e| HarError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    convert_log(har.log, opts).map_err(|reason| HarError::Empty {
        path: path.to_path_buf(),
        reason,
    })
}

/// serde_json appends " at line L column C"; the error shows the position in front instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn convert_log(log: Log, opts: &HarOptions) -> Result<Conversion, String> {
    let statics = opts.statics_regexes()?;
    let mut stats = ConversionStats {
        entries_total: log.entries.len(),
        ..Default::default()
    };
    let recorded = log
        .entries
        .iter()
        .filter_map(|e| e.started_date_time.clone())
        .min_by(|a, b| {
            let (ta, tb) = (timestamp(a), timestamp(b));
            ta.partial_cmp(&tb).unwrap_or(std::cmp::Ordering::Equal)
        });
    let source = SourceInfo {
        har_version: log.version.clone(),
        creator: log.creator.as_ref().map(|p| p.label()),
        browser: log.browser.as_ref().map(|p| p.label()),
        recorded,
    };
    let mut entries = Vec::with_capacity(log.entries.len());
    let mut last_start = 0.0;
    for (index, entry) in log.entries.into_iter().enumerate() {
        match prepare(entry, last_start) {
            Ok(p) => {
                last_start = p.start;
                entries.push(p);
            }
            Err(reason) => {
                tracing::info!("HAR entry #{}: skipped: {reason}", index + 1);
                stats.unusable += 1;
            }
        }
    }
    // The spec says readers must sort: browsers write entries in completion order. The sort is
    // stable, so entries without a start time stay after their predecessor.
    entries.sort_by(|a, b| a.start.total_cmp(&b.start));

    let (base_url, origin) = match &opts.base_url {
        BaseUrlOption::Fixed(url) => {
            let parsed = Url::parse(url).map_err(|e| format!("base_url `{url}`: {e}"))?;
            (url.clone(), parsed.origin().ascii_serialization())
        }
        BaseUrlOption::Detect(_) => {
            let origin = most_frequent_origin(&entries).ok_or_else(|| "it contains no http(s) request".to_string())?;
            (origin.clone(), origin)
        }
    };
    tracing::info!("using base URL {base_url}");

    let mut out = Vec::new();
    let mut skipped_urls = Vec::new();
    let mut bucket: Vec<Prepared> = Vec::new();
    for entry in entries {
        let external = entry.url.origin().ascii_serialization() != origin;
        if external && opts.skip_externals {
            // Externals are dropped before collation, so they neither join nor split a burst.
            tracing::info!("skipping external URL {}", entry.url);
            stats.external_skipped += 1;
            skipped_urls.push(entry.url.to_string());
            continue;
        }
        // A resource the server answered with an error keeps its own request, which expects that
        // status; in a StaticRequests it would fail the whole burst.
        let is_static = opts.collate_max_len > 1
            && entry.method == "GET"
            && entry.body == Body::None
            && entry.unusual_status().is_none()
            && statics.iter().any(|re: &Regex| re.is_match(&entry.mime));
        let joins = is_static
            && bucket.first().is_none_or(|first| {
                bucket.len() < opts.collate_max_len
                    && entry.start - first.start <= opts.collate_max_duration
                    && bucket
                        .last()
                        .is_some_and(|last| entry.start - last.start <= opts.collate_max_pause)
            });
        if !joins {
            flush(&mut bucket, &origin, opts, &mut out, &mut stats);
        }
        if is_static {
            bucket.push(entry);
        } else {
            out.push(request(entry, &origin));
        }
    }
    flush(&mut bucket, &origin, opts, &mut out, &mut stats);
    if out.is_empty() {
        return Err(format!(
            "all {} request(s) are for other origins than {base_url} (set `base_url` in the --opts file, or `skip_externals: false`)",
            stats.external_skipped
        ));
    }
    stats.activities = out.len();
    Ok(Conversion {
        source,
        base_url,
        activities: out,
        stats,
        skipped_urls,
    })
}

/// Ends a burst: two or more URLs become one `StaticRequests`, a single one stays a plain request.
fn flush(
    bucket: &mut Vec<Prepared>,
    origin: &str,
    opts: &HarOptions,
    out: &mut Vec<Activity>,
    stats: &mut ConversionStats,
) {
    match bucket.len() {
        0 => {}
        1 => out.extend(bucket.pop().map(|e| request(e, origin))),
        n => {
            stats.collated_urls += n;
            stats.collated_activities += 1;
            let span = bucket[n - 1].start - bucket[0].start;
            let url_list = bucket.iter().map(|e| relative(&e.url, origin, true)).collect();
            out.push(Activity::Static(StaticActivity {
                url_list,
                thread_count: opts.collate_thread_count,
                comments: vec![format!(
                    "Auto-collated {n} GET requests of static resources (recorded within {span:.3} s)"
                )],
            }));
            bucket.clear();
        }
    }
}

fn request(mut entry: Prepared, origin: &str) -> Activity {
    let expect_status = entry.unusual_status();
    if let Some(status) = expect_status {
        entry.comments.push(format!(
            "Recorded status {status}: expected (assert_status), since the browser got it too"
        ));
    }
    let pairs: Vec<(String, String)> = entry
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut names = HashSet::new();
    // `params` is a mapping, so a name given twice (`?id=1&id=2`) cannot be written there; such a
    // query stays in the URL, where it is sent exactly as recorded.
    let unique = pairs.iter().all(|(k, _)| names.insert(k.as_str()));
    let (url, params) = if unique {
        (relative(&entry.url, origin, false), pairs)
    } else {
        (relative(&entry.url, origin, true), Vec::new())
    };
    Activity::Request(RequestActivity {
        method: entry.method,
        url,
        params,
        headers: entry.headers,
        body: entry.body,
        expect_status,
        comments: entry.comments,
    })
}

/// `/path[?query]` for the base origin, the absolute URL for others; the fragment is never sent.
fn relative(url: &Url, origin: &str, with_query: bool) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    if !with_query {
        url.set_query(None);
    }
    if url.origin().ascii_serialization() == origin {
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    } else {
        url.to_string()
    }
}

fn most_frequent_origin(entries: &[Prepared]) -> Option<String> {
    // Ties go to the origin seen first, so the result does not depend on hash order.
    let mut counts: Vec<(String, usize)> = Vec::new();
    for e in entries {
        let origin = e.url.origin().ascii_serialization();
        match counts.iter_mut().find(|(o, _)| *o == origin) {
            Some((_, n)) => *n += 1,
            None => counts.push((origin, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(o, _)| o)
}

fn timestamp(text: &str) -> Option<f64> {
    parse_rfc3339(text)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
}

fn prepare(entry: Entry, previous_start: f64) -> Result<Prepared, String> {
    let req = entry.request;
    let url = Url::parse(&req.url).map_err(|e| format!("URL `{}`: {e}", req.url))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(format!("`{}` is not an http(s) URL", shorten(&req.url, 60)));
    }
    let method = req.method.trim().to_ascii_uppercase();
    if method.is_empty()
        || !method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!("`{method}` is not an HTTP method"));
    }
    if let Some(v) = req.http_version.as_deref().filter(|v| !v.is_empty()) {
        tracing::trace!("{method} {url}: {v}");
    }
    let start = entry
        .started_date_time
        .as_deref()
        .and_then(timestamp)
        .unwrap_or(previous_start);
    let elapsed = match &entry.timings {
        Some(t) if t.total_ms() > 0.0 => t.total_ms(),
        _ => entry.time.filter(|t| *t > 0.0).unwrap_or(0.0),
    } / 1000.0;
    let (body, mut headers) = body(req.post_data);
    // The recorded `Accept-Encoding` is kept (the codings the browser asked for are part of the load
    // the server had); other browser headers are session state or the client's own.
    if let Some(h) = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("accept-encoding"))
    {
        headers.push(("Accept-Encoding".to_string(), h.value.clone()));
    }
    let resp = entry.response;
    let mime = resp.content.mime_type.clone().unwrap_or_default();
    let size = resp.content.size.filter(|s| *s >= 0.0);
    let mut comments = Vec::new();
    comments.extend(req.comment.filter(|c| !c.trim().is_empty()));
    comments.extend(entry.comment.filter(|c| !c.trim().is_empty()));
    comments.push(describe_response(resp.status, &mime, size, elapsed));
    comments.extend(resp.comment.filter(|c| !c.trim().is_empty()));
    Ok(Prepared {
        method,
        url,
        start,
        mime,
        body,
        headers,
        status: resp
            .status
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..600).contains(s)),
        comments,
    })
}

fn body(post: Option<super::model::PostData>) -> (Body, Vec<(String, String)>) {
    let Some(post) = post else {
        return (Body::None, Vec::new());
    };
    let mime = post.mime_type.unwrap_or_default();
    let text = post.text.filter(|t| !t.is_empty());
    let lower = mime.to_ascii_lowercase();
    let essence = lower.split(';').next().unwrap_or("").trim();
    if (essence == "application/json" || essence.ends_with("+json"))
        && let Some(value) = text.as_deref().and_then(|t| serde_json::from_str(t).ok())
    {
        return (Body::Json(value), Vec::new());
    }
    let mut names = HashSet::new();
    // Form fields become a mapping; repeated names only fit the raw text (if the recording has it).
    let unique = post.params.iter().all(|p| names.insert(p.name.as_str()));
    // Multipart bodies carry a boundary in their content type that the text depends on, so they
    // are resent as fields (reqwest makes its own encoding).
    if !post.params.is_empty() && (unique || text.is_none()) {
        let mut seen = HashSet::new();
        let fields = post
            .params
            .into_iter()
            .filter(|p| seen.insert(p.name.clone()))
            .map(|p| (p.name, p.value))
            .collect();
        return (Body::Form(fields), Vec::new());
    }
    match text {
        Some(text) if essence == "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes()).into_owned().collect();
            let mut seen = HashSet::new();
            if !pairs.is_empty() && pairs.iter().all(|(k, _)| seen.insert(k.clone())) {
                (Body::Form(pairs), Vec::new())
            } else {
                (Body::Text(text), vec![("Content-Type".to_string(), mime)])
            }
        }
        Some(text) => {
            let headers = if mime.is_empty() {
                Vec::new()
            } else {
                vec![("Content-Type".to_string(), mime)]
            };
            (Body::Text(text), headers)
        }
        None => (Body::None, Vec::new()),
    }
}

fn describe_response(status: Option<i64>, mime: &str, size: Option<f64>, elapsed: f64) -> String {
    let status = match status {
        Some(s) if s > 0 => s.to_string(),
        _ => "none".to_string(),
    };
    let mime = if mime.is_empty() { "unknown" } else { mime };
    let size = match size {
        Some(s) => format!("{} bytes", thousands(s as u64)),
        None => "unknown".to_string(),
    };
    format!("Response: status {status}, type '{mime}', size {size}, time {elapsed:.3} s")
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests;
