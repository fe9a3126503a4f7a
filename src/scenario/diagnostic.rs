//! Problems found while loading a scenario, and the one renderer that shows them.
//!
//! Every diagnostic is printed as `path/to/file.yaml:LINE:COL: error: message` (the form editors and CI
//! annotators parse), followed by the source line with carets under the offending token, an optional
//! label at the carets ("did you mean `name`?") and an optional `help:` line. The CLI, the cargo harness
//! and the reports all call [`Diagnostics::render`]; library code never prints.

use super::source::{SourceMap, Span};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::fmt::Write as _;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The scenario cannot run.
    Error,
    /// Suspicious but runnable.
    Warning,
}

/// One problem, with where it is and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where; `None` for problems that concern no position (e.g. a file that cannot be read).
    pub span: Option<Span>,
    /// One line, lowercase, saying what is wrong.
    pub message: String,
    /// A short note drawn at the carets (e.g. "did you mean `name`?").
    pub label: Option<String>,
    /// A sentence on how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at a span.
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            span: Some(span),
            message: message.into(),
            label: None,
            help: None,
        }
    }

    /// A warning at a span.
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    /// Adds a label shown at the carets.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a label only when there is one.
    pub fn with_label_opt(mut self, label: Option<String>) -> Self {
        self.label = label.or(self.label);
        self
    }

    /// Adds a help sentence.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// All problems of one load, in the order they were found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Records an error.
    pub fn error(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.items.push(Diagnostic::error(span, message));
        self.items.last_mut().expect("just pushed")
    }

    /// Records a warning.
    pub fn warning(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.items.push(Diagnostic::warning(span, message));
        self.items.last_mut().expect("just pushed")
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    /// All problems.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Appends all problems of another collection.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Sorts by file and position, keeping the discovery order for equal positions.
    pub fn sort(&mut self) {
        self.items.sort_by_key(|d| d.span.map(|s| (s.file, s.offset)));
    }

    /// Renders every problem, each followed by a blank line.
    pub fn render(&self, sources: &SourceMap, color: bool) -> String {
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&render_one(d, sources, color));
            out.push('\n');
        }
        out
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Renders one diagnostic: the `file:line:col: severity: message` header, then the snippet.
pub fn render_one(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let (word, level) = match d.severity {
        Severity::Error => ("error", Level::ERROR),
        Severity::Warning => ("warning", Level::WARNING),
    };
    let mut out = String::new();
    let header_word = if color {
        let style = match d.severity {
            Severity::Error => "\x1b[1;31m",
            Severity::Warning => "\x1b[1;33m",
        };
        format!("{style}{word}\x1b[0m")
    } else {
        word.to_string()
    };
    let file = d.span.and_then(|s| sources.get(s.file).map(|f| (s, f)));
    match file {
        Some((span, f)) => {
            let _ = writeln!(
                out,
                "{}:{}:{}: {header_word}: {}",
                f.path.display(),
                span.line,
                span.col,
                d.message
            );
            let raw = f.line_text(span.line);
            let line_start = f.offset_of(span.line, 1);
            let start = span.offset.saturating_sub(line_start).min(raw.len());
            let end = (start + span.len.max(1)).min(raw.len()).max(start);
            let (line, start, end) = printable(raw, start, end);
            let mut annotation = AnnotationKind::Primary.span(start..end);
            if let Some(label) = &d.label {
                annotation = annotation.label(label);
            }
            let mut group = Group::with_level(level.clone()).element(
                Snippet::source(&line)
                    .line_start(span.line as usize)
                    .fold(false)
                    .annotation(annotation),
            );
            if let Some(help) = &d.help {
                group = group.element(Level::HELP.message(help));
            }
            let renderer = if color { Renderer::styled() } else { Renderer::plain() };
            out.push_str(&renderer.render(&[group]));
            out.push('\n');
        }
        None => {
            let _ = writeln!(out, "{header_word}: {}", d.message);
            if let Some(help) = &d.help {
                let _ = writeln!(out, "  = help: {help}");
            }
        }
    }
    out
}

/// The line as it can be drawn: control characters, tabs and Unicode line separators (which YAML may
/// treat as line breaks, but a terminal or the snippet renderer would not) become visible single
/// characters, and the caret range is moved to the same characters of the new text, on char boundaries.
fn printable(line: &str, start: usize, end: usize) -> (String, usize, usize) {
    let mut out = String::with_capacity(line.len());
    let (mut new_start, mut new_end) = (None, None);
    for (i, c) in line.char_indices() {
        if new_start.is_none() && i >= start {
            new_start = Some(out.len());
        }
        if new_end.is_none() && i >= end {
            new_end = Some(out.len());
        }
        match c {
            '\t' => out.push(' '),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    let new_start = new_start.unwrap_or(out.len());
    let new_end = new_end.unwrap_or(out.len()).max(new_start);
    (out, new_start, new_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_lines_keep_carets_on_char_boundaries() {
        let (line, s, e) = printable("a\u{2028}é\tb", 1, 6);
        assert_eq!(line, "a\u{fffd}é b");
        assert_eq!(&line[s..e], "\u{fffd}é");
        let (line, s, e) = printable("😀x", 1, 3);
        assert_eq!(
            (line.as_str(), s, e),
            ("😀x", 4, 4),
            "a start inside a character moves to the next one"
        );
    }

    #[test]
    fn renders_spans_at_awkward_characters_without_panicking() {
        let mut sources = SourceMap::default();
        let id = sources.add("s.yaml", "k: \"a\u{85}b\u{2028}😀\r\u{1}x\"\n");
        for offset in 0..20 {
            for len in [0, 1, 3, 50] {
                let span = sources.get(id).unwrap().span_at(id, offset, len);
                let d = Diagnostic::error(span, "m").with_label("l");
                let text = render_one(&d, &sources, false);
                assert!(text.starts_with("s.yaml:"), "{text}");
            }
        }
    }
}
