//! Regular expressions in checks and stores: how a pattern is written, compiled, and made from
//! `$(var)` templates at run time.
//!
//! Patterns use Rust's `regex` syntax with one concession to the original tool's Python `re`: a `{`
//! that does not start a repetition is a literal brace (`python_braces`). `assert_match` and the
//! other searches run in multi-line mode (`^`/`$` at line ends, as the original's `re.MULTILINE`);
//! `assert_json`'s string values must match the whole value ([`PatternMode::Whole`]).
//!
//! A pattern whose text holds `$(var)` macros is a *template*: it cannot be compiled until a session's
//! variables are known, so the loader keeps it uncompiled (`regex: None`) after checking that the text
//! around the macros is a valid regex, and the checks compile it per distinct expanded text
//! (`crate::check::PatternCache`). In a template, a pattern that is exactly one `$(var)` uses the
//! variable's value as the pattern; any other `$(var)` matches its value literally.
//!
//! A template whose text around its macros has no regex syntax (`id=$(id);`, `BEGIN$(big)END`, with
//! `\.`-style escapes allowed) is kept as [`Pattern::literal`] too: the checks search it as plain
//! text, so a value of any size costs a substring search, not a regex of its size.

use super::source::Span;
use regex::Regex;

/// How a pattern is applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PatternMode {
    /// Searched anywhere in the text, multi-line (`assert_match`, `assert_headers`, `store_regex`, ...).
    #[default]
    Search,
    /// Must match the whole text (`assert_json` string values).
    Whole,
}

/// A regular expression with the text it came from.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// As written.
    pub source: String,
    /// Compiled; `None` for a template (`source` holds `$(var)` macros), compiled at run time.
    pub regex: Option<Regex>,
    /// How it is applied.
    pub mode: PatternMode,
    /// Where it was written.
    pub span: Span,
    /// For a template, the variable paths it refers to, parsed, in order (what decides its expanded
    /// text).
    pub vars: Vec<Vec<crate::expand::Segment>>,
    /// For a template whose text around its macros has no regex syntax: that text with its escapes
    /// removed, macros kept (`a\.b$(x)` gives `a.b$(x)`). Expanded, it is searched for as plain text.
    pub literal: Option<String>,
}

impl Pattern {
    /// A pattern compiled now; a template (with `$(var)` macros) is kept for run time, after its text
    /// around the macros was checked.
    ///
    /// # Errors
    /// The regex engine's error for the pattern (or, for a template, for its fixed parts).
    pub fn new(source: &str, mode: PatternMode, span: Span) -> Result<Pattern, regex::Error> {
        let regex = if crate::expand::has_macros(source) {
            // Each macro stands in as a literal: whatever value it gets is escaped, so it cannot make
            // the rest valid or invalid. A whole-pattern macro is checked when it has a value.
            if !crate::expand::is_whole_macro(source) {
                compile(&crate::expand::placeholders(source), mode)?;
            }
            None
        } else {
            Some(compile(source, mode)?)
        };
        let (vars, literal) = if regex.is_none() {
            let vars = crate::expand::references(source)
                .into_iter()
                .filter_map(|r| crate::expand::parse_path(&r.path).ok())
                .collect();
            let literal = (!crate::expand::is_whole_macro(source))
                .then(|| crate::expand::map_literal_text(source, literal_text))
                .flatten();
            (vars, literal)
        } else {
            (Vec::new(), None)
        };
        Ok(Pattern {
            source: source.to_string(),
            regex,
            mode,
            span,
            vars,
            literal,
        })
    }

    /// Whether it holds `$(var)` macros (compiled per value at run time).
    pub fn is_template(&self) -> bool {
        self.regex.is_none()
    }
}

/// The text a piece of a regex matches, when it is plain text: characters without regex meaning, and
/// `\` before a character that has one (`\.`, `\(`). `None` for anything else (`.`, `\d`, `a*`, a
/// `{` that Python would read as text: kept simple, such a pattern is compiled as a regex).
fn literal_text(piece: &str) -> Option<String> {
    let mut out = String::with_capacity(piece.len());
    let mut chars = piece.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if regex_syntax_char(n) => out.push(n),
                _ => return None,
            },
            c if regex_syntax_char(c) => {
                // `#`, `&`, `-` and `~` mean something only in classes or verbose mode: plain here.
                if !matches!(c, '#' | '&' | '-' | '~') {
                    return None;
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Characters `regex::escape` escapes.
fn regex_syntax_char(c: char) -> bool {
    matches!(
        c,
        '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '#' | '&' | '-' | '~'
    )
}

/// The regex engine's explanation of `err`, without its caret drawing (the diagnostic draws its own).
pub fn reason(err: &regex::Error) -> String {
    match err {
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or(text)
            .to_string(),
        other => other.to_string(),
    }
}

/// Compiles a pattern's text (after `python_braces`) for `mode`.
///
/// # Errors
/// The regex engine's error.
pub fn compile(source: &str, mode: PatternMode) -> Result<Regex, regex::Error> {
    let translated = python_braces(source);
    match mode {
        PatternMode::Search => regex::RegexBuilder::new(&translated).multi_line(true).build(),
        PatternMode::Whole => Regex::new(&format!("^(?:{translated})$")),
    }
}

/// Python's `re` reads a `{` that does not start a repetition (`{3}`, `{2,}`, `{,5}`, `{2,5}`) as a
/// literal brace, and the original's scenarios rely on it (`"{abc123}"`); Rust's regex rejects it. So
/// such braces (and the `}` closing them) are escaped before compiling. Escapes and character classes are
/// copied untouched.
fn python_braces(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    let mut in_class = false;
    let mut open_literal = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                    i += 1;
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal member.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push(']');
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class => {
                let rest: String = chars[i + 1..].iter().take_while(|&&c| c != '}').collect();
                let closed = i + 1 + rest.chars().count() < chars.len();
                let (a, b) = rest.split_once(',').unwrap_or((&rest, ""));
                let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
                let quantifier = closed
                    && digits(a)
                    && digits(b)
                    && !(a.is_empty() && b.is_empty())
                    && (rest.contains(',') || !a.is_empty());
                let after_atom = !out.is_empty() && !out.ends_with(['(', '|']);
                if quantifier && after_atom {
                    // Python's `{,n}` means `{0,n}`, which is the only form Rust spells differently.
                    out.push('{');
                    if a.is_empty() {
                        out.push('0');
                    }
                    out.push_str(&rest);
                    out.push('}');
                    i += rest.chars().count() + 1;
                } else {
                    out.push_str("\\{");
                    open_literal += 1;
                }
            }
            '}' if !in_class => {
                open_literal = open_literal.saturating_sub(1);
                out.push_str("\\}");
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::python_braces;

    #[test]
    fn braces_follow_python() {
        for (input, want) in [
            ("{abc123}", r"\{abc123\}"),
            ("a{3}", "a{3}"),
            ("a{2,}b{,5}c{1,2}", "a{2,}b{0,5}c{1,2}"),
            ("[{]?[0-9a-f]{36}[}]?", "[{]?[0-9a-f]{36}[}]?"),
            (r"\{x\}", r"\{x\}"),
            ("{3}", r"\{3\}"),
            ("x{", r"x\{"),
            ("[]{}]", "[]{}]"),
        ] {
            assert_eq!(python_braces(input), want, "{input}");
            assert!(regex::Regex::new(&python_braces(input)).is_ok(), "{input}");
        }
    }
}
