//! JUnit XML (`stressor run --junit FILE`, and always from the cargo harness), built with the
//! [`junit_report`] crate.
//!
//! The shape, read by Jenkins, GitLab and GitHub test reporters (it validates against the Jenkins
//! xunit plugin's `junit-10.xsd`, shipped in `tests/`):
//!
//! - one `<testsuite>` per scenario file, named by the file's trial prefix (`fixtures/smoke`), with
//!   the run's start as `timestamp` and the terminal summary (no colour) as `<system-out>`;
//! - one `<testcase>` per trial ([`trials`](crate::harness::trials)): `name` is the full trial name
//!   (`fixtures/smoke::checks::main/0:login`, what `cargo test` prints), `classname` the prefix with `/`
//!   as `.` (`fixtures.smoke`: Jenkins shows package `fixtures`, class `smoke`; GitLab groups by it);
//!   `time` is [`trial_time`];
//! - a failed trial has `<failure type="errors|threshold|load" message="one line">` whose text is the
//!   first failing responses and the unified diffs; an ignored one has `<skipped message="reason">`;
//! - a file that does not load is one failed `<file>::load` case carrying the rendered diagnostics.
//!
//! Text is cleaned for XML 1.0 on the way in ([`xml_text`]): response bodies may hold control
//! characters or `]]>`, which would otherwise make the file unreadable.

use super::ReportError;
use crate::harness::trials::{TrialFailure, TrialSpec, judge, trial_time};
use crate::run::RunReport;
use crate::verdict::ThresholdOutcome;
use junit_report::{Report, TestCase, TestSuite};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How a test case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseOutcome {
    /// It passed.
    Passed,
    /// It failed.
    Failed(TrialFailure),
    /// It was ignored (`config.ignore`), with the reason.
    Skipped(String),
}

/// One `<testcase>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The full trial name (`fixtures/smoke::main`).
    pub name: String,
    /// The measured time.
    pub time: Duration,
    /// How it ended.
    pub outcome: CaseOutcome,
}

impl Case {
    /// The case of trial `spec` of the file `prefix`, judged against the file's run.
    pub fn judged(prefix: &str, spec: &TrialSpec, report: &RunReport, outcomes: &[ThresholdOutcome]) -> Case {
        Case {
            name: format!("{prefix}::{}", spec.name),
            time: trial_time(spec, report),
            outcome: match judge(spec, report, outcomes) {
                Ok(()) => CaseOutcome::Passed,
                Err(failure) => CaseOutcome::Failed(failure),
            },
        }
    }

    /// The `<file>::load` case of a file that did not load (or whose run could not start).
    pub fn load_failed(prefix: &str, rendered: &str) -> Case {
        let summary = rendered
            .lines()
            .next()
            .unwrap_or("the scenario did not load")
            .to_string();
        Case {
            name: format!("{prefix}::load"),
            time: Duration::ZERO,
            outcome: CaseOutcome::Failed(TrialFailure {
                kind: "load",
                summary,
                details: rendered.to_string(),
            }),
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
}

impl Suite {
    /// The suite of a file whose trials all ran (`stressor run --junit`): every trial judged against
    /// the run, the run's summary as `<system-out>`.
    pub fn of_run(name: &str, specs: &[TrialSpec], report: &RunReport, outcomes: &[ThresholdOutcome]) -> Suite {
        Suite {
            name: name.to_string(),
            started: report.started_at,
            cases: specs.iter().map(|s| Case::judged(name, s, report, outcomes)).collect(),
            system_out: Some(run_summary(report, outcomes)),
        }
    }
}

/// The terminal summary of a run (tables, thresholds, verdict), without colour.
pub fn run_summary(report: &RunReport, outcomes: &[ThresholdOutcome]) -> String {
    let verdict = crate::verdict::verdict(report, outcomes, report.health.overloaded());
    super::summary::render_with(report, outcomes, verdict, false)
}

/// The XML document of `suites`.
pub fn render(suites: &[Suite]) -> Result<Vec<u8>, junit_report::Error> {
    let mut report = Report::new();
    report.add_testsuites(suites.iter().map(to_suite));
    let mut out = Vec::new();
    report.write_xml(&mut out)?;
    out.push(b'\n');
    Ok(out)
}

/// Writes `suites` to `path` atomically (the folder must exist).
pub fn write(path: &Path, suites: &[Suite]) -> Result<(), ReportError> {
    let bytes = render(suites).map_err(|e| ReportError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    super::write_atomically(path, &bytes)
}

fn to_suite(suite: &Suite) -> TestSuite {
    let mut out = TestSuite::new(&xml_text(&suite.name));
    if let Some(started) = suite.started {
        out.set_timestamp(started.into());
    }
    let classname = xml_text(&suite.name.replace('/', "."));
    for case in &suite.cases {
        let name = xml_text(&case.name);
        let time = junit_report::Duration::try_from(case.time).unwrap_or(junit_report::Duration::MAX);
        let mut tc = match &case.outcome {
            CaseOutcome::Passed => TestCase::success(&name, time),
            CaseOutcome::Skipped(reason) => TestCase::skipped_with_cause(&name, "ignored", &xml_text(reason)),
            CaseOutcome::Failed(f) => {
                let mut tc = TestCase::failure(&name, time, f.kind, &xml_text(&f.summary));
                if let junit_report::TestResult::Failure { cause, .. } = &mut tc.result {
                    *cause = Some(xml_text(&f.details));
                }
                tc
            }
        };
        tc.set_classname(&classname);
        out.add_testcase(tc);
    }
    if let Some(text) = &suite.system_out {
        out.set_system_out(&xml_text(text));
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
            kind: "errors",
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
                outcome: CaseOutcome::Failed(failure("body: x]]>y\u{0}")),
            }],
            system_out: Some("table ]]> end".into()),
            ..Suite::default()
        };
        let xml = String::from_utf8(render(&[suite]).unwrap()).unwrap();
        assert!(xml.contains("<![CDATA[body: x]]]]><![CDATA[>y\u{FFFD}]]>"), "{xml}");
        assert!(xml.contains("<![CDATA[table ]]]]><![CDATA[> end]]>"), "{xml}");
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
                    outcome: CaseOutcome::Skipped("fails on purpose".into()),
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
