//! Malformed and hostile input: the loader must answer every file with a scenario or a specific error, never
//! with a panic, a hang or a memory blow-up.
//!
//! Inputs are deterministic (a small LCG, no `rand`), and sized so a correct loader handles each in well
//! under a second even in a debug build.
//!
//! Stack note: serde-saphyr deserializes nested YAML recursively, at roughly 40 KiB of stack per level in
//! a debug build, and only checks its depth budget (64) on the way down. A 2 MiB thread (the default for
//! test threads, `std::thread::spawn` and tokio workers) therefore overflows at about 50 levels, before the
//! budget can refuse the file. The 10,000-level tests below run on an 8 MiB thread, the stack of the CLI's
//! main thread; `legal_depth_near_the_budget_on_a_2_mib_thread` (ignored) documents the problem.

use crate::common;

use common::{headers, hide_dir, load_with, write_files};
use std::path::Path;
use std::process::{Command, Output};
use stressor::scenario::macros::MAX_FILE_SIZE;
use stressor::scenario::{LoadOptions, Loaded, load_file, load_str};

/// A valid scenario; the base for the mutation test and for the "legal" cases.
const VALID: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
  request_timeout: 2
context:
  greeting: hello
sessions:
  users:
    - {name: alice, password: secret}
    - {name: bob, password: guessme}
  count: 2
scenario:
  - sequence: init
  - sequence: main
    repeat: 2
sequences:
  init:
    - activity: GetRequest
      url: /login
      store_json:
        guid: result.user_guid
  main:
    - activity: PostRequest
      url: /echo
      json: {msg: $(greeting), n: 1}
      assert_json: {json.n: 1}
    - activity: $sleep(0.01)
thresholds:
  p95: 500ms
";

/// What follows `context:` in the cases that put something odd into the context.
const TAIL: &str = "scenario:
  - sequence: main
sequences:
  main:
    - activity: Sleep
      duration: 0
";

/// A deterministic pseudo-random sequence (Knuth's MMIX LCG); the high bits are the good ones.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Loads `files` (the first is the scenario) and returns the diagnostics as `file:line:col: error: message`.
fn load(files: &[(&str, &str)]) -> (tempfile::TempDir, Loaded, Vec<String>) {
    let (dir, loaded) = load_with(files, &LoadOptions::default());
    let got = headers(&loaded, dir.path());
    (dir, loaded, got)
}

/// Asserts that the load failed with exactly these diagnostics.
fn assert_rejected(loaded: &Loaded, got: &[String], expect: &[&str]) {
    assert_eq!(got, expect, "rendered:\n{}", loaded.render(false));
    assert!(loaded.scenario.is_none(), "a scenario with errors must not be returned");
}

/// Loads text (not from disk) and returns the headers with the file shown as given.
fn load_text(name: &str, text: String) -> (Loaded, Vec<String>) {
    let loaded = load_str(Path::new(name), text, &LoadOptions::default());
    let got = headers(&loaded, Path::new(""));
    (loaded, got)
}

/// Runs `f` on a thread with an 8 MiB stack, as big as the CLI's main thread (see the module comment).
fn on_cli_sized_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the load panicked")
}

/// Runs `stressor validate FILE`.
fn validate_cli(file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stressor"))
        .arg("validate")
        .arg(file)
        .env("NO_COLOR", "1")
        .output()
        .expect("run stressor")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A stressor file whose context holds `x: VALUE` (VALUE may be several lines when it starts with "\n").
fn with_context_value(value: &str) -> String {
    format!("file_version: stressor#0\ncontext:\n  x: {value}\n{TAIL}")
}

#[test]
fn a_50_mib_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.yaml");
    // Valid-looking YAML (a long list of users), so only the size can be the reason.
    let item = "- {name: user, password: secret, custom: 0123456789abcdef}\n";
    let size = 50 * 1024 * 1024;
    let mut text = item.repeat(size / item.len() + 1);
    text.truncate(size - 1);
    text.push('\n');
    std::fs::write(&path, &text).expect("write");
    drop(text);

    let loaded = load_file(&path, &LoadOptions::default());
    let got = headers(&loaded, dir.path());
    let limit = MAX_FILE_SIZE / (1024 * 1024);
    assert_eq!(limit, 16);
    let expect = format!("error: `<dir>/big.yaml` is too large (50.0 MiB; scenario files are limited to {limit} MiB)");
    assert_rejected(&loaded, &got, &[&expect]);

    let out = validate_cli(&path);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        hide_dir(&stderr(&out), dir.path()).contains(&expect),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ten_thousand_levels_of_flow_nesting_are_refused() {
    on_cli_sized_stack(|| {
        // Flow sequences: the parser's own nesting limit (255) trips while scanning ahead.
        let text = with_context_value(&format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)));
        let (loaded, got) = load_text("seq.yaml", text);
        assert_rejected(
            &loaded,
            &got,
            &["seq.yaml:3:261: error: invalid YAML: the document is nested more than 64 levels deep"],
        );

        // Flow mappings: the depth budget (64) trips.
        let text = with_context_value(&format!("{}{}", "{a: ".repeat(10_000), "}".repeat(10_000)));
        let (loaded, got) = load_text("map.yaml", text);
        assert_rejected(
            &loaded,
            &got,
            &["map.yaml:3:254: error: invalid YAML: the document is nested more than 64 levels deep"],
        );
    });
}

#[test]
fn ten_thousand_levels_of_block_nesting_are_refused() {
    on_cli_sized_stack(|| {
        // Block sequences can nest on one line (`- - - x`).
        let text = format!(
            "file_version: stressor#0\ncontext:\n  x:\n    {}x\n{TAIL}",
            "- ".repeat(10_000)
        );
        let (loaded, got) = load_text("dash.yaml", text);
        assert_rejected(
            &loaded,
            &got,
            &["dash.yaml:4:129: error: invalid YAML: the document is nested more than 64 levels deep"],
        );

        // Block mappings need one more space per level: 10,000 levels are ~50 MB of text, more than a
        // file may have, so this one goes through `load_str`. Parsing must stop at the budget, not read on.
        let mut text = String::from("file_version: stressor#0\ncontext:\n");
        for level in 1..=10_000 {
            text.push_str(&" ".repeat(level));
            text.push_str("k:\n");
        }
        let (loaded, got) = load_text("block.yaml", text);
        assert_rejected(
            &loaded,
            &got,
            &["block.yaml:66:65: error: invalid YAML: the document is nested more than 64 levels deep"],
        );
    });
}

#[test]
fn deep_nesting_through_the_cli_exits_2() {
    let text = with_context_value(&format!("{}{}", "{a: ".repeat(10_000), "}".repeat(10_000)));
    let (dir, main) = write_files(&[("deep.yaml", &text)]);
    let out = validate_cli(&main);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = hide_dir(&stderr(&out), dir.path());
    assert!(
        err.contains("<dir>/deep.yaml:3:254: error: invalid YAML: the document is nested more than 64 levels deep"),
        "{err}"
    );
}

#[test]
fn a_40_level_context_value_loads() {
    // Runs on the test thread itself (2 MiB): 40 levels must fit; see the module comment for 50+.
    let value = format!("{}1{}", "{a: [".repeat(20), "]}".repeat(20));
    let (_dir, loaded, got) = load(&[("s.yaml", &with_context_value(&value))]);
    assert_eq!(got, Vec::<String>::new());
    let scenario = loaded.scenario.expect("40 levels are legal");
    let mut depth = 0;
    let mut v = &scenario.context["x"];
    while let Some(inner) = v.get("a").and_then(|a| a.get(0)) {
        depth += 2;
        v = inner;
    }
    assert_eq!((depth, v), (40, &serde_json::json!(1)));
}

/// The deepest context value the budget allows (the root mapping and `context` are two of the 64 levels).
fn deepest_legal_value() -> String {
    let levels = 62;
    format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
}

#[test]
fn the_deepest_legal_value_loads_and_one_more_level_is_refused() {
    on_cli_sized_stack(|| {
        let (_dir, loaded, got) = load(&[("s.yaml", &with_context_value(&deepest_legal_value()))]);
        assert_eq!(got, Vec::<String>::new());
        assert!(loaded.scenario.is_some());

        let value = format!("[{}]", deepest_legal_value());
        let (_dir, loaded, got) = load(&[("s.yaml", &with_context_value(&value))]);
        assert_rejected(
            &loaded,
            &got,
            &["s.yaml:3:68: error: invalid YAML: the document is nested more than 64 levels deep"],
        );
    });
}

#[test]
fn legal_depth_near_the_budget_on_a_2_mib_thread() {
    // What a `cargo test` or a tokio worker gets. The parser runs on its own thread with a large
    // stack; before that, debug builds overflowed at ~50 levels and aborted the process.
    let loaded = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            load(&[("s.yaml", &with_context_value(&deepest_legal_value()))])
                .1
                .scenario
                .is_some()
        })
        .expect("spawn")
        .join()
        .expect("no panic");
    assert!(loaded);
}

/// A "billion laughs" file: 10 strings, each next level 10 aliases of the previous (10^9 strings).
fn billion_laughs() -> String {
    let mut text = String::from("file_version: stressor#0\ncontext:\n");
    text.push_str(&format!("  a: &a [{}]\n", ["\"lol\""; 10].join(",")));
    for pair in b"abcdefghij".windows(2) {
        let (prev, name) = (pair[0] as char, pair[1] as char);
        text.push_str(&format!(
            "  {name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    text.push_str(TAIL);
    text
}

#[test]
fn a_billion_laughs_bomb_is_refused_by_the_budget() {
    // The node budget (4,000,000) trips while the 8th level is expanded; the message says so in words.
    let expect = "s.yaml:8:31: error: invalid YAML: the document expands to too many values (the limit is 4000000); is it an alias bomb?";
    let (dir, loaded, got) = load(&[("s.yaml", &billion_laughs())]);
    assert!(loaded.scenario.is_none());
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].starts_with(expect), "{got:#?}");

    let out = validate_cli(&dir.path().join("s.yaml"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = hide_dir(&stderr(&out), dir.path());
    assert!(err.contains(&format!("<dir>/{expect}")), "{err}");
}

/// `len` pseudo-random bytes, with a NUL early on.
fn garbage_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Lcg(seed);
    let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    bytes[3] = 0;
    bytes
}

#[test]
fn binary_garbage_is_not_a_text_file() {
    let bytes = garbage_bytes(7, 64 * 1024);
    let at = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("garbage.yaml");
    std::fs::write(&path, &bytes).expect("write");

    let loaded = load_file(&path, &LoadOptions::default());
    let got = headers(&loaded, dir.path());
    let expect = format!("error: `<dir>/garbage.yaml` is not a text file (invalid UTF-8 at byte {at})");
    assert_rejected(&loaded, &got, &[&expect]);

    let out = validate_cli(&path);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn garbage_that_is_valid_utf8_is_invalid_yaml() {
    // The same bytes made valid (U+FFFD for each bad sequence), NULs included.
    let text = String::from_utf8_lossy(&garbage_bytes(7, 64 * 1024)).into_owned();
    let (loaded, got) = load_text("lossy.yaml", text);
    assert_rejected(
        &loaded,
        &got,
        &["lossy.yaml:1:4: error: invalid YAML: unexpected character: `\\u{0}'"],
    );

    // Control characters, line separators, a BOM and YAML indicators, in many seeds and lengths.
    const CHARS: &[char] = &[
        '\0', '\u{1}', '\u{7}', '\u{8}', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{a0}',
        '\u{2028}', '\u{2029}', '\u{feff}', '\u{fffe}', ' ', ':', '-', '[', ']', '{', '}', '&', '*', '!', '|', '>',
        '#', '%', '@', '`', '"', '\'', 'a', '0', 'é', '😀',
    ];
    let mut rng = Lcg(42);
    for case in 0..50 {
        let len = 1 + rng.below(400);
        let text: String = (0..len).map(|_| CHARS[rng.below(CHARS.len())]).collect();
        let loaded = std::panic::catch_unwind(|| {
            let loaded = load_str(Path::new("ctrl.yaml"), text.clone(), &LoadOptions::default());
            loaded.render(false);
            loaded
        })
        .unwrap_or_else(|_| panic!("case {case} panicked on {text:?}"));
        assert!(loaded.scenario.is_none(), "case {case}: {text:?}");
        assert!(loaded.diagnostics.has_errors(), "case {case}: {text:?}");
    }

    // One fixed case with its exact message.
    let (loaded, got) = load_text("ctrl.yaml", "\u{1}\u{2}\u{7f}\0\u{1b}[31m\u{8}\u{c}".to_string());
    assert_rejected(
        &loaded,
        &got,
        &["ctrl.yaml:1:1: error: invalid YAML: unexpected character: `\\u{1}'"],
    );
}

#[test]
fn an_error_at_a_multibyte_character_renders() {
    // The parser reports `\u{1}` at the `é` (column 1); the snippet's caret must not cut the `é` in half
    // (a 1-byte span there made annotate-snippets panic, which crashed `stressor validate`).
    let (loaded, got) = load_text("u.yaml", "é\u{1}\n".to_string());
    assert_rejected(
        &loaded,
        &got,
        &["u.yaml:1:1: error: invalid YAML: unexpected character: `\\u{1}'"],
    );
    let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loaded.render(false)));
    assert!(rendered.is_ok(), "rendering panicked");

    let (dir, main) = write_files(&[("u.yaml", "é\u{1}\n")]);
    let out = validate_cli(&main);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = hide_dir(&stderr(&out), dir.path());
    assert!(
        err.contains("<dir>/u.yaml:1:1: error: invalid YAML: unexpected character"),
        "{err}"
    );
}

#[test]
fn a_file_that_loads_itself_is_a_cycle() {
    let text = format!("file_version: stressor#0\ncontext:\n  x: $load(self.yaml)\n{TAIL}");
    let (_dir, loaded, got) = load(&[("self.yaml", &text)]);
    assert_rejected(
        &loaded,
        &got,
        &["self.yaml:3:6: error: `$load` cycle: self.yaml -> self.yaml"],
    );
}

#[test]
fn documents_without_a_mapping_are_not_stressor_files() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "empty",
            "",
            "s.yaml:1:1: error: not a stressor file: the document is null, not a mapping",
        ),
        (
            "only comments",
            "# a comment\n# another\n",
            "s.yaml:3:1: error: not a stressor file: the document is null, not a mapping",
        ),
        (
            "only a document marker",
            "---\n",
            "s.yaml:1:4: error: not a stressor file: the document is null, not a mapping",
        ),
        (
            "a string",
            "hello\n",
            "s.yaml:1:1: error: not a stressor file: the document is a string, not a mapping",
        ),
        (
            "a number",
            "42\n",
            "s.yaml:1:1: error: not a stressor file: the document is an integer, not a mapping",
        ),
    ];
    for (what, text, expect) in cases {
        let (_dir, loaded, got) = load(&[("s.yaml", text)]);
        assert_eq!(got, [*expect], "{what}");
        assert!(loaded.scenario.is_none(), "{what}");
    }
}

#[test]
fn a_one_mib_line_loads() {
    let big = "x".repeat(1 << 20);
    let text = format!("file_version: stressor#0\ncontext:\n  big: {big}\n{TAIL}");
    let (_dir, loaded, got) = load(&[("s.yaml", &text)]);
    assert_eq!(got, Vec::<String>::new());
    let scenario = loaded.scenario.expect("a long line is fine");
    assert_eq!(scenario.context["big"].as_str().map(str::len), Some(1 << 20));
}

#[test]
fn a_one_line_json_list_of_100k_values_loads() {
    // Minified JSON (JSON is YAML) puts everything on one line; a linear loader takes well under a second.
    let items = vec!["1"; 100_000].join(",");
    let (_dir, loaded, got) = load(&[("s.yaml", &with_context_value(&format!("[{items}]")))]);
    assert_eq!(got, Vec::<String>::new());
    assert!(loaded.scenario.is_some());
}

/// One random edit of `text` (characters, so the result stays valid UTF-8).
fn mutate(text: &str, rng: &mut Lcg) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    let insert = |chars: &mut Vec<char>, s: &str| {
        chars.splice(at..at, s.chars());
    };
    match rng.below(12) {
        0 if at < chars.len() => {
            chars.remove(at);
        }
        1 => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let i = rng.below(lines.len());
            let mut out: Vec<&str> = lines.clone();
            out.insert(i, lines[i]);
            return out.concat();
        }
        2 => insert(&mut chars, ":"),
        3 => insert(&mut chars, "["),
        4 => insert(&mut chars, "{"),
        5 => insert(&mut chars, "&a "),
        6 => insert(&mut chars, "*a"),
        7 => insert(&mut chars, "\t"),
        8 => chars.truncate(at),
        9 => insert(&mut chars, ["é", "😀", "\u{0}", "\r", "\u{2028}"][rng.below(5)]),
        10 => insert(&mut chars, ["$(", "$(x.", "$load(", "$sleep(", "$env("][rng.below(5)]),
        _ => insert(&mut chars, ["\n", "- ", " ", "#", "\"", "'", "|\n"][rng.below(7)]),
    }
    chars.into_iter().collect()
}

#[test]
fn random_mutations_never_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mut.yaml");
    let base = load_str(&path, VALID, &LoadOptions::default());
    assert!(
        base.scenario.is_some() && base.diagnostics.is_empty(),
        "{}",
        base.render(false)
    );

    let mut rng = Lcg(2026);
    let (mut panics, mut loaded_ok, mut rejected) = (Vec::new(), 0, 0);
    for case in 0..200 {
        let mut text = VALID.to_string();
        for _ in 0..1 + rng.below(4) {
            text = mutate(&text, &mut rng);
        }
        let result = std::panic::catch_unwind(|| {
            let loaded = load_str(&path, text.clone(), &LoadOptions::default());
            let rendered = loaded.render(false);
            (loaded, rendered)
        });
        match result {
            Err(_) => panics.push(format!("case {case}: {text:?}")),
            Ok((loaded, rendered)) => {
                // Exactly one of: a scenario, or at least one error.
                assert_ne!(
                    loaded.scenario.is_some(),
                    loaded.diagnostics.has_errors(),
                    "case {case}: {text:?}\n{rendered}"
                );
                if loaded.scenario.is_some() {
                    loaded_ok += 1;
                } else {
                    assert!(rendered.contains(": error: "), "case {case}: {rendered}");
                    rejected += 1;
                }
            }
        }
    }
    assert!(
        panics.is_empty(),
        "{} of 200 mutations panicked:\n{}",
        panics.len(),
        panics.join("\n")
    );
    // The mutations must actually break files (and some still load), or the test proves little.
    assert!(
        rejected >= 50 && loaded_ok >= 10,
        "loaded {loaded_ok}, rejected {rejected}"
    );
}
