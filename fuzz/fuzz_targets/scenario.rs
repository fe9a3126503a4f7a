//! The scenario loader against arbitrary text: every input must give a scenario or diagnostics,
//! never a panic, a hang or a stack overflow. It runs on the fuzzer's main thread (8 MiB of stack),
//! like the `stressor` command's loader.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use stressor::scenario::{LoadOptions, load_str};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let loaded = load_str(Path::new("fuzz.yaml"), text, &LoadOptions::default());
    // Rendering the diagnostics is part of answering a file; it must not fail either.
    let _ = loaded.render(false);
    assert!(loaded.scenario.is_some() || loaded.diagnostics.has_errors(), "no scenario and no error");
});
