//! XPath 1.0 expressions of `assert_xpath`: whether one is valid, and the namespace prefixes it uses.
//!
//! The evaluator (sxd-xpath) looks a prefix up only when it meets an element, and an unbound one then
//! panics; so the loader refuses an expression whose prefixes `namespaces:` does not bind, and the
//! check layer asks again before evaluating a model built elsewhere.

/// The prefix XPath always knows: `xml`, bound to its namespace by the XML specification.
pub const XML_NAMESPACE: (&str, &str) = ("xml", "http://www.w3.org/XML/1998/namespace");

/// Why `xpath` cannot be evaluated on XML with these `namespaces`, or `None` when it can.
pub fn xml_xpath_problem(xpath: &str, namespaces: &[(String, String)]) -> Option<String> {
    match sxd_xpath::Factory::new().build(xpath) {
        Err(e) => return Some(e.to_string()),
        Ok(None) => return Some("the expression is empty".to_owned()),
        Ok(Some(_)) => {}
    }
    let unbound: Vec<String> = prefixes(xpath)
        .into_iter()
        .filter(|p| *p != XML_NAMESPACE.0 && !namespaces.iter().any(|(bound, _)| bound == p))
        .map(|p| format!("`{p}`"))
        .collect();
    (!unbound.is_empty()).then(|| {
        let (s, verb, them) = if unbound.len() == 1 {
            ("", "is", "it")
        } else {
            ("es", "are", "them")
        };
        format!(
            "the prefix{s} {} {verb} not bound: add {them} to the activity's `namespaces: {{prefix: uri}}`",
            unbound.join(", ")
        )
    })
}

/// The namespace prefixes `xpath` uses (`a` of `a:entry`, `a:*`, `@a:href`, `a:fn()`), in order, each
/// once. String literals are skipped, and so are axes (`child::`).
pub fn prefixes(xpath: &str) -> Vec<&str> {
    let bytes = xpath.as_bytes();
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                i += 1;
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'-' | b'.') || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                let colon = bytes.get(i) == Some(&b':');
                let axis = bytes.get(i + 1) == Some(&b':');
                if colon && !axis {
                    let name = &xpath[start..i];
                    if !out.contains(&name) {
                        out.push(name);
                    }
                    i += 1;
                } else if colon {
                    i += 2;
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_found_outside_literals_and_axes() {
        assert_eq!(prefixes("//a:entry[@x:id='p:q']/child::b:t"), vec!["a", "x", "b"]);
        assert_eq!(prefixes("count(//a:*) + count(//a:e)"), vec!["a"]);
        assert_eq!(prefixes("//entry/title"), Vec::<&str>::new());
        assert_eq!(prefixes("descendant-or-self::node()"), Vec::<&str>::new());
    }

    #[test]
    fn unbound_prefixes_and_bad_syntax_are_problems() {
        let atom = vec![("a".to_owned(), "http://www.w3.org/2005/Atom".to_owned())];
        assert_eq!(xml_xpath_problem("//a:entry/@xml:lang", &atom), None);
        assert_eq!(
            xml_xpath_problem("//a:entry/m:x", &atom).as_deref(),
            Some("the prefix `m` is not bound: add it to the activity's `namespaces: {prefix: uri}`")
        );
        assert!(xml_xpath_problem("//a:entry[", &atom).is_some());
        assert!(xml_xpath_problem("", &atom).is_some());
    }
}
