//! A small notes API: the service this crate exists for, load-tested by `tests/load.rs`.
//!
//! `GET /health`, `POST /notes` (`{"text": "..."}` → 201 and the note), `GET /notes/{id}` (404 when
//! there is none), `GET /notes?since=ID` (`{"notes": [...]}`, those from `ID` on) and `GET /report?ms=N`, which takes N milliseconds of
//! work (a stand-in for a slow query).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A stored note.
#[derive(Clone, Serialize)]
pub struct Note {
    /// Assigned by the service, from 1.
    pub id: u64,
    /// What the client sent.
    pub text: String,
}

#[derive(Default)]
struct Store {
    next: u64,
    notes: BTreeMap<u64, Note>,
}

type Shared = Arc<Mutex<Store>>;

/// The service's routes, with an empty store.
pub fn app() -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/notes", get(list).post(create))
        .route("/notes/{id}", get(read))
        .route("/report", get(report))
        .with_state(Shared::default())
}

#[derive(Deserialize)]
struct NewNote {
    text: String,
}

async fn create(State(store): State<Shared>, Json(new): Json<NewNote>) -> impl IntoResponse {
    if new.text.trim().is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "text is empty"})),
        )
            .into_response();
    }
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    store.next += 1;
    let note = Note {
        id: store.next,
        text: new.text,
    };
    store.notes.insert(note.id, note.clone());
    (StatusCode::CREATED, Json(note)).into_response()
}

async fn read(State(store): State<Shared>, Path(id): Path<u64>) -> impl IntoResponse {
    let store = store.lock().unwrap_or_else(PoisonError::into_inner);
    match store.notes.get(&id) {
        Some(note) => Json(note.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "no such note"})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: u64,
}

async fn list(State(store): State<Shared>, Query(from): Query<Since>) -> Json<serde_json::Value> {
    let store = store.lock().unwrap_or_else(PoisonError::into_inner);
    let notes: Vec<&Note> = store.notes.range(from.since..).map(|(_, n)| n).collect();
    Json(serde_json::json!({ "notes": notes }))
}

#[derive(Deserialize)]
struct Work {
    #[serde(default)]
    ms: u64,
}

async fn report(Query(work): Query<Work>) -> String {
    tokio::time::sleep(Duration::from_millis(work.ms.min(5_000))).await;
    format!("report took {} ms", work.ms)
}

/// The service running on its own thread and runtime (the test harness's `main` is not async).
pub struct Running {
    addr: SocketAddr,
    // Dropping the sender stops the server; the thread then ends with its runtime.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Running {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts the service on `addr` (port 0: any free port) in a background thread.
pub fn start_in_thread(addr: SocketAddr) -> std::io::Result<Running> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("notes-service".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let _ = axum::serve(listener, app())
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        })?;
    Ok(Running { addr, _stop: stop })
}
