//! The `workloads` section: several workloads in one file, each with its own sequences, load, start and
//! thresholds.
//!
//! A workload either has a load of its own (`load`, or a closed model's `sessions.count`) or takes a
//! share of the file's top-level `load`/`sessions` by `weight` (default 1), as Locust's user-class
//! weights do. Shares are resolved here, once, so the runner sees every workload with a concrete load:
//! a session count or a closed stage's target is split by largest remainder (so the shares add up to
//! the file's number), an arrival rate in proportion, `max_sessions` in proportion rounded up.

use super::reader::Fields;
use super::{Validator, sections, thresholds};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::model::{LoadModel, ScenarioItem, SessionStage, Sessions, ThresholdSet, Workload};
use crate::scenario::node::{Node, NodeKind};
use std::time::Duration;

const KEYS: &[&str] = &[
    "name",
    "scenario",
    "sessions",
    "load",
    "weight",
    "start_after",
    "max_sessions",
    "thresholds",
];

/// What the file's top level gives the workloads to share.
pub(super) struct Shared<'a> {
    /// The top-level `sessions` (every workload starts from it).
    pub sessions: &'a Sessions,
    /// The top-level `load`.
    pub load: &'a LoadModel,
    /// The sequence names, for the workloads' `scenario` items.
    pub names: &'a [&'a str],
}

/// The `workloads` list: the workloads, with their loads resolved, and each one's `thresholds`.
pub(super) fn section(
    v: &mut Validator,
    node: &Node,
    shared: &Shared<'_>,
) -> (Vec<Workload>, Vec<(String, ThresholdSet)>) {
    let NodeKind::Seq(list) = &node.kind else {
        v.diags.push(
            Diagnostic::error(
                node.span,
                format!("`workloads` must be a list of workloads, found {}", node.type_name()),
            )
            .with_help("e.g. `workloads:` then `  - {name: browse, weight: 3, scenario: [{sequence: main}]}`"),
        );
        return Default::default();
    };
    if list.is_empty() {
        v.diags.push(Diagnostic::error(
            node.span,
            "`workloads` is empty: no session would do anything",
        ));
    }
    let mut workloads = Vec::new();
    let mut thresholds = Vec::new();
    // Per workload: its weight when it takes a share of the file's load.
    let mut weights: Vec<Option<f64>> = Vec::new();
    let mut caps: Vec<Option<u32>> = Vec::new();
    for entry in list {
        if let Some((w, max_sessions, set)) = workload(v, entry, shared) {
            if workloads.iter().any(|o: &Workload| o.name == w.name) {
                v.diags.push(
                    Diagnostic::error(
                        entry.get("name").map_or(entry.span, |n| n.span),
                        format!("a second workload named `{}`", w.name),
                    )
                    .with_help("workload names keep their results apart: give each workload its own"),
                );
                continue;
            }
            if !set.is_empty() {
                thresholds.push((w.name.clone(), set));
            }
            weights.push(w.weight);
            caps.push(max_sessions);
            workloads.push(w);
        }
    }
    share_out(v, shared, &mut workloads, &weights);
    for (w, max) in workloads.iter_mut().zip(caps) {
        if let Some(max) = max {
            cap(w, max);
        }
    }
    (workloads, thresholds)
}

/// One entry (its load still the file's when it has a weight); its `max_sessions`; its thresholds.
fn workload(v: &mut Validator, entry: &Node, shared: &Shared<'_>) -> Option<(Workload, Option<u32>, ThresholdSet)> {
    let Some(mut f) = Fields::of(entry) else {
        v.diags.push(Diagnostic::error(
            entry.span,
            format!(
                "a workload must be a mapping like `{{name: browse, scenario: [{{sequence: main}}]}}`, found {}",
                entry.type_name()
            ),
        ));
        return None;
    };
    let name = match f.take_some("name") {
        Some(n) => {
            let name = v.check().text(n, "name")?;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
                v.diags.push(
                    Diagnostic::error(n.span, format!("workload name `{name}` is not a plain name")).with_help(
                        "use letters, digits, `_`, `-` and `.`: the name prefixes sequence paths and session ids",
                    ),
                );
                return None;
            }
            name
        }
        None => {
            v.diags.push(
                Diagnostic::error(entry.span, "a workload needs a `name`")
                    .with_help("e.g. `name: browse`; reports and thresholds refer to the workload by it"),
            );
            return None;
        }
    };
    let items = match f.take("scenario") {
        Some(n) => sections::scenario_items(v, n, shared.names),
        None => {
            v.diags.push(
                Diagnostic::error(entry.span, format!("workload `{name}` needs a `scenario` list"))
                    .with_help("e.g. `scenario: [{sequence: main}]`: the sequences its sessions run"),
            );
            Vec::new()
        }
    };
    sections::warn_init_end_positions(v, &items);
    let sessions_node = f.take_some("sessions");
    let sessions = match sessions_node {
        Some(n) => sections::sessions_over(v, n, shared.sessions),
        None => shared.sessions.clone(),
    };
    let own_count = sessions_node.and_then(|n| n.entry("count")).map(|(k, _)| k.span);
    let load_node = f.take_some("load");
    let own_load = load_node.map(|n| super::load::load(v, n));
    let weight_node = f.take_some("weight");
    let weight = weight_node.and_then(|n| weight(v, n));
    let start_after = f
        .take_some("start_after")
        .and_then(|n| v.check().duration(n, "start_after"))
        .unwrap_or(Duration::ZERO);
    let max_sessions = f.take_some("max_sessions").and_then(|n| {
        let max = v.check().count(n, "max_sessions")?;
        if max == 0 {
            v.diags
                .push(Diagnostic::error(n.span, "`max_sessions` must be at least 1"));
            return None;
        }
        Some(u32::try_from(max).unwrap_or(u32::MAX))
    });
    let set = f
        .take_some("thresholds")
        .map(|n| thresholds::set(v, n, false))
        .unwrap_or_default();
    f.finish(v.diags, "a workload", KEYS);

    let own = own_load.is_some() || own_count.is_some();
    if own && let Some(n) = weight_node {
        v.diags.push(
            Diagnostic::error(n.span, format!("workload `{name}` has a load of its own and a `weight`"))
                .with_help("`weight` shares the file's top-level `load`/`sessions.count`; a workload with its own `load` or `sessions.count` takes no share: remove one"),
        );
    }
    let load = match own_load {
        Some(load) => load,
        // Its own session count: the closed model, or the file's closed stages would ignore it.
        None if own_count.is_some() => LoadModel::Closed,
        None => shared.load.clone(),
    };
    if let (Some(span), LoadModel::ClosedStages { .. }) = (own_count, &load) {
        v.diags.warning(span, "`sessions.count` is not used with `load.stages`");
    }
    let w = Workload {
        name,
        items,
        sessions,
        load,
        weight: (!own).then_some(weight.unwrap_or(1.0)),
        start_after,
        span: entry.span,
    };
    Some((w, max_sessions, set))
}

/// `weight`: a positive number.
fn weight(v: &mut Validator, n: &Node) -> Option<f64> {
    let w = match n.kind {
        NodeKind::Int(i) => i as f64,
        NodeKind::Float(f) => f,
        _ => f64::NAN,
    };
    if w.is_finite() && w > 0.0 {
        Some(w)
    } else {
        v.diags.push(
            Diagnostic::error(
                n.span,
                format!("`weight` must be a positive number, found `{}`", n.key_text()),
            )
            .with_help(
                "weights are relative: `weight: 3` beside `weight: 1` gives that workload three quarters of the load",
            ),
        );
        None
    }
}

/// `max_sessions`: the most sessions the workload has at once, whatever its model.
fn cap(w: &mut Workload, max: u32) {
    match &mut w.load {
        LoadModel::Closed => w.sessions.count = w.sessions.count.min(max),
        LoadModel::ClosedStages { stages } => {
            for s in stages {
                s.sessions = s.sessions.min(max);
            }
        }
        LoadModel::ArrivalRate { max_sessions, .. } => *max_sessions = max,
    }
}

/// Gives each weighted workload its share of the file's load (its `load` and `sessions.count` are the
/// file's until here). A workload whose share of a session count is zero is an error: it would run
/// nothing.
fn share_out(v: &mut Validator, shared: &Shared<'_>, workloads: &mut [Workload], weights: &[Option<f64>]) {
    let total: f64 = weights.iter().flatten().sum();
    if total <= 0.0 {
        return;
    }
    let weighted: Vec<usize> = (0..workloads.len()).filter(|&i| weights[i].is_some()).collect();
    let fractions: Vec<f64> = weighted.iter().map(|&i| weights[i].unwrap_or(0.0) / total).collect();
    match shared.load {
        LoadModel::Closed => {
            let counts = largest_remainder(shared.sessions.count, &fractions);
            for (&i, &count) in weighted.iter().zip(&counts) {
                let w = &mut workloads[i];
                if count == 0 {
                    v.diags.push(
                        Diagnostic::error(
                            w.span,
                            format!(
                                "workload `{}` gets no session: its weight's share of `sessions.count: {}` rounds to 0",
                                w.name, shared.sessions.count
                            ),
                        )
                        .with_help(
                            "raise the top-level `sessions.count`, or give the workload a `sessions.count` of its own",
                        ),
                    );
                }
                w.sessions.count = count;
            }
        }
        LoadModel::ClosedStages { stages } => {
            let per_stage: Vec<Vec<u32>> = stages
                .iter()
                .map(|s| largest_remainder(s.sessions, &fractions))
                .collect();
            for (k, &i) in weighted.iter().enumerate() {
                workloads[i].load = LoadModel::ClosedStages {
                    stages: stages
                        .iter()
                        .zip(&per_stage)
                        .map(|(s, shares)| SessionStage {
                            sessions: shares[k],
                            duration: s.duration,
                        })
                        .collect(),
                };
            }
        }
        LoadModel::ArrivalRate {
            stages,
            max_sessions,
            arrivals,
        } => {
            for (&i, &fraction) in weighted.iter().zip(&fractions) {
                workloads[i].load = LoadModel::arrival_share(stages, *max_sessions, *arrivals, fraction);
            }
        }
    }
}

/// `total` split by `fractions` (which add up to 1) into whole numbers that add up to `total`: each gets
/// its floor, and the remainders go to the largest fractional parts (ties to the earlier workload).
pub(crate) fn largest_remainder(total: u32, fractions: &[f64]) -> Vec<u32> {
    let exact: Vec<f64> = fractions.iter().map(|f| f64::from(total) * f).collect();
    let mut shares: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let given: u32 = shares.iter().sum();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(total.saturating_sub(given) as usize) {
        shares[i] += 1;
    }
    shares
}

/// Sequence names the workloads' items run, for the "defined but not run" warning.
pub(super) fn runs(workloads: &[Workload], items: &[ScenarioItem], name: &str) -> bool {
    items
        .iter()
        .chain(workloads.iter().flat_map(|w| &w.items))
        .any(|i| i.sequence == name)
}

#[cfg(test)]
mod tests {
    use super::largest_remainder;

    #[test]
    fn shares_add_up_to_the_total() {
        assert_eq!(largest_remainder(8, &[0.75, 0.25]), [6, 2]);
        assert_eq!(largest_remainder(10, &[1.0 / 3.0; 3]), [4, 3, 3]);
        assert_eq!(largest_remainder(1, &[0.5, 0.5]), [1, 0]);
        assert_eq!(largest_remainder(7, &[0.6, 0.4]), [4, 3]);
    }
}
