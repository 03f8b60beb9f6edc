//! Failed systemd units (`systemctl --failed`), on this machine or over
//! SSH: JSON where systemctl supports it, else the plain table.

use super::{DEFAULT_INTERVAL, send_set, unknown};
use crate::config::SystemdService;
use crate::parse::systemctl;
use crate::sources::Ctx;
use crate::sources::reach::Reach;
use crate::update::services::{Health, Kind, Row};
use std::time::Duration;

pub fn scope(host: &str) -> String {
    format!("systemd:{host}")
}

/// A host's failed units, here or over SSH, every `interval`.
pub(crate) async fn run(cfg: SystemdService, reach: Reach, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    let host = cfg.host.get_ref().clone();
    loop {
        let rows = match reach.failed_units().await {
            Ok(units) => rows(&cfg, &units),
            Err(e) => vec![unknown(scope(&host), Kind::Systemd, name(&cfg), &host, e)],
        };
        if !send_set(&ctx, scope(&host), rows, interval).await {
            return;
        }
    }
}

fn name(cfg: &SystemdService) -> String {
    cfg.name
        .clone()
        .unwrap_or_else(|| format!("{} units", cfg.host.get_ref()))
}

/// One summary row for the host, then one per failed unit.
pub fn rows(cfg: &SystemdService, units: &[systemctl::Unit]) -> Vec<Row> {
    let host = cfg.host.get_ref();
    let summary = match units.len() {
        0 => (Health::Ok, "no failed units".to_string()),
        1 => (Health::Ok, "1 failed unit".to_string()),
        n => (Health::Ok, format!("{n} failed units")),
    };
    let mut head = Row::new(scope(host), Kind::Systemd, name(cfg), summary.0, summary.1);
    head.source = host.clone();
    let mut out = vec![head];
    for u in units.iter().take(200) {
        let mut r = Row::new(
            format!("systemd:{host}/{}", u.unit),
            Kind::Systemd,
            u.unit.clone(),
            Health::Error,
            format!("{} ({}) {}", u.active, u.sub, u.description),
        );
        r.source = host.clone();
        out.push(r);
    }
    out
}

async fn run_systemctl(args: &[&str]) -> Result<std::process::Output, String> {
    let child = tokio::process::Command::new("systemctl")
        .args(args)
        .env("SYSTEMD_COLORS", "0")
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(10), child).await {
        Err(_) => Err("systemctl timed out".into()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Err("no systemctl on this host".into()),
        Ok(Err(e)) => Err(format!("systemctl: {e}")),
        Ok(Ok(o)) => Ok(o),
    }
}

/// The failed units on this machine.
pub async fn failed_units() -> Result<Vec<systemctl::Unit>, String> {
    let o = run_systemctl(&["--failed", "--output=json", "--no-pager"]).await?;
    if o.status.success()
        && let Ok(u) = systemctl::parse_json(&String::from_utf8_lossy(&o.stdout))
    {
        return Ok(u);
    }
    let o = run_systemctl(&["--failed", "--no-pager", "--plain", "--no-legend"]).await?;
    let text = String::from_utf8_lossy(&o.stdout);
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        let line = err.lines().next().unwrap_or("failed");
        return Err(crate::parse::sanitize::sanitize(&format!("systemctl: {line}")));
    }
    Ok(systemctl::parse_plain(&text))
}
