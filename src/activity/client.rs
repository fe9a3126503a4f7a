//! The HTTP side of one session: its own cookie jar, the lean path's keep-alive connections and, with
//! the `https` feature, its reqwest clients (`activity::https`), all sharing the jar.

use super::cookies::Jar;
use super::lean::{LeanClient, LeanPool};
use crate::scenario::{Config, HttpClientKind};
use std::sync::Arc;

#[cfg(feature = "https")]
pub use super::https::{ClientError, TlsConfigs};

/// Why the HTTP clients could not be set up: without the `https` feature, they always can be.
#[cfg(not(feature = "https"))]
pub type ClientError = std::convert::Infallible;

/// What every session's TLS clients are built from; without the `https` feature there is nothing to
/// configure, and `https://` requests fail with an error that names the feature.
#[cfg(not(feature = "https"))]
#[derive(Clone, Debug)]
pub struct TlsConfigs;

#[cfg(not(feature = "https"))]
impl TlsConfigs {
    /// Nothing to build without the `https` feature; never fails.
    pub fn new(_config: &Config) -> Result<Self, ClientError> {
        Ok(TlsConfigs)
    }
}

/// The clients of one session.
pub struct SessionClient {
    jar: Arc<Jar>,
    user_agent: String,
    keep_alive: bool,
    tls: TlsConfigs,
    /// Keep-alive connections of the lean path; `None` when `config.http_client` is `reqwest`.
    lean: Option<LeanPool>,
    #[cfg(feature = "https")]
    reqwest: super::https::Clients,
    /// HTTP/2 connections of the lean path; `None` for HTTP/1.1.
    #[cfg(feature = "https")]
    h2: Option<super::lean::h2::H2Pool>,
}

impl SessionClient {
    /// Clients for a session of a scenario with `config`; built on first use. Requests go through the
    /// lean path (HTTP/1.1 or HTTP/2, plain or TLS) unless `http_client` says `reqwest`.
    pub fn new(tls: TlsConfigs, user_agent: String, config: &Config) -> Self {
        let lean = config.http_client == HttpClientKind::Lean;
        SessionClient {
            jar: Arc::new(Jar::default()),
            user_agent,
            keep_alive: config.keep_alive,
            lean: lean.then(LeanPool::default),
            #[cfg(feature = "https")]
            reqwest: super::https::Clients::new(tls.clone(), config.keep_alive),
            #[cfg(feature = "https")]
            h2: (config.http_version == crate::scenario::HttpVersion::Http2).then(Default::default),
            tls,
        }
    }

    /// The lean path's view of this session, when it uses the lean path.
    pub fn lean(&self) -> Option<LeanClient<'_>> {
        self.lean.as_ref().map(|pool| LeanClient {
            pool,
            jar: &self.jar,
            user_agent: &self.user_agent,
            keep_alive: self.keep_alive,
            tls: &self.tls,
            #[cfg(feature = "https")]
            h2: self.h2.as_ref(),
        })
    }

    /// The reqwest client that verifies certificates, or the one that does not.
    #[cfg(feature = "https")]
    pub fn reqwest(&self, verify: bool) -> Result<&reqwest::Client, ClientError> {
        self.reqwest.get(verify, &self.jar, &self.user_agent)
    }
}
