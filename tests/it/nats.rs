//! The NATS tab against the real thing: `nats-server -js` on loopback ports
//! chosen at random, streams and consumers made through async-nats, a local
//! HTTP server for the webhook and for bad monitoring endpoints; and render
//! tests of the tab and its drill-downs.
//!
//! When `nats-server` is missing these tests say so and pass, unless
//! `FLEETTOP_IT=1` (as CI sets), where they fail.

use fleettop::config::{Config, parse_str};
use fleettop::model::{Level, now_millis};
use fleettop::parse::nats as p;
use fleettop::sources::{self, Ctx};
use fleettop::store::{Store, Tab};
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{self, Detail, View};
use fleettop::update::{SourceError, Update};
use fleettop::update::{nats::LinkState, nats::MonitorSample, nats::NatsUpdate};
use futures_util::StreamExt;
use ratatui::buffer::Buffer;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::common;
use common::screen::text_trimmed as text;
use common::{NatsServer, free_port};

fn config(text: &str) -> Config {
    parse_str(text, "nats-test.toml").unwrap_or_else(|e| panic!("{e:?}"))
}

struct Fleettop {
    store: Store,
    rx: mpsc::Receiver<Update>,
    ctx: Ctx,
}

impl Fleettop {
    fn start(c: &Config) -> Fleettop {
        let (tx, rx) = mpsc::channel(256);
        let ctx = Ctx::new(tx);
        let mut store = Store::new(c);
        store.outlet = sources::spawn_all(c, &ctx);
        Fleettop { store, rx, ctx }
    }

    /// Applies updates and ticks until `cond` holds; panics (saying what it
    /// waited for) after `secs`.
    async fn until(&mut self, what: &str, secs: u64, cond: impl Fn(&Store) -> bool) {
        let end = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if cond(&self.store) {
                return;
            }
            if tokio::time::Instant::now() > end {
                let s = &self.store.nats.servers;
                let events: Vec<_> = self.store.events.newest_first().map(|e| e.title.clone()).collect();
                panic!(
                    "waited {secs}s for {what}; error {:?} link {:?} events {events:?}",
                    s.first().map(|s| &s.error),
                    s.first().map(|s| &s.link)
                );
            }
            if let Ok(Some(u)) = tokio::time::timeout(Duration::from_millis(100), self.rx.recv()).await {
                self.store.apply(u, now_millis());
            }
            self.store.tick(now_millis());
        }
    }
}

async fn jetstream_fixture(url: &str) -> (async_nats::Client, async_nats::Client) {
    use async_nats::jetstream::{self, consumer};
    let client = async_nats::ConnectOptions::new()
        .name("orders-service")
        .connect(url)
        .await
        .unwrap();
    let odd = async_nats::ConnectOptions::new()
        .name("odd\u{1b}[31m-worker")
        .connect(url)
        .await
        .unwrap();
    odd.subscribe("orders.>").await.unwrap();
    odd.flush().await.unwrap();
    let js = jetstream::new(client.clone());
    let orders = js
        .create_stream(jetstream::stream::Config {
            name: "ORDERS".into(),
            subjects: vec!["orders.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    js.create_stream(jetstream::stream::Config {
        name: "EMPTY".into(),
        subjects: vec!["empty.>".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    for i in 0..10 {
        js.publish(format!("orders.{i}"), format!("order {i}").into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let worker: consumer::PullConsumer = orders
        .create_consumer(consumer::pull::Config {
            durable_name: Some("worker".into()),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .unwrap();
    orders
        .create_consumer(consumer::pull::Config {
            durable_name: Some("audit".into()),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .unwrap();
    // Four delivered: one acked, three left un-acked.
    let mut batch = worker.fetch().max_messages(4).messages().await.unwrap();
    let mut n = 0;
    while let Some(m) = batch.next().await {
        let m = m.unwrap();
        if n == 0 {
            m.ack().await.unwrap();
        }
        n += 1;
    }
    assert_eq!(n, 4);
    client.flush().await.unwrap();
    (client, odd)
}

#[tokio::test]
async fn the_numbers_shown_are_what_jsz_says() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = NatsServer::start(dir.path(), free_port(), free_port());
    let _client = jetstream_fixture(&srv.url()).await;
    let c = config(&format!(
        "[[nats]]\nname = \"main\"\nmonitor_url = \"{}\"\ninterval = \"300ms\"\nack_pending_warn = 3\n",
        srv.monitor()
    ));
    let mut ft = Fleettop::start(&c);
    ft.until("two samples", 20, |s| s.nats.servers[0].samples >= 2).await;
    let http = reqwest::Client::new();
    let get = |path: &str| {
        let http = http.clone();
        let url = format!("{}{path}", srv.monitor());
        async move { http.get(url).send().await.unwrap().bytes().await.unwrap().to_vec() }
    };
    let jsz_body = get("/jsz?accounts=true&streams=true&consumers=true&config=true").await;
    if std::env::var("FLEETTOP_CAPTURE").is_ok() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nats");
        std::fs::write(format!("{dir}/jsz-streams.json"), &jsz_body).unwrap();
        std::fs::write(format!("{dir}/varz-streams.json"), get("/varz").await).unwrap();
        std::fs::write(format!("{dir}/connz-streams.json"), get("/connz").await).unwrap();
    }
    let jsz: serde_json::Value = serde_json::from_slice(&jsz_body).unwrap();
    let snap = fleettop::snapshot::Snapshot::build(&ft.store, now_millis());
    let snap = serde_json::to_value(&snap).unwrap();
    common::schema_valid(&snap);
    let server = &snap["nats"][0];
    assert_eq!(server["name"], "main");
    assert_eq!(server["version"], "2.9.10");
    assert_eq!(
        server["state"], "warn",
        "worker has 3 un-acked with ack_pending_warn = 3"
    );
    assert!(server["in_msgs_per_s"].is_number(), "two samples give a rate: {server}");
    assert_eq!(server["jetstream"]["storage_bytes"], jsz["storage"]);
    assert_eq!(server["jetstream"]["memory_bytes"], jsz["memory"]);
    let streams = jsz["account_details"][0]["stream_detail"].as_array().unwrap();
    let shown = server["jetstream"]["streams"].as_array().unwrap();
    assert_eq!(shown.len(), 2);
    assert_eq!(streams.len(), 2);
    let mut compared = 0;
    for st in streams {
        let mine = shown.iter().find(|s| s["name"] == st["name"]).unwrap();
        assert_eq!(mine["messages"], st["state"]["messages"]);
        assert_eq!(mine["bytes"], st["state"]["bytes"]);
        for c in st["consumer_detail"].as_array().into_iter().flatten() {
            let mc = mine["consumers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["name"] == c["name"])
                .unwrap();
            for f in ["num_pending", "num_ack_pending", "num_redelivered", "num_waiting"] {
                assert_eq!(mc[f], c[f], "{} {f}", c["name"]);
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 2);
    let orders = shown.iter().find(|s| s["name"] == "ORDERS").unwrap();
    assert_eq!(orders["messages"], 10);
    let worker = orders["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "worker")
        .unwrap();
    assert_eq!(
        (worker["num_ack_pending"].as_u64(), worker["num_pending"].as_u64()),
        (Some(3), Some(6))
    );
    // The warning is a NATS problem: the tab's badge counts it.
    assert_eq!(ft.store.problem_count(Tab::Nats, now_millis()), (1, Level::Warn));
    // And the screen shows those numbers, worst consumer first.
    let t = text(&draw(&ft.store, &nats_view(), 100, 30));
    let worker_line = t.lines().position(|l| l.contains("worker")).unwrap();
    let audit_line = t.lines().position(|l| l.contains("audit")).unwrap();
    assert!(worker_line < audit_line, "{t}");
    assert!(t.lines().nth(worker_line).unwrap().contains("       6        3"), "{t}");
}

#[tokio::test]
async fn ticker_events_are_published_and_subscribed_events_reach_the_ticker() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = NatsServer::start(dir.path(), free_port(), free_port());
    let client = async_nats::connect(srv.url()).await.unwrap();
    let mut published = client.subscribe("fleet.fleettop.>").await.unwrap();
    client.flush().await.unwrap();
    let c = config(&format!(
        "[[nats]]\nname = \"main\"\nurl = \"{}\"\nsubscribe = [\"fleet.>\"]\npublish_prefix = \"fleet.fleettop\"\n",
        srv.url()
    ));
    let mut ft = Fleettop::start(&c);
    ft.until("connected", 20, |s| {
        s.nats.servers[0].link.state == LinkState::Connected
    })
    .await;
    // "connected to NATS main" is itself a ticker event: it is published.
    let msg = tokio::time::timeout(Duration::from_secs(10), published.next())
        .await
        .expect("an event within 10s")
        .unwrap();
    assert_eq!(msg.subject.as_str(), "fleet.fleettop.nats.link");
    let v: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(keys.len(), 6, "{v}");
    for k in ["at", "level", "kind", "source", "title", "detail"] {
        assert!(v.get(k).is_some(), "{k} in {v}");
    }
    assert_eq!(v["level"], "info");
    assert_eq!(v["title"], "connected to NATS main");
    assert!(v["at"].as_str().unwrap().ends_with('Z'), "{v}");
    // A daemon's failure on a subscribed subject reaches the ticker as an error.
    client
        .publish(
            "fleet.daemon.scout",
            r#"{"type":"daemon_failed","peer_id":"scout","summary":"exit 2"}"#.into(),
        )
        .await
        .unwrap();
    client.flush().await.unwrap();
    ft.until("the daemon event", 10, |s| {
        s.events.newest_first().any(|e| {
            e.title == "daemon_failed scout exit 2" && e.level == Level::Error && e.source == "fleet.daemon.scout"
        })
    })
    .await;
    // A flood is counted, and only a bounded share of it reaches the ticker:
    // every message is either on the ticker or counted as not shown.
    for i in 0..200 {
        client.publish("fleet.flood", format!("{i}").into()).await.unwrap();
    }
    client.flush().await.unwrap();
    let flood = |s: &Store| s.events.newest_first().filter(|e| e.source == "fleet.flood").count() as u64;
    ft.until("the flood accounted for", 15, |s| {
        flood(s) + s.nats.servers[0].link.skipped == 200
    })
    .await;
    let skipped = ft.store.nats.servers[0].link.skipped;
    assert!(skipped >= 1 && flood(&ft.store) >= 1, "{skipped}");
}

#[tokio::test]
async fn a_server_restart_goes_down_comes_back_and_the_subscription_resumes() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (port, mport) = (free_port(), free_port());
    let srv = NatsServer::start(dir.path(), port, mport);
    let c = config(&format!(
        "[[nats]]\nname = \"main\"\nmonitor_url = \"{}\"\nurl = \"{}\"\ninterval = \"200ms\"\ntimeout = \"1s\"\nsubscribe = [\"fleet.>\"]\npublish_prefix = \"fleet.fleettop\"\n",
        srv.monitor(),
        srv.url()
    ));
    let mut ft = Fleettop::start(&c);
    ft.until("up and connected", 20, |s| {
        let n = &s.nats.servers[0];
        n.samples >= 1 && n.link.state == LinkState::Connected
    })
    .await;
    drop(srv);
    // Events made while the server is away wait in the outbox.
    ft.until("down, with events waiting", 20, |s| {
        let n = &s.nats.servers[0];
        n.error.is_some() && matches!(n.link.state, LinkState::Down(_)) && n.link.buffered >= 1
    })
    .await;
    let published_before = ft.store.nats.servers[0].link.published;
    assert_eq!(ft.store.problem_count(Tab::Nats, now_millis()).1, Level::Error);
    let t = text(&draw(&ft.store, &nats_view(), 100, 30));
    assert!(t.contains("connection refused"), "{t}");
    let srv = NatsServer::start(dir.path(), port, mport);
    ft.until("back and reconnected", 30, |s| {
        let n = &s.nats.servers[0];
        n.error.is_none() && n.link.state == LinkState::Connected
    })
    .await;
    assert_eq!(ft.store.problem_count(Tab::Nats, now_millis()).0, 0);
    ft.until("the waiting events published", 15, |s| {
        let l = &s.nats.servers[0].link;
        l.buffered == 0 && l.published > published_before
    })
    .await;
    let client = async_nats::connect(srv.url()).await.unwrap();
    client
        .publish(
            "fleet.after.restart",
            r#"{"type":"peer_joined","peer_id":"again"}"#.into(),
        )
        .await
        .unwrap();
    client.flush().await.unwrap();
    ft.until("a message after the restart", 15, |s| {
        s.events.newest_first().any(|e| e.title == "peer_joined again")
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_says_so_and_the_right_one_connects() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = NatsServer::start_with(
        dir.path(),
        free_port(),
        free_port(),
        &["--user", "fleet", "--pass", "s3cret"],
    );
    let c = config(&format!(
        "[[nats]]\nname = \"bad\"\nurl = \"{0}\"\nuser = \"fleet\"\npassword = \"wrong\"\n\
         [[nats]]\nname = \"good\"\nurl = \"{0}\"\nuser = \"fleet\"\npassword = \"s3cret\"\n",
        srv.url()
    ));
    let mut ft = Fleettop::start(&c);
    ft.until("auth error and a connection", 20, |s| {
        let bad = &s.nats.server("bad").unwrap().link.state;
        let good = &s.nats.server("good").unwrap().link.state;
        matches!(bad, LinkState::Down(r) if r.starts_with("authorization violation")) && *good == LinkState::Connected
    })
    .await;
    // The wrong password is a NATS problem, on the badge.
    let ps = ft.store.problems(now_millis());
    assert!(
        ps.iter()
            .any(|p| p.level == Level::Warn && p.title.starts_with("NATS bad connection down: authorization violation")),
        "{ps:?}"
    );
    assert_eq!(ft.store.nats.snapshot(now_millis())[0].state, "warn");
    let client = ft.ctx.handles.nats.client("good", Duration::from_secs(5)).await;
    assert!(client.is_some(), "the connection is there for others to reuse");
    let t = text(&draw(&ft.store, &nats_view(), 100, 30));
    assert!(t.contains("authorization violation"), "{t}");
    assert!(!t.contains("s3cret") && !t.contains("wrong"), "{t}");
    // A token works the same way.
    let dir = tempfile::tempdir().unwrap();
    let tok = NatsServer::start_with(dir.path(), free_port(), free_port(), &["--auth", "t0ken"]);
    let c = config(&format!(
        "[[nats]]\nname = \"tok\"\nurl = \"{}\"\ntoken = \"t0ken\"\n",
        tok.url()
    ));
    let mut ft = Fleettop::start(&c);
    ft.until("connected with a token", 20, |s| {
        s.nats.servers[0].link.state == LinkState::Connected
    })
    .await;
}

/// A tiny HTTP/1.1 server: records each request's path and body, answers
/// with what `answer` returns for the path.
/// Status and body for a path; `None` accepts and never answers.
type Answer = fn(&str) -> Option<(u16, Vec<u8>)>;
/// Every request seen: (path, body).
type Seen = Arc<Mutex<Vec<(String, String)>>>;

async fn http_server(answer: Answer) -> (u16, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let Ok(n) = sock.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    let Ok(n) = sock.read(&mut chunk).await else { return };
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
                log.lock().unwrap().push((path.clone(), body));
                match answer(&path) {
                    Some((status, body)) => {
                        let head = format!(
                            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(&body).await;
                    }
                    // Accepts and never answers.
                    None => tokio::time::sleep(Duration::from_secs(3600)).await,
                }
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn a_sustained_problem_is_posted_to_the_webhook_exactly_once() {
    let (hook, seen) = http_server(|_| Some((200, b"ok".to_vec()))).await;
    // Nothing listens on this port: the server is unreachable, and sustained.
    let dead = free_port();
    let c = config(&format!(
        "[[nats]]\nname = \"main\"\nmonitor_url = \"http://127.0.0.1:{dead}\"\ninterval = \"100ms\"\n[alerts]\noffline_critical_after = \"1s\"\nwebhook_url = \"http://127.0.0.1:{hook}/hook\"\n"
    ));
    let mut ft = Fleettop::start(&c);
    ft.until("critical", 20, |s| {
        s.problem_count(Tab::Nats, now_millis()).1 == Level::Critical
    })
    .await;
    ft.until("the POST", 20, |s| s.nats.webhook_sent >= 1).await;
    // The problem stays: a few more rounds of failures and ticks.
    let polls = ft.store.events.len();
    for _ in 0..20 {
        if let Ok(Some(u)) = tokio::time::timeout(Duration::from_millis(100), ft.rx.recv()).await {
            ft.store.apply(u, now_millis());
        }
        ft.store.tick(now_millis());
    }
    assert_eq!(ft.store.problem_count(Tab::Nats, now_millis()).1, Level::Critical);
    assert!(ft.store.events.len() >= polls);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, "/hook");
    let v: serde_json::Value = serde_json::from_str(&seen[0].1).unwrap();
    assert_eq!(v["level"], "critical");
    assert_eq!(v["kind"], "nats.server");
    assert!(v["title"].as_str().unwrap().starts_with("NATS main unreachable"), "{v}");
}

#[tokio::test]
async fn a_failing_webhook_is_shown_after_bounded_retries() {
    let (hook, seen) = http_server(|_| Some((500, b"no".to_vec()))).await;
    let dead = free_port();
    let c = config(&format!(
        "[[nats]]\nname = \"main\"\nmonitor_url = \"http://127.0.0.1:{dead}\"\ninterval = \"100ms\"\n[alerts]\noffline_critical_after = \"0s\"\nwebhook_url = \"http://127.0.0.1:{hook}/hook\"\n"
    ));
    let mut ft = Fleettop::start(&c);
    ft.until("the webhook error", 30, |s| s.nats.webhook_error.is_some())
        .await;
    assert_eq!(ft.store.nats.webhook_error.as_deref(), Some("HTTP 500 after 3 tries"));
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert!(
        ft.store
            .events
            .newest_first()
            .any(|e| e.kind == "webhook" && e.level == Level::Error)
    );
}

fn varz_fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/nats/varz-empty.json"
    ))
    .unwrap()
}

#[tokio::test]
async fn bad_monitoring_endpoints_say_why_and_nothing_hangs() {
    let (port, _) = http_server(|path| match path {
        "/html/varz" => Some((200, b"<!DOCTYPE html><html><body>Bad gateway</body></html>".to_vec())),
        "/cut/varz" => {
            let full = varz_fixture();
            Some((200, full[..full.len() / 2].to_vec()))
        }
        "/huge/varz" => Some((200, vec![b' '; 9 << 20])),
        "/missing/varz" => Some((404, b"404 page not found".to_vec())),
        "/silent/varz" => None,
        _ => Some((404, Vec::new())),
    })
    .await;
    let client = sources::http_client(Duration::from_millis(700)).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let err = |r: Result<MonitorSample, SourceError>| r.map(|_| ()).unwrap_err().to_string();
    let poll = |p: &'static str| {
        let client = client.clone();
        let url = format!("{base}/{p}");
        async move { sources::nats::poll(&client, &url).await }
    };
    assert_eq!(err(poll("html").await), "/varz not JSON: HTML page");
    assert!(err(poll("cut").await).starts_with("/varz truncated JSON"));
    assert_eq!(err(poll("huge").await), "/varz body over 8 MiB");
    assert_eq!(err(poll("missing").await), "/varz HTTP 404");
    let silent = err(poll("silent").await);
    assert_eq!(silent, "timed out");
    // The row says why.
    let c = config("[[nats]]\nname = \"odd\\u001b[31mname\"\nmonitor_url = \"http://127.0.0.1:1\"\n");
    let mut store = Store::new(&c);
    store.apply(
        Update::Nats(NatsUpdate::Monitor {
            name: "oddname".into(),
            result: Err(SourceError::Other("/varz not JSON: HTML page".into())),
        }),
        now_millis(),
    );
    let t = text(&draw(&store, &nats_view(), 100, 30));
    assert!(t.contains("oddname") && t.contains("/varz not JSON: HTML page"), "{t}");
}

// ---- render tests -------------------------------------------------------

const S: i64 = 1000;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/nats/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A store as two polls of the captured server would leave it, at `now`:
/// the fixture's times, read back from its own `now`.
fn render_store() -> (Store, i64) {
    let c = config(
        "[[nats]]\nname = \"main\"\nmonitor_url = \"http://127.0.0.1:8222\"\nurl = \"nats://127.0.0.1:4222\"\nack_pending_warn = 3\n\
         [[nats]]\nname = \"edge\"\nmonitor_url = \"http://10.0.0.7:8222\"\n",
    );
    let mut store = Store::new(&c);
    let varz = p::varz(&fixture("varz-streams.json")).unwrap();
    let now = p::time_millis(&varz.now).unwrap();
    let jsz = p::jsz(&fixture("jsz-streams.json")).unwrap();
    let sample = |at: i64, extra: u64| {
        // The worker's counts wander over the last polls (for the sparklines).
        let mut j = jsz.clone();
        for c in j.account_details[0]
            .stream_detail
            .iter_mut()
            .flat_map(|s| s.consumer_detail.iter_mut())
        {
            if c.name == "worker" {
                c.num_ack_pending = c.num_ack_pending.saturating_sub(extra % 4);
                c.num_pending += (extra % 7) * 2;
            }
        }
        let mut v = varz.clone();
        v.in_msgs += extra;
        v.in_bytes += extra * 120;
        v.out_msgs += extra * 2;
        v.out_bytes += extra * 240;
        Update::Nats(NatsUpdate::Monitor {
            name: "main".into(),
            result: Ok(Box::new(MonitorSample {
                at,
                varz: v,
                jsz: Ok(j),
                connz: p::connz(&fixture("connz-streams.json")),
                health: p::healthz(b"{\"status\":\"ok\"}"),
            })),
        })
    };
    for k in (1..=16).rev() {
        let at = now - 2 * S * k;
        store.apply(sample(at, 50 * (16 - k as u64) + k as u64), at);
    }
    store.apply(sample(now, 50 * 16), now);
    store.apply(
        Update::Nats(NatsUpdate::Link {
            name: "main".into(),
            stats: fleettop::update::nats::LinkStats {
                state: LinkState::Connected,
                published: 12,
                dropped: 0,
                buffered: 0,
                received: 3,
                skipped: 0,
            },
        }),
        now,
    );
    store.apply(
        Update::Nats(NatsUpdate::Monitor {
            name: "edge".into(),
            result: Err(SourceError::Unreachable("connection refused".into())),
        }),
        now - 60 * S,
    );
    store.tick(now);
    (store, now)
}

fn nats_view() -> View {
    View {
        tab: Tab::Nats,
        ..View::default()
    }
}

fn draw_at(store: &Store, view: &View, w: u16, h: u16, now: i64, glyphs: &Glyphs) -> Buffer {
    common::screen::draw(store, view, &Theme::load("default").unwrap(), glyphs, (w, h), now)
}

fn draw(store: &Store, view: &View, w: u16, h: u16) -> Buffer {
    draw_at(store, view, w, h, now_millis(), &Glyphs::new(GlyphKind::Unicode))
}

fn detail_view(store: &Store, row_name: &str) -> View {
    let mut view = nats_view();
    let rows = ui::nats::rows(store, &view.lists[2]);
    let i = rows
        .iter()
        .position(|r| match r {
            ui::nats::Row::Server(s) => s.name == row_name,
            ui::nats::Row::Stream(_, st) => st.stream.name == row_name,
            ui::nats::Row::Consumer(_, _, c) => c.name == row_name,
        })
        .unwrap();
    view.lists[2].selected = i;
    view.detail = ui::nats::open(store, &view.lists[2]);
    assert!(view.detail.is_some());
    view
}

#[test]
fn render_the_tab_and_its_drill_downs() {
    let (store, now) = render_store();
    let unicode = Glyphs::new(GlyphKind::Unicode);
    let views = [
        ("tab", nats_view()),
        ("server", detail_view(&store, "main")),
        ("stream", detail_view(&store, "ORDERS")),
        ("consumer", detail_view(&store, "worker")),
    ];
    for (name, view) in &views {
        for (w, h) in [(100, 30), (80, 24), (40, 12)] {
            let buf = draw_at(&store, view, w, h, now, &unicode);
            insta::assert_snapshot!(format!("nats_{name}_{w}x{h}"), text(&buf));
        }
    }
    // Every cell a console glyph under TERM=linux, at every size down to tiny.
    let console = Glyphs::new(GlyphKind::Console);
    for (name, view) in &views {
        for (w, h) in [(100, 30), (80, 24), (40, 12), (20, 5), (200, 60)] {
            common::screen::assert_console_only(
                &draw_at(&store, view, w, h, now, &console),
                &format!("{name} {w}x{h}"),
            );
        }
    }
}

#[test]
fn the_tab_badge_counts_nats_problems_in_the_worst_colour() {
    let (store, now) = render_store();
    // edge unreachable (error) + worker's ack pending (warn).
    assert_eq!(store.problem_count(Tab::Nats, now), (2, Level::Error));
    let theme = Theme::load("default").unwrap();
    let buf = draw_at(&store, &nats_view(), 100, 30, now, &Glyphs::new(GlyphKind::Unicode));
    let t = text(&buf);
    let y = t.lines().position(|l| l.contains("3 NATS 2!")).expect(&t);
    let line = t.lines().nth(y).unwrap();
    let x = line[..line.find("3 NATS 2!").unwrap() + "3 NATS ".len()]
        .chars()
        .count() as u16;
    assert_eq!(buf[(x, y as u16)].symbol(), "2");
    assert_eq!(buf[(x, y as u16)].fg, theme.error.fg.unwrap());
}

#[test]
fn the_list_sorts_and_filters() {
    let (store, _) = render_store();
    let names = |view: &View| {
        ui::nats::rows(&store, &view.lists[2])
            .iter()
            .map(|r| match r {
                ui::nats::Row::Server(s) => format!("server {}", s.name),
                ui::nats::Row::Stream(_, st) => format!("stream {}", st.stream.name),
                ui::nats::Row::Consumer(_, _, c) => format!("consumer {}", c.name),
            })
            .collect::<Vec<_>>()
    };
    let mut view = nats_view();
    // Worst first: the unreachable server, then the stream with the consumer
    // over its ack-pending mark, that consumer first.
    assert_eq!(
        names(&view),
        [
            "server edge",
            "server main",
            "stream ORDERS",
            "consumer worker",
            "consumer audit",
            "stream EMPTY"
        ]
    );
    view.lists[2].sort = ui::NatsSort::ALL.iter().position(|s| s.label() == "name").unwrap();
    assert_eq!(
        names(&view)[..4],
        ["server edge", "server main", "stream EMPTY", "stream ORDERS"]
    );
    assert_eq!(names(&view)[4..], ["consumer audit", "consumer worker"]);
    view.lists[2].filter = "aud".into();
    assert_eq!(names(&view), ["server main", "stream ORDERS", "consumer audit"]);
}

#[test]
fn connections_sort_like_nats_top() {
    let (store, _) = render_store();
    let s = store.nats.server("main").unwrap();
    let mut d = Detail::new(Tab::Nats, "x");
    let cids = |d: &Detail| ui::nats::connections(s, d).iter().map(|c| c.cid).collect::<Vec<_>>();
    let by_cid = cids(&d);
    assert!(by_cid.windows(2).all(|w| w[0] <= w[1]), "{by_cid:?}");
    d.list.sort = ui::ConnSort::ALL.iter().position(|x| x.label() == "subs").unwrap();
    let subs: Vec<u64> = ui::nats::connections(s, &d).iter().map(|c| c.subscriptions).collect();
    assert!(subs.windows(2).all(|w| w[0] >= w[1]), "{subs:?}");
    d.list.filter = "zzz-nothing".into();
    assert!(cids(&d).is_empty());
}

#[test]
fn nothing_configured_keeps_the_honest_empty_state() {
    let store = Store::new(&config(""));
    let t = text(&draw(&store, &nats_view(), 100, 30));
    assert!(t.contains("Nothing is configured for NATS yet"), "{t}");
}

#[test]
fn the_embedded_default_without_a_local_server_says_not_configured() {
    let c = parse_str(fleettop::config::DEFAULT_CONFIG, "default").unwrap();
    let mut store = Store::new(&c);
    store.apply(
        Update::Nats(NatsUpdate::Monitor {
            name: "local".into(),
            result: Err(SourceError::Unreachable("connection refused".into())),
        }),
        now_millis(),
    );
    let t = text(&draw(&store, &nats_view(), 100, 30));
    assert!(
        t.contains("Not configured here: no NATS server answers at http://127.0.0.1:8222."),
        "{t}"
    );
    assert!(!t.contains("refused") && !t.contains("3 NATS 1!"), "{t}");
    assert_eq!(store.problems(now_millis()).len(), 0);
    // Nothing to select or open there.
    let view = nats_view();
    assert_eq!(ui::list_len(&store, &view, now_millis()), 0);
    assert!(ui::open_detail(&store, &view, now_millis()).is_none());
}

/// `subscribe` has a rate budget per subject: a flood on one subject is
/// cut to its share, and a quiet subject's message still reaches the ticker
/// (one window shared by every subject dropped it).
#[tokio::test]
async fn a_noisy_subject_does_not_starve_a_quiet_one() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = NatsServer::start(dir.path(), free_port(), free_port());
    let c = config(&format!(
        "[[nats]]\nname = \"main\"\nurl = \"{}\"\nsubscribe = [\"fleet.>\"]\n",
        srv.url()
    ));
    let mut ft = Fleettop::start(&c);
    ft.until("connected", 20, |s| {
        s.nats.servers[0].link.state == LinkState::Connected
    })
    .await;
    let client = async_nats::connect(srv.url()).await.unwrap();
    for i in 0..500 {
        client.publish("fleet.noisy", format!("{i}").into()).await.unwrap();
    }
    client
        .publish("fleet.quiet", r#"{"type":"peer_joined","peer_id":"quiet"}"#.into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    let noisy = |s: &Store| s.events.newest_first().filter(|e| e.source == "fleet.noisy").count() as u64;
    ft.until("the quiet message shown and the flood accounted for", 15, |s| {
        s.events.newest_first().any(|e| e.source == "fleet.quiet") && noisy(s) + s.nats.servers[0].link.skipped == 500
    })
    .await;
    let shown = noisy(&ft.store);
    assert!((1..100).contains(&shown), "{shown} of the flood shown");
}
