//! Charsets: which encoding a text body is read in, for every check that reads text.
//!
//! In order, the first that names one wins (labels as the WHATWG Encoding Standard defines them, so
//! `iso-8859-1` reads as windows-1252 and `gb2312` as GBK, as browsers do):
//!
//! 1. the `charset` parameter of `Content-Type`;
//! 2. a byte order mark (UTF-8, UTF-16LE, UTF-16BE);
//! 3. for an HTML body (`text/html`, `application/xhtml+xml`, or no `Content-Type`), a `<meta charset>`
//!    or `<meta http-equiv="Content-Type" content="...; charset=...">` in its first 1024 bytes; for an
//!    XML body (`*/xml`, `*+xml`), the `encoding` of its XML declaration;
//! 4. UTF-8.
//!
//! A label encoding_rs does not know is skipped (the next rule decides) and named in the note. Bytes
//! that are malformed in the chosen encoding become U+FFFD, and [`Charset::note`] says which charset
//! was used, so a failure on such a body can say why its text looks wrong.

use encoding_rs::{Encoding, UTF_8};
use std::borrow::Cow;
use std::sync::OnceLock;

/// How far into an HTML or XML body a declaration is looked for (the HTML prescan's limit).
const PRESCAN: usize = 1024;

/// Where the charset of a body came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `Content-Type: ...; charset=...`.
    ContentType,
    /// A byte order mark.
    Bom,
    /// `<meta charset>` or `<meta http-equiv>` in an HTML body.
    Meta,
    /// `<?xml ... encoding="..."?>`.
    XmlDeclaration,
    /// Nothing named one.
    Default,
}

/// The charset a body is read in, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charset {
    /// The decoder.
    pub encoding: &'static Encoding,
    /// Where it was named.
    pub source: Source,
    /// The label as written (`iso-8859-1`), when one was.
    pub label: Option<String>,
    /// A label that named no known encoding and was skipped.
    pub unknown: Option<String>,
}

/// A body read as text.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text.
    pub text: Cow<'a, str>,
    /// The charset it was read in.
    pub charset: Charset,
    /// Whether malformed bytes were replaced by U+FFFD.
    pub replaced: bool,
}

/// Reads `body` as text, in the charset the rules above choose.
pub fn decode<'a>(body: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    let charset = detect(body, content_type);
    // A BOM is not part of the text: dropped when it is the chosen encoding's (always so when the BOM
    // chose it); a BOM of another encoding than a declared one is read as text in the declared one.
    let (text, replaced) = charset.encoding.decode_with_bom_removal(body);
    Decoded {
        text,
        charset,
        replaced,
    }
}

/// Which charset `body` is read in (see the module documentation).
pub fn detect(body: &[u8], content_type: Option<&str>) -> Charset {
    let mut unknown = None;
    if let Some(label) = content_type.and_then(charset_param) {
        match Encoding::for_label(label.as_bytes()) {
            Some(encoding) => return named(encoding, Source::ContentType, label, unknown),
            None => unknown = Some(label.to_owned()),
        }
    }
    if let Some((encoding, _)) = Encoding::for_bom(body) {
        return Charset {
            encoding,
            source: Source::Bom,
            label: None,
            unknown,
        };
    }
    let kind = content_type.map(media_type);
    let declared = match kind {
        None | Some(Media::Html) => meta_charset(body).map(|l| (l, Source::Meta)),
        Some(Media::Xml) => xml_encoding(body).map(|l| (l, Source::XmlDeclaration)),
        Some(Media::Other) => None,
    };
    if let Some((label, source)) = declared {
        match Encoding::for_label(label.as_bytes()) {
            // A document that says it is UTF-16 in ASCII bytes is not UTF-16 (WHATWG: read it as UTF-8).
            Some(encoding) if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE => {}
            Some(encoding) => return named(encoding, source, &label, unknown),
            None => unknown = unknown.or(Some(label)),
        }
    }
    Charset {
        encoding: UTF_8,
        source: Source::Default,
        label: None,
        unknown,
    }
}

fn named(encoding: &'static Encoding, source: Source, label: &str, unknown: Option<String>) -> Charset {
    Charset {
        encoding,
        source,
        label: Some(label.to_owned()),
        unknown,
    }
}

impl Charset {
    /// Whether reading the body needs saying: anything but UTF-8 found by default or declared as
    /// UTF-8, or a skipped label.
    pub fn is_notable(&self) -> bool {
        self.encoding != UTF_8 || self.unknown.is_some()
    }

    /// How a message names it: `windows-1252 (Content-Type charset=iso-8859-1)`, `GBK (<meta
    /// charset=gb2312>)`, `UTF-8 (the default; charset=latin-9x is unknown)`.
    pub fn describe(&self) -> String {
        let name = self.encoding.name();
        let label = self.label.as_deref().unwrap_or("");
        let mut why = match self.source {
            Source::ContentType => format!("Content-Type charset={label}"),
            Source::Bom => "byte order mark".to_owned(),
            Source::Meta => format!("<meta> charset={label}"),
            Source::XmlDeclaration => format!("XML declaration encoding={label}"),
            Source::Default => "the default".to_owned(),
        };
        if let Some(unknown) = &self.unknown {
            why.push_str(&format!("; charset `{unknown}` is unknown"));
        }
        format!("{name} ({why})")
    }
}

/// What kind of document a `Content-Type` names, for where a charset may be declared inside it.
enum Media {
    Html,
    Xml,
    Other,
}

fn media_type(content_type: &str) -> Media {
    // Compared without a lower-cased copy: this runs for every body a check reads.
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let ends_with = |suffix: &str| {
        essence.len() >= suffix.len()
            && essence.is_char_boundary(essence.len() - suffix.len())
            && essence[essence.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    if essence.eq_ignore_ascii_case("text/html") || essence.eq_ignore_ascii_case("application/xhtml+xml") {
        Media::Html
    } else if ends_with("/xml") || ends_with("+xml") {
        Media::Xml
    } else {
        Media::Other
    }
}

/// The `charset` parameter of a `Content-Type` value, unquoted.
pub(crate) fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).trim())
            .filter(|v| !v.is_empty())
    })
}

/// The charset a `<meta>` tag in the first [`PRESCAN`] bytes declares: a simplified form of the
/// HTML prescan (no attribute-by-attribute parsing, which pages that declare a charset do not need).
fn meta_charset(body: &[u8]) -> Option<String> {
    static META: OnceLock<Option<regex::bytes::Regex>> = OnceLock::new();
    let re = META
        .get_or_init(|| {
            regex::bytes::Regex::new(r#"(?i-u)<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:+-]+)"#).ok()
        })
        .as_ref()?;
    let head = &body[..body.len().min(PRESCAN)];
    let label = re.captures(head)?.get(1)?;
    Some(String::from_utf8_lossy(label.as_bytes()).into_owned())
}

/// The `encoding` of an XML declaration at the start of the body.
fn xml_encoding(body: &[u8]) -> Option<String> {
    static DECL: OnceLock<Option<regex::bytes::Regex>> = OnceLock::new();
    let re = DECL
        .get_or_init(|| {
            regex::bytes::Regex::new(r#"(?-u)\A<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:+-]+)["']"#).ok()
        })
        .as_ref()?;
    let head = &body[..body.len().min(PRESCAN)];
    let label = re.captures(head)?.get(1)?;
    Some(String::from_utf8_lossy(label.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &[u8], content_type: Option<&str>) -> (String, String, bool) {
        let d = decode(body, content_type);
        (d.text.into_owned(), d.charset.encoding.name().to_owned(), d.replaced)
    }

    #[test]
    fn the_content_type_charset_wins() {
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("café crème");
        assert_eq!(
            read(&latin1, Some("text/plain; charset=ISO-8859-1")),
            ("café crème".into(), "windows-1252".into(), false)
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("你好，世界");
        assert_eq!(
            read(&gbk, Some("text/html;charset=\"gb2312\"")),
            ("你好，世界".into(), "GBK".into(), false)
        );
        let (arabic, _, _) = encoding_rs::WINDOWS_1256.encode("مرحبا");
        assert_eq!(read(&arabic, Some("text/plain; charset=windows-1256")).0, "مرحبا");
    }

    #[test]
    fn a_bom_then_a_declaration_in_the_document_then_utf_8() {
        assert_eq!(read(b"\xEF\xBB\xBFhi", None), ("hi".into(), "UTF-8".into(), false));
        assert_eq!(read(b"\xFF\xFEh\0i\0", Some("text/plain")).0, "hi");
        let html = b"<html><head><meta charset=\"iso-8859-1\"><title>caf\xe9</title>";
        assert_eq!(read(html, Some("text/html")).1, "windows-1252");
        let equiv = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1256\">";
        assert_eq!(read(equiv, None).1, "windows-1256");
        // Only HTML is searched for <meta>; a JSON body that mentions one is still UTF-8.
        assert_eq!(read(html, Some("application/json")).1, "UTF-8");
        let xml = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
        assert_eq!(
            read(xml, Some("application/atom+xml")).0,
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>café</a>"
        );
        assert_eq!(
            read("ünïcode".as_bytes(), Some("application/json")),
            ("ünïcode".into(), "UTF-8".into(), false)
        );
    }

    #[test]
    fn malformed_bytes_are_replaced_and_unknown_labels_are_said() {
        assert_eq!(read(b"a\xffb", None), ("a\u{fffd}b".into(), "UTF-8".into(), true));
        let charset = detect(b"x", Some("text/plain; charset=klingon"));
        assert_eq!(charset.encoding, UTF_8);
        assert!(charset.is_notable());
        assert_eq!(charset.describe(), "UTF-8 (the default; charset `klingon` is unknown)");
        let latin = detect(b"x", Some("text/plain; charset=latin1"));
        assert_eq!(latin.describe(), "windows-1252 (Content-Type charset=latin1)");
        assert!(!detect(b"x", Some("text/plain; charset=utf-8")).is_notable());
    }
}
