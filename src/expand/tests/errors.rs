//! Error messages: lookup failures, suggestions and path syntax.

use serde_json::json;

use super::*;

#[test]
fn lookup_errors_name_the_path() {
    run(
        &[
            err(
                "unknown root, near a nested name",
                json!("$(usr.name)"),
                "unknown variable `usr.name` (did you mean `user.name`?)",
            ),
            err(
                "swapped letters in a key",
                json!("$(user.nmae)"),
                "unknown variable `user.nmae`: `user` has no key `nmae` (did you mean `user.name`?)",
            ),
            err(
                "unknown root alone",
                json!("$(usr)"),
                "unknown variable `usr` (did you mean `user`?)",
            ),
            err(
                "typo with more path after a list",
                json!("$(iterms[0].id)"),
                "unknown variable `iterms[0].id` (did you mean `items[0].id`?)",
            ),
            err(
                "several suggestions, closest first",
                json!("$(user_gid)"),
                "unknown variable `user_gid` (did you mean `user_guid`?)",
            ),
            err(
                "nothing close: list available names",
                json!("$(zzzzzz)"),
                "unknown variable `zzzzzz` (available: `n`, `f`, `t`, `no`, `nul` and 14 more)",
            ),
            err(
                "unknown key, nothing close: list the map's keys",
                json!("$(m.zzzz)"),
                "unknown variable `m.zzzz`: `m` has no key `zzzz` (available: `m.a`, `m.b`)",
            ),
            err(
                "index out of range",
                json!("$(items[5])"),
                "index 5 out of range in `items[5]`: `items` has 2 elements",
            ),
            err(
                "dotted index out of range",
                json!("$(items.2.id)"),
                "index 2 out of range in `items.2.id`: `items` has 2 elements",
            ),
            err(
                "index into an empty list",
                json!("$(empty[0])"),
                "index 0 out of range in `empty[0]`: `empty` is empty",
            ),
            err(
                "index on a string",
                json!("$(s[0])"),
                "cannot index `s[0]`: `s` is a string, not a list",
            ),
            err(
                "index on a map",
                json!("$(user[0])"),
                "cannot index `user[0]`: `user` is a map, not a list",
            ),
            err(
                "key on a string",
                json!("$(user.name.first)"),
                "cannot look up key `first` in `user.name.first`: `user.name` is a string, not a map",
            ),
            err(
                "key on a number",
                json!("x $(n.x)"),
                "cannot look up key `x` in `n.x`: `n` is a number, not a map",
            ),
            err(
                "key on null",
                json!("$(nul.x)"),
                "cannot look up key `x` in `nul.x`: `nul` is null, not a map",
            ),
            err(
                "word key on a list",
                json!("$(items.first)"),
                "cannot look up key `first` in `items.first`: `items` is a list, not a map",
            ),
            err(
                "errors inside nested values surface",
                json!({"a": [{"b": "$(nope)"}]}),
                "unknown variable `nope` (available: `n`, `f`, `t`, `no`, `nul` and 14 more)",
            ),
        ],
        &base(),
    );
}

#[test]
fn suggestions() {
    let c = ctx(json!({
        "user": {"name": "u", "password": "p"},
        "user_guid": "g",
        "users": [{"name": "x"}],
        "a": {"b": {"c": {"deep_key": 1}}},
        "odd key": 1,
    }));
    let hint = |path: &str| match lookup(&c, path).unwrap_err() {
        ExpandError::UnknownVariable { hint, .. } | ExpandError::UnknownKey { hint, .. } => hint,
        other => panic!("{path}: unexpected {other}"),
    };
    let mean = |v: &[&str]| Hint::DidYouMean(v.iter().map(|s| (*s).to_owned()).collect());
    let cases: &[Case<&str, Hint>] = &[
        case("missing letter in the root", "usr.name", mean(&["user.name"])),
        case("transposition in the key", "user.nmae", mean(&["user.name"])),
        case(
            "root only: all close roots, closest first",
            "usera",
            mean(&["user", "users"]),
        ),
        case(
            "suffix through a list is kept",
            "userz[0].name",
            mean(&["users[0].name"]),
        ),
        case(
            "key typo below a list index: siblings in that element",
            "users[0].nmae",
            mean(&["users[0].name"]),
        ),
        case(
            "beyond the flatten depth: siblings of the failing map",
            "a.b.c.deep_kee",
            mean(&["a.b.c.deep_key"]),
        ),
        case(
            "names nobody can type are never suggested",
            "odd_key",
            Hint::Available {
                names: vec!["user".into(), "user_guid".into(), "users".into(), "a".into()],
                more: 0,
            },
        ),
    ];
    for Case {
        comment,
        input: path,
        want,
    } in cases
    {
        assert_eq!(&hint(path), want, "case: {comment}");
    }
    let empty = Context::new();
    assert_eq!(
        lookup(&empty, "x").unwrap_err().to_string(),
        "unknown variable `x` (no variables are defined)"
    );
    let c2 = ctx(json!({"m": {}}));
    assert_eq!(
        lookup(&c2, "m.x").unwrap_err().to_string(),
        "unknown variable `m.x`: `m` has no key `x` (the map is empty)"
    );
}

#[test]
fn parse_path_segments_and_errors() {
    use Segment::{Index, Key};
    let k = |s: &str| Key(s.to_owned());
    let cases: &[Case<&str, Result<Vec<Segment>, &str>>] = &[
        case("single name", "user", Ok(vec![k("user")])),
        case("underscore root", "_x9", Ok(vec![k("_x9")])),
        case("dotted", "a.b.c", Ok(vec![k("a"), k("b"), k("c")])),
        case("indexes", "a.b[2][1]", Ok(vec![k("a"), k("b"), Index(2), Index(1)])),
        case(
            "dash and digits after the root",
            "h.X-Token.0",
            Ok(vec![k("h"), k("X-Token"), k("0")]),
        ),
        case(
            "index then key",
            "items[10].id",
            Ok(vec![k("items"), Index(10), k("id")]),
        ),
        case("empty", "", Err("the path is empty")),
        case("double dot", "a..b", Err("empty segment after `.` at offset 1")),
        case("trailing dot", "a.", Err("empty segment after `.` at offset 1")),
        case(
            "bad char after dot",
            "a.$",
            Err("unexpected character `$` after `.` at offset 1"),
        ),
        case(
            "letters in index",
            "a[x]",
            Err("expected a list index (digits) and `]` after `[` at offset 1"),
        ),
        case(
            "empty index",
            "a[]",
            Err("expected a list index (digits) and `]` after `[` at offset 1"),
        ),
        case("unclosed index", "a[", Err("unclosed `[` at offset 1")),
        case("unclosed index with digits", "a[12", Err("unclosed `[` at offset 1")),
        case(
            "index overflow",
            "a[99999999999999999999999]",
            Err("index 99999999999999999999999 is too large"),
        ),
        case(
            "space",
            "a b",
            Err("unexpected character ` ` at offset 1 (expected `.name` or `[N]`)"),
        ),
        case(
            "leading bracket",
            "[0]",
            Err("must start with a letter or `_`, not `[`"),
        ),
        case("non-ascii", "é", Err("must start with a letter or `_`, not `é`")),
    ];
    for Case {
        comment,
        input: path,
        want,
    } in cases
    {
        let got = parse_path(path).map_err(|e| match e {
            ExpandError::InvalidPath { reason, .. } => reason,
            other => panic!("{comment}: unexpected {other}"),
        });
        assert_eq!(got, want.clone().map_err(str::to_owned), "case: {comment}");
    }
}
