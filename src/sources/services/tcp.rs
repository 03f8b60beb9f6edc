//! TCP connect checks with latency.

use super::{DEFAULT_INTERVAL, DEFAULT_TIMEOUT, send};
use crate::config::TcpService;
use crate::sources::Ctx;
use crate::update::{services::Health, services::Kind, services::Row, services::ServiceUpdate};
use std::time::{Duration, Instant};

pub async fn run(cfg: TcpService, ctx: Ctx) {
    let timeout = cfg.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    loop {
        let mut r = check(&cfg, timeout).await;
        r.every_ms = super::every_ms(interval + timeout);
        if !send(&ctx, ServiceUpdate::Result(Box::new(r))).await || !ctx.wait(interval).await {
            return;
        }
    }
}

pub async fn check(cfg: &TcpService, timeout: Duration) -> Row {
    let start = Instant::now();
    let out = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(cfg.address.as_str())).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let (health, detail, lat) = match out {
        Err(_) => (Health::Error, "timed out".to_string(), None),
        Ok(Err(e)) => (
            Health::Error,
            match e.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
                _ => crate::parse::sanitize::sanitize(&e.to_string()),
            },
            None,
        ),
        Ok(Ok(_)) => (Health::Ok, "open".to_string(), Some(ms)),
    };
    let mut r = Row::new(format!("tcp:{}", cfg.name), Kind::Tcp, cfg.name.clone(), health, detail);
    r.source = cfg.address.clone();
    r.group = cfg.group.clone();
    r.latency_ms = lat;
    r
}
