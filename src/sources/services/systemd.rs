//! systemd units on this machine or over SSH: the failed ones
//! (`systemctl --failed`, JSON where systemctl supports it, else the plain
//! table), and every service that has restarted or floods its journal with
//! errors (one fixed script, [`super::remote::UNIT_STATS`]). A rise in a
//! unit's restart count is an event.

use super::{DEFAULT_INTERVAL, send, send_set, unknown};
use crate::config::SystemdService;
use crate::parse::systemctl::{self, Stats};
use crate::sources::Ctx;
use crate::sources::reach::Reach;
use crate::update::services::{Health, Kind, Row, ServiceUpdate, UnitStats};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// The journal window of `UNIT_STATS`, in minutes.
const JOURNAL_MINUTES: f64 = 5.0;
/// The default of `journal_errors_per_min`.
pub(crate) const DEFAULT_ERRORS_PER_MIN: u32 = 5;
/// At most this many unit rows a host.
const MAX_ROWS: usize = 200;

pub fn scope(host: &str) -> String {
    format!("systemd:{host}")
}

/// A host's units, here or over SSH, every `interval`.
pub(crate) async fn run(cfg: SystemdService, reach: Reach, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    let host = cfg.host.get_ref().clone();
    // Each service's restarts at the last poll, and the unit rows sent then.
    let mut before: HashMap<String, i64> = HashMap::new();
    let mut shown: HashSet<String> = HashSet::new();
    loop {
        let rows = match reach.failed_units().await {
            Ok(units) => {
                let stats = reach.unit_stats().await;
                if let Err(e) = &stats {
                    tracing::debug!(host, "unit stats: {e}");
                }
                let rows = rows(&cfg, &units, stats.as_ref().ok());
                if let Some(pre) = first_rises(&rows, &before, &shown)
                    && !send(
                        &ctx,
                        ServiceUpdate::Set {
                            scope: scope(&host),
                            rows: pre,
                        },
                    )
                    .await
                {
                    return;
                }
                if let Ok(st) = stats {
                    before = st
                        .units
                        .iter()
                        .filter_map(|u| Some((u.id.clone(), u.restarts?)))
                        .collect();
                }
                shown = rows.iter().map(|r| r.key.clone()).collect();
                rows
            }
            Err(e) => vec![unknown(scope(&host), Kind::Systemd, name(&cfg), &host, e)],
        };
        if !send_set(&ctx, scope(&host), rows, interval).await {
            return;
        }
    }
}

/// A unit that had no row but whose restarts rose since the last poll: the
/// rows as they were with its row at the old count, sent first so that the
/// store sees the rise (`None`: no such unit).
pub(crate) fn first_rises(rows: &[Row], before: &HashMap<String, i64>, shown: &HashSet<String>) -> Option<Vec<Row>> {
    let mut any = false;
    let pre = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some((n, what)) = r.rising
                && !shown.contains(&r.key)
                && let Some(&old) = before.get(&r.name)
                && n > old
            {
                r.rising = Some((old, what));
                any = true;
            }
            r
        })
        .collect();
    any.then_some(pre)
}

fn name(cfg: &SystemdService) -> String {
    cfg.name
        .clone()
        .unwrap_or_else(|| format!("{} units", cfg.host.get_ref()))
}

/// One summary row for the host, then one per failed unit, then one per
/// other service that has restarted or floods its journal.
pub(crate) fn rows(cfg: &SystemdService, units: &[systemctl::Unit], stats: Option<&Stats>) -> Vec<Row> {
    let host = cfg.host.get_ref();
    let summary = match units.len() {
        0 => (Health::Ok, "no failed units".to_string()),
        1 => (Health::Ok, "1 failed unit".to_string()),
        n => (Health::Ok, format!("{n} failed units")),
    };
    let mut head = Row::new(scope(host), Kind::Systemd, name(cfg), summary.0, summary.1);
    head.source = host.clone();
    let mut out = vec![head];
    let limit = cfg.journal_errors_per_min.unwrap_or(DEFAULT_ERRORS_PER_MIN);
    for u in units.iter().take(MAX_ROWS) {
        let detail = format!("{} ({}) {}", u.active, u.sub, u.description);
        let r = unit_row(host, &u.unit, Health::Error, detail);
        out.push(annotate(r, stats, limit));
    }
    let Some(st) = stats else { return out };
    for s in &st.units {
        if out.len() > MAX_ROWS || units.iter().any(|u| u.unit == s.id) {
            continue;
        }
        let r = unit_row(host, &s.id, Health::Ok, format!("{} ({})", s.active, s.sub));
        let r = annotate(r, stats, limit);
        if s.restarts.unwrap_or(0) > 0 || r.health == Health::Warn {
            out.push(r);
        }
    }
    out
}

fn unit_row(host: &str, unit: &str, health: Health, detail: String) -> Row {
    let mut r = Row::new(format!("systemd:{host}/{unit}"), Kind::Systemd, unit, health, detail);
    r.source = host.to_string();
    r
}

/// The unit's restarts and journal error rate on its row; an active unit
/// at or over `limit` errors a minute is a warning (`limit` 0: never).
fn annotate(mut r: Row, stats: Option<&Stats>, limit: u32) -> Row {
    let Some(st) = stats else { return r };
    let show = st.units.iter().find(|u| u.id == r.name);
    let restarts = show.and_then(|u| u.restarts);
    let errors = st.errors.get(&r.name).copied().unwrap_or(0);
    let rate = (f64::from(errors) / JOURNAL_MINUTES * 10.0).round() / 10.0;
    if let Some(n) = restarts.filter(|n| *n > 0) {
        r.detail = format!("{}, restarts {n}", r.detail.trim_end());
    }
    if errors > 0 {
        r.detail = format!("{}, {rate} errors/min in its journal", r.detail.trim_end());
    }
    let active = show.is_some_and(|u| u.active == "active") && r.health == Health::Ok;
    if active && limit > 0 && rate >= f64::from(limit) {
        r.health = Health::Warn;
    }
    r.rising = restarts.map(|n| (n, "restarts"));
    r.unit_stats = Some(UnitStats {
        restarts,
        journal_errors_per_min: Some(rate),
    });
    r
}

async fn run_program(program: &str, args: &[&str]) -> Result<std::process::Output, String> {
    let child = tokio::process::Command::new(program)
        .args(args)
        .env("SYSTEMD_COLORS", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(10), child).await {
        Err(_) => Err(format!("{program} timed out")),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Err(format!("no {program} on this host")),
        Ok(Err(e)) => Err(format!("{program}: {e}")),
        Ok(Ok(o)) => Ok(o),
    }
}

async fn run_systemctl(args: &[&str]) -> Result<std::process::Output, String> {
    run_program("systemctl", args).await
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

/// Every service's restarts and the journal's error lines on this machine:
/// the same fixed script as over SSH, its output bounded.
pub(crate) async fn unit_stats() -> Result<Stats, String> {
    let o = run_program("sh", &["-c", super::remote::UNIT_STATS]).await?;
    let body = &o.stdout[..o.stdout.len().min(4 << 20)];
    let out = crate::sources::ssh::Output {
        text: String::from_utf8_lossy(body).into_owned(),
        exit_status: o.status.code().and_then(|c| u32::try_from(c).ok()),
        ..Default::default()
    };
    super::remote::unit_stats(&out)
}

#[cfg(test)]
mod tests;
