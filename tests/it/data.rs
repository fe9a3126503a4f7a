//! What real tests need (issue 14): correlation checks with `$(var)`, test data from feeders (orders,
//! formats, `unique` across sessions and `--shard` processes, exhaustion), their diagnostics, and
//! `$load` of a CSV file. Against the built-in target server; the server's `/poll/<key>` counters are
//! its log of which rows were used.

use crate::common;

use common::{blocking_get, output_text as text, stressor, write_files};
use std::process::Output;
use stressor::target::{TargetConfig, TargetServer};

/// How often the server saw `/poll/<key>` (its counter, read with one more request).
fn polls(server: &TargetServer, key: &str) -> u64 {
    let url = format!("{}/poll/{key}", server.url());
    let body = blocking_get(&url);
    let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    value["count"].as_u64().expect("count") - 1
}

/// `stressor validate main` in `dir`: the exit code and the output, `dir` shown as `<dir>`.
fn validate_in(dir: &std::path::Path, main: &std::path::Path) -> (Option<i32>, String) {
    let out = stressor().arg("validate").arg(main).current_dir(dir).output().unwrap();
    (out.status.code(), common::hide_dir(&text(&out), dir))
}

fn run(args: &[&str], main: &std::path::Path, server: &TargetServer) -> Output {
    common::run_against(&server.url(), main, args)
}

#[test]
fn a_correlation_check_compares_with_the_stored_value() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let yaml = "file_version: stressor#0
sessions: {count: 2}
scenario:
  - sequence: main
    repeat: 3
sequences:
  main:
    - activity: PostRequest
      url: /echo
      json: {cookie: \"sid=$(session_id)\", n: 7}
      store_json: {echoed: json.n}
    - activity: PostRequest
      url: /echo
      json: {cookie: \"sid=$(session_id)\", n: 7}
      assert_json:
        json.cookie: \"sid=$(session_id)\"
        json.n: \"$(echoed)\"
      assert_match: '\"sid=$(session_id)\"'
";
    let (_dir, main) = write_files(&[("corr.yaml", yaml)]);
    let out = run(&[], &main, &server);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Another session's id must not match: the check really compares with this session's value.
    let wrong = yaml.replace(
        "json.cookie: \"sid=$(session_id)\"",
        "json.cookie: \"sid=$(session_id)0\"",
    );
    let (_dir, main) = write_files(&[("corr.yaml", &wrong)]);
    let out = run(&[], &main, &server);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("JSON `json.cookie` does not match `sid=$(session_id)0`: 'sid=t0"),
        "{}",
        text(&out)
    );
}

const ACCOUNTS_CSV: &str = "id,username\n1,ann\n2,bob\n3,cy\n4,dee\n5,eve\n6,fay\n7,gus\n8,hal\n9,ida\n10,jo\n";

/// Three sessions take rows of a `unique` feeder until none is left; `end` runs for each.
const UNIQUE: &str = "file_version: stressor#0
feeders:
  accounts: {file: accounts.csv, order: unique}
sessions: {count: 3}
scenario:
  - sequence: main
    repeat: 100
  - sequence: end
sequences:
  main:
    - activity: Feed
      feeder: accounts
    - activity: GetRequest
      url: /poll/row-$(accounts.id)-$(accounts.username)?ready_after=1
  end:
    - activity: GetRequest
      url: /poll/end-$(session_id)?ready_after=1
";

#[test]
fn a_unique_feeder_hands_each_row_out_once_across_sessions_and_shards() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let (_dir, main) = write_files(&[("unique.yaml", UNIQUE), ("accounts.csv", ACCOUNTS_CSV)]);
    // Two processes, as two pods of an Indexed Job would run them, at the same time.
    // Of the 3 sessions, shard 1/2 runs t01 and t03, shard 2/2 runs t02; of the 10 rows, each shard
    // takes its own 5.
    let shards: Vec<_> = ["1/2", "2/2"]
        .into_iter()
        .map(|shard| {
            stressor()
                .args(["run", "--no-color", "--shard", shard, "-o"])
                .arg(format!("base_url:{}", server.url()))
                .arg(&main)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (child, sessions) in shards.into_iter().zip([2, 1]) {
        let out = child.wait_with_output().unwrap();
        let text = text(&out);
        assert_eq!(out.status.code(), Some(0), "exhaustion ends sessions cleanly: {text}");
        assert!(
            text.contains(&format!("Feeder `accounts` (unique): 5 row(s) taken of 10; feeder `accounts` exhausted after 5 rows, {sessions} session(s) ended early")),
            "{text}"
        );
    }
    let names = ["ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ida", "jo"];
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            polls(&server, &format!("row-{}-{name}", i + 1)),
            1,
            "row {} used once",
            i + 1
        );
    }
    for id in ["t01", "t02", "t03"] {
        assert_eq!(polls(&server, &format!("end-{id}")), 1, "`end` of {id} ran");
    }
}

#[test]
fn sequential_rows_wrap_around_and_random_rows_are_drawn() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let yaml = |order: &str, prefix: &str, repeat: u32| {
        format!(
            "file_version: stressor#0
feeders:
  rows: {{file: three.csv, order: {order}}}
scenario:
  - sequence: main
    repeat: {repeat}
sequences:
  main:
    - activity: Feed
      feeder: rows
    - activity: GetRequest
      url: /poll/{prefix}-$(rows.id)?ready_after=1
"
        )
    };
    let three = "id\n1\n2\n3\n";
    let (_dir, main) = write_files(&[("seq.yaml", &yaml("sequential", "seq", 7)), ("three.csv", three)]);
    let out = run(&[], &main, &server);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let counts: Vec<u64> = (1..=3).map(|i| polls(&server, &format!("seq-{i}"))).collect();
    assert_eq!(counts, [3, 2, 2], "1, 2, 3, 1, 2, 3, 1");

    let (_dir, main) = write_files(&[("rnd.yaml", &yaml("random", "rnd", 60)), ("three.csv", three)]);
    let out = run(&[], &main, &server);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let counts: Vec<u64> = (1..=3).map(|i| polls(&server, &format!("rnd-{i}"))).collect();
    assert_eq!(counts.iter().sum::<u64>(), 60);
    // Each row is missed by 60 draws with probability (2/3)^60 < 3e-11.
    assert!(counts.iter().all(|&n| n > 0), "{counts:?}");
}

#[test]
fn csv_json_and_json_lines_feed_the_same_rows() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let yaml = "file_version: stressor#0
feeders:
  c: {file: d.csv}
  j: {file: d.json}
  l: {file: d.jsonl}
scenario:
  - sequence: main
sequences:
  main:
    - activity: Feed
      feeder: c
    - activity: Feed
      feeder: j
    - activity: Feed
      feeder: l
    - activity: PostRequest
      url: /echo
      json: {c: \"$(c.n)\", j: \"$(j.n)\", l: \"$(l.n)\", name: \"$(c.name)/$(j.name)/$(l.name)\"}
      assert_json:
        json.c: \"1\"
        json.j: 1
        json.l: 1
        json.name: a b/a b/a b
";
    let (_dir, main) = write_files(&[
        ("d.yaml", yaml),
        ("d.csv", "n,name\n1,a b\n"),
        ("d.json", "[{\"n\": 1, \"name\": \"a b\"}]"),
        ("d.jsonl", "{\"n\": 1, \"name\": \"a b\"}\n"),
    ]);
    let out = run(&["--single"], &main, &server);
    assert_eq!(
        out.status.code(),
        Some(0),
        "CSV values are strings, JSON keeps its types: {}",
        text(&out)
    );
}

#[test]
fn feeder_problems_are_reported_where_they_are() {
    let head = "file_version: stressor#0\nconfig: {base_url: 'http://127.0.0.1:1'}\n";
    let seq = "scenario: [{sequence: main}]\nsequences:\n  main:\n    - activity: Feed\n      feeder: accounts\n    - activity: GetRequest\n      url: /$(accounts.usrname)\n";
    let validate = |files: &[(&str, &str)]| {
        let (dir, main) = write_files(files);
        validate_in(dir.path(), &main)
    };
    // (comment, files, a line of the output, exit code)
    type Case = (&'static str, Vec<(&'static str, String)>, &'static str, i32);
    let cases: [Case; 7] = [
        (
            "a missing file, at the `file:` value",
            vec![(
                "s.yaml",
                format!("{head}feeders:\n  accounts: {{file: nope.csv}}\n{seq}"),
            )],
            "s.yaml:4:20: error: cannot use feeder file: file not found: `<dir>/nope.csv`",
            2,
        ),
        (
            "a ragged row, at its line of the data file",
            vec![
                ("s.yaml", format!("{head}feeders:\n  accounts: {{file: a.csv}}\n{seq}")),
                ("a.csv", "username,password\nann,x\nbob\n".into()),
            ],
            "a.csv:3:1: error: this row has 1 field(s), the header has 2",
            2,
        ),
        (
            "a ragged row of a spreadsheet export (CRLF, a blank line), at its own line",
            vec![
                ("s.yaml", format!("{head}feeders:\n  accounts: {{file: a.csv}}\n{seq}")),
                ("a.csv", "username,password\r\nann,x\r\n\r\nbob\r\n".into()),
            ],
            "a.csv:4:1: error: this row has 1 field(s), the header has 2",
            2,
        ),
        (
            "an unclosed quote (issue 27), at the line where the field opened, not one row swallowing the rest",
            vec![
                ("s.yaml", format!("{head}feeders:\n  accounts: {{file: a.csv}}\n{seq}")),
                ("a.csv", "username,password\nu1,\"p1\nu2,p2\nu3,p3\nu4,p4\n".into()),
            ],
            "a.csv:2:1: error: this quoted field is never closed",
            2,
        ),
        (
            "bad JSON, at its line",
            vec![
                ("s.yaml", format!("{head}feeders:\n  accounts: {{file: a.json}}\n{seq}")),
                (
                    "a.json",
                    "[\n  {\"username\": \"ann\"},\n  {\"username\": }\n]\n".into(),
                ),
            ],
            "a.json:3:1: error: invalid JSON: expected value",
            2,
        ),
        (
            "a misspelt column: a warning with the nearest column",
            vec![
                ("s.yaml", format!("{head}feeders:\n  accounts: {{file: a.csv}}\n{seq}")),
                ("a.csv", "username,password\nann,x\n".into()),
            ],
            "s.yaml:11:13: warning: `$(accounts.usrname)`: feeder `accounts` has no column `usrname`",
            0,
        ),
        (
            "a Feed of a feeder that does not exist",
            vec![
                ("s.yaml", format!("{head}feeders:\n  acounts: {{file: a.csv}}\n{seq}")),
                ("a.csv", "username\nann\n".into()),
            ],
            "s.yaml:9:15: error: no feeder is named `accounts`",
            2,
        ),
    ];
    for (comment, files, want, code) in cases {
        let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let (status, text) = validate(&files);
        assert!(text.contains(want), "{comment}: want `{want}` in:\n{text}");
        assert_eq!(status, Some(code), "{comment}: {text}");
    }
    let (_, text) = validate(&[
        ("s.yaml", &format!("{head}feeders:\n  accounts: {{file: a.csv}}\n{seq}")),
        ("a.csv", "username,password\nann,x\n"),
    ]);
    assert!(text.contains("did you mean `username`?"), "{text}");
}

/// Issue 27: a row that is not UTF-8 is reported at its own line of the data file (it was reported at
/// the scenario's `feeders:` entry, as the data file could not be shown).
#[test]
fn a_row_that_is_not_utf8_is_reported_at_its_line() {
    let yaml = "file_version: stressor#0\nconfig: {base_url: 'http://127.0.0.1:1'}\nfeeders:\n  accounts: {file: a.csv}\nscenario: [{sequence: main}]\nsequences:\n  main:\n    - activity: Feed\n      feeder: accounts\n";
    let (dir, main) = write_files(&[("s.yaml", yaml)]);
    std::fs::write(
        dir.path().join("a.csv"),
        b"username,password\nann,x\nbob,\xff\xfe\ncid,y\n",
    )
    .unwrap();
    let (status, text) = validate_in(dir.path(), &main);
    assert!(text.contains("a.csv:3:1: error: this row is not UTF-8 text"), "{text}");
    assert_eq!(status, Some(2), "{text}");
}

/// A feeder whose file cannot be read is one error, at its `file:`. Its `$(accounts.username)` is not
/// also "a variable that nothing defines": the name is declared, only its rows are missing (the
/// manual's feeder example drew that wrong warning before its data file was shown).
#[test]
fn a_feeder_without_its_file_is_one_error_and_no_unknown_variable() {
    let yaml = "file_version: stressor#0
config: {base_url: 'http://127.0.0.1:1'}
scenario: [{sequence: main}]
feeders:
  accounts: {file: accounts.csv, order: unique}
sequences:
  main:
    - activity: Feed
      feeder: accounts
    - activity: PostRequest
      url: /login
      json: {name: \"$(accounts.username)\", password: \"$(accounts.password)\"}
";
    let (dir, loaded) = common::load_with(&[("s.yaml", yaml)], &Default::default());
    assert_eq!(
        common::headers(&loaded, dir.path()),
        ["s.yaml:5:20: error: cannot use feeder file: file not found: `<dir>/accounts.csv`"]
    );
}

#[test]
fn load_of_a_csv_file_gives_the_users() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let yaml = "file_version: stressor#0
sessions:
  users: $load(users.csv)
  count: 2
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: /poll/user-$(user.name)-$(user.team)?ready_after=1
";
    let (_dir, main) = write_files(&[
        ("u.yaml", yaml),
        ("users.csv", "name,password,team\nann,pw1,red\nbob,pw2,blue\n"),
    ]);
    let out = run(&[], &main, &server);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(polls(&server, "user-ann-red"), 1);
    assert_eq!(polls(&server, "user-bob-blue"), 1);
}
