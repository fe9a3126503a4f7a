//! The request keys of issue 26's request half that are not checks: `follow_redirects` and
//! `max_redirects` (in `config` and on an activity) and `multipart:` bodies, whose files are read here,
//! when the scenario loads, so a missing file is an error at its `file:line:col` before any request.

use super::Validator;
use super::reader::{Checker, Fields};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::macros::resolve_in_root;
use crate::scenario::model::{MultipartFile, MultipartPart, MultipartValue, RedirectPolicy};
use crate::scenario::node::{Node, NodeKind};

/// The largest file a `multipart:` part may name. Every transport sends a request body as one buffer
/// that a 307/308 redirect sends again, so a file is held in memory (once, shared by every request
/// that sends it); the bound keeps a mistaken path (a disk image, a log) from taking the machine's
/// memory. 64 MiB is four times the target server's and nginx-style defaults' upload limits.
pub const MAX_MULTIPART_FILE: u64 = 64 * 1024 * 1024;

/// The most redirects `max_redirects` accepts: far beyond any real chain (browsers stop at 20), small
/// enough that a typo cannot loop for minutes.
const MAX_MAX_REDIRECTS: u64 = 1000;

/// `follow_redirects` and `max_redirects` of `config`, into `policy`.
pub(super) fn config_redirects(v: &mut Validator, f: &mut Fields, policy: &mut RedirectPolicy) {
    let (follow, max) = redirect_keys(&mut v.check(), f);
    if let Some(follow) = follow {
        policy.follow = follow;
    }
    if let Some(max) = max {
        policy.max = max;
    }
}

/// `follow_redirects` and `max_redirects` of an activity (each `None` when absent).
pub(super) fn redirect_keys(c: &mut Checker, f: &mut Fields) -> (Option<bool>, Option<u32>) {
    let follow = f
        .take_some("follow_redirects")
        .and_then(|n| c.bool(n, "follow_redirects"));
    let max = f.take_some("max_redirects").and_then(|n| {
        let max = c.count(n, "max_redirects")?;
        if max > MAX_MAX_REDIRECTS {
            c.diags.push(
                Diagnostic::error(
                    n.span,
                    format!("`max_redirects` must be at most {MAX_MAX_REDIRECTS}, found {max}"),
                )
                .with_help("to see a redirect itself rather than follow it, write `follow_redirects: false`"),
            );
            return None;
        }
        u32::try_from(max).ok()
    });
    (follow, max)
}

/// Python requests' `files=` and a `form:` key are not stressor's spellings: each is one clear error
/// naming the key to use, rather than an unknown-key error with a list of every key.
pub(super) fn other_spellings(v: &mut Validator, f: &mut Fields) {
    for (key, help) in [
        (
            "files",
            "file uploads are `multipart: {field: {file: path}}`, text fields beside them (Python requests' `files=` and `data=` in one mapping)",
        ),
        (
            "form",
            "a urlencoded form is `data: {name: value}` (a mapping), as in Python requests",
        ),
    ] {
        if let Some((k, _)) = f.take_entry(key) {
            v.diags
                .push(Diagnostic::error(k.span, format!("unknown key `{key}` in an HTTP activity")).with_help(help));
        }
    }
}

const MULTIPART_HELP: &str =
    "e.g. `multipart: {name: $(user.name), avatar: {file: avatar.png, content_type: image/png}}`";

/// `multipart:`: a mapping of field names to text values or `{file, filename, content_type}`.
pub(super) fn multipart(v: &mut Validator, n: &Node) -> Option<Vec<MultipartPart>> {
    let Some(entries) = n.as_map() else {
        v.diags.push(
            Diagnostic::error(
                n.span,
                format!(
                    "`multipart` must be a mapping of field names to values or files, found {}",
                    n.type_name()
                ),
            )
            .with_help(MULTIPART_HELP),
        );
        return None;
    };
    let mut parts = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let name = key.key_text();
        let value = match &value.kind {
            NodeKind::Map(_) => MultipartValue::File(file_part(v, value)?),
            NodeKind::Str(_) | NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => {
                MultipartValue::Text(value.to_json())
            }
            _ => {
                v.diags.push(
                    Diagnostic::error(
                        value.span,
                        format!(
                            "multipart field `{name}` must be a text value or `{{file: path}}`, found {}",
                            value.type_name()
                        ),
                    )
                    .with_help(MULTIPART_HELP),
                );
                continue;
            }
        };
        parts.push(MultipartPart { name, value });
    }
    Some(parts)
}

/// `{file: path, filename: name, content_type: type}`, its file read now.
fn file_part(v: &mut Validator, n: &Node) -> Option<MultipartFile> {
    let mut f = Fields::of(n)?;
    let Some(path_node) = f.take_some("file") else {
        v.diags.push(
            Diagnostic::error(n.span, "a multipart file part needs `file: path`")
                .with_help("e.g. `{file: data/avatar.png, filename: me.png, content_type: image/png}`"),
        );
        return None;
    };
    let mut c = v.check();
    let rel = c.text(path_node, "file");
    let filename = f.take_some("filename").and_then(|n| c.text(n, "filename"));
    let content_type = f.take_some("content_type").and_then(|n| c.text(n, "content_type"));
    f.finish(v.diags, "a multipart file part", &["file", "filename", "content_type"]);
    let rel = rel?;
    let base = v.folder_of(path_node.span.file);
    let error = |why: String| Diagnostic::error(path_node.span, why);
    let path = match resolve_in_root(&base, &rel, v.root) {
        Ok(p) => p,
        Err(why) => {
            v.diags.push(
                error(format!("cannot use multipart file `{rel}`: {why}"))
                    .with_help("a relative path is resolved against the scenario file's folder"),
            );
            return None;
        }
    };
    let size = match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => {
            v.diags
                .push(error(format!("multipart file `{}` is not a file", path.display())));
            return None;
        }
        Err(e) => {
            v.diags.push(
                error(format!("cannot read multipart file `{}`: {e}", path.display()))
                    .with_help("a relative path is resolved against the scenario file's folder"),
            );
            return None;
        }
    };
    if size > MAX_MULTIPART_FILE {
        v.diags.push(error(format!(
            "multipart file `{}` is {size} bytes, more than the {} MiB a file part may have",
            path.display(),
            MAX_MULTIPART_FILE >> 20
        )));
        return None;
    }
    let bytes = match std::fs::read(&path) {
        Ok(b) => bytes::Bytes::from(b),
        Err(e) => {
            v.diags
                .push(error(format!("cannot read multipart file `{}`: {e}", path.display())));
            return None;
        }
    };
    let filename = filename.unwrap_or_else(|| {
        path.file_name()
            .map_or_else(|| rel.clone(), |n| n.to_string_lossy().into_owned())
    });
    if filename.contains(['"', '\r', '\n']) || content_type.as_deref().is_some_and(|t| t.contains(['\r', '\n'])) {
        v.diags.push(error(
            "a multipart `filename` cannot hold `\"` or a line break, nor a `content_type` a line break".into(),
        ));
        return None;
    }
    Some(MultipartFile {
        path,
        filename,
        content_type: content_type.unwrap_or_else(|| "application/octet-stream".into()),
        bytes,
    })
}
