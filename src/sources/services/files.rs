//! Local freshness (a file's age against `max_age`) and process presence
//! (a pattern in the process table). Liveness is not progress: a process
//! can be present and its log stale.

use super::{DEFAULT_INTERVAL, send};
use crate::config::{FreshnessService, ProcessService};
use crate::sources::Ctx;
use crate::store::services::{Health, Kind, Row, ServiceUpdate};
use crate::ui::fmt::ago;
use std::path::Path;
use std::time::{Duration, SystemTime};

pub async fn run_freshness(cfg: FreshnessService, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    loop {
        let path = crate::config::expand_tilde(&cfg.path);
        let mut r = freshness(&cfg, &path, SystemTime::now());
        r.every_ms = super::every_ms(interval);
        if !send(&ctx, ServiceUpdate::Result(Box::new(r))).await || !ctx.wait(interval).await {
            return;
        }
    }
}

/// "written 3m ago, max 20m".
pub fn freshness(cfg: &FreshnessService, path: &Path, now: SystemTime) -> Row {
    let age = match std::fs::metadata(path).and_then(|m| m.modified()) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::parse::sanitize::sanitize(&e.to_string())),
        Ok(m) => Ok(Some(now.duration_since(m).unwrap_or(Duration::ZERO))),
    };
    freshness_row(cfg, age)
}

/// The row for a file's age (`Ok(None)`: the file is missing), wherever it
/// was measured.
pub fn freshness_row(cfg: &FreshnessService, age: Result<Option<Duration>, String>) -> Row {
    let max = cfg.max_age.0;
    let (health, detail) = match age {
        Ok(None) => (Health::Error, "file missing".to_string()),
        Err(e) => (Health::Error, e),
        Ok(Some(age)) => {
            let words = format!(
                "written {} ago, max {}",
                ago(age.as_millis() as i64),
                ago(max.as_millis() as i64)
            );
            if age > max {
                // Catching exactly this is what the check is for.
                (Health::Error, format!("stale: {words}"))
            } else {
                (Health::Ok, words)
            }
        }
    };
    let mut r = Row::new(
        format!("freshness:{}", cfg.name),
        Kind::Freshness,
        cfg.name.clone(),
        health,
        detail,
    );
    r.source = cfg.path.clone();
    r
}

pub async fn run_process(cfg: ProcessService, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    loop {
        let cfg2 = cfg.clone();
        let mut r = tokio::task::spawn_blocking(move || process(&cfg2, Path::new("/proc")))
            .await
            .unwrap_or_else(|e| {
                Row::new(
                    format!("process:{}", cfg.name),
                    Kind::Process,
                    cfg.name.clone(),
                    Health::Unknown,
                    e.to_string(),
                )
            });
        r.every_ms = super::every_ms(interval);
        if !send(&ctx, ServiceUpdate::Result(Box::new(r))).await || !ctx.wait(interval).await {
            return;
        }
    }
}

/// Counts processes whose command line contains the pattern (reading a
/// `/proc`-shaped directory; our own process does not count).
pub fn process(cfg: &ProcessService, proc_dir: &Path) -> Row {
    let me = std::process::id();
    let pids = std::fs::read_dir(proc_dir)
        .map_err(|e| format!("cannot read the process table: {e}"))
        .map(|rd| {
            let mut pids = Vec::new();
            for e in rd.flatten().take(100_000) {
                let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                if pid == me {
                    continue;
                }
                let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
                    continue;
                };
                let cmd = String::from_utf8_lossy(&raw[..raw.len().min(64 * 1024)]).replace('\0', " ");
                if cmd.contains(cfg.pattern.as_str()) {
                    pids.push(pid);
                }
            }
            pids
        });
    process_row(cfg, pids)
}

/// The row for the pids whose command line matched, wherever they were
/// counted.
pub fn process_row(cfg: &ProcessService, pids: Result<Vec<u32>, String>) -> Row {
    let (health, detail) = match pids {
        Err(e) => (Health::Unknown, e),
        Ok(mut pids) => {
            pids.sort_unstable();
            match pids.len() {
                0 => (Health::Error, format!("no process matches \"{}\"", cfg.pattern)),
                1 => (Health::Ok, format!("1 process (pid {})", pids[0])),
                n => (Health::Ok, format!("{n} processes (pid {}, …)", pids[0])),
            }
        }
    };
    let mut r = Row::new(
        format!("process:{}", cfg.name),
        Kind::Process,
        cfg.name.clone(),
        health,
        detail,
    );
    r.source = cfg
        .host
        .as_ref()
        .map_or_else(|| "local".into(), |h| h.get_ref().clone());
    r
}
