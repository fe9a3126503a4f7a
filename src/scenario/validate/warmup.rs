//! `thresholds.warmup`: `5s`, `auto`, or `{duration: 5s|auto, errors: N, error_rate: X}`.

use super::Validator;
use super::reader::Fields;
use super::thresholds::{limit, metric, split_filter};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::model::{Metric, Threshold, ThresholdSet, Warmup, WarmupLength};
use crate::scenario::node::{Node, NodeKind};

/// Keys of the mapping form besides its budget's metrics.
const KEYS: &[&str] = &["duration", "errors", "error_rate"];

/// The warm-up, or `None` (with a diagnostic) when it is not one.
pub(super) fn warmup(v: &mut Validator, node: &Node) -> Option<Warmup> {
    let mut budget = ThresholdSet {
        span: Some(node.span),
        ..ThresholdSet::default()
    };
    let length = if let NodeKind::Map(_) = node.kind {
        let mut f = Fields::of(node)?;
        let length = match f.take_some("duration") {
            Some(n) => length(v, n)?,
            None => {
                v.diags.push(
                    Diagnostic::error(node.span, "`warmup` has no `duration`")
                        .with_help("e.g. `warmup: {duration: 5s, errors: 10}`, or `duration: auto`"),
                );
                return None;
            }
        };
        for (key, value) in f.take_rest() {
            let name = key.key_text();
            let Some((metric_name, filter)) = split_filter(v, &key, &name) else {
                continue;
            };
            match metric(metric_name) {
                Some(m @ (Metric::Errors | Metric::ErrorRate)) => {
                    if let Some(limit) = limit(v, m, &value, &name) {
                        budget.rules.push(Threshold {
                            filter,
                            ..Threshold::new(m, limit, key.span)
                        });
                    }
                }
                _ => v.diags.push(
                    Diagnostic::error(key.span, format!("unknown `warmup` key `{name}`"))
                        .with_label_opt(crate::scenario::suggest::label(metric_name, KEYS.iter().copied()))
                        .with_help("a warm-up has a `duration` and may have an error budget: `errors`, `error_rate` (latency during the warm-up is never judged)"),
                ),
            }
        }
        length
    } else {
        length(v, node)?
    };
    Some(Warmup {
        length,
        budget,
        span: node.span,
    })
}

/// `auto`, or a duration.
fn length(v: &mut Validator, node: &Node) -> Option<WarmupLength> {
    if matches!(&node.kind, NodeKind::Str(s) if s.trim() == "auto") {
        return Some(WarmupLength::Auto);
    }
    v.check().duration(node, "warmup").map(WarmupLength::Fixed)
}
