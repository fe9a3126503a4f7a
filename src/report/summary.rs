//! The terminal summary: a table per activity and per sequence (count, errors, p50/p95/p99/max, rate),
//! errors grouped by class with the first message of each, and the result line.

use crate::run::RunReport;
use crate::stats::Measure;
use comfy_table::{CellAlignment, Table, presets};
use std::fmt::Write as _;
use std::time::Duration;

const HEADER: [&str; 8] = ["count", "errors", "p50", "p95", "p99", "max", "rate/s", ""];

/// Renders the summary as text.
pub fn render(report: &RunReport, color: bool) -> String {
    let mut out = String::new();
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
    let mut table = new_table("activity");
    for (id, (info, m)) in report.activities.iter().zip(&report.stats.activities).enumerate() {
        if m.count == 0 {
            continue;
        }
        table.add_row(row(info.path(), m, m.error_count(), report.elapsed));
        for sub in report.stats.sub_requests.iter().filter(|s| s.activity == id) {
            table.add_row(row(
                format!("  {}", sub.label),
                &sub.measure,
                sub.measure.error_count(),
                report.elapsed,
            ));
        }
    }
    let _ = writeln!(out, "{table}");
    let mut seqs = new_table("sequence (passes)");
    for name in &report.sequences {
        if let Some((m, errors)) = report.sequence(name).filter(|(m, _)| m.count > 0) {
            seqs.add_row(row(name.clone(), &m, errors, report.elapsed));
        }
    }
    let _ = writeln!(out, "{seqs}");
    let total = &report.stats.total;
    let _ = writeln!(
        out,
        "{} timed activities, {} error(s), {:.1}/s; p50 {}, p95 {}, p99 {}",
        total.count,
        report.error_count(),
        total.rate(report.elapsed),
        pct(total, 50.0),
        pct(total, 95.0),
        pct(total, 99.0)
    );
    for (class, n) in report.errors_by_class() {
        let _ = write!(out, "  {class}: {n}");
        if let Some(e) = report.errors.iter().find(|e| e.class == class) {
            let where_ = report.activities.get(e.activity).map(|i| i.path()).unwrap_or_default();
            let first_line = e.message.lines().next().unwrap_or("");
            let _ = write!(
                out,
                " — first: {where_} (session {}, pass {}): {first_line}",
                e.session_id, e.pass
            );
        }
        out.push('\n');
    }
    let h = &report.health;
    let _ = writeln!(
        out,
        "Generator: CPU {:.0}% of {} core(s), peak RSS {:.1} MiB, scheduler lag p99 {}",
        h.cpu_share * 100.0,
        h.cores,
        h.peak_rss_bytes as f64 / 1048576.0,
        h.lag.percentile(99.0).map_or("-".into(), fmt_time)
    );
    for why in &h.overload {
        let _ = writeln!(
            out,
            "  warning: {why}; results may reflect the generator, not the server"
        );
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

fn new_table(first: &str) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN);
    let mut header = vec![first];
    header.extend(&HEADER[..7]);
    table.set_header(header);
    for i in 1..8 {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

fn row(name: String, m: &Measure, errors: u64, elapsed: Duration) -> Vec<String> {
    vec![
        name,
        m.count.to_string(),
        errors.to_string(),
        pct(m, 50.0),
        pct(m, 95.0),
        pct(m, 99.0),
        m.latency.max().map_or("-".into(), fmt_time),
        format!("{:.1}", m.rate(elapsed)),
    ]
}

fn pct(m: &Measure, p: f64) -> String {
    m.latency.percentile(p).map_or("-".into(), fmt_time)
}

/// Times as people read them: `1.23s`, `4.5ms`, `870us`.
pub fn fmt_time(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.2}s", d.as_secs_f64())
    } else if d.as_micros() >= 1000 {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{}us", d.as_micros())
    }
}
