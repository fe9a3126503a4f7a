//! `$debug()`: print the session context, with secrets redacted, and what the last HTTP response
//! was (its status and how many redirects led to it, which the context does not hold).

use crate::expand::Context;
use crate::redact;

/// What `$debug()` prints: a header line `[t01] $debug() context:` followed by the context as pretty
/// JSON, secrets replaced by [`redact::REDACTED`] (see [`redact::context`]); then, once the session
/// has had an HTTP response, `[t01] $debug() last response: HTTP 302 Found, 2 redirects followed`.
pub fn debug_dump(ctx: &Context, session_id: &str, last_response: Option<(u16, u32)>) -> String {
    let json = serde_json::to_string_pretty(&redact::context(ctx)).unwrap_or_else(|e| e.to_string());
    let mut out = format!("[{session_id}] $debug() context:\n{json}");
    if let Some((status, redirects)) = last_response {
        let reason = ::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map_or(String::new(), |r| format!(" {r}"));
        let plural = if redirects == 1 { "" } else { "s" };
        out.push_str(&format!(
            "\n[{session_id}] $debug() last response: HTTP {status}{reason}, {redirects} redirect{plural} followed"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dump_is_labelled_pretty_and_redacted() {
        let serde_json::Value::Object(ctx) = json!({
            "session_id": "t01",
            "user": {"name": "joe", "password": "hunter2", "auth": ["joe", "hunter2"]},
        }) else {
            unreachable!()
        };
        let dump = debug_dump(&ctx.into(), "t01", None);
        let (head, body) = dump.split_once('\n').unwrap();
        assert_eq!(head, "[t01] $debug() context:");
        assert!(!dump.contains("hunter2"), "{dump}");
        let parsed: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            parsed,
            json!({"session_id": "t01", "user": {"name": "joe", "password": "***", "auth": ["joe", "***"]}})
        );
        assert!(body.contains("\n  \"user\": {"), "pretty-printed: {body}");
    }

    #[test]
    fn the_last_response_follows_the_context() {
        let dump = debug_dump(&serde_json::Map::new().into(), "t02", Some((302, 1)));
        assert!(
            dump.ends_with("}\n[t02] $debug() last response: HTTP 302 Found, 1 redirect followed"),
            "{dump}"
        );
    }
}
