//! `assert_xpath` in a build without the `xpath` feature: the loader rejects the check with an error
//! naming the feature; a scenario built around the loader gets a failure rather than a check that
//! silently passes.

use super::{CheckFailure, CheckKind, Response, Vars};
use crate::scenario::HtmlCheck;

pub(super) fn check_xpath(
    checks: &[HtmlCheck],
    _namespaces: &[(String, String)],
    _resp: &Response,
    out: &mut Vec<CheckFailure>,
    _vars: &mut Vars<'_>,
) {
    for c in checks {
        let message = crate::features::missing(&format!("`assert_xpath` `{}`", c.xpath), "xpath");
        out.push(CheckFailure::new(CheckKind::Xpath, &c.xpath, "", message).at(c.span));
    }
}
