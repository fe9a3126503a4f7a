//! Documents: the in-memory PUT store layered over the read-only document root, directory listings
//! and the WebDAV-style `OPTIONS` answer.
//!
//! Every path no other route claims ends up here, which is what lets scenarios written against the
//! original tool's WsgiDAV server (OPTIONS, GET listing, PUT/GET/DELETE of a per-session file) run
//! unchanged.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::codec::{encode_path, html_escape};
use super::docroot::{BadPath, DirEntry, Node, clean_path, dir_prefix, into_entries};
use super::routes::AppState;

/// The methods the document routes implement, advertised by `OPTIONS` and on 405 answers.
pub(crate) const ALLOWED: &str = "OPTIONS, GET, HEAD, PUT, DELETE, POST";

/// A stressor logo, inlined so listings need no second request (and match the original fixtures'
/// `//*[@class='logo']` check).
const LOGO: &str = "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%20\
viewBox='0%200%2032%2032'%3E%3Crect%20width='32'%20height='32'%20rx='6'%20fill='%23c0392b'/%3E\
%3Cpath%20d='M6%2022l6-8%205%206%204-5%205%207'%20stroke='white'%20stroke-width='3'%20fill='none'/%3E\
%3C/svg%3E";

/// A document stored by `PUT`.
#[derive(Clone)]
struct StoredFile {
    body: Bytes,
    content_type: HeaderValue,
}

/// Files created by `PUT`, shared by all connections.
///
/// A std `RwLock` is enough: every access is a short map operation and the lock is never held
/// across an await, so readers on different connections do not contend for long.
#[derive(Default)]
pub(crate) struct MemoryStore {
    files: RwLock<HashMap<String, StoredFile>>,
}

impl MemoryStore {
    fn get(&self, key: &str) -> Option<StoredFile> {
        let files = self.files.read().unwrap_or_else(PoisonError::into_inner);
        files.get(key).cloned()
    }

    /// Stores a file; returns whether it replaced an existing one.
    fn put(&self, key: String, file: StoredFile) -> bool {
        let mut files = self.files.write().unwrap_or_else(PoisonError::into_inner);
        files.insert(key, file).is_some()
    }

    fn remove(&self, key: &str) -> bool {
        let mut files = self.files.write().unwrap_or_else(PoisonError::into_inner);
        files.remove(key).is_some()
    }

    /// Every stored path that starts with `prefix`, sorted.
    pub(crate) fn paths(&self, prefix: &str) -> Vec<String> {
        let files = self.files.read().unwrap_or_else(PoisonError::into_inner);
        let mut paths: Vec<String> = files.keys().filter(|k| k.starts_with(prefix)).cloned().collect();
        paths.sort_unstable();
        paths
    }

    /// Direct children of a directory key, so stored files show up in listings (and a directory that
    /// exists only in memory can be listed at all).
    fn children(&self, dir: &str, into: &mut BTreeMap<String, bool>) {
        let prefix = dir_prefix(dir);
        let files = self.files.read().unwrap_or_else(PoisonError::into_inner);
        for key in files.keys() {
            if let Some(rest) = key.strip_prefix(prefix.as_str()) {
                match rest.split_once('/') {
                    Some((sub, _)) => into.insert(sub.to_owned(), true),
                    None => into.insert(rest.to_owned(), false),
                };
            }
        }
    }
}

/// The 200 answer to `OPTIONS` on any document path, shaped like WsgiDAV's so the original fixtures'
/// `assert_match_headers: ".*'DAV'.*"` holds.
pub(crate) fn dav_options() -> Response {
    (
        StatusCode::OK,
        [
            (HeaderName::from_static("dav"), HeaderValue::from_static("1,2")),
            (ALLOW, HeaderValue::from_static(ALLOWED)),
        ],
    )
        .into_response()
}

/// Fallback handler: documents for every path no other route claims.
///
/// Takes the whole request so GET and HEAD, the benchmark-relevant methods, neither copy the
/// headers nor touch the body; only PUT reads it.
pub(crate) async fn handle(State(app): State<Arc<AppState>>, request: Request) -> Response {
    if request.method() == Method::OPTIONS {
        return dav_options();
    }
    let key = match clean_path(request.uri().path()) {
        Ok(key) => key,
        Err(BadPath::Traversal) => {
            return text(StatusCode::BAD_REQUEST, "path traversal is not allowed\n");
        }
        Err(BadPath::Invalid) => return text(StatusCode::BAD_REQUEST, "invalid path\n"),
    };
    match *request.method() {
        Method::GET => get(&app, &key, false).await,
        Method::HEAD => get(&app, &key, true).await,
        Method::PUT => put(&app, key, request).await,
        Method::DELETE => delete(&app, &key),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            [(ALLOW, HeaderValue::from_static(ALLOWED))],
        )
            .into_response(),
    }
}

async fn get(app: &AppState, key: &str, head_only: bool) -> Response {
    if let Some(file) = app.memory.get(key) {
        return ([(CONTENT_TYPE, file.content_type)], file.body).into_response();
    }
    let mut entries = BTreeMap::new();
    match app.root.lookup(key, !head_only).await {
        Ok(Node::File { body, len }) => return file_response(key, body, len),
        Ok(Node::Dir(found)) => entries.extend(found.into_iter().map(|e| (e.name, e.is_dir))),
        Ok(Node::Missing) => {}
        Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
            return text(StatusCode::FORBIDDEN, "forbidden\n");
        }
        Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "cannot read document\n"),
    }
    app.memory.children(key, &mut entries);
    if entries.is_empty() && key != "/" {
        return text(StatusCode::NOT_FOUND, "not found\n");
    }
    (
        [(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
        listing(key, &into_entries(entries)),
    )
        .into_response()
}

fn file_response(key: &str, body: Option<Bytes>, len: u64) -> Response {
    let content_type = HeaderValue::from_static(content_type(key));
    match body {
        Some(body) => ([(CONTENT_TYPE, content_type)], body).into_response(),
        // HEAD on a disk file: report the real size without reading the file.
        None => {
            let mut response = ([(CONTENT_TYPE, content_type)], Body::empty()).into_response();
            response.headers_mut().insert(CONTENT_LENGTH, len.into());
            response
        }
    }
}

async fn put(app: &AppState, key: String, request: Request) -> Response {
    if key == "/" {
        return text(StatusCode::METHOD_NOT_ALLOWED, "cannot put to /\n");
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static(content_type(&key)));
    // The extractor applies the router's body limit and answers 413 / 400 itself.
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    if app.memory.put(key, StoredFile { body, content_type }) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::CREATED.into_response()
    }
}

fn delete(app: &AppState, key: &str) -> Response {
    if app.memory.remove(key) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        text(StatusCode::NOT_FOUND, "not found\n")
    }
}

/// An HTML index in the style of WsgiDAV's: the original fixtures check for `Index of /` and a logo.
fn listing(key: &str, entries: &[DirEntry]) -> String {
    let dir = dir_prefix(key);
    let title = html_escape(&format!("Index of {dir}"));
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body>\n<h1><img class=\"logo\" src=\"{LOGO}\" alt=\"stressor\" width=\"32\" height=\"32\"> \
         {title}</h1>\n<ul>\n"
    );
    for entry in entries {
        let slash = if entry.is_dir { "/" } else { "" };
        let href = html_escape(&encode_path(&format!("{dir}{}{slash}", entry.name)));
        let name = html_escape(&entry.name);
        html.push_str(&format!("<li><a href=\"{href}\">{name}{slash}</a></li>\n"));
    }
    html.push_str("</ul>\n</body>\n</html>\n");
    html
}

/// Content-Type by file extension; unknown types are plain bytes, as browsers expect.
pub(crate) fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    match ext.to_ascii_lowercase().as_str() {
        "json" => "application/json",
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// A short plain-text answer; error bodies say what went wrong so a failing check is easy to read.
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("/a/b.JSON"), "application/json");
        assert_eq!(content_type("/x.svg"), "image/svg+xml");
        assert_eq!(content_type("/dir.d/noext"), "application/octet-stream");
    }

    #[test]
    fn listing_links_every_entry_and_escapes_names() {
        let entries = [
            DirEntry {
                name: "a b<.txt".into(),
                is_dir: false,
            },
            DirEntry {
                name: "sub".into(),
                is_dir: true,
            },
        ];
        let html = listing("/x", &entries);
        assert!(html.contains("Index of /x/"));
        assert!(html.contains("class=\"logo\""));
        assert!(html.contains("<a href=\"/x/a%20b%3C.txt\">a b&lt;.txt</a>"));
        assert!(html.contains("<a href=\"/x/sub/\">sub/</a>"));
        assert_eq!(html.matches("<a href").count(), 2);
    }

    #[test]
    fn memory_children_include_nested_directories() {
        let store = MemoryStore::default();
        let file = || StoredFile {
            body: Bytes::new(),
            content_type: HeaderValue::from_static("text/plain"),
        };
        store.put("/a/b.txt".into(), file());
        store.put("/a/c/d.txt".into(), file());
        store.put("/ab.txt".into(), file());
        let mut found = BTreeMap::new();
        store.children("/a", &mut found);
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            [("b.txt".to_owned(), false), ("c".to_owned(), true)]
        );
    }
}
