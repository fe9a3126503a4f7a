//! The service's scenario files (fixtures/*.yaml) as `cargo test` cases.
//!
//! The hook starts the service in-process on a free port and points every scenario at it, unless
//! `STRESSOR_BASE_URL` names a service that already runs (a staging deployment, a release build
//! started by CI); then that one is tested and nothing is started.

use stressor::harness::HarnessSetup;

fn start_service() -> HarnessSetup {
    if std::env::var_os("STRESSOR_BASE_URL").is_some() {
        return HarnessSetup::new();
    }
    let service = notes_service::start_in_thread(([127, 0, 0, 1], 0).into()).expect("start the notes service");
    HarnessSetup::new()
        .override_with(format!("base_url:{}", service.url()))
        .keep(service)
}

stressor::harness!("fixtures/*.yaml", before = start_service);
