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

/// A case of [`request_control_problems_are_located`]: comment, files beside `s.yaml`, activity keys
/// after `url: /` on line 9, diagnostics.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a [&'a str]);

#[test]
fn request_control_problems_are_located() {
    let cases: &[Case] = &[
        (
            "a missing multipart file, relative to the scenario file",
            &[],
            "      multipart: {doc: {file: missing.txt}}\n",
            &["s.yaml:10:31: error: cannot use multipart file `missing.txt`: file not found: `<dir>/missing.txt`"],
        ),
        (
            "a file part without `file`",
            &[],
            "      multipart: {doc: {filename: a.txt}}\n",
            &["s.yaml:10:24: error: a multipart file part needs `file: path`"],
        ),
        (
            "an unknown key in a file part",
            &[("up.txt", "x")],
            "      multipart: {doc: {file: up.txt, type: text/plain}}\n",
            &["s.yaml:10:39: error: unknown key `type` in a multipart file part"],
        ),
        (
            "a list is no multipart field value",
            &[],
            "      multipart: {a: [1, 2]}\n",
            &["s.yaml:10:22: error: multipart field `a` must be a text value or `{file: path}`, found a list"],
        ),
        (
            "multipart beside data",
            &[("up.txt", "x")],
            "      data: {a: 1}\n      multipart: {doc: {file: up.txt}}\n",
            &["s.yaml:11:7: error: `multipart` cannot be combined with `data` or `json`"],
        ),
        (
            "Python requests' files=",
            &[],
            "      files: {doc: a.txt}\n",
            &["s.yaml:10:7: error: unknown key `files` in an HTTP activity"],
        ),
        (
            "follow_redirects is a bool",
            &[],
            "      follow_redirects: 0\n",
            &["s.yaml:10:25: error: `follow_redirects` must be true or false, found an integer"],
        ),
        (
            "max_redirects is a count",
            &[],
            "      max_redirects: -1\n",
            &["s.yaml:10:22: error: `max_redirects` must be zero or positive, found -1"],
        ),
        (
            "max_redirects has a ceiling",
            &[],
            "      max_redirects: 5000\n",
            &["s.yaml:10:22: error: `max_redirects` must be at most 1000, found 5000"],
        ),
        (
            "assert_redirects is a count",
            &[],
            "      assert_redirects: two\n",
            &["s.yaml:10:25: error: `assert_redirects` must be a whole number, found a string"],
        ),
        (
            "all fine, a file part next to the scenario",
            &[("up.txt", "x")],
            "      follow_redirects: false\n      max_redirects: 0\n      assert_redirects: 0\n      multipart: {a: $(session_id), doc: {file: up.txt, filename: b.txt, content_type: text/plain}}\n",
            &[],
        ),
    ];
    let mut failures = Vec::new();
    for (comment, extra, text, want) in cases {
        let main = format!("{HEAD}{text}");
        let mut files = vec![("s.yaml", main.as_str())];
        files.extend(extra.iter().copied());
        let (dir, loaded) = load_with(&files, &LoadOptions::default());
        let got = headers(&loaded, dir.path());
        let ok = got.len() == want.len() && got.iter().zip(want.iter()).all(|(g, w)| g.starts_with(w));
        if !ok {
            failures.push(format!("{comment}:\n  expected: {want:#?}\n  got:      {got:#?}"));
        }
    }
    let config = "file_version: stressor#0\nconfig:\n  base_url: http://127.0.0.1:8082\n  follow_redirects: no\n  max_redirects: 1.5\nscenario: []\n";
    let (dir, loaded) = load_with(&[("s.yaml", config)], &LoadOptions::default());
    let got = headers(&loaded, dir.path());
    let want = [
        "s.yaml:4:21: error: `follow_redirects` must be true or false, found the string `no`",
        "s.yaml:5:18: error: `max_redirects` must be a whole number, found a number",
    ];
    if !want.iter().all(|w| got.iter().any(|g| g.starts_with(w))) {
        failures.push(format!("config:\n  expected: {want:#?}\n  got:      {got:#?}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
