//! Text the manual shows that the code produces: `stressor CMD --help` (blocks ```` ```text
//! cmd="stressor run --help" ````), what `stressor validate` prints for a broken example, and the
//! exit-code table (`<!-- generated: exit-codes -->`). The test compares; `STRESSOR_BLESS=1` rewrites
//! the pages instead, as nextest's and insta's blessing does.

use super::markdown::{Block, Page, root};
use crate::common;
use std::ops::Range;
use stressor::cli::Exit;

/// A place in a page whose text is produced, and what it should hold.
pub struct Expected {
    pub page: String,
    pub line: usize,
    pub range: Range<usize>,
    pub want: String,
    pub what: String,
}

/// The flags and attributes a `text` block may carry.
pub const TEXT_WORDS: &[&str] = &["cmd", "cwd", "exit", "file"];

/// `cmd="stressor ARGS"` run in `cwd=` (default: the repository root): its output and exit code
/// (`exit=`, default 0). The environment's `STRESSOR_BASELINE` is removed, since clap's help would show
/// its value.
pub fn command_output(block: &Block) -> Result<String, String> {
    let cmd = block.info.get("cmd").ok_or("no cmd")?;
    let mut words = cmd.split_whitespace();
    if words.next() != Some("stressor") {
        return Err(format!("`cmd=\"{cmd}\"` must start with `stressor`"));
    }
    let out = common::stressor()
        .args(words)
        .env_remove("STRESSOR_BASELINE")
        .current_dir(root().join(block.info.get("cwd").unwrap_or(".")))
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    let want: i32 = block
        .info
        .get("exit")
        .unwrap_or("0")
        .parse()
        .map_err(|_| "`exit=` is a number")?;
    if out.status.code() != Some(want) {
        return Err(format!("`{cmd}` exited {:?}, the page says {want}", out.status.code()));
    }
    Ok(common::output_text(&out))
}

/// The exit-code table, from the code's own list.
pub fn exit_code_table() -> String {
    let mut table = String::from("| code | meaning |\n|---|---|\n");
    for e in Exit::ALL {
        table.push_str(&format!("| {} | {} |\n", e.code(), e.meaning()));
    }
    table
}

const REGION_START: &str = "<!-- generated: ";
const REGION_END: &str = "<!-- end generated -->";

/// The generated regions of a page: `<!-- generated: NAME -->` ... `<!-- end generated -->`.
pub fn regions(page: &Page) -> Result<Vec<Expected>, String> {
    let mut found = Vec::new();
    let mut from = 0;
    // A region starts on a line of its own (the marker may be quoted mid-line in prose).
    while let Some(at) = page.text[from..].find(&format!("\n{REGION_START}")) {
        let start = from + at + 1;
        let name_end = page.text[start..]
            .find(" -->")
            .ok_or("an unclosed generated-region comment")?
            + start;
        let name = &page.text[start + REGION_START.len()..name_end];
        let body_start = page.text[name_end..]
            .find('\n')
            .map_or(page.text.len(), |n| name_end + n + 1);
        // From the start marker's newline, so that an empty region is found too.
        let body_end = page.text[body_start - 1..]
            .find(&format!("\n{REGION_END}"))
            .map(|n| body_start + n)
            .ok_or_else(|| format!("{}: generated region `{name}` has no end", page.path))?;
        let want = match name {
            "exit-codes" => exit_code_table(),
            other => return Err(format!("{}: unknown generated region `{other}`", page.path)),
        };
        found.push(Expected {
            page: page.path.clone(),
            line: page.text[..start].matches('\n').count() + 1,
            range: body_start..body_end,
            want,
            what: format!("the {name} table"),
        });
        from = body_end;
    }
    Ok(found)
}

/// Compares every expectation with its page; with `STRESSOR_BLESS=1`, rewrites the pages instead.
/// Returns the differences as messages (none after blessing).
pub fn compare_or_bless(expected: Vec<Expected>) -> Vec<String> {
    let bless = std::env::var_os("STRESSOR_BLESS").is_some_and(|v| v == "1");
    let mut differences = Vec::new();
    let mut by_page: std::collections::BTreeMap<String, Vec<Expected>> = Default::default();
    for e in expected {
        by_page.entry(e.page.clone()).or_default().push(e);
    }
    for (page, mut list) in by_page {
        let path = root().join(&page);
        let mut text = std::fs::read_to_string(&path).expect("the page");
        // From the end, so earlier ranges stay valid while later ones are replaced.
        list.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        let mut changed = false;
        for e in list {
            let have = &text[e.range.clone()];
            if have == e.want {
                continue;
            }
            if bless {
                text.replace_range(e.range.clone(), &e.want);
                changed = true;
            } else {
                differences.push(format!(
                    "{page}:{}: {} differs from the page (STRESSOR_BLESS=1 rewrites it):\n{}",
                    e.line,
                    e.what,
                    diff(have, &e.want)
                ));
            }
        }
        if changed {
            std::fs::write(&path, text).expect("rewrite the page");
            eprintln!("blessed {page}");
        }
    }
    differences
}

/// A unified diff, page then code.
fn diff(page: &str, code: &str) -> String {
    similar::TextDiff::from_lines(page, code)
        .unified_diff()
        .header("the page", "the program")
        .to_string()
}
