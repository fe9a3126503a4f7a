//! The parts of a HAR 1.2 file (<http://www.softwareishard.com/blog/har-12-spec/>) that the converter
//! reads. Browsers disagree on which fields they write, so everything except the request's method and
//! URL is optional and unknown fields are ignored; a field of the wrong type is still an error, reported
//! with line and column by serde_json.

use serde::Deserialize;

/// The whole file: `{"log": {...}}`.
#[derive(Debug, Deserialize)]
pub struct HarFile {
    /// The one top-level key.
    pub log: Log,
}

/// `log`: the recording.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Log {
    /// HAR format version, e.g. `1.2`.
    pub version: Option<String>,
    /// The application that wrote the file.
    pub creator: Option<Product>,
    /// The browser that made the requests.
    pub browser: Option<Product>,
    /// The requests, in the order the browser wrote them (not necessarily by time).
    pub entries: Vec<Entry>,
}

/// `creator` / `browser`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Product {
    /// Name, e.g. `WebKit Web Inspector`.
    pub name: Option<String>,
    /// Version string.
    pub version: Option<String>,
}

impl Product {
    /// `name/version`, leaving out what is missing.
    pub fn label(&self) -> String {
        match (&self.name, &self.version) {
            (Some(n), Some(v)) => format!("{n}/{v}"),
            (Some(n), None) => n.clone(),
            (None, Some(v)) => v.clone(),
            (None, None) => "unknown".into(),
        }
    }
}

/// One request/response pair.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// RFC 3339 start time.
    #[serde(default)]
    pub started_date_time: Option<String>,
    /// Total time in ms (the sum of `timings`, per the spec; used when `timings` is missing).
    #[serde(default)]
    pub time: Option<f64>,
    /// The request.
    pub request: Request,
    /// The response; some tools leave it out for aborted requests.
    #[serde(default)]
    pub response: Response,
    /// Phases of the request in ms; -1 means "does not apply".
    #[serde(default)]
    pub timings: Option<Timings>,
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `request`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute URL, query string included.
    pub url: String,
    /// `HTTP/1.1`, `HTTP/2`, `h3`, or empty.
    #[serde(default)]
    pub http_version: Option<String>,
    /// The parsed query string.
    #[serde(default)]
    pub query_string: Vec<NameValue>,
    /// The request's header fields as recorded.
    #[serde(default)]
    pub headers: Vec<NameValue>,
    /// The request body.
    #[serde(default)]
    pub post_data: Option<PostData>,
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `request.postData`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PostData {
    /// The body's media type.
    pub mime_type: Option<String>,
    /// Form fields (urlencoded or multipart).
    pub params: Vec<NameValue>,
    /// The raw body.
    pub text: Option<String>,
}

/// A `{name, value}` pair; a missing value is an empty string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NameValue {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// `response`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Response {
    /// HTTP status (0 for aborted requests).
    pub status: Option<i64>,
    /// The body's description.
    pub content: Content,
    /// Free text.
    pub comment: Option<String>,
}

/// `response.content`. Its `text` (possibly base64) is never read, so any encoding is fine.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Content {
    /// Body size in bytes (-1 or missing when unknown).
    pub size: Option<f64>,
    /// Media type, e.g. `text/css; charset=utf-8`.
    pub mime_type: Option<String>,
}

/// `timings`, in ms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Timings {
    /// Waiting for a connection.
    pub blocked: Option<f64>,
    /// DNS lookup.
    pub dns: Option<f64>,
    /// TCP (and TLS) connect.
    pub connect: Option<f64>,
    /// Sending the request.
    pub send: Option<f64>,
    /// Waiting for the first byte.
    pub wait: Option<f64>,
    /// Reading the response.
    pub receive: Option<f64>,
}

impl Timings {
    /// The sum of the phases that apply, in ms (`ssl` is part of `connect`, so it is not added).
    pub fn total_ms(&self) -> f64 {
        [self.blocked, self.dns, self.connect, self.send, self.wait, self.receive]
            .into_iter()
            .flatten()
            .filter(|v| *v > 0.0)
            .sum()
    }
}
