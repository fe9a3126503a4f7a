//! The transport settings of `config`: `keep_alive`, `http_version`, `client_cert`, `trace_context`,
//! `follow_redirects` and `max_redirects`.

use super::Validator;
use super::reader::Fields;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::macros::resolve_in_root;
use crate::scenario::model::{ClientCert, Config, HttpVersion, TraceContextConfig};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::source::Span;
use std::path::{Path, PathBuf};

/// Reads the transport keys of `config` (taking them out of `f`) into `config`.
pub(super) fn read(v: &mut Validator, f: &mut Fields, config: &mut Config) {
    if let Some(n) = f.take_some("keep_alive")
        && let Some(on) = v.check().bool(n, "keep_alive")
    {
        config.keep_alive = on;
    }
    if let Some(n) = f.take_some("http_version") {
        http_version(v, n, config);
    }
    if let Some(n) = f.take_some("client_cert") {
        if cfg!(feature = "https") {
            config.client_cert = client_cert(v, n);
        } else {
            v.diags
                .push(super::feature_missing(n.span, "`client_cert` (mutual TLS)", "https"));
        }
    }
    if let Some(n) = f.take_some("trace_context") {
        config.trace_context = trace_context(v, n);
    }
    super::request_extras::config_redirects(v, f, &mut config.redirects);
}

const TRACE_HELP: &str =
    "write `trace_context: w3c`, or `trace_context: {format: w3c, sample: 10%}` to mark a share of the traces sampled";

/// `trace_context: w3c` or `{format: w3c, sample: 10%}` (`sample` also as a fraction, `0.1`).
fn trace_context(v: &mut Validator, n: &Node) -> Option<TraceContextConfig> {
    let format_ok = |v: &mut Validator, n: &Node| {
        let text = n.key_text();
        if text == "w3c" {
            return true;
        }
        v.diags
            .push(Diagnostic::error(n.span, format!("unknown trace context format `{text}`")).with_help(TRACE_HELP));
        false
    };
    if !matches!(n.kind, NodeKind::Map(_)) {
        return format_ok(v, n).then_some(TraceContextConfig { sample: 1.0 });
    }
    let mut f = Fields::of(n)?;
    let format = f.take_some("format");
    let sample = f.take_some("sample");
    f.finish(v.diags, "`trace_context`", &["format", "sample"]);
    match format {
        Some(format) if !format_ok(v, format) => return None,
        Some(_) => {}
        None => {
            v.diags
                .push(Diagnostic::error(n.span, "`trace_context` needs a `format`").with_help(TRACE_HELP));
            return None;
        }
    }
    let sample = match sample {
        None => 1.0,
        Some(s) => match share(s) {
            Some(share) => share,
            None => {
                v.diags.push(
                    Diagnostic::error(
                        s.span,
                        format!("`sample` must be a share between 0% and 100%, found `{}`", s.key_text()),
                    )
                    .with_help(TRACE_HELP),
                );
                return None;
            }
        },
    };
    Some(TraceContextConfig { sample })
}

/// `10%` or `0.1` as 0.1; `None` outside 0..=1.
fn share(n: &Node) -> Option<f64> {
    let value = match &n.kind {
        NodeKind::Int(i) => *i as f64,
        NodeKind::Float(f) => *f,
        NodeKind::Str(s) => s.trim().strip_suffix('%')?.trim().parse::<f64>().ok()? / 100.0,
        _ => return None,
    };
    (0.0..=1.0).contains(&value).then_some(value)
}

fn http_version(v: &mut Validator, n: &Node, config: &mut Config) {
    let text = n.key_text();
    let version = match text.as_str() {
        "1.1" | "1" => HttpVersion::Http1,
        "2" | "2.0" => HttpVersion::Http2,
        _ => {
            v.diags.push(
                Diagnostic::error(n.span, format!("`http_version` must be `1.1` or `2`, found `{text}`")).with_help(
                    "`1.1` (the default) or `2` (HTTP/2: ALPN `h2` over TLS, prior knowledge over `http://`)",
                ),
            );
            return;
        }
    };
    if version == HttpVersion::Http2 && !cfg!(feature = "https") {
        v.diags
            .push(super::feature_missing(n.span, "`http_version: 2`", "https"));
        return;
    }
    config.http_version = version;
}

/// `client_cert: {cert: FILE, key: FILE}`: both files are read and parsed now, so a wrong path or a
/// file that is not PEM is an error at the line that names it.
fn client_cert(v: &mut Validator, n: &Node) -> Option<ClientCert> {
    const HELP: &str = "write `client_cert: {cert: client.pem, key: client.key}` (PEM files, relative to this file)";
    let Some(mut f) = Fields::of(n) else {
        v.diags.push(
            Diagnostic::error(
                n.span,
                format!("`client_cert` must be a mapping, found {}", n.type_name()),
            )
            .with_help(HELP),
        );
        return None;
    };
    let cert = f.take_some("cert");
    let key = f.take_some("key");
    for (k, _) in f.rest() {
        v.diags.push(
            Diagnostic::error(k.span, format!("unknown key `{}` in `client_cert`", k.key_text()))
                .with_help("`client_cert` takes `cert` and `key`"),
        );
    }
    let (Some(cert), Some(key)) = (cert, key) else {
        v.diags
            .push(Diagnostic::error(n.span, "`client_cert` needs both `cert` and `key`").with_help(HELP));
        return None;
    };
    let (cert_path, cert_pem) = read_file(v, cert, "cert")?;
    let (key_path, key_pem) = read_file(v, key, "key")?;
    if let Err(why) = pem::check_cert(&cert_pem) {
        v.diags.push(pem_error(cert.span, &cert_path, &why));
        return None;
    }
    if let Err(why) = pem::check_key(&key_pem) {
        v.diags.push(pem_error(key.span, &key_path, &why));
        return None;
    }
    Some(ClientCert {
        cert_path,
        key_path,
        cert_pem,
        key_pem,
    })
}

fn pem_error(span: Span, path: &Path, why: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic::error(span, format!("cannot use `{}`: {why}", path.display()))
        .with_help("export the certificate chain and the private key as PEM (`-----BEGIN CERTIFICATE-----`, `-----BEGIN PRIVATE KEY-----`)")
}

fn read_file(v: &mut Validator, n: &Node, key: &str) -> Option<(PathBuf, Vec<u8>)> {
    let NodeKind::Str(rel) = &n.kind else {
        v.diags.push(Diagnostic::error(
            n.span,
            format!("`client_cert.{key}` must be a file name, found {}", n.type_name()),
        ));
        return None;
    };
    let base = v.folder_of(n.span.file);
    let path = match resolve_in_root(&base, rel, v.root) {
        Ok(path) => path,
        Err(why) => {
            v.diags.push(Diagnostic::error(
                n.span,
                format!("cannot use `client_cert.{key}`: {why}"),
            ));
            return None;
        }
    };
    match std::fs::read(&path) {
        Ok(bytes) => Some((path, bytes)),
        Err(e) => {
            v.diags.push(Diagnostic::error(
                n.span,
                format!("cannot read `{}`: {e}", path.display()),
            ));
            None
        }
    }
}

/// The same parsing the run's TLS set-up does with the files (`scenario::pem`).
#[cfg(feature = "https")]
mod pem {
    use crate::scenario::pem::{PemError, cert_chain, private_key};

    pub(super) fn check_cert(pem: &[u8]) -> Result<(), PemError> {
        cert_chain(pem).map(drop)
    }

    pub(super) fn check_key(pem: &[u8]) -> Result<(), PemError> {
        private_key(pem).map(drop)
    }
}

#[cfg(not(feature = "https"))]
mod pem {
    // Unreachable: without the `https` feature `client_cert` is refused before its files are read.
    pub(super) fn check_cert(_: &[u8]) -> Result<(), std::convert::Infallible> {
        Ok(())
    }
    pub(super) fn check_key(_: &[u8]) -> Result<(), std::convert::Infallible> {
        Ok(())
    }
}
