//! launchd jobs from `launchctl list` on a macOS host, over its SSH
//! connection ([`crate::sources::reach::ssh::launchd_jobs`]): the output
//! goes through [`crate::parse::launchctl::parse`] and then [`rows`].

use super::{DEFAULT_INTERVAL, send_set, unknown};
use crate::config::LaunchdService;
use crate::parse::launchctl::{Cohort, Group, Job};
use crate::sources::Ctx;
use crate::update::services::{Health, Kind, Row};
use std::collections::BTreeMap;

pub fn scope(host: &str) -> String {
    format!("launchd:{host}")
}

/// A host's launchd jobs, every `interval`. launchd only exists on macOS
/// hosts, reached over SSH.
pub async fn run(cfg: LaunchdService, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    let host = cfg.host.get_ref().clone();
    let name = cfg.name.clone().unwrap_or_else(|| format!("{host} launchd"));
    loop {
        let rows = crate::sources::reach::ssh::launchd_jobs(&crate::sources::reach::ssh::Remote::new(host.as_str(), &ctx.handles.ssh)).await.map(|jobs| {
            if jobs.errors > 0 {
                tracing::warn!(host = %host, count = jobs.errors, first = ?jobs.first_error, "launchctl lines not understood");
            }
            rows(&host, &name, cfg.label_prefix.as_deref(), &jobs.value, jobs.errors)
        });
        let rows = rows.unwrap_or_else(|e| vec![unknown(scope(&host), Kind::Launchd, name.clone(), &host, e)]);
        if !send_set(&ctx, scope(&host), rows, interval).await {
            return;
        }
    }
}

/// A summary row (running / ok / failing by cohort), then one row per job,
/// running first, failing grouped by cohort.
pub fn rows(host: &str, name: &str, label_prefix: Option<&str>, jobs: &[Job], skipped: usize) -> Vec<Row> {
    let mut jobs: Vec<&Job> = jobs
        .iter()
        .filter(|j| label_prefix.is_none_or(|p| j.label.starts_with(p)))
        .collect();
    jobs.sort_by(|a, b| a.group().cmp(&b.group()).then(a.label.cmp(&b.label)));
    let running = jobs.iter().filter(|j| j.group() == Group::Running).count();
    let ok = jobs.iter().filter(|j| j.group() == Group::Ok).count();
    let mut cohorts: BTreeMap<Cohort, usize> = BTreeMap::new();
    for j in &jobs {
        if let Group::Failing(c) = j.group() {
            *cohorts.entry(c).or_default() += 1;
        }
    }
    let failing: usize = cohorts.values().sum();
    let mut detail = format!("{} jobs: {running} running, {ok} ok, {failing} failing", jobs.len());
    if failing > 0 {
        let parts: Vec<String> = cohorts.iter().map(|(c, n)| format!("{n} {}", c.words())).collect();
        detail.push_str(&format!(" ({})", parts.join(", ")));
    }
    if skipped > 0 {
        detail.push_str(&format!(", {skipped} unreadable lines"));
    }
    let mut head = Row::new(scope(host), Kind::Launchd, name, Health::Ok, detail);
    head.source = host.to_string();
    let mut out = vec![head];
    for j in jobs.into_iter().take(500) {
        let health = match j.group() {
            Group::Running | Group::Ok => Health::Ok,
            Group::Failing(_) => Health::Warn,
        };
        let mut r = Row::new(
            format!("launchd:{host}/{}", j.label),
            Kind::Launchd,
            j.label.clone(),
            health,
            j.describe(),
        );
        r.source = host.to_string();
        out.push(r);
    }
    out
}
