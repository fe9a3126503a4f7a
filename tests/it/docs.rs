//! Every example of the manual is checked, so none can go stale: `README.md` and `docs/src/**/*.md`
//! (issue 25). A fenced block says what it is in its info string, and the tests hold it to that:
//!
//! | info string | checked by |
//! |---|---|
//! | `yaml` | a whole scenario: loads with no error and no warning |
//! | `yaml fragment=sequence` | a list of activities, loaded as the `main` sequence of a minimal scenario |
//! | `yaml fragment=sections` | top-level sections, loaded in a minimal scenario ([`examples::compose`]) |
//! | `yaml ... run` | also runs: `stressor run FILE --single --serve` exits 0 |
//! | `yaml broken name=F` | does not load; the next block is exactly what `stressor validate F` prints |
//! | `yaml har-options` | a `stressor init --har` options file showing the defaults |
//! | `... file=PATH` | an excerpt of PATH, verbatim (the file itself is compiled or loaded elsewhere) |
//! | `toml file=PATH` | every key is in PATH with the same value |
//! | `... skip="why"` | not checked as a scenario; the reason is printed |
//! | `text cmd="stressor ..."` | exactly what that command prints (`cwd=`, `exit=`) |
//! | `rust` | a doc test: `src/lib.rs` includes the page under `#[cfg(doctest)]` |
//! | `toml` | parses |
//!
//! Every example runs beside the data files in `docs/src/examples/` (users, feeder rows, a script), as
//! in a user's scenario folder. `STRESSOR_BLESS=1 cargo test --test it docs::` rewrites generated text
//! (help, broken examples' diagnostics, the exit-code table) from the program.

mod examples;
mod generated;
mod markdown;

use examples::Kind;
use markdown::{Block, Page, pages, root};

/// Fails with every problem found, not just the first.
fn fail_on(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// Every `yaml` block with its page and kind.
fn yaml_blocks(pages: &[Page]) -> Vec<(&Page, &Block, Kind)> {
    let mut found = Vec::new();
    for page in pages {
        for block in page.blocks.iter().filter(|b| b.info.lang == "yaml") {
            let kind = Kind::of(block).unwrap_or_else(|e| panic!("{}:{}: {e}", page.path, block.line));
            found.push((page, block, kind));
        }
    }
    found
}

#[test]
fn yaml_examples_load_without_a_diagnostic() {
    let pages = pages();
    let mut problems = Vec::new();
    for (page, block, kind) in yaml_blocks(&pages) {
        let result = match &kind {
            Kind::Complete | Kind::Sequence | Kind::Sections => examples::check_loads(&kind, block),
            Kind::HarOptions => examples::check_har_options(block),
            // Still YAML: a workflow or a users list with a syntax error would be a defect too.
            Kind::Skip(_) => serde_saphyr::from_str::<serde_json::Value>(&block.code)
                .map(drop)
                .map_err(|e| format!("not YAML: {e}")),
            Kind::Broken => Ok(()),
        };
        if let Err(why) = result {
            problems.push(format!("{}:{}: {why}", page.path, block.line));
        }
    }
    fail_on(problems);
}

#[test]
fn examples_aimed_at_the_built_in_target_run() {
    let pages = pages();
    let runs: Vec<_> = yaml_blocks(&pages)
        .into_iter()
        .filter(|(_, b, _)| b.info.has("run"))
        .collect();
    assert!(
        runs.len() >= 10,
        "the manual's runnable examples were found: {}",
        runs.len()
    );
    // Two at a time: each is a process with its own target server, and the machine has few cores.
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .chunks(runs.len().div_ceil(2))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|(page, block, kind)| {
                            examples::check_runs(kind, block)
                                .err()
                                .map(|why| format!("{}:{}: {why}", page.path, block.line))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a runner thread"))
            .collect()
    });
    fail_on(problems);
}

/// `--help` pages, broken examples' diagnostics and the exit-code table: the page holds what the
/// program prints (one test, so that blessing never races over a page).
#[test]
fn generated_text_is_what_the_program_prints() {
    let pages = pages();
    let mut problems = Vec::new();
    let mut expected = Vec::new();
    for page in &pages {
        match generated::regions(page) {
            Ok(found) => expected.extend(found),
            Err(why) => problems.push(why),
        }
        for (i, block) in page.blocks.iter().enumerate() {
            let produced = if block.info.get("cmd").is_some() {
                generated::command_output(block).map(|out| (block, out, "the output of the command"))
            } else if block.info.lang == "yaml" && block.info.has("broken") {
                match page.blocks.get(i + 1).filter(|next| next.info.lang == "text") {
                    Some(next) => {
                        examples::validate_output(block).map(|out| (next, out, "what `stressor validate` prints"))
                    }
                    None => Err("a broken example must be followed by a ```text block of its diagnostics".into()),
                }
            } else {
                continue;
            };
            match produced {
                Ok((target, want, what)) => expected.push(generated::Expected {
                    page: page.path.clone(),
                    line: target.line,
                    range: target.content.clone(),
                    want,
                    what: what.to_string(),
                }),
                Err(why) => problems.push(format!("{}:{}: {why}", page.path, block.line)),
            }
        }
    }
    assert!(
        expected.iter().filter(|e| e.what.starts_with("the output")).count() >= 8,
        "every command has its --help on its page"
    );
    problems.extend(generated::compare_or_bless(expected));
    fail_on(problems);
}

#[test]
fn every_command_has_a_page_with_its_help() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_stressor"))
        .arg("--help")
        .output()
        .expect("stressor --help");
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    let commands: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands section")
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 7, "{commands:?}");
    let mut problems = Vec::new();
    for command in commands {
        let page = format!("docs/src/cli/{command}.md");
        let cmd = format!("cmd=\"stressor {command} --help\"");
        match std::fs::read_to_string(root().join(&page)) {
            Ok(text) if text.contains(&cmd) => {}
            Ok(_) => problems.push(format!("{page}: no ```text {cmd} block")),
            Err(_) => problems.push(format!("`stressor {command}` has no page {page}")),
        }
    }
    fail_on(problems);
}

#[test]
fn toml_examples_parse_and_match_the_files_they_name() {
    let mut problems = Vec::new();
    for page in pages() {
        for block in page.blocks.iter().filter(|b| b.info.lang == "toml") {
            let at = format!("{}:{}", page.path, block.line);
            let snippet: toml::Table = match toml::from_str(&block.code) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(format!("{at}: not TOML: {e}"));
                    continue;
                }
            };
            let Some(path) = block.info.get("file") else { continue };
            let file: toml::Table = std::fs::read_to_string(root().join(path))
                .ok()
                .and_then(|t| toml::from_str(&t).ok())
                .unwrap_or_else(|| panic!("{at}: cannot read {path} as TOML"));
            if !within(&toml::Value::Table(snippet), &toml::Value::Table(file)) {
                problems.push(format!("{at}: not what {path} says"));
            }
        }
    }
    fail_on(problems);
}

/// Every key of `part` is in `whole` with the same value; an array's elements each match one of the
/// whole's (`[[test]]` tables).
fn within(part: &toml::Value, whole: &toml::Value) -> bool {
    match (part, whole) {
        (toml::Value::Table(p), toml::Value::Table(w)) => {
            p.iter().all(|(k, v)| w.get(k).is_some_and(|wv| within(v, wv)))
        }
        (toml::Value::Array(p), toml::Value::Array(w)) => p.iter().all(|v| w.iter().any(|wv| within(v, wv))),
        _ => part == whole,
    }
}

/// A Rust block either is a doc test (its page is included by `src/lib.rs` under `#[cfg(doctest)]`)
/// or says why not: an excerpt of a file compiled elsewhere (`rust,ignore file=PATH`).
#[test]
fn rust_examples_are_doc_tests_or_excerpts_of_compiled_files() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    let mut problems = Vec::new();
    for page in pages() {
        for block in page.blocks.iter().filter(|b| b.info.lang == "rust") {
            let at = format!("{}:{}", page.path, block.line);
            if block.info.has("ignore") {
                if block.info.get("file").is_none() {
                    problems.push(format!(
                        "{at}: an ignored Rust block must name the file it comes from (`file=`)"
                    ));
                }
            } else if !lib.contains(&format!("include_str!(\"../{}\")", page.path)) {
                problems.push(format!(
                    "{at}: a Rust example, but src/lib.rs does not include {} as a doc test",
                    page.path
                ));
            }
        }
    }
    fail_on(problems);
}

/// A block with `file=PATH` is a verbatim excerpt of that file, so it cannot drift from the file that
/// is compiled, loaded or run elsewhere.
#[test]
fn excerpts_are_verbatim_copies_of_their_files() {
    let mut problems = Vec::new();
    for page in pages() {
        for block in &page.blocks {
            if let Err(why) = examples::check_excerpt(&page, block) {
                problems.push(why);
            }
        }
    }
    fail_on(problems);
}

/// Links between pages and to headings resolve, and the book's links stay inside the book (the
/// rendered book has nothing else).
#[test]
fn links_resolve() {
    let pages = pages();
    let mut problems = Vec::new();
    for page in &pages {
        for link in &page.links {
            let at = format!("{}:{}", page.path, link.line);
            if link.dest.contains("://") || link.dest.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = link.dest.split_once('#').unwrap_or((&link.dest, ""));
            let target = if file.is_empty() {
                root().join(&page.path)
            } else {
                page.dir().join(file)
            };
            let Ok(target) = target.canonicalize() else {
                problems.push(format!("{at}: `{}` does not exist", link.dest));
                continue;
            };
            let rel = target
                .strip_prefix(root().canonicalize().expect("root"))
                .unwrap_or(&target);
            let rel = rel.to_string_lossy().replace('\\', "/");
            if page.path.starts_with("docs/src/") && !rel.starts_with("docs/src/") {
                problems.push(format!(
                    "{at}: `{}` is outside the book; link to the repository instead",
                    link.dest
                ));
            }
            if !anchor.is_empty() {
                match pages.iter().find(|p| p.path == rel) {
                    Some(p) if p.anchors.iter().any(|a| a == anchor) => {}
                    Some(p) => problems.push(format!("{at}: no heading `#{anchor}` in {} ({:?})", p.path, p.anchors)),
                    None => problems.push(format!("{at}: `#{anchor}` in a file that is not a page")),
                }
            }
        }
    }
    fail_on(problems);
}

#[test]
fn every_page_is_in_the_summary() {
    let summary = Page::read("docs/src/SUMMARY.md");
    let listed: Vec<String> = summary.links.iter().map(|l| format!("docs/src/{}", l.dest)).collect();
    let mut problems = Vec::new();
    for page in pages()
        .iter()
        .filter(|p| p.path.starts_with("docs/src/") && p.path != "docs/src/SUMMARY.md")
    {
        if !listed.contains(&page.path) {
            problems.push(format!("{} is not in SUMMARY.md, so the book leaves it out", page.path));
        }
    }
    fail_on(problems);
}

/// Every fenced block names its language (an unnamed one would be compiled as Rust by rustdoc) and
/// only known markers; prints what the manual holds, by kind.
#[test]
fn every_block_is_accounted_for() {
    let pages = pages();
    let mut problems = Vec::new();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut skipped: Vec<String> = Vec::new();
    let mut count = |what: String| *counts.entry(what).or_default() += 1;
    for page in &pages {
        for block in &page.blocks {
            let at = format!("{}:{}", page.path, block.line);
            let known: &[&str] = match block.info.lang.as_str() {
                "yaml" => examples::YAML_WORDS,
                "text" => generated::TEXT_WORDS,
                "rust" => &["ignore", "file"],
                "toml" => &["file"],
                "json" => &["file"],
                "sh" => &[],
                "" => {
                    problems.push(format!(
                        "{at}: a fence without a language (rustdoc would compile it as Rust)"
                    ));
                    continue;
                }
                other => {
                    problems.push(format!("{at}: language `{other}` is not one the example tests know"));
                    continue;
                }
            };
            if let Some(word) = block.info.words().find(|w| !known.contains(w)) {
                problems.push(format!("{at}: unknown marker `{word}` on a {} block", block.info.lang));
            }
            match block.info.lang.as_str() {
                "yaml" => match Kind::of(block) {
                    Ok(Kind::Skip(why)) => skipped.push(format!("{at}: {why}")),
                    Ok(kind) => {
                        count(format!("yaml {kind:?}"));
                        if block.info.has("run") {
                            count("yaml, also run against the built-in target".into());
                        }
                    }
                    Err(why) => problems.push(format!("{at}: {why}")),
                },
                "rust" if block.info.has("ignore") => count("rust, excerpt of a compiled file".into()),
                "rust" => count("rust, doc test".into()),
                "toml" if block.info.get("file").is_some() => count("toml, compared with the file".into()),
                "toml" => count("toml, parsed".into()),
                "text" if block.info.get("cmd").is_some() => count("text, generated by a command".into()),
                lang => count(format!("{lang}, shown only (commands, output)")),
            }
            if block.info.get("file").is_some() {
                count("excerpt of a file (file=), compared".into());
            }
        }
    }
    let blocks: usize = pages.iter().map(|p| p.blocks.len()).sum();
    eprintln!("docs: {blocks} fenced blocks in {} pages", pages.len());
    for (what, n) in &counts {
        eprintln!("  {n:3}  {what}");
    }
    eprintln!("  {:3}  yaml, skipped:", skipped.len());
    for s in &skipped {
        eprintln!("         {s}");
    }
    fail_on(problems);
}
