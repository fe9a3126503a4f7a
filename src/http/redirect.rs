//! Following redirects, the same for every transport (reqwest's own following is off): unless the
//! request's [`RedirectPolicy`](crate::scenario::RedirectPolicy) says not to (then the 3xx is the
//! response), and at most its `max` (default 10; one more is a `TooManyRedirects` error); 301, 302 and 303 turn into a body-less GET (a HEAD stays a HEAD), 307 and 308
//! keep method and body; when the origin changes, credentials and cookies the request carried are
//! dropped (the jar's cookies for the new origin are sent as usual); `Referer` names the previous URL,
//! except from `https://` to `http://`. These are reqwest's rules (its `redirect::Policy::default()`),
//! which the reqwest path followed before the client took them over.

use super::request::Request;
use http::Method;
use url::Url;

/// Where a response redirects to, if it is a redirect that is followed: its `Location` resolved
/// against `url`, and whether method and body are kept.
pub(crate) fn target(status: u16, location: Option<&str>, url: &Url) -> Option<(Url, bool)> {
    let keep_body = match status {
        301..=303 => false,
        307 | 308 => true,
        _ => return None,
    };
    let next = url.join(location?).ok()?;
    Some((next, keep_body))
}

/// Rewrites the request for the hop from `from` to `to`; returns the `Referer` to send there.
pub(crate) fn follow(request: &mut Request, from: &Url, to: &Url, keep_body: bool) -> Option<Url> {
    if !keep_body {
        if request.method != Method::HEAD {
            request.method = Method::GET;
        }
        request.body = None;
        request.headers.retain(|(n, _)| !is_body_header(n));
    }
    let same_origin = to.scheme() == from.scheme()
        && to.host_str() == from.host_str()
        && to.port_or_known_default() == from.port_or_known_default();
    if !same_origin {
        request.auth = None;
        request.headers.retain(|(n, _)| !is_sensitive(n));
    }
    referer(from, to)
}

/// The `Referer` for a hop from `from` to `to`: `from` without credentials and fragment, and none
/// from `https://` to `http://` (which would leak an encrypted page's address in the clear).
fn referer(from: &Url, to: &Url) -> Option<Url> {
    if from.scheme() == "https" && to.scheme() == "http" {
        return None;
    }
    let mut r = from.clone();
    r.set_fragment(None);
    let _ = r.set_username("");
    let _ = r.set_password(None);
    Some(r)
}

fn is_body_header(name: &str) -> bool {
    [
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

fn is_sensitive(name: &str) -> bool {
    [
        "authorization",
        "cookie",
        "cookie2",
        "proxy-authorization",
        "www-authenticate",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    fn request(method: Method, headers: &[(&str, &str)]) -> Request {
        let mut r = Request::new(method, url("http://a.test/x"), u64::MAX);
        r.headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        r.body = Some(crate::http::Body::text("b".into()));
        r.auth = Some(("u".into(), None));
        r
    }

    #[test]
    fn see_other_turns_into_a_get_without_body_and_307_keeps_both() {
        let from = url("http://a.test/x");
        let (to, keep) = target(303, Some("/y"), &from).expect("followed");
        let mut r = request(Method::POST, &[("Content-Type", "text/plain"), ("X-A", "1")]);
        let referer = follow(&mut r, &from, &to, keep);
        assert_eq!((r.method.as_str(), r.body.is_none()), ("GET", true));
        assert_eq!(r.headers, [("X-A".to_string(), "1".to_string())]);
        assert_eq!(referer.as_ref().map(Url::as_str), Some("http://a.test/x"));
        let (to, keep) = target(307, Some("http://a.test/z"), &from).expect("followed");
        let mut r = request(Method::PUT, &[]);
        follow(&mut r, &from, &to, keep);
        assert_eq!((r.method.as_str(), r.body.is_some()), ("PUT", true));
        assert!(target(304, Some("/y"), &from).is_none());
        assert!(target(302, None, &from).is_none());
    }

    #[test]
    fn another_origin_gets_no_credentials_and_no_referer_in_the_clear() {
        let from = url("https://u:p@a.test/x#f");
        let mut r = request(Method::GET, &[("Authorization", "t"), ("Cookie", "c=1"), ("X-A", "1")]);
        let referer = follow(&mut r, &from, &url("https://b.test/"), false);
        assert_eq!(referer.as_ref().map(Url::as_str), Some("https://a.test/x"));
        assert_eq!((r.auth.is_none(), r.headers.len()), (true, 1));
        let mut r = request(Method::GET, &[]);
        assert!(follow(&mut r, &from, &url("http://a.test/x"), false).is_none());
    }
}
