//! `assert_html` in a build without the `xpath` feature: the loader rejects the check with an error
//! naming the feature, so a scenario loaded by this build never has one. A scenario that has one
//! anyway (built around the loader) gets a failure rather than a check that silently passes.

use super::{CheckFailure, CheckKind, Response, Vars};
use crate::scenario::HtmlCheck;
use std::time::Instant;

pub(super) fn check_html(
    checks: &[HtmlCheck],
    _resp: &Response,
    _deadline: Option<Instant>,
    out: &mut Vec<CheckFailure>,
    _vars: &mut Vars<'_>,
) {
    for c in checks {
        let message = crate::features::missing(&format!("`assert_html` `{}`", c.xpath), "xpath");
        out.push(CheckFailure::new(CheckKind::Html, &c.xpath, "", message).at(c.span));
    }
}
