//! Differential tests: the fast path ([`super::fast`]) either declines or builds exactly the tree the
//! serde-saphyr path builds (`Node` equality includes every span).

use super::{Node, SyntaxError, fast, parse, parse_with_serde};
use crate::scenario::source::SourceMap;
use std::path::Path;

/// What each path makes of `text`: the fast tree (`None`: declined) and the serde-saphyr result.
fn both(text: &str) -> (Option<Node>, Result<Node, SyntaxError>) {
    let mut sources = SourceMap::default();
    let id = sources.add("t.yaml", text);
    let file = sources.get(id).expect("just added");
    (fast::parse(id, file), parse_with_serde(id, file))
}

/// Asserts that the fast path declines or agrees with serde-saphyr; returns whether it took `text`.
fn check(text: &str) -> bool {
    let (fast, reference) = both(text);
    let Some(fast) = fast else { return false };
    match reference {
        Ok(reference) => {
            assert!(
                fast == reference,
                "the fast path differs from serde-saphyr on {text:?}\nfast:      {fast:?}\nreference: {reference:?}"
            );
        }
        Err(e) => panic!(
            "the fast path accepted {text:?}, serde-saphyr refuses it at {}:{}: {}",
            e.span.line, e.span.col, e.message
        ),
    }
    true
}

/// Asserts that the fast path takes `text` (and agrees).
fn accepted(text: &str) {
    assert!(
        check(text),
        "the fast path declined {text:?}: {:?}",
        both(text).1.map(|_| ()).map_err(|e| e.message)
    );
}

/// Asserts that the fast path leaves `text` to serde-saphyr.
fn declined(text: &str) {
    assert!(!check(text), "the fast path should decline {text:?}");
}

/// The valid scenario at the base of `tests/it/robustness.rs`'s mutation test, taken from that file so
/// the two stay the same.
fn robustness_base() -> String {
    let source = include_str!("../../../tests/it/robustness.rs");
    let start = source
        .find("const VALID: &str = \"")
        .expect("VALID in tests/it/robustness.rs")
        + 21;
    let len = source[start..].find("\";\n").expect("end of VALID");
    let text = &source[start..start + len];
    assert!(!text.contains(['\\', '"']), "VALID uses no escapes");
    text.to_string()
}

/// Every `.yaml` file under `dir` (recursively).
fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn repository_yaml_files_and_the_robustness_base_take_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&root.join("tests/fixtures"), &mut files);
    yaml_files(&root.join("fixtures"), &mut files);
    assert!(files.len() >= 6, "fixtures not found: {files:?}");
    // The benchmark's generated scenario, when `bench/validate.sh` has written it.
    let bench = root.join("target/bench/scenario-5000.yaml");
    if bench.exists() {
        files.push(bench);
    }
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read fixture");
        assert!(check(&text), "the fast path declined {}", path.display());
        // The same file with Windows line endings.
        assert!(check(&text.replace('\n', "\r\n")), "{} with CRLF", path.display());
    }
    accepted(&robustness_base());
    accepted(&robustness_base().replace('\n', "\r\n"));
}

/// Snippets the fast path must take, each compared with serde-saphyr.
const ACCEPTED: &[&str] = &[
    // Scalars in every style.
    "a: plain text\nb: 'single ''quoted'''\nc: \"double \\\"quoted\\\" \\u00e9 \\t \\n \\x41 \\\\\"\n",
    "a: \"\"\nb: ''\nc: \" \"\nd: 'null'\ne: \"true\"\nf: '12'\ng: \"~\"\n",
    "multi: this is\n  a plain scalar\n  on three lines\nq: \"quoted\n  over lines\"\ns: 'single\n\n  with a blank line'\n",
    "a: x#y\nb: x #comment\nc: 'x #not a comment'\nd: http://example.com:8080/p?q=1#frag\n",
    "a: -x\nb: --\nc: +x\nd: .x\ne: 1.2.3\nf: 12:30\ng: 1,000\nh: 0x\ni: 0xG\nj: 1__0\nk: _1\nl: 1_\n",
    // Block scalars with chomping and indentation indicators.
    "lit: |\n  line 1\n    indented\n  line 3\n\nnext: x\n",
    "keep: |+\n  text\n\n\nstrip: |-\n  text\n\nclip: |\n  text\n\n",
    "fold: >\n  folded\n  lines\n\n  new paragraph\n    more indented\n  back\nf2: >-\n  x\n  y\n",
    "ind: |2\n    two extra spaces\n  base\nind2: >1-\n  one extra\n",
    "seq:\n  - |\n    in a list\n  - >\n    folded in a list\n",
    "end: |\n  no final newline",
    "end: >-\n  no final newline\n  here",
    "empty_block: |\nnext: 1\n",
    // Flow collections.
    "a: [1, two, 'three', \"four\", {five: 5}, [6, [7]], ]\nb: {x: 1, y: [a, b], z: {}, w: []}\n",
    "a: [\n  1,\n  2\n]\nb: {\n  k: v,\n  k2: v2\n}\n",
    "[1, 2, 3]",
    "{\"json\": [1, 2.5, true, null, \"s\"], \"o\": {\"k\": -1}}",
    "a: {k: , k2: v, : empty-key}\nb: [a, c, ]\n",
    "{\"a\": 1, 'b': [\"x\", 'y'], c: {d: &f [1], e: *f}}",
    "long: \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"\n",
    "a: x\u{85}y\nb: y\u{2028}c\n",
    "a: [0., -.5e3, 1e+3, +1_0, 1_0.5, 0x1p3, 1e-0]\n",
    "k:\n  - a: 1\n    b: 2\n  -   c: 3\n      d: 4\n",
    "a: [k: v, x]\nb: {? complex-ish : 1}\n",
    // Block collections, empty values, explicit keys.
    "a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: nULL\ng:\n  - \n  -\n  - x\n",
    "? a\n: b\n? c\nd: e\n",
    "root:\n  - name: x\n    v: 1\n  - name: y\n    v:\n      - 1\n      - - 2\n        - 3\n",
    "- a\n- - b\n  - c\n- k: v\n  k2: v2\n-\n- []\n",
    "nested:\n  deeper:\n    deepest:\n      value: 1\n",
    "a:\n- x\n- y\nb:\n  - z\n",
    // Numbers in every form, ints overflowing i64 become floats.
    "i: [0, -0, +0, 1, +1, -1, 1_000, 0x1F, 0X1f, 0o17, 0O17, 0b101, -0x10, +0o7, 0x_1, 0b2, 0o8]\n",
    "z: [007, -007, +007, 00, 0.5, 00.5, 0e0, -0e0]\n",
    "big: [9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809]\n",
    "big: [18446744073709551615, 18446744073709551616, 0xFFFFFFFFFFFFFFFF, 0x10000000000000000, 340282366920938463463374607431768211456]\n",
    "f: [1e3, 1E-3, .5, 5., -.5, +.5, 1.0e+10, 3.14159, -2.5e-7, 1e308, 4.9e-324, 1e-400]\n",
    "s: [inf, nan, Infinity, -inf, +nan, infinity, NaN, .infinity, .nana, 1e, e1, 1.0.0, 0.1_2]\n",
    "b: [true, True, TRUE, tRUE, false, False, FALSE, yes, no, on, off, y, n, Y, N]\n",
    // Keys of every scalar kind.
    "1: int\n-2: neg\n1.5: float\ntrue: bool\n~: null\n\"\": empty\n'x y': quoted\n0x10: hex\n",
    "\"1\": a\n1.0: b\n01: c\n",
    // Anchors and aliases: a copy with the alias's span.
    "a: &x 1\nb: *x\nc: [*x, *x]\n",
    "base: &b {k: v, n: [1, 2]}\ncopy: *b\nlist:\n  - *b\n  - x\n",
    "s: &s [a, {b: c}]\nt: *s\nu: {in: *s}\n",
    "a: &a x\nb: &a y\nc: *a\n",
    "outer: &o\n  inner: &i [1, 2]\n  again: *i\nboth: *o\nonly: *i\n",
    "a: &q 'quoted'\nb: *q\nc: &e\nd: *e\n",
    "- &x 5\n- *x\n- &y [*x, *x]\n- *y\n",
    "&root {a: 1}",
    // `!!str`.
    "a: !!str 123\nb: !!str true\nc: !!str\nd: !!str ~\ne: !!str 'q'\n!!str 5: key\n",
    "a: !<tag:yaml.org,2002:str> 1\n",
    // Unicode: columns count characters, offsets bytes.
    "é: ü\nkey😀: [😀, é, 日本語]\n日本: {語: \"\\U0001F600\"}\nz: ää #c\n",
    "a: \"é\"\n  # comment\nb: 'x'\n",
    "\u{feff}a: bom\n",
    // Comments everywhere.
    "# head\na: 1 # trailing\n# between\nb: # after key\n  - x # item\n  # inside\n  - y\nc: [1, # in flow\n  2]\n# tail\n",
    // Document markers and directives.
    "---\na: 1\n",
    "--- # comment\na: 1\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: 1\n...\n# after the end\n",
    "--- |\n  a literal root\n",
    "--- 42",
    "---\n",
    // Whitespace oddities.
    "a:    spaced    \nb:\tx\nc: 'x'   \n",
    "a:\n\n\n  b: 1\n\n",
    "a: 1   ",
    "  a: 1\n  b: 2\n",
    "a: &x\n  - 1\nb: *x\n",
];

/// Snippets the fast path must leave to serde-saphyr (errors, or features it does not do).
const DECLINED: &[&str] = &[
    // Errors: syntax, duplicates, non-finite floats, multiple documents.
    "a: [1, 2\n",
    "b: [a, , c]\n",
    "a: b: c\n",
    "a: 1\na: 2\n",
    "1: x\n0x1: y\n",
    "a: 1\n\"a\": 2\n",
    "a: 1\n!!str a: 2\n",
    "{a: 1, a: 2}",
    "x: .inf\n",
    "x: -.Inf\n",
    "x: .NaN\n",
    "x: 1e999\n",
    "x: -1e999\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n---\n",
    "a: *unknown\n",
    "a: &r [1, *r]\n",
    "\u{1}",
    "a: \"\\q\"\n",
    // Not done by the fast path.
    "base: &b {k: v}\nm:\n  <<: *b\n  x: 1\n",
    "'<<': 1\n",
    "? [a, b]\n: c\n",
    "? {a: b}\n: c\n",
    "a: &k key\n*k : v\n",
    "a: !!int 5\n",
    "a: !!float 5\n",
    "a: !!bool true\n",
    "a: !!null ~\n",
    "a: !custom x\n",
    "a: ! x\n",
    "a: !!map {k: v}\n",
    "a: !!seq [1]\n",
    "!!map {k: v}",
    "!!binary aGVsbG8=",
    // Nothing, or only comments.
    "",
    "# only a comment\n",
];

#[test]
fn tricky_snippets_take_the_fast_path_and_agree() {
    let mut declined = Vec::new();
    for text in ACCEPTED {
        for text in [text.to_string(), text.replace('\n', "\r\n")] {
            if !check(&text) {
                declined.push(format!(
                    "{text:?}: {:?}",
                    both(&text).1.map(|_| ()).map_err(|e| e.message)
                ));
            }
        }
    }
    assert!(declined.is_empty(), "the fast path declined:\n{}", declined.join("\n"));
}

#[test]
fn errors_and_unsupported_features_are_left_to_serde_saphyr() {
    for text in DECLINED {
        declined(text);
    }
    // Duplicates after nested collections, and in mappings large enough for the hash set.
    declined("a:\n  x: {p: 1, q: [1, {r: 2}]}\n  y: 2\n  x: 3\n");
    declined("a: {x: 1}\nb: [{c: 1, d: 2}]\na: 2\n");
    declined("- k: {a: 1}\n  k: 2\n");
    let big = |extra: &str| {
        let keys: String = (0..100).map(|i| format!("k{i}: {{n: {i}}}\n")).collect();
        format!("{keys}{extra}")
    };
    accepted(&big("last: 1\n"));
    declined(&big("k7: again\n"));
    declined(&big("k99: again\n"));
    let ints: String = (0..100).map(|i| format!("{i}: x\n")).collect();
    accepted(&ints);
    declined(&format!("{ints}0x63: dup of 99\n"));
    declined(&format!("{ints}+5: dup of 5\n"));
    // Depth: 64 levels are legal (the root mapping is one), 65 are not.
    let nest = |n: usize| format!("a: {}1{}\n", "[".repeat(n), "]".repeat(n));
    accepted(&nest(63));
    declined(&nest(64));
    // Through an alias: the copy's depth counts where it is used.
    let deep = format!("a: &d {}1{}\n", "[".repeat(60), "]".repeat(60));
    accepted(&format!("{deep}b: [[[*d]]]\n"));
    declined(&format!("{deep}b: [[[[*d]]]]\n"));
}

#[test]
fn budget_limits_are_left_to_serde_saphyr() {
    // A billion laughs: declined once it would pass the node budget.
    let mut text =
        String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for pair in b"abcdefghij".windows(2) {
        let (prev, name) = (pair[0] as char, pair[1] as char);
        text.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    declined(&text);
    // Many aliases of one anchor: serde-saphyr's alias/anchor ratio.
    let many = format!("a: &a 1\nb: [{}]\n", vec!["*a"; 100].join(", "));
    declined(&many);
    let fine = format!("a: &a 1\nb: [{}]\n", vec!["*a"; 99].join(", "));
    accepted(&fine);
    // 10,000 nested levels stop at the depth limit without reading on (and without a deep stack).
    let deep = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut sources = SourceMap::default();
            let id = sources.add("t.yaml", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)));
            fast::parse(id, sources.get(id).expect("added")).is_none()
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    assert!(deep);
}

#[test]
fn parse_returns_serde_saphyr_errors_unchanged() {
    for text in DECLINED {
        let mut sources = SourceMap::default();
        let id = sources.add("t.yaml", *text);
        let file = sources.get(id).expect("added");
        let (got, want) = (parse(id, file), parse_with_serde(id, file));
        match (got, want) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
            (Err(a), Err(b)) => assert_eq!((a.span, a.message), (b.span, b.message), "{text:?}"),
            (a, b) => panic!("{text:?}: {a:?} vs {b:?}"),
        }
    }
}

/// A valid document with most of the features above, as a mutation base.
const RICH: &str = r#"# rich
plain: some text # comment
quoted: ['single ''q''', "double \t é", "", '']
numbers: {i: [0, -7, +3, 0x1F, 0o17, 0b11, 1_000, 9223372036854775808], f: [1.5, -.5, 1e3, 007]}
words: [true, False, yes, ~, null, '', inf, nan]
empty:
anchor: &a {k: v, list: [1, 2]}
alias: *a
scalar_anchor: &s 42
uses: [*s, *a, {x: *s}]
text: !!str 123
block: |
  line one
    indented
fold: >-
  folded
  text
nested:
  - name: x
    values:
      - - 1
        - 2
      - k: v
  - ? explicit
    : value
unicode: {é: 日本, key😀: "\u00e9"}
"#;

/// `tests/it/robustness.rs`'s pseudo-random generator (Knuth's MMIX LCG).
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

/// One random edit. With `kinds == 12` this is exactly `tests/it/robustness.rs`'s `mutate` (same draws,
/// same edits); 14 adds two kinds of YAML indicators.
fn mutate(text: &str, rng: &mut Lcg, kinds: usize) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    let insert = |chars: &mut Vec<char>, s: &str| {
        chars.splice(at..at, s.chars());
    };
    match rng.below(kinds) {
        0 if at < chars.len() => {
            chars.remove(at);
        }
        // (robustness.rs would panic on an empty text here; it never gets one.)
        1 if !text.is_empty() => {
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
        12 => insert(
            &mut chars,
            [
                "!!str ", "<<: ", "~", "0x1", "-", ".5", "1e9", "? ", "|2\n", ">-\n", "---\n", "*b", "&b ",
            ][rng.below(13)],
        ),
        13 => insert(&mut chars, ["\r\n", ",", "]", "}", "'", "\"", " #x"][rng.below(7)]),
        _ => insert(&mut chars, ["\n", "- ", " ", "#", "\"", "'", "|\n"][rng.below(7)]),
    }
    chars.into_iter().collect()
}

/// The very corpus of `tests/it/robustness.rs`'s `random_mutations_never_panic` (its base, seed, count and
/// edits).
#[test]
fn the_robustness_mutation_corpus_agrees() {
    let mut rng = Lcg(2026);
    let mut taken = 0;
    for _ in 0..200 {
        let mut text = robustness_base();
        for _ in 0..1 + rng.below(4) {
            text = mutate(&text, &mut rng, 12);
        }
        if check(&text) {
            taken += 1;
        }
    }
    eprintln!("the fast path took {taken} of 200 mutations");
    assert!((20..200).contains(&taken), "the fast path took {taken} of 200");
}

/// Mutation bases: the robustness test's scenario (also with CRLF), [`RICH`], an anchor-heavy file and,
/// when `bench/validate.sh` has generated it, the start of the benchmark scenario.
fn mutation_bases() -> Vec<String> {
    let mut bases = vec![
        robustness_base(),
        robustness_base().replace('\n', "\r\n"),
        RICH.to_string(),
        "a: &x {k: [1, 2.5, 'q', \"é\"]}\nb: *x\nc: |\n  lit\nd: >-\n  fold\ne: [*x, &y 3, *y]\n".to_string(),
    ];
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/scenario-5000.yaml");
    if let Ok(text) = std::fs::read_to_string(bench) {
        bases.push(text.split_inclusive('\n').take(150).collect());
    }
    bases
}

/// Random edits of each base (`STRESSOR_MUTATIONS` per base, default 1,000, from seed `STRESSOR_SEED`,
/// default 2026): whenever the fast path takes one, serde-saphyr must accept it too and build the same
/// tree.
#[test]
fn random_mutations_agree_whenever_the_fast_path_takes_them() {
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default);
    let per_base = env("STRESSOR_MUTATIONS", 1000) as usize;
    let mut rng = Lcg(env("STRESSOR_SEED", 2026));
    for base in mutation_bases() {
        assert!(check(&base), "the fast path takes the unmutated base");
        let mut taken = 0;
        for _ in 0..per_base {
            let mut text = base.clone();
            for _ in 0..1 + rng.below(4) {
                text = mutate(&text, &mut rng, 14);
            }
            if check(&text) {
                taken += 1;
            }
        }
        eprintln!("the fast path took {taken} of {per_base} mutations");
        // The mutations must exercise both outcomes, or the test proves little.
        assert!(
            taken >= per_base / 10 && taken < per_base,
            "the fast path took {taken} of {per_base}"
        );
    }
}
