//! The manual's Markdown as mdBook reads it (pulldown-cmark, mdBook's own parser): fenced code blocks
//! with their info strings, the anchors mdBook gives headings, and links.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The repository root: paths in info strings (`file=`, `cwd=`) are relative to it.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One Markdown file: `README.md` or a page under `docs/src/`.
pub struct Page {
    /// Relative to the repository root, with `/`.
    pub path: String,
    pub text: String,
    pub blocks: Vec<Block>,
    /// The ids mdBook gives the page's headings, in order.
    pub anchors: Vec<String>,
    pub links: Vec<Link>,
}

/// A fenced code block.
pub struct Block {
    pub info: Info,
    pub code: String,
    /// The line of the opening fence, from 1.
    pub line: usize,
    /// Where `code` is in the page's text (what a rewrite replaces).
    pub content: Range<usize>,
}

/// A link's destination and the line it is on.
pub struct Link {
    pub dest: String,
    pub line: usize,
}

/// A fence's info string: the language (`yaml`), flags (`run`, `broken`, and rustdoc's `,ignore`) and
/// `key=value` attributes (`fragment=sequence`, `skip="why"`).
#[derive(Default)]
pub struct Info {
    pub lang: String,
    pub flags: Vec<String>,
    pub attrs: BTreeMap<String, String>,
}

impl Info {
    /// Splits an info string; a quoted value may hold spaces.
    pub fn parse(text: &str) -> Result<Info, String> {
        let mut info = Info::default();
        let mut rest = text.trim();
        let first_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let mut first = rest[..first_end].split(',');
        info.lang = first.next().unwrap_or_default().to_string();
        info.flags.extend(first.map(str::to_string));
        rest = rest[first_end..].trim_start();
        while !rest.is_empty() {
            let word_end = rest.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(rest.len());
            let key = rest[..word_end].to_string();
            rest = &rest[word_end..];
            if let Some(after) = rest.strip_prefix('=') {
                let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
                    let end = quoted.find('"').ok_or_else(|| format!("unclosed quote in `{text}`"))?;
                    (&quoted[..end], &quoted[end + 1..])
                } else {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                };
                info.attrs.insert(key, value.to_string());
                rest = tail;
            } else {
                info.flags.push(key);
            }
            rest = rest.trim_start();
        }
        Ok(info)
    }

    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).map(String::as_str)
    }

    /// Every flag and attribute key, for the check that none is misspelt.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.flags
            .iter()
            .map(String::as_str)
            .chain(self.attrs.keys().map(String::as_str))
    }
}

impl Page {
    /// Reads and parses `path` (relative to the repository root).
    pub fn read(path: &str) -> Page {
        let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        Page::parse(path, text)
    }

    pub fn parse(path: &str, text: String) -> Page {
        let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
        let mut blocks = Vec::new();
        let mut links = Vec::new();
        let mut headings: Vec<String> = Vec::new();
        let mut heading: Option<String> = None;
        let mut code: Option<(Info, String, usize, Range<usize>)> = None;
        for (event, range) in Parser::new_ext(&text, Options::all()).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                    let info = Info::parse(&info).unwrap_or_else(|e| panic!("{path}:{}: {e}", line_of(range.start)));
                    // The content lies between the opening fence's line and the closing fence's.
                    let start = range.start + text[range.start..].find('\n').map_or(0, |n| n + 1);
                    let before_close = text[..range.end].trim_end_matches('\n');
                    let end = before_close.rfind('\n').map_or(start, |n| n + 1).max(start);
                    code = Some((info, String::new(), line_of(range.start), start..end));
                }
                Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                    panic!(
                        "{path}:{}: an indented code block; fence it and name its language",
                        line_of(range.start)
                    )
                }
                Event::Text(t) if code.is_some() => {
                    if let Some((_, body, _, _)) = code.as_mut() {
                        body.push_str(&t);
                    }
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((info, code_text, line, content)) = code.take() {
                        blocks.push(Block {
                            info,
                            code: code_text,
                            line,
                            content,
                        });
                    }
                }
                Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
                Event::Text(t) | Event::Code(t) if heading.is_some() => {
                    if let Some(h) = heading.as_mut() {
                        h.push_str(&t);
                    }
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(h) = heading.take() {
                        headings.push(h);
                    }
                }
                Event::Start(Tag::Link { dest_url, .. }) => links.push(Link {
                    dest: dest_url.to_string(),
                    line: line_of(range.start),
                }),
                _ => {}
            }
        }
        let anchors = unique_ids(&headings);
        Page {
            path: path.to_string(),
            text,
            blocks,
            anchors,
            links,
        }
    }

    /// The folder links and relative paths of this page start from.
    pub fn dir(&self) -> PathBuf {
        root()
            .join(&self.path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// mdBook's heading ids: lower case, letters, digits, `_` and `-` kept, spaces become `-`, anything
/// else dropped; a repeated id gets `-1`, `-2`, ...
fn unique_ids(headings: &[String]) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    headings
        .iter()
        .map(|h| {
            let id: String = h
                .trim()
                .chars()
                .filter_map(|c| {
                    if c.is_alphanumeric() || c == '_' || c == '-' {
                        Some(c.to_ascii_lowercase())
                    } else if c.is_whitespace() {
                        Some('-')
                    } else {
                        None
                    }
                })
                .collect();
            let n = seen.entry(id.clone()).or_insert(0);
            let unique = if *n == 0 { id } else { format!("{id}-{n}") };
            *n += 1;
            unique
        })
        .collect()
}

/// `README.md` and every page under `docs/src/`, sorted.
pub fn pages() -> Vec<Page> {
    let mut paths = vec!["README.md".to_string()];
    let mut stack = vec![root().join("docs/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let rel = path.strip_prefix(root()).expect("under the root");
                paths.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    paths.sort();
    paths.iter().map(|p| Page::read(p)).collect()
}

#[test]
fn info_strings_split_into_language_flags_and_attributes() {
    let info = Info::parse(r#"rust,ignore file=examples/x.rs skip="two words" run"#).unwrap();
    assert_eq!(info.lang, "rust");
    assert_eq!(info.flags, ["ignore", "run"]);
    assert_eq!(info.get("file"), Some("examples/x.rs"));
    assert_eq!(info.get("skip"), Some("two words"));
    assert_eq!(
        unique_ids(&[
            "`stressor run`".into(),
            "TLS, HTTP/2 and connections".into(),
            "`stressor run`".into()
        ]),
        ["stressor-run", "tls-http2-and-connections", "stressor-run-1"]
    );
}
