use super::*;
use crate::model::{Disk, HostSample, InferenceCounters, Interface};

const S: i64 = 1000;

pub(crate) fn config(extra: &str) -> Config {
    crate::config::parse_str(
        &format!("[[hosts]]\nname = \"box\"\nlocal = true\ninterval = \"2s\"\n{extra}"),
        "t",
    )
    .unwrap()
}

fn sample(at: i64, disk_pct: f64) -> Box<HostSample> {
    Box::new(HostSample {
        at,
        mem_total_bytes: 100,
        disks: vec![Disk {
            mount: "/home".into(),
            device: "sda1".into(),
            fs: "ext4".into(),
            total_bytes: 1000,
            used_bytes: (disk_pct * 10.0) as u64,
            available_bytes: 1000 - (disk_pct * 10.0) as u64,
        }],
        ..HostSample::default()
    })
}

pub(crate) fn ok(at: i64, disk_pct: f64) -> Update {
    Update::Host {
        name: "box".into(),
        result: Ok(sample(at, disk_pct)),
    }
}

fn titles(store: &Store) -> Vec<(Level, String)> {
    let mut v: Vec<_> = store
        .events
        .newest_first()
        .map(|e| (e.level, e.title.clone()))
        .collect();
    v.reverse();
    v
}

#[test]
fn first_sample_announces_the_host() {
    let mut st = Store::new(&config(""));
    assert_eq!(st.hosts[0].state(0), crate::model::HostState::Stale);
    st.apply(ok(0, 10.0), 0);
    assert_eq!(titles(&st), [(Level::Info, "box up".to_string())]);
    assert!(st.problems(0).is_empty());
}

#[test]
fn disk_at_91_pct_for_10_s_is_critical_and_recovers() {
    let mut st = Store::new(&config("[alerts]\ndisk_critical_after = \"10s\"\n"));
    st.apply(ok(0, 91.0), 0);
    assert_eq!(st.problems(0)[0].level, Level::Warn, "not sustained yet");
    st.apply(ok(5 * S, 91.5), 5 * S);
    assert_eq!(st.problems(5 * S)[0].level, Level::Warn);
    st.tick(10 * S);
    let p = st.problems(10 * S);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].level, Level::Critical);
    // df's Capacity: 91.5 % rounds up.
    assert_eq!(p[0].title, "box disk /home 92% full");
    assert_eq!(st.problem_count(Tab::Fleet, 10 * S), (1, Level::Critical));
    st.apply(ok(12 * S, 50.0), 12 * S);
    assert!(st.problems(12 * S).is_empty());
    let t = titles(&st);
    assert_eq!(
        t[1..],
        [
            (Level::Warn, "box disk /home 91% full".to_string()),
            (Level::Critical, "box disk /home 92% full".to_string()),
            (Level::Info, "box disk /home back under 80%".to_string()),
        ]
    );
}

#[test]
fn a_dip_below_critical_restarts_the_clock() {
    let mut st = Store::new(&config("[alerts]\ndisk_critical_after = \"10s\"\n"));
    st.apply(ok(0, 95.0), 0);
    st.apply(ok(6 * S, 85.0), 6 * S);
    st.apply(ok(8 * S, 95.0), 8 * S);
    st.tick(12 * S);
    assert_eq!(st.problems(12 * S)[0].level, Level::Warn, "above critical for 4s only");
    st.tick(18 * S);
    assert_eq!(st.problems(18 * S)[0].level, Level::Critical);
}

#[test]
fn warn_band_never_becomes_critical() {
    let mut st = Store::new(&config(""));
    st.apply(ok(0, 85.0), 0);
    st.apply(ok(3_600 * S, 85.0), 3_600 * S);
    assert_eq!(st.problems(3_600 * S)[0].level, Level::Warn);
}

fn refused() -> Update {
    Update::Host {
        name: "box".into(),
        result: Err(SourceError::Unreachable("connection refused".into())),
    }
}

#[test]
fn host_state_is_debounced_over_two_polls() {
    use crate::model::HostState::*;
    let mut st = Store::new(&config(""));
    st.apply(ok(0, 10.0), 0);
    st.apply(refused(), 2 * S);
    assert_eq!(st.hosts[0].state(2 * S), Online, "one failed poll changes nothing");
    assert!(st.problems(2 * S).is_empty());
    st.apply(ok(4 * S, 10.0), 4 * S);
    st.apply(refused(), 6 * S);
    assert_eq!(st.hosts[0].state(6 * S), Online);
    st.apply(refused(), 8 * S);
    assert_eq!(st.hosts[0].state(8 * S), Offline, "the second in a row does");
    assert!(
        titles(&st).iter().any(|(_, t)| t.contains("offline")),
        "{:?}",
        titles(&st)
    );
    st.apply(ok(10 * S, 10.0), 10 * S);
    assert_eq!(st.hosts[0].state(10 * S), Online, "one answer is back online");
    // An auth error needs no second opinion; nor does a host never seen.
    st.apply(
        Update::Host {
            name: "box".into(),
            result: Err(SourceError::Auth("host key changed".into())),
        },
        12 * S,
    );
    assert_eq!(st.hosts[0].state(12 * S), AuthError);
    let mut fresh = Store::new(&config(""));
    fresh.apply(refused(), S);
    assert_eq!(fresh.hosts[0].state(S), Offline);
}

#[test]
fn silent_host_goes_stale_then_offline_then_critical_and_back() {
    let mut st = Store::new(&config("[alerts]\noffline_critical_after = \"5m\"\n"));
    st.apply(ok(0, 10.0), 0);
    st.tick(6 * S);
    assert_eq!(st.hosts[0].state(6 * S), crate::model::HostState::Online);
    st.tick(7 * S);
    assert_eq!(st.hosts[0].state(7 * S), crate::model::HostState::Stale);
    assert_eq!(st.problems(7 * S)[0].level, Level::Warn);
    st.apply(refused(), 8 * S);
    assert_eq!(
        st.hosts[0].state(8 * S),
        crate::model::HostState::Stale,
        "one failed poll is not offline yet"
    );
    st.apply(refused(), 8 * S);
    assert_eq!(st.hosts[0].state(8 * S), crate::model::HostState::Offline);
    assert_eq!(st.problems(8 * S)[0].level, Level::Error);
    assert!(st.problems(8 * S)[0].title.contains("connection refused"));
    st.tick(8 * S + 299 * S);
    assert_eq!(st.problems(307 * S)[0].level, Level::Error, "not yet sustained");
    st.tick(8 * S + 300 * S);
    assert_eq!(st.problems(308 * S)[0].level, Level::Critical);
    st.apply(ok(310 * S, 10.0), 310 * S);
    assert!(st.problems(310 * S).is_empty());
    assert_eq!(
        titles(&st).last().unwrap(),
        &(Level::Info, "box back online".to_string())
    );
}

#[test]
fn events_expire_after_their_ttl() {
    let mut st = Store::new(&config("[alerts]\nevent_ttl = \"1m\"\n"));
    st.apply(ok(0, 10.0), 0);
    assert_eq!(st.events.len(), 1);
    st.apply(ok(58 * S, 10.0), 58 * S);
    assert!(!st.tick(59 * S));
    assert!(st.tick(60 * S), "expiry is a visible change");
    assert!(st.events.is_empty());
}

#[test]
fn rates_come_from_two_samples() {
    let mut st = Store::new(&config(""));
    let mk = |at: i64, rx: u64, tokens: f64| {
        let mut s = sample(at, 10.0);
        s.interfaces = vec![
            Interface {
                name: "eth0".into(),
                rx_bytes: rx,
                tx_bytes: rx / 2,
            },
            Interface {
                name: "lo".into(),
                rx_bytes: rx * 9,
                tx_bytes: rx * 9,
            },
        ];
        s.inference = Some(InferenceCounters {
            generation_tokens_total: Some(tokens),
            ..Default::default()
        });
        Update::Host {
            name: "box".into(),
            result: Ok(s),
        }
    };
    st.apply(mk(0, 1_000, 100.0), 0);
    assert_eq!(st.hosts[0].net_rates(), None, "one sample has no rate");
    st.apply(mk(2 * S, 5_000, 180.0), 2 * S);
    assert_eq!(
        st.hosts[0].net_rates(),
        Some((2_000.0, 1_000.0)),
        "loopback is not counted"
    );
    assert_eq!(st.hosts[0].tokens_per_s(), Some(40.0));
    let rates = st.hosts[0].iface_rates();
    assert_eq!(rates[0].rx_per_s, 2_000.0);
    st.apply(mk(4 * S, 6_000, 10.0), 4 * S);
    assert_eq!(st.hosts[0].tokens_per_s(), None, "a counter reset is no rate");
}

#[test]
fn updates_for_unknown_hosts_are_ignored() {
    let mut st = Store::new(&config(""));
    let n = st.apply(
        Update::Host {
            name: "ghost".into(),
            result: Ok(sample(0, 1.0)),
        },
        0,
    );
    assert_eq!(n, 0);
    assert!(st.events.is_empty());
}

#[test]
fn event_text_from_outside_is_sanitised() {
    let mut r = EventRing::new(2);
    r.push(
        0,
        NewEvent {
            title: "evil\u{1b}]0;pwned\u{7}name\u{1b}[2J".into(),
            ..NewEvent::default()
        },
    );
    assert_eq!(r.newest_first().next().unwrap().title, "evilname");
    r.push(1, NewEvent::default());
    r.push(2, NewEvent::default());
    assert_eq!((r.len(), r.dropped), (2, 1), "the ring is bounded");
}

/// What a crashed source task sends (`sources::Rows`) lands on its rows: a
/// host's error, the scope's one error row, the agent's heartbeat error.
#[test]
fn a_crashed_sources_words_are_said_where_its_rows_are() {
    use crate::update::agents::AgentUpdate;
    use crate::update::services::{Health, Kind, Row, ServiceUpdate};
    let mut store = Store::new(&config("[[services.http]]\nname = \"web\"\nurl = \"http://h/\"\n"));
    let words = "collector crashed: x, restarting";
    store.apply(
        Update::Host {
            name: "box".into(),
            result: Err(SourceError::Other(words.into())),
        },
        1,
    );
    assert!(format!("{:?}", store.host("box").unwrap()).contains(words));
    let row = Row::new("http:web", Kind::Http, "web", Health::Error, words);
    let set = ServiceUpdate::Set {
        scope: "http:web".into(),
        rows: vec![row],
    };
    store.apply(Update::Services(set), 1);
    let row = store.services.get("http:web").unwrap();
    assert_eq!((row.row.health, row.row.detail.as_str()), (Health::Error, words));
    let hb = AgentUpdate::Heartbeat {
        agent: "scout".into(),
        at: Err(words.into()),
    };
    store.apply(Update::Agents(hb), 1);
    assert_eq!(
        store.agents.get("scout").unwrap().heartbeat_error.as_deref(),
        Some(words)
    );
}
