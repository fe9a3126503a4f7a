//! HTTP clients: one per session (its own cookie jar), all built from one shared TLS configuration.
//!
//! Building a TLS configuration loads the platform's root certificates, which is far too slow to do for
//! each of thousands of sessions; it is done once per run ([`TlsConfigs`]) and cloned into every
//! session's client. Retries are off (a load tool must see every failure) and redirects are followed.
//! An activity with `verify: false` gets a second client that accepts any certificate and shares the
//! session's cookie jar, so cookies flow between the two.

use super::lean::{LeanClient, LeanPool};
use crate::scenario::HttpClientKind;
use reqwest::cookie::Jar;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, OnceLock};

/// The two TLS configurations of a run.
#[derive(Clone)]
pub struct TlsConfigs {
    verifying: rustls::ClientConfig,
    insecure: rustls::ClientConfig,
}

impl std::fmt::Debug for TlsConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfigs")
    }
}

/// Why the HTTP clients could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TLS could not be configured (the platform's certificate store cannot be read).
    #[error("{0}")]
    Tls(#[from] rustls::Error),
    /// reqwest refused the configuration.
    #[error("cannot create the HTTP client: {0}")]
    Build(#[from] reqwest::Error),
}

impl TlsConfigs {
    /// Builds both configurations; fails only when the platform's certificate store cannot be read.
    pub fn new() -> Result<Self, ClientError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder =
            rustls::ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
        let mut verifying = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let mut insecure = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth();
        for c in [&mut verifying, &mut insecure] {
            c.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        Ok(TlsConfigs { verifying, insecure })
    }
}

/// The clients of one session.
pub struct SessionClient {
    jar: Arc<Jar>,
    user_agent: String,
    tls: TlsConfigs,
    verifying: OnceLock<reqwest::Client>,
    insecure: OnceLock<reqwest::Client>,
    /// Keep-alive connections of the lean path; `None` when `config.http_client` is `reqwest`.
    lean: Option<LeanPool>,
}

impl SessionClient {
    /// Clients for a session; built on first use.
    pub fn new(tls: TlsConfigs, user_agent: String, kind: HttpClientKind) -> Self {
        SessionClient {
            jar: Arc::new(Jar::default()),
            user_agent,
            tls,
            verifying: OnceLock::new(),
            insecure: OnceLock::new(),
            lean: (kind == HttpClientKind::Lean).then(LeanPool::default),
        }
    }

    /// The lean path's view of this session, when it uses the lean path.
    pub fn lean(&self) -> Option<LeanClient<'_>> {
        self.lean.as_ref().map(|pool| LeanClient {
            pool,
            jar: &self.jar,
            user_agent: &self.user_agent,
        })
    }

    /// The client that verifies certificates, or the one that does not.
    pub fn get(&self, verify: bool) -> Result<&reqwest::Client, ClientError> {
        let (cell, config) = if verify {
            (&self.verifying, &self.tls.verifying)
        } else {
            (&self.insecure, &self.tls.insecure)
        };
        if let Some(c) = cell.get() {
            return Ok(c);
        }
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config.clone())
            .cookie_provider(self.jar.clone())
            .retry(reqwest::retry::never())
            .user_agent(self.user_agent.clone())
            .build()?;
        Ok(cell.get_or_init(|| client))
    }
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
