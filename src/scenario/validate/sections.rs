//! The top level and the `config`, `context`, `sessions` and `scenario` sections.

use super::reader::Fields;
use super::{Validator, activity, thresholds};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::env_text;
use crate::scenario::model::{Config, Delay, HttpClientKind, LoadModel, Scenario, ScenarioItem, Sessions, User};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::suggest;
use serde_json::{Map, Value};
use std::time::Duration;

const TOP_LEVEL: &[&str] = &[
    "file_version",
    "config",
    "context",
    "sessions",
    "scenario",
    "sequences",
    "thresholds",
    "load",
    "feeders",
    "workloads",
];
const CONFIG: &[&str] = &[
    "name",
    "details",
    "tag",
    "base_url",
    "request_timeout",
    "max_errors",
    "max_time",
    "verbose",
    "ignore",
    "http_client",
    "max_body_size",
    "decompress",
    "check_timeout",
    "keep_alive",
    "http_version",
    "client_cert",
    "trace_context",
    "follow_redirects",
    "max_redirects",
];
const SESSIONS: &[&str] = &[
    "users",
    "count",
    "duration",
    "ramp_up_delay",
    "basic_auth",
    "verify_ssl",
];
const ITEM: &[&str] = &["sequence", "repeat", "duration"];

/// Validates the whole document.
pub(super) fn document(v: &mut Validator, root: &Node) -> Option<Scenario> {
    if !file_version(v, root) {
        return None;
    }
    let mut top = Fields::of(root)?;
    top.take("file_version");
    let has_workloads = top.has("workloads");
    for required in ["sequences", "scenario"] {
        let given = top.has(required) || (required == "scenario" && has_workloads);
        if !given {
            v.diags.push(
                Diagnostic::error(root.span, format!("missing section `{required}`"))
                    .with_help(format!("a scenario file needs `scenario` (what each session runs) and `sequences` (the named activity lists); add `{required}:`")),
            );
        }
    }
    let config_node = top.take("config");
    let (config, config_values) = config_node.map(|n| config(v, n)).unwrap_or_default();
    let context_node = top.take("context");
    let context_section = context_node.and_then(|n| context(v, n)).unwrap_or_default();
    let sessions_node = top.take("sessions");
    let sessions = sessions_node.map(|n| sessions(v, n)).unwrap_or_default();
    // Before the sequences, whose `Feed` activities name them.
    let feeders = top
        .take_some("feeders")
        .map(|n| super::feeders::section(v, n))
        .unwrap_or_default();
    let sequences = top
        .take("sequences")
        .map(|n| activity::sequences(v, n, config.base_url.is_some() || v.base_url_later))
        .unwrap_or_default();
    let names: Vec<&str> = sequences.iter().map(|s| s.name.as_str()).collect();
    let scenario_node = top.take("scenario");
    let items = scenario_node.map(|n| scenario_items(v, n, &names)).unwrap_or_default();
    let thresholds = top
        .take("thresholds")
        .map(|n| thresholds::section(v, n, &sequences))
        .unwrap_or_default();
    let mut thresholds = thresholds;
    let load_node = top.take_some("load");
    let load = load_node.map(|n| super::load::load(v, n)).unwrap_or(LoadModel::Closed);
    let seed = super::load::seed(load_node);
    let workloads = match top.take("workloads") {
        Some(n) => {
            if let Some(s) = scenario_node {
                v.diags.push(
                    Diagnostic::error(s.span, "a file with `workloads` has no top-level `scenario`").with_help(
                        "each workload lists what its sessions run in its own `scenario`: move these items into one",
                    ),
                );
            }
            let shared = super::workloads::Shared {
                sessions: &sessions,
                load: &load,
                names: &names,
            };
            let (workloads, sets) = super::workloads::section(v, n, &shared);
            thresholds.workloads = sets;
            workloads
        }
        None => Vec::new(),
    };
    top.finish(v.diags, "the top level", TOP_LEVEL);
    if matches!(load, LoadModel::ClosedStages { .. }) {
        super::load::warn_unused_sessions_keys(v, sessions_node);
    }

    for seq in &sequences {
        if !super::workloads::runs(&workloads, &items, &seq.name) {
            v.diags.warning(
                seq.span,
                format!("sequence `{}` is defined but no `scenario` item runs it", seq.name),
            );
        }
    }
    warn_init_end_positions(v, &items);
    super::exchanges::check(v, &sequences, &items, &workloads, &thresholds);

    // The original copies every `config` key into the context; a key set in `context` wins.
    let mut context = config_values;
    context.extend(context_section);
    let env_templates = env_text::variables(&v.env_texts, [config_node, context_node], &context);
    let name = config.name.clone().unwrap_or_else(|| {
        v.main_path
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
    });
    Some(Scenario {
        name,
        path: v.main_path.to_path_buf(),
        root: v.root.to_path_buf(),
        config,
        context,
        env_templates,
        seed,
        sessions,
        items,
        sequences,
        thresholds,
        load,
        feeders,
        workloads,
        sources: Default::default(),
    })
}

/// Checks `file_version`; false when this is not a stressor#0 file (then nothing else is reported).
fn file_version(v: &mut Validator, root: &Node) -> bool {
    const HELP: &str = "a stressor scenario is a YAML mapping that starts with `file_version: stressor#0`";
    let Some(entries) = root.as_map() else {
        v.diags.push(
            Diagnostic::error(
                root.span,
                format!(
                    "not a stressor file: the document is {}, not a mapping",
                    root.type_name()
                ),
            )
            .with_help(HELP),
        );
        return false;
    };
    let Some((key, value)) = entries.iter().find(|(k, _)| k.key_is("file_version")) else {
        v.diags
            .push(Diagnostic::error(root.span, "not a stressor file: `file_version` is missing").with_help(HELP));
        return false;
    };
    let _ = key;
    let text = value.key_text();
    match text.strip_prefix("stressor#") {
        Some("0") => true,
        Some(other) => {
            v.diags.push(
                Diagnostic::error(value.span, format!("unsupported file_version `stressor#{other}`"))
                    .with_label("expected `stressor#0`")
                    .with_help("this version of stressor reads `file_version: stressor#0` files"),
            );
            false
        }
        None => {
            v.diags.push(
                Diagnostic::error(value.span, format!("not a stressor file: file_version is `{text}`"))
                    .with_label("expected `stressor#0`")
                    .with_help(HELP),
            );
            false
        }
    }
}

/// `config`: the typed settings, plus every key as a context value.
fn config(v: &mut Validator, node: &Node) -> (Config, Map<String, Value>) {
    let mut config = Config {
        span: Some(node.span),
        ..Config::default()
    };
    if node.is_null() {
        return (config, Map::new());
    }
    let Some(mut f) = Fields::of(node) else {
        v.diags.push(Diagnostic::error(
            node.span,
            format!("`config` must be a mapping, found {}", node.type_name()),
        ));
        return (config, Map::new());
    };
    let mut c = v.check();
    config.name = f.take_some("name").and_then(|n| c.text(n, "name"));
    config.details = f.take_some("details").and_then(|n| c.text(n, "details"));
    config.tag = f.take_some("tag").and_then(|n| c.text(n, "tag"));
    config.ignore = f.take_some("ignore").and_then(|n| c.text(n, "ignore"));
    if let Some(n) = f.take("request_timeout") {
        config.request_timeout = if n.is_null() {
            None
        } else {
            c.duration(n, "request_timeout")
        };
    }
    if let Some(n) = f.take_some("max_body_size")
        && let Some(size) = c.size(n, "max_body_size")
    {
        config.max_body_size = size;
    }
    if let Some(n) = f.take_some("decompress")
        && let Some(decompress) = c.bool(n, "decompress")
    {
        config.decompress = decompress;
    }
    if let Some(n) = f.take("check_timeout") {
        config.check_timeout = if n.is_null() {
            None
        } else {
            c.duration(n, "check_timeout")
        };
    }
    config.max_errors = f
        .take_some("max_errors")
        .and_then(|n| c.count(n, "max_errors"))
        .unwrap_or(0);
    config.max_time = f
        .take_some("max_time")
        .and_then(|n| c.duration(n, "max_time"))
        .filter(|d| !d.is_zero());
    if let Some(n) = f.take_some("verbose") {
        match n.kind {
            NodeKind::Int(i) => config.verbose = i,
            _ => c.diags.push(Diagnostic::error(
                n.span,
                format!("`verbose` must be an integer, found {}", n.type_name()),
            )),
        }
    }
    if let Some(n) = f.take_some("http_client")
        && let Some(name) = c.text(n, "http_client")
    {
        match HttpClientKind::from_name(&name) {
            Some(HttpClientKind::Reqwest) if !cfg!(feature = "https") => {
                c.diags
                    .push(super::feature_missing(n.span, "`http_client: reqwest`", "https"));
            }
            Some(kind) => config.http_client = kind,
            None => c.diags.push(
                Diagnostic::error(
                    n.span,
                    format!("`http_client` must be `lean` or `reqwest`, found `{name}`"),
                )
                .with_help("`lean` (the default) is faster; `reqwest` is the general-purpose client"),
            ),
        }
    }
    if let Some(n) = f.take_some("base_url") {
        config.base_url = c.text(n, "base_url");
        if let Some(url) = &config.base_url {
            let host = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
            let ok = url.contains("$(") || host.is_some_and(|h| !h.is_empty() && !h.starts_with('/'));
            if super::https_unavailable(url) {
                c.diags.push(super::feature_missing(
                    n.span,
                    &format!("`base_url: {url}` (an `https://` URL)"),
                    "https",
                ));
            } else if !ok {
                c.diags.push(
                    Diagnostic::error(
                        n.span,
                        format!("`base_url` must be an absolute http(s) URL, found `{url}`"),
                    )
                    .with_help("write it like `base_url: http://127.0.0.1:8082`"),
                );
            }
        }
    }
    super::transport::read(v, &mut f, &mut config);
    // Keys that are not ours become context variables, as in the original; near-misses are likely typos.
    for (key, _) in f.rest() {
        let text = key.key_text();
        if let Some(known) = suggest::did_you_mean(&text, CONFIG.iter().copied()) {
            v.diags.push(
                Diagnostic::warning(
                    key.span,
                    format!("`config.{text}` is not a setting; it only becomes a context variable"),
                )
                .with_label(format!("did you mean `{known}`?")),
            );
        }
    }
    let values = node.to_json().as_object().cloned().unwrap_or_default();
    (config, values)
}

/// `context`: a mapping of initial variables, or null.
fn context(v: &mut Validator, node: &Node) -> Option<Map<String, Value>> {
    match &node.kind {
        NodeKind::Null => None,
        NodeKind::Map(_) => node.to_json().as_object().cloned(),
        _ => {
            v.diags.push(
                Diagnostic::error(
                    node.span,
                    format!(
                        "`context` must be a mapping of variable names to values, found {}",
                        node.type_name()
                    ),
                )
                .with_help("write `context:` followed by `name: value` lines, or leave it empty"),
            );
            None
        }
    }
}

pub(super) fn sessions(v: &mut Validator, node: &Node) -> Sessions {
    let mut s = Sessions::default();
    if node.is_null() {
        return s;
    }
    let Some(mut f) = Fields::of(node) else {
        v.diags.push(Diagnostic::error(
            node.span,
            format!("`sessions` must be a mapping, found {}", node.type_name()),
        ));
        return s;
    };
    if let Some(n) = f.take_some("users") {
        s.users = users(v, n);
    }
    let mut c = v.check();
    if let Some(n) = f.take_some("count") {
        match c.count(n, "count") {
            Some(0) => {
                c.diags.push(
                    Diagnostic::error(n.span, "`sessions.count` must be at least 1")
                        .with_help("count is the number of parallel sessions (virtual users)"),
                );
            }
            Some(count) if count > u64::from(u32::MAX) => {
                c.diags.push(Diagnostic::error(
                    n.span,
                    format!("`sessions.count` of {count} is too large"),
                ));
            }
            Some(count) => s.count = count as u32,
            None => {}
        }
    }
    s.duration = f
        .take_some("duration")
        .and_then(|n| c.duration(n, "duration"))
        .filter(|d| !d.is_zero());
    if let Some(n) = f.take_some("ramp_up_delay") {
        s.ramp_up_delay = match &n.kind {
            NodeKind::Seq(items) if items.len() == 2 => {
                match (
                    c.duration(&items[0], "ramp_up_delay"),
                    c.duration(&items[1], "ramp_up_delay"),
                ) {
                    (Some(a), Some(b)) if a <= b => Delay::Range(a, b),
                    (Some(_), Some(_)) => {
                        c.diags.push(Diagnostic::error(
                            n.span,
                            "`ramp_up_delay` range must be [min, max] with min <= max",
                        ));
                        Delay::Fixed(Duration::ZERO)
                    }
                    _ => Delay::Fixed(Duration::ZERO),
                }
            }
            NodeKind::Seq(_) => {
                c.diags.push(Diagnostic::error(
                    n.span,
                    "`ramp_up_delay` must be a duration or a [min, max] pair",
                ));
                Delay::Fixed(Duration::ZERO)
            }
            _ => Delay::Fixed(c.duration(n, "ramp_up_delay").unwrap_or_default()),
        };
    }
    s.basic_auth = f
        .take_some("basic_auth")
        .and_then(|n| c.bool(n, "basic_auth"))
        .unwrap_or(false);
    s.verify_ssl = f
        .take_some("verify_ssl")
        .and_then(|n| c.bool(n, "verify_ssl"))
        .unwrap_or(true);
    f.finish(v.diags, "`sessions`", SESSIONS);
    s
}

/// A workload's `sessions`: the keys it sets over the file's `base`.
pub(super) fn sessions_over(v: &mut Validator, node: &Node, base: &Sessions) -> Sessions {
    let own = sessions(v, node);
    let mut s = base.clone();
    for (key, _) in node.as_map().unwrap_or_default() {
        match key.key_text().as_str() {
            "users" => s.users = own.users.clone(),
            "count" => s.count = own.count,
            "duration" => s.duration = own.duration,
            "ramp_up_delay" => s.ramp_up_delay = own.ramp_up_delay,
            "basic_auth" => s.basic_auth = own.basic_auth,
            "verify_ssl" => s.verify_ssl = own.verify_ssl,
            _ => {}
        }
    }
    s
}

fn users(v: &mut Validator, node: &Node) -> Vec<User> {
    let NodeKind::Seq(items) = &node.kind else {
        v.diags.push(
            Diagnostic::error(
                node.span,
                format!("`users` must be a list of users, found {}", node.type_name()),
            )
            .with_help("write a list of `{name: ..., password: ...}` entries, or `$load(users.yaml)`"),
        );
        return vec![User::anonymous()];
    };
    if items.is_empty() {
        v.diags.push(
            Diagnostic::error(node.span, "`users` is empty")
                .with_help("list at least one user, or remove `users` to run as `anonymous`"),
        );
    }
    let mut users = Vec::new();
    for item in items {
        let Some(map) = item.to_json().as_object().cloned().filter(|_| item.as_map().is_some()) else {
            v.diags.push(Diagnostic::error(
                item.span,
                format!(
                    "a user must be a mapping with `name` and `password`, found {}",
                    item.type_name()
                ),
            ));
            continue;
        };
        let mut extra = map;
        let name = match extra.remove("name") {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                v.diags
                    .push(Diagnostic::error(item.span, "a user needs a `name` string"));
                continue;
            }
        };
        let password = match extra.remove("password") {
            None => Some(String::new()),
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => {
                let span = item.get("password").map_or(item.span, |n| n.span);
                v.diags.push(Diagnostic::error(
                    span,
                    format!("`password` must be a string, found {other}"),
                ));
                None
            }
        };
        let mut user = User {
            name,
            password,
            extra,
            env_template: None,
        };
        user.env_template = env_text::user(&v.env_texts, item, &user);
        users.push(user);
    }
    if users.is_empty() {
        vec![User::anonymous()]
    } else {
        users
    }
}

pub(super) fn scenario_items(v: &mut Validator, node: &Node, names: &[&str]) -> Vec<ScenarioItem> {
    let NodeKind::Seq(list) = &node.kind else {
        v.diags.push(
            Diagnostic::error(
                node.span,
                format!(
                    "`scenario` must be a list of `- sequence: NAME` items, found {}",
                    node.type_name()
                ),
            )
            .with_help("e.g. `scenario:` then `  - sequence: main` on the next line"),
        );
        return Vec::new();
    };
    if list.is_empty() {
        v.diags.push(Diagnostic::error(
            node.span,
            "`scenario` is empty: no session would do anything",
        ));
    }
    let mut items = Vec::new();
    for entry in list {
        let Some(mut f) = Fields::of(entry) else {
            v.diags.push(Diagnostic::error(
                entry.span,
                format!(
                    "a scenario item must be a mapping like `sequence: main`, found {}",
                    entry.type_name()
                ),
            ));
            continue;
        };
        let Some(name_node) = f.take_some("sequence") else {
            v.diags
                .push(Diagnostic::error(entry.span, "a scenario item needs `sequence: NAME`"));
            f.finish(v.diags, "a scenario item", ITEM);
            continue;
        };
        let mut c = v.check();
        let Some(sequence) = c.text(name_node, "sequence") else {
            continue;
        };
        let repeat = f.take_some("repeat").and_then(|n| c.count(n, "repeat"));
        let duration = f
            .take_some("duration")
            .and_then(|n| c.duration(n, "duration"))
            .filter(|d| !d.is_zero());
        if !names.contains(&sequence.as_str()) {
            c.diags.push(
                Diagnostic::error(
                    name_node.span,
                    format!("sequence `{sequence}` is not defined in `sequences`"),
                )
                .with_label_opt(suggest::label(&sequence, names.iter().copied()))
                .with_help(if names.is_empty() {
                    "define it under `sequences:`".to_string()
                } else {
                    format!("defined sequences: {}", names.join(", "))
                }),
            );
        }
        f.finish(v.diags, "a scenario item", ITEM);
        items.push(ScenarioItem {
            sequence,
            repeat,
            duration,
            span: entry.span,
        });
    }
    items
}

pub(super) fn warn_init_end_positions(v: &mut Validator, items: &[ScenarioItem]) {
    let last = items.len().saturating_sub(1);
    for (i, item) in items.iter().enumerate() {
        if item.sequence == "init" && i != 0 {
            v.diags.warning(
                item.span,
                "`init` is the set-up sequence but is not the first scenario item",
            );
        }
        if item.sequence == "end" && i != last {
            v.diags.warning(
                item.span,
                "`end` is the tear-down sequence but is not the last scenario item",
            );
        }
    }
}
