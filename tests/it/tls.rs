//! HTTPS on both client paths, against a TLS server (rustls) in front of the built-in target's routes,
//! with certificates made for the run: a CA, a server certificate for `127.0.0.1` and a client
//! certificate. The server counts the connections it accepted and records the HTTP version of every
//! request, so keep-alive, `keep_alive: false` and HTTP/2 are seen from the server's side.
#![cfg(feature = "https")]

use crate::common;

use common::run::{counts, error_messages};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stressor::run::{RunOptions, RunReport, run};
use stressor::scenario::{LoadOptions, load_str};
use stressor::target::{TargetConfig, TargetServer};
use tower::Service;

const CLIENTS: [&str; 2] = ["lean", "reqwest"];

/// The certificates of one test.
struct Pki {
    ca: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
    /// Holds `client.pem` and `client.key`, and the scenario file names them relative to it.
    dir: tempfile::TempDir,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "stressor test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("CA");
    let server_key = KeyPair::generate().expect("key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("params")
        .signed_by(&server_key, &ca)
        .expect("server certificate");
    let client_key = KeyPair::generate().expect("key");
    let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    client_params
        .distinguished_name
        .push(DnType::CommonName, "stressor client");
    let client = client_params.signed_by(&client_key, &ca).expect("client certificate");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("client.pem"), client.pem()).expect("write");
    std::fs::write(dir.path().join("client.key"), client_key.serialize_pem()).expect("write");
    Pki {
        ca: ca.der().clone(),
        server_chain: vec![server.der().clone()],
        server_key: server_key.serialize_der(),
        dir,
    }
}

/// What the server saw.
#[derive(Clone, Default)]
struct Seen {
    connections: Arc<AtomicU64>,
    versions: Arc<Mutex<Vec<String>>>,
}

impl Seen {
    fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    fn versions(&self) -> Vec<String> {
        self.versions.lock().expect("lock").clone()
    }
}

/// Serves the target's routes over TLS (HTTP/1.1 and HTTP/2 by ALPN) on an ephemeral port; with
/// `client_auth`, only clients with a certificate from the test CA are accepted.
async fn tls_server(pki: &Pki, client_auth: bool) -> (String, Seen) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.clone()).expect("CA");
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .expect("verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone()));
    let mut config = builder
        .with_single_cert(pki.server_chain.clone(), key)
        .expect("server config");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let app = TargetServer::app(TargetConfig::default()).expect("routes");
    let seen = Seen::default();
    let counted = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.connections.fetch_add(1, Ordering::SeqCst);
            let (acceptor, app, seen) = (acceptor.clone(), app.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    seen.versions.lock().expect("lock").push(format!("{:?}", req.version()));
                    let mut app = app.clone();
                    async move { app.call(req).await }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (url, seen)
}

/// A TLS server that offers `alpn` (none: it ignores the client's offer) and serves nothing: it
/// counts the bytes a client sends after the handshake, until the client closes or a second passed.
async fn alpn_server(pki: &Pki, alpn: &[&[u8]]) -> (String, Arc<AtomicU64>) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(pki.server_chain.clone(), key)
        .expect("server config");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let received = Arc::new(AtomicU64::new(0));
    let counted = received.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, counted) = (acceptor.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 1024];
                let read = async {
                    while let Ok(n @ 1..) = tokio::io::AsyncReadExt::read(&mut tls, &mut buf).await {
                        counted.fetch_add(n as u64, Ordering::SeqCst);
                    }
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), read).await;
            });
        }
    });
    (url, received)
}

/// A scenario with one session running `activities` once against `base`.
fn scenario(base: &str, config: &str, activities: &str) -> String {
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: {base}\n  request_timeout: 5s\n{config}sessions:\n  count: 1\n  verify_ssl: false\nscenario:\n  - sequence: main\nsequences:\n  main:\n{activities}"
    )
}

/// Loads the text as `dir/test.yaml` (so relative file names resolve in `dir`) and runs it.
async fn run_in(dir: &Path, text: &str) -> RunReport {
    let loaded = load_str(&dir.join("test.yaml"), text.to_owned(), &LoadOptions::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let scenario = loaded.scenario.expect("valid scenario");
    run(Arc::new(scenario), Arc::new(loaded.sources), RunOptions::default())
        .await
        .expect("run")
}

fn client(name: &str) -> String {
    format!("  http_client: {name}\n")
}

/// What the HTTP tests of `tests/http_clients.rs` check on the wire, over TLS: query, headers, a JSON
/// body, basic auth, cookies and redirects.
const WIRE: &str = r#"    - activity: GetRequest
      url: /echo/a
      params: {q: 1}
      assert_json: {path: /echo/a, query: {q: "1"}, headers.host: "127[.]0[.]0[.]1:[0-9]+"}
    - activity: PostRequest
      url: /echo
      json: {a: [1, 2]}
      auth: [bob, pw]
      assert_json: {method: POST, json: {a: [1, 2]}, headers.authorization: "Basic Ym9iOnB3"}
    - activity: GetRequest
      url: /cookies/set?flavour=oat
    - activity: GetRequest
      url: /cookies
      assert_json: {flavour: oat}
    - activity: GetRequest
      url: /redirect/2
      assert_json: {path: /echo, headers.referer: ".*/redirect/0"}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_verify_off_both_paths_speak_https_on_one_kept_connection() {
    let pki = pki();
    for name in CLIENTS {
        let (url, seen) = tls_server(&pki, false).await;
        let report = run_in(pki.dir.path(), &scenario(&url, &client(name), WIRE)).await;
        assert_eq!(error_messages(&report), Vec::<(String, String)>::new(), "{name}");
        for i in 0..5 {
            assert_eq!(counts(&report, "main", i), (1, 0), "{name}: activity {i}");
        }
        // Eight requests (three redirects) on one connection, all HTTP/1.1 by ALPN.
        let versions = seen.versions();
        assert_eq!(versions.len(), 8, "{name}: {versions:?}");
        assert!(versions.iter().all(|v| v == "HTTP/1.1"), "{name}: {versions:?}");
        assert_eq!(seen.connections(), 1, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_verify_on_a_certificate_from_an_unknown_ca_is_a_tls_error() {
    let pki = pki();
    let (url, _) = tls_server(&pki, false).await;
    let activities = "    - activity: GetRequest\n      url: /echo\n      verify: true\n";
    for name in CLIENTS {
        let report = run_in(pki.dir.path(), &scenario(&url, &client(name), activities)).await;
        let errors = error_messages(&report);
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert_eq!(errors[0].0, "tls", "{name}: {errors:?}");
        assert!(errors[0].1.contains("UnknownIssuer"), "{name}: {}", errors[0].1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keep_alive_every_request_opens_a_connection() {
    let pki = pki();
    let activities = "    - activity: GetRequest\n      url: /echo\n".repeat(4);
    for name in CLIENTS {
        let (url, seen) = tls_server(&pki, false).await;
        let config = format!("{}  keep_alive: false\n", client(name));
        let report = run_in(pki.dir.path(), &scenario(&url, &config, &activities)).await;
        assert_eq!(error_messages(&report), Vec::<(String, String)>::new(), "{name}");
        assert_eq!(seen.connections(), 4, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_is_presented_and_its_absence_is_a_tls_error() {
    let pki = pki();
    let activities = "    - activity: GetRequest\n      url: /echo\n";
    for name in CLIENTS {
        let (url, _) = tls_server(&pki, true).await;
        let with_cert = format!("{}  client_cert: {{cert: client.pem, key: client.key}}\n", client(name));
        let report = run_in(pki.dir.path(), &scenario(&url, &with_cert, activities)).await;
        assert_eq!(error_messages(&report), Vec::<(String, String)>::new(), "{name}");

        let report = run_in(pki.dir.path(), &scenario(&url, &client(name), activities)).await;
        let errors = error_messages(&report);
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert_eq!(errors[0].0, "tls", "{name}: {errors:?}");
        assert!(errors[0].1.contains("CertificateRequired"), "{name}: {}", errors[0].1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_multiplexes_static_requests_on_one_connection() {
    let pki = pki();
    let statics = "    - activity: StaticRequests\n      thread_count: 4\n      url_list: [/slow?s=0.4, /slow?s=0.4, /slow?s=0.4, /slow?s=0.4]\n";
    // HTTP/2 names the host in `:authority`, which the target's echo does not list as a header.
    let wire = WIRE.replace(r#", headers.host: "127[.]0[.]0[.]1:[0-9]+""#, "");
    let activities = format!("{statics}{wire}");
    for name in CLIENTS {
        let (url, seen) = tls_server(&pki, false).await;
        let config = format!("{}  http_version: 2\n", client(name));
        let started = Instant::now();
        let report = run_in(pki.dir.path(), &scenario(&url, &config, &activities)).await;
        let took = started.elapsed();
        assert_eq!(error_messages(&report), Vec::<(String, String)>::new(), "{name}");
        let versions = seen.versions();
        assert_eq!(versions.len(), 12, "{name}: {versions:?}");
        assert!(versions.iter().all(|v| v == "HTTP/2.0"), "{name}: {versions:?}");
        // Four slow requests at once on one connection: together, not one after the other.
        assert_eq!(seen.connections(), 1, "{name}");
        assert!(took < Duration::from_millis(1500), "{name}: {took:?}");
    }
}

#[test]
fn transport_settings_are_checked_when_the_file_loads() {
    let pki = pki();
    let text = scenario(
        "https://127.0.0.1:1",
        "  http_version: 3\n  keep_alive: sometimes\n  client_cert: {cert: missing.pem, key: client.key}\n",
        "    - activity: GetRequest\n      url: /\n",
    );
    let loaded = load_str(&pki.dir.path().join("test.yaml"), text, &LoadOptions::default());
    let shown = loaded.render(false);
    assert!(
        shown.contains("test.yaml:5:17: error: `http_version` must be `1.1` or `2`, found `3`"),
        "{shown}"
    );
    assert!(shown.contains("test.yaml:6:15: error:"), "{shown}");
    assert!(
        shown.contains("test.yaml:7:23: error: cannot use `client_cert.cert`"),
        "{shown}"
    );

    std::fs::write(pki.dir.path().join("bad.pem"), "not a certificate").expect("write");
    let text = scenario(
        "https://127.0.0.1:1",
        "  client_cert: {cert: bad.pem, key: client.key}\n",
        "    - activity: GetRequest\n      url: /\n",
    );
    let loaded = load_str(&pki.dir.path().join("test.yaml"), text, &LoadOptions::default());
    let shown = loaded.render(false);
    assert!(shown.contains("no `CERTIFICATE` block in it"), "{shown}");
}

/// RFC 9113 §3.3: over TLS, HTTP/2 is what ALPN agreed on. A server that ignores the offer (and so
/// picks nothing) gets no HTTP/2 preface; one that refuses it (rustls answers "no application
/// protocol") fails the handshake; both are `tls` errors that say HTTP/2 was not agreed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_not_spoken_to_a_server_that_did_not_agree_to_it_by_alpn() {
    let pki = pki();
    let activities = "    - activity: GetRequest\n      url: /echo\n";
    let config = "  http_version: 2\n";
    for (alpn, expected) in [
        (&[][..], "the server did not agree to HTTP/2 (ALPN: none)"),
        (&[&b"http/1.1"[..]][..], "the server did not agree to HTTP/2"),
    ] {
        let (url, received) = alpn_server(&pki, alpn).await;
        let report = run_in(pki.dir.path(), &scenario(&url, config, activities)).await;
        let errors = error_messages(&report);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, "tls", "{errors:?}");
        assert!(errors[0].1.contains(expected), "{}", errors[0].1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(received.load(Ordering::SeqCst), 0, "nothing is sent: {alpn:?}");
    }
}

/// A server that requires a client certificate says so (TLS 1.3) with an alert after the handshake,
/// which the HTTP/2 connection reads: a `tls` error, as on HTTP/1.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http2_a_missing_client_certificate_is_a_tls_error() {
    let pki = pki();
    let (url, _) = tls_server(&pki, true).await;
    let activities = "    - activity: GetRequest\n      url: /echo\n";
    let report = run_in(pki.dir.path(), &scenario(&url, "  http_version: 2\n", activities)).await;
    let errors = error_messages(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "tls", "{errors:?}");
    assert!(errors[0].1.contains("CertificateRequired"), "{}", errors[0].1);
}
