//! One error for an activity's failed checks: its class, message and locations.

use super::*;
use crate::check::CheckKind;

fn failure(kind: CheckKind, message: &str, unexpanded: bool) -> CheckFailure {
    CheckFailure {
        unexpanded,
        ..CheckFailure::new(kind, "", "", message)
    }
}

#[test]
fn a_wrong_status_wins_then_a_missing_variable_then_an_assertion() {
    let status = || failure(CheckKind::Status, "status 500", false);
    let variable = || failure(CheckKind::Match, "cannot expand `$(x)`", true);
    let assertion = || failure(CheckKind::Match, "text does not match", false);
    #[rustfmt::skip]
    let cases = [
        (vec![assertion(), variable(), status()], ErrorClass::Status),
        (vec![assertion(), variable()], ErrorClass::Variable),
        (vec![variable()], ErrorClass::Variable),
        (vec![assertion()], ErrorClass::Assertion),
    ];
    for (failures, class) in cases {
        let lines = failures.len();
        let error = failure_error(failures, &ActivityResult::Nothing, Span::default());
        assert_eq!(error.class, class, "{}", error.message);
        assert_eq!(error.message.lines().count(), lines);
        assert_eq!(error.checks.len(), lines);
    }
}
