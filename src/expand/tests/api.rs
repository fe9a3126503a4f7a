//! The smaller entry points: `references`, the fast path, `expand_text`/`expand_str`,
//! `render_text` and the scanner.

use std::borrow::Cow;

use serde_json::json;

use super::super::scan::{Piece, Scanner};
use super::*;

#[test]
fn references_report_ranges_paths_and_roots() {
    let text = "GET $(base)/u/$( user.id )?x=$$(no)&y=$(items[0].name)$(a..b)$(";
    let refs = references(text);
    let got: Vec<(&str, &str, &str)> = refs
        .iter()
        .map(|r| (&text[r.range.clone()], r.path.as_str(), r.root.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("$(base)", "base", "base"),
            ("$( user.id )", "user.id", "user"),
            ("$(items[0].name)", "items[0].name", "items"),
        ],
        "escape, malformed path and unclosed $( are not references"
    );
    assert_eq!(refs[0].range, 4..11);
    assert!(references("no macros here").is_empty());
    assert!(references("").is_empty());
}

#[test]
fn fast_path_for_macro_free_input() {
    let c = base();
    // Static arguments come back borrowed: no clone, no allocation.
    let args = json!({"url": "http://x/$5", "n": [1, 2, {"k": "plain $ text"}]});
    assert!(matches!(expand_value_cow(&args, &c).unwrap(), Cow::Borrowed(v) if std::ptr::eq(v, &args)));
    assert_eq!(
        expand_value(&args, &c).unwrap(),
        args,
        "expand_value returns an identical copy"
    );
    // Escapes must be rewritten, so they are not on the fast path.
    assert!(matches!(expand_value_cow(&json!("$$(x)"), &c).unwrap(), Cow::Owned(v) if v == json!("$(x)")));
    // Unknown variables cannot fail macro-free input: nothing is looked up.
    assert_eq!(expand_str("plain", &Context::new()).unwrap(), json!("plain"));
    for Case {
        comment,
        input: text,
        want,
    } in [
        case("no dollar", "hello", false),
        case("dollar without paren", "$5 $x $", false),
        case("macro", "a$(b)", true),
        case("escape counts: it changes the text", "$$(b)", true),
        case("stray $( counts: cheap check, may stay text", "$(", true),
        case("late match after many dollars", "$$$$$ $$ $(", true),
    ] {
        assert_eq!(has_macros(text), want, "case: {comment}");
    }
}

#[test]
fn expand_text_and_expand_str() {
    let c = base();
    for Case {
        comment,
        input: text,
        want: (want_str, want_text),
    } in [
        case("whole int", "$(n)", (json!(42), "42")),
        case("whole map", "$(m)", (json!({"a": 1, "b": "x"}), r#"{"a":1,"b":"x"}"#)),
        case("whole string", "$(s)", (json!("hello"), "hello")),
        case("text mode keeps surrounding whitespace", " $(n) ", (json!(42), " 42 ")),
        case("embedded", "n=$(n)", (json!("n=42"), "n=42")),
        case("no macros", "plain", (json!("plain"), "plain")),
        case(
            "recursive",
            "$(endpoint)",
            (json!("http://x/api/v1"), "http://x/api/v1"),
        ),
    ] {
        assert_eq!(expand_str(text, &c).unwrap(), want_str, "expand_str case: {comment}");
        assert_eq!(expand_text(text, &c).unwrap(), want_text, "expand_text case: {comment}");
    }
    assert_eq!(
        expand_text("$(a)", &ctx(json!({"a": "$(a)"}))).unwrap_err().to_string(),
        "reference cycle `a -> a`"
    );
}

#[test]
fn render_text_of_every_type() {
    for Case {
        comment,
        input: value,
        want,
    } in [
        case("string has no quotes", json!("a \"q\""), "a \"q\""),
        case("int", json!(-7), "-7"),
        case("float", json!(0.25), "0.25"),
        case("true", json!(true), "true"),
        case("false", json!(false), "false"),
        case("null", json!(null), "null"),
        case(
            "map keeps order, compact",
            json!({"z": 1, "a": [true]}),
            r#"{"z":1,"a":[true]}"#,
        ),
        case("list with a quoted string", json!(["x", 1]), r#"["x",1]"#),
    ] {
        assert_eq!(render_text(&value), want, "case: {comment}");
    }
}

#[test]
fn scanner_pieces_round_trip() {
    for text in [
        "",
        "plain",
        "$(a)",
        "x$(a)y$$(b)$(c",
        "$$$(a)",
        "$( $(a) )",
        "é$(a)ü",
        "$",
        "$$",
        "$(a b)$(ok)",
    ] {
        let rebuilt: String = Scanner::new(text)
            .map(|p| match p {
                Piece::Text(t) => t.to_owned(),
                Piece::Escape => "$$(".to_owned(),
                Piece::Macro { range, .. } => text[range].to_owned(),
            })
            .collect();
        assert_eq!(rebuilt, text, "pieces must cover the input exactly");
    }
}
