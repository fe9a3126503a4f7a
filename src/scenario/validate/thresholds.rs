//! The `thresholds` section, inline `thresholds:` of activities, and the `load` section.

use super::Validator;
use super::reader::Fields;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::duration::parse_duration;
use crate::scenario::model::{Limit, LoadModel, Metric, Sequence, Stage, Threshold, ThresholdSet, Thresholds};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::suggest;

/// The top-level `thresholds` section.
pub(super) fn section(v: &mut Validator, node: &Node, sequences: &[Sequence]) -> Thresholds {
    let mut out = Thresholds {
        run: set(v, node, true),
        ..Thresholds::default()
    };
    let seq_names: Vec<&str> = sequences.iter().map(|s| s.name.as_str()).collect();
    if let Some(n) = node.get("sequences").filter(|n| !n.is_null()) {
        for (key, value) in n.as_map().unwrap_or_default() {
            let name = key.key_text();
            if !seq_names.contains(&name.as_str()) {
                v.diags.push(
                    Diagnostic::error(
                        key.span,
                        format!("threshold for sequence `{name}`, which is not defined in `sequences`"),
                    )
                    .with_label_opt(suggest::label(&name, seq_names.iter().copied())),
                );
                continue;
            }
            out.sequences.push((name, set(v, value, false)));
        }
        if n.as_map().is_none() {
            v.diags.push(Diagnostic::error(
                n.span,
                "`thresholds.sequences` must be a mapping of sequence names to limits",
            ));
        }
    }
    if let Some(n) = node.get("activities").filter(|n| !n.is_null()) {
        let known = activity_selectors(sequences);
        for (key, value) in n.as_map().unwrap_or_default() {
            let name = key.key_text();
            if !known.contains(&name) {
                v.diags.push(
                    Diagnostic::error(
                        key.span,
                        format!("threshold for activity `{name}`, but no activity has that name or path"),
                    )
                    .with_label_opt(suggest::label(&name, known.iter().map(String::as_str)))
                    .with_help("refer to an activity by its `name:` or by `sequence/index` (0-based), e.g. `main/0`"),
                );
                continue;
            }
            out.activities.push((name, set(v, value, false)));
        }
        if n.as_map().is_none() {
            v.diags.push(Diagnostic::error(
                n.span,
                "`thresholds.activities` must be a mapping of activity names to limits",
            ));
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

/// A set of limits; `top` allows the `sequences`/`activities` sub-sections.
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
        f.take("sequences");
        f.take("activities");
    }
    if let Some(n) = f.take_some("min_samples") {
        out.min_samples = v.check().count(n, "min_samples");
    }
    let rest: Vec<_> = f.rest().collect();
    for (key, value) in rest {
        let name = key.key_text();
        let Some(metric) = metric(&name) else {
            let mut known: Vec<&str> = Metric::NAMES.to_vec();
            known.push("min_samples");
            if top {
                known.extend(["sequences", "activities"]);
            }
            v.diags.push(
                Diagnostic::error(key.span, format!("unknown threshold metric `{name}`"))
                    .with_label_opt(suggest::label(&name, known.iter().copied()))
                    .with_help(format!("metrics: {}", Metric::NAMES.join(", "))),
            );
            continue;
        };
        if let Some(limit) = limit(v, metric, value, &name) {
            out.rules.push(Threshold {
                metric,
                limit,
                span: key.span,
            });
        }
    }
    out
}

/// Parses a metric name: `p50`..`p99.9` (any percentile written `pNN`), `mean`, `max`, ...
fn metric(name: &str) -> Option<Metric> {
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

fn limit(v: &mut Validator, metric: Metric, n: &Node, name: &str) -> Option<Limit> {
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
fn rate(text: &str) -> Option<f64> {
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

/// The `load` section.
pub(super) fn load(v: &mut Validator, node: &Node) -> LoadModel {
    const KEYS: &[&str] = &["model", "stages", "max_sessions"];
    let Some(mut f) = Fields::of(node) else {
        v.diags.push(Diagnostic::error(
            node.span,
            format!("`load` must be a mapping, found {}", node.type_name()),
        ));
        return LoadModel::Closed;
    };
    let model = f
        .take_some("model")
        .and_then(|n| Some((v.check().text(n, "model")?, n.span)));
    let stages_node = f.take_some("stages");
    let max_sessions = f
        .take_some("max_sessions")
        .and_then(|n| v.check().count(n, "max_sessions"));
    f.finish(v.diags, "`load`", KEYS);
    match model.as_ref().map(|(m, s)| (m.as_str(), *s)) {
        None | Some(("closed", _)) => {
            if let Some(n) = stages_node {
                v.diags.push(
                    Diagnostic::error(n.span, "`stages` needs `model: arrival-rate`")
                        .with_help("the closed model runs `sessions.count` users; stages set arrival rates"),
                );
            }
            LoadModel::Closed
        }
        Some(("arrival-rate", span)) => {
            let mut stages = Vec::new();
            match stages_node.map(|n| (n, &n.kind)) {
                Some((_, NodeKind::Seq(items))) if !items.is_empty() => {
                    for item in items {
                        if let Some(stage) = stage(v, item) {
                            stages.push(stage);
                        }
                    }
                }
                Some((n, _)) => v.diags.push(Diagnostic::error(
                    n.span,
                    "`stages` must be a non-empty list of `{rate: 50/s, duration: 30s}`",
                )),
                None => v.diags.push(
                    Diagnostic::error(span, "`model: arrival-rate` needs `stages`")
                        .with_help("e.g. `stages: [{rate: 50/s, duration: 30s}]`"),
                ),
            }
            LoadModel::ArrivalRate {
                stages,
                max_sessions: max_sessions.unwrap_or(100).clamp(1, u64::from(u32::MAX)) as u32,
            }
        }
        Some((other, span)) => {
            v.diags.push(
                Diagnostic::error(span, format!("unknown load model `{other}`"))
                    .with_label_opt(suggest::label(other, ["closed", "arrival-rate"]))
                    .with_help("models: closed (default), arrival-rate"),
            );
            LoadModel::Closed
        }
    }
}

fn stage(v: &mut Validator, n: &Node) -> Option<Stage> {
    let mut f = Fields::of(n).or_else(|| {
        v.diags.push(Diagnostic::error(
            n.span,
            "a stage must be a mapping like `{rate: 50/s, duration: 30s}`",
        ));
        None
    })?;
    let rate_node = f.take_some("rate");
    let duration = f.take_some("duration").and_then(|d| v.check().duration(d, "duration"));
    f.finish(v.diags, "a load stage", &["rate", "duration"]);
    let Some(rn) = rate_node else {
        v.diags.push(Diagnostic::error(n.span, "a stage needs `rate`"));
        return None;
    };
    let Some(r) = rate(&rn.key_text()) else {
        v.diags.push(
            Diagnostic::error(rn.span, format!("invalid rate `{}`", rn.key_text()))
                .with_help("write arrivals per time, e.g. `50/s`, `600/m`, or a number per second"),
        );
        return None;
    };
    let Some(duration) = duration else {
        if !f_has_duration(n) {
            v.diags.push(Diagnostic::error(n.span, "a stage needs `duration`"));
        }
        return None;
    };
    Some(Stage { rate: r, duration })
}

fn f_has_duration(n: &Node) -> bool {
    n.get("duration").is_some_and(|d| !d.is_null())
}
