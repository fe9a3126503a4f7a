//! Routes for what real services do to a response body: content codings (negotiated from
//! `Accept-Encoding`, or forced, stacked or unknown), a gzip bomb, pages in other charsets, and
//! namespaced XML. The checks' tests read them on both HTTP clients (`tests/it/http_semantics/`).
//!
//! Bodies are small and made per request except the bomb, which is streamed from one precomputed
//! compressed block: it decodes to up to 1 GiB of zeros and costs the server a few KiB of memory.

use std::convert::Infallible;
use std::io::Write;
use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::codec::query_pairs;
use super::files::text;

/// `/items` sends at most this many items.
const MAX_ITEMS: usize = 10_000;
/// `/gzip-bomb` decodes to at most this many MiB.
const MAX_BOMB_MIB: u64 = 4096;

/// The codings `/items` offers, most preferred first (the smallest output first).
const OFFERED: [&str; 4] = ["br", "zstd", "gzip", "deflate"];

/// `GET /items?n=<count>&coding=<codings>`: a JSON list of `n` items (default 70, about 10 KB)
/// with keys that need JSONPath's brackets (`in-stock`), compressed with the best coding the
/// request's `Accept-Encoding` accepts, or with `coding` (a comma-separated list applied in order,
/// `deflate-raw` for deflate without its zlib wrapper, any other name sent as is on a plain body).
pub(crate) async fn items(headers: HeaderMap, uri: Uri) -> Response {
    let pairs = query_pairs(uri.query());
    let param = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let n = match param("n").map(str::parse::<usize>) {
        None => 70,
        Some(Ok(n)) => n.min(MAX_ITEMS),
        Some(Err(_)) => return text(StatusCode::BAD_REQUEST, "n must be a number\n"),
    };
    let list: Vec<Value> = (1..=n).map(item).collect();
    let body = serde_json::to_vec(&list).unwrap_or_default();
    let codings: Vec<String> = match param("coding") {
        Some(forced) => forced
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect(),
        None => negotiate(headers.get(ACCEPT_ENCODING))
            .map(str::to_owned)
            .into_iter()
            .collect(),
    };
    let mut encoded = body;
    let mut names = Vec::new();
    for coding in &codings {
        let (name, bytes) = encode(coding, encoded);
        encoded = bytes;
        names.push(name);
    }
    let mut response = ([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], encoded).into_response();
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if !names.is_empty()
        && let Ok(value) = HeaderValue::from_str(&names.join(", "))
    {
        response.headers_mut().insert(CONTENT_ENCODING, value);
    }
    response
}

/// Item `i` of `/items`.
fn item(i: usize) -> Value {
    let tags: Vec<&str> = ["fresh", "local", "organic"].into_iter().take(i % 4).collect();
    json!({
        "id": i,
        "name": format!("item-{i}"),
        "in-stock": !i.is_multiple_of(3),
        "price": (i * 7) % 50 + 1,
        "tags": tags,
        "note": "a line of text that makes the item the size of a typical API record",
    })
}

/// The most preferred of [`OFFERED`] that `Accept-Encoding` accepts (q > 0, by name or `*`), if any.
fn negotiate(accept: Option<&HeaderValue>) -> Option<&'static str> {
    let accept = accept?.to_str().ok()?;
    let weight = |name: &str| -> Option<f32> {
        accept.split(',').find_map(|entry| {
            let mut parts = entry.split(';');
            let coding = parts.next()?.trim();
            if !coding.eq_ignore_ascii_case(name) && coding != "*" {
                return None;
            }
            let q = parts
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                })
                .unwrap_or(1.0);
            Some(q)
        })
    };
    OFFERED.into_iter().find(|c| weight(c).is_some_and(|q| q > 0.0))
}

/// `body` encoded in `coding`, and the name the header gives it.
fn encode(coding: &str, body: Vec<u8>) -> (String, Vec<u8>) {
    let level = flate2::Compression::default();
    match coding.to_ascii_lowercase().as_str() {
        "gzip" => ("gzip".into(), finish_gzip(&body, level).unwrap_or_default()),
        "deflate" => ("deflate".into(), finish_zlib(&body, level).unwrap_or_default()),
        "deflate-raw" => ("deflate".into(), finish_raw(&body, level).unwrap_or_default()),
        "br" => {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                let _ = w.write_all(&body);
            }
            ("br".into(), out)
        }
        "zstd" => (
            "zstd".into(),
            ruzstd::encoding::compress_to_vec(&body[..], ruzstd::encoding::CompressionLevel::Fastest),
        ),
        other => (other.to_owned(), body),
    }
}

fn finish_gzip(body: &[u8], level: flate2::Compression) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
    e.write_all(body)?;
    e.finish()
}

fn finish_zlib(body: &[u8], level: flate2::Compression) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
    e.write_all(body)?;
    e.finish()
}

fn finish_raw(body: &[u8], level: flate2::Compression) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), level);
    e.write_all(body)?;
    e.finish()
}

/// One MiB of zeros as deflate blocks ending on a byte boundary (a sync flush), and its CRC-32: the
/// bomb repeats it. Its back-references reach only into its own output, so any number of copies in a
/// row is a valid deflate stream.
fn zero_block() -> &'static (Bytes, flate2::Crc) {
    static BLOCK: OnceLock<(Bytes, flate2::Crc)> = OnceLock::new();
    BLOCK.get_or_init(|| {
        let zeros = vec![0u8; 1 << 20];
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = e.write_all(&zeros);
        let _ = e.flush();
        let block = std::mem::take(e.get_mut());
        let mut crc = flate2::Crc::new();
        crc.update(&zeros);
        (Bytes::from(block), crc)
    })
}

/// `GET /gzip-bomb?mib=<n>`: `Content-Encoding: gzip`, `text/plain`, decoding to `n` MiB of zeros
/// (default 1024, at most 4096), about 1 KiB on the wire per MiB, streamed.
pub(crate) async fn gzip_bomb(uri: Uri) -> Response {
    let pairs = query_pairs(uri.query());
    let mib = match pairs.iter().find(|(n, _)| n == "mib").map(|(_, v)| v.parse::<u64>()) {
        None => 1024,
        Some(Ok(n)) => n.min(MAX_BOMB_MIB),
        Some(Err(_)) => return text(StatusCode::BAD_REQUEST, "mib must be a number\n"),
    };
    let (block, block_crc) = zero_block();
    let mut crc = flate2::Crc::new();
    for _ in 0..mib {
        crc.combine(block_crc);
    }
    // ISIZE is the size modulo 2^32.
    let size = ((mib << 20) & 0xffff_ffff) as u32;
    let header = Bytes::from_static(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    // The last block: final, fixed Huffman codes, nothing but the end-of-block code.
    let mut trailer = vec![0x03, 0x00];
    trailer.extend_from_slice(&crc.sum().to_le_bytes());
    trailer.extend_from_slice(&size.to_le_bytes());
    let blocks = std::iter::repeat_n(block.clone(), usize::try_from(mib).unwrap_or(0));
    let parts = std::iter::once(header)
        .chain(blocks)
        .chain(std::iter::once(Bytes::from(trailer)))
        .map(Ok::<_, Infallible>);
    let body = Body::from_stream(futures_util::stream::iter(parts));
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/plain")),
            (CONTENT_ENCODING, HeaderValue::from_static("gzip")),
        ],
        body,
    )
        .into_response()
}

/// The pages of `/charset/<name>`: the label the page declares, the encoder, and a text in a script
/// the charset covers.
const PAGES: &[(&str, &str, &str)] = &[
    ("latin1", "iso-8859-1", "Crème brûlée, naïve façade, Zürich"),
    ("gb2312", "gb2312", "你好，世界。压力测试。"),
    ("windows-1256", "windows-1256", "مرحبا بالعالم"),
    ("utf-8", "utf-8", "Grüße, 你好, مرحبا"),
];

/// `GET /charset/<name>?in=header|meta|none`: an HTML page whose `<p id="text">` and `<title>` hold a
/// text (`latin1`: French and German; `gb2312`: Chinese; `windows-1256`: Arabic; `utf-8`: all three),
/// encoded in that charset and declared in the `Content-Type` (`header`, the default), in a
/// `<meta charset>` only (`meta`), or nowhere (`none`).
pub(crate) async fn charset(Path(name): Path<String>, uri: Uri) -> Response {
    let Some(&(_, label, sample)) = PAGES.iter().find(|(n, _, _)| *n == name) else {
        return text(
            StatusCode::NOT_FOUND,
            "no such page: latin1, gb2312, windows-1256 or utf-8\n",
        );
    };
    let pairs = query_pairs(uri.query());
    let place = pairs
        .iter()
        .find(|(n, _)| n == "in")
        .map_or("header", |(_, v)| v.as_str());
    let meta = if place == "meta" {
        format!("<meta charset=\"{label}\">")
    } else {
        String::new()
    };
    let page = format!(
        "<!DOCTYPE html>\n<html><head>{meta}<title>{sample}</title></head>\n<body><p id=\"text\">{sample}</p></body></html>\n"
    );
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let (bytes, _, _) = encoding.encode(&page);
    let content_type = match place {
        "header" => format!("text/html; charset={label}"),
        _ => "text/html".to_owned(),
    };
    let content_type = HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("text/html"));
    ([(CONTENT_TYPE, content_type)], bytes.into_owned()).into_response()
}

/// An Atom feed: the default namespace is Atom's, and Dublin Core's elements have the `dc` prefix.
const FEED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <title>stressor feed</title>
  <id>urn:stressor:feed</id>
  <entry xml:lang="en">
    <title>First post</title>
    <id>urn:stressor:1</id>
    <dc:creator>Ada</dc:creator>
  </entry>
  <entry xml:lang="fr">
    <title>Deuxième</title>
    <id>urn:stressor:2</id>
    <dc:creator>Grace</dc:creator>
  </entry>
</feed>
"#;

/// `GET /xml`: the Atom feed above, `application/atom+xml`.
pub(crate) async fn xml() -> Response {
    ([(CONTENT_TYPE, HeaderValue::from_static("application/atom+xml"))], FEED).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_picks_the_most_preferred_accepted_coding() {
        let pick = |h: &str| negotiate(Some(&HeaderValue::from_str(h).unwrap()));
        assert_eq!(pick("gzip, deflate, br, zstd"), Some("br"));
        assert_eq!(pick("gzip;q=1.0, deflate"), Some("gzip"));
        assert_eq!(pick("br;q=0, gzip"), Some("gzip"));
        assert_eq!(pick("*"), Some("br"));
        assert_eq!(pick("identity"), None);
        assert_eq!(negotiate(None), None);
    }

    #[test]
    fn the_bomb_is_a_valid_gzip_stream() {
        use std::io::Read;
        let (block, crc) = zero_block();
        assert!(block.len() < 2048, "{}", block.len());
        assert_eq!(crc.amount(), 1 << 20);
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let body = runtime.block_on(async {
            let response = gzip_bomb("/gzip-bomb?mib=3".parse().unwrap()).await;
            axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap()
        });
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut decoded)
            .expect("valid gzip, CRC and size");
        assert_eq!(decoded.len(), 3 << 20);
        assert!(decoded.iter().all(|b| *b == 0));
    }
}
