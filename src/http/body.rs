//! Reading a response body within bounds: what the checks and stores need is kept, up to
//! `max_body_size`; what nothing needs is counted and dropped. Every transport reads bodies through a
//! [`BodySink`], so an endless or huge body costs time (until the request timeout), never memory.
//! (Content decoding, when it comes, bounds the decoded size here too: the sink is where a body's
//! bytes arrive, whichever transport read them.)

use crate::scenario::size::format_size;
use std::fmt;

/// Bytes of a body that nothing needs that are kept anyway, for the excerpt in error messages
/// (`describe_response` shows 300 characters).
pub const EXCERPT_BYTES: usize = 2048;

/// How much of a body to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimit {
    /// `max_body_size`: the most bytes kept.
    pub max: u64,
    /// Whether a check, store or `last_result` reads the body: past `max` that is an error; when
    /// false, only an excerpt is kept and the rest is counted and dropped.
    pub needed: bool,
}

impl BodyLimit {
    /// A limit that keeps every byte up to `max`.
    pub fn keep(max: u64) -> Self {
        BodyLimit { max, needed: true }
    }

    /// The bytes kept at most.
    fn keep_max(self) -> u64 {
        if self.needed {
            self.max
        } else {
            self.max.min(EXCERPT_BYTES as u64)
        }
    }

    /// Fails early when a body of a declared length cannot be kept: no byte of it need be read.
    pub fn check_length(self, length: u64) -> Result<(), TooLarge> {
        if self.needed && length > self.max {
            return Err(TooLarge {
                limit: self.max,
                length: Some(length),
            });
        }
        Ok(())
    }
}

/// A body was larger than `max_body_size` and something needed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge {
    /// The limit.
    pub limit: u64,
    /// The length the response declared, when it declared one.
    pub length: Option<u64>,
}

/// Names the limit and the setting that raises it.
impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.length {
            Some(n) => write!(f, "response body of {} ({n} bytes)", format_size(n))?,
            None => f.write_str("response body")?,
        }
        write!(
            f,
            " is larger than max_body_size ({}) and a check or store needs it; raise `max_body_size` on the activity or in `config`",
            format_size(self.limit)
        )
    }
}

/// A body being received.
#[derive(Debug)]
pub struct BodySink {
    limit: BodyLimit,
    body: Vec<u8>,
    received: u64,
}

impl BodySink {
    /// An empty body; `capacity` is reserved (capped by what will be kept).
    pub fn new(limit: BodyLimit, capacity: usize) -> Self {
        let capacity = capacity.min(usize::try_from(limit.keep_max()).unwrap_or(usize::MAX));
        BodySink {
            limit,
            body: Vec::with_capacity(capacity),
            received: 0,
        }
    }

    /// Takes the next bytes of the body.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), TooLarge> {
        self.received += bytes.len() as u64;
        let room = self.room();
        if bytes.len() <= room {
            self.body.extend_from_slice(bytes);
            return Ok(());
        }
        if self.limit.needed {
            return Err(TooLarge {
                limit: self.limit.max,
                length: None,
            });
        }
        self.body.extend_from_slice(&bytes[..room]);
        Ok(())
    }

    /// Fails when the next `more` bytes are needed but would not fit (a chunk whose size says so).
    pub fn expect(&self, more: u64) -> Result<(), TooLarge> {
        if self.limit.needed && more > self.room() as u64 {
            return Err(TooLarge {
                limit: self.limit.max,
                length: None,
            });
        }
        Ok(())
    }

    /// Body bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// How many more bytes are kept.
    pub fn room(&self) -> usize {
        let room = self.limit.keep_max().saturating_sub(self.body.len() as u64);
        usize::try_from(room).unwrap_or(usize::MAX)
    }

    /// Whether the next `n` bytes are all kept: then they may be read straight into
    /// [`BodySink::spare`].
    pub fn keeps(&self, n: u64) -> bool {
        n <= self.room() as u64
    }

    /// The kept bytes, to read into directly (see [`BodySink::keeps`]); count what was added with
    /// [`BodySink::added`].
    pub fn spare(&mut self) -> &mut Vec<u8> {
        &mut self.body
    }

    /// Counts `n` bytes appended through [`BodySink::spare`].
    pub fn added(&mut self, n: usize) {
        self.received += n as u64;
    }

    /// The kept bytes and the number of bytes received.
    pub fn finish(self) -> (Vec<u8>, u64) {
        (self.body, self.received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_needed_body_is_kept_up_to_the_limit_and_no_further() {
        let mut sink = BodySink::new(BodyLimit::keep(10), 1 << 20);
        sink.push(b"0123456789").expect("fits");
        let err = sink.push(b"x").expect_err("over");
        assert_eq!(err.limit, 10);
        assert!(err.to_string().contains("max_body_size (10 B)"), "{err}");
        let err = super::super::HttpError::from(err);
        assert_eq!(err.kind, super::super::HttpErrorKind::BodyTooLarge);
    }

    #[test]
    fn a_body_nothing_needs_keeps_an_excerpt_and_counts_the_rest() {
        let limit = BodyLimit {
            max: 1 << 20,
            needed: false,
        };
        let mut sink = BodySink::new(limit, 1 << 20);
        for _ in 0..1000 {
            sink.push(&[b'a'; 1000]).expect("never too large");
        }
        let (body, received) = sink.finish();
        assert_eq!((body.len(), received), (EXCERPT_BYTES, 1_000_000));
        assert!(limit.check_length(u64::MAX).is_ok());
    }

    #[test]
    fn a_declared_length_over_the_limit_fails_before_reading() {
        let err = BodyLimit::keep(16 << 20).check_length(50_000_000).expect_err("over");
        assert_eq!(
            err.to_string(),
            "response body of 47.68 MiB (50000000 bytes) is larger than max_body_size (16 MiB) and a check or store needs it; raise `max_body_size` on the activity or in `config`"
        );
    }
}
