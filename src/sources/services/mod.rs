//! The services sources: one task per configured check or endpoint. Each
//! sends [`ServiceUpdate`]s; none of them holds state the app needs.
//!
//! Checks on a host that is not local (systemd, freshness, process, and
//! launchd, always remote) run over that host's SSH connection: each is
//! written once against [`crate::sources::reach::Reach`].

pub mod docker;
pub mod files;
pub mod http;
pub mod launchd;
pub(crate) mod launchd_audit;
pub mod metric;
pub mod remote;
pub mod syncthing;
pub mod systemd;
pub mod tcp;

use super::Ctx;
use crate::config::Config;
use crate::sources::reach::{Reach, ssh::Remote};
use crate::update::Update;
use crate::update::services::{Health, Kind, Row, ServiceUpdate};
use std::time::Duration;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether `host` (a `[[hosts]]` name, or none) is this machine.
pub(crate) fn is_local(config: &Config, host: Option<&str>) -> bool {
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

/// The row of a check that has no answer (its host did not give one).
pub(crate) fn unknown(key: String, kind: Kind, name: String, host: &str, why: String) -> Row {
    let mut r = Row::new(key, kind, name, Health::Unknown, why);
    r.source = host.to_string();
    r
}

/// Sends a host's rows of one kind (replacing the last ones), then waits
/// for the next round; false once the app is gone.
pub(crate) async fn send_set(ctx: &Ctx, scope: String, mut rows: Vec<Row>, interval: Duration) -> bool {
    for r in &mut rows {
        r.every_ms = every_ms(interval + Duration::from_secs(10));
    }
    send(ctx, ServiceUpdate::Set { scope, rows }).await && ctx.wait(interval).await
}

/// Where a check on `host` runs: here when it is this machine, else over
/// its SSH connection.
fn reach(config: &Config, host: Option<&str>, ctx: &Ctx) -> Reach {
    if is_local(config, host) {
        Reach::Local
    } else {
        Reach::Ssh(Remote::new(host.unwrap_or_default(), &ctx.handles.ssh))
    }
}

pub fn spawn(config: &Config, ctx: &Ctx) {
    for s in &config.services.http {
        super::supervise(
            ctx,
            super::Rows::service(Kind::Http, format!("http:{}", s.name), &s.name),
            s.clone(),
            http::run,
        );
    }
    for s in &config.services.tcp {
        super::supervise(
            ctx,
            super::Rows::service(Kind::Tcp, format!("tcp:{}", s.name), &s.name),
            s.clone(),
            tcp::run,
        );
    }
    for s in &config.services.docker {
        super::supervise(
            ctx,
            super::Rows::service(Kind::Container, docker::scope(&s.name), &s.name),
            s.clone(),
            docker::run,
        );
    }
    for s in &config.services.systemd {
        let host = s.host.get_ref();
        let rows = super::Rows::service(Kind::Systemd, systemd::scope(host), host);
        let args = (s.clone(), reach(config, Some(host), ctx));
        super::supervise(ctx, rows, args, |(s, r), ctx| systemd::run(s, r, ctx));
    }
    for s in &config.services.freshness {
        let rows = super::Rows::service(Kind::Freshness, format!("freshness:{}", s.name), &s.name);
        let args = (
            s.clone(),
            reach(config, s.host.as_ref().map(|h| h.get_ref().as_str()), ctx),
        );
        super::supervise(ctx, rows, args, |(s, r), ctx| files::run_freshness(s, r, ctx));
    }
    for s in &config.services.process {
        let rows = super::Rows::service(Kind::Process, format!("process:{}", s.name), &s.name);
        let args = (
            s.clone(),
            reach(config, s.host.as_ref().map(|h| h.get_ref().as_str()), ctx),
        );
        super::supervise(ctx, rows, args, |(s, r), ctx| files::run_process(s, r, ctx));
    }
    for s in &config.services.syncthing {
        super::supervise(
            ctx,
            super::Rows::service(Kind::Syncthing, syncthing::scope(&s.name), &s.name),
            s.clone(),
            syncthing::run,
        );
    }
    // launchd only exists on macOS hosts, reached over SSH.
    for s in &config.services.launchd {
        super::supervise(
            ctx,
            super::Rows::service(Kind::Launchd, launchd::scope(s.host.get_ref()), s.host.get_ref()),
            s.clone(),
            launchd::run,
        );
    }
    for s in &config.services.metric {
        let rows = super::Rows::service(Kind::Metric, s.key(), s.name.get_ref());
        let host = s.host.as_ref().map(|h| h.get_ref().as_str());
        let args = (s.clone(), reach(config, host, ctx));
        super::supervise(ctx, rows, args, |(s, r), ctx| metric::run(s, r, ctx));
    }
}
