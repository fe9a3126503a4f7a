//! The coordinator's wire protocol: plain HTTP with JSON bodies, every request carrying
//! `Authorization: Bearer TOKEN`. The manual (docs/src/distributed.md) has the same table.
//!
//! | request | body | answer |
//! |---|---|---|
//! | `GET /v1/clock` | | [`ClockReply`]: the coordinator's wall clock, for the shard's offset |
//! | `POST /v1/register` | [`Register`] | [`Registered`], or a [`Refusal`] (409) |
//! | `GET /v1/start` | | [`StartState`] (held up to 20 s while waiting) |
//! | `POST /v1/report` | [`LiveReport`], once a second | [`Action`], or a [`Refusal`] (409 `resync`, 410 `lost`) |
//! | `POST /v1/results` | [`Delivery`] | 200, or a [`Refusal`] |
//! | `POST /v1/stop` | | 202: the run stops as with Ctrl-C on the coordinator |
//!
//! A request without the right token gets 401 and changes nothing. Times on the wire are Unix
//! nanoseconds (`*_ns`) of the sender's wall clock; durations are `{"secs", "nanos"}` as in results
//! files.

use crate::report::json::Results;
use crate::run::{Aborted, ErrorRecord, GeneratorHealth, StopReason};
use crate::scenario::{Scenario, SourceMap};
use crate::stats::Snapshot;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The protocol version; a shard speaking another is refused.
pub const PROTOCOL: u32 = 1;
/// The environment variable with the shared token (coordinator and shards).
pub const TOKEN_ENV: &str = "STRESSOR_COORDINATOR_TOKEN";
/// The environment variable with the coordinator's URL (`run --coordinator`).
pub const URL_ENV: &str = "STRESSOR_COORDINATOR";

/// The shared token. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A token; `None` when empty (an empty token would let anyone in).
    pub fn new(text: impl Into<String>) -> Option<Token> {
        let text = text.into();
        (!text.trim().is_empty()).then(|| Token(text.trim().to_string()))
    }

    /// From [`TOKEN_ENV`].
    pub fn from_env() -> Option<Token> {
        std::env::var(TOKEN_ENV).ok().and_then(Token::new)
    }

    /// The secret itself, for the `Authorization` header only.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }

    /// Whether an `Authorization` header value carries this token, compared in constant time.
    pub fn admits(&self, header: Option<&[u8]>) -> bool {
        let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
            return false;
        };
        aws_lc_rs::constant_time::verify_slices_are_equal(given, self.0.as_bytes()).is_ok()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The coordinator's wall clock, read when the request arrived and when the answer left.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct ClockReply {
    /// When the request arrived.
    pub received_ns: u64,
    /// When the answer was sent.
    pub sent_ns: u64,
}

/// How far the coordinator's clock is ahead of a shard's, as the shard measured it (NTP's estimate
/// from one exchange: the offset is exact if both legs took equally long, and off by at most half
/// the round trip otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockOffset {
    /// Coordinator minus shard, nanoseconds.
    pub offset_ns: i64,
    /// At most this far off: half the round trip, nanoseconds.
    pub uncertainty_ns: u64,
}

impl ClockOffset {
    /// The estimate from one exchange: the shard sent at `sent`, the coordinator answered with
    /// `reply`, the shard received the answer at `received` (shard clock).
    pub fn measure(sent: SystemTime, reply: ClockReply, received: SystemTime) -> ClockOffset {
        let (t0, t3) = (unix_ns(sent) as i128, unix_ns(received) as i128);
        let (t1, t2) = (reply.received_ns as i128, reply.sent_ns as i128);
        let offset = ((t1 - t0) + (t2 - t3)) / 2;
        let round_trip = ((t3 - t0) - (t2 - t1)).max(0);
        ClockOffset {
            offset_ns: offset.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            uncertainty_ns: (round_trip / 2) as u64,
        }
    }

    /// The correction worth applying: the offset when it is larger than its own uncertainty, else
    /// nothing (an offset within the error of its measurement is not distinguishable from none).
    pub fn correction_ns(&self) -> i64 {
        if self.offset_ns.unsigned_abs() > self.uncertainty_ns {
            self.offset_ns
        } else {
            0
        }
    }

    /// A shard-clock instant on the coordinator's clock.
    pub fn to_coordinator(&self, shard_time: SystemTime) -> SystemTime {
        shift(shard_time, self.correction_ns())
    }

    /// A coordinator-clock instant on the shard's clock.
    pub fn to_shard(&self, coordinator_time: SystemTime) -> SystemTime {
        shift(coordinator_time, -self.correction_ns())
    }
}

impl std::fmt::Display for ClockOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:+.1}ms ±{:.1}ms",
            self.offset_ns as f64 / 1e6,
            self.uncertainty_ns as f64 / 1e6
        )
    }
}

fn shift(t: SystemTime, ns: i64) -> SystemTime {
    let d = Duration::from_nanos(ns.unsigned_abs());
    if ns >= 0 { t + d } else { t.checked_sub(d).unwrap_or(t) }
}

/// Unix nanoseconds of a wall-clock instant (0 before 1970).
pub fn unix_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The wall-clock instant of Unix nanoseconds.
pub fn from_unix_ns(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

/// A shard joining the run (`POST /v1/register`), once it has loaded and validated the scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Register {
    /// [`PROTOCOL`].
    pub protocol: u32,
    /// The shard's stressor version.
    pub version: String,
    /// `K/N`.
    pub shard: String,
    /// [`scenario_hash`] of what it loaded.
    pub scenario: String,
    /// Its clock against the coordinator's.
    pub clock: ClockOffset,
}

/// The answer to a registration.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Registered {
    /// Shards registered so far, this one included.
    pub registered: u32,
    /// Shards the run needs.
    pub shards: u32,
}

/// Where the ready barrier is (`GET /v1/start`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum StartState {
    /// Not every shard is in yet.
    Waiting {
        /// The shards missing, `K/N`.
        missing: Vec<String>,
    },
    /// Start the load at this instant of the coordinator's clock.
    Start {
        /// Unix nanoseconds, coordinator clock.
        start_at_ns: u64,
    },
    /// The coordinator gave up (`--wait-shards`, or it was stopped).
    Cancelled {
        /// Why.
        error: String,
    },
}

/// A shard's live report (`POST /v1/report`), once a second while its run goes and as a heartbeat
/// until it has delivered its results.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LiveReport {
    /// `K/N`.
    pub shard: String,
    /// This report's number, from 1.
    pub seq: u64,
    /// The report `stats` and `errors` continue: `Some(n)` means "what was recorded since report
    /// `n`" (a difference, [`Snapshot::since`]); `None` means "everything so far" (the first report,
    /// and after any report whose answer did not arrive).
    pub base: Option<u64>,
    /// The shard's start, Unix nanoseconds of its own clock.
    pub started_ns: u64,
    /// Run time so far.
    pub elapsed: Duration,
    /// Sessions started so far.
    pub sessions: u32,
    /// Why it is stopping, once it is.
    pub stop: Option<StopReason>,
    /// The abort that stopped it, if one did.
    pub aborted: Option<Aborted>,
    /// Its generator's health so far.
    pub health: GeneratorHealth,
    /// Its feeders so far.
    #[serde(default)]
    pub feeders: Vec<crate::activity::feed::FeedUse>,
    /// Measurements: since report `base`, or all of them (per-session measures are left out).
    pub stats: Snapshot,
    /// Errors recorded: since report `base`, or all of them.
    pub errors: Vec<ErrorRecord>,
}

/// What the coordinator tells a shard that reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Go on.
    Continue,
    /// Stop the run (gracefully: `end` sequences run).
    Stop {
        /// Whether it is an abort (`abort_on_fail` on the whole run) or a stop request (Ctrl-C on
        /// the coordinator, its monitor's Stop button, `POST /v1/stop`).
        reason: StopReason,
        /// The one-line reason, e.g. the threshold that failed.
        why: String,
    },
}

/// A shard's final results (`POST /v1/results`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Delivery {
    /// `K/N`.
    pub shard: String,
    /// Its results, as its `--out` file has them.
    pub results: Results,
}

/// Why the coordinator refused a request: the body of every 4xx answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// What kind of refusal.
    pub refusal: RefusalKind,
    /// A sentence for the user.
    pub error: String,
}

/// The kinds of [`Refusal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// No token, or the wrong one (401).
    Token,
    /// Another protocol or stressor version.
    Version,
    /// Another scenario (its hash differs).
    Scenario,
    /// Another shard count, or no such shard.
    Shard,
    /// The run has started: a shard registering now is a restarted one, whose load would count twice.
    Started,
    /// The shard was declared lost; nothing more of it is taken.
    Lost,
    /// A difference that does not continue what the coordinator has: send everything.
    Resync,
    /// Not now: before the start, or after the shard's results arrived.
    Phase,
    /// A body that does not fit the scenario (another plan's measurements).
    Invalid,
}

impl RefusalKind {
    /// The HTTP status it is sent with.
    pub fn status(self) -> u16 {
        match self {
            RefusalKind::Token => 401,
            RefusalKind::Lost => 410,
            RefusalKind::Invalid => 422,
            _ => 409,
        }
    }
}

/// The scenario's fingerprint as shards and coordinator compare it: SHA-256 over the contents of
/// every file the scenario was loaded from (the main file, `$load`ed parts, scripts), its feeders'
/// data files, and the `-o` options, in order. Paths are left out, so the same files mounted in
/// different places agree; `$env()` values are left out too, since shards may differ there on purpose.
pub fn scenario_hash(scenario: &Scenario, sources: &SourceMap, options: &[String]) -> String {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut part = |kind: &[u8], bytes: &[u8]| {
        ctx.update(kind);
        ctx.update(&(bytes.len() as u64).to_le_bytes());
        ctx.update(bytes);
    };
    for id in 0.. {
        let Some(file) = sources.get(crate::scenario::FileId(id)) else {
            break;
        };
        part(b"file", file.text.as_bytes());
    }
    for feeder in &scenario.feeders {
        match std::fs::read(&feeder.path) {
            Ok(bytes) => part(b"data", &bytes),
            Err(_) => part(b"data?", feeder.path.display().to_string().as_bytes()),
        }
    }
    for option in options {
        part(b"option", option.as_bytes());
    }
    let digest = ctx.finish();
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_is_ntps_estimate_and_only_corrects_beyond_its_uncertainty() {
        let t = |ms: u64| UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms);
        // The coordinator is 500 ms ahead; each leg takes 10 ms.
        let reply = ClockReply {
            received_ns: unix_ns(t(510)),
            sent_ns: unix_ns(t(511)),
        };
        let o = ClockOffset::measure(t(0), reply, t(21));
        assert_eq!(o.offset_ns, 500_000_000);
        assert_eq!(o.uncertainty_ns, 10_000_000);
        assert_eq!(o.to_shard(t(1500)), t(1000));
        assert_eq!(o.to_coordinator(t(1000)), t(1500));
        assert_eq!(o.to_string(), "+500.0ms ±10.0ms");
        let small = ClockOffset {
            offset_ns: 300_000,
            uncertainty_ns: 400_000,
        };
        assert_eq!(small.correction_ns(), 0);
        assert_eq!(small.to_shard(t(5)), t(5));
    }

    #[test]
    fn the_token_is_compared_whole_and_never_shown() {
        let token = Token::new("s3cret").expect("not empty");
        assert!(token.admits(Some(b"Bearer s3cret")));
        for wrong in [&b"Bearer s3cre"[..], b"Bearer s3cret2", b"s3cret", b"Basic s3cret", b""] {
            assert!(!token.admits(Some(wrong)), "{}", String::from_utf8_lossy(wrong));
        }
        assert!(!token.admits(None));
        assert_eq!(format!("{token:?}"), "Token(***)");
        assert!(Token::new("  ").is_none());
    }
}
