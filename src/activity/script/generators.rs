//! Test-data functions for scripts, the same generators as a feeder's `generate:`: `uuid()`,
//! `random_int(a, b)`, `random_float(a, b)`, `random_string(n)`, `random_pick(list)`, `now()` and
//! `now_ms()`.
//!
//! The random ones are seeded from the run's seed like generated rows: the n-th draw of the run (over
//! all sessions) comes from a generator seeded with the seed and n, so a seeded run draws the same
//! values (in the order sessions happen to ask). `uuid()` is new on every run, as the `uuid`
//! generator is.

use crate::activity::generate::{mix, now_ms, text, uuid_v4};
use rhai::{Array, Dynamic, EvalAltResult};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Registers the functions on `engine`, drawing from `seed`.
pub(super) fn register(engine: &mut rhai::Engine, seed: u64) {
    let draws = Arc::new(AtomicU64::new(0));
    let rng = move || fastrand::Rng::with_seed(mix(seed, draws.fetch_add(1, Relaxed)));
    let next = rng.clone();
    engine.register_fn("random_int", move |a: i64, b: i64| -> Result<i64, Box<EvalAltResult>> {
        if a > b {
            return Err(format!("random_int({a}, {b}): the first bound must not be above the second").into());
        }
        Ok(next().i64(a..=b))
    });
    let next = rng.clone();
    engine.register_fn(
        "random_float",
        move |a: f64, b: f64| -> Result<f64, Box<EvalAltResult>> {
            if !(a < b && (b - a).is_finite()) {
                return Err(format!("random_float({a}, {b}): the first bound must be below the second").into());
            }
            Ok(a + next().f64() * (b - a))
        },
    );
    let next = rng.clone();
    engine.register_fn("random_string", move |len: i64| -> Result<String, Box<EvalAltResult>> {
        match usize::try_from(len) {
            Ok(len @ 1..=4096) => Ok(text(&mut next(), len)),
            _ => Err(format!("random_string({len}): the length must be from 1 to 4096").into()),
        }
    });
    engine.register_fn(
        "random_pick",
        move |items: Array| -> Result<Dynamic, Box<EvalAltResult>> {
            if items.is_empty() {
                return Err("random_pick([]): the list is empty".into());
            }
            Ok(items[rng().usize(..items.len())].clone())
        },
    );
    engine.register_fn("uuid", uuid_v4);
    engine.register_fn("now", || {
        crate::scenario::rfc3339::format_rfc3339(std::time::SystemTime::now())
    });
    engine.register_fn("now_ms", now_ms);
}
