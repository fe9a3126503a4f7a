//! The run's seed: `load.seed`, or one drawn when the run starts.
//!
//! One number seeds everything random in a run: Poisson arrival gaps, a generated feeder's `int`,
//! `float`, `string` and `pick` columns, and RunScript's `random_*` functions. A run without
//! `load.seed` draws one (below 2^53, so it survives YAML and JavaScript's JSON numbers) and reports
//! it, so a run worth repeating can be, with `load.seed` (or `-o load.seed:N`).
//!
//! Under `--shard K/N`: Poisson arrivals mix the seed with K (each shard a process of its own); a
//! generated feeder's rows depend only on the seed and the row's number in the whole run, so the
//! shards together make exactly the rows an unsharded run would; scripts draw from the seed mixed with
//! K, so shards do not draw the same values.

use super::Shard;
use crate::scenario::{ActivityKind, Arrivals, Scenario, SourceMap};

/// The seed a run uses, and whether it drew it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSeed {
    /// The seed.
    pub value: u64,
    /// Drawn for this run (the file has no `load.seed`).
    pub drawn: bool,
}

impl RunSeed {
    /// `load.seed`, or a new one.
    pub fn of(scenario: &Scenario) -> Self {
        match scenario.seed {
            Some(value) => RunSeed { value, drawn: false },
            None => RunSeed {
                value: fastrand::u64(..1 << 53),
                drawn: true,
            },
        }
    }

    /// What RunScript's random functions of `shard` draw from.
    #[cfg_attr(not(feature = "script"), allow(dead_code))]
    pub fn for_scripts(self, shard: Shard) -> u64 {
        crate::activity::generate::mix(self.value, u64::from(shard.index))
    }

    /// `arrivals` with this seed where the file gave none.
    pub fn arrivals(self, arrivals: Arrivals) -> Arrivals {
        match arrivals {
            Arrivals::Poisson { seed: None } => Arrivals::Poisson { seed: Some(self.value) },
            other => other,
        }
    }
}

/// Whether the scenario uses the seed for data: a generated feeder, or a script that may call a random
/// function (its text names one). Only then do the results report it (Poisson arrivals report theirs).
pub fn seeds_data(scenario: &Scenario, sources: &SourceMap) -> bool {
    let scripts = scenario
        .sequences
        .iter()
        .flat_map(|s| &s.activities)
        .any(|a| matches!(a.kind, ActivityKind::Script(_)));
    scenario.feeders.iter().any(|f| f.generate.is_some())
        || (scripts
            && (0..)
                .map_while(|i| sources.get(crate::scenario::FileId(i)))
                .any(|f| f.text.contains("random_")))
}
