//! The `load` section: the closed model, or an arrival-rate schedule.

use super::Validator;
use super::reader::Fields;
use super::thresholds::rate;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::model::{Arrivals, LoadModel, SessionStage, Stage};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::suggest;
use std::time::Duration;

/// The `load` section.
pub(super) fn load(v: &mut Validator, node: &Node) -> LoadModel {
    const KEYS: &[&str] = &["model", "stages", "max_sessions", "arrivals", "seed"];
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
    let arrivals_node = f.take_some("arrivals");
    let seed_node = f.take_some("seed");
    f.finish(v.diags, "`load`", KEYS);
    match model.as_ref().map(|(m, s)| (m.as_str(), *s)) {
        None | Some(("closed", _)) => {
            // A seed also seeds generated feeders, in any model.
            let seed_used = v.generated_feeders;
            for n in [arrivals_node, seed_node.filter(|_| !seed_used)].into_iter().flatten() {
                v.diags.push(
                    Diagnostic::error(n.span, "`arrivals` and `seed` need `model: arrival-rate`")
                        .with_help("the closed model starts no arrivals: its sessions loop over the scenario (a `seed` also seeds generated feeders, and there is none)"),
                );
            }
            match stages_node {
                None => LoadModel::Closed,
                Some(n) => LoadModel::ClosedStages {
                    stages: stage_list(v, n, "{sessions: 50, duration: 1m}", session_stage),
                },
            }
        }
        Some(("arrival-rate", span)) => {
            let stages = match stages_node {
                Some(n) => stage_list(v, n, "{rate: 50/s, duration: 30s}", stage),
                None => {
                    v.diags.push(
                        Diagnostic::error(span, "`model: arrival-rate` needs `stages`")
                            .with_help("e.g. `stages: [{rate: 50/s, duration: 30s}]`"),
                    );
                    Vec::new()
                }
            };
            LoadModel::ArrivalRate {
                stages,
                max_sessions: max_sessions.unwrap_or(100).clamp(1, u64::from(u32::MAX)) as u32,
                arrivals: arrivals(v, arrivals_node, seed_node),
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

/// The run's seed: `load.seed` of the top-level `load` (for Poisson arrivals and generated feeders);
/// [`load`] has reported a seed that is not a count.
pub(super) fn seed(node: Option<&Node>) -> Option<u64> {
    match node?.get("seed")?.kind {
        crate::scenario::NodeKind::Int(seed) => u64::try_from(seed).ok(),
        _ => None,
    }
}

/// With closed-model stages, `sessions.count`, `duration` and `ramp_up_delay` do nothing: say so where
/// they are set.
pub(super) fn warn_unused_sessions_keys(v: &mut Validator, sessions: Option<&Node>) {
    for key in ["count", "duration", "ramp_up_delay"] {
        if let Some((k, _)) = sessions.and_then(|n| n.entry(key)) {
            v.diags.push(
                Diagnostic::warning(k.span, format!("`sessions.{key}` is not used with `load.stages`"))
                    .with_help("the stages set how many sessions run and for how long"),
            );
        }
    }
}

/// `arrivals: constant | poisson` and its `seed`.
fn arrivals(v: &mut Validator, node: Option<&Node>, seed_node: Option<&Node>) -> Arrivals {
    const KINDS: [&str; 2] = ["constant", "poisson"];
    let kind = node.and_then(|n| Some((v.check().text(n, "arrivals")?, n.span)));
    let seed = seed_node.and_then(|n| v.check().count(n, "seed"));
    match kind.as_ref().map(|(k, s)| (k.as_str(), *s)) {
        Some(("poisson", _)) => Arrivals::Poisson { seed },
        None | Some(("constant", _)) => {
            if let Some(n) = seed_node.filter(|_| !v.generated_feeders) {
                v.diags.push(
                    Diagnostic::warning(n.span, "`seed` has no effect with constant arrivals")
                        .with_help("constant arrivals are evenly spaced; `arrivals: poisson` draws random gaps"),
                );
            }
            Arrivals::Constant
        }
        Some((other, span)) => {
            v.diags.push(
                Diagnostic::error(span, format!("unknown arrivals `{other}`"))
                    .with_label_opt(suggest::label(other, KINDS))
                    .with_help("arrivals: constant (default, evenly spaced), poisson (exponential gaps)"),
            );
            Arrivals::Constant
        }
    }
}

/// A non-empty list of stages, each read by `read`; `example` shows one in the error.
fn stage_list<T>(
    v: &mut Validator,
    node: &Node,
    example: &str,
    read: fn(&mut Validator, &Node) -> Option<T>,
) -> Vec<T> {
    match &node.kind {
        NodeKind::Seq(items) if !items.is_empty() => items.iter().filter_map(|item| read(v, item)).collect(),
        _ => {
            v.diags.push(Diagnostic::error(
                node.span,
                format!("`stages` must be a non-empty list of `{example}`"),
            ));
            Vec::new()
        }
    }
}

/// A closed-model stage: `{sessions: 50, duration: 1m}`.
fn session_stage(v: &mut Validator, n: &Node) -> Option<SessionStage> {
    let (mut f, duration) = stage_fields(v, n, "{sessions: 50, duration: 1m}")?;
    let sessions_node = f.take_some("sessions");
    if let Some((key, _)) = f.take_entry("rate") {
        v.diags.push(
            Diagnostic::error(key.span, "`rate` needs `model: arrival-rate`")
                .with_help("a closed-model stage sets a number of sessions: `{sessions: 50, duration: 1m}`"),
        );
    }
    f.finish(v.diags, "a closed-model stage", &["sessions", "duration"]);
    let Some(sn) = sessions_node else {
        v.diags.push(Diagnostic::error(n.span, "a stage needs `sessions`"));
        return None;
    };
    let sessions = v.check().count(sn, "sessions")?;
    let Ok(sessions) = u32::try_from(sessions) else {
        v.diags.push(Diagnostic::error(
            sn.span,
            format!("`sessions` is too large: {sessions}"),
        ));
        return None;
    };
    let duration = required_duration(v, n, duration)?;
    Some(SessionStage { sessions, duration })
}

fn stage(v: &mut Validator, n: &Node) -> Option<Stage> {
    let (mut f, duration) = stage_fields(v, n, "{rate: 50/s, duration: 30s}")?;
    let rate_node = f.take_some("rate");
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
    let duration = required_duration(v, n, duration)?;
    Some(Stage { rate: r, duration })
}

/// A stage's fields, its `duration` taken (read when valid); an error unless `n` is a mapping, which
/// `example` shows.
fn stage_fields<'n>(v: &mut Validator, n: &'n Node, example: &str) -> Option<(Fields<'n>, Option<Duration>)> {
    let Some(mut f) = Fields::of(n) else {
        v.diags.push(Diagnostic::error(
            n.span,
            format!("a stage must be a mapping like `{example}`"),
        ));
        return None;
    };
    let duration = f.take_some("duration").and_then(|d| v.check().duration(d, "duration"));
    Some((f, duration))
}

/// The stage's duration, or an error that it has none (an invalid one was reported when read).
fn required_duration(v: &mut Validator, n: &Node, duration: Option<Duration>) -> Option<Duration> {
    if duration.is_none() && n.get("duration").is_none_or(|d| d.is_null()) {
        v.diags.push(Diagnostic::error(n.span, "a stage needs `duration`"));
    }
    duration
}
