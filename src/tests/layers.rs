//! The modules form layers (SPEC §11) and nothing imports upward: this test reads every file under
//! `src/` and fails on a `crate::` path (in a `use` or anywhere in code, tests included) from a module
//! to one of a higher layer. Comments and string literals are not code and are skipped, so a doc link
//! to a higher layer is fine. The crate's module docs (`src/lib.rs`, "Layers") show the same order;
//! the second test keeps the two the same.

use std::path::{Path, PathBuf};

/// The layers, bottom up. A module may import from the layers below its own, never from its own
/// layer's other modules or from above. The crate root (`lib.rs`, `src/tests/`) sits above them all.
const LAYERS: &[&[&str]] = &[
    // Leaves: they import nothing of stressor. The target server shares no code with the client it
    // serves, so a bug in one cannot hide the same bug in the other.
    &["features", "rfc3339", "target"],
    &["expand"],
    &["redact"],
    &["scenario"],
    &["check"],
    &["http"],
    // `fuzzing` is the fuzz targets' entry into the client; it needs nothing above it.
    &["activity", "fuzzing"],
    &["stats"],
    &["run"],
    &["verdict"],
    // Capacity search and A/B measurement run and judge (the reports draw their results); observability exports a
    // run's measurements and judgement (metrics, the request log).
    &["search", "ab", "observe"],
    &["report"],
    // Beside the reports: the cargo harness, the live dashboard, HAR import, and the coordinator of
    // distributed runs (it merges and judges shards' results as `report` does).
    &["harness", "monitor", "har", "coordinate"],
    &["cli"],
];

/// The layer of a top-level module, if it has one.
fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// An import from a lower layer to a higher one (or within a layer).
#[derive(Debug, PartialEq)]
struct Upward {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to; `None` for the crate root (`lib.rs`, the root's
/// tests) and the binary (`main.rs`, a crate of its own).
fn top_module(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    match name {
        "lib" | "main" | "tests" => None,
        _ => Some(name.to_owned()),
    }
}

/// The code of a Rust file with comments and the contents of string and character literals blanked
/// out (newlines kept, so offsets keep their line).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank = |out: &mut Vec<u8>, c: u8| out.push(if c == b'\n' { b'\n' } else { b' ' });
    let mut i = 0;
    while i < b.len() {
        let ident_at = |j: usize| b[j].is_ascii_alphanumeric() || b[j] == b'_';
        // `r"…"` and `br"…"` start raw strings; `for"…"` does not.
        let raw_prefix = i == 0 || !ident_at(i - 1) || (b[i - 1] == b'b' && (i < 2 || !ident_at(i - 2)));
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
        } else if b[i] == b'r' && raw_prefix && matches!(b.get(i + 1), Some(b'"' | b'#')) {
            // A raw string: r"..." or r#"..."#, with as many `#` at the end as at the start.
            let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
            if b.get(i + 1 + hashes) != Some(&b'"') {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let mut end = b"\"".to_vec();
            end.extend(std::iter::repeat_n(b'#', hashes));
            out.push(b'r');
            i += 1;
            let body_start = i + hashes + 1;
            let close = b[body_start..]
                .windows(end.len())
                .position(|w| w == end.as_slice())
                .map_or(b.len(), |p| body_start + p + end.len());
            while i < close {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if b[i] == b'"' {
            out.push(b' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                if i < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            out.push(b' ');
            i += 1;
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '"'), or a lifetime ('a), which is left as it is.
            let len = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..].iter().position(|c| *c == b'\'').map(|p| p + 3)
            } else {
                let c = std::str::from_utf8(&b[i + 1..]).ok().and_then(|s| s.chars().next());
                c.map(char::len_utf8)
                    .filter(|n| b.get(i + 1 + n) == Some(&b'\''))
                    .map(|n| n + 2)
            };
            match len {
                Some(n) => {
                    out.extend(std::iter::repeat_n(b' ', n));
                    i += n;
                }
                None => {
                    out.push(b'\'');
                    i += 1;
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The top-level modules named by the `crate::` paths of `code`, with their line: `crate::run::X`,
/// and each item of a group, `crate::{run::X, scenario}`.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `foo_crate::`, not a path from the crate root
        }
        let line = code[..at].matches('\n').count() + 1;
        let rest = code[at + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        let name = ident(&group[i..]);
                        if !name.is_empty() {
                            found.push((line, name));
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.push((line, name));
            }
        }
    }
    found
}

/// Every import of `src/` that goes upward, and every top-level module that has no layer.
fn check(src: &Path) -> (Vec<Upward>, Vec<String>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let (mut upward, mut unplaced) = (Vec::new(), Vec::new());
    for path in files {
        let relative = path.strip_prefix(src).expect("under src");
        let Some(from) = top_module(relative) else { continue };
        let Some(from_layer) = layer(&from) else {
            if !unplaced.contains(&from) {
                unplaced.push(from);
            }
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (line, to) in crate_paths(&code_only(&text)) {
            if to == from || to == "self" || to == "super" {
                continue;
            }
            // A name that is not a module of the crate's (a root re-export such as `crate::run(…)`'s
            // function) is judged by the module of that name if there is one.
            let Some(to_layer) = layer(&to) else { continue };
            if to_layer >= from_layer {
                upward.push(Upward {
                    file: format!("src/{}", relative.display()),
                    line,
                    from: from.clone(),
                    to,
                });
            }
        }
    }
    (upward, unplaced)
}

fn describe(u: &Upward) -> String {
    let of = |m: &str| layer(m).unwrap_or_default();
    format!(
        "{}:{}: `{}` (layer {}) imports `crate::{}` (layer {})",
        u.file,
        u.line,
        u.from,
        of(&u.from),
        u.to,
        of(&u.to)
    )
}

#[test]
fn no_module_imports_from_its_own_layer_or_above() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (upward, unplaced) = check(&src);
    assert!(
        unplaced.is_empty(),
        "top-level modules without a layer: {unplaced:?}; place each in LAYERS (src/tests/layers.rs) and in the crate docs' table (src/lib.rs)"
    );
    let lines: Vec<String> = upward.iter().map(describe).collect();
    assert!(
        lines.is_empty(),
        "imports against the layers (bottom up: {}):\n{}\nmove what both need down to the lower module (re-export it at the old path if it is public)",
        LAYERS.iter().map(|l| l.join(" / ")).collect::<Vec<_>>().join(" → "),
        lines.join("\n")
    );
}

#[test]
fn the_crate_docs_show_the_same_layers() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).expect("lib.rs");
    let table: Vec<Vec<String>> = lib
        .lines()
        .skip_while(|l| *l != "//! # Layers")
        .skip_while(|l| !l.starts_with("//! |"))
        .take_while(|l| l.starts_with("//! |"))
        .filter_map(|l| l.strip_prefix("//! | "))
        .skip(1) // the heading
        .map(|row| {
            let modules = row.split(" | ").nth(1).unwrap_or_default();
            modules
                .split(", ")
                .map(|m| {
                    m.trim_matches(|c: char| "[]`".contains(c))
                        .trim_start_matches("mod@")
                        .to_owned()
                })
                .collect()
        })
        .collect();
    let layers: Vec<Vec<String>> = LAYERS
        .iter()
        .map(|l| l.iter().map(|m| (*m).to_owned()).collect())
        .collect();
    assert_eq!(table, layers, "src/lib.rs's layer table and LAYERS differ");
}

#[test]
fn comments_strings_and_groups_are_read_as_rust_reads_them() {
    let code = code_only(
        "use crate::{run::X, scenario::{A, B}};\n// crate::report\nlet s = \"crate::cli\"; let r = r#\"crate::har \"# ;\nlet c = '\"'; fn f<'a>(x: &'a crate::stats::S) {}\n/* crate::monitor /* nested */ */ my_crate::verdict",
    );
    let names: Vec<(usize, String)> = crate_paths(&code);
    let expected = [(1, "run"), (1, "scenario"), (4, "stats")];
    assert_eq!(names, expected.map(|(l, n)| (l, n.to_owned())), "{code}");
}
