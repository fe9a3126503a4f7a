//! `store_json`, `store_header` and `store_regex`: copying values from a result into the context.

use serde_json::Value;

use super::json::{Miss, Selected, select};
use super::text::{EXCERPT, excerpt, shorten};
use super::vars::{expand_failure, pattern_failure};
use super::{ActivityResult, CheckFailure, CheckKind, PatternCache, Vars};
use crate::expand::Context;
use crate::scenario::{HeaderLine, Store, StoreSource};

/// Apply `stores` in order: each one that finds its value sets `ctx[var]`; each one that does not
/// yields a [`CheckKind::Store`] failure and leaves the variable as it was (a stale value from an
/// earlier pass stays, as in the original; the failure makes the activity an error anyway).
///
/// - `store_json` (`Json(path)`): the value at the path of [`ActivityResult::json`], typed (a number
///   stays a number): a dotted path, or an RFC 9535 JSONPath (a singular one stores its value, any
///   other the list of the nodes it selects). The result must be JSON (an HTTP body that parses, or a
///   value).
/// - `store_header` (`Header(name, line)`): the response header, case-insensitive, as a string: its
///   first field line, line N (`Name[N]`, `[-1]` the last), or every line as a list (`Name[*]`). Only
///   an HTTP response has headers.
/// - `store_regex` (`Regex(p)`): searched in [`ActivityResult::text`]; group 1 if the regex has a
///   group, else the whole match, as a string.
///
/// A path, header name or pattern may hold `$(var)`s, expanded with the variables as they are when
/// the store runs (so a store can use what an earlier store of the same activity set).
pub fn apply_stores(
    stores: &[Store],
    result: &ActivityResult,
    ctx: &mut Context,
    cache: &mut PatternCache,
) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    for store in stores {
        let mut vars = Vars { ctx, cache };
        match lookup(&store.source, result, &mut vars) {
            Ok(value) => {
                ctx.insert(store.var.clone(), value);
            }
            Err(Lookup::Failed(failure)) => out.push(failure.at(store.span)),
            Err(Lookup::Miss(NotFound { actual, message })) => {
                let mut failure = CheckFailure::new(CheckKind::Store, expected(&store.source), actual, message);
                if !matches!(store.source, StoreSource::Header(..))
                    && let Some(note) = result.reading_note()
                {
                    super::text::add_note(&mut failure, &note);
                }
                out.push(failure.at(store.span));
            }
        }
    }
    out
}

/// Why a store copied nothing: its argument could not be expanded, or the result lacked the value.
enum Lookup {
    Failed(Box<CheckFailure>),
    Miss(NotFound),
}

impl From<NotFound> for Lookup {
    fn from(miss: NotFound) -> Self {
        Lookup::Miss(miss)
    }
}

/// Why a store found nothing: what the result had instead, and the message.
struct NotFound {
    actual: String,
    message: String,
}

fn miss(actual: impl Into<String>, message: String) -> NotFound {
    NotFound {
        actual: actual.into(),
        message,
    }
}

/// What a store looks for, as written (`expected` of its failure).
fn expected(source: &StoreSource) -> &str {
    match source {
        StoreSource::Json(path) => path,
        StoreSource::Header(name, _) => name,
        StoreSource::Regex(p) => &p.source,
    }
}

/// The value a store copies, or why there is none.
fn lookup(source: &StoreSource, result: &ActivityResult, vars: &mut Vars<'_>) -> Result<Value, Lookup> {
    let text_arg = |text: &str| {
        vars.text(text)
            .map(|t| t.into_owned())
            .map_err(|e| Lookup::Failed(Box::new(expand_failure(CheckKind::Store, text, e))))
    };
    match source {
        StoreSource::Json(path) => {
            let path = &text_arg(path)?;
            let text = match result.text() {
                Ok(text) => text,
                Err(e) => {
                    let message = format!("store_json could not read the result: {e}");
                    return Err(miss(e.to_string(), message).into());
                }
            };
            let Some(root) = result.json() else {
                let message = format!(
                    "store_json could not find `{path}` in the result (not JSON): {}",
                    excerpt(&text)
                );
                return Err(miss(shorten(&text, EXCERPT), message).into());
            };
            match select(root, path) {
                Ok(Selected::One(value)) => Ok(value.clone()),
                Ok(Selected::Many(nodes)) => Ok(Value::Array(nodes.into_iter().cloned().collect())),
                Err(Miss::Missing(reason) | Miss::Invalid(reason)) => {
                    let message = format!("store_json could not find `{path}` in the result: {reason}");
                    Err(miss(reason, message).into())
                }
            }
        }
        StoreSource::Header(name, line) => {
            let name = &text_arg(name)?;
            let ActivityResult::Response(resp) = result else {
                let message =
                    format!("store_header could not find header `{name}`: the result is not an HTTP response");
                return Err(miss("(no response)", message).into());
            };
            let lines: Vec<&str> = super::header_values(&resp.headers, name).collect();
            let found = match *line {
                HeaderLine::All if !lines.is_empty() => Some(Value::Array(
                    lines.iter().map(|l| Value::String((*l).to_owned())).collect(),
                )),
                HeaderLine::All => None,
                HeaderLine::First => lines.first().map(|l| Value::String((*l).to_owned())),
                HeaderLine::Index(i) => {
                    let at = if i < 0 {
                        lines.len().checked_sub(i.unsigned_abs() as usize)
                    } else {
                        Some(i as usize)
                    };
                    at.and_then(|at| lines.get(at)).map(|l| Value::String((*l).to_owned()))
                }
            };
            found.ok_or_else(|| {
                let message = match (lines.len(), line) {
                    (0, _) => format!("store_header could not find header `{name}` in the response"),
                    (n, HeaderLine::Index(i)) => {
                        format!(
                            "store_header could not find line {i} of header `{name}`: it has {n} line{}",
                            if n == 1 { "" } else { "s" }
                        )
                    }
                    _ => format!("store_header could not find header `{name}` in the response"),
                };
                miss("(missing)", message).into()
            })
        }
        StoreSource::Regex(p) => {
            let matcher = vars
                .matcher(p)
                .map_err(|e| Lookup::Failed(Box::new(pattern_failure(CheckKind::Store, p, e))))?;
            let text = match result.text() {
                Ok(text) => text,
                Err(e) => {
                    let message = format!("store_regex could not read the result: {e}");
                    return Err(miss(e.to_string(), message).into());
                }
            };
            match matcher.capture(&text) {
                Ok(found) => Ok(Value::String(found.to_owned())),
                Err(None) => {
                    let message = format!(
                        "store_regex found no match for `{}` in the result: {}",
                        p.source,
                        excerpt(&text)
                    );
                    Err(miss(shorten(&text, EXCERPT), message).into())
                }
                // `a(b)?`: the match succeeded without its group; storing "" would hide that.
                Err(Some(whole)) => {
                    let message = format!(
                        "store_regex `{}` matched {}, but its group 1 captured nothing",
                        p.source,
                        excerpt(whole)
                    );
                    Err(miss(whole, message).into())
                }
            }
        }
    }
}
