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
use flate2::{Compress, Compression, FlushCompress, Status};
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::{Counter, Histogram};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::time::Duration;

/// The largest value tracked: one hour, in microseconds.
pub const MAX_MICROS: u64 = 3_600_000_000;

/// Significant digits of the full-resolution histograms.
pub const SIGFIG: u8 = 3;

/// A 32-bit histogram switches to 64-bit counters before its total reaches this.
const NARROW_LIMIT: u64 = u32::MAX as u64;

/// What HdrHistogram writes before a compressed V2 histogram (its `V2_COMPRESSED_COOKIE`, which the
/// crate does not export): the format's base cookie with the word size 8 of the Java original.
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9304 | 0x10;

thread_local! {
    /// The thread's histogram encoder, reused for every histogram it encodes (see [`Encoder`]).
    static ENCODER: RefCell<Encoder> = RefCell::new(Encoder::new());
}

/// Encodes histograms in HdrHistogram's compressed V2 format, as its `V2DeflateSerializer` does, but
/// with one deflate state reused from histogram to histogram: that serializer sets up a new one
/// (~300 KB of zeroed tables) for each histogram, and a results file holds one histogram per session,
/// so at thousands of sessions every checkpoint paid thousands of them, mostly in page faults
/// (`bench/README.md`, issue 32).
struct Encoder {
    v2: V2Serializer,
    plain: Vec<u8>,
    deflate: Compress,
}

impl Encoder {
    fn new() -> Self {
        Encoder {
            v2: V2Serializer::new(),
            plain: Vec::new(),
            // The zlib wrapper and default level, as `V2DeflateSerializer` writes.
            deflate: Compress::new(Compression::default(), true),
        }
    }

    /// The cookie, the compressed length and the zlib stream of `h`'s V2 encoding.
    fn encode<T: Counter>(&mut self, h: &Histogram<T>) -> Result<Vec<u8>, HistogramError> {
        self.plain.clear();
        self.v2
            .serialize(h, &mut self.plain)
            .map_err(|e| HistogramError::Encode(format!("{e:?}")))?;
        if self.deflate.total_in() > 0 || self.deflate.total_out() > 0 {
            self.deflate.reset();
        }
        let mut out = Vec::with_capacity(8 + self.plain.len() / 2 + 64);
        out.extend_from_slice(&V2_COMPRESSED_COOKIE.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        loop {
            let read = usize::try_from(self.deflate.total_in()).map_or(self.plain.len(), |n| n.min(self.plain.len()));
            let status = self
                .deflate
                .compress_vec(&self.plain[read..], &mut out, FlushCompress::Finish)
                .map_err(|e| HistogramError::Encode(e.to_string()))?;
            if status == Status::StreamEnd {
                break;
            }
            // `compress_vec` writes only into spare capacity.
            out.reserve(out.capacity().max(256));
        }
        let length = u32::try_from(out.len() - 8).map_err(|_| HistogramError::Encode("larger than 4 GiB".into()))?;
        out[4..8].copy_from_slice(&length.to_be_bytes());
        Ok(out)
    }
}

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

    /// How many values fall into each of the buckets that `bounds` (microseconds, ascending) end:
    /// `bounds.len() + 1` counts, the last for the values above every bound. A value counts where the
    /// high end of its HDR bucket lies, the value [`Latency::percentile`] reports for it. One pass over
    /// the histogram's counters (`count_between` per range), not an iteration per recorded value.
    pub fn bucket_counts(&self, bounds: &[u64]) -> Vec<u64> {
        each!(&self.counts, h => {
            let mut out = Vec::with_capacity(bounds.len() + 1);
            let (mut low, mut below) = (0u64, 0u64);
            for &bound in bounds {
                // The last value whose HDR bucket ends at or below `bound`.
                let top = if h.highest_equivalent(bound) == bound {
                    bound
                } else {
                    h.lowest_equivalent(bound).saturating_sub(1)
                };
                // Past the largest value there is nothing (and `count_between` would count its last
                // counter again).
                let n = if top < low || h.is_empty() || low > h.max() {
                    0
                } else {
                    h.count_between(low, top)
                };
                out.push(n);
                below += n;
                low = low.max(top.saturating_add(1));
            }
            out.push(h.len().saturating_sub(below));
            out
        })
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
        let encode = |encoder: &mut Encoder| each!(&self.counts, h => encoder.encode(h));
        // A thread whose locals are being torn down encodes with an encoder of its own.
        let bytes = ENCODER
            .try_with(|e| e.try_borrow_mut().ok().map(|mut e| encode(&mut e)))
            .ok()
            .flatten()
            .unwrap_or_else(|| encode(&mut Encoder::new()))?;
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
    fn encodes_as_hdrhistograms_own_compressed_serializer_does() {
        use hdrhistogram::serialization::V2DeflateSerializer;
        // One after the other on one thread, so the reused deflate state is tried too.
        for (n, top) in [(1u64, 900u64), (5_000, 120_000), (40, 3_000_000)] {
            let mut l = Latency::with_sigfig(2);
            for i in 0..n {
                l.record(Duration::from_micros(1 + (i * 7919) % top));
            }
            let mut theirs = Vec::new();
            each!(&l.counts, h => V2DeflateSerializer::new().serialize(h, &mut theirs)).unwrap();
            let ours = base64::engine::general_purpose::STANDARD
                .decode(l.to_base64().unwrap())
                .unwrap();
            assert_eq!(ours, theirs, "{n} values up to {top} µs");
            assert_eq!(Latency::from_base64(&l.to_base64().unwrap()).unwrap(), l);
        }
    }

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
    fn bucket_counts_put_each_value_where_its_bucket_ends() {
        let bounds = [100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 100_000, 1_000_000];
        let mut l = Latency::default();
        let mut n = 0x2545_f491_4f6c_dd1du64;
        let mut values = Vec::new();
        for _ in 0..20_000 {
            // xorshift: values from 1 µs to ~2 s, many near the bounds.
            n ^= n << 13;
            n ^= n >> 7;
            n ^= n << 17;
            let v = 1 + n % (1 << (1 + n % 21));
            values.push(v);
            l.record(Duration::from_micros(v));
        }
        for b in bounds {
            for v in [b - 1, b, b + 1] {
                values.push(v);
                l.record(Duration::from_micros(v));
            }
        }
        let h = l.to_histogram();
        let mut expected = vec![0u64; bounds.len() + 1];
        for v in h.iter_recorded() {
            let high = h.highest_equivalent(v.value_iterated_to());
            let i = bounds.iter().position(|b| high <= *b).unwrap_or(bounds.len());
            expected[i] += v.count_at_value();
        }
        assert_eq!(l.bucket_counts(&bounds), expected);
        assert_eq!(expected.iter().sum::<u64>(), values.len() as u64);
        assert_eq!(Latency::default().bucket_counts(&bounds), vec![0; bounds.len() + 1]);
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
