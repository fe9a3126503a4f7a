//! The `thresholds` section and inline `thresholds:` of activities.

use super::Validator;
use super::reader::Fields;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::duration::parse_duration;
use crate::scenario::model::{
    Change, Filter, Limit, Metric, RelativeRule, Sequence, StatusClass, Threshold, ThresholdSet, Thresholds,
};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::suggest;

/// The top-level `thresholds` section.
pub(super) fn section(v: &mut Validator, node: &Node, sequences: &[Sequence]) -> Thresholds {
    let mut out = Thresholds {
        run: set(v, node, true),
        ..Thresholds::default()
    };
    let names: Vec<String> = sequences.iter().map(|s| s.name.clone()).collect();
    let sequences_kind = Subjects {
        key: "sequences",
        what: "sequence",
        missing: "which is not defined in `sequences`",
        help: None,
        mapping: "a mapping of sequence names to limits",
    };
    out.sequences = subjects(v, node, &sequences_kind, &names);
    if let Some(n) = node.get("baseline_required").filter(|n| !n.is_null()) {
        out.baseline_required = v.check().bool(n, "baseline_required").unwrap_or(false);
    }
    let tags = Subjects {
        key: "tags",
        what: "tag",
        missing: "but no activity has that tag",
        help: Some("tag activities with `tags: {api: checkout}` and select them here as `api=checkout`"),
        mapping: "a mapping of `key=value` tags to limits",
    };
    out.tags = subjects(v, node, &tags, &tag_selectors(sequences));
    let activities = Subjects {
        key: "activities",
        what: "activity",
        missing: "but no activity has that name or path",
        help: Some("refer to an activity by its `name:` or by `sequence/index` (0-based), e.g. `main/0`"),
        mapping: "a mapping of activity names to limits",
    };
    out.activities = subjects(v, node, &activities, &activity_selectors(sequences));
    if let Some(n) = node.get("warmup").filter(|n| !n.is_null()) {
        out.warmup = super::warmup::warmup(v, n);
    }
    if let Some(n) = node.get("confirm").filter(|n| !n.is_null()) {
        out.confirm = confirm(v, n);
    }
    out
}

/// Re-runs at most: a gate confirmed more often than this hides a real problem behind retries.
const MAX_CONFIRM: u64 = 3;

/// `confirm: N`, 0 to [`MAX_CONFIRM`].
fn confirm(v: &mut Validator, n: &Node) -> u32 {
    match v.check().count(n, "confirm") {
        Some(c) if c <= MAX_CONFIRM => c as u32,
        Some(c) => {
            v.diags.push(
                Diagnostic::error(n.span, format!("`confirm: {c}` re-runs a failed gate too often"))
                    .with_help(format!("`confirm` is 0 to {MAX_CONFIRM}: `confirm: 1` runs a failed gate once more, and only a failure that repeats fails")),
            );
            0
        }
        None => 0,
    }
}

/// One kind of threshold subject (`thresholds.sequences`, `.tags`, `.activities`): how its keys are
/// named in errors.
struct Subjects {
    key: &'static str,
    what: &'static str,
    missing: &'static str,
    help: Option<&'static str>,
    mapping: &'static str,
}

/// The limits of each subject under `node[kind.key]`; a key that names no known subject is an error
/// with the nearest known one.
fn subjects(v: &mut Validator, node: &Node, kind: &Subjects, known: &[String]) -> Vec<(String, ThresholdSet)> {
    let mut out = Vec::new();
    let Some(n) = node.get(kind.key).filter(|n| !n.is_null()) else {
        return out;
    };
    for (key, value) in n.as_map().unwrap_or_default() {
        let name = key.key_text();
        if !known.contains(&name) {
            let mut d = Diagnostic::error(
                key.span,
                format!("threshold for {} `{name}`, {}", kind.what, kind.missing),
            )
            .with_label_opt(suggest::label(&name, known.iter().map(String::as_str)));
            if let Some(help) = kind.help {
                d = d.with_help(help);
            }
            v.diags.push(d);
            continue;
        }
        out.push((name, set(v, value, false)));
    }
    if n.as_map().is_none() {
        v.diags.push(Diagnostic::error(
            n.span,
            format!("`thresholds.{}` must be {}", kind.key, kind.mapping),
        ));
    }
    out
}

/// The `key=value` tags of the activities, which `thresholds.tags` may select.
fn tag_selectors(sequences: &[Sequence]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in sequences.iter().flat_map(|s| &s.activities) {
        for (k, value) in &a.common.tags {
            let tag = format!("{k}={value}");
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
    }
    out
}

/// Names an activity threshold may use: each activity's `name`, and `sequence/index`.
fn activity_selectors(sequences: &[Sequence]) -> Vec<String> {
    let mut out = Vec::new();
    for s in sequences {
        for a in &s.activities {
            out.push(format!("{}/{}", s.name, a.index));
            if let Some(n) = &a.common.name {
                out.push(n.clone());
            }
        }
    }
    out
}

/// Keys of a set that are not metrics.
const SET_KEYS: &[&str] = &["min_samples"];
/// Keys of the top-level set only.
const TOP_KEYS: &[&str] = &[
    "sequences",
    "activities",
    "tags",
    "baseline_required",
    "warmup",
    "confirm",
];
/// Keys of a metric's mapping form.
const RULE_KEYS: &[&str] = &["max", "min", "vs_baseline", "window", "abort_on_fail", "delay"];

/// A set of limits; `top` allows the `sequences`/`activities`/`tags` sub-sections (and, being the
/// run's, windows).
pub(super) fn set(v: &mut Validator, node: &Node, top: bool) -> ThresholdSet {
    let mut out = ThresholdSet {
        span: Some(node.span),
        ..ThresholdSet::default()
    };
    if node.is_null() {
        return out;
    }
    let Some(mut f) = Fields::of(node) else {
        v.diags.push(Diagnostic::error(
            node.span,
            format!(
                "thresholds must be a mapping like `{{p95: 300ms}}`, found {}",
                node.type_name()
            ),
        ));
        return out;
    };
    if top {
        for key in TOP_KEYS {
            f.take(key);
        }
    }
    if let Some(n) = f.take_some("min_samples") {
        out.min_samples = v.check().count(n, "min_samples");
    }
    let rest: Vec<_> = f.rest().collect();
    for (key, value) in rest {
        let name = key.key_text();
        let (metric_name, filter) = match split_filter(v, key, &name) {
            Some(parts) => parts,
            None => continue,
        };
        let Some(metric) = metric(metric_name) else {
            let mut known: Vec<&str> = Metric::NAMES.to_vec();
            known.extend(SET_KEYS);
            if top {
                known.extend(TOP_KEYS);
            }
            v.diags.push(
                Diagnostic::error(key.span, format!("unknown threshold metric `{metric_name}`"))
                    .with_label_opt(suggest::label(metric_name, known.iter().copied()))
                    .with_help(format!("metrics: {}", Metric::NAMES.join(", "))),
            );
            continue;
        };
        if filter.is_some() && !matches!(metric, Metric::Errors | Metric::ErrorRate) {
            v.diags.push(
                Diagnostic::error(key.span, format!("`{metric_name}` cannot be filtered"))
                    .with_help("filters (`{class:timeout}`, `{status:5xx}`) apply to `errors` and `error_rate`"),
            );
            continue;
        }
        let entry = Entry {
            metric,
            filter,
            key,
            name: &name,
            run: top,
        };
        rule(v, &mut out, &entry, value);
    }
    out
}

/// A metric key of a set, parsed.
struct Entry<'n> {
    metric: Metric,
    filter: Option<Filter>,
    key: &'n Node,
    /// As written (`errors{class:timeout}`).
    name: &'n str,
    /// Whether the set is the run's (windows are allowed there only).
    run: bool,
}

/// One metric entry: a plain limit, or the mapping form with its options.
fn rule(v: &mut Validator, out: &mut ThresholdSet, e: &Entry<'_>, value: &Node) {
    let (metric, filter, key, name, run) = (e.metric, e.filter, e.key, e.name, e.run);
    if !matches!(value.kind, NodeKind::Map(_)) {
        if let Some(limit) = limit(v, metric, value, name) {
            out.rules.push(Threshold {
                filter,
                ..Threshold::new(metric, limit, key.span)
            });
        }
        return;
    }
    let Some(mut f) = Fields::of(value) else { return };
    let bound_key = if metric == Metric::MinRps { "min" } else { "max" };
    let wrong_bound = if metric == Metric::MinRps { "max" } else { "min" };
    if let Some((k, _)) = f.take_entry(wrong_bound) {
        v.diags.push(
            Diagnostic::error(k.span, format!("`{name}` takes `{bound_key}:`, not `{wrong_bound}:`"))
                .with_help("`min_rps` is a lower bound (`min`); every other metric an upper bound (`max`)"),
        );
    }
    let bound = f.take_some(bound_key);
    let change = f.take_some("vs_baseline");
    let window = f.take_some("window");
    let abort = f.take_some("abort_on_fail");
    let delay = f.take_some("delay");
    f.finish(v.diags, &format!("threshold `{name}`"), RULE_KEYS);
    if bound.is_none() && change.is_none() {
        v.diags.push(
            Diagnostic::error(
                value.span,
                format!("threshold `{name}` has neither `{bound_key}` nor `vs_baseline`"),
            )
            .with_help(format!("e.g. `{name}: {{{bound_key}: ..., vs_baseline: +10%}}`")),
        );
        return;
    }
    let mut check = v.check();
    let window = window.and_then(|n| check.duration(n, "window"));
    let abort = abort.and_then(|n| check.bool(n, "abort_on_fail")).unwrap_or(false);
    let delay = delay.and_then(|n| check.duration(n, "delay"));
    if window.is_some() && !run {
        v.diags.push(
            Diagnostic::error(value.span, "`window` applies to the run's thresholds only")
                .with_help("the per-second series a window is judged over is kept for the whole run"),
        );
        return;
    }
    if window.is_some() && filter.is_some() {
        v.diags.push(Diagnostic::error(
            value.span,
            "a filtered threshold cannot have a `window`: the per-second series does not keep error classes or statuses",
        ));
        return;
    }
    if delay.is_some() && !abort {
        v.diags.push(
            Diagnostic::warning(value.span, "`delay` without `abort_on_fail: true` has no effect")
                .with_help("`delay` is how long after the start an `abort_on_fail` threshold may stop the run"),
        );
    }
    if let Some(n) = bound
        && let Some(limit) = limit(v, metric, n, name)
    {
        out.rules.push(Threshold {
            filter,
            window,
            abort_after: abort.then(|| delay.unwrap_or_default()),
            ..Threshold::new(metric, limit, key.span)
        });
    } else if abort || window.is_some() {
        v.diags.push(Diagnostic::error(
            value.span,
            format!("`window` and `abort_on_fail` need an absolute limit (`{bound_key}:`)"),
        ));
    }
    if let Some(n) = change {
        if filter.is_some() || matches!(metric, Metric::Max | Metric::Errors) {
            v.diags.push(
                Diagnostic::error(n.span, format!("`{name}` cannot be compared with a baseline"))
                    .with_help("`vs_baseline` applies to percentiles, `mean`, `error_rate` and `min_rps`: `max` is one sample and `errors` grows with the run's length"),
            );
        } else if let Some(allowed) = change_of(v, metric, n) {
            out.relative.push(RelativeRule {
                metric,
                allowed,
                span: n.span,
            });
        }
    }
}

/// `errors{class:timeout}` → (`errors`, the filter); a plain name has none.
pub(super) fn split_filter<'n>(v: &mut Validator, key: &Node, name: &'n str) -> Option<(&'n str, Option<Filter>)> {
    let Some((metric, rest)) = name.split_once('{') else {
        return Some((name, None));
    };
    let bad = |v: &mut Validator, why: String| {
        v.diags.push(
            Diagnostic::error(key.span, format!("invalid threshold filter in `{name}`: {why}"))
                .with_help("write `errors{class:timeout}` or `error_rate{status:5xx}`"),
        );
        None
    };
    let Some(inner) = rest.trim_end().strip_suffix('}') else {
        return bad(v, "missing `}`".into());
    };
    let Some((k, value)) = inner.split_once(':') else {
        return bad(v, "expected `key:value`".into());
    };
    let value = value.trim();
    let filter = match k.trim() {
        "class" => match crate::scenario::ErrorClass::ALL.iter().find(|c| c.as_str() == value) {
            Some(class) => Filter::Class(*class),
            None => {
                let names: Vec<&str> = crate::scenario::ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
                return bad(
                    v,
                    format!("unknown error class `{value}` (classes: {})", names.join(", ")),
                );
            }
        },
        "status" => match value.as_bytes() {
            [d @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => Filter::Status(StatusClass(d - b'0')),
            _ => return bad(v, format!("`{value}` is not a status class: write `2xx` ... `5xx`")),
        },
        other => return bad(v, format!("unknown filter `{other}`: filters are `class` and `status`")),
    };
    Some((metric.trim(), Some(filter)))
}

/// `+10%` (a fraction of the baseline), or for `error_rate` also `+0.1pp` (percentage points). The sign
/// is optional: the allowance is always in the bad direction (slower, more errors, fewer requests).
fn change_of(v: &mut Validator, metric: Metric, n: &Node) -> Option<Change> {
    let text = n.key_text();
    let t = text.trim().trim_start_matches(['+', '-']).trim();
    let number = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0);
    let change = if let Some(p) = t.strip_suffix("pp") {
        (metric == Metric::ErrorRate)
            .then_some(())
            .and(number(p))
            .map(|p| Change::Points(p / 100.0))
    } else if let Some(p) = t.strip_suffix('%') {
        number(p).map(|p| Change::Relative(p / 100.0))
    } else {
        None
    };
    if change.is_none() {
        v.diags.push(
            Diagnostic::error(n.span, format!("invalid `vs_baseline` `{text}`")).with_help(
                if metric == Metric::ErrorRate {
                    "write a change such as `+10%` (of the baseline's rate) or `+0.1pp` (percentage points)"
                } else {
                    "write a change such as `+10%`: how much worse than the baseline it may get"
                },
            ),
        );
    }
    change
}

/// Parses a metric name: `p50`..`p99.9` (any percentile written `pNN`), `mean`, `max`, ...
pub(super) fn metric(name: &str) -> Option<Metric> {
    Some(match name {
        "mean" | "avg" => Metric::Mean,
        "max" => Metric::Max,
        "error_rate" => Metric::ErrorRate,
        "errors" => Metric::Errors,
        "min_rps" => Metric::MinRps,
        p => {
            let q: f64 = p.strip_prefix('p')?.parse().ok()?;
            if !(q > 0.0 && q < 100.0) {
                return None;
            }
            Metric::Percentile(q)
        }
    })
}

pub(super) fn limit(v: &mut Validator, metric: Metric, n: &Node, name: &str) -> Option<Limit> {
    let text = n.key_text();
    let bad = |v: &mut Validator, why: &str| {
        v.diags
            .push(Diagnostic::error(n.span, format!("invalid limit for `{name}`: {why}")));
        None
    };
    match metric {
        Metric::Percentile(_) | Metric::Mean | Metric::Max => match (&n.kind, parse_duration(&text)) {
            (NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Str(_), Ok(d)) => Some(Limit::Duration(d)),
            (_, Err(why)) => {
                v.diags.push(
                    Diagnostic::error(n.span, format!("invalid duration for `{name}`: {why}"))
                        .with_help("latency limits are durations: `300ms`, `1.5s`, or a number of seconds"),
                );
                None
            }
            _ => bad(v, "expected a duration"),
        },
        Metric::ErrorRate => {
            let ratio = match &n.kind {
                NodeKind::Str(s) if s.trim_end().ends_with('%') => s
                    .trim_end()
                    .trim_end_matches('%')
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .map(|p| p / 100.0),
                NodeKind::Int(_) | NodeKind::Float(_) => text.parse::<f64>().ok(),
                _ => None,
            };
            match ratio {
                Some(r) if (0.0..=1.0).contains(&r) => Some(Limit::Ratio(r)),
                _ => bad(
                    v,
                    "`error_rate` is a fraction between 0 and 1 (`0.005`) or a percentage (`\"0.5%\"`)",
                ),
            }
        }
        Metric::Errors => match n.kind {
            NodeKind::Int(i) if i >= 0 => Some(Limit::Count(i as u64)),
            _ => bad(v, "`errors` is a whole number of errors"),
        },
        Metric::MinRps => match rate(&text) {
            Some(r) if matches!(n.kind, NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Str(_)) => {
                Some(Limit::Rate(r))
            }
            _ => bad(v, "`min_rps` is requests per second, e.g. `50` or `\"3000/m\"`"),
        },
    }
}

/// A rate: `50`, `50/s`, `3000/m`, `10/1s`.
pub(super) fn rate(text: &str) -> Option<f64> {
    let (count, per) = match text.split_once('/') {
        Some((c, p)) => (c.trim(), p.trim()),
        None => (text.trim(), "s"),
    };
    let count: f64 = count.parse().ok()?;
    let per = match per {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => parse_duration(other).ok()?.as_secs_f64(),
    };
    (count >= 0.0 && count.is_finite() && per > 0.0).then(|| count / per)
}
