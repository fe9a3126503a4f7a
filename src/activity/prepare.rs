//! Preparing one HTTP request for the client (`crate::http`): its arguments expanded against the
//! session context, the URL resolved against `base_url` (RFC 3986 reference resolution, as the
//! original's `urljoin`), the session's defaults applied (basic auth, timeout, certificate checks,
//! `max_body_size`). Sending it is the client's work.

use super::SessionState;
use super::error::{ActivityError, ErrorClass};
use crate::expand::{self, Context, render_text};
use crate::http::{Body, BodyLimit, Part, Request};
use crate::scenario::{HttpRequest, MultipartPart, MultipartValue, Param, RedirectPolicy};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use url::Url;

pub(crate) fn variable_error(err: expand::ExpandError) -> ActivityError {
    ActivityError::new(ErrorClass::Variable, err.to_string())
}

/// Expands a request's arguments against the context.
pub fn prepare(req: &HttpRequest, url: &str, state: &SessionState) -> Result<Request, ActivityError> {
    let ctx = &state.context;
    let url = resolve_url_cached(url, ctx, &state.urls)?;
    let method = crate::http::method(&req.method)?;
    let params = match &req.params {
        Some(v) => pairs(&expand::expand_value(v, ctx).map_err(variable_error)?, "params")?,
        None => Vec::new(),
    };
    let mut headers = match &req.headers {
        Some(v) => pairs(&expand::expand_value(v, ctx).map_err(variable_error)?, "headers")?,
        None => Vec::new(),
    };
    // `config.trace_context`: the pass's trace, a new span per request (a request's own wins).
    if let Some(trace) = &state.trace
        && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("traceparent"))
    {
        headers.push(("traceparent".into(), trace.traceparent()));
    }
    let body = match (&req.data, &req.json) {
        (Some(data), _) => match expand::expand_value(data, ctx).map_err(variable_error)? {
            Value::Object(map) => Some(Body::form(&pairs(&Value::Object(map), "data")?)),
            other => Some(Body::text(render_text(&other))),
        },
        (None, Some(json)) => Some(Body::json(&expand::expand_value(json, ctx).map_err(variable_error)?)?),
        (None, None) => match &req.multipart {
            Some(parts) => Some(multipart(parts, ctx)?),
            None => None,
        },
    };
    let auth = match &req.auth {
        Some(v) => auth_pair(&expand::expand_value(v, ctx).map_err(variable_error)?)?,
        None if state.basic_auth => state.user_auth.clone(),
        None => None,
    };
    let timeout = match &req.timeout {
        None => state.request_timeout,
        Some(Param::Fixed(t)) => *t,
        Some(Param::Template(t)) => template_duration(t, ctx, "timeout")?,
    };
    let verify = match &req.verify {
        None => state.verify_ssl,
        Some(Param::Fixed(v)) => *v,
        Some(Param::Template(t)) => match expand::expand_str(t, ctx).map_err(variable_error)? {
            Value::Bool(b) => b,
            other => {
                return Err(ActivityError::new(
                    ErrorClass::Variable,
                    format!("`verify` must be true or false, `{t}` gave {}", render_text(&other)),
                ));
            }
        },
    };
    Ok(Request {
        method,
        url,
        params,
        headers,
        body,
        auth,
        timeout,
        verify,
        body_limit: BodyLimit::keep(req.max_body_size.unwrap_or(state.max_body_size)),
        redirects: RedirectPolicy {
            follow: req.follow_redirects.unwrap_or(state.redirects.follow),
            max: req.max_redirects.unwrap_or(state.redirects.max),
        },
    })
}

/// A `multipart:` body: its text fields expanded, its files as the loader read them.
fn multipart(parts: &[MultipartPart], ctx: &Context) -> Result<Body, ActivityError> {
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        out.push(match &part.value {
            MultipartValue::Text(v) => Part::Text(
                part.name.clone(),
                render_text(&expand::expand_value(v, ctx).map_err(variable_error)?),
            ),
            MultipartValue::File(f) => Part::File {
                name: part.name.clone(),
                filename: f.filename.clone(),
                content_type: f.content_type.clone(),
                bytes: f.bytes.clone(),
            },
        });
    }
    Ok(Body::multipart(&out))
}

/// How the checks of `req` read its response body: decoded unless `decompress` (activity, else
/// config) is off, within its `max_body_size`.
pub fn body_reading(req: &HttpRequest, state: &SessionState) -> crate::check::BodyReading {
    crate::check::BodyReading {
        decompress: req.decompress.unwrap_or(state.decompress),
        max: req.max_body_size.unwrap_or(state.max_body_size),
    }
}

/// A session's recently resolved URLs: (expanded URL text, expanded base URL) → absolute URL.
///
/// Parsing the base URL and joining the relative one cost about a quarter of the lean path's
/// instructions per request (callgrind, `bench/profile.sh`), and a scenario uses few distinct URLs, so
/// a small list searched by string comparison is enough. The key holds both texts, so a `$(var)` in
/// the URL or a changed `base_url` simply misses.
#[derive(Debug, Default)]
pub struct UrlCache(Mutex<Vec<(String, String, Url)>>);

/// Entries a [`UrlCache`] keeps; the oldest goes first.
const URL_CACHE_SIZE: usize = 32;

impl UrlCache {
    fn get_or(
        &self,
        url: &str,
        base: &str,
        make: impl FnOnce() -> Result<Url, ActivityError>,
    ) -> Result<Url, ActivityError> {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, hit)) = entries.iter().find(|(u, b, _)| u == url && b == base) {
            return Ok(hit.clone());
        }
        let made = make()?;
        if entries.len() >= URL_CACHE_SIZE {
            entries.remove(0);
        }
        entries.push((url.to_owned(), base.to_owned(), made.clone()));
        Ok(made)
    }
}

/// [`resolve_url`], remembering the result in the session's cache. Texts without `$(...)` are
/// looked up as they are, so a hit allocates nothing but the returned URL.
fn resolve_url_cached(template: &str, ctx: &Context, cache: &UrlCache) -> Result<Url, ActivityError> {
    let url = expand_cow(template, ctx)?;
    if url.contains("://") {
        return cache.get_or(&url, "", || resolve_url(template, ctx));
    }
    let base = base_url(&url, ctx)?;
    cache.get_or(&url, &base, || resolve_url(template, ctx))
}

/// A text with its `$(...)` expanded, borrowed when it has none.
fn expand_cow<'a>(text: &'a str, ctx: &Context) -> Result<Cow<'a, str>, ActivityError> {
    if expand::has_macros(text) {
        expand::expand_text(text, ctx).map(Cow::Owned).map_err(variable_error)
    } else {
        Ok(Cow::Borrowed(text))
    }
}

fn base_url<'c>(url: &str, ctx: &'c Context) -> Result<Cow<'c, str>, ActivityError> {
    match ctx.get("base_url") {
        // Expanded as the variable it is: a template the author wrote, or data a session stored.
        Some(Value::String(b)) if expand::has_macros(b) => expand::expand_text("$(base_url)", ctx)
            .map(Cow::Owned)
            .map_err(variable_error),
        Some(Value::String(b)) => Ok(Cow::Borrowed(b)),
        _ => Err(ActivityError::new(
            ErrorClass::Variable,
            format!("relative URL `{url}` but there is no `base_url` to resolve it against"),
        )),
    }
}

/// Resolves a (template) URL: absolute URLs are used as they are, relative ones are joined to the
/// context's `base_url` (which `-o base_url:...` and `context.base_url` can change).
pub fn resolve_url(template: &str, ctx: &Context) -> Result<Url, ActivityError> {
    let url = expand::expand_text(template, ctx).map_err(variable_error)?;
    if url.contains("://") {
        return Ok(crate::http::parse_url(&url)?);
    }
    let base = base_url(&url, ctx)?;
    Ok(crate::http::join_url(&base, &url)?)
}

/// A duration from a template: a number of seconds or a duration string.
pub fn template_duration(template: &str, ctx: &Context, key: &str) -> Result<Option<Duration>, ActivityError> {
    let value = expand::expand_str(template, ctx).map_err(variable_error)?;
    let text = match &value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => render_text(other),
    };
    crate::scenario::duration::parse_duration(&text)
        .map(Some)
        .map_err(|why| {
            ActivityError::new(
                ErrorClass::Variable,
                format!("`{key}` from `{template}` is not a duration: {why}"),
            )
        })
}

/// A mapping as name/value pairs; list values repeat the name (`a=1&a=2`), null values are skipped.
fn pairs(value: &Value, key: &str) -> Result<Vec<(String, String)>, ActivityError> {
    let Value::Object(map) = value else {
        return Err(ActivityError::new(
            ErrorClass::Variable,
            format!(
                "`{key}` must be a mapping, but its variable gave `{}`",
                render_text(value)
            ),
        ));
    };
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        match v {
            Value::Null => {}
            Value::Array(items) => out.extend(items.iter().map(|i| (k.clone(), render_text(i)))),
            other => out.push((k.clone(), render_text(other))),
        }
    }
    Ok(out)
}

fn auth_pair(value: &Value) -> Result<Option<(String, Option<String>)>, ActivityError> {
    match value {
        Value::Null => Ok(None),
        Value::Array(items) if items.len() == 2 => {
            let password = match &items[1] {
                Value::Null => None,
                other => Some(render_text(other)),
            };
            Ok(Some((render_text(&items[0]), password)))
        }
        other => Err(ActivityError::new(
            ErrorClass::Variable,
            format!(
                "`auth` must be [name, password], got {}",
                crate::check::shorten(&render_text(other), 60)
            ),
        )),
    }
}
