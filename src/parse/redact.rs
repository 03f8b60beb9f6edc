//! URLs with their secrets taken out, for everything fleettop shows, logs,
//! puts in a snapshot or publishes: the userinfo (`user:password@`) and
//! every query and fragment value go; the keys stay, so `?token=***` still
//! says which parameter was set. Nothing here panics on any input.

const HIDDEN: &str = "***";

/// `scheme://user:pw@host:port/path?token=x#frag` as
/// `scheme://***@host:port/path?token=***#***`.
pub(crate) fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let mut out = String::with_capacity(url.len());
    out.push_str(scheme);
    match authority.rfind('@') {
        Some(at) => {
            out.push_str(HIDDEN);
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let (before_frag, frag) = match tail.find('#') {
        Some(i) => (&tail[..i], Some(&tail[i + 1..])),
        None => (tail, None),
    };
    let (path, query) = match before_frag.find('?') {
        Some(i) => (&before_frag[..i], Some(&before_frag[i + 1..])),
        None => (before_frag, None),
    };
    out.push_str(path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(&params(q));
    }
    if let Some(f) = frag {
        out.push('#');
        out.push_str(&params(f));
    }
    out
}

/// `a=1&b&c=3` as `a=***&***&c=***` (a bare value may be a token too).
fn params(q: &str) -> String {
    q.split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) => format!("{k}={HIDDEN}"),
            None if p.is_empty() => String::new(),
            None => HIDDEN.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Free text (an error message, a log line) with every `scheme://…` in it
/// redacted. A URL ends at whitespace, a quote, a bracket or `<>`.
pub(crate) fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = rest[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
            .last()
            .map_or(i, |(j, _)| j);
        let len = rest[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | '<' | '>' | '[' | ']'))
            .unwrap_or(rest.len() - i);
        let end = i + len;
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_and_query_values_go_keys_stay() {
        assert_eq!(
            redact_url("https://bob:hunter2@example.com:8443/health?token=s3cret&x=1#k=v"),
            "https://***@example.com:8443/health?token=***&x=***#k=***"
        );
        assert_eq!(redact_url("http://127.0.0.1:8222"), "http://127.0.0.1:8222");
        assert_eq!(redact_url("nats://tok@host:4222"), "nats://***@host:4222");
        assert_eq!(redact_url("http://h/p?abc123"), "http://h/p?***");
        // An `@` in the path is not userinfo; one in the query is a value.
        assert_eq!(redact_url("http://h/a@b?e=a@b"), "http://h/a@b?e=***");
        assert_eq!(redact_url("h:1?token=x"), "h:1?token=***");
        for odd in ["", "://", "?", "#", "@", "a://@?&=#", "é://ü@ß?ö=ä"] {
            let r = redact_url(odd);
            assert!(!r.contains('ü') && !r.contains('ä'), "{odd:?} → {r:?}");
        }
    }

    #[test]
    fn urls_inside_error_text() {
        assert_eq!(
            redact_text("error sending request for url (http://u:pw@h:1/x?token=t): refused"),
            "error sending request for url (http://***@h:1/x?token=***): refused"
        );
        assert_eq!(
            redact_text("a https://h/?k=1 and b wss://x:y@z end"),
            "a https://h/?k=*** and b wss://***@z end"
        );
        assert_eq!(redact_text("no url here"), "no url here");
        assert_eq!(redact_text("://@x?y=1"), "://***@x?y=***");
        assert_eq!(redact_text("é€http://a:b@c"), "é€http://***@c");
    }
}
