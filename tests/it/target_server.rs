//! Integration tests of the built-in target server over real HTTP on an ephemeral port.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use stressor::target::{TargetConfig, TargetError, TargetServer};

async fn start() -> TargetServer {
    TargetServer::start(TargetConfig::default())
        .await
        .expect("server starts")
}

async fn start_at(root: &Path) -> TargetServer {
    TargetServer::start(TargetConfig {
        root: Some(root.to_path_buf()),
        ..TargetConfig::default()
    })
    .await
    .expect("server starts")
}

/// A client that shows redirects instead of following them.
fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

async fn get(server: &TargetServer, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", server.url()))
        .send()
        .await
        .expect("request succeeds")
}

async fn get_json(server: &TargetServer, path: &str) -> Value {
    get(server, path).await.json().await.expect("json body")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Sends raw bytes, so paths reach the server exactly as written (reqwest would resolve `..`).
async fn raw_request(server: &TargetServer, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.expect("connects");
    stream.write_all(request.as_bytes()).await.expect("request written");
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .expect("response within 5 s")
        .expect("response read");
    response
}

/// [`raw_request`] for tests without a runtime.
fn raw_request_blocking(server: &TargetServer, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(server.addr()).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout set");
    stream.write_all(request.as_bytes()).expect("request written");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    response
}

/// Number of nodes an XPath selects, evaluated the way scenario HTML checks evaluate it.
fn xpath_count(html: &str, expr: &str) -> usize {
    let tree = skyscraper::html::parse(html).expect("html parses");
    let xpath = skyscraper::xpath::parse(expr).expect("xpath parses");
    xpath.apply(&tree).expect("xpath applies").len()
}

#[tokio::test]
async fn embedded_root_serves_the_original_fixture_files() {
    let server = start().await;

    let response = get(&server, "/test1.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(response.text().await.unwrap(), "{\"foo\": \"bar\"}\n");

    let login = get_json(&server, "/mock_login_response.json").await;
    assert_eq!(login["result"]["user_guid"], "{BBFC98E6-DD92-473C-A65C-BDD868E64CF2}");

    let response = get(&server, "/private/test.html").await;
    assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    assert!(response.text().await.unwrap().contains("Secret text!"));

    let response = get(&server, "/wsgidav_test_file.txt").await;
    assert_eq!(header(&response, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(response.text().await.unwrap(), "Test");

    assert_eq!(get(&server, "/nope.txt").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn embedded_root_lists_directories_like_wsgidav() {
    let server = start().await;

    let response = get(&server, "/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    let html = response.text().await.unwrap();
    assert!(html.contains("Index of /"), "{html}");
    assert!(html.contains("<img class=\"logo\" src=\"data:image/svg+xml,"));
    assert_eq!(html.matches("<a href").count(), 4);
    // The original fixtures' check on this page.
    assert_eq!(xpath_count(&html, "//*[@class='logo']"), 1);
    assert_eq!(xpath_count(&html, "//a[@href]"), 4);
    for href in [
        "/mock_login_response.json",
        "/private/",
        "/test1.json",
        "/wsgidav_test_file.txt",
    ] {
        assert!(html.contains(&format!("<a href=\"{href}\">")), "{href}");
    }

    let html = get(&server, "/private").await.text().await.unwrap();
    assert!(html.contains("Index of /private/"));
    assert!(html.contains("<a href=\"/private/test.html\">test.html</a>"));
    assert_eq!(html.matches("<a href").count(), 1);
}

#[tokio::test]
async fn disk_root_serves_files_with_content_types_and_listings() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("a.json", "application/json"),
        ("b.html", "text/html; charset=utf-8"),
        ("c.txt", "text/plain; charset=utf-8"),
        ("d.css", "text/css; charset=utf-8"),
        ("e.js", "text/javascript; charset=utf-8"),
        ("f.png", "image/png"),
        ("g.svg", "image/svg+xml"),
        ("h.bin", "application/octet-stream"),
    ];
    for (name, _) in files {
        std::fs::write(dir.path().join(name), format!("content of {name}")).unwrap();
    }
    std::fs::create_dir(dir.path().join("sub dir")).unwrap();
    std::fs::write(dir.path().join("sub dir/inner.txt"), "inner").unwrap();
    let server = start_at(dir.path()).await;

    for (name, content_type) in files {
        let response = get(&server, &format!("/{name}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert_eq!(header(&response, "content-type"), content_type, "{name}");
        assert_eq!(response.text().await.unwrap(), format!("content of {name}"));
    }

    let head = client().head(format!("{}/c.txt", server.url())).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "content-length"), "16");
    assert_eq!(header(&head, "content-type"), "text/plain; charset=utf-8");
    assert!(head.bytes().await.unwrap().is_empty());

    let html = get(&server, "/").await.text().await.unwrap();
    assert!(html.contains("Index of /"));
    assert_eq!(html.matches("<a href").count(), files.len() + 1);
    assert!(html.contains("<a href=\"/sub%20dir/\">sub dir/</a>"));

    let html = get(&server, "/sub%20dir/").await.text().await.unwrap();
    assert!(html.contains("Index of /sub dir/"));
    assert!(html.contains("<a href=\"/sub%20dir/inner.txt\">inner.txt</a>"));
    let inner = get(&server, "/sub%20dir/inner.txt").await;
    assert_eq!(inner.text().await.unwrap(), "inner");

    assert_eq!(get(&server, "/missing").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&server, "/a.json/below").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn path_traversal_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "top secret").unwrap();
    let server = start_at(&root).await;

    for path in ["/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt"] {
        let response = raw_request(
            &server,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 400"), "{path}: {response}");
        assert!(!response.contains("top secret"), "{path}");
    }

    // reqwest resolves literal dot segments, but an encoded slash gets through to the server.
    let response = get(&server, "/sub/..%2F..%2Fsecret.txt").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.text().await.unwrap(), "path traversal is not allowed\n");

    let put = client()
        .put(format!("{}/sub/..%2F..%2Fx.txt", server.url()))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn put_get_delete_cycle_uses_the_memory_store() {
    let server = start().await;
    let url = format!("{}/dir/wsgidav_test_file~1.txt", server.url());
    let client = client();

    let created = client.put(&url).body("Test").send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let replaced = client.put(&url).body("Test 2").send().await.unwrap();
    assert_eq!(replaced.status(), StatusCode::NO_CONTENT);

    let fetched = client.get(&url).send().await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(header(&fetched, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(fetched.text().await.unwrap(), "Test 2");
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(header(&head, "content-length"), "6");

    let listing = get(&server, "/dir").await.text().await.unwrap();
    assert!(listing.contains("<a href=\"/dir/wsgidav_test_file~1.txt\">"));
    let root_listing = get(&server, "/").await.text().await.unwrap();
    assert!(root_listing.contains("<a href=\"/dir/\">dir/</a>"));

    assert_eq!(
        client.delete(&url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(client.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(
        client.delete(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&server, "/dir").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stored_files_shadow_the_root_and_keep_their_content_type() {
    let server = start().await;
    let client = client();
    let url = format!("{}/test1.json", server.url());

    let put = client
        .put(&url)
        .header(CONTENT_TYPE, "application/vnd.test+json")
        .body("{\"foo\": \"baz\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    let shadowed = client.get(&url).send().await.unwrap();
    assert_eq!(header(&shadowed, "content-type"), "application/vnd.test+json");
    assert_eq!(shadowed.text().await.unwrap(), "{\"foo\": \"baz\"}");

    client.delete(&url).send().await.unwrap();
    let original: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(original, json!({"foo": "bar"}));

    let post = client.post(&url).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&post, "allow"), "OPTIONS, GET, HEAD, PUT, DELETE, POST");

    let root_put = client.put(server.url()).body("x").send().await.unwrap();
    assert_eq!(root_put.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn options_answers_like_a_webdav_server() {
    let server = start().await;
    for path in ["/", "/test1.json", "/no/such/file", "/html", "/status/200", "/poll/k"] {
        let response = client()
            .request(Method::OPTIONS, format!("{}{path}", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "dav"), "1,2", "{path}");
        assert_eq!(
            header(&response, ALLOW.as_str()),
            "OPTIONS, GET, HEAD, PUT, DELETE, POST",
            "{path}"
        );
    }
    // Polling via OPTIONS must not count as a poll.
    assert_eq!(get_json(&server, "/poll/k").await["count"], 1);
}

#[tokio::test]
async fn echo_reflects_the_request() {
    let server = start().await;
    let echoed: Value = client()
        .post(format!("{}/echo/sub/path?a=1&b=x%20y&a=2", server.url()))
        .header("X-Custom", "Value 1")
        .header(COOKIE, "sid=abc; theme=dark")
        .json(&json!({"name": "Joe", "n": [1, 2]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echoed["version"], "HTTP/1.1");
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["path"], "/echo/sub/path");
    assert_eq!(echoed["query"], json!({"a": ["1", "2"], "b": "x y"}));
    assert_eq!(echoed["headers"]["x-custom"], "Value 1");
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["body"], "{\"name\":\"Joe\",\"n\":[1,2]}");
    assert_eq!(echoed["json"], json!({"name": "Joe", "n": [1, 2]}));
    assert_eq!(echoed["cookies"], json!({"sid": "abc", "theme": "dark"}));
    assert!(echoed.get("form").is_none());
    let keys: Vec<_> = echoed.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "version", "method", "path", "query", "headers", "body", "json", "cookies"
        ]
    );

    let form: Value = client()
        .put(format!("{}/echo", server.url()))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("user=Ann+Lee&pw=%26secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["method"], "PUT");
    assert_eq!(form["form"], json!({"user": "Ann Lee", "pw": "&secret"}));
    assert!(form.get("json").is_none());
    assert_eq!(form["cookies"], json!({}));

    let options: Value = client()
        .request(Method::OPTIONS, format!("{}/echo", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(options["method"], "OPTIONS");
}

#[tokio::test]
async fn status_returns_the_requested_code() {
    let server = start().await;
    let teapot = get(&server, "/status/418").await;
    assert_eq!(teapot.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(teapot.text().await.unwrap(), "418 I'm a teapot\n");

    let created = client()
        .post(format!("{}/status/201", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(get(&server, "/status/503").await.status(), 503);
    assert_eq!(get(&server, "/status/599").await.status(), 599);
    let no_content = get(&server, "/status/204").await;
    assert_eq!(no_content.status(), StatusCode::NO_CONTENT);
    assert!(no_content.bytes().await.unwrap().is_empty());

    // HTTP/1.1 has no final 1xx response, so these are refused rather than mangled.
    let informational = get(&server, "/status/100").await;
    assert_eq!(informational.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        informational.text().await.unwrap(),
        "1xx status codes cannot be a final response\n"
    );

    for bad in ["99", "101", "600", "abc", "-1", "70000"] {
        let response = get(&server, &format!("/status/{bad}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn slow_waits_at_least_the_requested_time() {
    let server = start().await;
    let started = Instant::now();
    let slept = get_json(&server, "/slow?s=0.25").await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(slept, json!({"slept": 0.25}));

    let started = Instant::now();
    let slept = get_json(&server, "/slow?ms=120").await;
    assert!(started.elapsed() >= Duration::from_millis(120));
    assert_eq!(slept, json!({"slept": 0.12}));

    for bad in ["/slow", "/slow?s=abc", "/slow?s=-1", "/slow?ms=NaN"] {
        assert_eq!(get(&server, bad).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn login_returns_the_fixture_answer_and_a_session_cookie() {
    let server = start().await;
    let client = client();

    let response = client
        .post(format!("{}/login", server.url()))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("name=User_1&password=secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = header(&response, SET_COOKIE.as_str()).to_owned();
    assert!(cookie.starts_with("session="), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    let token = cookie["session=".len()..].split(';').next().unwrap().to_owned();
    assert!(token.len() >= 16, "{token}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ok", "result": {
            "user_guid": "{BBFC98E6-DD92-473C-A65C-BDD868E64CF2}", "roles": [], "user": "User_1"}})
    );

    let by_json: Value = client
        .post(format!("{}/my-login-service", server.url()))
        .json(&json!({"name": "User_2"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_json["result"]["user"], "User_2");

    let by_query = get(&server, "/my-login-service?name=Ann").await;
    let second = header(&by_query, SET_COOKIE.as_str()).to_owned();
    assert_ne!(second, cookie, "each login gets a new session token");
    let by_query: Value = by_query.json().await.unwrap();
    assert_eq!(by_query["result"]["user"], "Ann");

    let anonymous = get_json(&server, "/login").await;
    assert_eq!(anonymous["status"], "ok");
    assert!(anonymous["result"].get("user").is_none());
}

#[tokio::test]
async fn cookies_are_read_and_set() {
    let server = start().await;
    let read: Value = client()
        .get(format!("{}/cookies", server.url()))
        .header(COOKIE, "a=1; b=two")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read, json!({"a": "1", "b": "two"}));
    assert_eq!(get_json(&server, "/cookies").await, json!({}));

    let set = get(&server, "/cookies/set?flavor=oat&session=x1").await;
    assert_eq!(set.status(), StatusCode::OK);
    let cookies: Vec<_> = set
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies, ["flavor=oat; Path=/", "session=x1; Path=/"]);
    assert_eq!(
        set.json::<Value>().await.unwrap(),
        json!({"flavor": "oat", "session": "x1"})
    );

    let injected = get(&server, "/cookies/set?a=x%3B%20Path%3D%2Fadmin").await;
    assert_eq!(injected.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn response_headers_are_set_as_requested() {
    let server = start().await;
    let response = get(
        &server,
        "/response-headers?X-Test=abc&Content-Type=text/x-custom&X-Multi=1&X-Multi=2",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-test"), "abc");
    assert_eq!(header(&response, "content-type"), "text/x-custom");
    let multi: Vec<_> = response.headers().get_all("x-multi").iter().collect();
    assert_eq!(multi, ["1", "2"]);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"X-Test": "abc", "Content-Type": "text/x-custom", "X-Multi": ["1", "2"]})
    );

    for bad in ["Bad%20Name=1", "X-A=%0Aevil", "Content-Length=3"] {
        let response = get(&server, &format!("/response-headers?{bad}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn redirects_count_down_to_echo() {
    let server = start().await;
    let first = get(&server, "/redirect/2").await;
    assert_eq!(first.status(), StatusCode::FOUND);
    assert_eq!(header(&first, LOCATION.as_str()), "/redirect/1");
    assert_eq!(header(&get(&server, "/redirect/0").await, LOCATION.as_str()), "/echo");
    assert_eq!(get(&server, "/redirect/x").await.status(), StatusCode::BAD_REQUEST);

    let followed = reqwest::get(format!("{}/redirect/3", server.url())).await.unwrap();
    assert_eq!(followed.url().path(), "/echo");
    assert_eq!(followed.json::<Value>().await.unwrap()["method"], "GET");
    // 3 requests above, then 3 -> 2 -> 1 -> 0 -> /echo.
    assert_eq!(server.requests(), 8);
}

#[tokio::test]
async fn poll_becomes_ready_on_the_configured_attempt() {
    let server = start().await;
    let polls: Vec<Value> = [
        get_json(&server, "/poll/job").await,
        get_json(&server, "/poll/job").await,
        get_json(&server, "/poll/job").await,
        get_json(&server, "/poll/job").await,
    ]
    .into();
    assert_eq!(
        polls,
        [
            json!({"count": 1, "ready": false}),
            json!({"count": 2, "ready": false}),
            json!({"count": 3, "ready": true}),
            json!({"count": 4, "ready": true}),
        ]
    );
    assert_eq!(
        get_json(&server, "/poll/other?ready_after=1").await,
        json!({"count": 1, "ready": true})
    );

    let reset = client()
        .delete(format!("{}/poll/job", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    let posted: Value = client()
        .post(format!("{}/poll/job?ready_after=2", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted, json!({"count": 1, "ready": false}));
    assert_eq!(
        get(&server, "/poll/job?ready_after=soon").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn bytes_sends_the_requested_size() {
    let server = start().await;
    let response = get(&server, "/bytes/10").await;
    assert_eq!(header(&response, "content-type"), "text/plain");
    assert_eq!(header(&response, CONTENT_LENGTH.as_str()), "10");
    assert_eq!(response.text().await.unwrap(), "xxxxxxxxxx");
    assert!(get(&server, "/bytes/0").await.bytes().await.unwrap().is_empty());

    let capped = get(&server, "/bytes/99999999").await.bytes().await.unwrap();
    assert_eq!(capped.len(), 10 * 1024 * 1024);
    assert!(capped.iter().all(|b| *b == b'x'));
    assert_eq!(get(&server, "/bytes/-5").await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn html_page_has_the_elements_xpath_checks_use() {
    let server = start().await;
    let response = get(&server, "/html").await;
    assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>stressor test page</title>"));
    assert!(html.contains("<div id=\"main\">Hello stressor</div>"));
    assert_eq!(html.matches("<li class=\"item\">").count(), 3);
    assert_eq!(xpath_count(&html, "//ul/li[@class='item']"), 3);
    assert_eq!(xpath_count(&html, "//div[@id='main']"), 1);
    assert_eq!(xpath_count(&html, "//title"), 1);

    let post = client().post(format!("{}/html", server.url())).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn stats_counts_every_request_handled() {
    let server = start().await;
    assert_eq!(server.requests(), 0);
    get(&server, "/test1.json").await;
    get(&server, "/missing").await;
    get(&server, "/status/500").await;
    client().post(format!("{}/html", server.url())).send().await.unwrap();
    assert_eq!(server.requests(), 4);
    assert_eq!(get_json(&server, "/_stressor/stats").await, json!({"requests": 5}));
    assert_eq!(server.requests(), 5);
}

#[tokio::test]
async fn latency_times_the_load_not_the_benchmarks_questions() {
    let server = start().await;
    get(&server, "/test1.json").await;
    // Slept at the server: its own time per request includes the sleep, so the percentiles are real.
    get(&server, "/slow?ms=120").await;
    let latency = get_json(&server, "/_stressor/latency").await;
    assert_eq!(latency["count"], 2, "{latency}");
    let (p50, p99, max) = (
        latency["p50_us"].as_u64().unwrap(),
        latency["p99_us"].as_u64().unwrap(),
        latency["max_us"].as_u64().unwrap(),
    );
    assert!((1..100_000).contains(&p50), "{latency}");
    assert!(p99 >= 120_000 && p99 <= max && max < 60_000_000, "{latency}");

    let reset = client()
        .delete(format!("{}/_stressor/latency", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    let latency = get_json(&server, "/_stressor/latency").await;
    assert_eq!(
        latency,
        json!({"count": 0, "p50_us": 0, "p90_us": 0, "p99_us": 0, "max_us": 0})
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = start().await;
    let response = client()
        .put(format!("{}/big.bin", server.url()))
        .body(vec![0u8; 16 * 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(get(&server, "/big.bin").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bind_failure_names_the_address() {
    let server = start().await;
    let err = TargetServer::start(TargetConfig {
        addr: server.addr(),
        ..TargetConfig::default()
    })
    .await
    .expect_err("address is in use");
    assert!(
        matches!(&err, TargetError::Bind { addr, .. } if *addr == server.addr()),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("cannot listen on {}: ", server.addr())),
        "{message}"
    );
}

#[tokio::test]
async fn missing_or_file_root_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let err = TargetServer::start(TargetConfig {
        root: Some(missing.clone()),
        ..TargetConfig::default()
    })
    .await
    .expect_err("root is missing");
    assert!(matches!(&err, TargetError::RootMissing { path } if *path == missing));
    assert_eq!(
        err.to_string(),
        format!("root directory {} does not exist", missing.display())
    );

    let file = dir.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let err = TargetServer::start_in_thread(TargetConfig {
        root: Some(file.clone()),
        ..TargetConfig::default()
    })
    .expect_err("root is a file");
    assert_eq!(err.to_string(), format!("root {} is not a directory", file.display()));
}

#[tokio::test]
async fn shutdown_closes_the_listening_socket() {
    let server = start().await;
    let addr = server.addr();
    assert_eq!(get(&server, "/html").await.status(), StatusCode::OK);
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    // The port is free again.
    let again = TargetServer::start(TargetConfig {
        addr,
        ..TargetConfig::default()
    })
    .await
    .expect("port reusable after shutdown");
    assert_eq!(again.addr(), addr);
}

#[test]
fn start_in_thread_serves_without_a_runtime() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).expect("server starts");
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let response = raw_request_blocking(
        &server,
        "GET /test1.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("{\"foo\": \"bar\"}\n"), "{response}");
    assert_eq!(server.requests(), 1);

    let addr = server.addr();
    drop(server);
    // Drop stops the server; give its thread a moment to close the socket.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "server still accepting after drop");
        std::thread::sleep(Duration::from_millis(20));
    }
}
