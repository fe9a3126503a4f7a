//! The terminal summary: a per-activity table (count, errors, mean, max, rate), errors grouped by class
//! with the first message of each, and the result line. Percentiles and thresholds arrive with the
//! measurements issue.

use crate::run::RunReport;
use comfy_table::{CellAlignment, Table, presets};
use std::fmt::Write as _;
use std::time::Duration;

/// Renders the summary as text.
pub fn render(report: &RunReport, color: bool) -> String {
    let mut out = String::new();
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let _ = writeln!(
        out,
        "Scenario '{}'{}{} — {} session(s), run time {}",
        report.scenario,
        report.tag.as_ref().map(|t| format!(" [{t}]")).unwrap_or_default(),
        report
            .base_url
            .as_ref()
            .map(|u| format!(" against {u}"))
            .unwrap_or_default(),
        report.sessions,
        fmt_time(report.elapsed),
    );
    if report.dry_run {
        out.push_str("Dry run: no request was sent and no sleep was slept.\n");
    }
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN);
    table.set_header(vec!["activity", "count", "errors", "mean", "max", "rate/s"]);
    for (info, s) in &report.activities {
        if s.count == 0 {
            continue;
        }
        table.add_row(vec![
            info.path(),
            s.count.to_string(),
            s.error_count().to_string(),
            s.mean().map_or("-".into(), fmt_time),
            fmt_time(s.max),
            format!("{:.1}", s.count as f64 / secs),
        ]);
        for (aid, url, sub) in &report.sub_requests {
            if report.activities.get(*aid).is_some_and(|(i, _)| i == info) {
                table.add_row(vec![
                    format!("  {url}"),
                    sub.count.to_string(),
                    sub.error_count().to_string(),
                    sub.mean().map_or("-".into(), fmt_time),
                    fmt_time(sub.max),
                    format!("{:.1}", sub.count as f64 / secs),
                ]);
            }
        }
    }
    for i in 1..6 {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let _ = writeln!(out, "{table}");
    let total = &report.total;
    let _ = writeln!(
        out,
        "{} activities, {} error(s), {:.1} activities/s",
        total.count,
        total.error_count(),
        total.count as f64 / secs
    );
    for (class, n) in report.errors_by_class() {
        let first = report.errors.iter().find(|e| e.class == class);
        let _ = write!(out, "  {class}: {n}");
        if let Some(e) = first {
            let where_ = report
                .activities
                .get(e.activity)
                .map(|(i, _)| i.path())
                .unwrap_or_default();
            let first_line = e.message.lines().next().unwrap_or("");
            let _ = write!(
                out,
                " — first: {where_} (session {}, pass {}): {first_line}",
                e.session_id, e.pass
            );
        }
        out.push('\n');
    }
    if let Some(reason) = report.stop {
        let why = match reason {
            crate::run::StopReason::Interrupted => "interrupted (Ctrl-C / SIGTERM)",
            crate::run::StopReason::MaxErrors => "stopped: max_errors reached",
            crate::run::StopReason::MaxTime => "stopped: max_time reached",
            crate::run::StopReason::Requested => "stopped on request",
        };
        let _ = writeln!(out, "Run {why}; remaining work was skipped, `end` sequences ran.");
    }
    let (word, style) = if report.error_count() == 0 {
        ("Result: ok", "\x1b[1;32m")
    } else {
        ("Result: FAILED", "\x1b[1;31m")
    };
    if color {
        let _ = writeln!(out, "{style}{word}\x1b[0m");
    } else {
        let _ = writeln!(out, "{word}");
    }
    out
}

fn fmt_time(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.2}s", d.as_secs_f64())
    } else if d.as_micros() >= 1000 {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{}us", d.as_micros())
    }
}
