//! The dashboard's HTTP side (axum): the page, its SSE stream and the Stop button's endpoint.
//!
//! - `GET /` — the page: the live part as it is now (so it shows something without JavaScript) plus a
//!   few lines of script that replace it with every SSE message.
//! - `GET /events` — Server-Sent Events; each message is the rendered live part. A new client gets the
//!   current state at once, then one message per tick.
//! - `POST /stop` — while the run is going: a stop request (the first graceful, the second immediate,
//!   like Ctrl-C); once it is over: closes the monitor (the CLI stops waiting). It requires the header
//!   `X-Stressor: stop`, which a cross-site form or `fetch` cannot send without a CORS preflight that this
//!   server never grants, so another web page open in the same browser cannot stop the run.
//! - `GET /metrics` — the run's metrics in the Prometheus text format, when the monitor was started with
//!   them ([`Monitor::start_with_metrics`](super::Monitor::start_with_metrics)); 404 otherwise.

use super::live::{Live, Status};
use crate::report::html::{STYLE, escape};
use crate::run::StopHandle;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::Notify;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The live aggregate.
    pub live: Arc<Live>,
    /// Stops the run.
    pub stop: StopHandle,
    /// Notified when the page asks to close the monitor after the run.
    pub close: Arc<Notify>,
    /// Renders `GET /metrics`, when served.
    pub metrics: Option<super::MetricsPage>,
}

/// The routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/events", get(events))
        .route("/stop", post(stop))
        .route("/metrics", get(metrics))
        .with_state(state)
}

const SCRIPT: &str = r#"
const live = document.getElementById('live');
const button = document.getElementById('stop');
const note = document.getElementById('note');
let status = 'starting';
function show(s) {
  status = s;
  button.disabled = false;
  if (s === 'finished') { button.textContent = 'Close monitor'; note.textContent = 'The run is over; this is its final state.'; }
  else if (s === 'stopping') { button.textContent = 'Stop now'; note.textContent = 'Stopping: end sequences run; Stop now interrupts them.'; }
  else { button.textContent = 'Stop run'; note.textContent = 'Live: updated every second.'; }
}
const source = new EventSource('events');
source.onmessage = (e) => {
  live.innerHTML = e.data;
  const state = document.getElementById('state');
  if (state) show(state.dataset.status);
  if (status === 'finished') source.close();
};
source.onerror = () => { if (status !== 'finished') note.textContent = 'Connection lost; retrying…'; };
button.addEventListener('click', async () => {
  // What the click meant is decided now: the run may finish while the request is on its way.
  const closing = status === 'finished';
  button.disabled = true;
  try {
    const r = await fetch('stop', { method: 'POST', headers: { 'X-Stressor': 'stop' } });
    const text = await r.text();
    if (closing) { button.textContent = 'Monitor closed'; note.textContent = text; return; }
    show(status);
    note.textContent = text;
  } catch (err) { show(status); note.textContent = 'Request failed: ' + err; }
});
show(document.getElementById('state')?.dataset.status || 'starting');
"#;

async fn page(State(state): State<AppState>) -> Html<String> {
    let current = state.live.subscribe().borrow().1.clone();
    let name = escape(state.live.scenario());
    Html(format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>stressor monitor: {name}</title><style>{STYLE}
#bar {{ display: flex; align-items: center; gap: 12px; }} #bar h1 {{ flex: 1; }}
button {{ font-size: 14px; padding: 6px 14px; border-radius: 4px; border: 1px solid #a3211a; background: #fbe3e1; color: #a3211a; cursor: pointer; }}
button:disabled {{ opacity: 0.5; cursor: default; }}</style></head>
<body><div id="bar"><h1>stressor monitor: {name}</h1><button id="stop" type="button">Stop run</button></div>
<p id="note" class="meta"></p><div id="live">{current}</div><script>{SCRIPT}</script></body></html>"#
    ))
}

async fn events(State(state): State<AppState>) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = state.live.subscribe();
    // The first message is the current state; after that, one per change. The stream ends when the
    // monitor is dropped (the sender goes away).
    let stream = futures_util::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first {
            rx.changed().await.ok()?;
        }
        let html = rx.borrow_and_update().1.clone();
        Some((Ok(Event::default().data(&*html)), (rx, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn metrics(State(state): State<AppState>) -> axum::response::Response {
    match &state.metrics {
        Some(page) => {
            let (body, content_type) = page();
            ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "this monitor serves no metrics").into_response(),
    }
}

async fn stop(State(state): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    if headers.get("x-stressor").and_then(|v| v.to_str().ok()) != Some("stop") {
        return (StatusCode::FORBIDDEN, "missing header `X-Stressor: stop`");
    }
    match state.live.status() {
        Status::Finished => {
            state.close.notify_one();
            (StatusCode::OK, "Monitor closed; you can close this page.")
        }
        Status::Stopping => {
            state.stop.stop_now();
            (StatusCode::ACCEPTED, "Stopping now.")
        }
        Status::Starting | Status::Running => {
            state.stop.stop();
            (
                StatusCode::ACCEPTED,
                "Stop requested: no new work starts; end sequences run.",
            )
        }
    }
}
