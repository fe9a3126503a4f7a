//! The library API: Rust activity plugins (load-time diagnostics, runs recorded in the report),
//! scenarios built in code (same model as the YAML loader's), `stressor::run` and run events — all
//! against the built-in target server on an ephemeral port.

use crate::common;

use common::headers;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::Path;
use stressor::activity::plugin::{Activity, PluginContext, Registry, RegistryError};
use stressor::activity::{ActivityError, ErrorClass};
use stressor::run::{RunError, RunEvent, RunOptions};
use stressor::scenario::{LoadOptions, Loaded, ScenarioBuilder, load_str};

/// GETs `path` on `config.base_url` and fails with class `status` unless the status is `expect`.
struct Probe;

#[derive(Deserialize)]
struct ProbeArgs {
    path: String,
    expect: u16,
    #[serde(default)]
    label: Option<String>,
}

impl Activity for Probe {
    const NAME: &'static str = "Probe";
    /// It talks to the service: its executions make the run's latency and error rate.
    const EXCHANGES: bool = true;
    type Args = ProbeArgs;

    async fn run(&self, args: ProbeArgs, mut ctx: PluginContext<'_>) -> Result<Value, ActivityError> {
        let url = format!("{}{}", ctx.base_url().unwrap_or_default(), args.path);
        let resp = ctx
            .http()?
            .get(&url)
            .send()
            .await
            .map_err(|e| ActivityError::new(ErrorClass::Connect, e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap_or_default();
        ctx.count_bytes(0, body.len() as u64);
        let probes = ctx.vars().get("probes").and_then(Value::as_u64).unwrap_or(0);
        ctx.vars_mut().insert("probes".into(), json!(probes + 1));
        if status != args.expect {
            return Err(ActivityError::new(
                ErrorClass::Status,
                format!("status {status}, expected {}", args.expect),
            ));
        }
        Ok(json!({"status": status, "label": args.label}))
    }

    fn sets(&self, _args: &ProbeArgs) -> Vec<String> {
        vec!["probes".into()]
    }
}

/// An activity without arguments.
struct Noop;

impl Activity for Noop {
    const NAME: &'static str = "Noop";
    type Args = ();

    async fn run(&self, _args: (), _ctx: PluginContext<'_>) -> Result<Value, ActivityError> {
        Ok(Value::Null)
    }
}

fn registry() -> Registry {
    Registry::new()
        .register(Probe)
        .and_then(|r| r.register(Noop))
        .expect("unique names")
}

fn load(yaml: &str) -> Loaded {
    load_str(
        Path::new("s.yaml"),
        yaml,
        &LoadOptions::default().with_plugins(registry()),
    )
}

const HEAD: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:9
scenario:
  - sequence: main
sequences:
  main:
";

#[test]
fn plugin_argument_problems_point_at_the_yaml() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "wrong type",
            "    - activity: Probe\n      path: /x\n      expect: [200]\n",
            &["s.yaml:10:15: error: `expect` must be u16, found a list"],
        ),
        (
            "unknown key, with every other problem of the activity",
            "    - activity: Probe\n      path: /x\n      expect: 200\n      labl: a\n      nmae: b\n",
            &[
                "s.yaml:11:7: error: unknown key `labl` in `Probe`",
                "s.yaml:12:7: error: unknown key `nmae` in `Probe`",
            ],
        ),
        (
            "missing required argument: at the activity",
            "    - activity: Probe\n      path: /x\n",
            &["s.yaml:8:7: error: missing argument `expect` for `Probe`"],
        ),
        (
            "out of range",
            "    - activity: Probe\n      path: /x\n      expect: 70000\n",
            &["s.yaml:10:15: error: `expect`: invalid value: integer `70000`, expected u16"],
        ),
        (
            "an activity without arguments",
            "    - activity: Noop\n      extra: 1\n",
            &["s.yaml:9:7: error: unknown key `extra` in `Noop`"],
        ),
        (
            "unknown activity suggests plugin names",
            "    - activity: Prboe\n      path: /x\n",
            &["s.yaml:8:17: error: unknown activity `Prboe`"],
        ),
    ];
    let mut failures = Vec::new();
    for (comment, body, expect) in cases {
        let loaded = load(&format!("{HEAD}{body}"));
        let got = headers(&loaded, Path::new(""));
        if got != *expect {
            failures.push(format!("{comment}:\n  expected: {expect:#?}\n  got: {got:#?}"));
        }
        if loaded.scenario.is_some() {
            failures.push(format!("{comment}: loaded despite errors"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn plugin_suggestions_and_accepted_forms() {
    let loaded = load(&format!(
        "{HEAD}    - activity: Probe\n      path: /x\n      expect: 200\n      labl: a\n      nmae: b\n    - activity: Prboe\n"
    ));
    let labels: Vec<_> = loaded.diagnostics.iter().map(|d| d.label.clone()).collect();
    assert_eq!(
        labels,
        [
            Some("did you mean `label`?".to_string()),
            Some("did you mean `name`?".to_string()),
            Some("did you mean `Probe`?".to_string()),
        ]
    );
    let rendered = loaded.render(false);
    assert!(
        rendered.contains("`Probe` accepts: path, expect, label, name"),
        "{rendered}"
    );

    // `$(var)` may stand for a typed argument (checked after expansion); common keys work as usual.
    let ok = load(&format!(
        "{HEAD}    - activity: Probe\n      path: /status/$(code)\n      expect: $(code)\n      name: probe\n      assert_match: \"200\"\n    - activity: Noop\n"
    ));
    assert!(!ok.diagnostics.has_errors(), "{}", ok.render(false));
    let scenario = ok.scenario.expect("valid");
    let probe = &scenario.sequence("main").expect("main").activities[0];
    assert_eq!(probe.type_name(), "Probe");
    assert_eq!(probe.common.name.as_deref(), Some("probe"));

    // Without the registry the same file names the activity as unknown.
    let plain = load_str(
        Path::new("s.yaml"),
        format!("{HEAD}    - activity: Noop\n"),
        &LoadOptions::default(),
    );
    assert_eq!(
        headers(&plain, Path::new("")),
        ["s.yaml:8:17: error: unknown activity `Noop`"]
    );
}

#[test]
fn variables_a_plugin_names_are_known_to_the_loader() {
    // `probes` is set by Probe (and named in `Activity::sets`); nothing sets `probez`.
    let loaded = load(&format!(
        "{HEAD}    - activity: Probe\n      path: /a\n      expect: 200\n    - activity: GetRequest\n      url: /a/$(probes)\n    - activity: GetRequest\n      url: /b/$(probez)\n"
    ));
    assert_eq!(
        headers(&loaded, Path::new("")),
        ["s.yaml:14:15: warning: `$(probez)` refers to a variable that nothing defines"]
    );
    assert_eq!(
        loaded.diagnostics.iter().next().and_then(|d| d.label.clone()),
        Some("did you mean `probes`?".into())
    );
}

#[test]
fn registry_refuses_taken_and_unwritable_names() {
    struct Get;
    impl Activity for Get {
        const NAME: &'static str = "GetRequest";
        type Args = ();
        async fn run(&self, _: (), _: PluginContext<'_>) -> Result<Value, ActivityError> {
            Ok(Value::Null)
        }
    }
    struct Bad;
    impl Activity for Bad {
        const NAME: &'static str = "my thing";
        type Args = ();
        async fn run(&self, _: (), _: PluginContext<'_>) -> Result<Value, ActivityError> {
            Ok(Value::Null)
        }
    }
    assert_eq!(
        Registry::new().register(Get).unwrap_err(),
        RegistryError::Duplicate("GetRequest".into())
    );
    assert_eq!(
        registry().register(Probe).unwrap_err(),
        RegistryError::Duplicate("Probe".into())
    );
    assert_eq!(
        Registry::new().register(Bad).unwrap_err(),
        RegistryError::InvalidName("my thing".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_run_and_are_recorded_like_any_activity() {
    let srv = common::run::server().await;
    let yaml = format!(
        "file_version: stressor#0
config:
  base_url: {}
context:
  code: 200
  word: abc
sessions:
  count: 2
scenario:
  - sequence: main
    repeat: 3
sequences:
  main:
    - activity: Probe
      name: ok
      path: /status/$(code)
      expect: $(code)
      label: s-$(session_id)
      store_json:
        seen: status
      assert_match: '\"label\":\"s-t0[12]\"'
    - activity: Probe
      name: again
      path: /echo
      expect: $(seen)
    - activity: Probe
      name: fails
      path: /status/503
      expect: 200
    - activity: Probe
      name: bad variable
      path: /echo
      expect: $(word)
    - activity: Noop
",
        srv.url()
    );
    let loaded = load(&yaml);
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let scenario = loaded.scenario.expect("valid");
    let report = stressor::run(scenario.clone(), RunOptions::default().with_activities(registry()))
        .await
        .expect("run");
    let counts = |i| common::run::counts(&report, "main", i);
    assert_eq!(counts(0), (6, 0), "probe with expanded arguments");
    assert_eq!(counts(1), (6, 0), "stored result used as a typed argument");
    assert_eq!(counts(2), (6, 6), "plugin failure counted");
    assert_eq!(counts(3), (6, 6), "wrong type after expansion");
    assert_eq!(counts(4), (6, 0));
    let (_, ok) = report.activity("main", 0).expect("activity");
    assert!(ok.bytes_received > 0, "bytes counted by the plugin");
    assert_eq!(report.activities[0].label, "ok");
    assert_eq!(report.activities[4].label, "Noop");
    // Probe declares EXCHANGES; Noop, by default, is local work: the run's total is the probes'.
    assert!(
        report.activities[..4].iter().all(|a| a.timed),
        "{:?}",
        report.activities
    );
    assert!(!report.activities[4].timed, "a plugin is local by default");
    assert_eq!(report.stats.total.count, 24, "the four probes' executions, not Noop's");
    let by_class = report.errors_by_class();
    assert_eq!(by_class, [(ErrorClass::Status, 6), (ErrorClass::Variable, 6)]);
    let messages = common::run::error_messages(&report);
    assert!(
        messages.contains(&("status".into(), "status 503, expected 200".into())),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|(class, m)| class == "variable"
            && m == "invalid arguments for `Probe` after expanding variables: `expect` must be u16, found a string"),
        "{messages:?}"
    );

    // The runner refuses to start without the plugins the scenario uses.
    let err = stressor::run(scenario, RunOptions::default()).await.unwrap_err();
    assert!(
        matches!(err, RunError::UnknownActivity { ref name } if name == "Probe"),
        "{err}"
    );
}

/// The same scenario as YAML, for the builder to match.
const SAME_AS_BUILDER: &str = r#"file_version: stressor#0
config:
  name: shop
  base_url: http://127.0.0.1:8082
  request_timeout: 2s
context:
  pause: 0.01
sessions:
  count: 3
  users:
    - {name: ann, password: secret}
scenario:
  - sequence: init
  - sequence: main
    repeat: 4
  - sequence: end
sequences:
  init:
    - activity: PostRequest
      url: /login
      data: {name: $(user.name), password: $(user.password)}
      assert_json: {status: ok}
      store_json: {user_guid: result.user_guid}
  main:
    - activity: GetRequest
      name: index
      url: /
      headers: {X-Guid: $(user_guid), Accept: text/html}
      assert_status: [200, 304]
      assert_match: Index of
    - activity: Sleep
      duration: $(pause)
    - activity: Probe
      path: /echo
      expect: 200
  end:
    - activity: HTTPRequest
      method: OPTIONS
      url: /
thresholds:
  p95: 300ms
  error_rate: 1%
"#;

fn shop_builder() -> ScenarioBuilder {
    ScenarioBuilder::new("shop")
        .base_url("http://127.0.0.1:8082")
        .config("request_timeout", "2s")
        .var("pause", 0.01)
        .sessions(3)
        .user("ann", "secret")
        .sequence("main", |s| {
            s.get("/")
                .name("index")
                .header("X-Guid", "$(user_guid)")
                .header("Accept", "text/html")
                .assert_status([200, 304])
                .assert_match("Index of")
                .activity("Sleep")
                .arg("duration", "$(pause)")
                .activity("Probe")
                .arg("path", "/echo")
                .arg("expect", 200)
        })
        .sequence("init", |s| {
            s.post("/login")
                .arg("data", json!({"name": "$(user.name)", "password": "$(user.password)"}))
                .assert_json("status", "ok")
                .store_json("user_guid", "result.user_guid")
        })
        .sequence("end", |s| s.request("OPTIONS", "/"))
        .run("init")
        .repeat("main", 4)
        .run("end")
        .threshold("p95", "300ms")
        .threshold("error_rate", "1%")
        .plugins(registry())
}

/// The model's debug text without positions (which differ between two documents by construction).
fn without_spans(text: String) -> String {
    let span = regex::Regex::new(r"Span \{[^}]*\}").expect("regex");
    span.replace_all(&text, "Span").into_owned()
}

#[test]
fn a_built_scenario_equals_the_yaml_loaded_one() {
    let from_yaml = load(SAME_AS_BUILDER);
    assert!(!from_yaml.diagnostics.has_errors(), "{}", from_yaml.render(false));
    let a = from_yaml.scenario.expect("valid");
    let b = shop_builder().build().unwrap_or_else(|e| panic!("{}", e.render(false)));
    assert_eq!(a.name, b.name);
    let sequence = |s: &stressor::scenario::Scenario, name: &str| {
        without_spans(format!("{:?}", s.sequence(name).expect("sequence")))
    };
    for name in ["init", "main", "end"] {
        assert_eq!(sequence(&a, name), sequence(&b, name), "sequence {name}");
    }
    let parts = |s: &stressor::scenario::Scenario| {
        without_spans(format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            s.config, s.context, s.sessions, s.items, s.thresholds, s.load
        ))
    };
    assert_eq!(parts(&a), parts(&b));
    // Sequence order differs (the builder added `main` first) but the plan runs the same items.
    let items = |s: &stressor::scenario::Scenario| {
        s.items
            .iter()
            .map(|i| (i.sequence.clone(), i.repeat))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        items(&b),
        [("init".into(), None), ("main".into(), Some(4)), ("end".into(), None)]
    );
}

#[test]
fn builder_mistakes_are_load_errors_with_positions() {
    let err = ScenarioBuilder::new("broken")
        .sequence("main", |s| s.get("/x").arg("timout", "1s").activity("Sleeep"))
        .sessions(0)
        .build()
        .expect_err("invalid");
    let rendered = err.render(false);
    // Positions are in the generated (pretty JSON) document, which the snippets show.
    for want in [
        "<builder broken>:7:14: error: `sessions.count` must be at least 1",
        "<builder broken>:18:16: error: relative URL `/x` but `config.base_url` is not set",
        "<builder broken>:19:9: error: unknown key `timout` in `GetRequest`",
        "did you mean `timeout`?",
        "<builder broken>:22:21: error: unknown activity `Sleeep`",
    ] {
        assert!(rendered.contains(want), "missing {want:?} in:\n{rendered}");
    }
    // Without explicit items every sequence runs once, init first and end last.
    let s = ScenarioBuilder::new("order")
        .base_url("http://127.0.0.1:9")
        .sequence("end", |s| s.get("/"))
        .sequence("b", |s| s.get("/"))
        .sequence("init", |s| s.get("/"))
        .build()
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let order: Vec<&str> = s.items.iter().map(|i| i.sequence.as_str()).collect();
    assert_eq!(order, ["init", "b", "end"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_in_order_with_timings_and_errors() {
    let srv = common::run::server().await;
    let scenario = ScenarioBuilder::new("events")
        .base_url(srv.url())
        .sequence("main", |s| s.get("/status/200").get("/status/500"))
        .repeat("main", 2)
        .build()
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let mut options = RunOptions::default();
    let mut rx = options.subscribe();
    let report = stressor::run(scenario, options).await.expect("run");
    assert_eq!(report.error_count(), 2);
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    let names: Vec<String> = events
        .iter()
        .filter(|e| !matches!(e, RunEvent::Tick { .. }))
        .map(|e| match e {
            RunEvent::RunStarted { scenario, sessions } => format!("run start {scenario} {sessions}"),
            RunEvent::SessionStarted { session_id, user } => format!("session start {session_id} {user}"),
            RunEvent::SequenceStarted { sequence, pass, .. } => format!("sequence start {sequence} {pass}"),
            RunEvent::ActivityStarted { activity, pass, .. } => format!("activity start {activity} {pass}"),
            RunEvent::ActivityFinished { activity, error, .. } => {
                format!("activity end {activity} {:?}", error.as_ref().map(|e| e.class))
            }
            RunEvent::SequenceFinished { sequence, errors, .. } => format!("sequence end {sequence} {errors}"),
            RunEvent::SessionFinished { session_id, errors, .. } => format!("session end {session_id} {errors}"),
            RunEvent::RunFinished { .. } => "run end".into(),
            other => format!("{other:?}"),
        })
        .collect();
    let pass = |n| {
        [
            format!("sequence start main {n}"),
            format!("activity start 0 {n}"),
            "activity end 0 None".into(),
            format!("activity start 1 {n}"),
            "activity end 1 Some(Status)".into(),
            "sequence end main 1".into(),
        ]
    };
    let mut want = vec!["run start events 1".to_string(), "session start t01 anonymous".into()];
    want.extend(pass(1));
    want.extend(pass(2));
    want.extend(["session end t01 2".into(), "run end".into()]);
    assert_eq!(names, want);

    // Timings: each activity's time is within its session's, which is within the run's.
    let run = events.iter().find_map(|e| match e {
        RunEvent::RunFinished { elapsed } => Some(*elapsed),
        _ => None,
    });
    let session = events.iter().find_map(|e| match e {
        RunEvent::SessionFinished { elapsed, .. } => Some(*elapsed),
        _ => None,
    });
    let activities: std::time::Duration = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::ActivityFinished { elapsed, .. } => Some(*elapsed),
            _ => None,
        })
        .sum();
    let (run, session) = (run.expect("run end"), session.expect("session end"));
    assert!(activities > std::time::Duration::ZERO && activities <= session && session <= run);
}
