//! The plan: a scenario flattened for running — activity ids, display names, sequence positions.
//!
//! With `workloads`, every workload gets its own copy of each sequence it runs (a *slot*, named
//! `workload/sequence`) and of its activities, so that the recorder, the reports and the verdict keep
//! workloads apart without knowing about them. A file without `workloads` has one slot per sequence,
//! named as the sequence.

use crate::scenario::{Activity, ActivityKind, Scenario, SourceMap};
use std::sync::Arc;

/// What one activity is called in reports and errors.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct ActivityInfo {
    /// The sequence slot it belongs to: the sequence's name, or `workload/sequence` in a file with
    /// `workloads`.
    pub sequence: String,
    /// The workload it belongs to, in a file with `workloads`. Absent from JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// 0-based position in the sequence.
    pub index: usize,
    /// `name:` if given, else e.g. `GetRequest(/path)`, `Sleep(0.5s)`.
    pub label: String,
    /// Counted in the run's and its sequence's latency, `error_rate` and rates: an exchange with the
    /// service without `ignore_timing` ([`Activity::counted`]); false for local activities (Sleep,
    /// Feed, RunScript, `$debug()`). Results files written before it existed read as true.
    #[serde(default = "yes")]
    pub timed: bool,
    /// The activity's `tags`, as `key=value`. Absent from JSON when it has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

fn yes() -> bool {
    true
}

impl ActivityInfo {
    /// `sequence/index label`, the path reports show.
    pub fn path(&self) -> String {
        format!("{}/{} {}", self.sequence, self.index, self.label)
    }

    /// Whether it is activity `index` of the scenario's sequence `name`, in whichever workload.
    pub fn is_in(&self, name: &str, index: usize) -> bool {
        self.index == index && slot_is(&self.sequence, self.workload.as_deref(), name)
    }
}

/// Whether a slot name (`sequence` or `workload/sequence`) is a copy of the scenario's sequence `name`.
pub fn slot_is(slot: &str, workload: Option<&str>, name: &str) -> bool {
    match workload {
        None => slot == name,
        Some(w) => slot.strip_prefix(w).and_then(|r| r.strip_prefix('/')) == Some(name),
    }
}

/// The scenario's activity an entry of the plan is a copy of.
pub fn activity_of<'s>(scenario: &'s Scenario, info: &ActivityInfo) -> Option<&'s Activity> {
    scenario
        .sequences
        .iter()
        .find(|s| slot_is(&info.sequence, info.workload.as_deref(), &s.name))
        .and_then(|s| s.activities.get(info.index))
}

/// One workload's copy of a sequence: what the recorder counts passes of, and the reports name.
#[derive(Clone, Debug)]
pub struct SequenceSlot {
    /// The workload (an index into [`Scenario::workload_views`]).
    pub workload: usize,
    /// The sequence (an index into `scenario.sequences`).
    pub sequence: usize,
    /// `sequence`, or `workload/sequence`.
    pub name: String,
    /// The id of its first activity.
    pub offset: usize,
}

/// A scenario ready to run.
#[derive(Debug)]
pub struct Plan {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Its files.
    pub sources: Arc<SourceMap>,
    /// Every activity, slots in order.
    pub activities: Vec<ActivityInfo>,
    /// The sequence slots: workloads in order, each one's sequences in file order.
    pub slots: Vec<SequenceSlot>,
    /// Whether any file mentions `last_result` (only then is it kept in the context).
    pub uses_last_result: bool,
    /// The author's templates among the context's variables, shared by every session.
    pub templates: Arc<crate::expand::Templates>,
}

impl Plan {
    /// Flattens a scenario.
    pub fn new(scenario: Arc<Scenario>, sources: Arc<SourceMap>) -> Self {
        let mut activities = Vec::new();
        let mut slots = Vec::new();
        for (w, view) in scenario.workload_views().iter().enumerate() {
            for (pos, seq) in scenario.sequences.iter().enumerate() {
                // A file without workloads keeps every sequence, run or not (as its reports always did).
                if view.name.is_some() && !view.items.iter().any(|i| i.sequence == seq.name) {
                    continue;
                }
                let name = match view.name {
                    Some(w) => format!("{w}/{}", seq.name),
                    None => seq.name.clone(),
                };
                slots.push(SequenceSlot {
                    workload: w,
                    sequence: pos,
                    name: name.clone(),
                    offset: activities.len(),
                });
                for a in &seq.activities {
                    activities.push(ActivityInfo {
                        sequence: name.clone(),
                        workload: view.name.map(str::to_string),
                        index: a.index,
                        label: label(a),
                        timed: a.counted(),
                        tags: a.common.tags.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                    });
                }
            }
        }
        let uses_last_result = (0..)
            .map_while(|i| sources.get(crate::scenario::FileId(i)))
            .any(|f| f.text.contains("last_result"));
        let templates = Arc::new(scenario.templates());
        Plan {
            scenario,
            sources,
            activities,
            slots,
            uses_last_result,
            templates,
        }
    }

    /// Per activity id: whether it is timed (see [`ActivityInfo::timed`]).
    pub fn timed(&self) -> Vec<bool> {
        self.activities.iter().map(|a| a.timed).collect()
    }

    /// The slot of a workload's copy of a sequence.
    pub fn slot_pos(&self, workload: usize, name: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.workload == workload && self.scenario.sequences[s.sequence].name == name)
    }

    /// The report of a run of this plan with nothing measured yet: the scenario's name, tag and
    /// base URL, the activities and sequences, empty measures of the plan's shape.
    pub fn empty_report(&self) -> super::RunReport {
        let scenario = &self.scenario;
        super::RunReport {
            scenario: scenario.name.clone(),
            tag: scenario.config.tag.clone(),
            base_url: scenario
                .context
                .get("base_url")
                .and_then(|v| v.as_str())
                .map(|u| crate::redact::url_credentials(u).into_owned()),
            activities: self.activities.clone(),
            sequences: self.slot_names(),
            stats: crate::stats::Snapshot::new(self.activities.len(), self.slots.len()),
            ..super::RunReport::default()
        }
    }

    /// The slots' names, in slot order (what reports call the sequences).
    pub fn slot_names(&self) -> Vec<String> {
        self.slots.iter().map(|s| s.name.clone()).collect()
    }

    /// What a scheduled pass of a workload runs (an arrival, or one loop of a staged session): the
    /// slots of every scenario item's sequence except `init` and `end`, in order.
    pub fn pass_sequences(&self, workload: usize) -> Arc<[usize]> {
        self.scenario
            .workload_view(workload)
            .items
            .iter()
            .filter(|i| i.sequence != "init" && i.sequence != "end")
            .filter_map(|i| self.slot_pos(workload, &i.sequence))
            .collect()
    }

    /// The slot of a workload's `init` or `end` sequence, when one of its scenario items runs it.
    pub fn special_sequence(&self, workload: usize, name: &str) -> Option<usize> {
        (self
            .scenario
            .workload_view(workload)
            .items
            .iter()
            .any(|i| i.sequence == name))
        .then(|| self.slot_pos(workload, name))
        .flatten()
    }
}

/// The display name of an activity.
pub fn label(a: &Activity) -> String {
    use crate::redact::url_credentials;
    if let Some(name) = &a.common.name {
        return name.clone();
    }
    match &a.kind {
        // Credentials in a URL are sent as basic auth, never shown.
        ActivityKind::Http(h) if h.activity == "HTTPRequest" => {
            format!("HTTPRequest({} {})", h.method, url_credentials(&h.url))
        }
        ActivityKind::Http(h) => format!("{}({})", h.activity, url_credentials(&h.url)),
        ActivityKind::Poll(p) => format!("PollRequest({})", url_credentials(&p.request.url)),
        ActivityKind::Static(s) => format!("StaticRequests({} URLs)", s.url_list.len()),
        ActivityKind::Sleep(s) => match (&s.duration, &s.duration_2) {
            (crate::scenario::Param::Fixed(d), None) => {
                format!("Sleep({})", crate::scenario::duration::format_duration(*d))
            }
            _ => "Sleep(random)".to_string(),
        },
        ActivityKind::Script(_) => "RunScript".to_string(),
        ActivityKind::Debug => "$debug()".to_string(),
        ActivityKind::Feed(f) => format!("Feed({})", f.feeder),
        ActivityKind::Record(r) => format!("Record({})", r.shown),
        ActivityKind::Plugin(p) => p.name.clone(),
    }
}
