//! The lean path's HTTP/1.1 response parser against arbitrary server bytes, compared with the
//! reqwest path's (hyper, plus the check stressor adds to it): both must accept or reject the same
//! responses, and when both accept, see the same status and body. The lean path must never panic,
//! never keep more body than allowed, and count what it kept.

#![no_main]

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use libfuzzer_sys::fuzz_target;
use stressor::fuzzing::{LeanResponse, MemStream, check_hyper_head, lean_response};

/// Body bytes kept at most; larger bodies are refused by both.
const MAX_BODY: u64 = 1 << 20;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().build().expect("runtime");
}

/// What hyper, and the reqwest path's own check, make of the response to a GET.
async fn hyper_response(data: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let io = TokioIo::new(MemStream::new(data));
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(io)
        .await
        .map_err(|e| e.to_string())?;
    let exchange = async move {
        let request = hyper::Request::get("/")
            .header("host", "fuzz")
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let headers = response.headers();
        check_hyper_head(
            response.status().as_u16(),
            false,
            response.version() == hyper::Version::HTTP_10,
            headers.contains_key(hyper::header::TRANSFER_ENCODING),
            headers.contains_key(hyper::header::CONTENT_LENGTH),
        )?;
        if response.headers().get(hyper::header::CONTENT_LENGTH).is_some_and(|v| {
            v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|n| n > MAX_BODY)
        }) {
            return Err("body too large".to_owned());
        }
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut kept = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| e.to_string())?;
            if let Some(data) = frame.data_ref() {
                kept.extend_from_slice(data);
                if kept.len() as u64 > MAX_BODY {
                    return Err("body too large".to_owned());
                }
            }
        }
        Ok((status, kept))
    };
    let (_, result) = tokio::join!(conn, exchange);
    result
}

fuzz_target!(|data: &[u8]| {
    let (lean, hyper) = RUNTIME.with(|rt| {
        rt.block_on(async { (lean_response(data, false, MAX_BODY).await, hyper_response(data).await) })
    });
    match (&lean, &hyper) {
        (Ok(LeanResponse { status, body, .. }), Ok((hyper_status, hyper_body))) => {
            assert_eq!(status, hyper_status, "status differs");
            assert_eq!(body, hyper_body, "body differs");
        }
        (Err(_), Err(_)) => {}
        _ => panic!(
            "the paths disagree on {:?}:\n  lean: {lean:?}\n  hyper: {hyper:?}",
            String::from_utf8_lossy(data)
        ),
    }
});
