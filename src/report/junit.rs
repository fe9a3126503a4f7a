//! JUnit XML (`stressor run --junit FILE`, and always from the cargo harness), built with the
//! [`junit_report`] crate.
//!
//! The shape, read by Jenkins, GitLab and GitHub test reporters (it validates against the Jenkins
//! xunit plugin's `junit-10.xsd`, shipped in `tests/`):
//!
//! - one `<testsuite>` per scenario file, named by the file's trial prefix (`fixtures/smoke`), with
//!   the run's start as `timestamp` and the terminal summary (no colour) as `<system-out>`;
//! - one `<testcase>` per trial ([`trials`](crate::verdict::trials)): `name` is the full trial name
//!   (`fixtures/smoke::checks::main/0:login`, what `cargo test` prints), `classname` the prefix with `/`
//!   as `.` (`fixtures.smoke`: Jenkins shows package `fixtures`, class `smoke`; GitLab groups by it);
//!   `time` is [`trial_time`](crate::verdict::trials::trial_time);
//! - a failed trial has `<failure type="..." message="one line">` (the type is a
//!   [`FailureKind`]: `errors`, `nothing_completed`, `threshold`, `run`, `inconclusive`, `load`, `baseline`,
//!   `panic`) whose text is the first failing responses, each failed check at its `file:line:col` with
//!   the source line, and the unified diffs; a skipped one (`config.ignore`, thresholds under the smoke
//!   profile) has `<skipped message="reason">`;
//! - the file's load-time warnings, when it has any, are the suite's `<system-err>`;
//! - a file that does not load is one failed `<file>::load` case carrying the rendered diagnostics.
//!
//! Text is cleaned for XML 1.0 on the way in ([`xml_text`]): response bodies may hold control
//! characters or `]]>`, which would otherwise make the file unreadable.

use super::ReportError;
use crate::verdict::{FailureKind, Judgement, Trial, TrialFailure, TrialKind, TrialOutcome};
use junit_report::{Report, TestCase, TestSuite};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// One `<testcase>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The full trial name (`fixtures/smoke::main`).
    pub name: String,
    /// The measured time.
    pub time: Duration,
    /// How it ended.
    pub outcome: TrialOutcome,
    /// The `tags` of a checked activity's trial (`api=checkout`), written as the case's
    /// `<system-out>` (`tags: api=checkout`), since JUnit has no per-case properties every reader shows.
    pub tags: Vec<String>,
}

impl Case {
    /// The case of every trial of a judged run, named with the file's prefix.
    pub fn all(prefix: &str, judgement: &Judgement) -> Vec<Case> {
        judgement
            .trials
            .iter()
            .map(|t| Case::of(format!("{prefix}::{}", t.spec.name), t, judgement))
            .collect()
    }

    /// The case of one trial of `judgement`, named `name`.
    pub fn of(name: String, trial: &Trial, judgement: &Judgement) -> Case {
        let tags = match trial.spec.kind {
            TrialKind::Checks(id) => judgement
                .report
                .activities
                .get(id)
                .map(|a| a.tags.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        Case {
            name,
            time: trial.time,
            outcome: trial.outcome.clone(),
            tags,
        }
    }

    /// The `<file>::load` case of a file that did not load (or whose run could not start).
    pub fn load_failed(prefix: &str, rendered: &str) -> Case {
        let mut failure = TrialFailure::from_text(FailureKind::Load, rendered);
        if failure.summary.is_empty() {
            failure.summary = "the scenario did not load".into();
        }
        Case {
            name: format!("{prefix}::load"),
            time: Duration::ZERO,
            outcome: TrialOutcome::Failed(failure),
            tags: Vec::new(),
        }
    }
}

/// One `<testsuite>`: a scenario file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Suite {
    /// The file's trial prefix (`fixtures/smoke`).
    pub name: String,
    /// When the run started (`timestamp`; now when the file did not run).
    pub started: Option<SystemTime>,
    /// The cases, in trial order.
    pub cases: Vec<Case>,
    /// The terminal summary of the run, without colour.
    pub system_out: Option<String>,
    /// The file's load-time warnings, rendered (`<system-err>`).
    pub system_err: Option<String>,
}

impl Suite {
    /// The suite of a judged run whose trials all ran (`stressor run --junit`): every trial, the run's
    /// summary as `<system-out>`.
    pub fn of(name: &str, judgement: &Judgement) -> Suite {
        Suite {
            name: name.to_string(),
            started: judgement.report.started_at,
            cases: Case::all(name, judgement),
            system_out: Some(super::summary::render(judgement, false)),
            system_err: None,
        }
    }
}

/// The XML document of `suites`.
pub fn render(suites: &[Suite]) -> Result<Vec<u8>, junit_report::Error> {
    let mut report = Report::new();
    let mut flaky = Vec::new();
    let converted: Vec<TestSuite> = suites.iter().map(|s| to_suite(s, &mut flaky)).collect();
    report.add_testsuites(converted);
    let mut out = Vec::new();
    report.write_xml(&mut out)?;
    if !flaky.is_empty() {
        // The writer has no `<flakyFailure>`: each flaky case carries a placeholder as its
        // `<system-out>`, replaced here by the elements surefire and nextest write.
        let mut text = String::from_utf8_lossy(&out).into_owned();
        for (token, xml) in flaky {
            text = text.replacen(&format!("<system-out><![CDATA[{token}]]></system-out>"), &xml, 1);
        }
        out = text.into_bytes();
    }
    out.push(b'\n');
    Ok(out)
}

/// The `<flakyFailure>` elements of a flaky case (and its tags' `<system-out>`, which the placeholder
/// took the place of).
fn flaky_elements(failures: &[TrialFailure], tags: &[String]) -> String {
    let attr = |t: &str| {
        xml_text(t)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut xml = String::new();
    for f in failures {
        xml.push_str(&format!(
            r#"<flakyFailure type="{}" message="{}"><stackTrace><![CDATA[{}]]></stackTrace></flakyFailure>"#,
            f.kind.as_str(),
            attr(&f.summary),
            xml_text(&f.details)
        ));
    }
    if !tags.is_empty() {
        xml.push_str(&format!(
            "<system-out><![CDATA[{}]]></system-out>",
            xml_text(&format!("tags: {}", tags.join(", ")))
        ));
    }
    xml
}

/// Writes `suites` to `path` atomically (the folder must exist).
pub fn write(path: &Path, suites: &[Suite]) -> Result<(), ReportError> {
    let bytes = render(suites).map_err(|e| ReportError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    super::write_atomically(path, &bytes)
}

/// The crate's suite of `suite`; each flaky case gets a placeholder, pushed to `flaky` with what
/// replaces it.
fn to_suite(suite: &Suite, flaky: &mut Vec<(String, String)>) -> TestSuite {
    let mut out = TestSuite::new(&xml_text(&suite.name));
    if let Some(started) = suite.started {
        out.set_timestamp(started.into());
    }
    let classname = xml_text(&suite.name.replace('/', "."));
    for case in &suite.cases {
        let name = xml_text(&case.name);
        let time = junit_report::Duration::try_from(case.time).unwrap_or(junit_report::Duration::MAX);
        let mut tc = match &case.outcome {
            TrialOutcome::Passed => TestCase::success(&name, time),
            TrialOutcome::Flaky(failures) => {
                let token = format!("@@stressor-flaky-{}@@", flaky.len());
                flaky.push((token.clone(), flaky_elements(failures, &case.tags)));
                let mut tc = TestCase::success(&name, time);
                tc.set_classname(&classname);
                tc.set_system_out(&token);
                out.add_testcase(tc);
                continue;
            }
            TrialOutcome::Skipped(reason) => TestCase::skipped_with_cause(&name, "ignored", &xml_text(reason)),
            TrialOutcome::Failed(f) => {
                let mut tc = TestCase::failure(&name, time, f.kind.as_str(), &xml_text(&f.summary));
                if let junit_report::TestResult::Failure { cause, .. } = &mut tc.result {
                    *cause = Some(xml_text(&f.details));
                }
                tc
            }
        };
        tc.set_classname(&classname);
        if !case.tags.is_empty() {
            tc.set_system_out(&xml_text(&format!("tags: {}", case.tags.join(", "))));
        }
        out.add_testcase(tc);
    }
    if let Some(text) = &suite.system_out {
        out.set_system_out(&xml_text(text));
    }
    if let Some(text) = &suite.system_err {
        out.set_system_err(&xml_text(text));
    }
    out
}

/// `text` made safe for XML 1.0 and for the CDATA sections the writer puts it in: characters XML
/// forbids (most control characters, U+FFFE, U+FFFF) become U+FFFD, and `]]>` is split across two
/// CDATA sections so it cannot end one early.
pub fn xml_text(text: &str) -> String {
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    text.chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect::<String>()
        .replace("]]>", "]]]]><![CDATA[>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(details: &str) -> TrialFailure {
        TrialFailure {
            kind: FailureKind::Errors,
            summary: "sequence main: 1 error(s)".into(),
            details: details.into(),
        }
    }

    #[test]
    fn hostile_text_stays_well_formed() {
        assert_eq!(xml_text("a\u{1}b\u{FFFF}"), "a\u{FFFD}b\u{FFFD}");
        let suite = Suite {
            name: "fx/a".into(),
            cases: vec![Case {
                name: "fx/a::main".into(),
                time: Duration::from_millis(1500),
                outcome: TrialOutcome::Failed(failure("body: x]]>y\u{0}")),
                tags: vec!["api=checkout".into(), "tier=1".into()],
            }],
            system_out: Some("table ]]> end".into()),
            ..Suite::default()
        };
        let xml = String::from_utf8(render(&[suite]).unwrap()).unwrap();
        assert!(xml.contains("<![CDATA[body: x]]]]><![CDATA[>y\u{FFFD}]]>"), "{xml}");
        assert!(xml.contains("<![CDATA[table ]]]]><![CDATA[> end]]>"), "{xml}");
        assert!(
            xml.contains("<system-out><![CDATA[tags: api=checkout, tier=1]]></system-out></testcase>"),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="fx/a::main" time="1.5" classname="fx.a"><failure type="errors" message="sequence main: 1 error(s)">"#),
            "{xml}"
        );
    }

    #[test]
    fn skipped_and_load_cases() {
        let suite = Suite {
            name: "fx/b".into(),
            cases: vec![
                Case {
                    name: "fx/b::main".into(),
                    time: Duration::ZERO,
                    outcome: TrialOutcome::Skipped("fails on purpose".into()),
                    tags: Vec::new(),
                },
                Case::load_failed("fx/c", "error: unknown key `nope`\n --> c.yaml:2:1"),
            ],
            ..Suite::default()
        };
        let xml = String::from_utf8(render(&[suite]).unwrap()).unwrap();
        assert!(
            xml.contains(r#"<skipped type="ignored" message="fails on purpose"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<failure type="load" message="error: unknown key `nope`"><![CDATA[error: unknown key `nope`"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"tests="2" errors="0" failures="1""#), "{xml}");
    }
}
