//! The `https` feature: `https://` URLs and `config.http_client: reqwest`, sent with reqwest over rustls.
//!
//! Building a TLS configuration loads the platform's root certificates, which is far too slow to do for
//! each of thousands of sessions; it is done once per run ([`TlsConfigs`]) and cloned into every
//! session's client. Retries are off (a load tool must see every failure) and redirects are followed.
//! An activity with `verify: false` gets a second client that accepts any certificate and shares the
//! session's cookie jar, so cookies flow between the two (and with the lean path).

use super::SessionState;
use super::body::BodySink;
use super::cookies::Jar;
use super::error::{ActivityError, ErrorClass};
use super::http::Prepared;
use crate::check::{Response, response_headers};
use crate::scenario::{ClientCert, Config, HttpVersion};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The two TLS configurations of a run, shared by every session's connections (so TLS sessions are
/// resumed across them), and the HTTP version they negotiate.
#[derive(Clone)]
pub struct TlsConfigs {
    verifying: Arc<rustls::ClientConfig>,
    insecure: Arc<rustls::ClientConfig>,
    http2: bool,
}

impl std::fmt::Debug for TlsConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfigs")
    }
}

/// Why the HTTP clients could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TLS could not be configured (the platform's certificate store cannot be read, or the client
    /// certificate does not suit its key).
    #[error("{0}")]
    Tls(#[from] rustls::Error),
    /// The client certificate files could not be parsed.
    #[error("cannot use the client certificate: {0}")]
    ClientCert(String),
    /// reqwest refused the configuration.
    #[error("cannot create the HTTP client: {0}")]
    Build(#[from] reqwest::Error),
}

impl TlsConfigs {
    /// Builds both configurations for `config`'s HTTP version and client certificate; fails only when
    /// the platform's certificate store cannot be read or the certificate cannot be used.
    pub fn new(config: &Config) -> Result<Self, ClientError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Arc::new(rustls_platform_verifier::Verifier::new(provider.clone())?);
        let http2 = config.http_version == HttpVersion::Http2;
        let build = |verifier: Arc<dyn ServerCertVerifier>| -> Result<Arc<rustls::ClientConfig>, ClientError> {
            let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()?
                .dangerous()
                .with_custom_certificate_verifier(verifier);
            let mut c = match &config.client_cert {
                Some(cert) => {
                    let (chain, key) = client_cert(cert)?;
                    builder.with_client_auth_cert(chain, key)?
                }
                None => builder.with_no_client_auth(),
            };
            // Only what stressor will speak: a server must not pick HTTP/2 for an HTTP/1.1 client.
            c.alpn_protocols = vec![if http2 { b"h2".to_vec() } else { b"http/1.1".to_vec() }];
            Ok(Arc::new(c))
        };
        Ok(TlsConfigs {
            verifying: build(verifier)?,
            insecure: build(Arc::new(AcceptAny(provider.clone())))?,
            http2,
        })
    }

    /// The configuration for certificates verified or not.
    pub fn config(&self, verify: bool) -> &Arc<rustls::ClientConfig> {
        if verify { &self.verifying } else { &self.insecure }
    }
}

/// The certificate chain and key of `config.client_cert`, parsed as the loader checked them.
fn client_cert(
    cert: &ClientCert,
) -> Result<(Vec<CertificateDer<'static>>, rustls::pki_types::PrivateKeyDer<'static>), ClientError> {
    let chain = cert_chain(&cert.cert_pem)
        .map_err(|e| ClientError::ClientCert(format!("{}: {e}", cert.cert_path.display())))?;
    let key =
        private_key(&cert.key_pem).map_err(|e| ClientError::ClientCert(format!("{}: {e}", cert.key_path.display())))?;
    Ok((chain, key))
}

/// The certificates of a PEM chain file: at least one.
pub(crate) fn cert_chain(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate chain ({e})"))?;
    if certs.is_empty() {
        return Err("no `CERTIFICATE` block in it".into());
    }
    Ok(certs)
}

/// The private key of a PEM key file (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn private_key(pem: &[u8]) -> Result<rustls::pki_types::PrivateKeyDer<'static>, String> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::PrivateKeyDer::from_pem_slice(pem).map_err(|e| format!("not a PEM private key ({e})"))
}

/// A session's reqwest clients, built on first use: the one that verifies certificates and the one that
/// does not.
#[derive(Debug)]
pub struct Clients {
    tls: TlsConfigs,
    keep_alive: bool,
    verifying: OnceLock<reqwest::Client>,
    insecure: OnceLock<reqwest::Client>,
}

impl Clients {
    /// No client yet; `tls` is what they will be built from.
    pub fn new(tls: TlsConfigs, keep_alive: bool) -> Self {
        Clients {
            tls,
            keep_alive,
            verifying: OnceLock::new(),
            insecure: OnceLock::new(),
        }
    }

    /// The client that verifies certificates, or the one that does not.
    pub fn get(&self, verify: bool, jar: &Arc<Jar>, user_agent: &str) -> Result<&reqwest::Client, ClientError> {
        let cell = if verify { &self.verifying } else { &self.insecure };
        if let Some(c) = cell.get() {
            return Ok(c);
        }
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(rustls::ClientConfig::clone(self.tls.config(verify)))
            .cookie_provider(jar.clone())
            .retry(reqwest::retry::never())
            .user_agent(user_agent);
        builder = if self.tls.http2 {
            builder.http2_prior_knowledge()
        } else {
            builder.http1_only()
        };
        if !self.keep_alive {
            builder = builder.pool_max_idle_per_host(0);
        }
        let client = builder.build()?;
        Ok(cell.get_or_init(|| client))
    }
}

/// Sends a request with reqwest and reads the response, keeping as much of the body as
/// `p.body_limit` allows.
pub(super) async fn send(p: Prepared, state: &SessionState) -> Result<Response, ActivityError> {
    let client = state
        .client
        .reqwest(p.verify)
        .map_err(|e| ActivityError::new(ErrorClass::Connect, e.to_string()))?;
    let head_request = p.method == reqwest::Method::HEAD;
    let mut builder = client.request(p.method, p.url.clone());
    if !p.params.is_empty() {
        builder = builder.query(&p.params);
    }
    for (name, value) in &p.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some((body, content_type)) = p.body {
        if let Some(ct) =
            content_type.filter(|_| !p.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")))
        {
            builder = builder.header("Content-Type", ct);
        }
        builder = builder.body(body);
    }
    if let Some((user, password)) = p.auth {
        builder = builder.basic_auth(user, password);
    }
    if let Some(t) = p.timeout {
        builder = builder.timeout(t);
    }
    let started = Instant::now();
    let mut resp = builder.send().await.map_err(|e| transport_error(&e, p.timeout))?;
    let status = resp.status().as_u16();
    strict_framing(&resp, head_request)?;
    let url = resp.url().to_string();
    let headers = response_headers(resp.headers());
    // The declared length is checked before any of the body is read; hyper has checked its syntax.
    if let Some(length) = resp.content_length() {
        p.body_limit.check_length(length).map_err(|t| t.error())?;
    }
    let capacity = usize::try_from(resp.content_length().unwrap_or(0)).unwrap_or(usize::MAX);
    let mut body = BodySink::new(p.body_limit, capacity);
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e, p.timeout))? {
        body.push(&chunk).map_err(|t| t.error())?;
    }
    let (body, received) = body.finish();
    Ok(Response::new(url, status, headers, body, started.elapsed()).with_received(received))
}

/// The framing rule the lean path enforces and hyper does not: a response with a body whose head has
/// both `Transfer-Encoding` and `Content-Length` is invalid (`lean::framing`).
fn strict_framing(resp: &reqwest::Response, head_request: bool) -> Result<(), ActivityError> {
    let h = resp.headers();
    super::lean::framing::check_hyper_head(
        resp.status().as_u16(),
        head_request,
        resp.version() == reqwest::Version::HTTP_10,
        h.contains_key(reqwest::header::TRANSFER_ENCODING),
        h.contains_key(reqwest::header::CONTENT_LENGTH),
    )
    .map_err(|why| {
        ActivityError::new(
            ErrorClass::Connect,
            format!(
                "error reading a response from {}: invalid HTTP response: {why}",
                resp.url()
            ),
        )
    })
}

/// Classifies a transport failure and describes it with its root cause (reqwest's own message alone
/// says little: "error sending request").
pub fn transport_error(err: &reqwest::Error, timeout: Option<Duration>) -> ActivityError {
    let message = super::error::with_causes(err);
    if err.is_timeout() {
        let limit = timeout
            .map(|t| format!(" (timeout {})", crate::scenario::duration::format_duration(t)))
            .unwrap_or_default();
        return ActivityError::new(ErrorClass::Timeout, format!("request timed out{limit}: {message}"));
    }
    let class = if is_tls(err) {
        ErrorClass::Tls
    } else {
        ErrorClass::Connect
    };
    ActivityError::new(class, message)
}

/// Whether a failure was the TLS handshake's: a rustls error somewhere in its causes. hyper-rustls
/// wraps it in an `io::Error`, which hyper-util wraps in another, and an `io::Error` does not give its
/// payload as its source: the payload is followed instead.
pub fn is_tls(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if e.is::<rustls::Error>() {
            return true;
        }
        cause = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

/// Accepts every server certificate (for `verify: false`); signatures are still checked so a broken
/// handshake is still an error.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
