//! The repo's own scenario files as `cargo test` cases (a `harness = false` target), run against the
//! built-in target server: `cargo test --test scenarios -- --list`.

use stressor::harness::HarnessSetup;
use stressor::target::{TargetConfig, TargetServer};

/// Starts the built-in target server and points every scenario at it.
fn start_target() -> HarnessSetup {
    let server = TargetServer::start_in_thread(TargetConfig::default()).expect("target server");
    HarnessSetup::new()
        .override_with(format!("base_url:{}", server.url()))
        .keep(server)
}

stressor::harness!("fixtures/**/*.yaml", before = start_target);
