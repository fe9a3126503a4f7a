//! "Did you mean" suggestions for unknown variables.
//!
//! Only runs when a lookup has already failed, so it favours helpful output over speed (within caps
//! that keep a context holding a huge stored JSON response from making an error slow).
//!
//! Candidates are the context's names flattened to dotted paths up to [`FLATTEN_DEPTH`] levels
//! (`user`, `user.name`, `user.password`, ...), plus the keys of the map where the lookup failed.
//! A candidate with `k` segments is compared with the first `k` segments of the requested path,
//! as written. A shorter candidate is only compared when the rest of the requested path could
//! continue from it but no deeper candidate does: a list followed by an index, or a map at the depth
//! cap. The rest of the requested path is then appended to the suggestion, so `usr.items[0].id`
//! suggests `user.items[0].id`, while `user.nmae` never suggests `users.nmae` for a list `users`.
//!
//! Distance is Damerau-Levenshtein (`strsim::damerau_levenshtein`): typing errors are mostly single
//! insertions, deletions, substitutions and swapped neighbours (`nmae`), and Damerau-Levenshtein
//! counts each of those as one edit (plain Levenshtein counts a swap as two). Jaro-Winkler was not
//! used: it rewards shared prefixes, which says little about dotted paths that all start with the
//! same root (`user.name` vs `user.password`), and a similarity score is harder to turn into a
//! "reasonably close" cut-off than an edit count. A candidate is close if its distance is at most a
//! third of the compared text's length (at least 1), a common rule of thumb (rustc's is similar).

use serde_json::{Map, Value};
use strsim::damerau_levenshtein;

use super::VarMap as Context;
use super::error::Hint;
use super::path::{SegIter, SegRef};

/// How many segments deep context names are flattened for comparison.
const FLATTEN_DEPTH: usize = 3;
/// Stop collecting candidates after this many.
const MAX_CANDIDATES: usize = 2000;
/// At most this many "did you mean" entries.
const MAX_SUGGESTIONS: usize = 3;
/// At most this many names in the "available" fallback.
const AVAILABLE_SHOWN: usize = 5;

struct Candidate {
    text: String,
    depth: usize,
    /// How a longer requested path may continue from this candidate (no deeper candidate does).
    extends: Extends,
}

/// Which requested segments may follow a candidate that is shorter than the requested path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extends {
    /// Scalars, empty maps, and maps whose children are candidates themselves.
    Nothing,
    /// Lists: only an index (`[N]` or `.N`).
    Index,
    /// Non-empty maps whose keys are not candidates (at the depth cap, or siblings): any segment.
    Anything,
}

/// Hint for an unknown root variable (`path` is the full path as written).
pub(crate) fn unknown_variable(ctx: &Context, path: &str) -> Hint {
    let names = nearest(path, &flatten(ctx));
    if !names.is_empty() {
        return Hint::DidYouMean(names);
    }
    if ctx.is_empty() {
        return Hint::Empty {
            what: "no variables are defined",
        };
    }
    available(ctx.keys().filter(|k| is_name(k, true)).cloned())
}

/// Hint for a missing `key` in `map`, which `path[..parent.len()]` names.
pub(crate) fn unknown_key(ctx: &Context, path: &str, parent: &str, map: &Map<String, Value>) -> Hint {
    let mut candidates = flatten(ctx);
    // Siblings of the missing key, even when the map is deeper than FLATTEN_DEPTH.
    let depth = SegIter::new(parent).count() + 1;
    let keys = || map.iter().filter(|(k, _)| is_name(k, false));
    candidates.extend(keys().take(MAX_CANDIDATES).map(|(k, v)| Candidate {
        text: format!("{parent}.{k}"),
        depth,
        // The parent may have been reached through a list index, where `flatten` does not go, so
        // a sibling map's children may not be candidates: let any segment continue from it.
        extends: match v {
            Value::Object(m) if !m.is_empty() => Extends::Anything,
            other => extends(other, depth),
        },
    }));
    let names = nearest(path, &candidates);
    if !names.is_empty() {
        return Hint::DidYouMean(names);
    }
    if map.is_empty() {
        return Hint::Empty {
            what: "the map is empty",
        };
    }
    available(keys().map(|(k, _)| format!("{parent}.{k}")))
}

fn available(names: impl Iterator<Item = String>) -> Hint {
    let mut shown = Vec::new();
    let mut more = 0;
    for name in names {
        if shown.len() < AVAILABLE_SHOWN {
            shown.push(name);
        } else {
            more += 1;
        }
    }
    Hint::Available { names: shown, more }
}

/// Whether `key` can be written in a path at all; suggesting a name nobody can type helps no one.
fn is_name(key: &str, root: bool) -> bool {
    let mut bytes = key.bytes();
    match bytes.next() {
        None => false,
        Some(first) if root && !(first.is_ascii_alphabetic() || first == b'_') => false,
        Some(_) if root => bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        Some(_) => key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
    }
}

/// How a requested path may continue from a candidate naming `value` at `depth` (see [`Extends`]).
fn extends(value: &Value, depth: usize) -> Extends {
    match value {
        Value::Array(_) => Extends::Index,
        // Below the cap the map's keys are candidates of their own.
        Value::Object(m) if !m.is_empty() && depth >= FLATTEN_DEPTH => Extends::Anything,
        _ => Extends::Nothing,
    }
}

/// The context's names as dotted paths, depth-first in definition order, up to the caps.
fn flatten(ctx: &Context) -> Vec<Candidate> {
    fn walk(map: &Map<String, Value>, prefix: &str, depth: usize, out: &mut Vec<Candidate>) {
        for (key, value) in map {
            if out.len() >= MAX_CANDIDATES {
                return;
            }
            if !is_name(key, depth == 1) {
                continue;
            }
            let text = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            let children = value.as_object().filter(|m| !m.is_empty() && depth < FLATTEN_DEPTH);
            out.push(Candidate {
                text: text.clone(),
                depth,
                extends: extends(value, depth),
            });
            if let Some(children) = children {
                walk(children, &text, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(ctx, "", 1, &mut out);
    out
}

/// Up to [`MAX_SUGGESTIONS`] full-path suggestions for `path`, closest first.
fn nearest(path: &str, candidates: &[Candidate]) -> Vec<String> {
    // Each segment of `path`: where it ends (`path[..ends[k - 1]]` is its first k segments) and
    // whether it can index a list.
    let segs: Vec<(usize, bool)> = SegIter::new(path)
        .flatten()
        .map(|s| {
            let index = match s.seg {
                SegRef::Index(_) => true,
                SegRef::Key(k) => k.bytes().all(|b| b.is_ascii_digit()),
            };
            (s.end, index)
        })
        .collect();
    let mut scored: Vec<(usize, String)> = Vec::new();
    for c in candidates {
        let usable = match segs.get(c.depth) {
            None => c.depth == segs.len(),
            Some(&(_, next_is_index)) => match c.extends {
                Extends::Nothing => false,
                Extends::Index => next_is_index,
                Extends::Anything => true,
            },
        };
        if !usable {
            continue;
        }
        let end = segs[c.depth - 1].0;
        let prefix = &path[..end];
        let distance = damerau_levenshtein(prefix, &c.text);
        if distance > (prefix.chars().count() / 3).max(1) {
            continue;
        }
        let suggestion = format!("{}{}", c.text, &path[end..]);
        // A distance-0 prefix re-creates the failing path itself; that is no suggestion.
        if suggestion != path {
            scored.push((distance, suggestion));
        }
    }
    scored.sort();
    let mut out: Vec<String> = Vec::new();
    for (_, s) in scored {
        if !out.contains(&s) {
            out.push(s);
            if out.len() == MAX_SUGGESTIONS {
                break;
            }
        }
    }
    out
}
