//! The terminal summary: a table per activity and per sequence (count, errors, stopped, latency of the
//! successful executions, rate), the run's totals with the failed executions' latency beside the
//! successful ones', errors grouped by class with the first message of each, the thresholds with their
//! measured values, and the result line. [`line()`] is the one-line form the cargo harness prints after
//! each scenario. Both are functions of a [`Judgement`].

use crate::run::RunReport;
use crate::stats::Measure;
use crate::verdict::baseline::Call;
use crate::verdict::relative::{SubjectComparison, change_text, value_text};
use crate::verdict::{Judgement, ThresholdOutcome, Verdict, format_limit, metric_name, value_and_limit};
use comfy_table::{CellAlignment, Table, presets};
use std::fmt::Write as _;
use std::time::Duration;

/// Columns after the name in activity and sequence tables. Latency columns are over successful
/// executions; `stopped` counts executions a stop cut short.
pub(crate) const HEADER: [&str; 8] = ["count", "errors", "stopped", "p50", "p95", "p99", "max", "rate/s"];
/// Columns of the thresholds table.
pub(crate) const THRESHOLD_HEADER: [&str; 6] = ["threshold on", "metric", "limit", "measured", "samples", "result"];

/// Renders the summary of a judged run.
pub fn render(judgement: &Judgement, color: bool) -> String {
    let report = &judgement.report;
    let mut out = String::new();
    header(&mut out, report);
    activity_tables(&mut out, report);
    totals(&mut out, report);
    feeders(&mut out, report);
    generator(&mut out, report);
    if let Some(reason) = report.stop {
        let _ = writeln!(out, "{}", stop_line(reason));
    }
    if let Some(why) = &judgement.policy.skip_thresholds {
        if !judgement.thresholds.is_empty() {
            let _ = writeln!(out, "Thresholds not judged: {why}");
        }
    } else if !judgement.outcomes.is_empty() {
        let _ = writeln!(out, "{}", thresholds_table(report, &judgement.outcomes));
    }
    for o in &judgement.relative {
        let _ = writeln!(out, "{}", o.message);
    }
    for (name, failures) in crate::verdict::confirm::flaky(judgement) {
        let _ = writeln!(
            out,
            "Flaky (failed in {} run(s), held when run again; passes): {name}: {}",
            failures.len(),
            failures
                .iter()
                .map(|f| f.summary.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if !judgement.comparison.is_empty() {
        let _ = writeln!(
            out,
            "Compared with the baseline: {}",
            comparison_verdict(&judgement.comparison)
        );
        out.push_str(&comparison(&judgement.comparison, false));
    }
    let word = judgement.result_line();
    if color {
        let _ = writeln!(out, "{}{word}\x1b[0m", verdict_style(judgement.verdict));
    } else {
        let _ = writeln!(out, "{word}");
    }
    out
}

/// One line per scenario, for the cargo harness (stderr, also when everything passed):
/// `fixtures/smoke: 1234 executions, 0 errors, 0 stopped, p95 12.3ms, 456.7/s, pass; generator: CPU 34% of 2 core(s), peak RSS 15.2 MiB, lag p99 1ms`.
pub fn line(name: &str, judgement: &Judgement) -> String {
    let report = &judgement.report;
    let total = &report.stats.total;
    let stopped: u64 = report.stats.activities.iter().map(|m| m.stopped).sum();
    let executions: u64 = report.stats.activities.iter().map(|m| m.count).sum();
    format!(
        "{name}: {executions} executions, {} errors, {stopped} stopped, p95 {}, {:.1}/s, {}; generator: {}",
        report.error_count(),
        pct(total, 95.0),
        total.rate(report.elapsed),
        match judgement.verdict {
            Verdict::Pass => "pass".to_string(),
            _ => judgement.result_line().trim_start_matches("Result: ").to_string(),
        },
        generator_figures(report)
    )
}

fn header(out: &mut String, report: &RunReport) {
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
        fmt_time(report.wall_time()),
    );
    if let Some(start) = report.started_at {
        let _ = writeln!(
            out,
            "Start {}, end {}",
            super::format_rfc3339(start),
            super::format_rfc3339(start + report.wall_time())
        );
    }
    if report.dry_run {
        out.push_str("Dry run: no request was sent and no sleep was slept.\n");
    }
}

/// The activity and sequence tables: one pair per workload (headed by its name and its totals) in a file
/// with `workloads`, one pair otherwise.
fn activity_tables(out: &mut String, report: &RunReport) {
    for part in report.workloads() {
        if let Some(heading) = workload_heading(report, &part) {
            let _ = writeln!(out, "{heading}");
        }
        let mut table = new_table("activity");
        for r in activity_rows(report, &part.activities, "  ") {
            table.add_row(r);
        }
        let _ = writeln!(out, "{table}");
        let mut seqs = new_table("sequence (passes)");
        for r in sequence_rows(report, &part.sequences) {
            seqs.add_row(r);
        }
        let _ = writeln!(out, "{seqs}");
    }
    if let Some(rt) = &report.stats.response_time {
        // The open model: the same executions timed from their intended start, side by side.
        let mut table = new_table("response time from intended start");
        for (info, m) in report.activities.iter().zip(&rt.activities) {
            if m.count > 0 {
                table.add_row(row(info.path(), m, m.error_count(), report.elapsed));
            }
        }
        for (name, m) in report.sequences.iter().zip(&rt.sequences) {
            if m.count > 0 {
                table.add_row(row(format!("sequence {name}"), m, m.error_count(), report.elapsed));
            }
        }
        let _ = writeln!(out, "{table}");
    }
}

/// `Workload buy: 300 activities run, 2 errors, 100.0/s`; `None` outside a file with `workloads`.
pub(crate) fn workload_heading(report: &RunReport, part: &crate::run::WorkloadPart<'_>) -> Option<String> {
    let total = report.total_of(&part.activities);
    Some(format!(
        "Workload {}: {} activities run, {} errors, {:.1}/s",
        part.name?,
        total.count,
        total.error_count(),
        total.count as f64 / report.elapsed.as_secs_f64().max(1e-9)
    ))
}

/// Table rows of the activities that ran or were stopped, each followed by its StaticRequests URLs
/// (labels after `sub_mark`).
pub(crate) fn activity_rows(report: &RunReport, ids: &[usize], sub_mark: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for &id in ids {
        let (info, m) = (&report.activities[id], &report.stats.activities[id]);
        if m.count == 0 && m.stopped == 0 {
            continue;
        }
        rows.push(row(info.path(), m, m.error_count(), report.elapsed));
        for sub in report.stats.sub_requests.iter().filter(|s| s.activity == id) {
            rows.push(row(
                format!("{sub_mark}{}", sub.label),
                &sub.measure,
                sub.measure.error_count(),
                report.elapsed,
            ));
        }
    }
    rows
}

/// Table rows of the sequences that ran or were stopped (passes, and their activities' errors).
pub(crate) fn sequence_rows(report: &RunReport, names: &[&String]) -> Vec<Vec<String>> {
    names
        .iter()
        .filter_map(|name| {
            let (m, errors) = report.sequence(name).filter(|(m, _)| m.count > 0 || m.stopped > 0)?;
            Some(row((*name).clone(), &m, errors, report.elapsed))
        })
        .collect()
}

/// The run's totals, the latency of failed executions kept apart, the stopped executions, and the
/// errors by class with the first message of each.
fn totals(out: &mut String, report: &RunReport) {
    let total = &report.stats.total;
    let _ = write!(
        out,
        "{} exchanges with the service ({} ok, {} failed), {:.1}/s; successful: p50 {}, p95 {}, p99 {}",
        total.count,
        total.successes(),
        total.error_count(),
        total.rate(report.elapsed),
        pct(total, 50.0),
        pct(total, 95.0),
        pct(total, 99.0)
    );
    if let Some(failed) = total.failed_latency.as_ref().filter(|l| l.count() > 0) {
        let p = |q| failed.percentile(q).map_or("-".into(), fmt_time);
        let _ = write!(out, "; failed: p50 {}, p95 {}", p(50.0), p(95.0));
    }
    out.push('\n');
    local_line(out, report);
    if let Some(w) = &report.warmup {
        let t = &w.stats.total;
        let _ = writeln!(
            out,
            "Warm-up (not judged): the first {} ({}): {} timed activities ({} ok, {} failed), {:.1}/s; successful: p50 {}, p95 {}, p99 {}",
            fmt_time(w.length),
            w.end.describe(),
            t.count,
            t.successes(),
            t.error_count(),
            t.rate(w.length),
            pct(t, 50.0),
            pct(t, 95.0),
            pct(t, 99.0)
        );
    }
    let stopped: u64 = report.stats.activities.iter().map(|m| m.stopped).sum();
    if stopped > 0 {
        let _ = writeln!(
            out,
            "  stopped: {stopped} execution(s) cut short by the stop (not errors, not in any latency)"
        );
    }
    for (class, n) in report.errors_by_class() {
        let _ = write!(out, "  {class}: {n}");
        if let Some(e) = report.errors.iter().find(|e| e.class == class) {
            let where_ = report.activities.get(e.activity).map(|i| i.path()).unwrap_or_default();
            let first_line = e.message.lines().next().unwrap_or("");
            let whence = crate::verdict::failure::whence(e);
            let _ = write!(out, " — first: {where_} ({whence}): {first_line}");
        }
        out.push('\n');
    }
}

/// What the headline leaves out: the local activities' executions (Sleep, Feed, RunScript, ...) and
/// the exchanges with `ignore_timing`, which have their own rows above. Nothing when there are none.
fn local_line(out: &mut String, report: &RunReport) {
    let mut local = Measure::default();
    for (info, m) in report.activities.iter().zip(&report.stats.activities) {
        if !info.timed {
            local.merge(m);
        }
    }
    if local.count > 0 {
        let _ = writeln!(
            out,
            "  not in these figures: {} execution(s) of local activities ({} failed), each in its own row",
            local.count,
            local.error_count()
        );
    }
}

/// One line per feeder: rows taken and, for a `unique` one that ran out, the sessions it ended.
fn feeders(out: &mut String, report: &RunReport) {
    for f in &report.feeders {
        let _ = match f.order.as_str() {
            "generate" => write!(out, "Feeder `{}` (generated): {} row(s) made", f.name, f.taken),
            _ => write!(
                out,
                "Feeder `{}` ({}): {} row(s) taken of {}",
                f.name, f.order, f.taken, f.rows
            ),
        };
        if f.exhausted() {
            let _ = write!(
                out,
                "; feeder `{}` exhausted after {} rows, {} session(s) ended early",
                f.name, f.taken, f.sessions_ended
            );
        }
        out.push('\n');
    }
    for r in &report.records {
        let _ = write!(out, "Record `{}`: {} row(s) written", r.file, r.rows);
        if r.skipped > 0 {
            let _ = write!(out, ", {} skipped (an earlier activity of the pass failed)", r.skipped);
        }
        out.push('\n');
    }
    if let Some(seed) = report.seed {
        let _ = writeln!(out, "Seed: {seed} (set `load.seed` to make the same data again)");
    }
}

fn generator(out: &mut String, report: &RunReport) {
    let h = &report.health;
    if h.parts.is_empty() {
        let _ = writeln!(out, "Generator: {}", generator_figures(report));
    } else {
        // Merged results: each part's own figures, then their sum and worst.
        let _ = writeln!(
            out,
            "Generator, {} parts: CPU {:.1}s on {} core(s) in all (busiest part {:.0}% of its cores), peak RSS max {:.1} MiB, scheduler lag p99 {}",
            h.parts.len(),
            h.cpu_seconds,
            h.cores,
            h.cpu_share * 100.0,
            h.peak_rss_bytes as f64 / 1048576.0,
            h.lag.percentile(99.0).map_or("-".into(), fmt_time)
        );
        for p in &h.parts {
            let _ = writeln!(
                out,
                "  {}: CPU {:.0}% of {} core(s), peak RSS {:.1} MiB, scheduler lag p99 {}",
                p.name,
                p.cpu_share * 100.0,
                p.cores,
                p.peak_rss_bytes as f64 / 1048576.0,
                p.lag_p99.map_or("-".into(), fmt_time)
            );
        }
    }
    if let Some(due) = h.arrivals {
        let dropped = h.dropped_arrivals;
        let _ = writeln!(
            out,
            "Arrivals: {due} due, {} run, {dropped} dropped{}, {} session(s){}",
            due - dropped.min(due),
            if dropped > 0 { " (every session was busy)" } else { "" },
            report.sessions,
            match h.arrival_seeds.as_slice() {
                [] => String::new(),
                seeds => format!(
                    "; Poisson seed {} (set `load.seed` to repeat them)",
                    seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                ),
            }
        );
    }
    for why in &h.overload {
        let _ = writeln!(
            out,
            "  warning: {why}; results may reflect the generator, not the server"
        );
    }
    if h.request_log_dropped > 0 {
        let _ = writeln!(
            out,
            "  warning: {} request log row(s) were dropped because the log's writer fell behind (the measurements are complete)",
            h.request_log_dropped
        );
    }
}

/// `CPU 34% of 2 core(s), peak RSS 15.2 MiB, scheduler lag p99 1.0ms`.
fn generator_figures(report: &RunReport) -> String {
    let h = &report.health;
    format!(
        "CPU {:.0}% of {} core(s), peak RSS {:.1} MiB, scheduler lag p99 {}",
        h.cpu_share * 100.0,
        h.cores,
        h.peak_rss_bytes as f64 / 1048576.0,
        h.lag.percentile(99.0).map_or("-".into(), fmt_time)
    )
}

/// A comparison with a baseline in one line, what `stressor compare` prints first: `unchanged: 54 of
/// 56 · improved: 0 · too noisy: 2 · regressed: 0` (metrics of every subject compared).
pub fn comparison_verdict(subjects: &[SubjectComparison]) -> String {
    let calls: Vec<Call> = subjects.iter().flat_map(|s| &s.deltas).map(|d| d.call).collect();
    let count = |call: Call| calls.iter().filter(|c| **c == call).count();
    format!(
        "unchanged: {} of {} · improved: {} · too noisy: {} · regressed: {}",
        count(Call::Unchanged),
        calls.len(),
        count(Call::Improved),
        count(Call::TooNoisy),
        count(Call::Regressed)
    )
}

/// A comparison with a baseline as a table: one row per subject and metric, with the baseline's and
/// the current value, the change (positive is worse) and what it means.
pub fn comparison(subjects: &[SubjectComparison], color: bool) -> String {
    comparison_with(subjects, ["baseline", "current"], color)
}

/// [`comparison`] with other headings for the two value columns (`a (baseline)`, `b (candidate)`).
pub fn comparison_with(subjects: &[SubjectComparison], heads: [&str; 2], color: bool) -> String {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN);
    table.set_header(["subject", "metric", heads[0], heads[1], "change", "result"]);
    for i in 2..5 {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    for s in subjects {
        for d in &s.deltas {
            let result = d.call.as_str();
            let result = match (color, d.call) {
                (true, Call::Regressed) => format!("\x1b[1;31m{result}\x1b[0m"),
                (true, Call::Improved) => format!("\x1b[1;32m{result}\x1b[0m"),
                _ => result.to_string(),
            };
            table.add_row(vec![
                s.label.clone(),
                metric_name(d.metric),
                value_text(d.metric, d.baseline),
                value_text(d.metric, d.current),
                d.worse_by.map_or_else(|| "-".into(), |w| change_text(d.metric, w)),
                result,
            ]);
        }
    }
    format!("{table}\n")
}

/// Why the run ended early, as a sentence.
pub(crate) fn stop_line(reason: crate::run::StopReason) -> String {
    let why = match reason {
        crate::run::StopReason::Interrupted => "interrupted (Ctrl-C / SIGTERM)",
        crate::run::StopReason::MaxErrors => "stopped: max_errors reached",
        crate::run::StopReason::MaxTime => "stopped: max_time reached",
        crate::run::StopReason::Requested => "stopped on request",
        crate::run::StopReason::Aborted => "stopped: an abort_on_fail threshold failed",
    };
    format!("Run {why}; remaining work was skipped, `end` sequences ran.")
}

/// The ANSI colour of a verdict's result line.
fn verdict_style(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "\x1b[1;32m",
        Verdict::Failed => "\x1b[1;31m",
        Verdict::Inconclusive | Verdict::Stopped => "\x1b[1;33m",
    }
}

/// One row per threshold rule: subject, metric, limit, measured value, samples and the result.
fn thresholds_table(report: &RunReport, outcomes: &[ThresholdOutcome]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN);
    table.set_header(THRESHOLD_HEADER);
    for i in 2..5 {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    for o in outcomes {
        table.add_row(threshold_row(report, o));
    }
    table
}

/// The cells of one threshold row (also the HTML report's).
pub(crate) fn threshold_row(report: &RunReport, o: &ThresholdOutcome) -> Vec<String> {
    let result = match (o.passed, o.unjudged()) {
        (true, _) => "pass".to_string(),
        (false, Some(why)) => format!("FAIL: {why}"),
        (false, None) => "FAIL".to_string(),
    };
    vec![
        o.subject.label(&report.activities),
        o.rule_name(),
        format_limit(&o.limit),
        o.measured.map_or("-".into(), |m| value_and_limit(&m, &o.limit).0),
        o.samples.to_string(),
        result,
    ]
}

fn new_table(first: &str) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN);
    let mut header = vec![first];
    header.extend(HEADER);
    table.set_header(header);
    for i in 1..=HEADER.len() {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// One activity or sequence row: name, count, errors, stopped, p50, p95, p99, max (successful
/// executions), rate (also the HTML report's and the monitor's).
pub(crate) fn row(name: String, m: &Measure, errors: u64, elapsed: Duration) -> Vec<String> {
    vec![
        name,
        m.count.to_string(),
        errors.to_string(),
        m.stopped.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::ActivityInfo;
    use crate::scenario::{Limit, Metric, Span, Threshold, ThresholdSet};
    use crate::stats::Snapshot;
    use crate::verdict::{Judgement, Policy, Subject, SubjectThresholds};

    #[test]
    fn thresholds_table_and_result_line() {
        let mut m = Measure::default();
        for _ in 0..4 {
            m.record(Duration::from_millis(312), None, 0, 0);
        }
        let report = RunReport {
            scenario: "shop".into(),
            elapsed: Duration::from_secs(2),
            sessions: 1,
            activities: vec![ActivityInfo {
                sequence: "main".into(),
                index: 0,
                label: "GetRequest(/x)".into(),
                timed: true,
                tags: Vec::new(),
                workload: None,
            }],
            sequences: vec!["main".into(), "cleanup".into()],
            stats: Snapshot {
                activities: vec![m.clone()],
                sequences: vec![m.clone(), Measure::default()],
                total: m,
                ..Snapshot::default()
            },
            ..RunReport::default()
        };
        let rule = |metric, limit| Threshold::new(metric, limit, Span::default());
        let set = |rules, min_samples| ThresholdSet {
            rules,
            min_samples,
            ..ThresholdSet::default()
        };
        let thresholds = vec![
            SubjectThresholds {
                subject: Subject::Activity {
                    selector: "main/0".into(),
                    ids: vec![0],
                },
                set: set(
                    vec![
                        rule(Metric::Percentile(95.0), Limit::Duration(Duration::from_millis(300))),
                        rule(Metric::ErrorRate, Limit::Ratio(0.01)),
                    ],
                    None,
                ),
            },
            SubjectThresholds {
                subject: Subject::Run,
                set: set(vec![rule(Metric::MinRps, Limit::Rate(1.0))], Some(10)),
            },
            SubjectThresholds {
                subject: Subject::Sequence("cleanup".into()),
                set: set(vec![rule(Metric::Max, Limit::Duration(Duration::from_secs(1)))], None),
            },
        ];
        let judge = |thresholds| {
            Judgement::from_parts(
                report.clone(),
                thresholds,
                Vec::new(),
                Default::default(),
                Policy::default(),
            )
        };
        let text = render(&judge(thresholds), false);
        let table = text
            .lines()
            .skip_while(|l| !l.starts_with("| threshold on"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            table,
            "\
| threshold on          | metric     | limit | measured | samples | result                          |
|-----------------------|------------|-------|----------|---------|---------------------------------|
| main/0 GetRequest(/x) | p95        | 300ms |    312ms |       4 | FAIL                            |
| main/0 GetRequest(/x) | error_rate |    1% |       0% |       4 | pass                            |
| the run               | min_rps    |   1/s |      2/s |       4 | FAIL: not enough data (need 10) |
| sequence cleanup      | max        |    1s |        - |       0 | FAIL: never ran                 |
Result: FAILED (3 of 4 thresholds failed)"
        );
        let plain = render(&judge(Vec::new()), false);
        assert!(!plain.contains("threshold on"), "no table without thresholds");
        assert!(plain.ends_with("Result: ok\n"), "{plain}");
        assert!(
            plain.contains("4 exchanges with the service (4 ok, 0 failed), 2.0/s; successful: p50 312.1ms"),
            "{plain}"
        );
        assert_eq!(
            line("fx/shop", &judge(Vec::new())),
            "fx/shop: 4 executions, 0 errors, 0 stopped, p95 312.1ms, 2.0/s, pass; generator: CPU 0% of 0 core(s), peak RSS 0.0 MiB, scheduler lag p99 -"
        );
    }
}
