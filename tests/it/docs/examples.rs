//! The YAML examples: what kind each is (from its info string), the file it becomes, and the checks:
//! it loads without a diagnostic, a broken one prints what the page shows, one aimed at the built-in
//! target runs.

use super::markdown::{Block, Page, root};
use crate::common;
use std::path::{Path, PathBuf};
use stressor::scenario::{LoadOptions, load_file};

/// The data files the examples name (`$load(users.yaml)`, feeder files, scripts), copied beside every
/// example so they resolve as in a user's scenario folder.
pub const DATA_DIR: &str = "docs/src/examples";

/// What a `yaml` block is.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A whole scenario file.
    Complete,
    /// A list of activities: the `main` sequence of a minimal scenario.
    Sequence,
    /// Top-level sections, put into a minimal scenario.
    Sections,
    /// Must not load; the next block is what `stressor validate` prints.
    Broken,
    /// A `stressor init --har` options file.
    HarOptions,
    /// Not checked as a scenario, for the reason given.
    Skip(String),
}

/// The flags and attributes a `yaml` block may carry; anything else is a typo.
pub const YAML_WORDS: &[&str] = &["fragment", "run", "name", "file", "skip", "broken", "har-options"];

impl Kind {
    pub fn of(block: &Block) -> Result<Kind, String> {
        let info = &block.info;
        if let Some(why) = info.get("skip") {
            return Ok(Kind::Skip(why.to_string()));
        }
        if info.has("broken") {
            return Ok(Kind::Broken);
        }
        if info.has("har-options") {
            return Ok(Kind::HarOptions);
        }
        match info.get("fragment") {
            None => Ok(Kind::Complete),
            Some("sequence") => Ok(Kind::Sequence),
            Some("sections") => Ok(Kind::Sections),
            Some(other) => Err(format!("unknown fragment kind `{other}` (sequence, sections)")),
        }
    }
}

/// The minimal scenario's parts that a fragment does not bring.
const BASE_URL: &str = "http://127.0.0.1:8082";

/// The scenario file a block stands for.
pub fn compose(kind: &Kind, code: &str) -> Result<String, String> {
    match kind {
        Kind::Sequence => {
            let body: String = code.lines().map(|l| format!("    {l}\n")).collect();
            Ok(format!(
                "file_version: stressor#0\nconfig: {{base_url: '{BASE_URL}'}}\nscenario: [{{sequence: main}}]\nsequences:\n  main:\n{body}"
            ))
        }
        Kind::Sections => sections(code),
        _ => Ok(code.to_string()),
    }
}

/// Top-level sections in a minimal scenario: it adds `file_version`, a `config` with the built-in
/// target's `base_url` and `scenario: [{sequence: main}]` when the fragment has none of its own, and
/// one request for every sequence the fragment's `scenario` or `workloads` name when it has no
/// `sequences` (a fragment with `sequences` must define every one it names).
fn sections(code: &str) -> Result<String, String> {
    let value: serde_json::Value = serde_saphyr::from_str(code).map_err(|e| format!("not YAML: {e}"))?;
    let map = value
        .as_object()
        .ok_or("a `fragment=sections` block must be a mapping")?;
    let mut named: Vec<String> = Vec::new();
    let mut name_items = |items: Option<&serde_json::Value>| {
        for item in items.and_then(|s| s.as_array()).into_iter().flatten() {
            if let Some(s) = item.get("sequence").and_then(|s| s.as_str())
                && !named.iter().any(|n| n == s)
            {
                named.push(s.to_string());
            }
        }
    };
    name_items(map.get("scenario"));
    for w in map.get("workloads").and_then(|w| w.as_array()).into_iter().flatten() {
        name_items(w.get("scenario"));
    }
    let mut out = String::new();
    if !map.contains_key("file_version") {
        out.push_str("file_version: stressor#0\n");
    }
    if !map.contains_key("config") {
        out.push_str(&format!("config: {{base_url: '{BASE_URL}'}}\n"));
    }
    if !map.contains_key("scenario") && !map.contains_key("workloads") {
        out.push_str("scenario: [{sequence: main}]\n");
        named.push("main".into());
    }
    out.push_str(code);
    match map.get("sequences").and_then(|s| s.as_object()) {
        Some(defined) => {
            if let Some(missing) = named.iter().find(|n| !defined.contains_key(n.as_str())) {
                return Err(format!("the fragment's `sequences` lacks `{missing}`, which it runs"));
            }
        }
        None => {
            out.push_str("sequences:\n");
            for n in &named {
                out.push_str(&format!("  {n}: [{{activity: GetRequest, url: /test1.json}}]\n"));
            }
        }
    }
    Ok(out)
}

/// A fresh scenario folder: the data files, and the example as `name=` (default `example.yaml`).
pub fn folder(block: &Block, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&root().join(DATA_DIR), dir.path());
    let file = dir.path().join(block.info.get("name").unwrap_or("example.yaml"));
    std::fs::write(&file, text).expect("write the example");
    (dir, file)
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("the data folder") {
        let path = entry.expect("dir entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// Loads the example; every diagnostic is a failure (a documented example that draws a warning
/// teaches the warning).
pub fn check_loads(kind: &Kind, block: &Block) -> Result<(), String> {
    let text = compose(kind, &block.code)?;
    let (dir, file) = folder(block, &text);
    let loaded = load_file(&file, &LoadOptions::default());
    if loaded.diagnostics.iter().next().is_some() {
        let shown = common::hide_dir(&loaded.render(false), dir.path());
        return Err(format!("{shown}\nin the example as a file:\n{text}"));
    }
    if *kind == Kind::Complete && text.contains(&format!("base_url: {BASE_URL}")) && !block.info.has("run") {
        return Err("aimed at the built-in target (`base_url: http://127.0.0.1:8082`): mark it `run`".into());
    }
    Ok(())
}

/// `stressor run FILE --single --serve`: one session, one pass, against the built-in target.
pub fn check_runs(kind: &Kind, block: &Block) -> Result<(), String> {
    let text = compose(kind, &block.code)?;
    let (dir, file) = folder(block, &text);
    let out = common::stressor()
        .arg("run")
        .arg(&file)
        .args(["--single", "--serve", "--no-color"])
        .env_remove("STRESSOR_BASELINE")
        .current_dir(dir.path())
        .output()
        .expect("run stressor");
    if out.status.code() != Some(0) {
        return Err(format!(
            "`stressor run --single --serve` exited {:?}:\n{}\nthe example as a file:\n{text}",
            out.status.code(),
            common::hide_dir(&common::output_text(&out), dir.path())
        ));
    }
    Ok(())
}

/// What `stressor validate NAME` prints for a broken example, run in its folder.
pub fn validate_output(block: &Block) -> Result<String, String> {
    let (dir, file) = folder(block, &block.code);
    let loaded = load_file(&file, &LoadOptions::default());
    if !loaded.diagnostics.has_errors() {
        return Err("marked `broken` but loads without an error".into());
    }
    let name = file.file_name().expect("a name");
    let out = common::stressor()
        .arg("validate")
        .arg(name)
        .arg("--no-color")
        .current_dir(dir.path())
        .output()
        .expect("run stressor");
    if out.status.code() != Some(2) {
        return Err(format!("`stressor validate` exited {:?}, not 2", out.status.code()));
    }
    Ok(common::output_text(&out))
}

/// A `har-options` block: the options file reads, and shows the defaults (as the page says).
pub fn check_har_options(block: &Block) -> Result<(), String> {
    let options = stressor::har::HarOptions::from_yaml(&block.code).map_err(|e| e.0)?;
    let defaults = stressor::har::HarOptions::default();
    if format!("{options:?}") != format!("{defaults:?}") {
        return Err(format!(
            "the values shown are not the defaults:\n{options:?}\n{defaults:?}"
        ));
    }
    Ok(())
}

/// A block with `file=PATH` is an excerpt of that file, verbatim (a TOML one is compared by its keys
/// instead, since a snippet gathers lines from several places of a manifest).
pub fn check_excerpt(page: &Page, block: &Block) -> Result<(), String> {
    let Some(path) = block.info.get("file").filter(|_| block.info.lang != "toml") else {
        return Ok(());
    };
    let whole = std::fs::read_to_string(root().join(path)).map_err(|e| format!("`file={path}`: {e}"))?;
    if !whole.contains(block.code.trim_end()) {
        return Err(format!(
            "{}:{}: not an excerpt of {path} (copy it again from the file)",
            page.path, block.line
        ));
    }
    Ok(())
}
