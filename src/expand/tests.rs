//! Table-driven tests for the expansion engine. Error cases compare the full message, which is
//! what users see.

use serde_json::{Value, json};

use super::*;

mod api;
mod errors;

fn ctx(v: Value) -> Context {
    match v {
        Value::Object(m) => m.into(),
        other => panic!("context must be a map, got {other}"),
    }
}

/// The shared context for most tables.
fn base() -> Context {
    ctx(json!({
        "n": 42, "f": 1.5, "t": true, "no": false, "nul": null, "s": "hello",
        "user": {"name": "ada", "password": "secret", "headers": {"X-Token": "tok"}},
        "user_guid": "g-1",
        "items": [{"id": 1}, {"id": 2}],
        "grid": [[1, 2], [3, 4, 5]],
        "m": {"a": 1, "b": "x"},
        "l": [1, "two"],
        "empty": [],
        "zero_key": {"0": "zero"},
        "mountpoint": "api",
        "root_url": "http://x/$(mountpoint)",
        "endpoint": "$(root_url)/v1",
        "alias": "$(n)",
        "cfg": {"url": "$(root_url)", "list": ["$(n)", "$(mountpoint)!"]},
    }))
}

/// One table row. Every table uses it, so every case carries a `comment` saying what it checks.
struct Case<I = Value, W = Result<Value, &'static str>> {
    comment: &'static str,
    input: I,
    /// For expansion tables: `Ok(expanded)` or `Err(full error message)`.
    want: W,
}

fn case<I, W>(comment: &'static str, input: I, want: W) -> Case<I, W> {
    Case { comment, input, want }
}

fn run(cases: &[Case], ctx: &Context) {
    for c in cases {
        let got = expand_value(&c.input, ctx).map_err(|e| e.to_string());
        let want = c.want.clone().map_err(str::to_owned);
        assert_eq!(got, want, "case: {} (input {})", c.comment, c.input);
    }
}

fn ok(comment: &'static str, input: Value, want: Value) -> Case {
    case(comment, input, Ok(want))
}

fn err(comment: &'static str, input: Value, msg: &'static str) -> Case {
    case(comment, input, Err(msg))
}

#[test]
fn whole_value_macros_keep_their_type() {
    run(
        &[
            ok("int", json!("$(n)"), json!(42)),
            ok("float", json!("$(f)"), json!(1.5)),
            ok("bool", json!("$(t)"), json!(true)),
            ok("null", json!("$(nul)"), json!(null)),
            ok("string", json!("$(s)"), json!("hello")),
            ok("map", json!("$(m)"), json!({"a": 1, "b": "x"})),
            ok("list", json!("$(l)"), json!([1, "two"])),
            ok("whitespace inside the parens", json!("$( n )"), json!(42)),
            ok("tabs and newlines inside the parens", json!("$(\tn\n)"), json!(42)),
            ok(
                "surrounding whitespace is trimmed for whole values",
                json!("  $(n) "),
                json!(42),
            ),
            ok("dotted path", json!("$(user.name)"), json!("ada")),
            ok(
                "dash in a later segment",
                json!("$(user.headers.X-Token)"),
                json!("tok"),
            ),
            ok("index then key", json!("$(items[1].id)"), json!(2)),
            ok("nested indexes", json!("$(grid[1][2])"), json!(5)),
            ok("dotted digits index a list", json!("$(items.0.id)"), json!(1)),
            ok(
                "dotted digits on a map are a key",
                json!("$(zero_key.0)"),
                json!("zero"),
            ),
            ok(
                "whole sub-map via path",
                json!("$(user.headers)"),
                json!({"X-Token": "tok"}),
            ),
        ],
        &base(),
    );
}

#[test]
fn embedded_macros_render_as_text() {
    run(
        &[
            ok("int", json!("n=$(n)"), json!("n=42")),
            ok("float", json!("f=$(f)"), json!("f=1.5")),
            ok("bools", json!("$(t)/$(no)"), json!("true/false")),
            ok("null", json!("x=$(nul)"), json!("x=null")),
            ok("string without quotes", json!("hi $(s)!"), json!("hi hello!")),
            ok("map as compact json", json!("m=$(m)"), json!(r#"m={"a":1,"b":"x"}"#)),
            ok("list as compact json", json!("l=$(l)"), json!(r#"l=[1,"two"]"#)),
            ok("empty list", json!("e=$(empty)"), json!("e=[]")),
            ok(
                "multiple macros",
                json!("$(user.name):$(user.password)@$(s)"),
                json!("ada:secret@hello"),
            ),
            ok("adjacent macros", json!("$(n)$(n)"), json!("4242")),
            ok("whitespace inside parens", json!("<$( s )>"), json!("<hello>")),
            ok(
                "non-ascii text around macros",
                json!("ünï $(s) ✓"),
                json!("ünï hello ✓"),
            ),
            ok(
                "indexes embedded",
                json!("id=$(items[0].id),$(grid.1.0)"),
                json!("id=1,3"),
            ),
        ],
        &base(),
    );
}

#[test]
fn escapes_and_malformed_text() {
    run(
        &[
            ok("escape gives a literal $(", json!("$$(n)"), json!("$(n)")),
            ok("escape next to a macro", json!("$$(n)=$(n)"), json!("$(n)=42")),
            ok(
                "escape alone is not a whole-value macro",
                json!(" $$(n) "),
                json!(" $(n) "),
            ),
            ok("triple dollar: `$` then the escape", json!("$$$(n)"), json!("$$(n)")),
            ok(
                "lone dollars are text",
                json!("$5 and $ and $$"),
                json!("$5 and $ and $$"),
            ),
            ok("unclosed $( is text", json!("cost $(n"), json!("cost $(n")),
            ok("empty $() is text", json!("a$()b"), json!("a$()b")),
            ok("blank $( ) is text", json!("$( )"), json!("$( )")),
            ok("shell-like command is text", json!("$(date +%s)"), json!("$(date +%s)")),
            ok("inner space is text", json!("$(a b)"), json!("$(a b)")),
            ok(
                "macro inside a non-macro still expands",
                json!("$( $(n) )"),
                json!("$( 42 )"),
            ),
            err(
                "path characters but invalid: error",
                json!("$(a..b)"),
                "invalid variable path `a..b`: empty segment after `.` at offset 1",
            ),
            err(
                "non-numeric index",
                json!("x$(a[x])"),
                "invalid variable path `a[x]`: expected a list index (digits) and `]` after `[` at offset 1",
            ),
            err(
                "unclosed bracket",
                json!("$(a[)"),
                "invalid variable path `a[`: unclosed `[` at offset 1",
            ),
            err(
                "leading digit",
                json!("$(1st)"),
                "invalid variable path `1st`: must start with a letter or `_`, not `1`",
            ),
            err(
                "dash in the root name",
                json!("$(user-agent)"),
                "invalid variable path `user-agent`: unexpected character `-` at offset 4 (top-level names may only contain letters, digits and `_`)",
            ),
        ],
        &base(),
    );
}

#[test]
fn deep_and_recursive_expansion() {
    run(
        &[
            ok(
                "maps and lists are walked, keys are not expanded",
                json!({"$(s)": ["$(n)", {"k": "$(user.name)"}, 3, null], "plain": "x"}),
                json!({"$(s)": [42, {"k": "ada"}, 3, null], "plain": "x"}),
            ),
            ok(
                "substituted string is expanded again",
                json!("$(root_url)"),
                json!("http://x/api"),
            ),
            ok(
                "two levels of recursion, embedded",
                json!("GET $(endpoint)"),
                json!("GET http://x/api/v1"),
            ),
            ok("whole-value chain keeps the type", json!("$(alias)"), json!(42)),
            ok(
                "strings inside a substituted map are expanded",
                json!("$(cfg)"),
                json!({"url": "http://x/api", "list": [42, "api!"]}),
            ),
            ok(
                "embedded map is expanded before rendering",
                json!("cfg=$(cfg.list)"),
                json!(r#"cfg=[42,"api!"]"#),
            ),
            ok(
                "same variable twice is not a cycle",
                json!(["$(root_url)", "$(root_url)$(root_url)"]),
                json!(["http://x/api", "http://x/apihttp://x/api"]),
            ),
            ok(
                "scalars pass through",
                json!([1, 2.5, true, null]),
                json!([1, 2.5, true, null]),
            ),
        ],
        &base(),
    );
}

#[test]
fn cycles_are_errors_naming_the_chain() {
    let c = ctx(json!({
        "me": "$(me)",
        "a": "$(b)", "b": "$(a)",
        "emb": "x$(emb)",
        "p": "1$(q)", "q": "2$(r)", "r": "3$(p)",
        "loop_map": {"inner": ["$(loop_map)"]},
        "via_path": {"x": "$(via_path.x)"},
        "ok": "fine",
    }));
    run(
        &[
            err("direct self-reference", json!("$(me)"), "reference cycle `me -> me`"),
            err("two-cycle", json!("$(a)"), "reference cycle `a -> b -> a`"),
            err(
                "two-cycle entered in the middle",
                json!("pre $(b)"),
                "reference cycle `b -> a -> b`",
            ),
            err(
                "embedded self-reference",
                json!("$(emb)"),
                "reference cycle `emb -> emb`",
            ),
            err(
                "three-cycle through text",
                json!({"deep": ["$(p)"]}),
                "reference cycle `p -> q -> r -> p`",
            ),
            err(
                "map containing itself",
                json!("$(loop_map)"),
                "reference cycle `loop_map -> loop_map`",
            ),
            err(
                "path to a value referring to itself",
                json!("$(via_path)"),
                "reference cycle `via_path.x -> via_path.x`",
            ),
            ok("unrelated variables still work", json!("$(ok)"), json!("fine")),
        ],
        &c,
    );
}

#[test]
fn depth_limit_stops_long_chains() {
    let mut vars = VarMap::new();
    for i in 0..40 {
        vars.insert(format!("v{i}"), json!(format!("$(v{})", i + 1)));
    }
    vars.insert("v40".into(), json!("end"));
    let c = Context::from(vars);
    let e = expand_str("$(v0)", &c).unwrap_err();
    let ExpandError::TooDeep { chain, limit } = &e else {
        panic!("want TooDeep, got {e}")
    };
    assert_eq!((*limit, chain.len()), (MAX_DEPTH, MAX_DEPTH + 1));
    assert_eq!(
        e.to_string(),
        "variable references nested deeper than 32 levels: `v0 -> v1 -> v2 -> ... -> v31 -> v32`"
    );
    // A chain under the limit is fine.
    assert_eq!(expand_str("$(v20)", &c).unwrap(), json!("end"));
}

/// The author's templates expand again; what a session got while it ran (here inserted after the
/// context was made, as a store, a feed or an export does) is data, inserted verbatim.
#[test]
fn values_from_outside_are_data() {
    let mut c = base();
    c.insert("token".into(), json!("$(user.password)"));
    c.insert("row".into(), json!({"id": "$(user.password)", "n": 1}));
    run(
        &[
            ok(
                "stored text is not a template",
                json!("Bearer $(token)"),
                json!("Bearer $(user.password)"),
            ),
            ok(
                "whole value: verbatim too",
                json!("$(token)"),
                json!("$(user.password)"),
            ),
            ok(
                "a feeder row's field",
                json!("id=$(row.id)"),
                json!("id=$(user.password)"),
            ),
            ok(
                "a whole row, typed, verbatim",
                json!("$(row)"),
                json!({"id": "$(user.password)", "n": 1}),
            ),
            ok(
                "the author's templates still expand",
                json!("$(endpoint)"),
                json!("http://x/api/v1"),
            ),
        ],
        &c,
    );
    // A template the session replaced is data from then on, even with the same name.
    c.insert("root_url".into(), json!("$(user.password)"));
    run(
        &[
            ok(
                "replaced template is data",
                json!("$(root_url)"),
                json!("$(user.password)"),
            ),
            ok(
                "a template using it gets it verbatim",
                json!("$(endpoint)"),
                json!("$(user.password)/v1"),
            ),
        ],
        &c,
    );
    // Given the very value the author wrote, it is the template again (harmless: the author's text).
    c.insert("root_url".into(), json!("http://x/$(mountpoint)"));
    assert_eq!(expand_str("$(root_url)", &c).unwrap(), json!("http://x/api"));
}

/// ~1 KB of nested references in data costs ~1 KB; in the author's templates, the size bound stops it.
#[test]
fn nested_references_cannot_blow_up() {
    let ten = |next: usize| format!("$(v{next})").repeat(10);
    let mut vars = VarMap::new();
    for i in 0..9 {
        vars.insert(format!("v{i}"), json!(ten(i + 1)));
    }
    vars.insert("v9".into(), json!("x".repeat(64)));
    // Stored by a session: each is inserted as it is.
    let mut data = Context::new();
    data.extend(vars.clone());
    assert_eq!(expand_text("$(v0)", &data).unwrap(), ten(1));
    // Written by the author: 10^9 × 64 bytes, stopped at the limit with a `variable` error.
    let templates = Templates::of(&vars, 1 << 20);
    let authored = Context::with_templates(vars, std::sync::Arc::new(templates));
    let err = expand_text("$(v0)", &authored).unwrap_err();
    assert!(matches!(err, ExpandError::TooLarge { limit: 1_048_576, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "inserting `$(v9)` (64 B) would make one expansion larger than 1 MiB, its limit (`config.max_body_size`)"
    );
    // A large value inserted too often is stopped the same way, with its size.
    let mut big = Context::with_templates(VarMap::new(), std::sync::Arc::new(Templates::new(1 << 20)));
    big.insert("big".into(), json!("y".repeat(400_000)));
    assert!(expand_text("$(big)$(big)", &big).is_ok());
    assert_eq!(
        expand_value(&json!(["$(big)", "$(big)", "$(big)"]), &big)
            .unwrap_err()
            .to_string(),
        "inserting `$(big)` (390.62 KiB) would make one expansion larger than 1 MiB, its limit (`config.max_body_size`)"
    );
}
