//! The read-only document root: a directory on disk, or the demo files embedded in the binary.
//!
//! The embedded root exists so `stressor target` (and the README's quick start) works on a fresh
//! machine: it holds the original stressor's WsgiDAV fixture files, so scenarios written for that
//! setup find the same documents here.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use axum::body::Bytes;

/// One file of the embedded demo root.
struct EmbeddedFile {
    path: &'static str,
    bytes: &'static [u8],
}

/// The original stressor's test fixtures (`tests/fixtures/htdocs`, MIT-licensed), served when no root
/// directory is given.
const EMBEDDED: &[EmbeddedFile] = &[
    EmbeddedFile {
        path: "/mock_login_response.json",
        bytes: include_bytes!("htdocs/mock_login_response.json"),
    },
    EmbeddedFile {
        path: "/private/test.html",
        bytes: include_bytes!("htdocs/private/test.html"),
    },
    EmbeddedFile {
        path: "/test1.json",
        bytes: include_bytes!("htdocs/test1.json"),
    },
    EmbeddedFile {
        path: "/wsgidav_test_file.txt",
        bytes: include_bytes!("htdocs/wsgidav_test_file.txt"),
    },
];

/// A name inside a directory, as shown in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub name: String,
    pub is_dir: bool,
}

/// What a path resolves to in the document root.
pub(crate) enum Node {
    /// A file; `body` is `None` when the caller only wanted its size (HEAD on a disk file).
    File {
        body: Option<Bytes>,
        len: u64,
    },
    /// A directory and its entries, sorted by name.
    Dir(Vec<DirEntry>),
    Missing,
}

/// Where static documents come from.
pub(crate) enum DocRoot {
    Embedded,
    Dir(PathBuf),
}

impl DocRoot {
    /// Resolves a cleaned key (see [`clean_path`]) to a file or directory.
    ///
    /// Disk errors other than "not found" are returned so the handler can tell a missing file from an
    /// unreadable one instead of hiding permission problems behind a 404.
    pub(crate) async fn lookup(&self, key: &str, with_body: bool) -> io::Result<Node> {
        match self {
            DocRoot::Embedded => Ok(embedded_lookup(key)),
            DocRoot::Dir(root) => disk_lookup(&disk_path(root, key), with_body).await,
        }
    }
}

fn embedded_lookup(key: &str) -> Node {
    if let Some(file) = EMBEDDED.iter().find(|f| f.path == key) {
        return Node::File {
            body: Some(Bytes::from_static(file.bytes)),
            len: file.bytes.len() as u64,
        };
    }
    let prefix = dir_prefix(key);
    let mut entries = BTreeMap::new();
    for file in EMBEDDED {
        if let Some(rest) = file.path.strip_prefix(prefix.as_str()) {
            let (name, is_dir) = match rest.split_once('/') {
                Some((dir, _)) => (dir, true),
                None => (rest, false),
            };
            entries.insert(name.to_owned(), is_dir);
        }
    }
    if entries.is_empty() && key != "/" {
        return Node::Missing;
    }
    Node::Dir(into_entries(entries))
}

fn disk_path(root: &Path, key: &str) -> PathBuf {
    let mut path = root.to_path_buf();
    path.extend(key.split('/').filter(|s| !s.is_empty()));
    path
}

async fn disk_lookup(path: &Path, with_body: bool) -> io::Result<Node> {
    let meta = match tokio::fs::metadata(path).await {
        Ok(meta) => meta,
        Err(err) if is_missing(&err) => return Ok(Node::Missing),
        Err(err) => return Err(err),
    };
    if meta.is_dir() {
        let mut entries = BTreeMap::new();
        let mut dir = tokio::fs::read_dir(path).await?;
        while let Some(entry) = dir.next_entry().await? {
            let is_dir = entry.file_type().await.map(|t| t.is_dir()).unwrap_or(false);
            entries.insert(entry.file_name().to_string_lossy().into_owned(), is_dir);
        }
        return Ok(Node::Dir(into_entries(entries)));
    }
    let body = if with_body {
        match tokio::fs::read(path).await {
            Ok(bytes) => Some(Bytes::from(bytes)),
            Err(err) if is_missing(&err) => return Ok(Node::Missing),
            Err(err) => return Err(err),
        }
    } else {
        None
    };
    let len = body.as_ref().map_or(meta.len(), |b| b.len() as u64);
    Ok(Node::File { body, len })
}

fn is_missing(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

/// `"/a"` -> `"/a/"`, `"/"` -> `"/"`: the prefix shared by everything inside a directory key.
pub(crate) fn dir_prefix(key: &str) -> String {
    if key.ends_with('/') {
        key.to_owned()
    } else {
        format!("{key}/")
    }
}

pub(crate) fn into_entries(entries: BTreeMap<String, bool>) -> Vec<DirEntry> {
    entries
        .into_iter()
        .map(|(name, is_dir)| DirEntry { name, is_dir })
        .collect()
}

/// Why a request path cannot name a document.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BadPath {
    /// A `..` segment: it would let a request escape the root directory.
    Traversal,
    /// Not UTF-8 after decoding, or containing a backslash or NUL, which mean different things on
    /// different platforms and have no business in a test URL.
    Invalid,
}

/// Decodes a raw URI path into a canonical key (`"/"` or `"/a/b"`): empty and `.` segments dropped,
/// `..` refused rather than resolved, so a key can never point outside the root.
pub(crate) fn clean_path(raw: &str) -> Result<String, BadPath> {
    let decoded = String::from_utf8(super::codec::percent_decode(raw, false)).map_err(|_| BadPath::Invalid)?;
    let mut key = String::with_capacity(decoded.len() + 1);
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(BadPath::Traversal),
            s if s.contains(['\\', '\0']) => return Err(BadPath::Invalid),
            s => {
                key.push('/');
                key.push_str(s);
            }
        }
    }
    if key.is_empty() {
        key.push('/');
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_path_normalizes_and_refuses_traversal() {
        assert_eq!(clean_path("/"), Ok("/".into()));
        assert_eq!(clean_path(""), Ok("/".into()));
        assert_eq!(clean_path("//a/./b/"), Ok("/a/b".into()));
        assert_eq!(clean_path("/a%20b/c~1.txt"), Ok("/a b/c~1.txt".into()));
        assert_eq!(clean_path("/a/../b"), Err(BadPath::Traversal));
        assert_eq!(clean_path("/%2e%2E/etc"), Err(BadPath::Traversal));
        assert_eq!(clean_path("/a/..%2fsecret"), Err(BadPath::Traversal));
        assert_eq!(clean_path("/a%5c..%5cb"), Err(BadPath::Invalid));
        assert_eq!(clean_path("/%ff"), Err(BadPath::Invalid));
    }

    #[test]
    fn embedded_root_lists_files_and_subdirectories() {
        let Node::Dir(entries) = embedded_lookup("/") else {
            panic!("root is a directory");
        };
        let names: Vec<_> = entries.iter().map(|e| (e.name.as_str(), e.is_dir)).collect();
        assert_eq!(
            names,
            [
                ("mock_login_response.json", false),
                ("private", true),
                ("test1.json", false),
                ("wsgidav_test_file.txt", false)
            ]
        );
        assert!(matches!(embedded_lookup("/private"), Node::Dir(e) if e.len() == 1));
        assert!(matches!(embedded_lookup("/priv"), Node::Missing));
        assert!(matches!(embedded_lookup("/test1.json"), Node::File { len: 15, .. }));
    }
}
