//! HTTP checks: status against `expect_status`, `body_contains`, latency.

use super::{DEFAULT_INTERVAL, DEFAULT_TIMEOUT, send};
use crate::config::{ExpectStatus, HttpService};
use crate::parse::redact::redact_url;
use crate::sources::{Ctx, http_client, http_error_words, read_bounded};
use crate::update::{services::Health, services::Kind, services::Row, services::ServiceUpdate};
use std::time::{Duration, Instant};

/// A body is read only this far (for `body_contains`).
pub const BODY_MAX: usize = 64 * 1024;

pub async fn run(cfg: HttpService, ctx: Ctx) {
    let timeout = cfg.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    let client = match http_client(timeout) {
        Ok(c) => c,
        Err(e) => {
            let mut r = row(&cfg, Health::Error, format!("no HTTP client: {e}"), None);
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
        let body = match &cfg.body_contains {
            Some(_) => Some(read_bounded(resp, BODY_MAX).await?),
            None => None,
        };
        Ok::<_, String>((code, body))
    };
    let out = tokio::time::timeout(timeout + Duration::from_millis(100), fut)
        .await
        .unwrap_or_else(|_| Err("timed out".into()));
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match out {
        Err(e) => row(cfg, Health::Error, e, None),
        Ok((code, body)) => {
            if !expected(&cfg.expect_status, code) {
                return row(cfg, Health::Error, format!("HTTP {code}"), Some(ms));
            }
            if let (Some(needle), Some(body)) = (&cfg.body_contains, body) {
                let text = String::from_utf8_lossy(&body);
                if !text.contains(needle.as_str()) {
                    let cut = if body.len() >= BODY_MAX {
                        " in the first 64K"
                    } else {
                        ""
                    };
                    return row(
                        cfg,
                        Health::Error,
                        format!("HTTP {code}, body lacks \"{needle}\"{cut}"),
                        Some(ms),
                    );
                }
            }
            row(cfg, Health::Ok, format!("HTTP {code}"), Some(ms))
        }
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
