//! A latency distribution: an HDR histogram of microseconds, 3 significant digits, 1 µs to 1 h.
//!
//! The histogram resizes itself to the largest value recorded so far instead of allocating the whole
//! 1 µs..1 h range up front, and counts with 32-bit counters while its total stays below 2³² (so no
//! counter can overflow), switching to 64-bit counters beyond: 3-digit histograms take 8 KB empty,
//! ~32 KB for latencies up to 100 ms, ~44 KB up to 1 s and ~92 KB up to 1 h (2-digit ones about an
//! eighth of that). Values above 1 h are recorded as 1 h. Histograms of separate recorders merge
//! losslessly, and serialize as base64 of HdrHistogram's compressed V2 format (readable by other
//! HdrHistogram implementations).

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::{Counter, Histogram};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The largest value tracked: one hour, in microseconds.
pub const MAX_MICROS: u64 = 3_600_000_000;

/// Significant digits of the full-resolution histograms.
pub const SIGFIG: u8 = 3;

/// A 32-bit histogram switches to 64-bit counters before its total reaches this.
const NARROW_LIMIT: u64 = u32::MAX as u64;

/// A histogram that could not be encoded or decoded (results files carry them as base64 text).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistogramError {
    /// The histogram could not be serialized.
    #[error("cannot encode a histogram: {0}")]
    Encode(String),
    /// The text is not base64.
    #[error("invalid base64: {0}")]
    Base64(String),
    /// The bytes are not an HdrHistogram V2 (compressed) histogram.
    #[error("invalid histogram: {0}")]
    Decode(String),
}

/// A distribution of durations.
#[derive(Clone, Debug)]
pub struct Latency {
    counts: Counts,
}

#[derive(Clone, Debug)]
enum Counts {
    /// 32-bit counters (half the memory) while the total stays below 2³².
    Narrow(Histogram<u32>),
    /// 64-bit counters.
    Wide(Histogram<u64>),
}

/// Runs `$e` with `$h` bound to the histogram, whichever its counter type.
macro_rules! each {
    ($counts:expr, $h:ident => $e:expr) => {
        match $counts {
            Counts::Narrow($h) => $e,
            Counts::Wide($h) => $e,
        }
    };
}

impl Default for Latency {
    fn default() -> Self {
        Latency::with_sigfig(SIGFIG)
    }
}

impl PartialEq for Latency {
    fn eq(&self, other: &Self) -> bool {
        let same_storage = match (&self.counts, &other.counts) {
            (Counts::Narrow(a), Counts::Narrow(b)) => a == b,
            (Counts::Wide(a), Counts::Wide(b)) => a == b,
            _ => false,
        };
        // HdrHistogram's own comparison also compares how far each histogram has resized; the same
        // values in histograms that grew differently (a sum of differences, a merge) are the same
        // distribution.
        same_storage
            || (self.sigfig() == other.sigfig()
                && self.count() == other.count()
                && self.min() == other.min()
                && self.max() == other.max()
                && each!(&self.counts, h => recorded(h)) == each!(&other.counts, h => recorded(h)))
    }
}

impl Latency {
    /// An empty distribution with the given precision (use 2 for the light per-session and per-second
    /// histograms).
    pub fn with_sigfig(sigfig: u8) -> Self {
        Latency {
            counts: Counts::Narrow(new_histogram(sigfig)),
        }
    }

    /// Records one duration.
    pub fn record(&mut self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).clamp(1, MAX_MICROS);
        if let Counts::Narrow(h) = &self.counts
            && h.len() >= NARROW_LIMIT
        {
            self.widen();
        }
        each!(&mut self.counts, h => record_n(h, micros, 1))
    }

    /// Adds all values of another distribution (lossless for equal precision).
    pub fn merge(&mut self, other: &Latency) {
        if let (Counts::Narrow(a), Counts::Narrow(b)) = (&mut self.counts, &other.counts)
            && a.len() + b.len() < NARROW_LIMIT
        {
            add(a, b);
            return;
        }
        self.widen();
        if let Counts::Wide(a) = &mut self.counts {
            match &other.counts {
                Counts::Wide(b) => add(a, b),
                Counts::Narrow(b) => add_converted(a, b),
            }
        }
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        each!(&self.counts, h => h.len())
    }

    /// Significant digits.
    pub fn sigfig(&self) -> u8 {
        each!(&self.counts, h => h.sigfig())
    }

    /// The value at a percentile (0..=100), `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let q = (p / 100.0).clamp(0.0, 1.0);
        (self.count() > 0).then(|| Duration::from_micros(each!(&self.counts, h => h.value_at_quantile(q))))
    }

    /// How many values lie above `d` (compared at this histogram's precision).
    pub fn count_above(&self, d: Duration) -> u64 {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        each!(&self.counts, h => h
            .iter_recorded()
            .filter(|v| h.lowest_equivalent(v.value_iterated_to()) > micros)
            .map(|v| v.count_at_value().as_u64())
            .sum())
    }

    /// Smallest value (the low end of its bucket).
    pub fn min(&self) -> Option<Duration> {
        (self.count() > 0).then(|| Duration::from_micros(each!(&self.counts, h => h.min())))
    }

    /// Largest value (the high end of its bucket).
    pub fn max(&self) -> Option<Duration> {
        (self.count() > 0).then(|| Duration::from_micros(each!(&self.counts, h => h.max())))
    }

    /// Mean value.
    pub fn mean(&self) -> Option<Duration> {
        (self.count() > 0).then(|| Duration::from_secs_f64(each!(&self.counts, h => h.mean()) / 1e6))
    }

    /// A copy as an HdrHistogram with 64-bit counters (values in microseconds), for its full API.
    pub fn to_histogram(&self) -> Histogram<u64> {
        match &self.counts {
            Counts::Wide(h) => h.clone(),
            Counts::Narrow(h) => {
                let mut wide = new_histogram(h.sigfig());
                add_converted(&mut wide, h);
                wide
            }
        }
    }

    /// Encodes as base64 of the compressed V2 format.
    pub fn to_base64(&self) -> Result<String, HistogramError> {
        let mut bytes = Vec::new();
        each!(&self.counts, h => V2DeflateSerializer::new().serialize(h, &mut bytes))
            .map_err(|e| HistogramError::Encode(format!("{e:?}")))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Decodes what [`Latency::to_base64`] wrote.
    pub fn from_base64(text: &str) -> Result<Latency, HistogramError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| HistogramError::Base64(e.to_string()))?;
        let narrow: Result<Histogram<u32>, _> = Deserializer::new().deserialize(&mut bytes.as_slice());
        let counts = match narrow {
            Ok(mut h) if h.len() < NARROW_LIMIT => {
                h.auto(true);
                Counts::Narrow(h)
            }
            _ => {
                let mut h: Histogram<u64> = Deserializer::new()
                    .deserialize(&mut bytes.as_slice())
                    .map_err(|e| HistogramError::Decode(format!("{e:?}")))?;
                h.auto(true);
                Counts::Wide(h)
            }
        };
        Ok(Latency { counts })
    }

    /// What was recorded after `earlier`, an earlier state of this same distribution: `earlier`
    /// merged with the result is `self` again, value for value. `None` when `earlier` is not part of
    /// `self` (another precision, or a bucket holding more than `self` does), so a caller never sends
    /// a wrong difference. The result is sized to what it holds (a coordinated shard's per-second
    /// delta is mostly empty).
    pub fn since(&self, earlier: &Latency) -> Option<Latency> {
        if self.sigfig() != earlier.sigfig() || earlier.count() > self.count() {
            return None;
        }
        let mine = each!(&self.counts, h => recorded(h));
        let theirs = each!(&earlier.counts, h => recorded(h));
        let mut theirs = theirs.into_iter().peekable();
        let mut added: Vec<(u64, u64)> = Vec::new();
        for (value, n) in mine {
            // Both lists are ascending by bucket and use the same buckets (same precision).
            let mut before = 0;
            if let Some(&(v, m)) = theirs.peek() {
                if v < value {
                    return None;
                }
                if v == value {
                    before = m;
                    theirs.next();
                }
            }
            let n = n.checked_sub(before)?;
            if n > 0 {
                added.push((value, n));
            }
        }
        // A bucket of `earlier` that `self` does not have.
        if theirs.next().is_some() {
            return None;
        }
        let mut out = Latency::with_sigfig(self.sigfig());
        // Largest first, so the histogram resizes once.
        for (value, n) in added.into_iter().rev() {
            out.record_bucket(value, n);
        }
        Some(out)
    }

    /// Records `n` values in the bucket of `value` (microseconds).
    fn record_bucket(&mut self, value: u64, n: u64) {
        if let Counts::Narrow(h) = &self.counts
            && h.len().saturating_add(n) >= NARROW_LIMIT
        {
            self.widen();
        }
        match &mut self.counts {
            // Below the limit, so `n` fits.
            Counts::Narrow(h) => record_n(h, value, n as u32),
            Counts::Wide(h) => record_n(h, value, n),
        }
    }

    /// Switches to 64-bit counters.
    fn widen(&mut self) {
        if let Counts::Narrow(h) = &self.counts {
            let mut wide = new_histogram(h.sigfig());
            add_converted(&mut wide, h);
            self.counts = Counts::Wide(wide);
        }
    }

    #[cfg(test)]
    fn is_wide(&self) -> bool {
        matches!(self.counts, Counts::Wide(_))
    }
}

/// An empty auto-resizing histogram of 1..2 (it grows with the values).
fn new_histogram<T: Counter>(sigfig: u8) -> Histogram<T> {
    // `Histogram::new` only fails for sigfig > 5, which the clamp rules out.
    let mut hist = Histogram::new(sigfig.clamp(1, 5))
        .or_else(|_| Histogram::new_with_bounds(1, 2, 1))
        .expect("a 1-digit histogram of 1..2 is always valid");
    hist.auto(true);
    hist
}

fn record_n<T: Counter>(h: &mut Histogram<T>, value: u64, n: T) {
    // `record_n` grows an auto-resizing histogram; `saturating_record_n` would clamp to its range.
    if h.record_n(value, n).is_err() {
        h.saturating_record_n(value, n);
    }
}

/// Adds a histogram of the same counter type.
fn add<T: Counter>(a: &mut Histogram<T>, b: &Histogram<T>) {
    // Auto-resizing histograms accept any values; an error here would mean a precision mismatch, in
    // which case values are re-recorded one bucket at a time.
    if a.add(b).is_err() {
        let buckets: Vec<(u64, T)> = b
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        for (value, n) in buckets.into_iter().rev() {
            record_n(a, value, n);
        }
    }
}

/// Adds a histogram of another counter type into a 64-bit one, bucket by bucket (largest first, so
/// the target resizes once). Each bucket's count is recorded at the bucket's value, so counts, min,
/// max, mean and percentiles come out the same.
fn add_converted<U: Counter>(a: &mut Histogram<u64>, b: &Histogram<U>) {
    for (value, n) in recorded(b).into_iter().rev() {
        record_n(a, value, n);
    }
}

/// The non-empty buckets: (a value of the bucket, count), ascending.
fn recorded<T: Counter>(h: &Histogram<T>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value().as_u64()))
        .collect()
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

    #[test]
    fn widening_to_64_bit_counters_keeps_every_value() {
        let (mut narrow, mut wide) = (Latency::default(), Latency::default());
        for i in 1..=3000u64 {
            let d = Duration::from_micros(i * i % 1_000_003 + 1);
            narrow.record(d);
            wide.record(d);
        }
        wide.widen();
        assert!(wide.is_wide() && !narrow.is_wide());
        assert_eq!(wide, narrow);
        for p in [0.0, 50.0, 99.0, 99.9, 100.0] {
            assert_eq!(wide.percentile(p), narrow.percentile(p), "p{p}");
        }
        assert_eq!(
            (wide.min(), wide.max(), wide.mean()),
            (narrow.min(), narrow.max(), narrow.mean())
        );
        assert_eq!(wide.to_histogram(), narrow.to_histogram());
        // Mixed merges, both ways.
        let mut a = narrow.clone();
        a.merge(&wide);
        let mut b = wide.clone();
        b.merge(&narrow);
        assert_eq!(a, b);
        assert_eq!(a.count(), 6000);
        // A round trip keeps the values, whichever the counter type.
        assert_eq!(Latency::from_base64(&b.to_base64().unwrap()).unwrap(), b);
    }

    #[test]
    fn a_merge_that_would_overflow_32_bit_counters_widens() {
        let mut big = Latency::default();
        if let Counts::Narrow(h) = &mut big.counts {
            h.record_n(1000, u32::MAX - 10).unwrap();
        }
        let mut other = Latency::default();
        for _ in 0..20 {
            other.record(Duration::from_micros(1000));
        }
        big.merge(&other);
        assert!(big.is_wide());
        assert_eq!(big.count(), u64::from(u32::MAX) + 10);
        big.record(Duration::from_micros(1000));
        assert_eq!(big.count(), u64::from(u32::MAX) + 11);
        // Recording into a full 32-bit histogram widens first.
        let mut full = Latency::default();
        if let Counts::Narrow(h) = &mut full.counts {
            h.record_n(5, u32::MAX).unwrap();
        }
        full.record(Duration::from_micros(5));
        assert!(full.is_wide());
        assert_eq!(full.count(), u64::from(u32::MAX) + 1);
    }
}
