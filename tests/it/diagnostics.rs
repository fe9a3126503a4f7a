//! One case per load-time diagnostic: each asserts the file, line, column and message of every problem
//! the loader reports for a small scenario (so a missing or an extra diagnostic fails the test too).

use crate::common;

use common::{headers, load_with};
use std::collections::HashMap;
use stressor::scenario::LoadOptions;

/// A minimal valid head; `{HEAD}` in a case is replaced by it, so line numbers count from its line 1.
const HEAD: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
scenario:
  - sequence: main
sequences:
  main:
";

/// Collects mismatches so one run shows every failing case.
#[derive(Default)]
struct Cases {
    options: LoadOptions,
    failures: Vec<String>,
}

impl Cases {
    fn check(&mut self, comment: &str, files: &[(&str, &str)], expect: &[&str]) {
        let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (*n, t.replace("{HEAD}", HEAD))).collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let (dir, loaded) = load_with(&refs, &self.options);
        let got = headers(&loaded, dir.path());
        if got != expect {
            self.failures
                .push(format!("{comment}:\n  expected: {expect:#?}\n  got:      {got:#?}"));
        }
        let has_error = expect.iter().any(|e| e.contains("error: "));
        if loaded.scenario.is_some() == has_error {
            self.failures.push(format!(
                "{comment}: the scenario must be returned exactly when there is no error"
            ));
        }
    }
}

impl Drop for Cases {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(self.failures.is_empty(), "{}", self.failures.join("\n"));
        }
    }
}

#[test]
fn document_level_problems() {
    let mut c = Cases::default();
    c.check(
        "not YAML",
        &[("s.yaml", "file_version: stressor#0\nconfig: [1, 2\n")],
        &["s.yaml:2:9: error: invalid YAML: unclosed bracket '['"],
    );
    c.check(
        "a YAML list is not a stressor file",
        &[("s.yaml", "- a\n- b\n")],
        &["s.yaml:1:1: error: not a stressor file: the document is a list, not a mapping"],
    );
    c.check(
        "a mapping without file_version is not a stressor file",
        &[("s.yaml", "name: x\nsequences: {}\n")],
        &["s.yaml:1:1: error: not a stressor file: `file_version` is missing"],
    );
    c.check(
        "wrong file_version",
        &[("s.yaml", "file_version: stressor#1\nscenario: []\n")],
        &["s.yaml:1:15: error: unsupported file_version `stressor#1`"],
    );
    c.check(
        "another tool's file_version",
        &[("s.yaml", "file_version: locust#2\n")],
        &["s.yaml:1:15: error: not a stressor file: file_version is `locust#2`"],
    );
    c.check(
        "missing sections",
        &[("s.yaml", "file_version: stressor#0\nconfig:\n  name: x\n")],
        &[
            "s.yaml:1:1: error: missing section `sequences`",
            "s.yaml:1:1: error: missing section `scenario`",
        ],
    );
    c.check(
        "unknown top-level section",
        &[(
            "s.yaml",
            "{HEAD}    - activity: Sleep\n      duration: 0\nsesions:\n  count: 2\n",
        )],
        &["s.yaml:10:1: error: unknown key `sesions` in the top level"],
    );
    c.check(
        "duplicate key, reported by the YAML parser",
        &[("s.yaml", "file_version: stressor#0\nconfig: {}\nconfig: {}\n")],
        &["s.yaml:3:1: error: invalid YAML: duplicate mapping key: config, set DuplicateKeyPolicy in Options if acceptable"],
    );
}

#[test]
fn section_problems() {
    let mut c = Cases::default();
    c.check(
        "scenario item naming an undefined sequence",
        &[(
            "s.yaml",
            &format!(
                "{}    - activity: Sleep\n      duration: 0\n",
                HEAD.replace("- sequence: main", "- sequence: main\n  - sequence: mian")
            ),
        )],
        &["s.yaml:6:15: error: sequence `mian` is not defined in `sequences`"],
    );
    c.check(
        "sessions.count: 0",
        &[(
            "s.yaml",
            "{HEAD}    - activity: Sleep\n      duration: 0\nsessions:\n  count: 0\n",
        )],
        &["s.yaml:11:10: error: `sessions.count` must be at least 1"],
    );
    c.check(
        "wrong value types: count as text, verify_ssl as YAML 1.1 `yes`",
        &[(
            "s.yaml",
            "{HEAD}    - activity: Sleep\n      duration: 0\nsessions:\n  count: many\n  verify_ssl: yes\n",
        )],
        &[
            "s.yaml:11:10: error: `count` must be a whole number, found a string",
            "s.yaml:12:15: error: `verify_ssl` must be true or false, found the string `yes`",
        ],
    );
    c.check(
        "context must be a mapping",
        &[(
            "s.yaml",
            "{HEAD}    - activity: Sleep\n      duration: 0\ncontext: [a, b]\n",
        )],
        &["s.yaml:10:10: error: `context` must be a mapping of variable names to values, found a list"],
    );
    c.check(
        "near-miss config key is a warning",
        &[(
            "s.yaml",
            &format!(
                "{}    - activity: Sleep\n      duration: 0\n",
                HEAD.replace("config:\n", "config:\n  request_timout: 2\n")
            ),
        )],
        &["s.yaml:3:3: warning: `config.request_timout` is not a setting; it only becomes a context variable"],
    );
    c.check(
        "a relative URL with no base_url",
        &[("s.yaml", "file_version: stressor#0\nscenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: GetRequest\n      url: /index.html\n    - activity: GetRequest\n      url: http://127.0.0.1:1/ok\n")],
        &["s.yaml:7:12: error: relative URL `/index.html` but `config.base_url` is not set"],
    );
    c.check(
        "invalid duration",
        &[("s.yaml", "{HEAD}    - activity: Sleep\n      duration: 5 parsecs\n")],
        &["s.yaml:9:17: error: invalid duration for `duration`: unknown unit `parsecs` in `5 parsecs`"],
    );
}

#[test]
fn load_section_problems() {
    let mut c = Cases::default();
    let load = |l: &str| format!("{{HEAD}}    - activity: Sleep\n      duration: 0\nload:\n{l}");
    c.check(
        "unknown arrivals, with a suggestion",
        &[(
            "s.yaml",
            &load("  model: arrival-rate\n  arrivals: poison\n  stages: [{rate: 1/s, duration: 1s}]\n"),
        )],
        &["s.yaml:12:13: error: unknown arrivals `poison`"],
    );
    c.check(
        "arrivals with the closed model",
        &[("s.yaml", &load("  arrivals: poisson\n  seed: 3\n"))],
        &[
            "s.yaml:11:13: error: `arrivals` and `seed` need `model: arrival-rate`",
            "s.yaml:12:9: error: `arrivals` and `seed` need `model: arrival-rate`",
        ],
    );
    c.check(
        "a seed for constant arrivals",
        &[(
            "s.yaml",
            &load("  model: arrival-rate\n  seed: 3\n  stages: [{rate: 1/s, duration: 1s}]\n"),
        )],
        &["s.yaml:12:9: warning: `seed` has no effect with constant arrivals"],
    );
    c.check(
        "a negative seed",
        &[(
            "s.yaml",
            &load("  model: arrival-rate\n  arrivals: poisson\n  seed: -1\n  stages: [{rate: 1/s, duration: 1s}]\n"),
        )],
        &["s.yaml:13:9: error: `seed` must be zero or positive, found -1"],
    );
    c.check(
        "a rate in a closed-model stage",
        &[("s.yaml", &load("  stages:\n    - {rate: 5/s, duration: 1s}\n"))],
        &[
            "s.yaml:12:7: error: a stage needs `sessions`",
            "s.yaml:12:8: error: `rate` needs `model: arrival-rate`",
        ],
    );
    c.check(
        "a closed-model stage with a negative count and one without a duration",
        &[(
            "s.yaml",
            &load("  model: closed\n  stages:\n    - {sessions: -2, duration: 1s}\n    - {sessions: 2}\n"),
        )],
        &[
            "s.yaml:13:18: error: `sessions` must be zero or positive, found -2",
            "s.yaml:14:7: error: a stage needs `duration`",
        ],
    );
    c.check(
        "sessions keys the stages replace",
        &[(
            "s.yaml",
            &load("  stages: [{sessions: 2, duration: 1s}]\nsessions:\n  count: 4\n  ramp_up_delay: 1s\n"),
        )],
        &[
            "s.yaml:13:3: warning: `sessions.count` is not used with `load.stages`",
            "s.yaml:14:3: warning: `sessions.ramp_up_delay` is not used with `load.stages`",
        ],
    );
    c.check(
        "arrival-rate stages: a bad rate, a missing duration, not a mapping",
        &[(
            "s.yaml",
            &load("  model: arrival-rate\n  stages:\n    - {rate: fast, duration: 1s}\n    - {rate: 5/s}\n    - 5\n"),
        )],
        &[
            "s.yaml:13:14: error: invalid rate `fast`",
            "s.yaml:14:7: error: a stage needs `duration`",
            "s.yaml:15:7: error: a stage must be a mapping like `{rate: 50/s, duration: 30s}`",
        ],
    );
    c.check(
        "closed-model stages must be a list",
        &[("s.yaml", &load("  stages: 5\n"))],
        &["s.yaml:11:11: error: `stages` must be a non-empty list of `{sessions: 50, duration: 1m}`"],
    );
}

#[test]
fn trace_context_problems() {
    let mut c = Cases::default();
    let with = |value: &str| {
        format!(
            "file_version: stressor#0\nconfig:\n  base_url: http://127.0.0.1:8082\n  trace_context: {value}\nscenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: Sleep\n      duration: 0\n"
        )
    };
    c.check("the short form", &[("s.yaml", &with("w3c"))], &[]);
    c.check("a share", &[("s.yaml", &with("{format: w3c, sample: 10%}"))], &[]);
    c.check(
        "another format",
        &[("s.yaml", &with("b3"))],
        &["s.yaml:4:18: error: unknown trace context format `b3`"],
    );
    c.check(
        "a share above 100 %",
        &[("s.yaml", &with("{format: w3c, sample: 150%}"))],
        &["s.yaml:4:40: error: `sample` must be a share between 0% and 100%, found `150%`"],
    );
    c.check(
        "no format",
        &[("s.yaml", &with("{sample: 0.5}"))],
        &["s.yaml:4:18: error: `trace_context` needs a `format`"],
    );
    c.check(
        "an unknown key",
        &[("s.yaml", &with("{format: w3c, rate: 1}"))],
        &["s.yaml:4:32: error: unknown key `rate` in `trace_context`"],
    );
}

#[test]
fn unknown_arrivals_name_the_allowed_values() {
    let text = HEAD.to_string()
        + "    - activity: Sleep\n      duration: 0\nload:\n  model: arrival-rate\n  arrivals: poison\n  stages: [{rate: 1/s, duration: 1s}]\n";
    let (_dir, loaded) = load_with(&[("s.yaml", &text)], &LoadOptions::default());
    let shown = loaded.render(false);
    assert!(shown.contains("did you mean `poisson`"), "{shown}");
    assert!(
        shown.contains("arrivals: constant (default, evenly spaced), poisson (exponential gaps)"),
        "{shown}"
    );
}

#[test]
fn activity_problems() {
    let mut c = Cases::default();
    c.check(
        "unknown activity",
        &[("s.yaml", "{HEAD}    - activity: GetRequst\n      url: /\n")],
        &["s.yaml:8:17: error: unknown activity `GetRequst`"],
    );
    c.check(
        "unknown argument",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      assert_stauts: [200]\n",
        )],
        &["s.yaml:10:7: error: unknown key `assert_stauts` in `GetRequest`"],
    );
    c.check(
        "missing argument",
        &[("s.yaml", "{HEAD}    - activity: HTTPRequest\n      url: /\n")],
        &["s.yaml:8:7: error: missing argument `method` for `HTTPRequest`"],
    );
    c.check(
        "mutually exclusive arguments: data and json",
        &[(
            "s.yaml",
            "{HEAD}    - activity: PostRequest\n      url: /\n      data: {a: 1}\n      json: {a: 1}\n",
        )],
        &["s.yaml:11:7: error: `data` and `json` are mutually exclusive"],
    );
    c.check(
        "mutually exclusive arguments: RunScript script and path",
        &[(
            "s.yaml",
            "{HEAD}    - activity: RunScript\n      script: let a = 1;\n      path: a.rhai\n",
        )],
        &["s.yaml:10:13: error: `path` and `script` are mutually exclusive"],
    );
    c.check(
        "a fixed-method activity rejects `method`",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      method: POST\n",
        )],
        &["s.yaml:10:7: error: `GetRequest` always sends GET; it has no `method` argument"],
    );
    c.check(
        "wrong value type of an argument",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      headers: [a, b]\n      debug: 1\n",
        )],
        &[
            "s.yaml:10:16: error: `headers` must be a mapping of names to values, found a list",
            "s.yaml:11:14: error: `debug` must be true or false, found an integer",
        ],
    );
    c.check(
        "invalid regex, with the regex engine's message",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      assert_match: \"(abc\"\n",
        )],
        &["s.yaml:10:21: error: invalid regex in `assert_match`: unclosed group"],
    );
    c.check(
        "invalid XPath",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      assert_html:\n        \"//div[\": true\n",
        )],
        &["s.yaml:11:9: error: invalid XPath `//div[`: Error parsing expression: unexpected trailing input: \"[\""],
    );
    c.check(
        "invalid assert_status",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      assert_status: [200, 999]\n",
        )],
        &["s.yaml:10:28: error: `assert_status` entries must be HTTP status codes (100-599), found 999"],
    );
    c.check(
        "RunScript in Python gets the Rhai hint",
        &[("s.yaml", "{HEAD}    - activity: RunScript\n      script: |\n        from pprint import pprint\n        pprint(locals())\n")],
        &["s.yaml:10:14: error: RunScript does not compile: Expecting ';' to terminate this statement"],
    );
    c.check(
        "RunScript Rhai syntax error, line 2 of the script",
        &[(
            "s.yaml",
            "{HEAD}    - activity: RunScript\n      script: |\n        let a = 1;\n        let b = (a + ;\n",
        )],
        &["s.yaml:11:22: error: RunScript does not compile: Unexpected ';'"],
    );
    c.check(
        "unknown threshold metric, inline and top level",
        &[("s.yaml", "{HEAD}    - activity: GetRequest\n      url: /\n      thresholds: {mena: 1s}\nthresholds:\n  error_rat: 1%\n")],
        &[
            "s.yaml:10:20: error: unknown threshold metric `mena`",
            "s.yaml:12:3: error: unknown threshold metric `error_rat`",
        ],
    );
    c.check(
        "a $(var) in a check pattern is expanded at run time: a known one is fine",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      assert_match: \"hi $(user.name)\"\n",
        )],
        &[],
    );
    c.check(
        "an unknown $(var) in a check or store is a warning like anywhere else",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      assert_json: {id: \"$(user_idd)\"}\n      store_json: {x: \"a.$(fieeld)\"}\n",
        )],
        &[
            "s.yaml:10:26: warning: `$(user_idd)` refers to a variable that nothing defines",
            "s.yaml:11:26: warning: `$(fieeld)` refers to a variable that nothing defines",
        ],
    );
    c.check(
        "the text around a $(var) in a pattern must be a regex",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /\n      assert_match: \"($(user.name)\"\n",
        )],
        &["s.yaml:10:21: error: invalid regex in `assert_match`: unclosed group"],
    );
    c.check(
        "unknown $(var) is a warning",
        &[(
            "s.yaml",
            "{HEAD}    - activity: GetRequest\n      url: /users/$(user.name)/$(usr_id)\n",
        )],
        &["s.yaml:9:32: warning: `$(usr_id)` refers to a variable that nothing defines"],
    );
}

#[test]
fn load_time_macro_problems() {
    let mut c = Cases::default();
    c.options.env = Some(HashMap::new());
    let head_with =
        |users: &str| format!("{HEAD}    - activity: Sleep\n      duration: 0\nsessions:\n  users: {users}\n");
    c.check(
        "$load of a missing file",
        &[("s.yaml", &head_with("$load(nope.yaml)"))],
        &["s.yaml:11:10: error: cannot `$load` `nope.yaml`: file not found: `<dir>/nope.yaml`"],
    );
    c.check(
        "$load outside the scenario folder",
        &[("sub/s.yaml", &head_with("$load(../users.yaml)")), ("users.yaml", "- name: a\n")],
        &["sub/s.yaml:11:10: error: cannot `$load` `../users.yaml`: `../users.yaml` is outside the scenario folder `<dir>/sub`"],
    );
    c.check(
        "$load of an unsupported file type",
        &[("s.yaml", &head_with("$load(users.txt)")), ("users.txt", "x")],
        &["s.yaml:11:10: error: cannot `$load` `users.txt`: unsupported file type"],
    );
    c.check(
        "$load cycle through two files",
        &[
            (
                "s.yaml",
                &format!("{HEAD}    - activity: Sleep\n      duration: 0\ncontext:\n  x: $load(a.yaml)\n"),
            ),
            ("a.yaml", "b: $load(b.yaml)\n"),
            ("b.yaml", "a: $load(a.yaml)\n"),
        ],
        &["b.yaml:1:4: error: `$load` cycle: a.yaml -> b.yaml -> a.yaml"],
    );
    c.check(
        "$env unset without a default",
        &[("s.yaml", &head_with("$env(STRESSOR_TEST_UNSET)"))],
        &["s.yaml:11:10: error: environment variable `STRESSOR_TEST_UNSET` is not set"],
    );
    c.check(
        "bad $sleep arguments",
        &[(
            "s.yaml",
            "{HEAD}    - activity: $sleep()\n    - activity: $sleep(1, 2, 3)\n    - activity: $sleep(soon)\n",
        )],
        &[
            "s.yaml:8:17: error: `$sleep()` takes 1 or 2 durations, found 0",
            "s.yaml:9:17: error: `$sleep()` takes 1 or 2 durations, found 3",
            "s.yaml:10:17: error: `$sleep` argument `soon` is not a duration",
        ],
    );
    c.check(
        "errors inside a $loaded file point into that file",
        &[
            (
                "s.yaml",
                "{HEAD}    - activity: Sleep\n      duration: 0\n  extra: $load(seq.yaml)\n",
            ),
            ("seq.yaml", "- activity: Sleep\n  duraton: 1\n"),
        ],
        &[
            "s.yaml:10:3: warning: sequence `extra` is defined but no `scenario` item runs it",
            "seq.yaml:1:3: error: missing argument `duration` for `Sleep`",
            "seq.yaml:2:3: error: unknown key `duraton` in `Sleep`",
        ],
    );
}

#[test]
fn static_requests_and_macro_name_problems() {
    let mut c = Cases::default();
    c.check(
        "StaticRequests takes url_list, not url",
        &[(
            "s.yaml",
            "{HEAD}    - activity: StaticRequests\n      url_list: [/a.css]\n      url: /b.css\n",
        )],
        &["s.yaml:10:7: error: `StaticRequests` has no `url` argument"],
    );
    let (_dir, loaded) = load_with(
        &[(
            "s.yaml",
            &format!("{HEAD}    - activity: Sleep\n      duration: 0\ncontext:\n  x: $laod(users.yaml)\n"),
        )],
        &LoadOptions::default(),
    );
    let d = loaded.diagnostics.iter().next().expect("a warning");
    assert_eq!(
        d.message,
        "`$laod(...)` looks like a macro, but there is no macro `laod`"
    );
    assert_eq!(d.label.as_deref(), Some("did you mean `$load(...)`?"));
}

#[test]
fn test_data_problems() {
    let mut c = Cases::default();
    let feed = "    - activity: Feed\n      feeder: v\n";
    c.check(
        "an unknown generator, at its name, with the nearest one",
        &[(
            "s.yaml",
            &format!("{{HEAD}}{feed}feeders:\n  v: {{generate: {{id: uid, n: counter}}}}\n"),
        )],
        &["s.yaml:11:22: error: unknown generator `uid`"],
    );
    c.check(
        "generator arguments that cannot work",
        &[(
            "s.yaml",
            &format!("{{HEAD}}{feed}feeders:\n  v:\n    generate:\n      a: {{int: [10, 1]}}\n      b: int\n      c: {{string: 0}}\n      d: {{pick: []}}\n      e: {{uuid: 4}}\n"),
        )],
        &[
            "s.yaml:13:16: error: `int` takes `[MIN, MAX]`, two whole numbers with MIN <= MAX",
            "s.yaml:14:10: error: `int` needs arguments: write `{int: [1, 10]}`",
            "s.yaml:15:19: error: `string` takes a length from 1 to 4096",
            "s.yaml:16:17: error: `pick` takes a non-empty list of values",
            "s.yaml:17:17: error: `uuid` takes no arguments",
        ],
    );
    c.check(
        "a generated feeder has no file and no order",
        &[(
            "s.yaml",
            &format!("{{HEAD}}{feed}feeders:\n  v: {{generate: {{n: counter}}, order: unique}}\n"),
        )],
        &["s.yaml:11:38: error: feeder `v` generates its rows: it takes neither `file` nor `order`"],
    );
    c.check(
        "a seed in the closed model: the data's when a feeder generates, else an error",
        &[(
            "s.yaml",
            &format!("{{HEAD}}{feed}feeders:\n  v: {{generate: {{n: {{int: [1, 6]}}}}}}\nload: {{seed: 42}}\n"),
        )],
        &[],
    );
    c.check(
        "a Record writes .csv or .jsonl, with a row",
        &[(
            "s.yaml",
            "{HEAD}    - activity: Record\n      file: out.txt\n      row: {a: 1}\n    - activity: Record\n      file: out.csv\n    - activity: Record\n      file: nowhere/out.csv\n      row: {a: 1}\n",
        )],
        &[
            "s.yaml:9:13: error: `Record` writes .csv or .jsonl files, not `out.txt`",
            "s.yaml:11:7: error: `Record` needs `row:`, a mapping of column names to values",
            "s.yaml:14:13: error: cannot record into `nowhere/out.csv`: folder `<dir>/nowhere` does not exist",
        ],
    );
}
