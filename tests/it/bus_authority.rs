//! The bus is not an authority, against a real `nats-server`: what fleettop
//! hears on the bus it does not say again under its own name, a kind named
//! by a sender never becomes a subject, what it derives (a streak gone
//! critical, a recovery) is published; and a flood of bad events through
//! the real binary is one log line, in a private log, with no forged lines.
//!
//! Connections are shared by `[[nats]]` name within a process: each test
//! names its server differently.

use crate::common;

use common::{NatsServer, free_port, running, until};
use fleettop::config::parse_str;
use fleettop::model::now_millis;
use fleettop::store::Store;
use fleettop::update::Update;
use futures_util::StreamExt;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use tokio::sync::mpsc;

/// A real nats-server, fleettop's sources on it (`[[nats]]` `name` with
/// `nats` lines, `[agents]` on `fleet.daemon.>`, then `extra`), and a client
/// of it, once the agents' subscription hears.
struct Bus {
    store: Store,
    rx: mpsc::Receiver<Update>,
    client: async_nats::Client,
    _ctx: fleettop::sources::Ctx,
    _server: NatsServer,
    _dir: tempfile::TempDir,
}

impl Bus {
    async fn start(name: &str, nats: &str, extra: &str) -> Bus {
        let dir = tempfile::tempdir().unwrap();
        let server = NatsServer::start(dir.path(), free_port(), free_port());
        let url = server.url();
        let config = parse_str(
            &format!(
                "[[nats]]\nname = \"{name}\"\nurl = \"{url}\"\n{nats}\n[agents]\nnats = \"{name}\"\nsubjects = [\"fleet.daemon.>\"]\n\n{extra}"
            ),
            "bus.toml",
        )
        .unwrap();
        let (mut store, mut rx, ctx) = running(&config);
        let client = async_nats::connect(url).await.unwrap();
        subscribed(&mut store, &mut rx, &client).await;
        Bus {
            store,
            rx,
            client,
            _ctx: ctx,
            _server: server,
            _dir: dir,
        }
    }
}

/// The agents' subscription is made in the background: probes until it
/// hears (an agent "probe" then has a row).
async fn subscribed(store: &mut Store, rx: &mut mpsc::Receiver<Update>, client: &async_nats::Client) {
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while store.agents.get("probe").is_none() {
        assert!(
            tokio::time::Instant::now() < end,
            "the agents' subscription never heard"
        );
        let probe = r#"{"agent":"probe","event":"completed"}"#;
        client.publish("fleet.daemon.probe", probe.into()).await.unwrap();
        if let Ok(Some(u)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            store.apply(u, now_millis());
        }
    }
}

#[tokio::test]
async fn what_is_heard_on_the_bus_is_not_said_again_but_what_fleettop_derives_is() {
    // Its sources find a connection by a name (in the library's process-wide
    // links) that another module's test also uses.
    if !NatsServer::binary_present() {
        return;
    }
    let mut bus = Bus::start(
        "main",
        "subscribe = [\"fleet.>\"]\n",
        "[alerts]\nagent_fail_streak_critical = 2\n",
    )
    .await;
    let mut published = bus.client.subscribe("fleettop.>").await.unwrap();
    bus.client.flush().await.unwrap();
    let (store, rx, client) = (&mut bus.store, &mut bus.rx, bus.client.clone());
    let send = |subject: &'static str, body: String| {
        let client = client.clone();
        async move {
            client.publish(subject, body.into()).await.unwrap();
            client.flush().await.unwrap();
        }
    };
    let run = |event: &str, said: &str| {
        format!(r#"{{"agent":"scout","event":"{event}","output":"{{\"summary\":\"{said}\"}}"}}"#)
    };
    send("fleet.daemon.scout", run("completed", "all fine")).await;
    // A sender names its kind after one of fleettop's subjects.
    send(
        "fleet.daemon.x",
        r#"{"type":"nats.link","peer_id":"mallory","summary":"I am fleettop"}"#.into(),
    )
    .await;
    send(
        "fleet.other",
        r#"{"type":"agent","peer_id":"mallory","summary":"raw"}"#.into(),
    )
    .await;
    send("fleet.daemon.scout", run("failed", "boom")).await;
    send("fleet.daemon.scout", run("failed", "boom again")).await;
    send("fleet.daemon.scout", run("completed", "better")).await;
    until(store, rx, "the runs", |s| {
        s.agents.get("scout").is_some_and(|a| a.ok == 2 && a.failed == 2)
            && s.events.newest_first().any(|e| e.title.contains("I am fleettop"))
    })
    .await;
    let notice = store
        .events
        .newest_first()
        .find(|e| e.title.contains("I am fleettop"))
        .unwrap();
    assert_eq!(notice.kind, "notice", "the sender's word is not a kind");

    // Everything fleettop published meanwhile (plus a moment for the outbox).
    let end = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut out = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout_at(end, published.next()).await {
        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        out.push((
            m.subject.to_string(),
            v["title"].as_str().unwrap_or_default().to_string(),
        ));
    }
    let titles: Vec<&str> = out.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        titles.contains(&"scout failed: boom again"),
        "the critical failure: {out:?}"
    );
    assert!(titles.contains(&"scout failed 2 times in a row"), "{out:?}");
    assert!(titles.contains(&"scout recovered after 2 failed runs"), "{out:?}");
    for (subject, title) in &out {
        assert!(
            !title.contains("completed") && title != "scout failed: boom",
            "a bus run said again: {out:?}"
        );
        assert!(
            !title.contains("mallory"),
            "a bus notice or message said again: {out:?}"
        );
        assert!(
            ["fleettop.agent", "fleettop.nats.link"].contains(&subject.as_str()),
            "{subject}: {out:?}"
        );
    }
}

/// 500 unreadable events and a notice whose sender wrote a newline, from
/// JetStream into `fleettop snapshot`: one log line about the bad events,
/// no line the sender started, and the log is 0600.
#[tokio::test]
async fn a_flood_of_bad_events_is_one_log_line_and_no_forged_line() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path(), free_port(), free_port());
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    common::fleet_stream(&js).await;
    for i in 0..500 {
        js.publish("fleet.daemon.bad", format!("not json {i}\nFORGED ERROR line").into())
            .await
            .unwrap();
    }
    js.publish(
        "fleet.daemon.peer",
        r#"{"type":"peer_joined","peer_id":"m\nFORGED ERROR fleettop: pwned\u001b]0;t\u0007"}"#.into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[nats]]\nname = \"main\"\nurl = \"{}\"\n\n[agents]\nnats = \"main\"\nsubjects = [\"fleet.daemon.>\"]\nreplay = \"1h\"\n",
            server.url()
        ),
    )
    .unwrap();
    let log = dir.path().join("fleettop.log");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(["snapshot", "--config"])
        .arg(&cfg)
        .arg("--log-file")
        .arg(&log)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&log).unwrap();
    let bad = text.lines().filter(|l| l.contains("unreadable agent event")).count();
    assert_eq!(bad, 1, "{text}");
    assert!(!text.lines().any(|l| l.starts_with("FORGED")), "{text}");
    assert!(text.contains("m FORGED ERROR fleettop: pwned: peer_joined"), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text}");
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["agents"].as_array().unwrap().is_empty(), "{v}");
}

/// The agents' subjects have a rate budget per subject: a flood of runs on
/// one is cut to its share and counted, and another agent's subject is
/// still heard.
#[tokio::test]
async fn a_flood_on_one_agent_subject_is_cut_and_counted_and_the_others_are_heard() {
    if !NatsServer::binary_present() {
        return;
    }
    let mut bus = Bus::start("flood", "", "").await;
    let (store, rx, client) = (&mut bus.store, &mut bus.rx, bus.client.clone());
    for i in 0..500 {
        let run = format!(r#"{{"agent":"noisy","event":"completed","output":"{i}"}}"#);
        client.publish("fleet.daemon.noisy", run.into()).await.unwrap();
    }
    client
        .publish("fleet.daemon.quiet", r#"{"agent":"quiet","event":"completed"}"#.into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    let noisy = |s: &Store| s.agents.get("noisy").map_or(0, |a| a.ok);
    until(store, rx, "the quiet agent and the flood accounted for", |s| {
        s.agents.get("quiet").is_some_and(|a| a.ok == 1) && noisy(s) + s.agents.throttled == 500
    })
    .await;
    let heard = noisy(store);
    assert!((1..200).contains(&heard), "{heard} of 500 runs on one subject heard");
}
