//! `sequences` and the activities inside them: the built-in activity types and their arguments.

use super::reader::Fields;
use super::{Validator, checks, plugin, request_extras, script, thresholds};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::model::{
    Activity, ActivityKind, CommonArgs, HttpChecks, HttpRequest, Param, PollRequest, Sequence, SleepArgs,
    StaticRequests,
};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::suggest;
use std::time::Duration;

/// Activity names users can write after `activity:`.
pub const ACTIVITIES: &[&str] = &[
    "HTTPRequest",
    "GetRequest",
    "PostRequest",
    "PutRequest",
    "DeleteRequest",
    "StaticRequests",
    "PollRequest",
    "Sleep",
    "RunScript",
    "Feed",
    "Record",
];

/// Arguments every activity accepts.
pub const COMMON: &[&str] = &[
    "activity",
    "name",
    "assert_match",
    "assert_max_time",
    "debug",
    "mock_result",
    "monitor",
    "ignore_timing",
    "store_json",
    "store_header",
    "store_regex",
    "thresholds",
    "tags",
];

/// Request arguments of the HTTP activities.
const REQUEST: &[&str] = &[
    "url",
    "params",
    "data",
    "json",
    "headers",
    "auth",
    "timeout",
    "verify",
    "max_body_size",
    "decompress",
    "follow_redirects",
    "max_redirects",
    "multipart",
];
/// Response checks of the HTTP activities.
const HTTP_CHECKS: &[&str] = &[
    "assert_status",
    "assert_match_headers",
    "assert_headers",
    "assert_json",
    "assert_html",
    "assert_xpath",
    "namespaces",
    "assert_redirects",
];

/// The keys an activity type accepts, for unknown-key messages.
pub fn known_args(activity: &str) -> Vec<&'static str> {
    let specific: &[&[&str]] = match activity {
        "HTTPRequest" => &[&["method"], REQUEST, HTTP_CHECKS],
        "GetRequest" | "PostRequest" | "PutRequest" | "DeleteRequest" => &[REQUEST, HTTP_CHECKS],
        "PollRequest" => &[&["method", "interval", "request_timeout"], REQUEST, HTTP_CHECKS],
        "StaticRequests" => &[&[
            "url_list",
            "thread_count",
            "params",
            "headers",
            "auth",
            "timeout",
            "verify",
            "follow_redirects",
            "max_redirects",
            "assert_status",
        ]],
        "Sleep" => &[&["duration", "duration_2"]],
        "RunScript" => &[&["script", "path", "export"]],
        "Feed" => &[&["feeder"]],
        "Record" => &[&["file", "row"]],
        _ => &[],
    };
    COMMON
        .iter()
        .chain(specific.iter().flat_map(|s| s.iter()))
        .copied()
        .collect()
}

/// `sequences`: a mapping of names to activity lists.
pub(super) fn sequences(v: &mut Validator, node: &Node, has_base_url: bool) -> Vec<Sequence> {
    let Some(entries) = node.as_map() else {
        v.diags.push(
            Diagnostic::error(
                node.span,
                format!(
                    "`sequences` must be a mapping of names to activity lists, found {}",
                    node.type_name()
                ),
            )
            .with_help("e.g. `sequences:` then `  main:` then `    - activity: GetRequest`"),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, list) in entries {
        let name = key.key_text();
        let activities = match &list.kind {
            NodeKind::Null => Vec::new(),
            NodeKind::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| activity(v, item, i, has_base_url))
                .collect(),
            _ => {
                v.diags.push(Diagnostic::error(
                    list.span,
                    format!(
                        "sequence `{name}` must be a list of activities, found {}",
                        list.type_name()
                    ),
                ));
                Vec::new()
            }
        };
        out.push(Sequence {
            name,
            activities,
            span: key.span,
        });
    }
    out
}

/// One activity mapping.
fn activity(v: &mut Validator, node: &Node, index: usize, has_base_url: bool) -> Option<Activity> {
    let Some(mut f) = Fields::of(node) else {
        v.diags.push(
            Diagnostic::error(
                node.span,
                format!(
                    "an activity must be a mapping with an `activity:` key, found {}",
                    node.type_name()
                ),
            )
            .with_help("e.g. `- activity: GetRequest` followed by its arguments"),
        );
        return None;
    };
    let Some(type_node) = f.take_some("activity") else {
        v.diags.push(
            Diagnostic::error(node.span, "this activity has no `activity:` key naming its type")
                .with_help(format!("activity types: {}", ACTIVITIES.join(", "))),
        );
        return None;
    };
    let type_name = v.check().text(type_node, "activity")?;
    let span = type_node.span;
    let kind = match type_name.as_str() {
        "HTTPRequest" => http_kind(v, &mut f, &type_name, None, has_base_url),
        "GetRequest" | "PostRequest" | "PutRequest" | "DeleteRequest" => {
            let method = type_name.trim_end_matches("Request").to_uppercase();
            if let Some((key, _)) = f.take_entry("method") {
                v.diags.push(
                    Diagnostic::error(
                        key.span,
                        format!("`{type_name}` always sends {method}; it has no `method` argument"),
                    )
                    .with_help("use `activity: HTTPRequest` with `method:` to choose the method"),
                );
            }
            http_kind(v, &mut f, &type_name, Some(&method), has_base_url)
        }
        "StaticRequests" => static_requests(v, &mut f, has_base_url),
        "PollRequest" => poll_request(v, &mut f, has_base_url),
        "Sleep" => sleep(v, &mut f),
        "RunScript" => script::run_script(v, &mut f),
        "Feed" => super::feeders::feed(v, &mut f),
        "Record" => super::generate::record(v, &mut f),
        "$debug" => Some(ActivityKind::Debug),
        other if plugin::is_plugin(v, other) => {
            // The common arguments first: everything they leave belongs to the plugin.
            let common = common_args(v, &mut f);
            let kind = plugin::call(v, &mut f, other);
            return Some(Activity {
                kind: kind?,
                common,
                index,
                span,
            });
        }
        other => {
            let mut known: Vec<&str> = ACTIVITIES.to_vec();
            known.extend(plugin::names(v));
            v.diags.push(
                Diagnostic::error(span, format!("unknown activity `{other}`"))
                    .with_label_opt(suggest::label(other, known.iter().copied()))
                    .with_help(format!("activity types: {}", known.join(", "))),
            );
            return None;
        }
    };
    let common = common_args(v, &mut f);
    f.finish(v.diags, &format!("`{type_name}`"), &known_args(&type_name));
    Some(Activity {
        kind: kind?,
        common,
        index,
        span,
    })
}

fn common_args(v: &mut Validator, f: &mut Fields) -> CommonArgs {
    let max_time = f.take_some("assert_max_time");
    let mut c = v.check();
    let mut common = CommonArgs {
        name: f.take_some("name").and_then(|n| c.text(n, "name")),
        assert_match: f.take_some("assert_match").and_then(|n| c.pattern(n, "assert_match")),
        assert_max_time: max_time.and_then(|n| c.duration(n, "assert_max_time")),
        max_time_span: max_time.map(|n| n.span),
        debug: f.take_some("debug").and_then(|n| c.bool(n, "debug")).unwrap_or(false),
        mock_result: f.take("mock_result").map(Node::to_json),
        monitor: f
            .take_some("monitor")
            .and_then(|n| c.bool(n, "monitor"))
            .unwrap_or(false),
        ignore_timing: f.take_some("ignore_timing").and_then(|n| c.bool(n, "ignore_timing")),
        ..CommonArgs::default()
    };
    common.stores = checks::stores(v, f);
    common.thresholds = f.take_some("thresholds").map(|n| thresholds::set(v, n, false));
    common.tags = f.take_some("tags").map(|n| tags(v, n)).unwrap_or_default();
    common
}

/// `tags: {api: checkout}`: labels that `thresholds.tags` select by (`api=checkout`) and reports show.
fn tags(v: &mut Validator, n: &Node) -> Vec<(String, String)> {
    let Some(entries) = n.as_map() else {
        v.diags.push(
            Diagnostic::error(n.span, format!("`tags` must be a mapping, found {}", n.type_name()))
                .with_help("e.g. `tags: {api: checkout, team: payments}`"),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        let name = key.key_text();
        match &value.kind {
            NodeKind::Str(_) | NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_)
                if !name.contains(['=', '{', '}']) =>
            {
                out.push((name, value.key_text()));
            }
            _ => v.diags.push(Diagnostic::error(
                value.span,
                format!("tag `{name}` must be a plain `key: value` (a scalar value; no `=` or braces in the key)"),
            )),
        }
    }
    out
}

/// Reads the request arguments shared by all HTTP activities.
fn request(
    v: &mut Validator,
    f: &mut Fields,
    type_name: &str,
    method: String,
    has_base_url: bool,
    needs_url: bool,
) -> Option<HttpRequest> {
    let url_node = f.take_some("url");
    if needs_url && url_node.is_none() {
        v.diags.push(
            Diagnostic::error(f.span, format!("missing argument `url` for `{type_name}`"))
                .with_help("add `url: /path` (relative to `config.base_url`) or an absolute URL"),
        );
    }
    let mut c = v.check();
    let url = match url_node {
        Some(n) => {
            let url = c.text(n, "url")?;
            check_url(v, &url, n, has_base_url);
            url
        }
        None => String::new(),
    };
    let mut c = v.check();
    let mut req = HttpRequest {
        activity: type_name.to_string(),
        method,
        url,
        url_span: url_node.map_or(f.span, |n| n.span),
        params: f.take_some("params").and_then(|n| mapping_or_var(&mut c, n, "params")),
        data: f.take_some("data").and_then(|n| data_value(&mut c, n)),
        json: f.take("json").map(Node::to_json),
        headers: f
            .take_some("headers")
            .and_then(|n| mapping_or_var(&mut c, n, "headers")),
        auth: f.take_some("auth").and_then(|n| auth(&mut c, n)),
        timeout: None,
        verify: None,
        max_body_size: f.take_some("max_body_size").and_then(|n| c.size(n, "max_body_size")),
        decompress: f.take_some("decompress").and_then(|n| c.bool(n, "decompress")),
        follow_redirects: None,
        max_redirects: None,
        multipart: None,
        checks: HttpChecks::default(),
    };
    (req.follow_redirects, req.max_redirects) = request_extras::redirect_keys(&mut c, f);
    if let (Some(_), Some((key, _))) = (&req.data, f.take_entry("json").filter(|_| req.json.is_some())) {
        c.diags.push(
            Diagnostic::error(key.span, "`data` and `json` are mutually exclusive")
                .with_help("send a form or raw text with `data`, or a JSON body with `json`, not both"),
        );
    }
    if let Some(n) = f.take("timeout") {
        req.timeout = match n.as_str() {
            _ if n.is_null() => Some(Param::Fixed(None)),
            Some(s) if s.contains("$(") => Some(Param::Template(s.to_string())),
            _ => c.duration(n, "timeout").map(|d| Param::Fixed(Some(d))),
        };
    }
    if let Some(n) = f.take_some("verify") {
        req.verify = match n.as_str() {
            Some(s) if s.contains("$(") => Some(Param::Template(s.to_string())),
            _ => c.bool(n, "verify").map(Param::Fixed),
        };
    }
    request_extras::other_spellings(v, f);
    if let Some((key, n)) = f.take_entry("multipart").filter(|(_, n)| !n.is_null()) {
        if req.data.is_some() || req.json.is_some() {
            v.diags.push(
                Diagnostic::error(key.span, "`multipart` cannot be combined with `data` or `json`")
                    .with_help("put the form's text fields into `multipart:` beside its files"),
            );
        }
        req.multipart = request_extras::multipart(v, n);
    }
    Some(req)
}

fn http_kind(
    v: &mut Validator,
    f: &mut Fields,
    type_name: &str,
    method: Option<&str>,
    has_base_url: bool,
) -> Option<ActivityKind> {
    // Keep reading the other arguments when `method` is bad, so their problems are reported too.
    let method = match method {
        Some(m) => Some(m.to_string()),
        None => method_arg(v, f, type_name, true),
    };
    let mut req = request(v, f, type_name, method.clone().unwrap_or_default(), has_base_url, true)?;
    req.checks = checks::http_checks(v, f);
    method?;
    Some(ActivityKind::Http(Box::new(req)))
}

fn method_arg(v: &mut Validator, f: &mut Fields, type_name: &str, required: bool) -> Option<String> {
    let Some(n) = f.take_some("method") else {
        if required {
            v.diags.push(
                Diagnostic::error(f.span, format!("missing argument `method` for `{type_name}`"))
                    .with_help("add e.g. `method: OPTIONS`"),
            );
            return None;
        }
        return Some("GET".into());
    };
    let m = v.check().text(n, "method")?;
    if m.is_empty() || !m.chars().all(|c| c.is_ascii_alphabetic()) {
        v.diags.push(Diagnostic::error(
            n.span,
            format!("`method` must be an HTTP method name like GET or OPTIONS, found `{m}`"),
        ));
        return None;
    }
    Some(m.to_ascii_uppercase())
}

fn static_requests(v: &mut Validator, f: &mut Fields, has_base_url: bool) -> Option<ActivityKind> {
    let Some(list) = f.take_some("url_list") else {
        v.diags.push(
            Diagnostic::error(f.span, "missing argument `url_list` for `StaticRequests`")
                .with_help("add `url_list:` with one URL per line"),
        );
        return None;
    };
    let NodeKind::Seq(items) = &list.kind else {
        v.diags.push(Diagnostic::error(
            list.span,
            format!("`url_list` must be a list of URLs, found {}", list.type_name()),
        ));
        return None;
    };
    let mut url_list = Vec::new();
    let mut url_spans = Vec::new();
    for item in items {
        if let Some(url) = v.check().text(item, "url_list") {
            check_url(v, &url, item, has_base_url);
            url_list.push(url);
            url_spans.push(item.span);
        }
    }
    let thread_count = match f.take_some("thread_count") {
        Some(n) => match v.check().count(n, "thread_count") {
            Some(0) => {
                v.diags
                    .push(Diagnostic::error(n.span, "`thread_count` must be at least 1"));
                1
            }
            Some(t) => t.min(1024) as u32,
            None => 5,
        },
        None => 5,
    };
    // The shared request reader knows `url`, `data`, `json` and `max_body_size`, which make no sense for
    // a list of GETs whose bodies nothing reads.
    for key in ["url", "data", "json", "max_body_size", "decompress", "multipart"] {
        if let Some((k, _)) = f.take_entry(key) {
            let hint = match key {
                "url" => "list the URLs under `url_list`",
                "max_body_size" | "decompress" => {
                    "StaticRequests only checks the status; bodies are counted and discarded"
                }
                _ => "StaticRequests only sends GET requests",
            };
            v.diags
                .push(Diagnostic::error(k.span, format!("`StaticRequests` has no `{key}` argument")).with_help(hint));
        }
    }
    let mut request = request(v, f, "StaticRequests", "GET".into(), has_base_url, false)?;
    let status = f.take_some("assert_status");
    request.checks.assert_status = status.and_then(|n| checks::status_list(v, n));
    request.checks.status_span = status.map(|n| n.span);
    Some(ActivityKind::Static(Box::new(StaticRequests {
        url_list,
        url_spans,
        thread_count,
        request,
    })))
}

fn poll_request(v: &mut Validator, f: &mut Fields, has_base_url: bool) -> Option<ActivityKind> {
    let method = method_arg(v, f, "PollRequest", false)?;
    let mut c = v.check();
    let interval = f
        .take_some("interval")
        .and_then(|n| c.duration(n, "interval"))
        .unwrap_or(Duration::from_secs(1));
    // For PollRequest, `timeout` bounds the whole polling; each attempt uses `request_timeout`.
    let overall = f
        .take_some("timeout")
        .and_then(|n| c.duration(n, "timeout"))
        .unwrap_or(Duration::from_secs(60));
    let per_attempt = match f.take("request_timeout") {
        Some(n) if n.is_null() => Some(Param::Fixed(None)),
        Some(n) => c.duration(n, "request_timeout").map(|d| Param::Fixed(Some(d))),
        None => None,
    };
    let mut request = request(v, f, "PollRequest", method, has_base_url, true)?;
    request.timeout = per_attempt;
    request.checks = checks::http_checks(v, f);
    Some(ActivityKind::Poll(Box::new(PollRequest {
        request,
        interval,
        timeout: overall,
    })))
}

fn sleep(v: &mut Validator, f: &mut Fields) -> Option<ActivityKind> {
    let Some(n) = f.take_some("duration") else {
        v.diags.push(
            Diagnostic::error(f.span, "missing argument `duration` for `Sleep`")
                .with_help("add `duration: 0.5` (seconds) or `duration: 500ms`"),
        );
        return None;
    };
    let mut c = v.check();
    let duration = c.duration_param(n, "duration")?;
    let duration_2 = match f.take_some("duration_2") {
        Some(n2) => Some(c.duration_param(n2, "duration_2")?),
        None => None,
    };
    if let (Param::Fixed(a), Some(Param::Fixed(b))) = (&duration, &duration_2)
        && b < a
    {
        c.diags.push(Diagnostic::error(
            f.span,
            "`duration_2` must not be smaller than `duration` (they are the bounds of a random sleep)",
        ));
    }
    Some(ActivityKind::Sleep(SleepArgs { duration, duration_2 }))
}

/// A relative URL needs `config.base_url`; URLs that start with a variable may be absolute at run time.
fn check_url(v: &mut Validator, url: &str, node: &Node, has_base_url: bool) {
    if super::https_unavailable(url) {
        v.diags.push(super::feature_missing(
            node.span,
            &format!("`{url}` (an `https://` URL)"),
            "https",
        ));
    }
    let absolute = url.contains("://") || url.trim_start().starts_with("$(");
    if !absolute && !has_base_url {
        v.diags.push(
            Diagnostic::error(
                node.span,
                format!("relative URL `{url}` but `config.base_url` is not set"),
            )
            .with_help("set `config.base_url: http://host:port` or write an absolute URL"),
        );
    }
}

fn mapping_or_var(c: &mut super::reader::Checker, n: &Node, key: &str) -> Option<serde_json::Value> {
    match &n.kind {
        NodeKind::Map(_) => Some(n.to_json()),
        NodeKind::Str(s) if s.trim().starts_with("$(") => Some(n.to_json()),
        _ => {
            c.diags.push(Diagnostic::error(
                n.span,
                format!("`{key}` must be a mapping of names to values, found {}", n.type_name()),
            ));
            None
        }
    }
}

fn data_value(c: &mut super::reader::Checker, n: &Node) -> Option<serde_json::Value> {
    match &n.kind {
        NodeKind::Map(_) | NodeKind::Str(_) => Some(n.to_json()),
        NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => Some(serde_json::Value::String(n.key_text())),
        _ => {
            c.diags.push(
                Diagnostic::error(
                    n.span,
                    format!(
                        "`data` must be a mapping (sent as a form) or a string (sent as is), found {}",
                        n.type_name()
                    ),
                )
                .with_help("to send a JSON list, use `json:` instead"),
            );
            None
        }
    }
}

fn auth(c: &mut super::reader::Checker, n: &Node) -> Option<serde_json::Value> {
    match &n.kind {
        NodeKind::Seq(items)
            if items.len() == 2
                && items
                    .iter()
                    .all(|i| matches!(i.kind, NodeKind::Str(_) | NodeKind::Int(_))) =>
        {
            Some(n.to_json())
        }
        NodeKind::Str(s) if s.trim().starts_with("$(") => Some(n.to_json()),
        _ => {
            c.diags.push(Diagnostic::error(
                n.span,
                format!(
                    "`auth` must be `[name, password]` or a variable like `$(user.auth)`, found {}",
                    n.type_name()
                ),
            ));
            None
        }
    }
}
