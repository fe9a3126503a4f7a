//! How metrics, limits and measured values read in messages and tables: `p95`, `300ms`, `0.8%`,
//! `12.5/s`.
//!
//! Measured values are shown with three significant digits (the precision of the histograms); when that
//! rounding would make a failing value read the same as its limit (`300ms > 300ms`), the full value is
//! shown instead (`300.2ms > 300ms`).

use super::evaluate::Measured;
use crate::scenario::duration::format_duration;
use crate::scenario::{Limit, Metric};
use std::fmt;
use std::time::Duration;

/// The name of a metric as written in YAML: `p95`, `p99.9`, `mean`, `error_rate`, ...
pub fn metric_name(metric: Metric) -> String {
    metric.name()
}

/// A rule the way messages name it: the metric, its filter and its window: `p95`,
/// `errors{class:timeout}`, `p95 over 30s windows`.
pub fn rule_name(rule: &crate::scenario::Threshold) -> String {
    let mut name = metric_name(rule.metric);
    match rule.filter {
        Some(crate::scenario::Filter::Class(class)) => name.push_str(&format!("{{class:{class}}}")),
        Some(crate::scenario::Filter::Status(status)) => name.push_str(&format!("{{status:{status}}}")),
        None => {}
    }
    if let Some(window) = rule.window {
        name.push_str(&format!(" over {} windows", format_duration(window)));
    }
    name
}

/// A limit the way users write it: `300ms`, `1.5s`, `0.5%`, `3`, `50/s`.
pub fn format_limit(limit: &Limit) -> String {
    match *limit {
        Limit::Duration(d) => format_duration(d),
        Limit::Ratio(r) => percent(r),
        Limit::Count(n) => n.to_string(),
        Limit::Rate(r) => rate(r),
    }
}

/// A measured value, to three significant digits: `312ms`, `1.23s`, `0.8%`, `3`, `12.5/s`.
pub fn format_measured(value: &Measured) -> String {
    match *value {
        Measured::Duration(d) => short_duration(d),
        Measured::Ratio(r) => percent(r),
        Measured::Count(n) => n.to_string(),
        Measured::Rate(r) => rate(r),
    }
}

impl fmt::Display for Measured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_measured(self))
    }
}

/// The measured value and the limit as text, with the value in full precision when the short form
/// would read the same as the limit although the two differ (`300.2ms` next to `300ms`).
pub fn value_and_limit(value: &Measured, limit: &Limit) -> (String, String) {
    let short = format_measured(value);
    let limit_text = format_limit(limit);
    if short != limit_text || value.same_as(limit) {
        return (short, limit_text);
    }
    let full = match *value {
        Measured::Duration(d) => format_duration(d),
        Measured::Ratio(r) => format!("{}%", r * 100.0),
        Measured::Count(n) => n.to_string(),
        Measured::Rate(r) => format!("{r}/s"),
    };
    (full, limit_text)
}

/// `870us`, `45.6ms`, `312ms`, `1.23s`, `12.3s`, `250s`.
fn short_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 999.5 {
        return format!("{}us", us.round() as u64);
    }
    let ms = us / 1e3;
    if let Some(text) = sig3(ms) {
        return format!("{text}ms");
    }
    let s = ms / 1e3;
    match sig3(s) {
        Some(text) => format!("{text}s"),
        None => format!("{s:.0}s"),
    }
}

/// `v` (at least 1) with three significant digits, or `None` when it rounds to 1000 or more.
fn sig3(v: f64) -> Option<String> {
    let decimals = if v >= 99.95 {
        0
    } else if v >= 9.995 {
        1
    } else {
        2
    };
    let text = format!("{v:.decimals$}");
    (text.parse::<f64>().unwrap_or(v) < 1000.0).then(|| trim(text))
}

/// A fraction as a percentage: `0%`, `0.8%`, `12.35%`, `0.00333%`.
fn percent(r: f64) -> String {
    let p = r * 100.0;
    if p == 0.0 || !p.is_finite() {
        return format!("{p}%");
    }
    let decimals = if p >= 1.0 {
        2
    } else {
        (2 - p.log10().floor() as i32).clamp(2, 9) as usize
    };
    format!("{}%", trim(format!("{p:.decimals$}")))
}

/// A rate per second with at most two decimals: `50/s`, `12.35/s`.
fn rate(r: f64) -> String {
    format!("{}/s", trim(format!("{r:.2}")))
}

/// Drops trailing zeros of a decimal fraction (`45.60` → `45.6`, `2.00` → `2`).
fn trim(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}
