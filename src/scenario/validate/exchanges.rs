//! Budgets over exchanges need exchanges: a latency, `error_rate` or `min_rps` threshold on the run, a
//! sequence or a workload measures only the activities that exchange with the service
//! ([`ActivityKind::exchanges`](crate::scenario::ActivityKind::exchanges)); on a subject made only of
//! local activities (`Sleep`, `Feed`, `RunScript`, `$debug()`) it would measure nothing, so the file
//! is refused with the reason instead of failing every run with "never ran".

use super::Validator;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::model::{Metric, ScenarioItem, Sequence, ThresholdSet, Thresholds, Workload};

/// Reports every rule of the run's, a sequence's or a workload's thresholds that has no exchange to
/// measure.
pub(super) fn check(
    v: &mut Validator,
    sequences: &[Sequence],
    items: &[ScenarioItem],
    workloads: &[Workload],
    thresholds: &Thresholds,
) {
    let of = |names: &mut dyn Iterator<Item = &str>| -> Vec<&Sequence> {
        let names: Vec<&str> = names.collect();
        sequences.iter().filter(|s| names.contains(&s.name.as_str())).collect()
    };
    let run: Vec<&Sequence> = of(&mut items
        .iter()
        .chain(workloads.iter().flat_map(|w| &w.items))
        .map(|i| i.sequence.as_str()));
    rules(v, "the run", &run, &thresholds.run);
    for (name, set) in &thresholds.sequences {
        let mine = of(&mut std::iter::once(name.as_str()));
        rules(v, &format!("sequence `{name}`"), &mine, set);
    }
    for (name, set) in &thresholds.workloads {
        let Some(w) = workloads.iter().find(|w| &w.name == name) else {
            continue;
        };
        let mine = of(&mut w.items.iter().map(|i| i.sequence.as_str()));
        rules(v, &format!("workload `{name}`"), &mine, set);
    }
}

/// The rules of `set` (on `what`, made of `sequences`) that need an exchange when there is none.
fn rules(v: &mut Validator, what: &str, sequences: &[&Sequence], set: &ThresholdSet) {
    let activities = || sequences.iter().flat_map(|s| &s.activities);
    if activities().any(|a| a.counted()) {
        return;
    }
    let spans = set
        .rules
        .iter()
        .filter(|r| r.metric != Metric::Errors)
        .map(|r| (r.metric, r.span))
        .chain(set.relative.iter().map(|r| (r.metric, r.span)));
    let mut kinds: Vec<&str> = activities().map(|a| a.type_name()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let made_of = if kinds.is_empty() {
        "no activity".to_string()
    } else {
        format!(
            "only {}",
            kinds.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        )
    };
    let ignored = activities().any(|a| a.kind.exchanges());
    for (metric, span) in spans.collect::<Vec<_>>() {
        let message = format!(
            "`{}` of {what} measures its exchanges with the service, and it has none: it runs {made_of}",
            metric.name()
        );
        let example = sequences
            .first()
            .map_or_else(|| "main/0".to_string(), |s| format!("{}/0", s.name));
        let help = if ignored {
            format!(
                "its requests all have `ignore_timing: true`; remove that, or put the budget on an activity (`thresholds.activities: {{{example}: ...}}`), which measures its own executions"
            )
        } else {
            format!(
                "Sleep, Feed, RunScript and $debug() are local work, not exchanges; put the budget on an activity (`thresholds.activities: {{{example}: {{{}: ...}}}}` measures that activity's own executions), use `errors`, or, for a Rust activity that talks to the service, declare `const EXCHANGES: bool = true`",
                metric.name()
            )
        };
        v.diags.push(Diagnostic::error(span, message).with_help(help));
    }
}
