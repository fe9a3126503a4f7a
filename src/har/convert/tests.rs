use super::*;
use crate::har::render_sequence;

/// A HAR file with the given entries (JSON objects without the boilerplate).
fn har(entries: &[String]) -> String {
    format!(
        r#"{{"log": {{"version": "1.2", "creator": {{"name": "test", "version": "1"}}, "entries": [{}]}}}}"#,
        entries.join(",")
    )
}

fn entry(method: &str, url: &str, start: &str, mime: &str, extra_request: &str) -> String {
    format!(
        r#"{{"startedDateTime": "2020-02-23T19:15:{start}Z", "time": 12.5,
            "request": {{"method": "{method}", "url": "{url}", "httpVersion": "HTTP/2"{extra_request}}},
            "response": {{"status": 200, "content": {{"size": 1234, "mimeType": "{mime}", "text": "AAEC", "encoding": "base64"}}}}}}"#
    )
}

fn run(text: impl AsRef<[u8]>, opts: &HarOptions) -> Result<Conversion, HarError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.har");
    std::fs::write(&path, text.as_ref()).expect("write");
    convert(&path, opts)
}

fn requests(conv: &Conversion) -> Vec<&RequestActivity> {
    conv.activities
        .iter()
        .filter_map(|a| match a {
            Activity::Request(r) => Some(r),
            Activity::Static(_) => None,
        })
        .collect()
}

#[test]
fn collates_a_burst_of_statics_and_splits_on_pauses_and_other_requests() {
    let text = har(&[
        entry("GET", "http://h:1/", "00.000", "text/html", ""),
        entry("GET", "http://h:1/a.css", "00.100", "text/css", ""),
        entry(
            "GET",
            "http://h:1/b.js",
            "00.200",
            "application/javascript; charset=utf-8",
            "",
        ),
        entry("GET", "http://h:1/c.png", "00.300", "image/png", ""),
        // 0.5 s pause: a new burst, which has one URL and so stays a plain GET.
        entry("GET", "http://h:1/d.png", "00.800", "IMAGE/PNG", ""),
        entry("GET", "https://cdn.example/x.js", "00.850", "text/javascript", ""),
        entry("GET", "http://h:1/api?q=1&r=a%20b", "00.900", "application/json", ""),
    ]);
    let conv = run(&text, &HarOptions::default()).expect("converts");
    assert_eq!(conv.base_url, "http://h:1");
    assert_eq!(
        conv.stats,
        ConversionStats {
            entries_total: 7,
            activities: 4,
            external_skipped: 1,
            unusable: 0,
            collated_urls: 3,
            collated_activities: 1,
        }
    );
    assert_eq!(conv.skipped_urls, ["https://cdn.example/x.js"]);
    let Activity::Static(s) = &conv.activities[1] else {
        panic!("expected StaticRequests: {:?}", conv.activities[1]);
    };
    assert_eq!(s.url_list, ["/a.css", "/b.js", "/c.png"]);
    assert_eq!(s.thread_count, 5);
    let reqs = requests(&conv);
    assert_eq!(reqs[1].url, "/d.png");
    assert_eq!(reqs[2].url, "/api");
    assert_eq!(reqs[2].params, [("q".into(), "1".into()), ("r".into(), "a b".into())]);
    assert_eq!(
        reqs[0].comments,
        ["Response: status 200, type 'text/html', size 1,234 bytes, time 0.013 s"]
    );
}

#[test]
fn options_tune_collation_and_base_url() {
    let text = har(&[
        entry("GET", "http://h:1/a.css", "00.000", "text/css", ""),
        entry("GET", "http://h:1/b.css", "00.100", "text/css", ""),
        entry("GET", "http://h:1/c.css", "00.200", "text/css", ""),
        entry("GET", "https://cdn.example/x.js", "00.250", "text/javascript", ""),
    ]);
    let opts = HarOptions::from_yaml("collate_max_len: 2\ncollate_thread_count: 9\nskip_externals: false\n").unwrap();
    let conv = run(&text, &opts).expect("converts");
    assert_eq!(conv.stats.collated_activities, 2);
    let Activity::Static(s) = &conv.activities[0] else {
        panic!()
    };
    assert_eq!((s.url_list.len(), s.thread_count), (2, 9));
    // c.css starts a new burst and the kept external joins it with its absolute URL.
    let Activity::Static(s) = &conv.activities[1] else {
        panic!()
    };
    assert_eq!(s.url_list, ["/c.css", "https://cdn.example/x.js"]);

    let opts = HarOptions::from_yaml("collate_max_len: 0\nbase_url: https://cdn.example\n").unwrap();
    let conv = run(&text, &opts).expect("converts");
    assert_eq!((conv.stats.activities, conv.stats.external_skipped), (1, 3));
    assert_eq!(conv.base_url, "https://cdn.example");
}

#[test]
fn bodies_become_data_or_json() {
    let form = r#", "postData": {"mimeType": "application/x-www-form-urlencoded", "params": [{"name": "user", "value": "$(x)"}], "text": "user=%24%28x%29"}"#;
    let json = r#", "postData": {"mimeType": "application/json;charset=UTF-8", "text": "{\"a\": [1, \"b\"]}"}"#;
    let text = r#", "postData": {"mimeType": "text/plain", "text": "hello"}"#;
    let raw_form = r#", "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "a=1&b=2"}"#;
    let conv = run(
        har(&[
            entry("POST", "http://h/login", "00.0", "text/html", form),
            entry("PUT", "http://h/j", "01.0", "", json),
            entry("PATCH", "http://h/t", "02.0", "", text),
            entry("POST", "http://h/f", "03.0", "", raw_form),
            entry("GET", "http://h/dup?id=1&id=2", "04.0", "", ""),
        ]),
        &HarOptions::default(),
    )
    .expect("converts");
    let reqs = requests(&conv);
    assert_eq!(reqs[0].body, Body::Form(vec![("user".into(), "$(x)".into())]));
    assert_eq!(reqs[1].body, Body::Json(serde_json::json!({"a": [1, "b"]})));
    assert_eq!(reqs[2].body, Body::Text("hello".into()));
    assert_eq!(reqs[2].headers, [("Content-Type".into(), "text/plain".into())]);
    assert_eq!(
        reqs[3].body,
        Body::Form(vec![("a".into(), "1".into()), ("b".into(), "2".into())])
    );
    assert_eq!((reqs[4].url.as_str(), reqs[4].params.len()), ("/dup?id=1&id=2", 0));

    let yaml = render_sequence(&conv, "x.har", "now");
    assert!(yaml.contains("user: $$(x)"), "a recorded `$(` is escaped: {yaml}");
    assert!(yaml.contains("- activity: HTTPRequest\n  method: PATCH\n"), "{yaml}");
    assert!(yaml.contains("json:\n"), "{yaml}");
}

#[test]
fn tolerates_missing_optional_fields_and_unusable_urls() {
    let text = r#"{"log": {"entries": [
        {"request": {"method": "get", "url": "http://h/x"}},
        {"request": {"method": "GET", "url": "data:image/png;base64,AAAA"}, "response": {}},
        {"request": {"method": "GET", "url": "not a url"}}
    ]}}"#;
    let conv = run(text, &HarOptions::default()).expect("converts");
    assert_eq!((conv.stats.activities, conv.stats.unusable), (1, 2));
    assert_eq!(requests(&conv)[0].method, "GET");
    assert_eq!(conv.source, SourceInfo::default());
}

#[test]
fn malformed_files_give_line_and_column() {
    let err = run(
        "{\"log\": {\n  \"entries\": [\n    {\"request\": 5}\n  ]}}",
        &HarOptions::default(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("x.har:3:"), "{text}");
    assert!(
        text.contains("not a valid HAR file: invalid type: integer `5`"),
        "{text}"
    );
    let err = run("{\"log\": {\"entries\": []}}", &HarOptions::default()).unwrap_err();
    assert!(err.to_string().contains("has no usable request"), "{err}");
    let bytes =
        b"\xEF\xBB\xBF{\"log\": {\"entries\": [{\"request\": {\"method\": \"GET\", \"url\": \"http://h/\xff\"}}]}}";
    let err = run(bytes, &HarOptions::default());
    assert!(err.is_ok(), "a BOM and a non-UTF-8 byte are tolerated: {err:?}");
}

#[test]
fn options_are_checked() {
    for (text, expected) in [
        ("collate_max_lenn: 3", "unknown field"),
        ("base_url: false", "not supported"),
        ("base_url: ftp://x", "must start with http"),
        ("statics_types: ['(']", "not a valid regex"),
        ("collate_thread_count: 0", "at least 1"),
    ] {
        let err = HarOptions::from_yaml(text).unwrap_err();
        assert!(err.to_string().contains(expected), "{text}: {err}");
    }
    assert_eq!(HarOptions::from_yaml("# nothing\n").unwrap().collate_max_len, 100);
}
