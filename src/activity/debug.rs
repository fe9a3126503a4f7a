//! `$debug()`: print the session context, with secrets redacted.

use crate::expand::Context;
use crate::redact;

/// What `$debug()` prints: a header line `[t01] $debug() context:` followed by the context as pretty
/// JSON, secrets replaced by [`redact::REDACTED`] (see [`redact::context`]).
pub fn debug_dump(ctx: &Context, session_id: &str) -> String {
    let json = serde_json::to_string_pretty(&redact::context(ctx)).unwrap_or_else(|e| e.to_string());
    format!("[{session_id}] $debug() context:\n{json}")
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
        let dump = debug_dump(&ctx.into(), "t01");
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
}
