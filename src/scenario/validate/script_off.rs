//! `RunScript` in a build without the `script` feature: the activity is an error at load time that
//! names the feature, instead of a scenario that cannot run.

use super::reader::Fields;
use super::{Validator, feature_missing};
use crate::scenario::model::ActivityKind;

/// One error for the activity; its keys are taken so that they are not reported as unknown too.
pub(super) fn run_script(v: &mut Validator, f: &mut Fields) -> Option<ActivityKind> {
    for key in ["script", "path", "export"] {
        f.take(key);
    }
    v.diags.push(feature_missing(f.span, "`RunScript`", "script"));
    None
}
