//! The plan: a scenario flattened for running — activity ids, display names, sequence positions.

use crate::scenario::{Activity, ActivityKind, Scenario, SourceMap};
use std::sync::Arc;

/// What one activity is called in reports and errors.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct ActivityInfo {
    /// The sequence it belongs to.
    pub sequence: String,
    /// 0-based position in the sequence.
    pub index: usize,
    /// `name:` if given, else e.g. `GetRequest(/path)`, `Sleep(0.5s)`.
    pub label: String,
    /// Counted in the run's latency totals and its `error_rate` (false for `ignore_timing`, e.g.
    /// Sleep). Results files written before it existed read as true.
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
}

/// A scenario ready to run.
#[derive(Debug)]
pub struct Plan {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Its files.
    pub sources: Arc<SourceMap>,
    /// Every activity, sequences in file order.
    pub activities: Vec<ActivityInfo>,
    /// Id of the first activity of each sequence.
    pub sequence_offsets: Vec<usize>,
    /// Whether any file mentions `last_result` (only then is it kept in the context).
    pub uses_last_result: bool,
}

impl Plan {
    /// Flattens a scenario.
    pub fn new(scenario: Arc<Scenario>, sources: Arc<SourceMap>) -> Self {
        let mut activities = Vec::new();
        let mut sequence_offsets = Vec::new();
        for seq in &scenario.sequences {
            sequence_offsets.push(activities.len());
            for a in &seq.activities {
                activities.push(ActivityInfo {
                    sequence: seq.name.clone(),
                    index: a.index,
                    label: label(a),
                    timed: !a.common.ignore_timing.unwrap_or(false),
                    tags: a.common.tags.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                });
            }
        }
        let uses_last_result = (0..)
            .map_while(|i| sources.get(crate::scenario::FileId(i)))
            .any(|f| f.text.contains("last_result"));
        Plan {
            scenario,
            sources,
            activities,
            sequence_offsets,
            uses_last_result,
        }
    }

    /// Per activity id: whether it is timed (see [`ActivityInfo::timed`]).
    pub fn timed(&self) -> Vec<bool> {
        self.activities.iter().map(|a| a.timed).collect()
    }

    /// Position of a sequence in `scenario.sequences`.
    pub fn sequence_pos(&self, name: &str) -> Option<usize> {
        self.scenario.sequences.iter().position(|s| s.name == name)
    }

    /// What a scheduled pass runs (an arrival, or one loop of a staged session): the positions of every
    /// scenario item's sequence except `init` and `end`, in order.
    pub fn pass_sequences(&self) -> Arc<[usize]> {
        self.scenario
            .items
            .iter()
            .filter(|i| i.sequence != "init" && i.sequence != "end")
            .filter_map(|i| self.sequence_pos(&i.sequence))
            .collect()
    }

    /// The position of the `init` or `end` sequence, when a scenario item runs it.
    pub fn special_sequence(&self, name: &str) -> Option<usize> {
        (self.scenario.items.iter().any(|i| i.sequence == name))
            .then(|| self.sequence_pos(name))
            .flatten()
    }
}

/// The display name of an activity.
pub fn label(a: &Activity) -> String {
    if let Some(name) = &a.common.name {
        return name.clone();
    }
    match &a.kind {
        ActivityKind::Http(h) if h.activity == "HTTPRequest" => format!("HTTPRequest({} {})", h.method, h.url),
        ActivityKind::Http(h) => format!("{}({})", h.activity, h.url),
        ActivityKind::Poll(p) => format!("PollRequest({})", p.request.url),
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
        ActivityKind::Plugin(p) => p.name.clone(),
    }
}
