//! HTTP checks: status against `expect_status`, `body_contains`, latency,
//! and on https the server certificate's expiry (`cert_warn_days`, extra
//! roots from `ca_file`).

use super::{DEFAULT_INTERVAL, DEFAULT_TIMEOUT, send};
use crate::config::{ExpectStatus, HttpService};
use crate::model::{Millis, now_millis};
use crate::parse::der;
use crate::parse::redact::redact_url;
use crate::sources::{Ctx, http_builder, http_error_words, read_bounded};
use crate::update::{services::Health, services::Kind, services::Row, services::ServiceUpdate};
use std::time::{Duration, Instant};

/// A body is read only this far (for `body_contains`).
pub const BODY_MAX: usize = 64 * 1024;

/// `cert_warn_days` when not set.
pub(crate) const CERT_WARN_DAYS: u32 = 14;

const DAY_MS: Millis = 86_400_000;

/// The client for this check: the peer certificate kept on each response,
/// the `ca_file` roots trusted besides the built-in ones.
pub fn client(cfg: &HttpService, timeout: Duration) -> Result<reqwest::Client, String> {
    let mut b = http_builder(timeout, reqwest::redirect::Policy::default()).tls_info(true);
    if let Some(f) = &cfg.ca_file {
        b = b.tls_certs_merge(crate::config::http::load_ca(f.get_ref())?);
    }
    b.build().map_err(|e| e.to_string())
}

pub async fn run(cfg: HttpService, ctx: Ctx) {
    let timeout = cfg.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    let client = match client(&cfg, timeout) {
        Ok(c) => c,
        Err(e) => {
            let mut r = row(&cfg, Health::Error, format!("no HTTP client: {e}"), None);
            r.every_ms = super::every_ms(interval + timeout);
            r.latency_ms = None;
            send(&ctx, ServiceUpdate::Result(Box::new(r))).await;
            return;
        }
    };
    loop {
        let mut r = check(&client, &cfg, timeout).await;
        r.every_ms = super::every_ms(interval + timeout);
        if !send(&ctx, ServiceUpdate::Result(Box::new(r))).await || !ctx.wait(interval).await {
            return;
        }
    }
}

fn row(cfg: &HttpService, health: Health, detail: String, latency_ms: Option<f64>) -> Row {
    let mut r = Row::new(
        format!("http:{}", cfg.name),
        Kind::Http,
        cfg.name.clone(),
        health,
        detail,
    );
    r.source = redact_url(cfg.url.get_ref());
    r.group = cfg.group.clone();
    r.latency_ms = latency_ms;
    r
}

fn expected(e: &Option<ExpectStatus>, code: u16) -> bool {
    match e {
        None => (200..400).contains(&code),
        Some(ExpectStatus::One(c)) => *c == code,
        Some(ExpectStatus::Many(cs)) => cs.contains(&code),
    }
}

/// One check, its result as a row. The whole check (headers and the bounded
/// body) is held to `timeout`.
pub async fn check(client: &reqwest::Client, cfg: &HttpService, timeout: Duration) -> Row {
    let start = Instant::now();
    let fut = async {
        let resp = client.get(cfg.url.get_ref()).send().await.map_err(|e| tls_words(&e))?;
        let code = resp.status().as_u16();
        let cert = resp
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|t| t.peer_certificate())
            .and_then(der::not_after);
        let body = match &cfg.body_contains {
            Some(_) => Some(read_bounded(resp, BODY_MAX).await?),
            None => None,
        };
        Ok::<_, String>((code, body, cert))
    };
    let out = tokio::time::timeout(timeout + Duration::from_millis(100), fut)
        .await
        .unwrap_or_else(|_| Err("timed out".into()));
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match out {
        Err(e) => row(cfg, Health::Error, e, None),
        Ok((code, body, cert)) => {
            let (health, detail) = verdict(cfg, code, body.as_deref());
            let mut r = row(cfg, health, detail, Some(ms));
            if let Some(at) = cert {
                let warn = cfg.cert_warn_days.as_ref().map_or(CERT_WARN_DAYS, |d| *d.get_ref());
                with_cert(&mut r, at, warn, now_millis());
            }
            r
        }
    }
}

/// The status and body against what the check expects.
fn verdict(cfg: &HttpService, code: u16, body: Option<&[u8]>) -> (Health, String) {
    if !expected(&cfg.expect_status, code) {
        return (Health::Error, format!("HTTP {code}"));
    }
    if let (Some(needle), Some(body)) = (&cfg.body_contains, body) {
        let text = String::from_utf8_lossy(body);
        if !text.contains(needle.as_str()) {
            let cut = if body.len() >= BODY_MAX {
                " in the first 64K"
            } else {
                ""
            };
            return (Health::Error, format!("HTTP {code}, body lacks \"{needle}\"{cut}"));
        }
    }
    (Health::Ok, format!("HTTP {code}"))
}

/// The certificate's expiry on the row: "cert 23d" after the status; a
/// warning within `warn_days`, an error once expired.
pub(crate) fn with_cert(r: &mut Row, expires_at: Millis, warn_days: u32, now: Millis) {
    r.cert_expires_at = Some(expires_at);
    let left = expires_at.saturating_sub(now);
    if left <= 0 {
        r.health = Health::Error;
        r.detail = format!("{}, certificate expired", r.detail);
        return;
    }
    let days = left / DAY_MS;
    let short = if days > 0 {
        format!("{days}d")
    } else {
        format!("{}h", left / 3_600_000)
    };
    if left < i64::from(warn_days) * DAY_MS {
        if r.health == Health::Ok {
            r.health = Health::Warn;
        }
        r.detail = format!("{}, cert expires in {short}", r.detail);
    } else {
        r.detail = format!("{}, cert {short}", r.detail);
    }
}

/// Errors in words, TLS ones named as such.
fn tls_words(e: &reqwest::Error) -> String {
    let debug = format!("{e:?}");
    let https = e.url().is_some_and(|u| u.scheme() == "https");
    let tlsish = [
        "InvalidCertificate",
        "InvalidMessage",
        "AlertReceived",
        "PeerIncompatible",
        "PeerMisbehaved",
        "certificate",
    ]
    .iter()
    .any(|m| debug.contains(m));
    if https && e.is_connect() && tlsish {
        let why = if debug.contains("Expired") {
            "certificate expired"
        } else if debug.contains("UnknownIssuer") {
            "certificate from an unknown issuer"
        } else if debug.contains("NotValidForName") {
            "certificate not valid for this name"
        } else if debug.contains("InvalidCertificate") || debug.contains("certificate") {
            "invalid certificate"
        } else if debug.contains("InvalidMessage") {
            "handshake failed (is it TLS on the other end?)"
        } else {
            "handshake failed"
        };
        return format!("TLS error: {why}");
    }
    http_error_words(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Row {
        Row::new("http:a", Kind::Http, "a", Health::Ok, "HTTP 200")
    }

    #[test]
    fn expiry_far_ahead_near_and_past() {
        let now = 1_800_000_000_000;
        let mut r = ok();
        with_cert(&mut r, now + 23 * DAY_MS + 5, 14, now);
        assert_eq!((r.health, r.detail.as_str()), (Health::Ok, "HTTP 200, cert 23d"));
        assert_eq!(r.cert_expires_at, Some(now + 23 * DAY_MS + 5));
        let mut r = ok();
        with_cert(&mut r, now + 5 * DAY_MS, 14, now);
        assert_eq!(
            (r.health, r.detail.as_str()),
            (Health::Warn, "HTTP 200, cert expires in 5d")
        );
        let mut r = ok();
        with_cert(&mut r, now + 3 * 3_600_000, 0, now);
        assert_eq!((r.health, r.detail.as_str()), (Health::Ok, "HTTP 200, cert 3h"));
        let mut r = ok();
        with_cert(&mut r, now - 1, 14, now);
        assert_eq!(
            (r.health, r.detail.as_str()),
            (Health::Error, "HTTP 200, certificate expired")
        );
        let mut r = Row::new("http:a", Kind::Http, "a", Health::Error, "HTTP 500");
        with_cert(&mut r, now + DAY_MS, 14, now);
        assert_eq!(r.health, Health::Error, "a warning never hides an error");
    }
}
