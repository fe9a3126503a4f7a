//! W3C trace context (`config.trace_context`): a trace per session pass, a new span per request.
//!
//! Every request of one pass of a sequence carries the same trace id in its `traceparent` header
//! (`00-<trace id>-<span id>-<flags>`), each request with a span id of its own, so a tracing backend
//! shows one virtual user's pass as one trace and a failed request can be found by the trace id that
//! stressor writes into its error records, JUnit failures and the request log. The sample rate decides,
//! per trace, the `sampled` flag (`01` or `00`): the header is sent on every request either way, so a
//! service that logs trace ids can be searched for any request, while a service that samples by its
//! parent records only the sampled share.

/// One pass's trace: its id and whether it is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lowercase hex digits (never all zero, as W3C requires).
    hex: [u8; 32],
    sampled: bool,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl TraceContext {
    /// A new trace, sampled with probability `sample` (0..=1).
    pub fn new(sample: f64) -> Self {
        let id = loop {
            let id = fastrand::u128(..);
            if id != 0 {
                break id;
            }
        };
        let mut hex = [0u8; 32];
        for (i, b) in hex.iter_mut().enumerate() {
            *b = HEX[((id >> (4 * (31 - i))) & 0xf) as usize];
        }
        TraceContext {
            hex,
            sampled: sample >= 1.0 || fastrand::f64() < sample,
        }
    }

    /// The trace id: 32 lowercase hex digits.
    pub fn trace_id(&self) -> &str {
        // Only ASCII hex digits are ever written into `hex`.
        std::str::from_utf8(&self.hex).unwrap_or_default()
    }

    /// Whether the trace is sampled (the `01` flag).
    pub fn sampled(&self) -> bool {
        self.sampled
    }

    /// A `traceparent` header value for one request: this trace, a new random span id.
    pub fn traceparent(&self) -> String {
        let span = loop {
            let span = fastrand::u64(..);
            if span != 0 {
                break span;
            }
        };
        let flags = if self.sampled { "01" } else { "00" };
        format!("00-{}-{span:016x}-{flags}", self.trace_id())
    }
}

/// Reads the trace id out of a `traceparent` value (`None` when it is not one).
pub fn trace_id_of(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(version, 2) && hex(trace, 32) && hex(span, 16) && hex(flags, 2) && parts.next().is_none()).then_some(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_has_the_w3c_shape_and_a_new_span_each_time() {
        let t = TraceContext::new(1.0);
        let (a, b) = (t.traceparent(), t.traceparent());
        assert_eq!(a.len(), 55, "{a}");
        assert!(a.starts_with("00-") && a.ends_with("-01"), "{a}");
        assert_eq!(trace_id_of(&a), Some(t.trace_id()));
        assert_eq!(trace_id_of(&b), Some(t.trace_id()));
        assert_ne!(a, b, "each request gets its own span id");
        assert_ne!(t.trace_id(), TraceContext::new(1.0).trace_id());
        assert!(
            t.trace_id()
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn the_sample_rate_sets_the_flag() {
        assert!(TraceContext::new(0.0).traceparent().ends_with("-00"));
        let sampled = (0..2000).filter(|_| TraceContext::new(0.25).sampled()).count();
        assert!((350..650).contains(&sampled), "{sampled} of 2000 at 25%");
    }

    #[test]
    fn only_well_formed_values_are_read() {
        assert_eq!(
            trace_id_of("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            Some("0af7651916cd43dd8448eb211c80319c")
        );
        assert_eq!(trace_id_of("00-xyz-b7ad6b7169203331-01"), None);
        assert_eq!(trace_id_of(""), None);
    }
}
