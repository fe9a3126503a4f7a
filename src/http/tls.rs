//! TLS for every transport (the `https` feature): the run's rustls configurations.
//!
//! Building a TLS configuration loads the platform's root certificates, which is far too slow to do for
//! each of thousands of sessions; it is done once per run ([`TlsConfigs`]) and cloned into every
//! session's client (the lean transports share it, so TLS sessions are resumed across connections;
//! reqwest gets a copy). An activity with `verify: false` uses the second configuration, which accepts
//! any certificate.

#[cfg(feature = "https")]
pub use on::*;

#[cfg(not(feature = "https"))]
pub use off::*;

#[cfg(feature = "https")]
mod on {
    use crate::scenario::pem::{PemError, cert_chain, private_key};
    use crate::scenario::{ClientCert, Config, HttpVersion};
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use std::sync::Arc;

    /// The two TLS configurations of a run, shared by every session's connections (so TLS sessions are
    /// resumed across them), and the HTTP version they negotiate.
    #[derive(Clone)]
    pub struct TlsConfigs {
        verifying: Arc<rustls::ClientConfig>,
        insecure: Arc<rustls::ClientConfig>,
        pub(crate) http2: bool,
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
        #[error("cannot use the client certificate: {path}: {error}")]
        ClientCert {
            /// The file.
            path: std::path::PathBuf,
            /// What is wrong with it.
            error: PemError,
        },
        /// reqwest refused the configuration.
        #[error("cannot create the HTTP client: {0}")]
        Build(#[from] reqwest::Error),
    }

    impl TlsConfigs {
        /// Builds both configurations for `config`'s HTTP version and client certificate; fails only
        /// when the platform's certificate store cannot be read or the certificate cannot be used.
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
    fn client_cert(cert: &ClientCert) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), ClientError> {
        let chain = cert_chain(&cert.cert_pem).map_err(|error| ClientError::ClientCert {
            path: cert.cert_path.clone(),
            error,
        })?;
        let key = private_key(&cert.key_pem).map_err(|error| ClientError::ClientCert {
            path: cert.key_path.clone(),
            error,
        })?;
        Ok((chain, key))
    }

    /// Whether a failure was TLS's: a rustls error somewhere in its causes. hyper-rustls wraps it in an
    /// `io::Error`, which hyper-util wraps in another, and an `io::Error` does not give its payload as
    /// its source: the payload is followed instead.
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

    /// Accepts every server certificate (for `verify: false`); signatures are still checked so a
    /// broken handshake is still an error.
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
}

#[cfg(not(feature = "https"))]
mod off {
    use crate::scenario::Config;

    /// Why the HTTP clients could not be set up: without the `https` feature, they always can be.
    pub type ClientError = std::convert::Infallible;

    /// What every session's TLS clients are built from; without the `https` feature there is nothing
    /// to configure, and `https://` requests fail with an error that names the feature.
    #[derive(Clone, Debug)]
    pub struct TlsConfigs;

    impl TlsConfigs {
        /// Nothing to build without the `https` feature; never fails.
        pub fn new(_config: &Config) -> Result<Self, ClientError> {
            Ok(TlsConfigs)
        }
    }
}
