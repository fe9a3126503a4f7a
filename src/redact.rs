//! Secrets never leave the process: what logs, error messages, `$debug()` dumps, JUnit files and reports
//! show instead of passwords, tokens and cookies.
//!
//! What counts as a secret:
//!
//! - in a context ([`context`]): `user.password`, `user.auth[1]` (the password half of the basic-auth
//!   pair), and the value of any key, at any depth, whose name is a secret name: `password`, `passwd`,
//!   `secret`, `token`, `authorization`, `cookie`, `set-cookie` or `api_key`, compared case-insensitively
//!   with `-` and `_` ignored (`API-Key`, `Set_Cookie`, `apikey`), also as the end of a longer name
//!   (`access_token`, `client_secret`, `Proxy-Authorization`, `session_cookie`). The whole value is
//!   replaced (a map under `token:` becomes `"***"`); `null` stays `null`, so "not set" remains visible;
//! - in HTTP headers ([`header`]): `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, and
//!   any header whose name is a secret name by the rule above (`X-Api-Key`, `X-Auth-Token`);
//! - in free text ([`text`]): the secret strings themselves (see [`secret_values`]), wherever they occur,
//!   e.g. in an error message or a script's `print` output that echoes a password.

use serde_json::Value;

use crate::expand::Context;

/// What a secret is replaced with.
pub const REDACTED: &str = "***";

/// Secret strings shorter than this are not replaced in free text ([`text`]): replacing every `a` of a
/// message because a password is `a` would destroy the message and reveal the password anyway.
pub const MIN_SECRET_LEN: usize = 3;

/// Secret names, lower case, without `-` and `_`.
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "setcookie",
    "apikey",
];

/// Whether a map key or header name names a secret (see the module documentation).
pub fn is_secret_name(name: &str) -> bool {
    let norm: String = name
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_NAMES.iter().any(|s| norm.ends_with(s))
}

/// A copy of the context with every secret replaced by [`REDACTED`].
pub fn context(ctx: &Context) -> Value {
    let mut out = serde_json::Map::with_capacity(ctx.len());
    for (key, value) in ctx {
        let value = if key == "user" {
            redact_user(value)
        } else {
            redact_value(key, value)
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// A header value as it may be shown: the value, or [`REDACTED`] for credentials and cookies.
pub fn header(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let secret = matches!(
        lower.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || is_secret_name(name);
    if secret {
        REDACTED.to_string()
    } else {
        value.to_string()
    }
}

/// Replaces every occurrence of each secret (of at least [`MIN_SECRET_LEN`] characters) in free text.
/// Longer secrets are replaced first, so a secret containing another one disappears completely.
pub fn text(text: &str, secrets: &[&str]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .copied()
        .filter(|s| s.chars().count() >= MIN_SECRET_LEN)
        .collect();
    if secrets.is_empty() {
        return text.to_string();
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let mut out = text.to_string();
    for secret in secrets {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    out
}

/// A URL as it may be shown: the password of its credentials, the values of query parameters whose
/// name is a secret name (`?token=...`, `?api_key=...`) and the given secret strings (see [`text`])
/// replaced by [`REDACTED`]. Text that is not a URL only has the secret strings replaced.
pub fn url(url: &str, secrets: &[&str]) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return text(url, secrets);
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some(REDACTED));
    }
    if parsed.query_pairs().any(|(name, _)| is_secret_name(&name)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_secret_name(&name) {
                    REDACTED.into()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    text(parsed.as_str(), secrets)
}

/// The secret strings of a context (what [`context`] would hide that is text: `user.password` and
/// string values under secret names, also inside lists), to pass to [`text`].
pub fn secret_values(ctx: &Context) -> Vec<String> {
    let mut out = Vec::new();
    for (key, value) in ctx {
        if key == "user"
            && let Some(pw) = value.get("password").and_then(Value::as_str)
        {
            out.push(pw.to_string());
        }
        collect_secrets(key, value, &mut out);
    }
    out.retain(|s| s.chars().count() >= MIN_SECRET_LEN);
    out.sort();
    out.dedup();
    out
}

fn collect_secrets(key: &str, value: &Value, out: &mut Vec<String>) {
    if is_secret_name(key) {
        collect_strings(value, out);
        return;
    }
    match value {
        // The password of a URL's credentials (`base_url: http://user:pw@host`), as written and
        // decoded, wherever the URL's text is quoted.
        Value::String(s) => {
            if let Some(pw) = url_password(s) {
                let decoded = percent_encoding::percent_decode_str(&pw)
                    .decode_utf8_lossy()
                    .into_owned();
                out.push(decoded);
                out.push(pw);
            }
        }
        Value::Object(map) => map.iter().for_each(|(k, v)| collect_secrets(k, v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_secrets("", v, out)),
        _ => {}
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// `user`: `password` and `auth[1]`, then the generic rule for the rest.
fn redact_user(user: &Value) -> Value {
    let Value::Object(map) = user else {
        return redact_value("user", user);
    };
    let mut out = serde_json::Map::with_capacity(map.len());
    for (key, value) in map {
        let value = match (key.as_str(), value) {
            ("auth", Value::Array(pair)) => Value::Array(
                pair.iter()
                    .enumerate()
                    .map(|(i, v)| if i == 1 { hide(v) } else { redact_value("", v) })
                    .collect(),
            ),
            _ => redact_value(key, value),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// The generic rule: a value under a secret name is hidden; containers are searched.
fn redact_value(key: &str, value: &Value) -> Value {
    if is_secret_name(key) {
        return hide(value);
    }
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), redact_value(k, v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact_value("", v)).collect()),
        Value::String(s) if url_password(s).is_some() => Value::String(url(s, &[])),
        other => other.clone(),
    }
}

/// A URL as a report names it (an activity's label, the run's base URL): with the password of its
/// credentials replaced by [`REDACTED`], and otherwise exactly as written (not normalised as [`url()`]
/// does, so labels stay the text the author wrote).
pub fn url_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    match url_password(text) {
        Some(pw) => {
            let at = text.find('@').unwrap_or(text.len());
            std::borrow::Cow::Owned(text[..at].replacen(&format!(":{pw}"), &format!(":{REDACTED}"), 1) + &text[at..])
        }
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// The password of a URL's credentials (percent-encoded, as written), if the text is a URL with one.
fn url_password(text: &str) -> Option<String> {
    if !text.contains('@') || !text.contains("://") {
        return None;
    }
    url::Url::parse(text).ok()?.password().map(str::to_owned)
}

fn hide(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        _ => Value::String(REDACTED.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(value: Value) -> Context {
        match value {
            Value::Object(map) => map.into(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn passwords_in_url_values_are_hidden_and_become_secret_strings() {
        let c = ctx(json!({"base_url": "http://ann:p%40ss@h:8/", "page": "http://h/x@y"}));
        assert_eq!(
            context(&c),
            json!({"base_url": "http://ann:***@h:8/", "page": "http://h/x@y"})
        );
        assert_eq!(secret_values(&c), ["p%40ss", "p@ss"]);
        assert_eq!(url_credentials("http://ann:p%40ss@h:8"), "http://ann:***@h:8");
        assert_eq!(url_credentials("http://h:8/x"), "http://h:8/x");
    }

    #[test]
    fn user_password_and_auth_are_hidden() {
        let c = ctx(json!({
            "user": {"name": "joe", "password": "hunter2", "auth": ["joe", "hunter2"], "role": "admin"},
        }));
        assert_eq!(
            context(&c),
            json!({"user": {"name": "joe", "password": "***", "auth": ["joe", "***"], "role": "admin"}})
        );
    }

    #[test]
    fn urls_lose_their_password_secret_parameters_and_secret_strings() {
        assert_eq!(
            url("http://joe:hunter2@h/a?token=abc&page=2&pw=hunter2", &["hunter2"]),
            "http://joe:***@h/a?token=***&page=2&pw=***"
        );
        assert_eq!(url("http://h/items/7?q=x", &[]), "http://h/items/7?q=x");
        assert_eq!(url("/rel/hunter2", &["hunter2"]), "/rel/***");
    }

    #[test]
    fn null_password_stays_null() {
        let c = ctx(json!({"user": {"name": "joe", "password": null, "auth": null}}));
        assert_eq!(
            context(&c),
            json!({"user": {"name": "joe", "password": null, "auth": null}})
        );
    }

    #[test]
    fn secret_keys_at_any_depth() {
        let c = ctx(json!({
            "api": {"API-Key": "k1", "nested": [{"access_token": "t1", "id": 7}], "Set_Cookie": ["a=b"]},
            "Authorization": "Bearer xyz",
            "client_secret": {"value": "s"},
            "passwd": 1234,
            "headers": {"Cookie": "sid=1", "Accept": "text/html"},
        }));
        assert_eq!(
            context(&c),
            json!({
                "api": {"API-Key": "***", "nested": [{"access_token": "***", "id": 7}], "Set_Cookie": "***"},
                "Authorization": "***",
                "client_secret": "***",
                "passwd": "***",
                "headers": {"Cookie": "***", "Accept": "text/html"},
            })
        );
    }

    #[test]
    fn non_secrets_untouched() {
        let c = ctx(json!({
            "session_id": "t01",
            "base_url": "http://localhost",
            "tokens_used": 5,
            "password_policy": "strong",
            "items": [1, "two", {"name": "x"}],
            "last_result": null,
        }));
        assert_eq!(context(&c), Value::Object(c.clone().into_vars()));
    }

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "PASSWORD",
            "passwd",
            "secret",
            "token",
            "Authorization",
            "cookie",
            "set-cookie",
            "Set_Cookie",
            "api_key",
            "API-KEY",
            "apikey",
            "x-api-key",
            "refresh_token",
            "Proxy-Authorization",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "name",
            "user",
            "tokens",
            "password_hint",
            "cookies_enabled",
            "auth",
            "secretary",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn header_values() {
        for name in [
            "Authorization",
            "authorization",
            "Proxy-Authorization",
            "Cookie",
            "set-cookie",
            "X-Api-Key",
        ] {
            assert_eq!(header(name, "Basic am9lOmh1bnRlcjI="), REDACTED, "{name}");
        }
        for name in ["Content-Type", "Accept", "Location", "X-Request-Id"] {
            assert_eq!(header(name, "text/plain"), "text/plain", "{name}");
        }
    }

    #[test]
    fn text_replacement() {
        assert_eq!(
            text("login failed for joe with hunter2 (hunter2)", &["hunter2"]),
            "login failed for joe with *** (***)"
        );
        // Too short or empty secrets are ignored; the longest secret wins.
        assert_eq!(text("a ab abc", &["", "a", "ab"]), "a ab abc");
        assert_eq!(text("token=abcdef", &["abc", "abcdef"]), "token=***");
        assert_eq!(text("nothing here", &[]), "nothing here");
    }

    #[test]
    fn secret_values_of_a_context() {
        let c = ctx(json!({
            "user": {"name": "joe", "password": "hunter2", "auth": ["joe", "hunter2"]},
            "api": {"token": "tok-123", "list": [{"secret": ["s3cr3t", 5]}]},
            "short": {"password": "ab"},
            "plain": "visible",
        }));
        assert_eq!(secret_values(&c), vec!["hunter2", "s3cr3t", "tok-123"]);
    }
}
