//! Making generated test data: the rows of a feeder's `generate:` and RunScript's generator functions.
//!
//! Seeded values (`int`, `float`, `string`, `pick`) are a pure function of the run's seed, the feeder
//! and the row's number: row *n* draws from a generator seeded with a mix of the three. So a seed gives
//! the same rows whatever order the sessions ask in, and shard K of N, which makes rows K, K+N, K+2N,
//! ... of the whole run (as `counter` and `order: unique` do), makes exactly the rows an unsharded run
//! would. `uuid` is random on every run, seed or not: a re-run must not create ids an earlier run
//! created. `now` and `now_ms` read the clock.

use crate::scenario::generate::{Generated, Generator};
use serde_json::{Map, Number, Value};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The rows of one generated feeder.
#[derive(Debug)]
pub struct RowMaker {
    generated: Arc<Generated>,
    /// The run's seed mixed with the feeder's name, so two feeders draw different values.
    seed: u64,
}

impl RowMaker {
    /// The maker of `feeder`'s rows from the run's `seed`.
    pub fn new(generated: Arc<Generated>, seed: u64, feeder: &str) -> Self {
        let name = feeder.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        RowMaker {
            generated,
            seed: mix(seed, name),
        }
    }

    /// Row `n` of the run (counting every shard's rows), as a mapping of its columns.
    pub fn row(&self, n: u64) -> Value {
        let mut rng = fastrand::Rng::with_seed(mix(self.seed, n));
        let mut row = Map::with_capacity(self.generated.columns.len());
        for (name, generator) in &self.generated.columns {
            row.insert(name.clone(), value(generator, n, &mut rng));
        }
        Value::Object(row)
    }
}

/// The value of one column of row `n`.
fn value(generator: &Generator, n: u64, rng: &mut fastrand::Rng) -> Value {
    match generator {
        Generator::Uuid => Value::String(uuid_v4()),
        Generator::Counter { start } => Value::from(start.saturating_add(i64::try_from(n).unwrap_or(i64::MAX))),
        Generator::Int { min, max } => Value::from(rng.i64(*min..=*max)),
        Generator::Float { min, max } => float(min + rng.f64() * (max - min)),
        Generator::Text { len } => Value::String(text(rng, *len)),
        Generator::Pick(items) => items[rng.usize(..items.len())].clone(),
        Generator::Now => Value::String(crate::scenario::rfc3339::format_rfc3339(SystemTime::now())),
        Generator::NowMs => Value::from(now_ms()),
    }
}

/// A JSON number (finite by construction; `null` otherwise).
pub fn float(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// `len` random letters and digits.
pub fn text(rng: &mut fastrand::Rng, len: usize) -> String {
    std::iter::repeat_with(|| rng.alphanumeric()).take(len).collect()
}

/// A random (version 4) UUID, lower-case and hyphenated, from the thread's unseeded generator.
pub fn uuid_v4() -> String {
    let bytes = fastrand::u128(..).to_le_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// `seed` and `n` mixed into one well-spread 64-bit seed (SplitMix64's finaliser over both).
pub fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed
        ^ n.wrapping_add(0x9E37_79B9_7F4A_7C15)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn maker(seed: u64) -> RowMaker {
        let generated = Generated {
            columns: vec![
                ("id".into(), Generator::Uuid),
                ("n".into(), Generator::Counter { start: 1 }),
                ("qty".into(), Generator::Int { min: 1, max: 10 }),
                ("price".into(), Generator::Float { min: 0.5, max: 99.9 }),
                ("code".into(), Generator::Text { len: 12 }),
                (
                    "colour".into(),
                    Generator::Pick(vec![json!("red"), json!("green"), json!("blue")]),
                ),
                ("at".into(), Generator::Now),
                ("at_ms".into(), Generator::NowMs),
            ],
        };
        RowMaker::new(Arc::new(generated), seed, "order")
    }

    #[test]
    fn rows_have_every_column_in_range() {
        let m = maker(42);
        for n in 0..500 {
            let row = m.row(n);
            let id = row["id"].as_str().unwrap();
            assert_eq!((id.len(), &id[14..15]), (36, "4"), "{id}");
            assert_eq!(row["n"], json!(n + 1));
            assert!((1..=10).contains(&row["qty"].as_i64().unwrap()));
            let price = row["price"].as_f64().unwrap();
            assert!((0.5..99.9).contains(&price), "{price}");
            let code = row["code"].as_str().unwrap();
            assert!(
                code.len() == 12 && code.bytes().all(|b| b.is_ascii_alphanumeric()),
                "{code}"
            );
            assert!(["red", "green", "blue"].contains(&row["colour"].as_str().unwrap()));
            assert!(crate::scenario::rfc3339::parse_rfc3339(row["at"].as_str().unwrap()).is_some());
            assert!(row["at_ms"].as_i64().unwrap() > 1_700_000_000_000);
        }
    }

    #[test]
    fn a_seed_gives_the_same_values_and_new_ids() {
        let seeded = |row: &Value| {
            (
                row["qty"].clone(),
                row["price"].clone(),
                row["code"].clone(),
                row["colour"].clone(),
            )
        };
        let (a, b, c) = (maker(7), maker(7), maker(8));
        assert_eq!(seeded(&a.row(3)), seeded(&b.row(3)));
        assert_ne!(a.row(3)["id"], b.row(3)["id"], "uuids are new on every run");
        let differs = (0..20).any(|n| seeded(&a.row(n)) != seeded(&c.row(n)));
        assert!(differs, "another seed, other values");
        // Two feeders of the same run draw apart.
        let other = RowMaker::new(a.generated.clone(), 7, "user");
        assert!((0..20).any(|n| seeded(&a.row(n)) != seeded(&other.row(n))));
    }
}
