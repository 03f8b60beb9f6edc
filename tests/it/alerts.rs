//! Alerts that reach a phone: a real problem (a NATS server's monitor
//! port that nothing answers, critical at once) and its recovery (a real
//! `nats-server` started on that port), POSTed by the real outlet in each
//! `alerts.webhook_format` to a local HTTP server that checks the body as
//! the service does (Discord: `content` or `embeds`, content at most 2000
//! characters; Slack: `text`; ntfy: a plain body with Title and Priority
//! headers) and answers 400 when it would not take it.

use fleettop::config::parse_str;
use fleettop::model::now_millis;
use fleettop::sources;
use fleettop::store::Store;
use fleettop::update::Update;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::common::{self, NatsServer, free_port};

/// One request as the hook saw it: lower-case headers and the body.
#[derive(Debug, Clone)]
struct Seen {
    headers: HashMap<String, String>,
    body: String,
}

/// Why the service would refuse this request, if it would.
fn refuses(format: &str, r: &Seen) -> Option<String> {
    let ct = r.headers.get("content-type").cloned().unwrap_or_default();
    let json = || serde_json::from_str::<serde_json::Value>(&r.body).ok();
    match format {
        "discord" => {
            let v = json()?;
            let content = v["content"].as_str().unwrap_or("");
            let embeds = v["embeds"].as_array().map_or(0, Vec::len);
            if !ct.starts_with("application/json") {
                Some(format!("content type {ct}"))
            } else if content.is_empty() && embeds == 0 {
                Some("neither content nor embeds".into())
            } else if content.chars().count() > 2000 {
                Some("content over 2000".into())
            } else {
                None
            }
        }
        "slack" => match json() {
            Some(v) if v["text"].as_str().is_some_and(|t| !t.is_empty()) => None,
            _ => Some("no text".into()),
        },
        "ntfy" => {
            let title = r.headers.get("title").is_some_and(|t| !t.is_empty());
            let prio = r.headers.get("priority").and_then(|p| p.parse::<u8>().ok());
            if !title || !prio.is_some_and(|p| (1..=5).contains(&p)) || r.body.is_empty() {
                Some("no title, priority or body".into())
            } else {
                None
            }
        }
        _ => json().is_none().then(|| "not JSON".into()),
    }
}

/// A hook for `format` on a random loopback port: 200 for what the
/// service takes, 400 for what it would refuse; every request kept.
async fn hook(format: &'static str) -> (u16, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let Some(r) = read_request(&mut sock).await else {
                continue;
            };
            let status = match refuses(format, &r) {
                None => "200 OK",
                Some(why) => {
                    eprintln!("hook refuses: {why}: {r:?}");
                    "400 Bad Request"
                }
            };
            log.lock().unwrap().push(r);
            let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = sock.write_all(answer.as_bytes()).await;
        }
    });
    (port, seen)
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: HashMap<String, String> = (head.lines().skip(1))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    Some(Seen { headers, body })
}

/// The problem and its recovery as the hook received them in `format`.
async fn problem_then_recovery(format: &'static str) -> Option<Vec<Seen>> {
    if !common::needs(NatsServer::binary_present(), "nats-server") {
        return None;
    }
    let (hook_port, seen) = hook(format).await;
    let mport = free_port();
    let c = parse_str(
        &format!(
            "[[nats]]\nname = \"main\"\nmonitor_url = \"http://127.0.0.1:{mport}\"\ninterval = \"100ms\"\n\
             [alerts]\noffline_critical_after = \"0s\"\nwebhook_format = \"{format}\"\n\
             webhook_url = \"http://127.0.0.1:{hook_port}/hook\"\n"
        ),
        "alerts-test.toml",
    )
    .unwrap();
    let (tx, mut rx) = mpsc::channel::<Update>(256);
    let ctx = sources::Ctx::new(tx);
    let mut store = Store::new(&c);
    store.outlet = sources::spawn_all(&c, &ctx);
    let mut until = async |store: &mut Store, what: &str, cond: &dyn Fn(&Store) -> bool| {
        let end = tokio::time::Instant::now() + Duration::from_secs(30);
        while !cond(store) {
            assert!(tokio::time::Instant::now() < end, "waited for {what} ({format})");
            if let Ok(Some(u)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
                store.apply(u, now_millis());
            }
            store.tick(now_millis());
        }
    };
    until(&mut store, "the problem's POST", &|s| s.nats.webhook_sent >= 1).await;
    let dir = tempfile::tempdir().unwrap();
    let _server = NatsServer::start(dir.path(), free_port(), mport);
    until(&mut store, "the recovery's POST", &|s| s.nats.webhook_sent >= 2).await;
    assert_eq!(store.nats.webhook_error, None, "{format}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{format}: {seen:?}");
    Some(seen)
}

#[tokio::test]
async fn discord_gets_content_without_mentions_and_the_recovery() {
    let Some(seen) = problem_then_recovery("discord").await else {
        return;
    };
    let v: Vec<serde_json::Value> = seen.iter().map(|s| serde_json::from_str(&s.body).unwrap()).collect();
    let content = v[0]["content"].as_str().unwrap();
    assert!(
        content.starts_with("[fleettop] critical: NATS main unreachable"),
        "{content}"
    );
    assert_eq!(v[0]["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(
        v[0]["embeds"][0]["description"].as_str().unwrap().lines().next(),
        Some("nats main")
    );
    assert_eq!(v[1]["content"], "[fleettop] recovered: NATS main reachable again");
}

#[tokio::test]
async fn slack_gets_text_and_the_recovery() {
    let Some(seen) = problem_then_recovery("slack").await else {
        return;
    };
    let text = |i: usize| {
        let v: serde_json::Value = serde_json::from_str(&seen[i].body).unwrap();
        v["text"].as_str().unwrap().to_string()
    };
    assert!(
        text(0).starts_with("[fleettop] critical: NATS main unreachable"),
        "{}",
        text(0)
    );
    assert_eq!(text(1), "[fleettop] recovered: NATS main reachable again\nnats main");
}

#[tokio::test]
async fn ntfy_gets_a_plain_body_with_title_and_priority() {
    let Some(seen) = problem_then_recovery("ntfy").await else {
        return;
    };
    let h = |i: usize, k: &str| seen[i].headers.get(k).cloned().unwrap_or_default();
    assert!(h(0, "content-type").starts_with("text/plain"));
    assert!(
        h(0, "title").starts_with("[fleettop] critical: NATS main unreachable"),
        "{:?}",
        seen[0]
    );
    assert_eq!(
        (h(0, "priority").as_str(), h(0, "tags").as_str()),
        ("5", "rotating_light")
    );
    assert_eq!(seen[0].body, "nats main");
    assert_eq!(h(1, "title"), "[fleettop] recovered: NATS main reachable again");
    assert_eq!(h(1, "priority"), "3");
}

#[tokio::test]
async fn json_is_the_event_as_before_and_the_recovery_too() {
    let Some(seen) = problem_then_recovery("json").await else {
        return;
    };
    let v: Vec<serde_json::Value> = seen.iter().map(|s| serde_json::from_str(&s.body).unwrap()).collect();
    assert_eq!(
        (v[0]["level"].as_str(), v[0]["kind"].as_str()),
        (Some("critical"), Some("nats.server"))
    );
    assert_eq!(
        (v[1]["level"].as_str(), v[1]["title"].as_str()),
        (Some("info"), Some("NATS main reachable again"))
    );
}
