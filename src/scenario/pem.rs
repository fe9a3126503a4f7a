//! The PEM files of `config.client_cert` (the `https` feature): parsed when the file loads, so a file
//! that is not PEM is an error at the line that names it, and parsed the same way again when the run
//! builds its TLS configuration (`http::TlsConfigs`).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why a PEM file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    /// The certificate file is not PEM.
    #[error("not a PEM certificate chain ({0})")]
    NotCertificates(rustls::pki_types::pem::Error),
    /// The certificate file is PEM without a certificate in it.
    #[error("no `CERTIFICATE` block in it")]
    NoCertificate,
    /// The key file holds no private key that can be read.
    #[error("not a PEM private key ({0})")]
    NotAKey(rustls::pki_types::pem::Error),
}

/// The certificates of a PEM chain file: at least one.
pub fn cert_chain(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(PemError::NotCertificates)?;
    if certs.is_empty() {
        return Err(PemError::NoCertificate);
    }
    Ok(certs)
}

/// The private key of a PEM key file (PKCS#8, PKCS#1 or SEC1).
pub fn private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, PemError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(PemError::NotAKey)
}
