//! `abort_on_fail`: thresholds checked while the run goes, which stop it when they fail (k6's
//! `abortOnFail`), so a blown budget does not keep loading the environment.

use super::collect::{SubjectThresholds, collect};
use super::evaluate::evaluate;
use crate::run::{AbortCheck, ActivityInfo, RunReport};
use crate::scenario::Scenario;
use std::time::Duration;

/// The `abort_on_fail` thresholds of a scenario, as a check the runner calls once a second.
#[derive(Debug)]
pub struct AbortWatch {
    /// Each with only its `abort_on_fail` rules, and each rule's delay.
    watched: Vec<SubjectThresholds>,
}

impl AbortWatch {
    /// The watch of `scenario`'s thresholds (`activities` is the plan's list); `None` when no threshold
    /// has `abort_on_fail`.
    pub fn of(scenario: &Scenario, activities: &[ActivityInfo]) -> Option<AbortWatch> {
        let watched: Vec<SubjectThresholds> = collect(scenario, activities)
            .into_iter()
            .filter_map(|mut st| {
                st.set.rules.retain(|r| r.abort_after.is_some());
                st.set.relative.clear();
                (!st.set.rules.is_empty()).then_some(st)
            })
            .collect();
        (!watched.is_empty()).then_some(AbortWatch { watched })
    }
}

impl AbortWatch {
    /// The watch of `scenario`, as the check [`RunOptions::abort`](crate::run::RunOptions::abort) takes;
    /// `None` when no threshold has `abort_on_fail`.
    pub fn check_for(scenario: &Scenario) -> Option<std::sync::Arc<dyn AbortCheck>> {
        let activities = super::trials::activities_of(scenario);
        AbortWatch::of(scenario, &activities).map(|w| std::sync::Arc::new(w) as std::sync::Arc<dyn AbortCheck>)
    }
}

impl AbortCheck for AbortWatch {
    /// The first rule past its delay that was judged and failed. A rule that cannot be judged yet
    /// (nothing ran, not enough samples) does not stop the run; one whose subject has only failed is
    /// judged (it failed).
    fn check(&self, live: &RunReport) -> Option<String> {
        let due: Vec<SubjectThresholds> = self
            .watched
            .iter()
            .filter_map(|st| {
                let mut st = st.clone();
                st.set
                    .rules
                    .retain(|r| r.abort_after.is_some_and(|d: Duration| live.elapsed >= d));
                (!st.set.rules.is_empty()).then_some(st)
            })
            .collect();
        evaluate(&due, live)
            .into_iter()
            .find(|o| !o.passed && (o.measured.is_some() || o.no_successful_samples()) && !o.not_enough_data())
            .map(|o| o.message)
    }
}
