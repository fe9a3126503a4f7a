//! The HTTP client: one behaviour over three transports, the way hurl's runner uses its `http`
//! module without ever seeing curl.
//!
//! [`Client`] owns what a request means on the wire, once for every transport: the header fields
//! (`User-Agent`, `Accept`, `Host`, `Content-Type`, `Content-Length`, basic auth, `Referer`, cookies),
//! redirects and their cross-origin rules, the session's cookie [`Jar`], the timeout over the whole
//! exchange and the bound on a response body ([`BodyLimit`]). A transport only carries one hop (a
//! request without its redirects) and reads its response:
//!
//! | transport | when | module |
//! |---|---|---|
//! | lean HTTP/1.1 | `http_client: lean` (the default), `http_version: 1.1` | `transport/h1/` |
//! | lean HTTP/2 | `http_client: lean`, `http_version: 2` (the `https` feature) | `transport/h2.rs` |
//! | reqwest | `http_client: reqwest` (the `https` feature) | `transport/reqwest.rs` |
//!
//! reqwest's own redirects and cookie store are off, so they behave as on the lean transports. Every
//! failure is one [`HttpError`] whose [`HttpErrorKind`] says what failed; `activity` turns it into an
//! error class in one place.
//!
//! A request ([`Request`]) arrives fully expanded: `activity` resolves `$(var)`s and the URL against
//! `base_url` before it calls the client.

pub mod body;
mod client;
mod cookies;
mod error;
mod headers;
mod multipart;
mod redirect;
mod request;
mod tls;
pub(crate) mod transport;

pub use body::{BodyLimit, TooLarge};
pub use client::Client;
pub use cookies::Jar;
pub use error::{HttpError, HttpErrorKind, with_causes};
pub use multipart::Part;
pub use request::{Body, Request, join_url, method, parse_url};
pub use tls::{ClientError, TlsConfigs};
