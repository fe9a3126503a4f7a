//! The A/B gate: which metrics of which subjects `stressor ab` judges, each as a `vs_baseline` rule.
//!
//! A/B asks one question, whether the candidate is worse than the baseline, so every judged metric is
//! a relative rule: the run, and every subject the scenario's thresholds name (a sequence, an
//! activity, a tag, a workload), each on every metric `stressor compare` shows
//! ([`COMPARED`]: p50, p95, p99, mean, error rate, throughput). A metric the scenario already has a
//! `vs_baseline` rule for keeps that rule's allowance; the others get the tolerance (5 %, 0.1
//! percentage points for error rates, by default). Absolute limits (`p95: 300ms`) and the
//! error rule are not part of it: on a shared runner they measure the runner, and whether B has more
//! errors than A is the `error_rate` comparison's to say.
//!
//! Why not every activity, as `stressor compare` shows them: each judged metric is one more chance of
//! a false alarm, and a gate over dozens of them would alarm on unchanged code far more often than
//! the 99.5 % intervals suggest. Name an activity in `thresholds.activities` to have it judged.

use super::baseline::{COMPARED, Tolerance};
use super::collect::{Subject, SubjectThresholds};
use crate::scenario::{Change, Metric, RelativeRule, Span, ThresholdSet};

/// The gate of an A/B measurement for a scenario whose thresholds are `thresholds` (see the module
/// documentation): one set per subject, relative rules only, the run's first.
pub fn ab_gate(thresholds: &[SubjectThresholds], tolerance: Tolerance) -> Vec<SubjectThresholds> {
    let mut gate: Vec<SubjectThresholds> = vec![SubjectThresholds {
        subject: Subject::Run,
        set: ThresholdSet::default(),
    }];
    for st in thresholds.iter().filter(|st| st.subject != Subject::Warmup) {
        let i = match gate.iter().position(|g| g.subject == st.subject) {
            Some(i) => i,
            None => {
                gate.push(SubjectThresholds {
                    subject: st.subject.clone(),
                    set: ThresholdSet::default(),
                });
                gate.len() - 1
            }
        };
        let set = &mut gate[i].set;
        set.relative.extend(st.set.relative.iter().cloned());
        set.min_samples = set.min_samples.max(st.set.min_samples);
    }
    for g in &mut gate {
        for metric in COMPARED {
            if !g.set.relative.iter().any(|r| r.metric == metric) {
                g.set.relative.push(RelativeRule {
                    metric,
                    allowed: default_change(metric, tolerance),
                    span: Span::default(),
                });
            }
        }
        // The metrics in `stressor compare`'s order, then the scenario's others (a p90 rule).
        g.set
            .relative
            .sort_by_key(|r| COMPARED.iter().position(|m| *m == r.metric).unwrap_or(COMPARED.len()));
    }
    gate
}

/// The scenario's own thresholds and trials (`thresholds`, `specs` as [`super::trial_specs`] names
/// them) with the A/B gate's added: a set per gate subject holding the gate rules the scenario does
/// not have itself, each with a trial `ab::<subject>::<metric>` before `run` (what the cargo harness
/// judges under `STRESSOR_AB_BASELINE_URL`: the file's own trials, and the A/B ones).
pub fn with_ab_gate(
    mut thresholds: Vec<SubjectThresholds>,
    mut specs: Vec<super::TrialSpec>,
    tolerance: Tolerance,
) -> (Vec<SubjectThresholds>, Vec<super::TrialSpec>) {
    let own = |subject: &Subject, metric: Metric| {
        thresholds
            .iter()
            .any(|st| &st.subject == subject && st.set.relative.iter().any(|r| r.metric == metric))
    };
    let added: Vec<SubjectThresholds> = ab_gate(&thresholds, tolerance)
        .into_iter()
        .map(|mut g| {
            g.set.relative.retain(|r| !own(&g.subject, r.metric));
            g
        })
        .filter(|g| !g.set.relative.is_empty())
        .collect();
    let mut next = thresholds.iter().map(|st| st.set.relative.len()).sum::<usize>();
    let at = specs
        .iter()
        .position(|s| s.kind == super::TrialKind::Run)
        .unwrap_or(specs.len());
    let mut extra = Vec::new();
    for g in &added {
        for r in &g.set.relative {
            extra.push(super::TrialSpec {
                name: format!(
                    "ab::{}::{}",
                    super::trials::subject_name(&g.subject),
                    super::metric_name(r.metric)
                ),
                kind: super::TrialKind::Relative(next),
            });
            next += 1;
        }
    }
    specs.splice(at..at, extra);
    thresholds.extend(added);
    (thresholds, specs)
}

/// The allowance of a metric without a rule of its own: the tolerance.
fn default_change(metric: Metric, tolerance: Tolerance) -> Change {
    match metric {
        Metric::ErrorRate => Change::Points(tolerance.error_points),
        _ => Change::Relative(tolerance.relative),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_and_each_threshold_subject_on_every_compared_metric() {
        let own = RelativeRule {
            metric: Metric::Percentile(95.0),
            allowed: Change::Relative(0.2),
            span: Span::default(),
        };
        let p90 = RelativeRule {
            metric: Metric::Percentile(90.0),
            ..own.clone()
        };
        let login = Subject::Activity {
            selector: "login".into(),
            ids: vec![1],
        };
        let thresholds = vec![
            SubjectThresholds {
                subject: login.clone(),
                set: ThresholdSet {
                    relative: vec![own, p90],
                    ..ThresholdSet::default()
                },
            },
            SubjectThresholds {
                subject: Subject::Warmup,
                set: ThresholdSet::default(),
            },
        ];
        let gate = ab_gate(&thresholds, Tolerance::DEFAULT);
        let subjects: Vec<&Subject> = gate.iter().map(|g| &g.subject).collect();
        assert_eq!(subjects, [&Subject::Run, &login]);
        let rules: Vec<(String, Change)> = gate[1]
            .set
            .relative
            .iter()
            .map(|r| (super::super::metric_name(r.metric), r.allowed))
            .collect();
        assert_eq!(
            rules,
            [
                ("p50".to_string(), Change::Relative(0.05)),
                ("p95".to_string(), Change::Relative(0.2)),
                ("p99".to_string(), Change::Relative(0.05)),
                ("mean".to_string(), Change::Relative(0.05)),
                ("error_rate".to_string(), Change::Points(0.001)),
                ("min_rps".to_string(), Change::Relative(0.05)),
                ("p90".to_string(), Change::Relative(0.2)),
            ]
        );
        assert!(gate.iter().all(|g| g.set.rules.is_empty()), "relative rules only");
    }
}
