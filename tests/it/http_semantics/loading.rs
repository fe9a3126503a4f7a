//! The loader's diagnostics for the keys of this area, each with its position.

use crate::common::{headers, load_with};
use stressor::scenario::LoadOptions;

const HEAD: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: /
";

fn diagnostics(text: &str) -> Vec<String> {
    let (dir, loaded) = load_with(&[("s.yaml", &format!("{HEAD}{text}"))], &LoadOptions::default());
    headers(&loaded, dir.path())
}

#[test]
fn response_check_problems_are_located() {
    // (comment, activity keys after `url: /` on line 9, diagnostics)
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "a malformed JSONPath",
            "      assert_json: {\"$[0\": 1}\n",
            &["s.yaml:10:21: error: invalid JSONPath `$[0`: at position 3, in long-hand segment, expected closing ']'"],
        ),
        (
            "a malformed JSONPath in store_json",
            "      store_json: {x: \"$..\"}\n",
            &["s.yaml:10:23: error: invalid JSONPath `$..`: at position 3, "],
        ),
        (
            "an XPath prefix that namespaces: does not bind",
            "      namespaces: {a: \"http://www.w3.org/2005/Atom\"}\n      assert_xpath: {\"//a:entry/m:title\": true}\n",
            &[
                "s.yaml:11:22: error: invalid XPath `//a:entry/m:title`: the prefix `m` is not bound: add it to the activity's `namespaces: {prefix: uri}`",
            ],
        ),
        (
            "a namespace prefix with a colon",
            "      namespaces: {\"a:b\": x}\n      assert_xpath: {\"//x\": true}\n",
            &["s.yaml:10:20: error: `a:b` is not a namespace prefix"],
        ),
        (
            "namespaces without assert_xpath",
            "      namespaces: {a: x}\n",
            &["s.yaml:10:19: warning: `namespaces` is only used by `assert_xpath`, which this activity does not have"],
        ),
        (
            "a store_header line that is no number",
            "      store_header: {x: \"Set-Cookie[first]\"}\n",
            &[
                "s.yaml:10:25: error: invalid `store_header` source `Set-Cookie[first]`: `first` is not a line number (or `*` for every line)",
            ],
        ),
        (
            "decompress is a bool, in config too",
            "      decompress: maybe\n",
            &["s.yaml:10:19: error: `decompress` must be true or false, found a string"],
        ),
        (
            "absent, a regex, a JSONPath and a line: all fine",
            "      assert_headers: {X-A: absent}\n      assert_json: {\"$[?@.a > 1]\": absent}\n      store_header: {x: \"X-A[*]\"}\n      decompress: false\n",
            &[],
        ),
    ];
    let mut failures = Vec::new();
    for (comment, text, want) in cases {
        let got = diagnostics(text);
        let ok = got.len() == want.len() && got.iter().zip(want.iter()).all(|(g, w)| g.starts_with(w));
        if !ok {
            failures.push(format!("{comment}:\n  expected: {want:#?}\n  got:      {got:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
