//! The lean path's HTTP/1.1 response parser against arbitrary server bytes, compared with the
//! reqwest path's (hyper, plus the check stressor adds to it): both must accept or reject the same
//! responses, and when both accept, see the same status and body. The lean path must never panic,
//! never keep more body than allowed, and count what it kept.

#![no_main]

use libfuzzer_sys::fuzz_target;

/// Body bytes kept at most; larger bodies are refused by both.
const MAX_BODY: u64 = 1 << 20;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().build().expect("runtime");
}

fuzz_target!(|data: &[u8]| {
    let compared = RUNTIME.with(|rt| rt.block_on(stressor::fuzzing::compare(data, MAX_BODY)));
    if let Err(disagreement) = compared {
        panic!("{disagreement}");
    }
});
