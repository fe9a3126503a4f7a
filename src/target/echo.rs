//! `ANY /echo`: reflects the request back as JSON, so tests can check exactly what stressor sent
//! (HTTP version, method, expanded URL and query, headers, cookies, form and JSON bodies).

use axum::Json;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, Uri, Version};
use serde_json::{Map, Value, json};

use super::codec::{pairs_to_json, parse_urlencoded, query_pairs, request_cookies};

/// A request body decoded the ways a handler may care about.
pub(crate) struct ParsedBody {
    /// Fields of an `application/x-www-form-urlencoded` body.
    pub form: Option<Vec<(String, String)>>,
    /// The body parsed as JSON, when it is JSON (whatever the Content-Type claims).
    pub json: Option<Value>,
}

/// Decodes a body as a form (only when declared so: any text is "valid" form data) and as JSON (when
/// it parses, since clients often send JSON without the header).
pub(crate) fn parse_body(headers: &HeaderMap, body: &[u8]) -> ParsedBody {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let form = is_form.then(|| parse_urlencoded(&String::from_utf8_lossy(body)));
    let json = if body.is_empty() || is_form {
        None
    } else {
        serde_json::from_slice(body).ok()
    };
    ParsedBody { form, json }
}

/// Handler for `/echo` and `/echo/...`, any method.
///
/// `form` and `json` appear only when the body is of that kind, so a check for them cannot pass by
/// accident on an empty value.
pub(crate) async fn echo(version: Version, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let mut header_map = Map::new();
    for (name, value) in &headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        match header_map.get_mut(name.as_str()) {
            // Repeated headers are combined the way HTTP allows (RFC 9110 §5.3).
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                header_map.insert(name.as_str().to_owned(), Value::String(value.into_owned()));
            }
        }
    }
    let parsed = parse_body(&headers, &body);
    let mut out = json!({
        "version": format!("{version:?}"),
        "method": method.as_str(),
        "path": uri.path(),
        "query": pairs_to_json(query_pairs(uri.query())),
        "headers": header_map,
        "body": String::from_utf8_lossy(&body),
    });
    if let Value::Object(map) = &mut out {
        if let Some(form) = parsed.form {
            map.insert("form".into(), Value::Object(pairs_to_json(form)));
        }
        if let Some(json) = parsed.json {
            map.insert("json".into(), json);
        }
        map.insert(
            "cookies".into(),
            Value::Object(pairs_to_json(request_cookies(&headers))),
        );
    }
    Json(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().unwrap());
        headers
    }

    #[test]
    fn form_only_when_declared() {
        let parsed = parse_body(&headers("application/x-www-form-urlencoded; charset=utf-8"), b"a=1");
        assert_eq!(parsed.form, Some(vec![("a".into(), "1".into())]));
        assert!(parsed.json.is_none());
        let parsed = parse_body(&headers("text/plain"), b"a=1");
        assert!(parsed.form.is_none() && parsed.json.is_none());
    }

    #[test]
    fn json_whenever_it_parses() {
        let parsed = parse_body(&HeaderMap::new(), br#"{"x": [1, 2]}"#);
        assert_eq!(parsed.json, Some(json!({"x": [1, 2]})));
        assert!(parse_body(&HeaderMap::new(), b"{nope").json.is_none());
    }
}
