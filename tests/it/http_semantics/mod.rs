//! What happens to a request and its response, on both HTTP clients: content decoding, charsets,
//! repeated headers, JSONPath, XPath on XML, PollRequest's condition, redirect control, multipart
//! bodies. Every area is one table of
//! activities, each with the outcome it must have; [`check_table`] runs the table once per client
//! (`config.http_client: lean` and `reqwest`) against the built-in target and compares, so the
//! transports cannot drift apart.
//!
//! The request side does not send `Accept-Encoding` by itself yet: the activities that want a
//! compressed answer set the header, as a browser's HAR replay does.

use crate::common;

use common::run::server;
use stressor::run::{RunOptions, RunReport};

mod charsets;
mod decoding;
mod headers;
mod json_path;
mod loading;
mod multipart;
mod poll;
mod redirects;
mod xml;

/// The two clients every table runs on.
pub const CLIENTS: [&str; 2] = ["lean", "reqwest"];

/// One activity of a table and what it must give.
pub struct Case {
    /// What the row shows.
    pub comment: &'static str,
    /// The activity, YAML at the indentation of a sequence's list items (6 spaces for its keys).
    pub activity: &'static str,
    /// `None`: it passes. `Some((class, parts))`: it fails with that error class, and its message
    /// contains each of `parts`.
    pub fails: Option<(&'static str, &'static [&'static str])>,
}

/// A passing row.
pub const fn pass(comment: &'static str, activity: &'static str) -> Case {
    Case {
        comment,
        activity,
        fails: None,
    }
}

/// A failing row.
pub const fn fail(
    comment: &'static str,
    activity: &'static str,
    class: &'static str,
    parts: &'static [&'static str],
) -> Case {
    Case {
        comment,
        activity,
        fails: Some((class, parts)),
    }
}

/// The scenario of a table: one session runs every row once, in order, with `config` added.
fn scenario(client: &str, config: &str, cases: &[Case]) -> String {
    let activities: String = cases.iter().map(|c| c.activity).collect();
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: {{BASE}}\n  request_timeout: 20\n  http_client: {client}\n{config}sessions:\n  count: 1\nscenario:\n  - sequence: main\nsequences:\n  main:\n{activities}"
    )
}

/// Runs `cases` on each client, each against a fresh target server, and checks every row's outcome;
/// returns the reports (lean first).
pub async fn check_table(config: &str, cases: &[Case]) -> Vec<RunReport> {
    let mut reports = Vec::new();
    for client in CLIENTS {
        let srv = server().await;
        let report = common::run::run_yaml(&srv, &scenario(client, config, cases), RunOptions::default()).await;
        for (i, case) in cases.iter().enumerate() {
            let what = format!("{client}, row {i} ({})", case.comment);
            let id = report
                .activities
                .iter()
                .position(|a| a.sequence == "main" && a.index == i)
                .unwrap_or_else(|| panic!("{what}: no such activity"));
            let errors: Vec<_> = report.errors.iter().filter(|e| e.activity == id).collect();
            match case.fails {
                None => assert!(
                    errors.is_empty(),
                    "{what}: {:?}",
                    errors.iter().map(|e| &e.message).collect::<Vec<_>>()
                ),
                Some((class, parts)) => {
                    assert_eq!(errors.len(), 1, "{what}: {:?}", report.errors);
                    let error = errors[0];
                    assert_eq!(error.class.to_string(), class, "{what}: {}", error.message);
                    for part in parts {
                        assert!(
                            error.message.contains(part),
                            "{what}: `{part}` not in: {}",
                            error.message
                        );
                    }
                }
            }
        }
        reports.push(report);
    }
    reports
}

/// The bytes received by row `index` of a table's report (the wire count).
pub fn bytes_received(report: &RunReport, index: usize) -> u64 {
    report.activity("main", index).map_or(0, |(_, m)| m.bytes_received)
}
