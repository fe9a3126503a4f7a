//! A session's cookie jar: the client stores every hop's `Set-Cookie` in it and sends its cookies
//! with every hop, whichever transport carries them. A plugin's reqwest client
//! ([`PluginContext::http`](crate::activity::plugin::PluginContext::http)) shares it through reqwest's
//! `CookieStore` trait, so cookies flow between plugins and activities.
//!
//! It is the jar reqwest's own `cookie::Jar` is (a `cookie_store::CookieStore` behind a lock, cookies
//! that do not parse are skipped, no public-suffix list), kept here so that the client works without
//! reqwest in the build.

use super::error::{HttpError, HttpErrorKind};
use cookie_store::{CookieStore, RawCookie};
use http::HeaderValue;
use std::sync::{PoisonError, RwLock};
use url::Url;

/// Cookies of one session.
#[derive(Debug, Default)]
pub struct Jar(RwLock<CookieStore>);

impl Jar {
    /// Stores the cookies of `Set-Cookie` header values received from `url`.
    pub fn set_cookies<'h>(&self, headers: impl Iterator<Item = &'h HeaderValue>, url: &Url) {
        let cookies = headers.filter_map(|value| {
            let text = std::str::from_utf8(value.as_bytes()).ok()?;
            RawCookie::parse(text).ok().map(RawCookie::into_owned)
        });
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .store_response_cookies(cookies, url);
    }

    /// Puts cookies into the jar as if `url`'s server had set them: for its host only and every path
    /// (`Path=/`), without expiry. Fails, naming the cookie, for one that could not be sent back
    /// ([`cookie_fault`](crate::scenario::header_rules::cookie_fault)).
    pub fn add(&self, url: &Url, pairs: &[(String, String)]) -> Result<(), HttpError> {
        let mut cookies = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            if let Some(why) = crate::scenario::header_rules::cookie_fault(name, value) {
                return Err(HttpError::new(
                    HttpErrorKind::InvalidHeader,
                    format!("cookie not set: {why}"),
                ));
            }
            let mut cookie = RawCookie::new(name.clone(), value.clone());
            cookie.set_path("/");
            cookies.push(cookie);
        }
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .store_response_cookies(cookies.into_iter(), url);
        Ok(())
    }

    /// Empties the jar.
    pub fn clear(&self) {
        self.0.write().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// The `Cookie` header value to send to `url`, if any cookie matches.
    pub fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::new();
        for (name, value) in store.get_request_values(url) {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(name);
            text.push('=');
            text.push_str(value);
        }
        if text.is_empty() {
            return None;
        }
        HeaderValue::from_str(&text).ok()
    }
}

/// The `Cookie` header of a request that sets its own: its cookies first, as written, then the jar's
/// cookies of other names (for one name, the request's value wins, as in k6 and Python requests).
pub(crate) fn merge(own: &str, jar: Option<&HeaderValue>) -> String {
    let name = |pair: &str| pair.split_once('=').map_or(pair, |(n, _)| n).trim().to_owned();
    let mut out = own.trim().trim_end_matches(';').trim_end().to_owned();
    let Some(jar) = jar.and_then(|j| j.to_str().ok()) else {
        return out;
    };
    let own_names: Vec<String> = own.split(';').map(name).filter(|n| !n.is_empty()).collect();
    for pair in jar.split("; ") {
        if !own_names.contains(&name(pair)) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(pair);
        }
    }
    out
}

#[cfg(feature = "https")]
impl reqwest::cookie::CookieStore for Jar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        Jar::set_cookies(self, headers, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        Jar::cookies(self, url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_sent_back_to_their_origin_only() {
        let jar = Jar::default();
        let here = Url::parse("http://a.test/login").expect("url");
        let values = [
            HeaderValue::from_static("sid=1; Path=/"),
            HeaderValue::from_static("k=v"),
        ];
        jar.set_cookies(values.iter(), &here);
        let sent = jar
            .cookies(&Url::parse("http://a.test/x").expect("url"))
            .expect("cookies");
        let mut pairs: Vec<&str> = sent.to_str().expect("ascii").split("; ").collect();
        pairs.sort_unstable();
        assert_eq!(pairs, ["k=v", "sid=1"]);
        assert!(jar.cookies(&Url::parse("http://b.test/").expect("url")).is_none());
    }

    #[test]
    fn a_requests_own_cookie_wins_and_the_jars_others_follow() {
        let jar = HeaderValue::from_static("sid=1; ab=a");
        assert_eq!(merge("ab=b; x=2;", Some(&jar)), "ab=b; x=2; sid=1");
        assert_eq!(merge("ab=b", None), "ab=b");
        let jar = Jar::default();
        let here = Url::parse("http://a.test/deep/page").expect("url");
        jar.add(&here, &[("k".into(), "v".into())]).expect("a valid cookie");
        let sent = jar.cookies(&Url::parse("http://a.test/other").expect("url"));
        assert_eq!(sent.as_ref().map(|v| v.to_str().expect("ascii")), Some("k=v"));
        assert!(jar.add(&here, &[("k".into(), "1; evil=1".into())]).is_err());
        jar.clear();
        assert!(jar.cookies(&here).is_none());
    }

    #[test]
    fn values_that_are_not_cookies_are_skipped() {
        let jar = Jar::default();
        let here = Url::parse("http://a.test/").expect("url");
        jar.set_cookies([HeaderValue::from_static("=no name")].iter(), &here);
        assert!(jar.cookies(&here).is_none());
    }
}
