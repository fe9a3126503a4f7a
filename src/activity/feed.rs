//! `Feed`: take a row of a feeder's data into the session's variables, `$(NAME.column)`.
//!
//! One [`FeedState`] per feeder is shared by all sessions of a run: a lock-free counter hands out row
//! numbers. `sequential` wraps around, `random` draws, `unique` hands each row out once. Under
//! `--shard K/N`, a `unique` feeder's shard takes rows K, K+N, K+2N, ... (0-based), so the processes of a
//! sharded run never use a row twice between them; the other orders use every row in every shard.
//! A generated feeder (`generate:`) makes row K + nN on the n-th take the same way, so its `counter`
//! is unique across shards too (see `super::generate`).

use crate::run::Shard;
use crate::scenario::{FeedOrder, Feeder};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A feeder during a run.
#[derive(Debug)]
pub struct FeedState {
    feeder: Feeder,
    shard: Shard,
    /// Rows asked for so far (for `unique`, also past the end).
    asked: AtomicU64,
    /// Sessions that ended because the feeder was used up.
    ended: AtomicU64,
    /// For a generated feeder, what makes its rows.
    maker: Option<super::generate::RowMaker>,
}

/// What a feeder did in a run, for the reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedUse {
    /// The feeder's name.
    pub name: String,
    /// `sequential`, `random`, `unique`, or `generate` for a generated feeder.
    pub order: String,
    /// Rows in the file (0 for a generated feeder).
    pub rows: u64,
    /// Rows handed out (counting repeats for `sequential` and `random`).
    pub taken: u64,
    /// For `unique`: sessions that ended because no row was left (0 otherwise).
    pub sessions_ended: u64,
}

impl FeedUse {
    /// Whether a `unique` feeder ran out.
    pub fn exhausted(&self) -> bool {
        self.sessions_ended > 0
    }
}

impl FeedState {
    /// The state of `feeder` in a run of `shard`; `seed` (the run's) seeds generated rows.
    pub fn new(feeder: Feeder, shard: Shard, seed: u64) -> Self {
        let maker = feeder
            .generate
            .clone()
            .map(|g| super::generate::RowMaker::new(g, seed, &feeder.name));
        FeedState {
            feeder,
            shard,
            asked: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            maker,
        }
    }

    /// The feeder's name.
    pub fn name(&self) -> &str {
        &self.feeder.name
    }

    /// The next row, or `None` when a `unique` feeder has none left (the asking session is counted as
    /// ended by it).
    pub fn take(&self) -> Option<Value> {
        if let Some(maker) = &self.maker {
            let n = self.asked.fetch_add(1, Relaxed);
            return Some(maker.row(u64::from(self.shard.index) + n * u64::from(self.shard.total)));
        }
        let data = &self.feeder.data;
        let len = data.len() as u64;
        let n = self.asked.fetch_add(1, Relaxed);
        let index = match self.feeder.order {
            FeedOrder::Sequential => n % len,
            FeedOrder::Random => fastrand::u64(0..len),
            FeedOrder::Unique => {
                let i = u64::from(self.shard.index) + n * u64::from(self.shard.total);
                if i >= len {
                    self.ended.fetch_add(1, Relaxed);
                    return None;
                }
                i
            }
        };
        data.row(index as usize)
    }

    /// What it did so far.
    pub fn usage(&self) -> FeedUse {
        let asked = self.asked.load(Relaxed);
        let ended = self.ended.load(Relaxed);
        FeedUse {
            name: self.feeder.name.clone(),
            order: match self.maker {
                Some(_) => "generate".to_string(),
                None => self.feeder.order.as_str().to_string(),
            },
            rows: self.feeder.data.len() as u64,
            taken: asked - ended,
            sessions_ended: ended,
        }
    }
}

/// The feeders of a run, by name.
#[derive(Debug, Default)]
pub struct Feeds(Vec<FeedState>);

impl Feeds {
    /// The run's feeders; `seed` (the run's) seeds generated rows.
    pub fn new(feeders: &[Feeder], shard: Shard, seed: u64) -> Self {
        Feeds(feeders.iter().map(|f| FeedState::new(f.clone(), shard, seed)).collect())
    }

    /// The state of a feeder.
    pub fn get(&self, name: &str) -> Option<&FeedState> {
        self.0.iter().find(|f| f.name() == name)
    }

    /// What every feeder did.
    pub fn usage(&self) -> Vec<FeedUse> {
        self.0.iter().map(FeedState::usage).collect()
    }
}
