//! Sharded runs: one of N independent processes, each taking its share of the load, whose JSON
//! results `stressor merge` combines (SPEC §8). Nothing is coordinated between the processes; the
//! split is decided by the shard number alone, so any scheduler that starts N copies (a Kubernetes
//! Indexed Job, a CI matrix) can run them.
//!
//! - Closed model: session *i* of `sessions.count` runs in shard `i mod N` (0-based), with its usual
//!   id (`t01`...), user and ramp-up offset, so the N shards together run exactly the sessions one
//!   process would, on the same ramp.
//! - Arrival-rate model: arrival *k* of the schedule runs in shard `k mod N`, so each shard gets every
//!   N-th arrival of the same schedule; each shard's pool is `ceil(max_sessions / N)` sessions, with
//!   ids numbered so that they differ between shards. Poisson arrivals instead run one Poisson
//!   process of 1/N of the rate per shard, from the seed mixed with the shard number.

use std::fmt;

/// Shard `index` (0-based) of `total`; written `K/N` with K from 1, as `--shard 2/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based.
    pub index: u32,
    /// Number of shards, at least 1.
    pub total: u32,
}

/// A shard that could not be read, from `--shard` or a Kubernetes Indexed Job's environment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not `K/N` with 1 ≤ K ≤ N.
    #[error("invalid shard `{0}`: write K/N with 1 ≤ K ≤ N, e.g. `--shard 2/8`")]
    Invalid(String),
    /// `JOB_COMPLETION_INDEX`/`JOB_COMPLETIONS` do not name a shard.
    #[error(
        "JOB_COMPLETION_INDEX={index} and JOB_COMPLETIONS={total} do not name a shard (index from 0, below the count)"
    )]
    Job {
        /// `JOB_COMPLETION_INDEX` as set.
        index: String,
        /// `JOB_COMPLETIONS` as set.
        total: String,
    },
}

impl Shard {
    /// The whole load, as an unsharded run takes it.
    pub const WHOLE: Shard = Shard { index: 0, total: 1 };

    /// The rows of a `unique` feeder this shard takes: K, K+N, K+2N, ... (0-based).
    pub fn rows(self) -> crate::activity::feed::UniqueRows {
        crate::activity::feed::UniqueRows {
            first: u64::from(self.index),
            stride: u64::from(self.total),
        }
    }

    /// `created.csv` as this shard writes it (`Record`): `created.shard-K-of-N.csv` (K from 1, as
    /// `--shard` counts); the path itself when the run is not sharded.
    pub fn record_path(self, path: &std::path::Path) -> std::path::PathBuf {
        if self.total <= 1 {
            return path.to_path_buf();
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        path.with_file_name(format!("{stem}.shard-{}-of-{}.{ext}", self.index + 1, self.total))
    }

    /// Parses `K/N` (1 ≤ K ≤ N).
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError::Invalid(text.to_string());
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { index: k - 1, total: n })
    }

    /// The shard a Kubernetes Indexed Job gives its pod: `JOB_COMPLETION_INDEX` (0-based) of
    /// `JOB_COMPLETIONS`. `None` unless both are set.
    pub fn from_job_env(index: Option<&str>, completions: Option<&str>) -> Result<Option<Shard>, ShardError> {
        let (Some(index), Some(total)) = (index, completions) else {
            return Ok(None);
        };
        let bad = || ShardError::Job {
            index: index.to_string(),
            total: total.to_string(),
        };
        let (index, total): (u32, u32) = (
            index.trim().parse().map_err(|_| bad())?,
            total.trim().parse().map_err(|_| bad())?,
        );
        if total == 0 || index >= total {
            return Err(bad());
        }
        Ok(Some(Shard { index, total }))
    }

    /// Whether the `i`-th session or arrival (0-based) of the whole run belongs to this shard.
    pub fn owns(&self, i: usize) -> bool {
        i % self.total as usize == self.index as usize
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_and_the_job_environment() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 1, total: 8 }));
        assert_eq!(Shard::parse("1/1").map(|s| s.to_string()), Ok("1/1".into()));
        for bad in ["0/2", "3/2", "2", "a/b", "1/0", ""] {
            let err = Shard::parse(bad).expect_err(bad);
            assert!(err.to_string().contains("write K/N"), "{err}");
        }
        assert_eq!(Shard::from_job_env(None, Some("4")), Ok(None));
        assert_eq!(
            Shard::from_job_env(Some("3"), Some("4")),
            Ok(Some(Shard { index: 3, total: 4 }))
        );
        assert!(Shard::from_job_env(Some("4"), Some("4")).is_err());
    }

    #[test]
    fn shards_partition_the_run() {
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, total: 3 }).collect();
        for i in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1, "item {i}");
        }
    }
}
