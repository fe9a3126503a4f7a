//! [`Client`]: one session's HTTP client. It owns what a request means, the same on every transport:
//! the header fields (`headers.rs`), redirects (`redirect.rs`), the cookie jar (`cookies.rs`), the
//! timeout over the whole exchange and the body limit (`body.rs`); the transport only carries hops.

use super::cookies::Jar;
use super::error::{HttpError, HttpErrorKind};
use super::headers::Hop;
use super::redirect;
use super::request::Request;
use super::tls::TlsConfigs;
use super::transport::{SessionTransport, h1::H1};
use crate::check::{Response, header_values};
use crate::scenario::{Config, HttpClientKind};
use http::HeaderValue;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// The HTTP client of one session: its cookie jar, its `User-Agent` and its transport's connections.
pub struct Client {
    jar: Arc<Jar>,
    user_agent: String,
    transport: SessionTransport,
    /// `http_client: reqwest` in a build without reqwest: every request fails, naming the feature.
    #[cfg(not(feature = "https"))]
    reqwest_missing: bool,
    /// The reqwest clients of plugins, built on first use.
    #[cfg(feature = "https")]
    plugin: super::transport::reqwest::Clients,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("user_agent", &self.user_agent).finish()
    }
}

impl Client {
    /// The client of a session of a scenario with `config`; connections are opened on first use.
    /// Requests go through the lean transports (HTTP/1.1, or HTTP/2 with `http_version: 2`; plain
    /// or TLS) unless `http_client` says `reqwest`.
    pub fn new(tls: TlsConfigs, user_agent: String, config: &Config) -> Self {
        let jar = Arc::new(Jar::default());
        let keep_alive = config.keep_alive;
        let transport = match config.http_client {
            #[cfg(feature = "https")]
            HttpClientKind::Reqwest => {
                SessionTransport::Reqwest(super::transport::reqwest::Reqwest::new(tls.clone(), keep_alive))
            }
            #[cfg(feature = "https")]
            HttpClientKind::Lean if config.http_version == crate::scenario::HttpVersion::Http2 => {
                SessionTransport::H2(super::transport::h2::H2::new(tls.clone(), keep_alive))
            }
            _ => SessionTransport::H1(H1::new(tls.clone(), keep_alive)),
        };
        Client {
            #[cfg(feature = "https")]
            plugin: super::transport::reqwest::Clients::new(tls, keep_alive, Some(jar.clone())),
            #[cfg(not(feature = "https"))]
            reqwest_missing: {
                let _ = tls;
                config.http_client == HttpClientKind::Reqwest
            },
            jar,
            user_agent,
            transport,
        }
    }

    /// Sends a request and reads the whole response, following redirects, within its timeout.
    pub async fn send(&self, request: Request) -> Result<Response, HttpError> {
        match request.timeout {
            None => self.follow(request).await,
            Some(t) => tokio::time::timeout(t, self.follow(request))
                .await
                .unwrap_or_else(|_| Err(timed_out(t))),
        }
    }

    /// The hops of one request: the first, and one per redirect followed.
    async fn follow(&self, mut p: Request) -> Result<Response, HttpError> {
        let started = Instant::now();
        // The URL after query parameters or a redirect changed it; until then `p.url` is used as it is.
        let mut changed: Option<Url> = None;
        if !p.params.is_empty() {
            let mut url = p.url.clone();
            url.query_pairs_mut().extend_pairs(&p.params);
            changed = Some(url);
        }
        let mut referer: Option<Url> = None;
        let mut followed: u32 = 0;
        loop {
            let url = changed.as_ref().unwrap_or(&p.url);
            self.speaks(url)?;
            let hop = Hop {
                request: &p,
                url,
                referer: referer.as_ref(),
                user_agent: &self.user_agent,
                jar: &self.jar,
            };
            let response = self.transport.exchange(&hop).await?;
            let cookies: Vec<HeaderValue> = header_values(&response.headers, "set-cookie")
                .filter_map(|v| HeaderValue::from_str(v).ok())
                .collect();
            if !cookies.is_empty() {
                self.jar.set_cookies(&mut cookies.iter(), url);
            }
            let location = header_values(&response.headers, "location").next();
            // Not following: the 3xx is the response, its `Set-Cookie` kept above as for any other.
            let next = if p.redirects.follow {
                redirect::target(response.status, location, url)
            } else {
                None
            };
            let Some((next, keep_body)) = next else {
                // Decoding (`Content-Encoding`, charsets) is the checks' work, lazily (`check::Response`).
                return Ok(Response::new(
                    url.as_str().to_owned(),
                    response.status,
                    response.headers,
                    response.body,
                    started.elapsed(),
                )
                .with_received(response.received)
                .with_redirects(followed));
            };
            if followed >= p.redirects.max {
                return Err(HttpError::new(
                    HttpErrorKind::TooManyRedirects,
                    format!(
                        "error following redirect for url ({url}): too many redirects: more than max_redirects ({}) to {next}; raise `max_redirects`, or check the redirect itself with `follow_redirects: false`",
                        p.redirects.max
                    ),
                ));
            }
            followed += 1;
            // `url` may be the request's own; a redirect is rare enough to copy it.
            let from = url.clone();
            referer = redirect::follow(&mut p, &from, &next, keep_body);
            changed = Some(next);
        }
    }

    /// Fails for a URL no transport of this build speaks: `http://` always, `https://` with the
    /// `https` feature.
    fn speaks(&self, url: &Url) -> Result<(), HttpError> {
        let unsupported = |what: String| HttpError::new(HttpErrorKind::Unsupported, what);
        #[cfg(not(feature = "https"))]
        if self.reqwest_missing {
            let what = format!("`{url}` with `http_client: reqwest`");
            return Err(unsupported(crate::features::missing(&what, "https")));
        }
        match url.scheme() {
            "http" => Ok(()),
            "https" if cfg!(feature = "https") => Ok(()),
            "https" => {
                let what = format!("`{url}` (an `https://` URL)");
                Err(unsupported(crate::features::missing(&what, "https")))
            }
            other => Err(unsupported(format!(
                "`{url}`: the URL scheme `{other}` is not supported (only `http` and `https`)"
            ))),
        }
    }

    /// A reqwest client for plugins: the one that verifies certificates, or the one that does not.
    /// It shares this client's cookie jar and follows redirects itself (reqwest's policy).
    #[cfg(feature = "https")]
    pub fn reqwest(&self, verify: bool) -> Result<&reqwest::Client, HttpError> {
        self.plugin
            .get(verify, &self.user_agent)
            .map_err(|e| HttpError::connect(e.to_string()))
    }
}

/// The error of a request whose timeout elapsed.
fn timed_out(t: Duration) -> HttpError {
    HttpError::new(
        HttpErrorKind::Timeout,
        format!(
            "request timed out (timeout {}): operation timed out",
            crate::scenario::duration::format_duration(t)
        ),
    )
}
