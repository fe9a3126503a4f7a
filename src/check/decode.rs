//! `Content-Encoding`: undoing a response's content codings for the checks that read its body.
//!
//! The transports hand over the body as it came off the wire (transfer coding removed, content coding
//! kept); this module decodes it when a check, a store or `last_result` first reads it
//! ([`super::Response::decoded`]), so a run without body checks never pays for it. Decoding streams
//! through the codings and stops one byte past the limit, so a decompression bomb costs at most
//! `max_body_size` of memory, not what it would expand to.
//!
//! | coding | decoder |
//! |---|---|
//! | `gzip`, `x-gzip` | flate2 (miniz_oxide), several members in a row allowed |
//! | `deflate` | flate2: the zlib format RFC 9110 names, or raw deflate (which some servers send), told apart by the zlib header |
//! | `br` | brotli-decompressor |
//! | `zstd` | ruzstd, frames of at most an 8 MiB window (RFC 9659: what HTTP's zstd coding allows), several frames in a row allowed |
//! | `identity` | none |
//!
//! `Content-Encoding: gzip, br` lists the codings in the order they were applied, so they are undone
//! from the last to the first. All decoders are pure Rust: the slim build needs no C compiler.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

use crate::scenario::size::format_size;

/// Why a body could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The decoded body would be larger than `limit` bytes.
    TooLarge {
        /// `max_body_size`.
        limit: u64,
    },
    /// A coding this build does not know (`compress`, a typo).
    Unknown(String),
    /// The bytes are not valid in `coding` (cut short, or not compressed at all).
    Corrupt {
        /// The coding that failed.
        coding: &'static str,
        /// The decoder's reason.
        why: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge { limit } => write!(
                f,
                "the decoded body is larger than max_body_size ({}) and a check or store needs it; raise `max_body_size` on the activity or in `config`",
                format_size(*limit)
            ),
            DecodeError::Unknown(coding) => write!(
                f,
                "unknown Content-Encoding `{coding}` (stressor decodes gzip, deflate, br and zstd); set `decompress: false` to check the body as received"
            ),
            DecodeError::Corrupt { coding, why } => write!(f, "the body is not valid {coding}: {why}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A content coding stressor can undo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
        }
    }
}

/// The codings of a `Content-Encoding` value in the order they were applied; `identity` and empty
/// entries are dropped. Names are case-insensitive (RFC 9110 §8.4.1).
fn codings(value: &str) -> Result<Vec<Coding>, DecodeError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        .map(|c| match c.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Ok(Coding::Gzip),
            "deflate" => Ok(Coding::Deflate),
            "br" => Ok(Coding::Brotli),
            "zstd" => Ok(Coding::Zstd),
            _ => Err(DecodeError::Unknown(c.to_owned())),
        })
        .collect()
}

/// Whether a `Content-Encoding` value asks for any decoding at all.
pub(crate) fn is_encoded(value: &str) -> bool {
    value
        .split(',')
        .map(str::trim)
        .any(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
}

/// The window RFC 9659 allows a zstd-coded HTTP body: 8 MiB.
const ZSTD_MAX_WINDOW: u64 = 8 << 20;

/// Buffer of each decoder stage.
const STAGE_BUFFER: usize = 32 * 1024;

/// `body` with the codings of `content_encoding` undone, holding at most `max` decoded bytes.
/// `Ok(None)`: nothing to undo (no coding but `identity`), the body is what it is.
pub fn decode(body: &[u8], content_encoding: &str, max: u64) -> Result<Option<Vec<u8>>, DecodeError> {
    let codings = codings(content_encoding)?;
    if codings.is_empty() {
        return Ok(None);
    }
    if body.is_empty() {
        // A HEAD answer, a 204 or a 304 carries the header of a body it does not send.
        return Ok(Some(Vec::new()));
    }
    let (mut reader, failed) = pipeline(body, &codings);
    let guess = body
        .len()
        .saturating_mul(4)
        .min(usize::try_from(max).unwrap_or(usize::MAX));
    read_capped(&mut reader, max, guess).map(Some).map_err(|e| match e {
        Capped::TooLarge => DecodeError::TooLarge { limit: max },
        Capped::Io(e) => DecodeError::Corrupt {
            coding: failed.get().name(),
            why: e.to_string(),
        },
    })
}

/// As much of `body` decoded as its bytes allow, at most `max` bytes: for the excerpt of an error
/// message, where the body may have been cut short (only its first 2 KiB are kept when no check reads
/// it) or be invalid. Unknown codings leave the body as it is.
pub fn preview(body: &[u8], content_encoding: &str, max: usize) -> Vec<u8> {
    let Ok(codings) = codings(content_encoding) else {
        return body.to_vec();
    };
    if codings.is_empty() || body.is_empty() {
        return body.to_vec();
    }
    let (mut reader, _) = pipeline(body, &codings);
    let mut out = Vec::with_capacity(max.min(64 * 1024));
    let mut chunk = [0u8; 4096];
    while out.len() < max {
        match reader.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n.min(max - out.len())]),
        }
    }
    out
}

/// Which stage last failed a read: a shared cell the stages set, so a corrupt-body message names the
/// coding whose bytes were bad, not the outermost one.
#[derive(Clone, Default)]
struct Failed(std::rc::Rc<std::cell::Cell<Option<Coding>>>);

impl Failed {
    fn get(&self) -> Coding {
        self.0.get().unwrap_or(Coding::Gzip)
    }
}

/// Names a stage's failures in [`Failed`] (the innermost failing stage reports first; outer stages
/// only see its error passed up).
struct Named<R> {
    inner: R,
    coding: Coding,
    failed: Failed,
}

impl<R: Read> Read for Named<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| {
            if self.failed.0.get().is_none() {
                self.failed.0.set(Some(self.coding));
            }
        })
    }
}

/// The decoders of `codings` stacked over `body`, the last applied first.
fn pipeline<'a>(body: &'a [u8], codings: &[Coding]) -> (Box<dyn Read + 'a>, Failed) {
    let failed = Failed::default();
    let mut reader: Box<dyn Read + 'a> = Box::new(body);
    for &coding in codings.iter().rev() {
        let stage: Box<dyn Read + 'a> = match coding {
            Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            Coding::Deflate => deflate(reader),
            Coding::Brotli => Box::new(brotli_decompressor::Decompressor::new(reader, STAGE_BUFFER)),
            Coding::Zstd => Box::new(ZstdFrames::new(BufReader::with_capacity(STAGE_BUFFER, reader))),
        };
        reader = Box::new(Named {
            inner: stage,
            coding,
            failed: failed.clone(),
        });
    }
    (reader, failed)
}

/// `deflate`: zlib (RFC 1950) when the first two bytes are a zlib header, else raw deflate (RFC 1951).
fn deflate<'a>(inner: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    let mut buffered = BufReader::with_capacity(STAGE_BUFFER, inner);
    let zlib = match buffered.fill_buf() {
        Ok(head) if head.len() >= 2 => {
            let (cmf, flg) = (head[0], head[1]);
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
        }
        _ => true,
    };
    if zlib {
        Box::new(flate2::bufread::ZlibDecoder::new(buffered))
    } else {
        Box::new(flate2::bufread::DeflateDecoder::new(buffered))
    }
}

/// zstd frames one after the other until the input ends (RFC 8878 allows several in a row), each with
/// at most an 8 MiB window.
struct ZstdFrames<R: BufRead> {
    state: ZstdState<R>,
}

enum ZstdState<R: BufRead> {
    /// Between frames: the source.
    Between(R),
    /// Inside a frame.
    Frame(Box<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>),
    /// After an error or the end.
    Done,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(source: R) -> Self {
        ZstdFrames {
            state: ZstdState::Between(source),
        }
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match std::mem::replace(&mut self.state, ZstdState::Done) {
                ZstdState::Done => return Ok(0),
                ZstdState::Between(mut source) => {
                    if source.fill_buf()?.is_empty() {
                        return Ok(0);
                    }
                    let frame = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(source, ZSTD_MAX_WINDOW)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                    self.state = ZstdState::Frame(Box::new(frame));
                }
                ZstdState::Frame(mut frame) => {
                    let n = frame.read(buf)?;
                    if n > 0 || buf.is_empty() {
                        self.state = ZstdState::Frame(frame);
                        return Ok(n);
                    }
                    if !frame.decoder.is_finished() {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the zstd frame is cut short",
                        ));
                    }
                    self.state = ZstdState::Between((*frame).into_inner());
                }
            }
        }
    }
}

/// Why [`read_capped`] stopped.
enum Capped {
    TooLarge,
    Io(io::Error),
}

/// Everything `reader` gives, failing as soon as it gives more than `max` bytes. The buffer grows to
/// at most `max` bytes (never doubling past it), so the memory a bomb can take is `max`.
fn read_capped(reader: &mut dyn Read, max: u64, guess: usize) -> Result<Vec<u8>, Capped> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::with_capacity(guess.clamp(STAGE_BUFFER.min(max), max.max(1)));
    let mut chunk = vec![0u8; STAGE_BUFFER];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Capped::Io(e)),
        };
        if n > max - out.len() {
            return Err(Capped::TooLarge);
        }
        if out.capacity() - out.len() < n {
            let want = out.capacity().saturating_mul(2).max(out.len() + n).min(max);
            out.reserve_exact(want - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    const TEXT: &[u8] = b"{\"hello\": \"world\", \"n\": [1, 2, 3]} and some more text to compress, compress, compress";

    #[test]
    fn each_coding_and_a_stack_of_them_decode_to_the_original() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("gzip", gzip(TEXT)),
            ("X-GZIP", gzip(TEXT)),
            ("deflate", zlib(TEXT)),
            ("deflate", raw_deflate(TEXT)),
            ("zstd", zstd(TEXT)),
            ("gzip, zstd", zstd(&gzip(TEXT))),
            ("identity, gzip,identity", gzip(TEXT)),
        ];
        for (coding, body) in cases {
            let got = decode(&body, coding, 1 << 20).unwrap_or_else(|e| panic!("{coding}: {e}"));
            assert_eq!(got.as_deref(), Some(TEXT), "{coding}");
        }
        let two = decode(&[gzip(b"two "), gzip(b"members")].concat(), "gzip", 100).unwrap();
        assert_eq!(two.as_deref(), Some(&b"two members"[..]));
        let frames = decode(&[zstd(b"two "), zstd(b"frames")].concat(), "zstd", 100).unwrap();
        assert_eq!(frames.as_deref(), Some(&b"two frames"[..]));
    }

    #[test]
    fn identity_and_empty_bodies_need_no_decoding() {
        assert_eq!(decode(b"plain", "", 10), Ok(None));
        assert_eq!(decode(b"plain", "identity", 10), Ok(None));
        assert_eq!(decode(b"", "gzip", 10), Ok(Some(Vec::new())));
        assert!(!is_encoded(" identity ,"));
        assert!(is_encoded("gzip"));
    }

    #[test]
    fn a_bomb_stops_one_chunk_past_the_limit() {
        let zeros = vec![0u8; 8 << 20];
        let bomb = gzip(&zeros);
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        assert_eq!(
            decode(&bomb, "gzip", 1 << 20),
            Err(DecodeError::TooLarge { limit: 1 << 20 })
        );
        assert_eq!(decode(&bomb, "gzip", 8 << 20).unwrap().map(|v| v.len()), Some(8 << 20));
    }

    #[test]
    fn unknown_and_corrupt_bodies_name_the_coding() {
        let err = decode(b"x", "gzip, compress", 10).unwrap_err();
        assert_eq!(err, DecodeError::Unknown("compress".into()));
        assert!(
            err.to_string().starts_with("unknown Content-Encoding `compress`"),
            "{err}"
        );
        let err = decode(b"not gzip at all", "gzip", 100).unwrap_err();
        assert!(matches!(err, DecodeError::Corrupt { coding: "gzip", .. }), "{err:?}");
        let cut = gzip(TEXT);
        let err = decode(&cut[..cut.len() / 2], "gzip", 100).unwrap_err();
        assert!(matches!(err, DecodeError::Corrupt { coding: "gzip", .. }), "{err:?}");
        // The inner stage's bytes are bad: the message names it, not the outer one.
        let err = decode(&zstd(b"not gzip"), "gzip, zstd", 100).unwrap_err();
        assert!(matches!(err, DecodeError::Corrupt { coding: "gzip", .. }), "{err:?}");
    }

    #[test]
    fn a_preview_decodes_what_a_cut_body_allows() {
        let long = TEXT.repeat(100);
        let body = gzip(&long);
        let cut = &body[..body.len() / 2];
        let seen = preview(cut, "gzip", 50);
        assert_eq!(seen, &long[..50]);
        assert_eq!(preview(b"raw", "compress", 50), b"raw");
    }
}
