//! `store_json`, `store_header` and `store_regex`: copying values from a result into the context.

use serde_json::Value;

use super::json::find;
use super::text::{EXCERPT, excerpt, shorten};
use super::vars::{expand_failure, pattern_failure};
use super::{ActivityResult, CheckFailure, CheckKind, PatternCache, Vars};
use crate::expand::Context;
use crate::scenario::{Store, StoreSource};

/// Apply `stores` in order: each one that finds its value sets `ctx[var]`; each one that does not
/// yields a [`CheckKind::Store`] failure and leaves the variable as it was (a stale value from an
/// earlier pass stays, as in the original; the failure makes the activity an error anyway).
///
/// - `store_json` (`Json(path)`): the value at the dotted path of [`ActivityResult::json`], typed
///   (a number stays a number). The result must be JSON (an HTTP body that parses, or a value).
/// - `store_header` (`Header(name)`): the response header, case-insensitive, as a string. Only an
///   HTTP response has headers.
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
            Err(Lookup::Miss(Miss { actual, message })) => {
                let failure = CheckFailure::new(CheckKind::Store, expected(&store.source), actual, message);
                out.push(failure.at(store.span));
            }
        }
    }
    out
}

/// Why a store copied nothing: its argument could not be expanded, or the result lacked the value.
enum Lookup {
    Failed(Box<CheckFailure>),
    Miss(Miss),
}

impl From<Miss> for Lookup {
    fn from(miss: Miss) -> Self {
        Lookup::Miss(miss)
    }
}

/// Why a store found nothing: what the result had instead, and the message.
struct Miss {
    actual: String,
    message: String,
}

fn miss(actual: impl Into<String>, message: String) -> Miss {
    Miss {
        actual: actual.into(),
        message,
    }
}

/// What a store looks for, as written (`expected` of its failure).
fn expected(source: &StoreSource) -> &str {
    match source {
        StoreSource::Json(path) => path,
        StoreSource::Header(name) => name,
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
            let Some(root) = result.json() else {
                let text = result.text();
                let message = format!(
                    "store_json could not find `{path}` in the result (not JSON): {}",
                    excerpt(&text)
                );
                return Err(miss(shorten(&text, EXCERPT), message).into());
            };
            find(root, path).cloned().map_err(|reason| {
                let message = format!("store_json could not find `{path}` in the result: {reason}");
                miss(reason, message).into()
            })
        }
        StoreSource::Header(name) => {
            let name = &text_arg(name)?;
            let ActivityResult::Response(resp) = result else {
                let message =
                    format!("store_header could not find header `{name}`: the result is not an HTTP response");
                return Err(miss("(no response)", message).into());
            };
            match resp.header(name) {
                Some(value) => Ok(Value::String(value.to_owned())),
                None => Err(miss(
                    "(missing)",
                    format!("store_header could not find header `{name}` in the response"),
                )
                .into()),
            }
        }
        StoreSource::Regex(p) => {
            let matcher = vars
                .matcher(p)
                .map_err(|e| Lookup::Failed(Box::new(pattern_failure(CheckKind::Store, p, e))))?;
            let text = result.text();
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
