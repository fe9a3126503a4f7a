//! The HTML report (`run --html report.html`): one self-contained file — styles inline, plots as inline
//! SVG ([`super::svg`]), no script and no external resource — so it opens offline and can be attached
//! to a CI job as is. It shows what the terminal summary shows (activity and sequence tables,
//! thresholds, errors, generator health, the verdict) plus latency and throughput over time (from the
//! per-second series) and the latency histogram (from the run's HDR histogram).
//!
//! The table helpers and the stylesheet are shared with the live monitor (`crate::monitor`), so both
//! pages read alike.

use super::summary::{self, fmt_time};
use super::svg::{self, Band, Bar, Line};
use crate::run::RunReport;
use crate::stats::{Latency, Second};
use crate::verdict::{Judgement, Verdict};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// Bars in the latency histogram.
const HISTOGRAM_BARS: usize = 24;
/// Error records listed in full (the rest are counted by class).
const ERRORS_LISTED: usize = 50;

/// The stylesheet of the report and the monitor.
pub const STYLE: &str = r#"
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; padding: 16px 24px; max-width: 1200px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.meta { color: #555; margin: 2px 0; }
.verdict { display: inline-block; font-weight: bold; padding: 4px 10px; border-radius: 4px; margin: 8px 0; }
.pass { background: #e3f4e1; color: #1b6b17; } .failed { background: #fbe3e1; color: #a3211a; }
.inconclusive, .stopping, .stopped { background: #fff4d6; color: #8a5a00; } .running { background: #e1ecfb; color: #1a4c9b; }
.finished { background: #eee; color: #333; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #f5f5f5; } th:first-child, td:first-child { text-align: left; }
th.err { text-align: left; }
td.err { text-align: left; white-space: normal; color: #a3211a; font-size: 12px; max-width: 420px; }
svg.chart { width: 100%; max-width: 900px; height: auto; display: block; border: 1px solid #eee; background: #fff; }
svg text { font: 11px system-ui, sans-serif; fill: #555; }
pre { background: #f7f7f7; padding: 6px 8px; white-space: pre-wrap; margin: 2px 0 8px; font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
"#;

/// Escapes text for HTML element content and quoted attribute values (`&<>"'`), with the html-escape
/// crate that the built-in target server's listings use too.
pub fn escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// An HTML table; cells are escaped. `last_class` is set on the last column (e.g. `err`), if given.
pub fn table(header: &[&str], rows: &[Vec<String>], last_class: Option<&str>) -> String {
    let mut out = String::from("<table><thead>");
    cells(&mut out, "th", header, last_class);
    out.push_str("</thead><tbody>");
    for row in rows {
        cells(&mut out, "td", row, last_class);
    }
    out.push_str("</tbody></table>");
    out
}

/// One table row of `tag` cells.
fn cells(out: &mut String, tag: &str, cells: &[impl AsRef<str>], last_class: Option<&str>) {
    out.push_str("<tr>");
    for (i, cell) in cells.iter().enumerate() {
        let text = escape(cell.as_ref());
        match last_class.filter(|_| i + 1 == cells.len()) {
            Some(class) => {
                let _ = write!(out, r#"<{tag} class="{class}">{text}</{tag}>"#);
            }
            None => {
                let _ = write!(out, "<{tag}>{text}</{tag}>");
            }
        }
    }
    out.push_str("</tr>");
}

/// Latency percentiles per series entry as a line chart (milliseconds over run seconds).
pub fn latency_chart(series: &[Second], step: u64) -> String {
    latency_chart_with(series, step, None, None)
}

/// [`latency_chart`], with a baseline run's p50 and p95 (its series and step) on the same axes, and a
/// shaded band (the warm-up).
pub fn latency_chart_with(
    series: &[Second],
    step: u64,
    baseline: Option<(&[Second], u64)>,
    band: Option<&Band>,
) -> String {
    let line = |name: &str, color, p: f64, series: &[Second], step: u64| Line {
        name: name.to_string(),
        color,
        points: series
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let at = ((i as u64 + 1) * step.max(1)) as f64;
                Some((at, s.latency.percentile(p)?.as_secs_f64() * 1e3))
            })
            .collect(),
    };
    let mut lines = vec![
        line("p50", "#4e79a7", 50.0, series, step),
        line("p95", "#f28e2b", 95.0, series, step),
        line("p99", "#e15759", 99.0, series, step),
    ];
    if let Some((base, base_step)) = baseline {
        lines.push(line("baseline p50", "#a0cbe8", 50.0, base, base_step));
        lines.push(line("baseline p95", "#ffbe7d", 95.0, base, base_step));
    }
    svg::line_chart_with_band("Latency over time", &lines, band, fmt_seconds, fmt_millis)
}

/// Requests and errors per second over time as a line chart. `elapsed` is how much of the series
/// the run covered: the last entry of a run (or of a monitor's run in progress) usually covers only
/// part of its step, so it is divided by the part it covers, not drawn as a drop; an entry covering
/// less than a quarter of its step is left out (too little time to say a rate).
pub fn throughput_chart(series: &[Second], step: u64, elapsed: Duration) -> String {
    throughput_chart_with(series, step, elapsed, None)
}

/// [`throughput_chart`] with a shaded band (the warm-up).
pub fn throughput_chart_with(series: &[Second], step: u64, elapsed: Duration, band: Option<&Band>) -> String {
    let step = step.max(1) as f64;
    let elapsed = elapsed.as_secs_f64();
    let covered = |i: usize| {
        let start = i as f64 * step;
        if elapsed > start {
            (elapsed - start).min(step)
        } else {
            step
        }
    };
    let line = |name: &str, color, value: fn(&Second) -> u64| Line {
        name: name.to_string(),
        color,
        points: series
            .iter()
            .enumerate()
            .filter(|(i, _)| covered(*i) >= step / 4.0)
            .map(|(i, s)| {
                let span = covered(i);
                (i as f64 * step + span, value(s) as f64 / span)
            })
            .collect(),
    };
    svg::line_chart_with_band(
        "Throughput",
        &[
            line("requests/s", "#59a14f", |s| s.requests),
            line("errors/s", "#e15759", |s| s.errors),
        ],
        band,
        fmt_seconds,
        |v| format!("{v:.0}/s"),
    )
}

/// The sessions alive over time (the most in each series entry, drawn at the entry's start), or nothing
/// when the series has none (a results file from before they were recorded).
pub fn sessions_chart(series: &[Second], step: u64) -> String {
    if series.iter().all(|s| s.sessions == 0) {
        return String::new();
    }
    let step = step.max(1) as f64;
    let line = Line {
        name: "sessions alive".to_string(),
        color: "#4e79a7",
        points: series
            .iter()
            .enumerate()
            .map(|(i, s)| (i as f64 * step, s.sessions as f64))
            .collect(),
    };
    svg::line_chart("Sessions", &[line], fmt_seconds, |v| format!("{v:.0}"))
}

/// The latency distribution as bars over log-spaced latency ranges, from the HDR histogram.
pub fn histogram_chart(latency: &Latency) -> String {
    let bars = match (latency.min(), latency.max()) {
        (Some(min), Some(max)) => histogram_bars(latency, micros(min).max(1), micros(max).max(1)),
        _ => Vec::new(),
    };
    svg::bar_chart("Latency histogram", &bars, |v| format!("{v:.0}"))
}

fn histogram_bars(latency: &Latency, min: u64, max: u64) -> Vec<Bar> {
    let ratio = (max as f64 / min as f64).max(1.0);
    let bars = if max > min { HISTOGRAM_BARS } else { 1 };
    let edge = |i: usize| (min as f64 * ratio.powf(i as f64 / bars as f64)).round() as u64;
    let mut out: Vec<Bar> = (0..bars)
        .map(|i| Bar {
            label: fmt_time(Duration::from_micros(edge(i))),
            value: 0.0,
        })
        .collect();
    // Each recorded HDR bucket goes to exactly one bar, so the bars add up to the sample count.
    for v in latency.to_histogram().iter_recorded() {
        let value = v.value_iterated_to().max(1) as f64;
        let pos = if ratio > 1.0 {
            ((value / min as f64).ln() / ratio.ln() * bars as f64).floor()
        } else {
            0.0
        };
        let i = (pos.max(0.0) as usize).min(bars - 1);
        out[i].value += v.count_at_value() as f64;
    }
    out
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The run's series over its whole wall time, for the plots: the warm-up's entries, then the judged
/// ones (whose series counts from the warm-up's end), at one step; and the band that shades the
/// warm-up. (A warm-up that ends within a second is drawn to that second's end.)
fn whole_series(report: &RunReport) -> (Vec<Second>, u64, Option<Band>) {
    let stats = &report.stats;
    let Some(w) = &report.warmup else {
        return (stats.series.clone(), stats.series_step.max(1), None);
    };
    let step = stats.series_step.max(w.stats.series_step).max(1);
    let judged = crate::stats::coarsen(&stats.series, stats.series_step.max(1), step);
    let mut series = crate::stats::coarsen(&w.stats.series, w.stats.series_step.max(1), step);
    let warm_entries = (w.length.as_secs_f64() / step as f64).ceil() as usize;
    series.resize_with(warm_entries, Second::default);
    series.extend(judged);
    let band = Band {
        from: 0.0,
        to: w.length.as_secs_f64(),
        label: "warm-up (not judged)".into(),
    };
    (series, step, Some(band))
}

fn fmt_seconds(s: f64) -> String {
    format!("{s:.0}s")
}

/// A latency axis tick: `1.5s`, `250ms`, `2.5ms`, `250us` (sub-millisecond ticks in microseconds, so
/// a fast service's axis does not read `0ms` at every line).
fn fmt_millis(ms: f64) -> String {
    let trimmed = |v: f64, decimals: usize| {
        let text = format!("{v:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    };
    if ms >= 1000.0 {
        format!("{}s", trimmed(ms / 1000.0, 2))
    } else if ms >= 1.0 || ms == 0.0 {
        format!("{}ms", trimmed(ms, 2))
    } else {
        format!("{}us", trimmed(ms * 1000.0, 1))
    }
}

/// The whole report of a judged run as one HTML document.
pub fn render(judgement: &Judgement) -> String {
    let report = &judgement.report;
    let outcomes = &judgement.outcomes;
    let verdict = judgement.verdict;
    let mut out = String::new();
    let title = format!("stressor: {}", report.scenario);
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{}</title><style>{STYLE}</style></head><body>"#,
        escape(&title)
    );
    let _ = write!(out, "<h1>Scenario '{}'", escape(&report.scenario));
    if let Some(tag) = &report.tag {
        let _ = write!(out, " [{}]", escape(tag));
    }
    out.push_str("</h1>");
    let mut facts = vec![format!(
        "{} session(s), run time {}",
        report.sessions,
        fmt_time(report.elapsed)
    )];
    if let Some(url) = &report.base_url {
        facts.push(format!("against {url}"));
    }
    if let Some(start) = report.started_at {
        facts.push(format!(
            "start {}, end {}",
            super::format_rfc3339(start),
            super::format_rfc3339(start + report.elapsed)
        ));
    }
    if report.dry_run {
        facts.push("dry run: no request was sent".into());
    }
    let _ = write!(out, r#"<p class="meta">{}</p>"#, escape(&facts.join(" · ")));
    if let Some(reason) = report.stop {
        let _ = write!(out, r#"<p class="meta">{}</p>"#, escape(&summary::stop_line(reason)));
    }
    let line = judgement.result_line();
    let _ = write!(
        out,
        r#"<div id="verdict" class="verdict {}">{}</div>"#,
        verdict_class(verdict),
        escape(&line)
    );

    let stats = &report.stats;
    let (series, step, band) = whole_series(report);
    let _ = write!(
        out,
        r#"<h2>Over time</h2><div class="charts"><div id="latency-chart">{}</div><div id="throughput-chart">{}</div>{}</div>"#,
        latency_chart_with(
            &series,
            step,
            judgement
                .policy
                .baseline
                .as_ref()
                .and_then(|b| b.as_ref().ok())
                .map(|b| (b.report().stats.series.as_slice(), b.report().stats.series_step)),
            band.as_ref(),
        ),
        throughput_chart_with(&series, step, report.wall_time(), band.as_ref()),
        Some(sessions_chart(&series, step))
            .filter(|svg| !svg.is_empty())
            .map_or_else(String::new, |svg| format!(r#"<div id="sessions-chart">{svg}</div>"#))
    );
    let total = &stats.total;
    let _ = write!(
        out,
        r#"<h2>Latency histogram</h2><p class="meta">{} successful exchanges; p50 {}, p95 {}, p99 {}, max {}</p><div id="histogram">{}</div>"#,
        total.successes(),
        pct(total.latency.percentile(50.0)),
        pct(total.latency.percentile(95.0)),
        pct(total.latency.percentile(99.0)),
        pct(total.latency.max()),
        histogram_chart(&total.latency)
    );

    activity_tables(&mut out, report);
    if !outcomes.is_empty() {
        let rows: Vec<Vec<String>> = outcomes.iter().map(|o| summary::threshold_row(report, o)).collect();
        let _ = write!(
            out,
            "<h2>Thresholds</h2>{}",
            table(&summary::THRESHOLD_HEADER, &rows, None)
        );
    }
    errors_section(&mut out, report);
    health_section(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

/// The activity and sequence tables, a pair per workload in a file with `workloads` (as the summary).
fn activity_tables(out: &mut String, report: &RunReport) {
    let mut header = vec!["activity"];
    header.extend(&summary::HEADER);
    let mut seq_header = header.clone();
    seq_header[0] = "sequence (passes)";
    for part in report.workloads() {
        let (activities, sequences) = match summary::workload_heading(report, &part) {
            Some(heading) => {
                let _ = write!(out, "<h2>{}</h2>", escape(&heading));
                ("<h3>Activities</h3>", "<h3>Sequences</h3>")
            }
            None => ("<h2>Activities</h2>", "<h2>Sequences</h2>"),
        };
        let rows = summary::activity_rows(report, &part.activities, "↳ ");
        let _ = write!(out, "{activities}{}", table(&header, &rows, None));
        let rows = summary::sequence_rows(report, &part.sequences);
        let _ = write!(out, "{sequences}{}", table(&seq_header, &rows, None));
    }
}

fn errors_section(out: &mut String, report: &RunReport) {
    out.push_str("<h2>Errors</h2>");
    let by_class = report.errors_by_class();
    if by_class.is_empty() {
        out.push_str(r#"<p class="meta">No errors.</p>"#);
        return;
    }
    let rows: Vec<Vec<String>> = by_class
        .iter()
        .map(|(class, n)| vec![class.to_string(), n.to_string()])
        .collect();
    out.push_str(&table(&["class", "count"], &rows, None));
    for e in report.errors.iter().take(ERRORS_LISTED) {
        let path = report.activities.get(e.activity).map(|i| i.path()).unwrap_or_default();
        let _ = write!(
            out,
            r#"<p class="meta">{} at {}: {} (session {}, pass {})</p><pre>{}"#,
            escape(&e.class.to_string()),
            escape(&fmt_time(e.at)),
            escape(&path),
            escape(&e.session_id),
            e.pass,
            escape(&e.message)
        );
        if let Some(response) = &e.response {
            let _ = write!(out, "\n\n{}", escape(response));
        }
        out.push_str("</pre>");
    }
    if report.errors.len() > ERRORS_LISTED {
        let _ = write!(
            out,
            r#"<p class="meta">… and {} more recorded errors.</p>"#,
            report.errors.len() - ERRORS_LISTED
        );
    }
}

fn health_section(out: &mut String, report: &RunReport) {
    let h = &report.health;
    let _ = write!(
        out,
        r#"<h2>Generator health</h2><p class="meta">CPU {:.0}% of {} core(s), peak RSS {:.1} MiB, scheduler lag p99 {}</p>"#,
        h.cpu_share * 100.0,
        h.cores,
        h.peak_rss_bytes as f64 / 1048576.0,
        pct(h.lag.percentile(99.0))
    );
    for why in &h.overload {
        let _ = write!(
            out,
            r#"<p class="meta">warning: {}; results may reflect the generator, not the server</p>"#,
            escape(why)
        );
    }
}

fn pct(d: Option<Duration>) -> String {
    d.map_or("-".into(), fmt_time)
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Failed => "failed",
        Verdict::Inconclusive => "inconclusive",
        Verdict::Stopped => "stopped",
    }
}

/// The page of a capacity search (`stressor search --html`): the answer, the rate asked and achieved at
/// each step, and the steps with what each SLO threshold measured.
pub fn search_page(result: &crate::search::SearchResult) -> String {
    use crate::search::{Capacity, fmt_rate, outcome_name};
    let mut out = String::new();
    let title = format!("stressor search: {}", result.slo);
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{}</title><style>{STYLE}</style></head><body><h1>Capacity search for {}</h1>"#,
        escape(&title),
        escape(&result.slo)
    );
    let class = match result.capacity {
        Capacity::Found { .. } | Capacity::AtLeast { .. } => "pass",
        Capacity::BelowStart { .. } => "failed",
        Capacity::Inconclusive { .. } => "inconclusive",
    };
    let _ = write!(
        out,
        r#"<div class="verdict {class}">{}</div>"#,
        escape(&result.capacity.describe())
    );
    let points = |rate: fn(&crate::search::Step) -> f64| {
        result
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| ((i + 1) as f64, rate(s)))
            .collect()
    };
    let lines = [
        Line {
            name: "rate asked".to_string(),
            color: "#4e79a7",
            points: points(|s| s.rate),
        },
        Line {
            name: "passes/s achieved".to_string(),
            color: "#59a14f",
            points: points(|s| s.achieved),
        },
    ];
    out.push_str(&svg::line_chart(
        "Rate per step",
        &lines,
        |x| format!("step {x:.0}"),
        |v| format!("{v:.0}/s"),
    ));
    let rows: Vec<Vec<String>> = result
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                (i + 1).to_string(),
                format!("{}/s", fmt_rate(s.rate)),
                format!("{:.1}", s.seconds),
                format!("{:.1}", s.achieved),
                outcome_name(s.outcome).to_owned(),
                s.messages.join("; "),
            ]
        })
        .collect();
    out.push_str("<h2>Steps</h2>");
    out.push_str(&table(
        &["step", "rate", "seconds", "passes/s", "result", "SLO"],
        &rows,
        Some("err"),
    ));
    out.push_str("</body></html>\n");
    out
}

/// Writes the report to `path` (atomically, like every report file).
pub fn write(path: &Path, judgement: &Judgement) -> Result<(), super::ReportError> {
    super::write_atomically(path, render(judgement).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Measure;

    #[test]
    fn histogram_bars_hold_every_sample() {
        let mut m = Measure::default();
        for ms in [1, 2, 2, 5, 40, 40, 41, 300] {
            m.record(Duration::from_millis(ms), None, 0, 0);
        }
        let (min, max) = (micros(m.latency.min().unwrap()), micros(m.latency.max().unwrap()));
        let bars = histogram_bars(&m.latency, min, max);
        assert_eq!(bars.len(), HISTOGRAM_BARS);
        assert_eq!(bars.iter().map(|b| b.value).sum::<f64>(), 8.0);
    }

    #[test]
    fn latency_ticks_below_a_millisecond_are_microseconds() {
        let ticks: Vec<String> = [0.0, 0.25, 0.5, 1.0, 2.5, 250.0, 1500.0].map(fmt_millis).into();
        assert_eq!(ticks, ["0ms", "250us", "500us", "1ms", "2.5ms", "250ms", "1.5s"]);
    }

    #[test]
    fn the_partial_last_second_is_not_drawn_as_a_drop() {
        let second = |requests| Second {
            requests,
            ..Second::default()
        };
        // 100/s throughout; the run ended 0.5 s into its third second, the fourth got 0.1 s.
        let series = [second(100), second(100), second(50)];
        let svg = throughput_chart(&series, 1, Duration::from_millis(2500));
        let points = |svg: &str| {
            let at = svg.find(r#"data-name="requests/s""#).unwrap();
            let rest = &svg[at..];
            let start = rest.find("points=\"").unwrap() + 8;
            rest[start..start + rest[start..].find('"').unwrap()].to_string()
        };
        let points_text = points(&svg);
        let ys: Vec<&str> = points_text.split(' ').map(|p| p.split(',').nth(1).unwrap()).collect();
        assert_eq!(ys.len(), 3);
        assert!(ys.iter().all(|y| *y == ys[0]), "one level, no drop at the end: {ys:?}");
        let short = throughput_chart(&[second(100), second(2)], 1, Duration::from_millis(1100));
        assert_eq!(points(&short).split(' ').count(), 1, "a tenth of a second is left out");
    }

    #[test]
    fn the_sessions_chart_draws_each_entry_and_is_left_out_without_sessions() {
        let alive = |sessions| Second {
            sessions,
            ..Second::default()
        };
        let svg = sessions_chart(&[alive(2), alive(6), alive(0)], 2);
        let at = svg.find(r#"data-name="sessions alive""#).expect("the line");
        let rest = &svg[at..];
        let start = rest.find("points=\"").unwrap() + 8;
        let points = &rest[start..start + rest[start..].find('"').unwrap()];
        let ys: Vec<f64> = points
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(ys.len(), 3);
        // SVG y grows downwards: 6 is drawn highest, 0 lowest.
        assert!(ys[1] < ys[0] && ys[0] < ys[2], "{ys:?}");
        assert_eq!(sessions_chart(&[Second::default()], 1), "");
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;");
    }
}
