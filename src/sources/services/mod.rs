//! The services sources: one task per configured check or endpoint. Each
//! sends [`ServiceUpdate`]s; none of them holds state the app needs.
//!
//! Checks on a host that is not local (systemd, freshness, process, and
//! launchd, always remote) run over that host's SSH connection: [`remote`].

pub mod docker;
pub mod files;
pub mod http;
pub mod launchd;
pub mod remote;
pub mod syncthing;
pub mod systemd;
pub mod tcp;

use super::Ctx;
use crate::config::Config;
use crate::store::Update;
use crate::store::services::ServiceUpdate;
use std::time::Duration;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether `host` (a `[[hosts]]` name, or none) is this machine.
pub fn is_local(config: &Config, host: Option<&str>) -> bool {
    match host {
        None => true,
        Some(h) => config.hosts.iter().any(|c| c.local && c.display_name() == h),
    }
}

/// An interval as a row's `every_ms`.
pub fn every_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) async fn send(ctx: &Ctx, u: ServiceUpdate) -> bool {
    ctx.send(Update::Services(u)).await
}

pub fn spawn(config: &Config, ctx: &Ctx) {
    for s in &config.services.http {
        tokio::spawn(http::run(s.clone(), ctx.clone()));
    }
    for s in &config.services.tcp {
        tokio::spawn(tcp::run(s.clone(), ctx.clone()));
    }
    for s in &config.services.docker {
        tokio::spawn(docker::run(s.clone(), ctx.clone()));
    }
    for s in &config.services.systemd {
        if is_local(config, Some(s.host.get_ref())) {
            tokio::spawn(systemd::run(s.clone(), ctx.clone()));
        } else {
            tokio::spawn(remote::run_systemd(s.clone(), ctx.clone()));
        }
    }
    for s in &config.services.freshness {
        if is_local(config, s.host.as_ref().map(|h| h.get_ref().as_str())) {
            tokio::spawn(files::run_freshness(s.clone(), ctx.clone()));
        } else {
            tokio::spawn(remote::run_freshness(s.clone(), ctx.clone()));
        }
    }
    for s in &config.services.process {
        if is_local(config, s.host.as_ref().map(|h| h.get_ref().as_str())) {
            tokio::spawn(files::run_process(s.clone(), ctx.clone()));
        } else {
            tokio::spawn(remote::run_process(s.clone(), ctx.clone()));
        }
    }
    for s in &config.services.syncthing {
        tokio::spawn(syncthing::run(s.clone(), ctx.clone()));
    }
    // launchd only exists on macOS hosts, reached over SSH.
    for s in &config.services.launchd {
        tokio::spawn(remote::run_launchd(s.clone(), ctx.clone()));
    }
}
