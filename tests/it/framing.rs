//! The two HTTP paths give the same answer to malformed responses: every response of the shared corpus
//! (`fuzz/seeds/http_response/`, also the fuzzer's seeds) is served byte for byte by a scripted server
//! to the lean path and to reqwest. A file named `accept-*` must give a response on both (whatever
//! its status), one named `reject-*` a `connect` error on both.

use crate::common;

use common::scripted::{errors, read_head, run_text, scenario, serve};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// What a path made of a response: `ok`, `status` (a response, with a status that is not 2xx) or
/// the error class, and the first error message.
async fn outcome(client: &str, reply: &'static [u8]) -> (String, String) {
    let server = serve(move |mut s| async move {
        if read_head(&mut s).await {
            let _ = s.write_all(reply).await;
        }
        // Closing ends a body delimited by the end of the connection.
    })
    .await;
    let text = scenario(
        &server.url,
        &format!("  request_timeout: 5s\n  http_client: {client}\n"),
        "    - activity: GetRequest\n      url: /\n",
    );
    let report = run_text(&text).await;
    match errors(&report).into_iter().next() {
        None => ("ok".into(), String::new()),
        Some((class, message)) => (class, message),
    }
}

/// The corpus: file names and contents, sorted by name.
fn corpus() -> Vec<(String, &'static [u8])> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/http_response");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 50, "the corpus has {} files", names.len());
    names
        .into_iter()
        .map(|name| {
            let data: &'static [u8] = std::fs::read(dir.join(&name)).expect("read").leak();
            (name, data)
        })
        .collect()
}

/// The fuzz target's own check (`stressor::fuzzing::compare`: both parsers over bytes in memory, read
/// in pieces whose sizes follow from the data) holds on every file of the corpus, findings included.
#[tokio::test]
async fn the_fuzz_targets_differential_check_holds_on_the_corpus() {
    let mut wrong = Vec::new();
    for (name, data) in corpus() {
        if let Err(why) = stressor::fuzzing::compare(data, 1 << 20).await {
            wrong.push(format!("{name}: {why}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lean_and_reqwest_accept_and_reject_the_same_responses() {
    let mut wrong = Vec::new();
    for (name, reply) in corpus() {
        let name = &name;
        let lean = outcome("lean", reply).await;
        let reqwest = outcome("reqwest", reply).await;
        let accepted = |o: &(String, String)| o.0 == "ok" || o.0 == "status";
        let want_accept = name.starts_with("accept-");
        for (client, o) in [("lean", &lean), ("reqwest", &reqwest)] {
            let right = if want_accept { accepted(o) } else { o.0 == "connect" };
            if !right {
                wrong.push(format!("{name}: {client} gave {}: {}", o.0, o.1));
            }
        }
        if lean.0 != reqwest.0 {
            wrong.push(format!("{name}: lean gave {}, reqwest {}", lean.0, reqwest.0));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
