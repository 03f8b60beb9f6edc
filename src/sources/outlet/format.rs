//! The body each webhook service accepts (`alerts.webhook_format`): fleettop's
//! own event JSON, Discord, Slack or ntfy. Titles and details are outside
//! text: mentions are turned off (Discord), control characters of Slack's
//! markup escaped, ntfy's header values encoded, and every field bounded to
//! what the service takes.

pub(crate) use crate::config::WebhookFormat as Format;
use serde_json::json;

/// What is sent: a problem (its level's word) or its recovery.
pub(crate) struct Alert<'a> {
    pub(crate) level: &'a str,
    pub(crate) source: &'a str,
    pub(crate) title: &'a str,
    pub(crate) detail: &'a str,
    /// RFC 3339.
    pub(crate) at: &'a str,
    pub(crate) recovered: bool,
    /// fleettop's own JSON form of the event (the `json` format).
    pub(crate) json: &'a [u8],
}

/// A request: content type, extra headers, body.
#[derive(Debug, PartialEq)]
pub(crate) struct Request {
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
}

/// At most `max` characters, with "…" when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn headline(a: &Alert) -> String {
    if a.recovered {
        format!("[fleettop] recovered: {}", a.title)
    } else {
        format!("[fleettop] {}: {}", a.level, a.title)
    }
}

pub(crate) fn request(format: Format, a: &Alert) -> Request {
    let json_request = |body: serde_json::Value| Request {
        content_type: "application/json",
        headers: Vec::new(),
        body: serde_json::to_vec(&body).unwrap_or_default(),
    };
    match format {
        Format::Json => Request {
            content_type: "application/json",
            headers: Vec::new(),
            body: a.json.to_vec(),
        },
        Format::Discord => {
            // Red for a problem, green for its recovery.
            let color = if a.recovered { 0x2e_cc_71 } else { 0xe7_4c_3c };
            let mut description = format!("{}\n{}", a.source, a.detail);
            description = cut(description.trim_end(), 4000);
            json_request(json!({
                "content": cut(&headline(a), 2000),
                "allowed_mentions": { "parse": [] },
                "embeds": [{
                    "title": cut(a.title, 256),
                    "description": description,
                    "color": color,
                    "timestamp": a.at,
                }],
            }))
        }
        Format::Slack => {
            let mut text = format!("{}\n{}", headline(a), a.source);
            if !a.detail.is_empty() {
                text.push('\n');
                text.push_str(a.detail);
            }
            json_request(json!({ "text": cut(&slack_escape(&text), 3000) }))
        }
        Format::Ntfy => {
            let (priority, tags) = if a.recovered {
                ("3", "white_check_mark")
            } else {
                ("5", "rotating_light")
            };
            let mut body = format!("{}\n{}", a.source, a.detail);
            body = cut(body.trim_end(), 4000);
            Request {
                content_type: "text/plain; charset=utf-8",
                headers: vec![
                    ("Title", header_value(&cut(&headline(a), 250))),
                    ("Priority", priority.to_string()),
                    ("Tags", tags.to_string()),
                ],
                body: body.into_bytes(),
            }
        }
    }
}

/// Slack reads `<…>` as links and mentions (`<!channel>`) and `&` as an
/// entity: the three are escaped as Slack asks.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A header value: printable ASCII as it is, anything else as an RFC 2047
/// encoded word (ntfy decodes those), never a control character.
fn header_value(s: &str) -> String {
    let clean: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return clean;
    }
    format!("=?UTF-8?B?{}?=", base64(clean.as_bytes()))
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(title: &str, recovered: bool) -> Alert<'_> {
        Alert {
            level: "critical",
            source: "host pi-kiosk",
            title,
            detail: "disk / at 97 %",
            at: "2026-12-01T10:00:00Z",
            recovered,
            json: b"{\"x\":1}",
        }
    }

    fn body(r: &Request) -> serde_json::Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn discord_has_content_no_mentions_and_bounded_fields() {
        let long = format!("@everyone {}", "x".repeat(5000));
        let r = request(Format::Discord, &alert(&long, false));
        let v = body(&r);
        assert!(v["content"].as_str().unwrap().chars().count() <= 2000);
        assert_eq!(v["allowed_mentions"]["parse"], json!([]));
        assert_eq!(v["embeds"][0]["title"].as_str().unwrap().chars().count(), 256);
        assert_eq!(v["embeds"][0]["color"], 0xe74c3c);
        let ok = body(&request(Format::Discord, &alert("disk full", true)));
        assert_eq!(ok["content"], "[fleettop] recovered: disk full");
        assert_eq!(ok["embeds"][0]["color"], 0x2ecc71);
    }

    #[test]
    fn slack_text_escapes_its_markup() {
        let v = body(&request(Format::Slack, &alert("<!channel> & co", false)));
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with("[fleettop] critical: &lt;!channel&gt; &amp; co\nhost pi-kiosk\ndisk"),
            "{text}"
        );
    }

    #[test]
    fn ntfy_is_plain_text_with_title_and_priority() {
        let r = request(Format::Ntfy, &alert("disk full", false));
        assert_eq!(r.content_type, "text/plain; charset=utf-8");
        assert_eq!(r.body, b"host pi-kiosk\ndisk / at 97 %");
        assert!(r.headers.contains(&("Title", "[fleettop] critical: disk full".into())));
        assert!(r.headers.contains(&("Priority", "5".into())));
        let u = request(Format::Ntfy, &alert("Müller\r\nX-Evil: 1", true));
        let title = &u.headers.iter().find(|(k, _)| *k == "Title").unwrap().1;
        assert_eq!(
            title,
            &format!(
                "=?UTF-8?B?{}?=",
                base64("[fleettop] recovered: Müller  X-Evil: 1".as_bytes())
            )
        );
        assert!(u.headers.contains(&("Priority", "3".into())));
    }

    #[test]
    fn json_is_the_event_itself() {
        assert_eq!(request(Format::Json, &alert("t", false)).body, b"{\"x\":1}");
    }
}
