//! The `load` section: the closed model, or an arrival-rate schedule.

use super::Validator;
use super::reader::Fields;
use super::thresholds::rate;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::model::{Arrivals, LoadModel, Stage};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::suggest;

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
            if let Some(n) = stages_node {
                v.diags.push(
                    Diagnostic::error(n.span, "`stages` needs `model: arrival-rate`")
                        .with_help("the closed model runs `sessions.count` users; stages set arrival rates"),
                );
            }
            for n in [arrivals_node, seed_node].into_iter().flatten() {
                v.diags.push(
                    Diagnostic::error(n.span, "`arrivals` and `seed` need `model: arrival-rate`")
                        .with_help("the closed model starts no arrivals: its sessions loop over the scenario"),
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

/// `arrivals: constant | poisson` and its `seed`.
fn arrivals(v: &mut Validator, node: Option<&Node>, seed_node: Option<&Node>) -> Arrivals {
    const KINDS: [&str; 2] = ["constant", "poisson"];
    let kind = node.and_then(|n| Some((v.check().text(n, "arrivals")?, n.span)));
    let seed = seed_node.and_then(|n| v.check().count(n, "seed"));
    match kind.as_ref().map(|(k, s)| (k.as_str(), *s)) {
        Some(("poisson", _)) => Arrivals::Poisson { seed },
        None | Some(("constant", _)) => {
            if let Some(n) = seed_node {
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
