//! `multipart/form-data` bodies (RFC 7578), the same on every transport: text fields and file parts in
//! the order written, a fresh boundary per request.
//!
//! The body is built in memory: every transport takes a request body as one buffer, which a 307/308
//! redirect sends again. The files' bytes were read when the scenario loaded and are shared by every
//! request (`MultipartFile::bytes`); each request copies them once into its body, bounded by the
//! loader's limit on a file part (64 MiB, `scenario::validate::request_extras::MAX_MULTIPART_FILE`).

use super::request::Body;
use bytes::{BufMut, Bytes, BytesMut};

/// One part of a body, expanded.
#[derive(Debug)]
pub enum Part {
    /// A text field: name and value.
    Text(String, String),
    /// A file: field name, file name, content type and bytes.
    File {
        /// The field name.
        name: String,
        /// The `filename` parameter.
        filename: String,
        /// The part's `Content-Type`.
        content_type: String,
        /// The file's bytes.
        bytes: Bytes,
    },
}

/// A boundary for one request: 32 random alphanumerics after a fixed prefix (70 characters at most,
/// RFC 2046 §5.1.1), so it cannot occur in a part by accident and a repeat is vanishingly unlikely.
fn boundary() -> String {
    let mut b = String::from("stressor-");
    b.extend(std::iter::repeat_with(fastrand::alphanumeric).take(32));
    b
}

/// A field name or file name inside the quoted parameters of `Content-Disposition`: `"`, CR and LF
/// percent-encoded, as browsers do (the HTML standard's multipart/form-data encoding).
fn quoted(text: &str) -> String {
    text.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

impl Body {
    /// A `multipart/form-data` body of `parts`, with a boundary of its own.
    pub fn multipart(parts: &[Part]) -> Self {
        let boundary = boundary();
        let size: usize = parts
            .iter()
            .map(|p| match p {
                Part::Text(n, v) => n.len() + v.len() + 128,
                Part::File {
                    name, filename, bytes, ..
                } => name.len() + filename.len() + bytes.len() + 192,
            })
            .sum();
        let mut out = BytesMut::with_capacity(size + boundary.len() * (parts.len() + 1));
        for part in parts {
            out.put_slice(b"--");
            out.put_slice(boundary.as_bytes());
            out.put_slice(b"\r\n");
            match part {
                Part::Text(name, value) => {
                    let head = format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", quoted(name));
                    out.put_slice(head.as_bytes());
                    out.put_slice(value.as_bytes());
                }
                Part::File {
                    name,
                    filename,
                    content_type,
                    bytes,
                } => {
                    let head = format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {content_type}\r\n\r\n",
                        quoted(name),
                        quoted(filename)
                    );
                    out.put_slice(head.as_bytes());
                    out.put_slice(bytes);
                }
            }
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"--");
        out.put_slice(boundary.as_bytes());
        out.put_slice(b"--\r\n");
        Body {
            bytes: out.freeze(),
            content_type: Some(format!("multipart/form-data; boundary={boundary}").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_framed_by_a_fresh_boundary() {
        let parts = [
            Part::Text("a\"b".into(), "1".into()),
            Part::File {
                name: "f".into(),
                filename: "x.txt".into(),
                content_type: "text/plain".into(),
                bytes: Bytes::from_static(b"hi\r\n"),
            },
        ];
        let body = Body::multipart(&parts);
        let ct = body.content_type.clone().expect("content type");
        let boundary = ct
            .strip_prefix("multipart/form-data; boundary=")
            .expect("boundary")
            .to_owned();
        let text = String::from_utf8(body.bytes.to_vec()).expect("utf-8");
        assert_eq!(
            text,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"a%22b\"\r\n\r\n1\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\nContent-Type: text/plain\r\n\r\nhi\r\n\r\n--{boundary}--\r\n"
            )
        );
        assert_ne!(Body::multipart(&parts).content_type, Some(ct));
    }
}
