//! The OpenTelemetry SDK environment variables stressor reads: where to push
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`), with which headers
//! (`OTEL_EXPORTER_OTLP_HEADERS`, `..._METRICS_HEADERS`), how long to wait (`OTEL_EXPORTER_OTLP_TIMEOUT`),
//! how often (`OTEL_METRIC_EXPORT_INTERVAL`) and who is reporting (`OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_SERVICE_NAME`), read as the OpenTelemetry specification defines them.

use std::time::Duration;

/// How often metrics are pushed unless `OTEL_METRIC_EXPORT_INTERVAL` says otherwise. The SDKs'
/// default is 60 s; a load test lasts minutes, so every few seconds.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// How long one push may take (the SDKs' default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to push OTLP metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpConfig {
    /// The full URL posted to (`.../v1/metrics`).
    pub url: String,
    /// Extra request headers (authentication, tenant).
    pub headers: Vec<(String, String)>,
    /// How often.
    pub interval: Duration,
    /// How long one push may take.
    pub timeout: Duration,
}

/// A setting that cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {why}")]
pub struct EnvError {
    /// The flag or variable.
    pub name: String,
    /// What is wrong with it.
    pub why: String,
}

impl OtlpConfig {
    /// The configuration from `--otlp URL` (`flag`) and the environment (`env` looks a variable up);
    /// `None` when neither names an endpoint. `--otlp` and `OTEL_EXPORTER_OTLP_ENDPOINT` are base URLs
    /// (`/v1/metrics` is appended unless the path ends with it); `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`
    /// is used as it is, as the specification says.
    pub fn from_env(flag: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<OtlpConfig>, EnvError> {
        let nonempty = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let url = match (
            flag,
            nonempty("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"),
            nonempty("OTEL_EXPORTER_OTLP_ENDPOINT"),
        ) {
            (Some(flag), _, _) => signal_url("--otlp", flag)?,
            (None, Some(exact), _) => {
                check_url("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", &exact)?;
                exact
            }
            (None, None, Some(base)) => signal_url("OTEL_EXPORTER_OTLP_ENDPOINT", &base)?,
            (None, None, None) => return Ok(None),
        };
        let mut headers = Vec::new();
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"] {
            if let Some(text) = nonempty(name) {
                for (k, v) in pairs(name, &text)? {
                    headers.retain(|(have, _): &(String, String)| !have.eq_ignore_ascii_case(&k));
                    headers.push((k, v));
                }
            }
        }
        let millis = |name: &str, default: Duration| -> Result<Duration, EnvError> {
            match nonempty(name) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms > 0)
                    .map(Duration::from_millis)
                    .ok_or_else(|| EnvError {
                        name: name.into(),
                        why: format!("`{text}` is not a positive number of milliseconds"),
                    }),
            }
        };
        let timeout = match nonempty("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT") {
            Some(_) => millis("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", DEFAULT_TIMEOUT)?,
            None => millis("OTEL_EXPORTER_OTLP_TIMEOUT", DEFAULT_TIMEOUT)?,
        };
        Ok(Some(OtlpConfig {
            url,
            headers,
            interval: millis("OTEL_METRIC_EXPORT_INTERVAL", DEFAULT_INTERVAL)?,
            timeout,
        }))
    }
}

fn check_url(name: &str, text: &str) -> Result<url::Url, EnvError> {
    let url = url::Url::parse(text.trim()).map_err(|e| EnvError {
        name: name.into(),
        why: format!("`{text}` is not a URL: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(EnvError {
            name: name.into(),
            why: format!("`{text}` is not an http:// or https:// URL (stressor pushes OTLP over HTTP, protobuf)"),
        });
    }
    Ok(url)
}

/// A base URL with `/v1/metrics` appended (unless its path ends with it already).
fn signal_url(name: &str, text: &str) -> Result<String, EnvError> {
    let mut url = check_url(name, text)?;
    if !url.path().trim_end_matches('/').ends_with("/v1/metrics") {
        let path = format!("{}/v1/metrics", url.path().trim_end_matches('/'));
        url.set_path(&path);
    }
    Ok(url.to_string())
}

/// `k1=v1,k2=v2` with percent-encoded values (W3C Baggage without properties), as both
/// `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS` are written.
pub fn pairs(name: &str, text: &str) -> Result<Vec<(String, String)>, EnvError> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s.trim())
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((decode(k), decode(v))),
            _ => Err(EnvError {
                name: name.into(),
                why: format!("`{p}` is not `key=value`"),
            }),
        })
        .collect()
}

/// What the environment says about who reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvResource {
    /// `OTEL_SERVICE_NAME`.
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`, without a `service.name` when `OTEL_SERVICE_NAME` is set.
    pub attributes: Vec<(String, String)>,
}

/// `OTEL_RESOURCE_ATTRIBUTES` as pairs, and `OTEL_SERVICE_NAME` (which wins over a `service.name` in
/// them, as the specification says).
pub fn resource(env: &dyn Fn(&str) -> Option<String>) -> Result<EnvResource, EnvError> {
    let mut attributes = match env("OTEL_RESOURCE_ATTRIBUTES").filter(|t| !t.trim().is_empty()) {
        Some(text) => pairs("OTEL_RESOURCE_ATTRIBUTES", &text)?,
        None => Vec::new(),
    };
    let service = env("OTEL_SERVICE_NAME").filter(|s| !s.trim().is_empty());
    if service.is_some() {
        attributes.retain(|(k, _)| k != "service.name");
    }
    Ok(EnvResource {
        service_name: service,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn endpoints_as_the_specification_reads_them() {
        let none = env(&[]);
        assert_eq!(OtlpConfig::from_env(None, &none), Ok(None));
        let base = env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]);
        let c = OtlpConfig::from_env(None, &base).unwrap().unwrap();
        assert_eq!(c.url, "http://collector:4318/v1/metrics");
        assert_eq!((c.interval, c.timeout), (DEFAULT_INTERVAL, DEFAULT_TIMEOUT));
        let flag = OtlpConfig::from_env(Some("http://other:4318/otlp/"), &base)
            .unwrap()
            .unwrap();
        assert_eq!(flag.url, "http://other:4318/otlp/v1/metrics", "the flag wins");
        let exact = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/custom"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
        ]);
        let c = OtlpConfig::from_env(None, &exact).unwrap().unwrap();
        assert_eq!(
            (c.url.as_str(), c.interval),
            ("http://m:9/custom", Duration::from_secs(1))
        );
        let bad = env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "grpc://x:4317")]);
        assert!(OtlpConfig::from_env(None, &bad).unwrap_err().why.contains("http://"));
    }

    #[test]
    fn headers_and_attributes_are_percent_decoded_pairs() {
        let e = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Basic%20abc, X-Tenant=t1"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=ci,service.name=x,team=a%2Cb",
            ),
            ("OTEL_SERVICE_NAME", "load"),
        ]);
        let c = OtlpConfig::from_env(None, &e).unwrap().unwrap();
        assert_eq!(
            c.headers,
            [
                ("Authorization".into(), "Basic abc".into()),
                ("X-Tenant".into(), "t1".into())
            ]
        );
        let r = resource(&e).unwrap();
        assert_eq!(r.service_name.as_deref(), Some("load"));
        assert_eq!(
            r.attributes,
            [
                ("deployment.environment".into(), "ci".into()),
                ("team".into(), "a,b".into())
            ]
        );
        assert!(pairs("X", "novalue").is_err());
    }
}
