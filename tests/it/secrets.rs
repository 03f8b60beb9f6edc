//! A password and a token planted in every URL of the config (HTTP checks,
//! Syncthing, `metrics_url`, `[[nats]] url` and `monitor_url`, the webhook)
//! appear nowhere: not on screen, not in `fleettop snapshot` or `check`,
//! not in the log file, not in `fleettop agent`'s banner, not in any
//! message on the bus. The failures are real: a server that answers with
//! bytes that are not HTTP (reqwest's error then names the URL), one that
//! answers 500, a real nats-server subscribed to `>`.

use crate::common;

use common::{NatsServer, free_port};
use fleettop::config::parse_str;
use fleettop::sources::{self, Ctx};
use fleettop::store::{Store, Tab};
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{Detail, View};
use futures_util::StreamExt;
use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

const PW: &str = "PW-hunter2-x9";
const TOK: &str = "TOK-s3cret-q7";

/// A server answering every connection with `answer` after reading the request.
fn serve(answer: &'static [u8]) -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(answer);
        }
    });
    port
}

/// A server counting the connections it gets.
fn counting() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n2 = n.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            n2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(s);
        }
    });
    (port, n)
}

#[tokio::test]
async fn the_syncthing_client_follows_no_redirect_with_its_api_key() {
    let (thief, visits) = counting();
    let answer = format!(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{thief}/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let st = serve(Box::leak(answer.into_bytes().into_boxed_slice()));
    let cfg = parse_str(
        &format!("[[services.syncthing]]\nname = \"s\"\nurl = \"http://127.0.0.1:{st}\"\napi_key = \"{TOK}\"\n"),
        "t",
    )
    .unwrap();
    let (tx, mut rx) = mpsc::channel(8);
    let ctx = Ctx::new(tx);
    let task = tokio::spawn(fleettop::sources::services::syncthing::run(
        cfg.services.syncthing[0].clone(),
        ctx,
    ));
    let u = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    task.abort();
    let fleettop::update::Update::Services(fleettop::update::services::ServiceUpdate::Set { rows, .. }) = u else {
        panic!("{u:?}");
    };
    assert_eq!(rows[0].detail, "HTTP 302 from /rest/system/status");
    assert_eq!(
        visits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(PW) && !text.contains(TOK), "a secret in {what}:\n{text}");
}

fn config_text(junk: u16, p500: u16, nats: &NatsServer) -> String {
    format!(
        r#"
[[hosts]]
name = "here"
local = true
interval = "1s"
metrics_url = "http://m:{PW}@127.0.0.1:{junk}/metrics?token={TOK}"

[[services.http]]
name = "junk"
url = "http://bob:{PW}@127.0.0.1:{junk}/health?token={TOK}&v=1"
interval = "1s"
timeout = "2s"

[[services.http]]
name = "fivehundred"
url = "http://bob:{PW}@127.0.0.1:{p500}/health?token={TOK}"
interval = "1s"
timeout = "2s"

[[services.syncthing]]
name = "sync"
url = "http://st:{PW}@127.0.0.1:{junk}/?token={TOK}"
interval = "1s"
timeout = "2s"

[[nats]]
name = "main"
url = "nats://{TOK}@127.0.0.1:{port}"
monitor_url = "http://mon:{PW}@127.0.0.1:{mport}"
interval = "1s"
timeout = "1s"

[alerts]
webhook_url = "http://127.0.0.1:{junk}/hook/{TOK}"
"#,
        port = nats.port,
        mport = nats.mport
    )
}

/// Every message on the server, as subject, headers and payload in text.
async fn subscribe_all(url: &str) -> Arc<Mutex<Vec<String>>> {
    let client = async_nats::connect(url).await.unwrap();
    let mut sub = client.subscribe(">").await.unwrap();
    client.flush().await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    tokio::spawn(async move {
        let _keep = client;
        while let Some(m) = sub.next().await {
            let text = format!("{} {:?} {}", m.subject, m.headers, String::from_utf8_lossy(&m.payload));
            s2.lock().unwrap().push(text);
        }
    });
    seen
}

fn fleettop(args: &[&str], config: &std::path::Path, log: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(args)
        .arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(log)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_appear_nowhere() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(&dir.path().join("js"), free_port(), free_port());
    let junk = serve(b"SPAM not http at all\r\n\r\n");
    let p500 = serve(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let seen = subscribe_all(&nats.url()).await;
    let text = config_text(junk, p500, &nats);
    let config = parse_str(&text, "secrets.toml").unwrap_or_else(|e| panic!("{e:?}"));

    // The app's path, in this process: sources into the store, events out
    // on the bus, the screen drawn.
    let mut store = Store::new(&config);
    let (tx, mut rx) = mpsc::channel(256);
    let ctx = Ctx::new(tx);
    store.outlet = sources::spawn_all(&config, &ctx);
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    let failed = |s: &Store, key: &str| {
        s.services
            .get(key)
            .is_some_and(|r| r.row.health == fleettop::update::services::Health::Error)
    };
    while !(failed(&store, "http:junk")
        && failed(&store, "http:fivehundred")
        && seen.lock().unwrap().iter().any(|m| m.contains("junk")))
    {
        match tokio::time::timeout_at(end, rx.recv()).await {
            Ok(Some(u)) => {
                store.apply(u, fleettop::model::now_millis());
            }
            _ => panic!("the checks did not fail on the bus in time: {:?}", seen.lock().unwrap()),
        }
    }
    let junk_row = &store.services.get("http:junk").unwrap().row;
    assert!(
        junk_row
            .detail
            .contains(&format!("for url (http://127.0.0.1:{junk}/health?token=***")),
        "reqwest's words, the URL redacted: {}",
        junk_row.detail
    );
    assert_eq!(
        junk_row.source,
        format!("http://***@127.0.0.1:{junk}/health?token=***&v=***")
    );
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    let now = fleettop::model::now_millis();
    let mut screens = String::new();
    for tab in Tab::ALL {
        let view = View { tab, ..View::default() };
        screens += &common::screen::text(&common::screen::draw(&store, &view, &theme, &glyphs, (220, 60), now));
    }
    for key in ["http:junk", "http:fivehundred", "syncthing:sync"] {
        let view = View {
            tab: Tab::Services,
            detail: Some(Detail::new(Tab::Services, key)),
            ..View::default()
        };
        screens += &common::screen::text(&common::screen::draw(&store, &view, &theme, &glyphs, (220, 60), now));
    }
    assert!(
        screens.contains("***@127.0.0.1"),
        "the URLs are shown, redacted:\n{screens}"
    );
    assert_clean("the screen", &screens);

    // The real binary: snapshot, check, the agent's banner; each its log.
    let cfg_path = dir.path().join("config.toml");
    std::fs::write(&cfg_path, &text).unwrap();
    std::fs::set_permissions(&cfg_path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut logs = String::new();
    for (i, cmd) in ["snapshot", "check"].iter().enumerate() {
        let log = dir.path().join(format!("{cmd}.log"));
        let o = fleettop(&[cmd], &cfg_path, &log);
        let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        if i == 0 {
            assert!(out.contains("token=***"), "the snapshot shows the redacted URL: {out}");
        } else {
            assert!(out.contains("junk"), "check names the failing check: {out}");
        }
        assert_clean(cmd, &out);
        logs += &std::fs::read_to_string(&log).unwrap_or_default();
    }
    let agent_log = dir.path().join("agent.log");
    let mut agent = Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(["agent", "--config"])
        .arg(&cfg_path)
        .arg("--log-file")
        .arg(&agent_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = agent.stderr.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        // Up to the banner, whatever was said before it.
        let mut text = String::new();
        let mut r = std::io::BufReader::new(stderr);
        while !text.contains("publishing") && r.read_line(&mut text).is_ok_and(|n| n > 0) {}
        text
    });
    let banner = tokio::time::timeout(Duration::from_secs(20), banner)
        .await
        .expect("the agent's banner")
        .unwrap();
    assert!(banner.contains("publishing here to nats://***@127.0.0.1"), "{banner}");
    assert_clean("the agent's banner", &banner);
    // Two rounds of the agent publishing (its metrics scrape fails on the bus).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = Command::new("kill").arg("-TERM").arg(agent.id().to_string()).status();
    let _ = agent.wait();
    logs += &std::fs::read_to_string(&agent_log).unwrap_or_default();
    assert!(logs.contains("junk"), "the logs say something of the checks:\n{logs}");
    assert_clean("the log files", &logs);

    let seen = seen.lock().unwrap().join("\n");
    assert!(seen.contains("fleettop.hosts."), "the agent published: {seen}");
    assert_clean("the messages on the bus", &seen);
}
