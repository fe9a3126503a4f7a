//! A latency distribution: an HDR histogram of microseconds, 3 significant digits, 1 µs to 1 h.
//!
//! The histogram resizes itself to the largest value recorded so far instead of allocating the whole
//! 1 µs..1 h range up front (about 190 KB at 3 digits), so a thousand activities with millisecond
//! latencies cost tens of megabytes, not hundreds. Values above 1 h are recorded as 1 h. Histograms of
//! separate recorders merge losslessly, and serialize as base64 of HdrHistogram's compressed V2 format
//! (readable by other HdrHistogram implementations).

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The largest value tracked: one hour, in microseconds.
pub const MAX_MICROS: u64 = 3_600_000_000;

/// Significant digits of the full-resolution histograms.
pub const SIGFIG: u8 = 3;

/// A distribution of durations.
#[derive(Clone, Debug)]
pub struct Latency {
    hist: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency::with_sigfig(SIGFIG)
    }
}

impl PartialEq for Latency {
    fn eq(&self, other: &Self) -> bool {
        self.hist == other.hist
    }
}

impl Latency {
    /// An empty distribution with the given precision (use 2 for the light per-session and per-second
    /// histograms).
    pub fn with_sigfig(sigfig: u8) -> Self {
        let mut hist = Histogram::new(sigfig.clamp(1, 5)).unwrap_or_else(|_| unreachable_histogram());
        hist.auto(true);
        Latency { hist }
    }

    /// Records one duration.
    pub fn record(&mut self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).clamp(1, MAX_MICROS);
        // `record` grows an auto-resizing histogram; `saturating_record` would clamp to its current range.
        if self.hist.record(micros).is_err() {
            self.hist.saturating_record(micros);
        }
    }

    /// Adds all values of another distribution (lossless for equal precision).
    pub fn merge(&mut self, other: &Latency) {
        // Auto-resizing histograms accept any values; an error here would mean a precision mismatch,
        // in which case values are re-recorded one bucket at a time.
        if self.hist.add(&other.hist).is_err() {
            for v in other.hist.iter_recorded() {
                if self.hist.record_n(v.value_iterated_to(), v.count_at_value()).is_err() {
                    self.hist.saturating_record_n(v.value_iterated_to(), v.count_at_value());
                }
            }
        }
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value at a percentile (0..=100), `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        (self.count() > 0).then(|| Duration::from_micros(self.hist.value_at_quantile((p / 100.0).clamp(0.0, 1.0))))
    }

    /// Smallest value.
    pub fn min(&self) -> Option<Duration> {
        (self.count() > 0).then(|| Duration::from_micros(self.hist.min()))
    }

    /// Largest value.
    pub fn max(&self) -> Option<Duration> {
        (self.count() > 0).then(|| Duration::from_micros(self.hist.max()))
    }

    /// Mean value.
    pub fn mean(&self) -> Option<Duration> {
        (self.count() > 0).then(|| Duration::from_secs_f64(self.hist.mean() / 1e6))
    }

    /// The underlying histogram (values in microseconds).
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.hist
    }

    /// Encodes as base64 of the compressed V2 format.
    pub fn to_base64(&self) -> Result<String, String> {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.hist, &mut bytes)
            .map_err(|e| format!("{e:?}"))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Decodes what [`Latency::to_base64`] wrote.
    pub fn from_base64(text: &str) -> Result<Latency, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("invalid base64: {e}"))?;
        let mut hist: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("invalid histogram: {e:?}"))?;
        hist.auto(true);
        Ok(Latency { hist })
    }
}

fn unreachable_histogram() -> Histogram<u64> {
    // `Histogram::new` only fails for sigfig > 5, which the clamp above rules out.
    Histogram::new_with_bounds(1, 2, 1).expect("a 1-digit histogram of 1..2 is always valid")
}

impl Serialize for Latency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64().map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Latency::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_within_three_digits() {
        let mut l = Latency::default();
        for ms in 1..=1000u64 {
            l.record(Duration::from_millis(ms));
        }
        let p50 = l.percentile(50.0).unwrap().as_secs_f64();
        let p99 = l.percentile(99.0).unwrap().as_secs_f64();
        assert!((p50 - 0.5).abs() <= 0.5 * 1e-3 + 1e-6, "{p50}");
        assert!((p99 - 0.99).abs() <= 0.99 * 1e-3 + 1e-6, "{p99}");
        assert_eq!(l.count(), 1000);
        assert_eq!(l.min(), Some(Duration::from_millis(1)));
    }

    #[test]
    fn merge_is_lossless_and_serialization_round_trips() {
        let (mut a, mut b, mut all) = (Latency::default(), Latency::default(), Latency::default());
        for i in 0..5000u64 {
            let d = Duration::from_micros(i * 37 % 250_000 + 1);
            if i % 3 == 0 {
                a.record(d)
            } else {
                b.record(d)
            }
            all.record(d);
        }
        a.merge(&b);
        assert_eq!(a, all);
        let back = Latency::from_base64(&a.to_base64().unwrap()).unwrap();
        assert_eq!(back, all);
        assert_eq!(back.percentile(99.9), all.percentile(99.9));
    }

    #[test]
    fn clamps_to_the_tracked_range() {
        let mut l = Latency::default();
        l.record(Duration::ZERO);
        l.record(Duration::from_secs(10_000));
        assert_eq!(l.min(), Some(Duration::from_micros(1)));
        assert!(l.max().unwrap() <= Duration::from_micros(MAX_MICROS + MAX_MICROS / 1000));
    }
}
