use super::message::message_event;
use super::*;
use crate::config::Config;
use crate::parse::nats as p;
use crate::store::Tab;
use crate::store::{Store, Update};

const S: i64 = 1000;
const T0: i64 = 1_780_000_000_000;

fn config() -> Config {
    crate::config::parse_str(
        r#"
[[nats]]
name = "main"
monitor_url = "http://127.0.0.1:8222"
ack_pending_warn = 5
[alerts]
offline_critical_after = "5m"
"#,
        "t.toml",
    )
    .unwrap()
}

fn sample(at: i64, in_msgs: u64, ack_pending: u64) -> Update {
    sample_with(at, in_msgs, ack_pending, 0, 0)
}

fn sample_with(at: i64, in_msgs: u64, ack_pending: u64, slow: u64, storage: u64) -> Update {
    let varz = p::Varz {
        slow_consumers: slow,
        version: "2.9.10".into(),
        uptime: "1h".into(),
        in_msgs,
        in_bytes: in_msgs * 100,
        ..p::Varz::default()
    };
    let jsz = p::Jsz {
        storage,
        config: Some(p::JsLimits {
            max_memory: 1000,
            max_storage: 1000,
        }),
        account_details: vec![p::AccountDetail {
            name: "$G".into(),
            stream_detail: vec![p::StreamDetail {
                name: "ORDERS".into(),
                consumer_detail: vec![p::ConsumerInfo {
                    name: "worker".into(),
                    num_ack_pending: ack_pending,
                    num_pending: 10,
                    ..p::ConsumerInfo::default()
                }],
                ..p::StreamDetail::default()
            }],
            ..p::AccountDetail::default()
        }],
        ..p::Jsz::default()
    };
    Update::Nats(NatsUpdate::Monitor {
        name: "main".into(),
        result: Ok(Box::new(MonitorSample {
            at,
            varz,
            jsz: Ok(jsz),
            connz: Err("HTTP 500".into()),
            health: Ok(p::Healthz {
                status: "ok".into(),
                error: String::new(),
            }),
        })),
    })
}

fn down() -> Update {
    Update::Nats(NatsUpdate::Monitor {
        name: "main".into(),
        result: Err(SourceError::Unreachable("connection refused".into())),
    })
}

#[test]
fn rates_come_from_two_samples_and_not_across_a_restart() {
    let mut st = Store::new(&config());
    st.apply(sample(T0, 100, 0), T0);
    assert_eq!(st.nats.servers[0].rates, None, "one sample: no rate");
    st.apply(sample(T0 + 2 * S, 300, 0), T0 + 2 * S);
    let r = st.nats.servers[0].rates.unwrap();
    assert_eq!(r.in_msgs_per_s, 100.0);
    assert_eq!(r.in_bytes_per_s, 10_000.0);
    // The server restarted: its counters went back.
    st.apply(sample(T0 + 4 * S, 5, 0), T0 + 4 * S);
    assert_eq!(st.nats.servers[0].rates, None);
}

#[test]
fn ack_pending_warns_then_turns_critical_when_sustained() {
    let mut st = Store::new(&config());
    st.apply(sample(T0, 0, 4), T0);
    assert_eq!(st.problem_count(Tab::Nats, T0), (0, Level::Info));
    st.apply(sample(T0 + S, 0, 5), T0 + S);
    assert_eq!(st.problem_count(Tab::Nats, T0 + S), (1, Level::Warn));
    let ev = st.events.newest_first().next().unwrap();
    assert_eq!((ev.level, ev.kind.as_str()), (Level::Warn, "nats.ack_pending"));
    st.apply(sample(T0 + 200 * S, 0, 9), T0 + 200 * S);
    assert_eq!(st.problem_count(Tab::Nats, T0 + 200 * S).1, Level::Warn, "not yet 5m");
    assert!(st.tick(T0 + 301 * S));
    assert_eq!(st.problem_count(Tab::Nats, T0 + 301 * S), (1, Level::Critical));
    assert_eq!(st.events.newest_first().next().unwrap().level, Level::Critical);
    st.apply(sample(T0 + 302 * S, 0, 1), T0 + 302 * S);
    assert_eq!(st.problem_count(Tab::Nats, T0 + 302 * S), (0, Level::Info));
    assert_eq!(st.events.newest_first().next().unwrap().level, Level::Info, "recovered");
}

#[test]
fn unreachable_is_an_error_then_critical_after_offline_critical_after() {
    let mut st = Store::new(&config());
    st.apply(sample(T0, 0, 9), T0);
    st.apply(down(), T0 + S);
    let ps = st.problems(T0 + S);
    assert!(
        ps.iter()
            .any(|p| p.level == Level::Error && p.title.contains("connection refused")),
        "{ps:?}"
    );
    // The consumer's last known state is kept while the server is away.
    assert!(ps.iter().any(|p| p.title.contains("ack pending")), "{ps:?}");
    st.apply(down(), T0 + 200 * S);
    assert_eq!(st.nats.level(&st.nats.servers[0], T0 + 200 * S), Some(Level::Error));
    st.tick(T0 + 301 * S);
    assert_eq!(st.problem_count(Tab::Nats, T0 + 301 * S).1, Level::Critical);
    assert_eq!(st.nats.level(&st.nats.servers[0], T0 + 301 * S), Some(Level::Critical));
    let snap = st.nats.snapshot(T0 + 301 * S);
    assert_eq!(snap[0].state, "critical");
    assert_eq!(snap[0].error.as_deref(), Some("connection refused"));
    st.apply(sample(T0 + 302 * S, 0, 0), T0 + 302 * S);
    assert_eq!(st.problem_count(Tab::Nats, T0 + 302 * S).0, 0);
}

#[test]
fn messages_become_ticker_events_with_a_level_from_their_content() {
    let e = message_event(
        "fleet.daemon.scout",
        br#"{"type":"daemon_failed","peer_id":"scout","summary":"exit 1\u001b[31m"}"#,
    );
    assert_eq!(e.level, Level::Error);
    assert_eq!(e.title, "daemon_failed scout exit 1");
    // The sender's word is in the title; the kind is one of fleettop's.
    assert_eq!(e.kind, "failure");
    let forged = message_event("fleet.x", br#"{"type":"nats.link.>*"}"#);
    assert_eq!(
        (forged.kind.as_str(), forged.title.as_str()),
        ("notice", "nats.link.>*")
    );
    assert_eq!(
        message_event("fleet.x", br#"{"type":"security_alert"}"#).level,
        Level::Warn
    );
    assert_eq!(
        message_event("fleet.x", br#"{"type":"quarantine","name":"a"}"#).level,
        Level::Warn
    );
    assert_eq!(
        message_event("fleet.x", br#"{"type":"peer_joined"}"#).level,
        Level::Info
    );
    let raw = message_event("fleet.x", b"plain \x1b]0;title\x07text");
    assert_eq!((raw.level, raw.title.as_str()), (Level::Info, "plain text"));
}

#[test]
fn received_messages_are_not_published_again() {
    let mut st = Store::new(&config());
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    st.outlet = Some(tx);
    st.apply(
        Update::Nats(NatsUpdate::Message {
            name: "main".into(),
            subject: "fleet.daemon.x".into(),
            payload: br#"{"type":"daemon_failed"}"#.to_vec(),
        }),
        T0,
    );
    assert_eq!(st.events.len(), 1);
    assert!(rx.try_recv().is_err(), "not echoed");
    st.apply(down(), T0);
    assert_eq!(rx.try_recv().unwrap().kind, "nats.server");
}

#[test]
fn new_slow_consumers_and_a_full_jetstream_are_said() {
    let mut st = Store::new(&config());
    st.apply(sample_with(T0, 0, 0, 2, 100), T0);
    assert!(st.events.is_empty(), "a first sample has nothing to compare with");
    st.apply(sample_with(T0 + S, 0, 0, 5, 100), T0 + S);
    let e = st.events.newest_first().next().unwrap();
    assert_eq!(
        (e.level, e.title.as_str()),
        (Level::Warn, "NATS main: 3 new slow consumer(s), 5 in all")
    );
    assert_eq!(
        st.problem_count(Tab::Nats, T0 + S).0,
        0,
        "an event, not a lasting problem"
    );
    st.apply(sample_with(T0 + 2 * S, 0, 0, 5, 850), T0 + 2 * S);
    let ps = st.problems(T0 + 2 * S);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].title, "NATS main JetStream storage 85% of its limit");
}

#[test]
fn an_optional_server_that_never_answered_is_not_a_problem() {
    let mut c = config();
    c.nats[0].optional = true;
    let mut st = Store::new(&c);
    st.apply(down(), T0);
    st.tick(T0 + 3600 * S);
    assert!(st.problems(T0 + 3600 * S).is_empty());
    assert!(st.events.is_empty());
    assert!(!st.nats.first_round_pending(), "a snapshot does not wait for it");
    let snap = &st.nats.snapshot(T0)[0];
    assert_eq!(snap.state, "unknown");
    assert!(snap.error.as_deref().unwrap().starts_with("not configured here"));
    // Once it has answered, its going away is a problem like any other.
    st.apply(sample(T0 + S, 0, 0), T0 + S);
    st.apply(down(), T0 + 2 * S);
    assert_eq!(st.problem_count(Tab::Nats, T0 + 2 * S), (1, Level::Error));
}
