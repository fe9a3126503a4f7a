//! [`ExpandError`] and the "did you mean" [`Hint`] attached to unknown-variable errors.

use std::fmt;

/// Why a macro could not be expanded (or a path could not be parsed / looked up).
///
/// Every variant carries the path as written in the macro (trimmed), so the message can be shown
/// to the user as-is; [`fmt::Display`] gives the full lowercase message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpandError {
    /// The path is structurally malformed, e.g. `a..b`, `a[x]`, `a[`, `1abc`.
    #[error("invalid variable path `{path}`: {reason}")]
    InvalidPath {
        /// The path as written.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The first segment of the path is not a variable of the context.
    #[error("unknown variable `{path}`{hint}")]
    UnknownVariable {
        /// The full path as written, e.g. `usr.name`.
        path: String,
        /// Near names, or a few available names.
        hint: Hint,
    },

    /// A map along the path has no such key.
    #[error("unknown variable `{path}`: `{parent}` has no key `{key}`{hint}")]
    UnknownKey {
        /// The full path as written, e.g. `user.nmae`.
        path: String,
        /// The part of the path that names the map, e.g. `user`.
        parent: String,
        /// The missing key, e.g. `nmae`.
        key: String,
        /// Near names, or the keys the map does have.
        hint: Hint,
    },

    /// A list index (`[N]` or `.N`) is past the end of the list.
    #[error("index {index} out of range in `{path}`: `{parent}` {}", len_phrase(*len))]
    IndexOutOfRange {
        /// The full path as written.
        path: String,
        /// The part of the path that names the list.
        parent: String,
        /// The requested index.
        index: usize,
        /// The list's length.
        len: usize,
    },

    /// `[N]` applied to something that is not a list.
    #[error("cannot index `{path}`: `{parent}` is {found}, not a list")]
    NotAList {
        /// The full path as written.
        path: String,
        /// The part of the path that names the value.
        parent: String,
        /// What the value is instead, e.g. `a string`.
        found: &'static str,
    },

    /// `.key` applied to something that is not a map (or a non-numeric key on a list).
    #[error("cannot look up key `{key}` in `{path}`: `{parent}` is {found}, not a map")]
    NotAMap {
        /// The full path as written.
        path: String,
        /// The part of the path that names the value.
        parent: String,
        /// The key that was looked up.
        key: String,
        /// What the value is instead, e.g. `a string`.
        found: &'static str,
    },

    /// Variables refer to each other in a loop; `chain` starts and ends with the same path.
    #[error("reference cycle `{}`", chain.join(" -> "))]
    Cycle {
        /// The references in order, e.g. `["a", "b", "a"]`.
        chain: Vec<String>,
    },

    /// Variable references nest deeper than [`MAX_DEPTH`](super::MAX_DEPTH) without a cycle.
    #[error("variable references nested deeper than {limit} levels: `{}`", abbreviate(chain))]
    TooDeep {
        /// The references in order, ending with the one that exceeded the limit.
        chain: Vec<String>,
        /// The limit that was exceeded.
        limit: usize,
    },

    /// One expansion would produce more than its limit (`config.max_body_size`): a template that
    /// refers to large values many times, or to templates that do.
    #[error("{}", too_large(.path.as_deref(), *.size, *.limit))]
    TooLarge {
        /// The variable being inserted (or the template being expanded) when the limit was reached.
        path: Option<String>,
        /// The bytes that did not fit.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

fn too_large(path: Option<&str>, size: usize, limit: usize) -> String {
    let what = match path {
        Some(p) => format!("inserting `$({p})` ({})", format_size(size as u64)),
        None => "the text".to_owned(),
    };
    format!(
        "{what} would make one expansion larger than {}, its limit (`config.max_body_size`)",
        format_size(limit as u64)
    )
}

/// Formats a size the way a user writes it (`16 MiB`, `1.5 KiB`, `300 B`), for messages.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, factor) in UNITS {
        if bytes >= factor {
            let value = bytes as f64 / factor as f64;
            let text = format!("{value:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            return format!("{text} {unit}");
        }
    }
    format!("{bytes} B")
}

fn len_phrase(len: usize) -> String {
    match len {
        0 => "is empty".to_owned(),
        1 => "has 1 element".to_owned(),
        n => format!("has {n} elements"),
    }
}

/// `a -> b -> ... -> y -> z`: a 33-entry chain is noise; the ends say where it starts and stops.
fn abbreviate(chain: &[String]) -> String {
    if chain.len() <= 6 {
        return chain.join(" -> ");
    }
    let (head, tail) = (&chain[..3], &chain[chain.len() - 2..]);
    format!("{} -> ... -> {}", head.join(" -> "), tail.join(" -> "))
}

/// Extra help appended to unknown-variable messages (rendered with a leading space, or empty).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// Close matches by edit distance, best first (at most 3), as full paths.
    DidYouMean(Vec<String>),
    /// Nothing was close: a few of the names that do exist, plus how many more there are.
    Available {
        /// The first few names, in definition order.
        names: Vec<String>,
        /// How many names were left out.
        more: usize,
    },
    /// There is nothing to suggest: the context (or map) is empty.
    Empty {
        /// What is empty, e.g. `no variables are defined`.
        what: &'static str,
    },
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::DidYouMean(names) => write!(f, " (did you mean {}?)", or_list(names)),
            Hint::Available { names, more } => {
                write!(f, " (available: {}", quoted(names).join(", "))?;
                if *more > 0 {
                    write!(f, " and {more} more")?;
                }
                f.write_str(")")
            }
            Hint::Empty { what } => write!(f, " ({what})"),
        }
    }
}

fn quoted(names: &[String]) -> Vec<String> {
    names.iter().map(|n| format!("`{n}`")).collect()
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
fn or_list(names: &[String]) -> String {
    let q = quoted(names);
    match q.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
