//! What a successful load produces: the original tool's scenarios, macros, overrides, and the exact
//! rendering of a diagnostic.

use crate::common;

use common::{headers, load_with, original_fixtures};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use stressor::scenario::{
    ActivityKind, Delay, HtmlExpect, JsonExpect, Limit, LoadModel, LoadOptions, Metric, Param, StoreSource, load_file,
    load_str,
};

/// The four documented scenarios of the original load with no error except their Python RunScript
/// bodies, each reported at its exact line with the Rhai hint.
#[test]
fn original_scenarios_load_except_python_scripts() {
    let dir = original_fixtures();
    let cases: &[(&str, &[&str])] = &[
        ("test_noop.yaml", &[]),
        ("test_monitor.yaml", &[]),
        (
            "test_dry_run.yaml",
            &["test_dry_run.yaml:71:13: error: RunScript `path` must name a .rhai file, found `script_1.py`"],
        ),
        (
            "test_mock_server.yaml",
            &[
                "test_mock_server.yaml:91:14: error: RunScript does not compile: Expecting ';' to terminate this statement",
            ],
        ),
    ];
    for (file, expect) in cases {
        let loaded = load_file(&dir.join(file), &LoadOptions::default());
        assert_eq!(headers(&loaded, &dir), *expect, "{file}");
        for d in loaded.diagnostics.iter() {
            assert!(
                d.help.as_deref().unwrap_or("").starts_with("RunScript bodies are Rhai"),
                "{file}: {d:?}"
            );
        }
    }
}

/// test_dry_run.yaml with its Python script swapped for Rhai: every value the original's own tests
/// check is read the same way here.
#[test]
fn original_dry_run_scenario_values() {
    let text = std::fs::read_to_string(original_fixtures().join("test_dry_run.yaml")).unwrap();
    let text = text.replace("path: script_1.py", "script: \"let works = true;\"");
    let users = std::fs::read_to_string(original_fixtures().join("users.yaml")).unwrap();
    let (_dir, loaded) = load_with(
        &[("test_dry_run.yaml", &text), ("users.yaml", &users)],
        &LoadOptions::default(),
    );
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let s = loaded.scenario.expect("scenario");
    assert_eq!(s.name, "Test scenario 1");
    assert_eq!(s.sessions.count, 2);
    assert_eq!(s.sessions.users.len(), 2);
    assert_eq!(s.sessions.users[0].name, "User_1");
    assert_eq!(s.sessions.users[0].extra.get("custom"), Some(&json!("foo")));
    assert_eq!(s.sessions.users[1].to_value()["auth"], json!(["User_2", "guessme"]));
    assert_eq!(s.context["default_sleep"], json!(0.03));
    assert_eq!(s.context["base_url"], json!("http://127.0.0.1:8082"));
    let init = s.sequence("init").unwrap();
    let sleeps: Vec<_> = init
        .activities
        .iter()
        .filter_map(|a| match &a.kind {
            ActivityKind::Sleep(s) => Some((s.duration.clone(), s.duration_2.clone())),
            _ => None,
        })
        .collect();
    let ms = |m| Param::Fixed(Duration::from_millis(m));
    assert_eq!(
        sleeps,
        vec![
            (ms(10), None),
            (ms(20), None),
            (Param::Template("$(default_sleep)".into()), None),
            (ms(10), Some(ms(20))),
        ]
    );
    let ActivityKind::Http(login) = &init.activities[0].kind else {
        panic!("http")
    };
    assert_eq!(login.method, "POST");
    assert_eq!(login.url, "$(base_url)/my-login-service");
    assert_eq!(login.params.as_ref().unwrap()["name"], json!("$(user.name)"));
    assert!(matches!(&login.checks.assert_json[0].expect, JsonExpect::Matches(p) if p.source == "ok"));
    assert!(matches!(&init.activities[0].common.stores[0].source, StoreSource::Json(p) if p == "result.guid"));
    assert_eq!(
        init.activities[0].common.mock_result.as_ref().unwrap()["result"]["guid"],
        json!("{BBFC98E6-DD92-473C-A65C-BDD868E64CF2}")
    );
    assert_eq!(s.config.request_timeout, Some(Duration::from_secs(5)));
}

#[test]
fn test_mock_server_checks_are_typed() {
    let text = std::fs::read_to_string(original_fixtures().join("test_mock_server.yaml")).unwrap();
    let text = text.replace(
        "from pprint import pprint\n        pprint(locals())",
        "print(session_id);",
    );
    let users = std::fs::read_to_string(original_fixtures().join("users.yaml")).unwrap();
    let (_dir, loaded) = load_with(&[("s.yaml", &text), ("users.yaml", &users)], &LoadOptions::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let s = loaded.scenario.unwrap();
    assert_eq!(s.name, "Test WebDAV");
    assert_eq!(s.config.tag, None);
    let main = s.sequence("main").unwrap();
    let ActivityKind::Http(get) = &main.activities[0].kind else {
        panic!()
    };
    assert!(matches!(get.checks.assert_html[0].expect, HtmlExpect::Exists));
    assert_eq!(get.checks.assert_html[0].xpath, "//*[@class='logo']");
    let ActivityKind::Http(private) = &main.activities[1].kind else {
        panic!()
    };
    assert_eq!(private.auth, Some(json!("$(user.auth)")));
    assert!(main.activities[1].common.debug);
    assert!(main.activities[2].common.monitor);
    assert_eq!(
        main.activities[2].common.assert_max_time,
        Some(Duration::from_millis(500))
    );
    assert!(matches!(main.activities[3].kind, ActivityKind::Script(_)));
    let end = s.sequence("end").unwrap();
    assert!(
        matches!(&end.activities[0].kind, ActivityKind::Sleep(sl) if sl.duration == Param::Fixed(Duration::from_millis(100)))
    );
    // A Sleep is local work: out of the run's latency and error_rate by its kind, not by a default.
    assert_eq!(end.activities[0].common.ignore_timing, None);
    assert!(!end.activities[0].counted());
    assert!(main.activities[0].counted(), "a request is an exchange");
}

#[test]
fn renders_location_snippet_caret_label_and_help() {
    let text = "file_version: stressor#0\nconfig:\n  base_url: http://x\nscenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: GetRequest\n      url: /\n      asert_match: ok\n";
    let loaded = load_str(Path::new("dir/s.yaml"), text, &LoadOptions::default());
    assert_eq!(
        loaded.render(false),
        "dir/s.yaml:10:7: error: unknown key `asert_match` in `GetRequest`
   |
10 |       asert_match: ok
   |       ^^^^^^^^^^^ did you mean `assert_match`?
   |
   = help: `GetRequest` accepts: activity, name, assert_match, assert_max_time, debug, mock_result, monitor, ignore_timing, store_json, store_header, store_regex, thresholds, tags, url, params, data, json, headers, auth, timeout, verify, max_body_size, decompress, follow_redirects, max_redirects, multipart, assert_status, assert_match_headers, assert_headers, assert_json, assert_html, assert_xpath, namespaces, assert_redirects

"
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let text = "file_version: stressor#0\nconfig:\n  base_url: http://x\nsessions:\n  count: 0\nscenario:\n  - sequence: man\nsequences:\n  main:\n    - activity: Slep\n    - activity: GetRequest\n      url: /\n      assert_match: '('\n";
    let loaded = load_str(Path::new("s.yaml"), text, &LoadOptions::default());
    assert_eq!(loaded.diagnostics.error_count(), 4, "{}", loaded.render(false));
}

fn minimal(extra: &str) -> String {
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: http://127.0.0.1:8082\ncontext:\n  n: 1\n  greeting: hi\nscenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: Sleep\n      duration: 0\n{extra}"
    )
}

#[test]
fn overrides_are_typed_and_reach_config_sessions_context_and_load() {
    let options = LoadOptions {
        overrides: vec![
            "n:42".into(),
            "sessions.count:5".into(),
            "config.max_errors:3".into(),
            "tag:nightly".into(),
            "flag:true".into(),
            "request_timeout:null".into(),
            "load.seed:7".into(),
        ],
        ..LoadOptions::default()
    };
    let load = "load:\n  model: arrival-rate\n  arrivals: poisson\n  stages: [{rate: 5/s, duration: 1s}]\n";
    let loaded = load_str(Path::new("s.yaml"), minimal(load), &options);
    let s = loaded.scenario.expect("valid");
    assert_eq!(
        s.context["n"],
        json!(42),
        "a bare name defined in context is overridden there too"
    );
    assert_eq!(s.sessions.count, 5);
    assert_eq!(s.config.max_errors, 3);
    assert_eq!(s.config.tag.as_deref(), Some("nightly"));
    assert_eq!(s.context["flag"], json!(true));
    assert_eq!(s.config.request_timeout, None);
    // A drawn Poisson seed, replayed from the command line or `STRESSOR_OPT_load.seed`.
    assert!(
        matches!(
            s.load,
            stressor::scenario::LoadModel::ArrivalRate {
                arrivals: stressor::scenario::Arrivals::Poisson { seed: Some(7) },
                ..
            }
        ),
        "{:?}",
        s.load
    );
}

#[test]
fn bad_overrides_are_reported() {
    for (o, want) in [
        ("nocolon", "<-o>:1:1: error: `-o` expects NAME:VALUE, found `nocolon`"),
        (
            "scenario.x:1",
            "<-o>:1:1: error: `-o scenario.x`: cannot override `scenario`",
        ),
        (
            "sessions.count:lots",
            "<-o>:1:16: error: `count` must be a whole number, found a string",
        ),
    ] {
        let loaded = load_str(
            Path::new("s.yaml"),
            minimal(""),
            &LoadOptions {
                overrides: vec![o.into()],
                ..Default::default()
            },
        );
        assert_eq!(headers(&loaded, Path::new("")), [want], "{o}");
    }
}

#[test]
fn env_load_and_debug_macros() {
    let files = [
        (
            "s.yaml",
            minimal("    - activity: $debug()\n    - activity: RunScript\n      script: $load(scripts/check.rhai)\n  extra: $load(parts/seq.yaml)\n")
                .replace("  n: 1\n", "  n: $env(N_USERS, 7)\n  port: $env(PORT)\n  data: $load(data.json)\n")
                .replace("    - sequence: main\n", "    - sequence: main\n  - sequence: extra\n"),
        ),
        ("data.json", "{\"ids\": [1, 2, 3]}".to_string()),
        ("scripts/check.rhai", "let x = 40 + 2;\nx".to_string()),
        ("parts/seq.yaml", "- activity: RunScript\n  script: $load(../scripts/check.rhai)\n".to_string()),
    ];
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let options = LoadOptions {
        env: Some(HashMap::from([("PORT".to_string(), "8080".to_string())])),
        ..Default::default()
    };
    let (_dir, loaded) = load_with(&refs, &options);
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let s = loaded.scenario.unwrap();
    assert_eq!(s.context["n"], json!(7), "default, read as a YAML scalar");
    assert_eq!(s.context["port"], json!(8080), "env values are YAML scalars too");
    assert_eq!(s.context["data"], json!({"ids": [1, 2, 3]}));
    let main = s.sequence("main").unwrap();
    assert!(matches!(main.activities[1].kind, ActivityKind::Debug));
    let ActivityKind::Script(script) = &main.activities[2].kind else {
        panic!()
    };
    assert_eq!(script.source, "let x = 40 + 2;\nx");
    assert!(
        matches!(s.sequence("extra").unwrap().activities[0].kind, ActivityKind::Script(_)),
        "nested $load resolves relative to the including file"
    );
}

#[test]
fn durations_thresholds_and_load_model() {
    let text = minimal(
        "    - activity: GetRequest\n      name: search\n      url: /search\n      timeout: 250ms\n      thresholds: {p95: 150ms, error_rate: 0}\nthresholds:\n  p99.9: 1.5s\n  error_rate: 0.5%\n  min_rps: 3000/m\n  errors: 3\n  min_samples: 10\n  sequences:\n    main: {p99: 1s}\n  activities:\n    search: {max: 2s}\n    main/0: {mean: 1m30s}\nload:\n  model: arrival-rate\n  stages:\n    - {rate: 50/s, duration: 30s}\n    - {rate: 600/m, duration: 2m}\n  max_sessions: 500\nsessions:\n  ramp_up_delay: [0.1, 0.5]\n",
    );
    let loaded = load_str(Path::new("s.yaml"), text, &LoadOptions::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let s = loaded.scenario.unwrap();
    let ActivityKind::Http(search) = &s.sequence("main").unwrap().activities[1].kind else {
        panic!()
    };
    assert_eq!(search.timeout, Some(Param::Fixed(Some(Duration::from_millis(250)))));
    let inline = s.sequence("main").unwrap().activities[1]
        .common
        .thresholds
        .as_ref()
        .unwrap();
    assert_eq!(inline.rules[0].metric, Metric::Percentile(95.0));
    assert_eq!(inline.rules[1].limit, Limit::Ratio(0.0));
    let run = &s.thresholds.run;
    assert_eq!(run.min_samples, Some(10));
    let limits: Vec<_> = run.rules.iter().map(|r| (r.metric, r.limit)).collect();
    assert_eq!(
        limits,
        vec![
            (Metric::Percentile(99.9), Limit::Duration(Duration::from_millis(1500))),
            (Metric::ErrorRate, Limit::Ratio(0.005)),
            (Metric::MinRps, Limit::Rate(50.0)),
            (Metric::Errors, Limit::Count(3)),
        ]
    );
    assert_eq!(s.thresholds.sequences[0].0, "main");
    assert_eq!(
        s.thresholds.activities.iter().map(|a| a.0.as_str()).collect::<Vec<_>>(),
        ["search", "main/0"]
    );
    let LoadModel::ArrivalRate {
        stages, max_sessions, ..
    } = &s.load
    else {
        panic!()
    };
    assert_eq!(
        (stages[1].rate, stages[1].duration, *max_sessions),
        (10.0, Duration::from_secs(120), 500)
    );
    assert_eq!(
        s.sessions.ramp_up_delay,
        Delay::Range(Duration::from_millis(100), Duration::from_millis(500))
    );
}

#[test]
fn defaults_when_sections_are_omitted() {
    let text = "file_version: stressor#0\nscenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: GetRequest\n      url: http://127.0.0.1:1/\n";
    let loaded = load_str(Path::new("dir/my_scenario.yaml"), text, &LoadOptions::default());
    let s = loaded.scenario.unwrap();
    assert_eq!(s.name, "my_scenario");
    assert_eq!(s.sessions.count, 1);
    assert_eq!(s.sessions.users[0].name, "anonymous");
    assert_eq!(s.config.request_timeout, Some(Duration::from_secs(10)));
    assert!(s.sessions.verify_ssl);
    assert_eq!(s.load, LoadModel::Closed);
}
