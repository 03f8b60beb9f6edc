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
use crate::update::Update;
use crate::update::{services::Kind, services::ServiceUpdate};
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
        if is_local(config, Some(s.host.get_ref())) {
            super::supervise(
                ctx,
                super::Rows::service(Kind::Systemd, systemd::scope(s.host.get_ref()), s.host.get_ref()),
                s.clone(),
                systemd::run,
            );
        } else {
            super::supervise(
                ctx,
                super::Rows::service(Kind::Systemd, systemd::scope(s.host.get_ref()), s.host.get_ref()),
                s.clone(),
                remote::run_systemd,
            );
        }
    }
    for s in &config.services.freshness {
        if is_local(config, s.host.as_ref().map(|h| h.get_ref().as_str())) {
            super::supervise(
                ctx,
                super::Rows::service(Kind::Freshness, format!("freshness:{}", s.name), &s.name),
                s.clone(),
                files::run_freshness,
            );
        } else {
            super::supervise(
                ctx,
                super::Rows::service(Kind::Freshness, format!("freshness:{}", s.name), &s.name),
                s.clone(),
                remote::run_freshness,
            );
        }
    }
    for s in &config.services.process {
        if is_local(config, s.host.as_ref().map(|h| h.get_ref().as_str())) {
            super::supervise(
                ctx,
                super::Rows::service(Kind::Process, format!("process:{}", s.name), &s.name),
                s.clone(),
                files::run_process,
            );
        } else {
            super::supervise(
                ctx,
                super::Rows::service(Kind::Process, format!("process:{}", s.name), &s.name),
                s.clone(),
                remote::run_process,
            );
        }
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
            remote::run_launchd,
        );
    }
}
