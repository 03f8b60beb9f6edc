//! Agent runs from a real `nats-server -js`: a stream FLEET on `fleet.>`,
//! events published before fleettop starts come in through the JetStream
//! replay (as history: counted, not ticker news), later ones live, in
//! fleettop's format and the claude-peers supervisor's; no durable consumer
//! is created on the stream.

use crate::common;

use common::{NatsServer, free_port, named, running, until};
use fleettop::config::parse_str;
use fleettop::model::now_millis;
use futures_util::StreamExt;

fn peers(ty: &str, data: &str, summary: &str) -> String {
    serde_json::json!({"type": ty, "peer_id": "pr-helper", "machine": "omarchy", "summary": summary,
        "cwd": "/home/w", "data": data, "timestamp": fleettop::model::rfc3339(now_millis())})
    .to_string()
}

/// A stream FLEET on `fleet.>` (as claude-peers makes it) holding three
/// pr-helper runs: completed, failed, then a triage with `data`.
async fn fleet_stream_with_runs(js: &async_nats::jetstream::Context, data: &str, summary: &str) {
    common::fleet_stream(js).await;
    for (ty, data, summary) in [
        ("daemon_complete", "trigger=interval duration=1m30s", "Merged 2 PRs"),
        ("daemon_failed", "trigger=interval duration=12s", "gh: HTTP 401"),
        ("daemon_triage", data, summary),
    ] {
        js.publish("fleet.daemon.pr-helper", peers(ty, data, summary).into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
}

/// A real `nats-server -js` in a temporary directory, a client of it and
/// its JetStream context.
async fn js_server() -> (
    tempfile::TempDir,
    NatsServer,
    async_nats::Client,
    async_nats::jetstream::Context,
) {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path(), free_port(), free_port());
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = async_nats::jetstream::new(client.clone());
    (dir, server, client, js)
}

#[tokio::test]
async fn replay_then_live_from_a_fleet_stream() {
    // Its sources find a connection by a name (in the library's process-wide
    // links) that another module's test also uses.
    if !NatsServer::binary_present() {
        return;
    }
    let (_dir, server, client, js) = js_server().await;
    // Before fleettop starts: three claude-peers runs and one of fleettop's own.
    fleet_stream_with_runs(&js, "outcome=skip", "nothing to do").await;
    let own = r#"{"agent":"scout","tag":"sc","event":"completed","exit_code":0,"duration_ms":31000,"output":"{\"summary\":\"14 hosts\"}"}"#;
    js.publish("fleet.agents.scout", own.into())
        .await
        .unwrap()
        .await
        .unwrap();
    js.publish("fleet.agents.scout", "not json at all".into())
        .await
        .unwrap()
        .await
        .unwrap();

    let config = parse_str(
        &format!(
            "[[nats]]\nname = \"main\"\nurl = \"{}\"\nsubscribe = [\"fleet.>\"]\n\n[agents]\nnats = \"main\"\nsubjects = [\"fleet.agents.>\", \"fleet.daemon.>\"]\nreplay = \"1h\"\n\n[[agents.daemon]]\nname = \"pr-helper\"\ntag = \"pr\"\n",
            server.url()
        ),
        "agents-nats.toml",
    )
    .unwrap();
    let (mut store, mut rx, _ctx) = running(&config);

    until(&mut store, &mut rx, "the replay", |s| {
        s.agents
            .get("pr-helper")
            .is_some_and(|a| a.ok + a.failed + a.skipped == 3)
            && s.agents.get("scout").is_some_and(|a| a.ok == 1)
    })
    .await;
    let a = store.agents.get("pr-helper").unwrap();
    assert_eq!(
        (a.ok, a.failed, a.skipped, a.fail_streak),
        (1, 1, 1, 1),
        "a triage skip is not a failure"
    );
    assert_eq!(a.last().unwrap().extracted, "nothing to do");
    assert_eq!(
        a.runs.iter().find(|r| r.duration_ms == Some(90_000)).unwrap().trigger,
        "interval"
    );
    let scout = store.agents.get("scout").unwrap();
    assert_eq!(
        (scout.tag.as_str(), scout.last().unwrap().extracted.as_str()),
        ("sc", "14 hosts")
    );
    until(&mut store, &mut rx, "the bad event counted", |s| {
        s.agents.bad_events == 1
    })
    .await;
    let titles: Vec<String> = store.events.newest_first().map(|e| e.title.clone()).collect();
    assert!(
        !titles.iter().any(|t| t.starts_with("pr-helper completed")),
        "history is not ticker news: {titles:?}"
    );

    // Live, after the replay.
    client
        .publish(
            "fleet.daemon.pr-helper",
            peers("daemon_failed", "trigger=event:fleet.> duration=3s", "boom").into(),
        )
        .await
        .unwrap();
    // Also subscribed to fleet.> for the ticker: the run is on it once, in
    // the Agents tab's words; the other fleet event once, raw.
    client
        .publish(
            "fleet.peer_joined",
            r#"{"type":"peer_joined","peer_id":"laptop"}"#.into(),
        )
        .await
        .unwrap();
    client.flush().await.unwrap();
    until(&mut store, &mut rx, "the live event", |s| {
        s.agents.get("pr-helper").is_some_and(|a| a.failed == 2)
            && s.events.newest_first().any(|e| e.source == "fleet.peer_joined")
    })
    .await;
    let titles: Vec<String> = store.events.newest_first().map(|e| e.title.clone()).collect();
    assert_eq!(titles.iter().filter(|t| t.contains("boom")).count(), 1, "{titles:?}");
    assert!(titles.iter().any(|t| t == "pr-helper failed: boom"), "{titles:?}");
    assert!(
        !store
            .events
            .newest_first()
            .any(|e| e.source.starts_with("fleet.daemon.")),
        "no raw copy of an agent event"
    );
    assert_eq!(store.agents.get("pr-helper").unwrap().fail_streak, 2);

    // Only ephemeral consumers on someone else's stream.
    let mut stream = js.get_stream("FLEET").await.unwrap();
    let n = stream.info().await.unwrap().state.consumer_count;
    assert!(n >= 1, "the replay reads through a consumer");
    let mut consumers = stream.consumers();
    while let Some(c) = consumers.next().await {
        let c = c.unwrap();
        assert!(
            c.config.durable_name.is_none(),
            "durable consumer {:?} created",
            c.config.durable_name
        );
    }
}

/// `fleettop snapshot` (the real binary) replays the agents' history too:
/// it connects only for that, and waits until every subject is caught up.
#[tokio::test]
async fn snapshot_includes_agents_known_only_from_jetstream() {
    if !NatsServer::binary_present() {
        return;
    }
    let (dir, server, _client, js) = js_server().await;
    fleet_stream_with_runs(&js, "outcome=cooldown", "waiting 30m").await;
    let cfg = dir.path().join("snap.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[nats]]\nname = \"main\"\nurl = \"{}\"\nsubscribe = [\"fleet.>\"]\n\n[agents]\nnats = \"main\"\n\
             subjects = [\"fleet.daemon.>\", \"fleet.nothing.>\"]\nreplay = \"1h\"\n",
            server.url()
        ),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .arg("snapshot")
        .arg("--config")
        .arg(&cfg)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    common::schema_valid(&v);
    let a = named(&v["agents"], "pr-helper");
    assert_eq!(
        (
            a["runs_ok"].as_u64(),
            a["runs_failed"].as_u64(),
            a["runs_skipped"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{a}"
    );
    assert_eq!(a["status"], "cooldown", "{a}");
    assert_eq!(a["state"], "error", "one failure in the streak: {a}");
    assert_eq!(a["fail_streak"], 1, "{a}");
    // History, not news; and no raw copies of the daemon's messages.
    let events = v["events"].as_array().unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e["source"].as_str().is_some_and(|s| s.starts_with("fleet."))),
        "{events:?}"
    );
}
