//! How the store takes what push mode hears: discovered hosts, the
//! configured pushed hosts, the bound on discovery.

use super::{MAX_DISCOVERED, Store};
use crate::model::HostState;
use crate::parse::push::HostSnap;
use crate::update::{PushUpdate, Update};

fn store(text: &str) -> Store {
    Store::new(&crate::config::parse_str(text, "t").unwrap())
}

const NATS: &str = "[[nats]]\nname = \"m\"\nurl = \"nats://127.0.0.1:4222\"\n";

fn host(key: &str, name: &str, cpu: f64) -> Update {
    Update::Push(PushUpdate::Host {
        key: key.into(),
        snap: Box::new(HostSnap {
            name: name.into(),
            cpu_pct: Some(cpu),
            mem_total_bytes: Some(1 << 30),
            net_rx_bytes_per_s: Some(10.0),
            net_tx_bytes_per_s: Some(20.0),
            interval_ms: Some(1000),
            ..HostSnap::default()
        }),
        at: 10_000,
    })
}

#[test]
fn discovered_hosts_become_rows_and_age_by_their_interval() {
    let mut s = store(&format!("[fleet]\ndiscover = \"nats\"\n{NATS}"));
    s.apply(host("gpu_box", "gpu box", 40.0), 10_500);
    let h = s.host("gpu box").expect("a row named as the host says");
    assert_eq!(h.cur.as_ref().unwrap().cpu_pct, 40.0);
    assert_eq!(h.net_rates(), Some((10.0, 20.0)));
    assert_eq!(h.state(10_500), HostState::Online);
    assert_eq!(h.state(14_000), HostState::Stale);
    assert_eq!(h.state(80_000), HostState::Offline);
    // An older sample does not replace a newer one.
    let mut old = host("gpu_box", "gpu box", 99.0);
    if let Update::Push(PushUpdate::Host { at, .. }) = &mut old {
        *at = 5_000;
    }
    s.apply(old, 11_000);
    assert_eq!(s.host("gpu box").unwrap().cur.as_ref().unwrap().cpu_pct, 40.0);
    // A name that does not match its key is shown as the key.
    s.apply(host("k1", "other", 1.0), 11_000);
    assert!(s.host("k1").is_some() && s.host("other").is_none());
    s.apply(Update::Push(PushUpdate::Malformed { key: "bad".into() }), 11_000);
    assert_eq!(s.push.malformed, 1);
}

#[test]
fn without_discovery_only_the_configured_pushed_hosts_are_taken() {
    let mut s = store(&format!("[[hosts]]\nname = \"gpu-box\"\nnats = true\n{NATS}"));
    s.apply(host("gpu-box", "gpu-box", 5.0), 10_000);
    s.apply(host("stranger", "stranger", 5.0), 10_000);
    assert_eq!(s.hosts.len(), 1);
    assert_eq!(s.hosts[0].state(10_000), HostState::Online);
}

#[test]
fn discovery_is_bounded() {
    let mut s = store(&format!("[fleet]\ndiscover = \"nats\"\n{NATS}"));
    for i in 0..MAX_DISCOVERED + 10 {
        let k = format!("h{i}");
        s.apply(host(&k, &k, 1.0), 10_000);
    }
    assert_eq!(s.hosts.len(), MAX_DISCOVERED);
    assert_eq!(s.push.over_limit, 10);
    // Known rows keep updating.
    s.apply(host("h7", "h7", 77.0), 10_001);
    assert_eq!(s.host("h7").unwrap().cur.as_ref().unwrap().cpu_pct, 77.0);
}
