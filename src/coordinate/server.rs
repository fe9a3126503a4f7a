//! The coordinator's HTTP side (axum): the routes of [`protocol`](super::protocol), behind a check
//! of the token that runs before any body is read. A request without the token is answered 401,
//! counted and logged (method, path and peer address; never a header), and reaches no handler, so it
//! cannot register, report, deliver or stop anything.

use super::board::Board;
use super::protocol::{ClockReply, Delivery, LiveReport, Refusal, RefusalKind, Register, StartState, Token, unix_ns};
use crate::run::StopHandle;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;

/// How long `GET /v1/start` holds a request while the barrier waits: well under any proxy's idle
/// timeout; the shard asks again.
const HOLD: Duration = Duration::from_secs(20);

/// The largest body accepted (a big run's results with every session's histogram).
const BODY_LIMIT: usize = 1 << 30;

/// What the handlers share with the coordinator's clock.
pub(super) struct Shared {
    /// The state.
    pub board: Mutex<Board>,
    /// Who may talk to it.
    pub token: Token,
    /// Bumped whenever the board changes in a way someone waits for (a registration, the start, a
    /// delivery, a stop request).
    pub changed: watch::Sender<u64>,
    /// `POST /v1/stop`.
    pub stop: StopHandle,
    /// Requests refused for want of the token.
    pub unauthorized: AtomicU64,
}

impl Shared {
    pub fn board(&self) -> MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// The routes.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/clock", get(clock))
        .route("/v1/register", post(register))
        .route("/v1/start", get(start))
        .route("/v1/report", post(report))
        .route("/v1/results", post(results))
        .route("/v1/stop", post(stop))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .with_state(shared)
}

async fn authorize(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let header = request.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes());
    if shared.token.admits(header) {
        return next.run(request).await;
    }
    let n = shared.unauthorized.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::warn!(
        "refused {} {} from {peer}: no valid token ({n} request(s) refused so far)",
        request.method(),
        request.uri().path()
    );
    refusal(Refusal {
        refusal: RefusalKind::Token,
        error: format!(
            "missing or wrong token: send `Authorization: Bearer` with the coordinator's token ({})",
            super::protocol::TOKEN_ENV
        ),
    })
}

fn refusal(r: Refusal) -> Response {
    let status = StatusCode::from_u16(r.refusal.status()).unwrap_or(StatusCode::CONFLICT);
    (status, Json(r)).into_response()
}

async fn clock() -> Json<ClockReply> {
    let received_ns = unix_ns(SystemTime::now());
    Json(ClockReply {
        received_ns,
        sent_ns: unix_ns(SystemTime::now()),
    })
}

async fn register(State(shared): State<Arc<Shared>>, Json(r): Json<Register>) -> Response {
    let answer = shared.board().register(&r);
    match answer {
        Ok(registered) => {
            tracing::info!(
                "shard {} registered ({} of {}), clock offset {}",
                r.shard,
                registered.registered,
                registered.shards,
                r.clock
            );
            shared.bump();
            Json(registered).into_response()
        }
        Err(refused) => {
            tracing::warn!("refused the registration of shard {}: {}", r.shard, refused.error);
            shared.bump();
            refusal(refused)
        }
    }
}

async fn start(State(shared): State<Arc<Shared>>) -> Json<StartState> {
    let mut changes = shared.changed.subscribe();
    let deadline = tokio::time::Instant::now() + HOLD;
    loop {
        let state = shared.board().start_state();
        if !matches!(state, StartState::Waiting { .. }) {
            return Json(state);
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            _ => return Json(state),
        }
    }
}

async fn report(State(shared): State<Arc<Shared>>, Json(r): Json<LiveReport>) -> Response {
    let answer = shared.board().report(r, Instant::now());
    match answer {
        Ok(action) => Json(action).into_response(),
        Err(refused) => refusal(refused),
    }
}

async fn results(State(shared): State<Arc<Shared>>, Json(d): Json<Delivery>) -> Response {
    let shard = d.shard.clone();
    let answer = shared.board().deliver(d, Instant::now());
    match answer {
        Ok(()) => {
            tracing::info!("shard {shard} delivered its results");
            shared.bump();
            (StatusCode::OK, Json(serde_json::json!({"accepted": shard}))).into_response()
        }
        Err(refused) => {
            tracing::warn!("refused the results of shard {shard}: {}", refused.error);
            refusal(refused)
        }
    }
}

async fn stop(State(shared): State<Arc<Shared>>) -> Response {
    shared.stop.stop();
    shared.bump();
    (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"stopping": "the shards stop with their next report"})),
    )
        .into_response()
}
