use super::*;
use crate::scenario::{ActivityKind, LoadOptions, load_file, load_str};
use serde_json::json;
use std::path::Path;
use std::sync::{Barrier, Mutex};

/// Output captured by a test sink: `(session, text)`.
type Captured = Arc<Mutex<Vec<(String, String)>>>;

fn capturing(limits: ScriptLimits) -> (ScriptEngine, Captured) {
    let out: Captured = Arc::default();
    let sink_out = out.clone();
    let sink: PrintSink = Arc::new(move |session, text| {
        sink_out.lock().unwrap().push((session.to_string(), text.to_string()));
    });
    (ScriptEngine::with_sink(limits, sink), out)
}

fn engine() -> ScriptEngine {
    capturing(ScriptLimits::default()).0
}

fn ctx(value: Value) -> Context {
    match value {
        Value::Object(map) => map.into(),
        other => panic!("not a map: {other}"),
    }
}

const HEAD: &str = "file_version: stressor#0
scenario:
  - sequence: main
sequences:
  main:
    - activity: RunScript
";

/// The first activity of a loaded scenario, which must be a `RunScript`.
fn first_script(loaded: crate::scenario::Loaded) -> (RunScript, SourceMap) {
    let rendered = loaded.render(false);
    let scenario = loaded.scenario.unwrap_or_else(|| panic!("does not load:\n{rendered}"));
    let activity = &scenario.sequence("main").unwrap().activities[0];
    let ActivityKind::Script(script) = &activity.kind else {
        panic!("not a script: {activity:?}");
    };
    ((**script).clone(), loaded.sources)
}

/// Loads `s.yaml` whose only activity is a RunScript with this script as a `script: |` block (its
/// first line is line 8 of the file, indented by 8) and these exports.
fn inline(script: &str, export: &[&str]) -> (RunScript, SourceMap) {
    let mut text = format!("{HEAD}      script: |\n");
    for line in script.lines() {
        text.push_str(&format!("        {line}\n"));
    }
    if !export.is_empty() {
        text.push_str(&format!("      export: [{}]\n", export.join(", ")));
    }
    first_script(load_str(Path::new("s.yaml"), text, &LoadOptions::default()))
}

fn run(script: &str, c: &mut Context) -> Result<ScriptOutput, ScriptError> {
    let (script, sources) = inline(script, &[]);
    engine().run(&script, c, &sources, "t01")
}

fn result_of(script: &str) -> Option<Value> {
    run(script, &mut Context::new()).unwrap().result
}

#[test]
fn result_from_the_variable_result() {
    assert_eq!(
        result_of("let result = #{a: 1, b: [1, \"x\"]};\n42"),
        Some(json!({"a": 1, "b": [1, "x"]}))
    );
    // Assigned in a nested block, defined at top level.
    assert_eq!(result_of("let result;\nif true { result = 7; }\n1"), Some(json!(7)));
}

#[test]
fn result_from_the_last_expression() {
    assert_eq!(result_of("let x = 20;\nx * 2 + 2"), Some(json!(42)));
    assert_eq!(result_of("\"text\""), Some(json!("text")));
    assert_eq!(result_of("1.5"), Some(json!(1.5)));
}

#[test]
fn unit_is_no_result() {
    assert_eq!(result_of("let x = 1;"), None);
    assert_eq!(result_of("print(\"hi\")"), None);
    assert_eq!(result_of("let result = ();\n5"), None);
}

#[test]
fn a_context_result_counts_only_when_changed() {
    let mut c = ctx(json!({"result": 5}));
    assert_eq!(run("1 + 1", &mut c).unwrap().result, Some(json!(2)));
    assert_eq!(run("let y = 1;", &mut c).unwrap().result, None);
    assert_eq!(run("result = 7;", &mut c).unwrap().result, Some(json!(7)));
    assert_eq!(run("result += 1;\n()", &mut c).unwrap().result, Some(json!(6)));
    assert_eq!(c["result"], json!(5), "not exported, not written back");
}

#[test]
fn a_result_that_is_not_json_is_an_error() {
    let err = run("|x| x + 1", &mut Context::new()).unwrap_err();
    assert!(err.message.contains("cannot be converted to JSON"), "{err}");
    let err = run("fn foo() { 1 }\nlet result = Fn(\"foo\");", &mut Context::new()).unwrap_err();
    assert!(
        err.message
            .starts_with("the script's `result` cannot be converted to JSON"),
        "{err}"
    );
}

#[test]
fn exports_round_trip_to_json() {
    let (script, sources) = inline(
        "let n = 42;\nlet f = 1.5;\nlet s = \"text\";\nlet a = [1, \"two\", #{three: 3}];\nlet m = #{name: \"x\", list: [true, ()]};\nlet hidden = 1;",
        &["n", "f", "s", "a", "m"],
    );
    let mut c = ctx(json!({"session_id": "t01"}));
    let out = engine().run(&script, &mut c, &sources, "t01").unwrap();
    assert_eq!(out.exported, ["n", "f", "s", "a", "m"]);
    assert_eq!(out.result, None);
    assert_eq!(
        Value::Object(c.into_vars()),
        json!({
            "session_id": "t01",
            "n": 42,
            "f": 1.5,
            "s": "text",
            "a": [1, "two", {"three": 3}],
            "m": {"list": [true, null], "name": "x"},
        })
    );
}

#[test]
fn exporting_an_undefined_name_is_an_error_and_exports_nothing() {
    let (script, sources) = inline("let a = 1;", &["a", "x"]);
    let mut c = ctx(json!({"k": 1}));
    let err = engine().run(&script, &mut c, &sources, "t01").unwrap_err();
    assert_eq!(err.message, "exported variable `x` is not defined");
    assert_eq!(err.location, None);
    assert_eq!(err.to_string(), "script error: exported variable `x` is not defined");
    assert_eq!(Value::Object(c.into_vars()), json!({"k": 1}), "all exports or none");
}

#[test]
fn exporting_a_function_pointer_is_an_error() {
    let (script, sources) = inline("let f = |x| x;", &["f"]);
    let err = engine().run(&script, &mut Context::new(), &sources, "t01").unwrap_err();
    assert!(
        err.message
            .starts_with("exported variable `f` cannot be converted to JSON"),
        "{err}"
    );
}

#[test]
fn context_variables_are_readable() {
    let mut c = ctx(json!({
        "count": 41,
        "name": "joe",
        "ratio": 0.5,
        "flag": true,
        "nothing": null,
        "items": [1, 2, 3],
        "user": {"name": "anna", "auth": ["anna", "pw"]},
        "user-agent": "skipped",
        "if": "skipped",
        "_": "skipped",
    }));
    assert_eq!(run("count + 1", &mut c).unwrap().result, Some(json!(42)));
    assert_eq!(run("name + \"!\"", &mut c).unwrap().result, Some(json!("joe!")));
    assert_eq!(run("user.name", &mut c).unwrap().result, Some(json!("anna")));
    assert_eq!(run("user.auth[1]", &mut c).unwrap().result, Some(json!("pw")));
    assert_eq!(
        run("[ratio * 2.0, flag, nothing == (), items.len()]", &mut c)
            .unwrap()
            .result,
        Some(json!([1.0, true, true, 3]))
    );
    assert_eq!(
        run("is_def_var(\"user-agent\")", &mut c).unwrap().result,
        Some(json!(false))
    );
}

#[test]
fn context_is_not_modified_without_export() {
    let mut c = ctx(json!({"count": 1, "user": {"name": "anna"}}));
    let before = c.clone();
    run("count = 5;\nuser.name = \"eve\";\nlet other = 3;", &mut c).unwrap();
    assert_eq!(c, before);

    let (script, sources) = inline("count = 5;\nuser.name = \"eve\";", &["count", "user"]);
    let out = engine().run(&script, &mut c, &sources, "t01").unwrap();
    assert_eq!(out.exported, ["count", "user"]);
    assert_eq!(
        Value::Object(c.into_vars()),
        json!({"count": 5, "user": {"name": "eve"}})
    );
}

#[test]
fn exporting_an_unchanged_context_variable_keeps_it() {
    let (script, sources) = inline("let x = 1;", &["count"]);
    let mut c = ctx(json!({"count": 3}));
    engine().run(&script, &mut c, &sources, "t01").unwrap();
    assert_eq!(c["count"], json!(3));
}

#[test]
fn runtime_error_in_an_inline_block_points_at_the_scenario_line() {
    // Line 8 of s.yaml is the script's first line; `nope` is at script column 9, file column 17.
    let err = run("let a = 1;\nlet b = nope + 1;", &mut Context::new()).unwrap_err();
    assert_eq!(err.message, "Variable not found: nope");
    assert_eq!(err.location.as_deref(), Some("s.yaml:9:17"));
    assert_eq!((err.line, err.column), (Some(9), Some(17)));
    assert_eq!(err.to_string(), "script error at s.yaml:9:17: Variable not found: nope");
    let span = err.span.unwrap();
    assert_eq!((span.line, span.col), (9, 17));
}

#[test]
fn runtime_error_in_a_one_line_script() {
    let text = format!("{HEAD}      script: 1 + nope\n");
    let (script, sources) = first_script(load_str(Path::new("s.yaml"), text, &LoadOptions::default()));
    let err = engine().run(&script, &mut Context::new(), &sources, "t01").unwrap_err();
    // `      script: 1 + nope`: `nope` is at column 19.
    assert_eq!(err.location.as_deref(), Some("s.yaml:7:19"), "{err}");
}

#[test]
fn runtime_error_in_a_rhai_file_points_at_that_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.rhai"), "let a = 1;\nlet b = a + nope;\n").unwrap();
    for how in ["path: x.rhai", "script: $load(x.rhai)"] {
        let yaml = dir.path().join("s.yaml");
        std::fs::write(&yaml, format!("{HEAD}      {how}\n")).unwrap();
        let (script, sources) = first_script(load_file(&yaml, &LoadOptions::default()));
        let err = engine().run(&script, &mut Context::new(), &sources, "t01").unwrap_err();
        let location = err.location.clone().unwrap();
        assert!(location.ends_with("x.rhai:2:13"), "{how}: {err}");
        assert_eq!((err.line, err.column), (Some(2), Some(13)), "{how}");
    }
}

#[test]
fn a_rhai_file_starting_with_a_quote_has_no_indent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.rhai"), "\"start\";\nnope\n").unwrap();
    let yaml = dir.path().join("s.yaml");
    std::fs::write(&yaml, format!("{HEAD}      script: $load(x.rhai)\n")).unwrap();
    let (script, sources) = first_script(load_file(&yaml, &LoadOptions::default()));
    let err = engine().run(&script, &mut Context::new(), &sources, "t01").unwrap_err();
    assert_eq!((err.line, err.column), (Some(2), Some(1)), "{err}");
}

#[test]
fn error_inside_a_script_function_points_into_it() {
    let err = run("fn helper(x) {\n    x + nope\n}\nhelper(1)", &mut Context::new()).unwrap_err();
    assert_eq!(err.message, "Variable not found: nope, in function `helper`");
    // `    x + nope` is script line 2, column 9: file line 9, column 8 + 9.
    assert_eq!(err.location.as_deref(), Some("s.yaml:9:17"), "{err}");
}

#[test]
fn throw_message() {
    let err = run("let a = 1;\nthrow \"boom\";", &mut Context::new()).unwrap_err();
    assert_eq!(err.message, "Runtime error: boom");
    assert_eq!(err.line, Some(9));
}

#[test]
fn an_endless_loop_hits_the_operation_limit() {
    let limits = ScriptLimits {
        max_operations: 10_000,
        ..ScriptLimits::default()
    };
    let (engine, _) = capturing(limits);
    for body in ["loop { }", "let i = 0;\nwhile true { i += 1; }"] {
        let (script, sources) = inline(body, &[]);
        let err = engine.run(&script, &mut Context::new(), &sources, "t01").unwrap_err();
        assert!(err.message.contains("operation limit (10000)"), "{err}");
        assert!(err.location.is_some(), "{err}");
    }
}

#[test]
fn a_growing_string_hits_the_size_limit() {
    let limits = ScriptLimits {
        max_string_size: 1000,
        ..ScriptLimits::default()
    };
    let (engine, _) = capturing(limits);
    let (script, sources) = inline("let s = \"x\";\nloop { s += s; }", &[]);
    let err = engine.run(&script, &mut Context::new(), &sources, "t01").unwrap_err();
    assert!(err.message.starts_with("Length of string too large"), "{err}");
    assert!(err.message.contains("strings 1000 bytes"), "{err}");
}

#[test]
fn a_growing_array_hits_the_size_limit() {
    let limits = ScriptLimits {
        max_array_size: 100,
        ..ScriptLimits::default()
    };
    let (engine, _) = capturing(limits);
    let (script, sources) = inline("let a = [];\nloop { a.push(1); }", &[]);
    let err = engine.run(&script, &mut Context::new(), &sources, "t01").unwrap_err();
    assert!(err.message.contains("too large"), "{err}");
}

#[test]
fn deep_recursion_is_a_stack_overflow_error() {
    let err = run("fn f(n) { f(n + 1) }\nf(0)", &mut Context::new()).unwrap_err();
    assert!(err.message.starts_with("Stack overflow"), "{err}");
}

#[test]
fn eval_and_import_are_rejected_at_load_time() {
    for (script, col) in [("let x = eval(\"1\");", 17), ("import \"secrets\" as s;", 9)] {
        let text = format!("{HEAD}      script: |\n        {script}\n");
        let loaded = load_str(Path::new("s.yaml"), text, &LoadOptions::default());
        assert!(loaded.scenario.is_none(), "{script}");
        let d = &loaded.diagnostics.iter().next().unwrap();
        assert_eq!((d.span.unwrap().line, d.span.unwrap().col), (8, col), "{script}");
        assert!(d.message.starts_with("RunScript does not compile"), "{}", d.message);
        assert!(d.help.as_deref().unwrap_or("").contains("sandboxed"), "{script}: {d:?}");
    }
}

#[test]
fn print_and_debug_are_labelled_and_redacted() {
    let (engine, out) = capturing(ScriptLimits::default());
    let (script, sources) = inline(
        "print(\"hello\");\ndebug(\"dbg\");\nprint(`a\nb`);\nprint(user.password);",
        &[],
    );
    let mut c = ctx(json!({"user": {"name": "joe", "password": "hunter2"}}));
    engine.run(&script, &mut c, &sources, "t07").unwrap();
    let got = out.lock().unwrap().clone();
    let expect: Vec<(String, String)> = [("t07", "hello"), ("t07", "\"dbg\""), ("t07", "a\nb"), ("t07", "***")]
        .iter()
        .map(|(s, t)| (s.to_string(), t.to_string()))
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn secrets_are_replaced_in_error_messages() {
    let mut c = ctx(json!({"user": {"name": "joe", "password": "hunter2"}}));
    let err = run("throw \"bad password \" + user.password;", &mut c).unwrap_err();
    assert_eq!(err.message, "Runtime error: bad password ***");
}

#[test]
fn concurrent_prints_are_labelled_per_session() {
    let (engine, out) = capturing(ScriptLimits::default());
    let (script, sources) = inline("for i in 0..200 {\n    print(session_id + \" \" + i);\n}", &[]);
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        for session in ["t01", "t02"] {
            let (engine, script, sources, barrier) = (&engine, &script, &sources, &barrier);
            s.spawn(move || {
                let mut c = ctx(json!({"session_id": session}));
                barrier.wait();
                engine.run(script, &mut c, sources, session).unwrap();
            });
        }
    });
    let got = out.lock().unwrap();
    assert_eq!(got.len(), 400);
    for (session, text) in got.iter() {
        assert!(text.starts_with(&format!("{session} ")), "[{session}] {text}");
    }
    for session in ["t01", "t02"] {
        assert_eq!(got.iter().filter(|(s, _)| s == session).count(), 200);
    }
}

#[test]
fn the_label_is_restored_after_a_run() {
    let (engine, _) = capturing(ScriptLimits::default());
    let (script, sources) = inline("print(1)", &[]);
    engine.run(&script, &mut Context::new(), &sources, "t01").unwrap();
    assert!(CURRENT.with(|c| c.borrow().is_none()));
}

#[test]
fn script_variables() {
    for ok in ["a", "user", "session_id", "_x", "x1", "last_result"] {
        assert!(is_script_variable(ok), "{ok}");
    }
    for bad in [
        "",
        "_",
        "1a",
        "user-agent",
        "a.b",
        "if",
        "let",
        "fn",
        "this",
        "print",
        "é",
    ] {
        assert!(!is_script_variable(bad), "{bad}");
    }
}

#[test]
fn output_lines_are_labelled() {
    assert_eq!(labelled("t01", "one\ntwo"), "[t01] one\n[t01] two\n");
    assert_eq!(labelled("t02", ""), "[t02] \n");
}

#[test]
fn import_finds_no_module_even_in_a_script_compiled_elsewhere() {
    let ast = rhai::Engine::new_raw().compile("import \"x\" as y;\n1").unwrap();
    let script = RunScript {
        source: String::new(),
        path: None,
        ast: Arc::new(ast),
        export: Vec::new(),
        origin: Default::default(),
    };
    let err = engine()
        .run(&script, &mut Context::new(), &SourceMap::default(), "t01")
        .unwrap_err();
    assert_eq!(
        err.message,
        "`import` is not available: RunScript scripts are sandboxed"
    );
}

#[test]
fn test_data_functions_are_there_and_seeded() {
    let id = result_of("uuid()").unwrap();
    let id = id.as_str().unwrap();
    assert_eq!((id.len(), &id[14..15]), (36, "4"), "{id}");
    assert_ne!(result_of("uuid()"), result_of("uuid()"));
    let draws =
        "[random_int(1, 1000000), random_float(0.0, 1.0), random_string(8), random_pick([\"a\", \"b\", \"c\"])]";
    let (script, sources) = inline(draws, &[]);
    let values = |seed: u64| {
        let engine = engine().seeded(seed);
        (0..3)
            .map(|_| {
                engine
                    .run(&script, &mut Context::new(), &sources, "t01")
                    .unwrap()
                    .result
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };
    let (a, b, c) = (values(5), values(5), values(6));
    assert_eq!(a, b, "the same seed draws the same values");
    assert_ne!(a, c);
    let first = a[0].as_array().unwrap();
    assert!((1..=1_000_000).contains(&first[0].as_i64().unwrap()));
    assert_eq!(first[2].as_str().unwrap().len(), 8);
    assert!(["a", "b", "c"].contains(&first[3].as_str().unwrap()));
    assert!(result_of("now_ms()").unwrap().as_i64().unwrap() > 1_700_000_000_000);
    assert!(result_of("now()").unwrap().as_str().unwrap().ends_with('Z'));
    let err = run("random_int(5, 1)", &mut Context::new()).unwrap_err();
    assert!(
        err.message
            .contains("random_int(5, 1): the first bound must not be above the second"),
        "{}",
        err.message
    );
}
