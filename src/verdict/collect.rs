//! Flattening a scenario's thresholds into a serializable list of (subject, limits).

use crate::run::ActivityInfo;
use crate::scenario::{Scenario, ThresholdSet};
use serde::{Deserialize, Serialize};

/// What a set of thresholds is about.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// The whole run (the top-level `thresholds` keys).
    #[default]
    Run,
    /// A sequence, by name (`thresholds.sequences`).
    Sequence(String),
    /// One or more activities: `selector` as written (a `name:` or `sequence/index`) and the plan's
    /// activity ids it matched. A name shared by several activities matches all of them, and their
    /// measures are merged.
    Activity {
        /// The `name:` or `sequence/index` the thresholds were written for.
        selector: String,
        /// The plan's activity ids (indexes into `RunReport::activities`).
        ids: Vec<usize>,
    },
    /// The activities carrying a tag (`thresholds.tags`), measured together like an activity selector.
    Tag {
        /// `key=value`.
        tag: String,
        /// The plan's activity ids with that tag.
        ids: Vec<usize>,
    },
    /// One entry of `workloads` (its `thresholds`): measured like the run, over its activities only.
    Workload {
        /// The workload's name.
        name: String,
        /// The plan's activity ids of the workload.
        ids: Vec<usize>,
    },
    /// The warm-up (`thresholds.warmup`'s own error budget): measured like the run, over what finished
    /// during the warm-up.
    Warmup,
}

impl Subject {
    /// The activity ids of an activity selector or a tag (measured by merging their activities);
    /// `None` for the run and a sequence.
    pub fn ids(&self) -> Option<&[usize]> {
        match self {
            Subject::Activity { ids, .. } | Subject::Tag { ids, .. } => Some(ids),
            Subject::Run | Subject::Sequence(_) | Subject::Workload { .. } | Subject::Warmup => None,
        }
    }

    /// How messages and tables name the subject: `the run`, `sequence main`, `main/0 GetRequest(/x)`
    /// (the activity's path), or `login (2 activities: main/0, end/1)` for a name shared by several.
    pub fn label(&self, activities: &[ActivityInfo]) -> String {
        match self {
            Subject::Run => "the run".to_string(),
            Subject::Sequence(name) => format!("sequence {name}"),
            Subject::Tag { tag, ids } => format!("tag {tag} ({} activities)", ids.len()),
            Subject::Workload { name, .. } => format!("workload {name}"),
            Subject::Warmup => "the warm-up".to_string(),
            Subject::Activity { selector, ids } => match ids.as_slice() {
                [id] => activities.get(*id).map_or_else(|| selector.clone(), ActivityInfo::path),
                [] => selector.clone(),
                many => {
                    let paths: Vec<String> = many
                        .iter()
                        .map(|id| {
                            activities
                                .get(*id)
                                .map_or_else(|| format!("#{id}"), |a| format!("{}/{}", a.sequence, a.index))
                        })
                        .collect();
                    format!("{selector} ({} activities: {})", many.len(), paths.join(", "))
                }
            },
        }
    }
}

/// The limits on one subject.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectThresholds {
    /// What is measured.
    pub subject: Subject,
    /// The limits and `min_samples`.
    pub set: ThresholdSet,
}

/// Every threshold of a scenario, in a stable order: the run's, then `thresholds.sequences`, then
/// `thresholds.activities`, then `thresholds.tags` (each in file order), then each workload's, then the
/// inline `thresholds:` of activities in plan order. Sets without any limit are left out. `activities`
/// is the plan's activity list (`RunReport::activities`): selectors are resolved to its ids.
///
/// In a file with `workloads`, a sequence's limits apply to each workload's copy of it (one subject per
/// copy, `workload/sequence`), and so do an activity's inline limits; a selector in
/// `thresholds.activities` measures the activity's copies together.
pub fn collect(scenario: &Scenario, activities: &[ActivityInfo]) -> Vec<SubjectThresholds> {
    let t = &scenario.thresholds;
    let mut out = Vec::new();
    let mut push = |subject: Subject, set: &ThresholdSet| {
        if !set.is_empty() {
            out.push(SubjectThresholds {
                subject,
                set: set.clone(),
            });
        }
    };
    push(Subject::Run, &t.run);
    if let Some(w) = &t.warmup {
        push(Subject::Warmup, &w.budget);
    }
    for (name, set) in &t.sequences {
        let mut copies: Vec<&str> = activities
            .iter()
            .filter(|a| a.workload.is_some() && crate::run::slot_is(&a.sequence, a.workload.as_deref(), name))
            .map(|a| a.sequence.as_str())
            .collect();
        copies.dedup();
        if copies.is_empty() {
            push(Subject::Sequence(name.clone()), set);
        }
        for copy in copies {
            push(Subject::Sequence(copy.to_string()), set);
        }
    }
    for (selector, set) in &t.activities {
        let ids = resolve(scenario, activities, selector);
        push(
            Subject::Activity {
                selector: selector.clone(),
                ids,
            },
            set,
        );
    }
    for (tag, set) in &t.tags {
        let ids = activities
            .iter()
            .enumerate()
            .filter(|(_, a)| a.tags.contains(tag))
            .map(|(id, _)| id)
            .collect();
        push(Subject::Tag { tag: tag.clone(), ids }, set);
    }
    for (name, set) in &t.workloads {
        let ids = activities
            .iter()
            .enumerate()
            .filter(|(_, a)| a.workload.as_deref() == Some(name))
            .map(|(id, _)| id)
            .collect();
        push(
            Subject::Workload {
                name: name.clone(),
                ids,
            },
            set,
        );
    }
    for (id, info) in activities.iter().enumerate() {
        let inline = crate::run::activity_of(scenario, info).and_then(|a| a.common.thresholds.as_ref());
        if let Some(set) = inline {
            push(
                Subject::Activity {
                    selector: format!("{}/{}", info.sequence, info.index),
                    ids: vec![id],
                },
                set,
            );
        }
    }
    out
}

/// The ids of the activities a selector names: by `sequence/index`, or every activity whose `name:` it
/// is.
fn resolve(scenario: &Scenario, activities: &[ActivityInfo], selector: &str) -> Vec<usize> {
    let mut ids: Vec<usize> = scenario
        .sequences
        .iter()
        .flat_map(|s| s.activities.iter().map(move |a| (s, a)))
        .filter(|(s, a)| a.common.name.as_deref() == Some(selector) || format!("{}/{}", s.name, a.index) == selector)
        .flat_map(|(s, a)| ids_of(activities, &s.name, a.index))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The plan's ids of activity `index` of sequence `sequence`: one, or one per workload that runs it.
fn ids_of<'a>(activities: &'a [ActivityInfo], sequence: &'a str, index: usize) -> impl Iterator<Item = usize> + 'a {
    activities
        .iter()
        .enumerate()
        .filter(move |(_, a)| a.is_in(sequence, index))
        .map(|(id, _)| id)
}
