//! The rows the config asks for, waiting for their first result.

use super::{Health, Kind, Row};
use crate::config::{Config, Services};
use crate::parse::redact::redact_url;

/// The rows the config asks for, each with whether it heads a scope (a
/// source that sends a whole set of rows). Keys and names are the ones the
/// sources in `sources::services` send.
pub(super) fn configured(config: &Config) -> Vec<(Row, bool)> {
    let mut out = Vec::new();
    endpoints(&config.services, &mut out);
    on_hosts(&config.services, &mut out);
    super::metric::configured(&config.services, &mut waiting(&mut out));
    out
}

/// A configured check's row before its first result.
fn waiting(out: &mut Vec<(Row, bool)>) -> impl FnMut(String, Kind, String, String, Option<String>, bool) + '_ {
    const WAIT: &str = "waiting for the first result";
    |key, kind, name, source, group, scoped| {
        let mut r = Row::new(key, kind, name, Health::Unknown, WAIT);
        r.source = source;
        r.group = group;
        out.push((r, scoped));
    }
}

/// HTTP, TCP and Docker checks, in config order.
fn endpoints(sv: &Services, out: &mut Vec<(Row, bool)>) {
    let mut add = waiting(out);
    for s in &sv.http {
        add(
            format!("http:{}", s.name),
            Kind::Http,
            s.name.clone(),
            redact_url(s.url.get_ref()),
            s.group.clone(),
            false,
        );
    }
    for s in &sv.tcp {
        add(
            format!("tcp:{}", s.name),
            Kind::Tcp,
            s.name.clone(),
            s.address.clone(),
            s.group.clone(),
            false,
        );
    }
    for s in &sv.docker {
        let src = s.endpoint.as_deref().map_or_else(|| "local".into(), redact_url);
        add(
            format!("docker:{}", s.name),
            Kind::Container,
            format!("docker {}", s.name),
            src,
            None,
            true,
        );
    }
}

/// Systemd, freshness, process, Syncthing and launchd checks, in config order.
fn on_hosts(sv: &Services, out: &mut Vec<(Row, bool)>) {
    let mut add = waiting(out);
    for s in &sv.systemd {
        let h = s.host.get_ref();
        let name = s.name.clone().unwrap_or_else(|| format!("{h} units"));
        add(format!("systemd:{h}"), Kind::Systemd, name, h.clone(), None, true);
    }
    for s in &sv.freshness {
        add(
            format!("freshness:{}", s.name),
            Kind::Freshness,
            s.name.clone(),
            s.path.clone(),
            None,
            false,
        );
    }
    for s in &sv.process {
        let h = s.host.as_ref().map_or_else(|| "local".into(), |h| h.get_ref().clone());
        add(
            format!("process:{}", s.name),
            Kind::Process,
            s.name.clone(),
            h,
            None,
            false,
        );
    }
    for s in &sv.syncthing {
        add(
            format!("syncthing:{}", s.name),
            Kind::Syncthing,
            s.name.clone(),
            redact_url(s.url.get_ref()),
            None,
            true,
        );
    }
    for s in &sv.launchd {
        let h = s.host.get_ref();
        let name = s.name.clone().unwrap_or_else(|| format!("{h} launchd"));
        add(format!("launchd:{h}"), Kind::Launchd, name, h.clone(), None, true);
    }
}
