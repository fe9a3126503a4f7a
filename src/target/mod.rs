//! The built-in target server: a small, fast HTTP server on 127.0.0.1.
//!
//! It exists so the README's first command, the test suite and the benchmarks run on a fresh machine
//! with nothing else installed. It is a test target, not a product: every endpoint below is there
//! because a scenario, a test or a benchmark needs something to talk to. Because it is also the
//! benchmark target of a load generator, per-request work is kept minimal: no per-request logging,
//! no lock held across an await, cheap handlers.
//!
//! # Endpoints
//!
//! | Endpoint | Answer | Why it exists |
//! |---|---|---|
//! | `GET`/`HEAD` any other path | a file from the root directory (Content-Type by extension: json, html, txt, css, js, png, svg, else `application/octet-stream`); for a directory an HTML listing with `Index of /<path>`, an `<img class="logo">` and one link per entry; `..` segments get 400 | the original stressor's fixtures ran against a WsgiDAV server and check exactly these things |
//! | (no root given) | the embedded demo root: the original fixtures' `mock_login_response.json`, `test1.json`, `wsgidav_test_file.txt`, `private/test.html` | scenarios written for that setup work out of the box |
//! | `PUT` any other path | stores the body in memory: 201, or 204 when replacing | the fixtures PUT, GET and DELETE a per-session file |
//! | `DELETE` any other path | removes a stored file: 204, or 404 | same; files of the root directory are never deleted |
//! | `OPTIONS` any path but `/echo` | 200 with `DAV: 1,2` and `Allow: OPTIONS, GET, HEAD, PUT, DELETE, POST` | the fixtures' first request checks for the `DAV` header |
//! | any method `/echo`, `/echo/...` | JSON `{method, path, query, headers, body, form?, json?, cookies}` | lets tests see exactly what stressor sent (`OPTIONS` is echoed too) |
//! | any method `/status/<code>` | that status (200–599) and a text body naming it (none for 204, 205, 304); 400 otherwise, 1xx included since HTTP/1.1 has no final 1xx response | status checks and error handling |
//! | any method `/slow?s=<secs>` or `?ms=<millis>` | waits (at most 60 s), then `{"slept": secs}` | timeouts and response-time checks |
//! | `GET`/`POST` `/login`, `/my-login-service` | the fixtures' login answer, with `result.user` set from a `name` form/JSON/query field, and a `session` cookie | login flows with stored JSON values and cookies |
//! | `GET /cookies` | JSON map of the request's cookies | cookie persistence checks |
//! | `GET /cookies/set?name=value&...` | sets those cookies (`Path=/`) and returns them as JSON | same |
//! | `GET /response-headers?Name=value&...` | 200 with those headers, JSON echo of them | header checks |
//! | `GET /redirect/<n>` | 302 to `/redirect/<n-1>`; `/redirect/0` goes to `/echo` | redirect following, `max_redirects`, `assert_redirects` |
//! | any method `/redirect-to?url=<u>&status=<s>` | a redirect (301, 302 by default, 303, 307, 308) to `u` | which redirects keep method and body |
//! | `GET`/`POST` `/login/redirect` | 302 to `/cookies` with a `session` cookie, as a login form answers | `follow_redirects: false` on a login flow |
//! | any method `/multipart` | a `multipart/form-data` body parsed (multer, through axum): `{fields: {name: value}, files: [{name, filename, content_type, size, text?}]}`, 400 naming the parse error | multipart uploads checked on what a server parsed |
//! | any method `/poll/<key>?ready_after=<n>` | counts polls per key: `{"count": c, "ready": c >= n}` (n defaults to 3); `DELETE` resets (204) | a poll loop that succeeds on a known attempt |
//! | `GET /bytes/<n>` | `n` bytes of `x` (at most 10 MiB), `text/plain` | payload-size and throughput tests |
//! | `GET /html` | a fixed page: a title, `<div id="main">Hello stressor</div>`, three `<li class="item">` | XPath checks |
//! | `GET /items?n=<count>&coding=<codings>` | a JSON list of `n` items (default 70, ~10 KB; keys like `in-stock`), compressed per `Accept-Encoding` (br, zstd, gzip, deflate) or per `coding` (a list applied in order; `deflate-raw`; other names sent on a plain body) | decoding, JSONPath on a top-level list |
//! | `GET /gzip-bomb?mib=<n>` | gzip decoding to `n` MiB of zeros (default 1024), ~1 KiB per MiB, streamed | `max_body_size` bounds the decoded size |
//! | `GET /charset/<latin1\|gb2312\|windows-1256\|utf-8>?in=header\|meta\|none` | an HTML page in that charset, declared in `Content-Type`, `<meta charset>` or nowhere | checks read text in its charset |
//! | `GET /xml` | an Atom feed (default namespace Atom, `dc:` elements) | `assert_xpath` with namespace prefixes |
//! | `GET /_stressor/stats` | `{"requests": N}`, requests handled since start (this one included) | benchmarks compare it with the client's own count |
//! | `GET /_stressor/latency` | `{"count", "p50_us", "p90_us", "p99_us", "max_us"}`: the server's own time per request (routing to response ready) since start or the last `DELETE /_stressor/latency` (204); `/_stressor/` requests are not counted | benchmarks tell what latency the client added |
//!
//! Request bodies are limited to 16 MiB (413 beyond). Specific routes answer other methods with 405.
//!
//! # Use
//!
//! Tests start a server on an ephemeral port with [`TargetServer::start`] (inside a tokio runtime)
//! or [`TargetServer::start_in_thread`] (anywhere), and point scenarios at [`TargetServer::url`].

mod codec;
mod content;
mod docroot;
mod echo;
mod files;
mod forms;
mod routes;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use docroot::DocRoot;
use routes::AppState;

/// How long in-flight requests may take to finish once shutdown starts; a pending `/slow?s=60`
/// must not hold up a test run.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Where and what the target server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetConfig {
    /// Directory of static documents; `None` serves the demo documents embedded in the binary.
    pub root: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (see [`TargetServer::addr`]).
    pub addr: SocketAddr,
}

impl Default for TargetConfig {
    fn default() -> Self {
        TargetConfig {
            root: None,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

/// Why the target server could not start.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The listening socket could not be opened (address in use, no permission, ...).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address from the configuration.
        addr: SocketAddr,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The configured root directory does not exist.
    #[error("root directory {} does not exist", path.display())]
    RootMissing {
        /// The configured root.
        path: PathBuf,
    },
    /// The configured root exists but is not a directory.
    #[error("root {} is not a directory", path.display())]
    RootNotDirectory {
        /// The configured root.
        path: PathBuf,
    },
    /// The configured root could not be inspected (for example, no permission).
    #[error("cannot read root directory {}: {source}", path.display())]
    RootUnreadable {
        /// The configured root.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The background thread or its runtime could not be started ([`TargetServer::start_in_thread`]).
    #[error("cannot start the target server thread: {0}")]
    Thread(io::Error),
}

/// A running target server. It stops when [`shutdown`](TargetServer::shutdown) is awaited or when
/// it is dropped.
#[derive(Debug)]
pub struct TargetServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: Option<watch::Sender<bool>>,
    done: Option<oneshot::Receiver<()>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl TargetServer {
    /// Binds `config.addr` and serves on the current tokio runtime.
    ///
    /// Fails if the root is not an existing directory or the address cannot be bound; the server is
    /// accepting connections when this returns.
    pub async fn start(config: TargetConfig) -> Result<TargetServer, TargetError> {
        let state = Arc::new(AppState::new(doc_root(config.root)?));
        let listener = bind(config.addr).await?;
        let addr = local_addr(&listener, config.addr)?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = oneshot::channel();
        let app = routes::router(state.clone());
        tokio::spawn(async move {
            serve(listener, app, stop_rx).await;
            let _ = done_tx.send(());
        });
        Ok(TargetServer {
            addr,
            state,
            stop: Some(stop_tx),
            done: Some(done_rx),
        })
    }

    /// Like [`start`](TargetServer::start), but on its own multi-threaded runtime in a background
    /// thread, for synchronous callers (the `cargo test` harness, sync tests). Can be called from
    /// inside a runtime too.
    pub fn start_in_thread(config: TargetConfig) -> Result<TargetServer, TargetError> {
        let state = Arc::new(AppState::new(doc_root(config.root)?));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = oneshot::channel();
        let app = routes::router(state.clone());
        let wanted = config.addr;
        std::thread::Builder::new()
            .name("stressor-target".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .thread_name("stressor-target")
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(TargetError::Thread(err)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let bound = match bind(wanted).await {
                        Ok(listener) => local_addr(&listener, wanted).map(|addr| (listener, addr)),
                        Err(err) => Err(err),
                    };
                    match bound {
                        Ok((listener, addr)) => {
                            let _ = ready_tx.send(Ok(addr));
                            serve(listener, app, stop_rx).await;
                        }
                        Err(err) => {
                            let _ = ready_tx.send(Err(err));
                        }
                    }
                });
                // Connection tasks still running after the grace period are cut off here.
                runtime.shutdown_timeout(Duration::from_secs(1));
                let _ = done_tx.send(());
            })
            .map_err(TargetError::Thread)?;
        let addr = ready_rx
            .recv()
            .map_err(|_| TargetError::Thread(io::Error::other("the server thread exited before binding")))??;
        Ok(TargetServer {
            addr,
            state,
            stop: Some(stop_tx),
            done: Some(done_rx),
        })
    }

    /// The server's routes without a listener, for serving them some other way (over TLS in
    /// stressor's own tests, say). Fails as [`start`](TargetServer::start) does for a bad root.
    pub fn app(config: TargetConfig) -> Result<Router, TargetError> {
        Ok(routes::router(Arc::new(AppState::new(doc_root(config.root)?))))
    }

    /// The address the server listens on (with the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:8082`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests handled since start; the same counter `/_stressor/stats` reports.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Stops accepting connections, lets in-flight requests finish (up to a few seconds) and returns
    /// once the listening socket is closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for TargetServer {
    fn drop(&mut self) {
        // Dropping the sender alone would also stop the server; sending says so explicitly.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

fn doc_root(root: Option<PathBuf>) -> Result<DocRoot, TargetError> {
    let Some(path) = root else {
        return Ok(DocRoot::Embedded);
    };
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(DocRoot::Dir(path)),
        Ok(_) => Err(TargetError::RootNotDirectory { path }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Err(TargetError::RootMissing { path }),
        Err(source) => Err(TargetError::RootUnreadable { path, source }),
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, TargetError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| TargetError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, addr: SocketAddr) -> Result<SocketAddr, TargetError> {
    listener
        .local_addr()
        .map_err(|source| TargetError::Bind { addr, source })
}

/// Serves until `stop` fires (or its sender is dropped), then drains for at most [`SHUTDOWN_GRACE`].
async fn serve(listener: TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    let mut deadline_stop = stop.clone();
    // Small request/response exchanges must not wait for Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let graceful = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop.changed().await;
    });
    let deadline = async move {
        let _ = deadline_stop.changed().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        _ = graceful.into_future() => {}
        () = deadline => {}
    }
}
