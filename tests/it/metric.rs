//! `[[services.metric]]` against real things: a local HTTP server whose
//! Prometheus page and JSON the test changes between polls (warn, critical
//! after two readings, frozen, a counter's rate across a reset), hostile
//! bodies, `snapshot` and `check` on the real binary, a JSON file and a
//! `.prom` file over the test sshd; and the rows drawn at 100x30.

use crate::common;
use common::sshd::*;
use fleettop::config::parse_str;
use fleettop::metric::Value;
use fleettop::model::Level;
use fleettop::sources::{self, Ctx};
use fleettop::store::Store;
use fleettop::update::Update;
use fleettop::update::services::Health;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What the server answers per path: a status and a body.
type Pages = Arc<Mutex<HashMap<String, (u16, Vec<u8>)>>>;

fn set(pages: &Pages, path: &str, status: u16, body: impl Into<Vec<u8>>) {
    pages.lock().unwrap().insert(path.to_string(), (status, body.into()));
}

/// A tiny HTTP/1.1 server of `pages`; `/counter` is a counter that rises
/// by 100 per request (the test may set it back: a restart).
async fn server(pages: Pages, counter: Arc<AtomicU64>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            let (pages, counter) = (pages.clone(), counter.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, body) = if path == "/counter" {
                    let n = counter.fetch_add(100, Ordering::SeqCst);
                    (200, format!("# TYPE reqs_total counter\nreqs_total {n}\n").into_bytes())
                } else {
                    pages.lock().unwrap().get(&path).cloned().unwrap_or((404, Vec::new()))
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                if s.write_all(head.as_bytes()).await.is_ok() {
                    let _ = s.write_all(&body).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

fn now() -> i64 {
    fleettop::model::now_millis()
}

/// Feeds the store until `done` holds (20 s at most).
async fn until(store: &mut Store, rx: &mut mpsc::Receiver<Update>, what: &str, done: impl Fn(&Store) -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(store) {
        match tokio::time::timeout_at(end, rx.recv()).await {
            Ok(Some(u)) => {
                store.apply(u, now());
            }
            _ => panic!("{what}: not within 20s: {:#?}", store.services.rows),
        }
    }
}

fn row<'a>(store: &'a Store, name: &str) -> &'a fleettop::update::services::Row {
    &store.services.get(&format!("metric:{name}")).unwrap().row
}

fn value(store: &Store, name: &str) -> Option<Value> {
    row(store, name).metric.as_ref().and_then(|m| m.value.clone())
}

fn problem(store: &Store, name: &str) -> Option<Level> {
    let prefix = format!("{name}: ");
    store
        .problems(now())
        .into_iter()
        .find(|p| p.title.starts_with(&prefix))
        .map(|p| p.level)
}

const QUEUE: &str =
    "# TYPE rag_queue_depth gauge\nrag_queue_depth{queue=\"bookstack\"} VALUE\nrag_queue_depth{queue=\"wiki\"} 3\n";

fn queue_page(v: u32) -> String {
    QUEUE.replace("VALUE", &v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_sustain_frozen_and_rates_against_a_changing_server() {
    let pages = Pages::default();
    let counter = Arc::new(AtomicU64::new(1000));
    let base = server(pages.clone(), counter.clone()).await;
    set(&pages, "/metrics", 200, queue_page(12));
    set(
        &pages,
        "/status",
        200,
        r#"{"queue":{"depth":0},"failover":{"ready":true}}"#,
    );
    let toml = format!(
        r#"
[[services.metric]]
name = "queue"
url = "{base}/metrics"
prometheus = 'rag_queue_depth{{queue="bookstack"}}'
warn_above = 500
critical_above = 900
unit = "items"
interval = "200ms"
[[services.metric]]
name = "failover"
url = "{base}/status"
json = "failover.ready"
equals = true
interval = "200ms"
[[services.metric]]
name = "depth"
url = "{base}/status"
json = 'queue["depth"]'
frozen_after = "1s"
interval = "200ms"
[[services.metric]]
name = "reqs"
url = "{base}/counter"
prometheus = "reqs_total"
rate = true
unit = "req/s"
interval = "200ms"
"#
    );
    let cfg = parse_str(&toml, "metric.toml").unwrap_or_else(|e| panic!("{e:?}"));
    let mut store = Store::new(&cfg);
    let (tx, mut rx) = mpsc::channel(256);
    sources::spawn_all(&cfg, &Ctx::new(tx));
    until(&mut store, &mut rx, "first readings", |s| {
        row(s, "queue").detail == "12 items"
            && row(s, "failover").health == Health::Ok
            && value(s, "depth") == Some(Value::Number(0.0))
            && value(s, "reqs").is_some()
    })
    .await;
    assert!(row(&store, "queue").latency_ms.is_some());
    assert_eq!(row(&store, "queue").source, format!("{base}/metrics"));

    // Warn above 500; a second reading past 900 is critical, the first not.
    set(&pages, "/metrics", 200, queue_page(600));
    until(&mut store, &mut rx, "warn", |s| row(s, "queue").health == Health::Warn).await;
    assert_eq!(row(&store, "queue").detail, "600 items, above 500 (warn)");
    assert_eq!(problem(&store, "queue"), Some(Level::Warn));
    set(&pages, "/metrics", 200, queue_page(946));
    until(&mut store, &mut rx, "critical", |s| {
        problem(s, "queue") == Some(Level::Critical)
    })
    .await;
    let titles: Vec<(Level, String)> = (store.events.newest_first())
        .filter(|e| e.source == "queue")
        .map(|e| (e.level, e.title.clone()))
        .collect();
    let title = "queue: 946 items, above 900 (critical)".to_string();
    assert!(titles.contains(&(Level::Error, title.clone())), "{titles:?}");
    assert!(titles.contains(&(Level::Critical, title)), "{titles:?}");
    let hist = &row(&store, "queue").metric.as_ref().unwrap().history;
    assert!(hist.iter().filter(|(_, v)| *v == Value::Number(946.0)).count() >= 2);

    // An idle queue at 0 is not frozen; a non-zero one that stops is.
    assert_eq!(row(&store, "depth").health, Health::Ok, "{:?}", row(&store, "depth"));
    set(
        &pages,
        "/status",
        200,
        r#"{"queue":{"depth":7},"failover":{"ready":false}}"#,
    );
    until(&mut store, &mut rx, "frozen", |s| {
        row(s, "depth").detail.contains("frozen")
    })
    .await;
    assert!(
        row(&store, "depth").detail.starts_with("7, frozen "),
        "{}",
        row(&store, "depth").detail
    );
    assert_eq!(row(&store, "failover").detail, "false, expected true");
    assert_eq!(problem(&store, "failover"), Some(Level::Error));

    // The counter restarts: the rate never goes negative.
    counter.store(5, Ordering::SeqCst);
    let seen = row(&store, "reqs").metric.as_ref().unwrap().history.len();
    until(&mut store, &mut rx, "rate after a reset", |s| {
        row(s, "reqs").metric.as_ref().unwrap().history.len() >= seen + 3
    })
    .await;
    let rates: Vec<f64> = (row(&store, "reqs").metric.as_ref().unwrap().history.iter())
        .filter_map(|(_, v)| v.as_number())
        .collect();
    assert!(rates.iter().all(|r| r.is_finite() && *r >= 0.0), "{rates:?}");
    assert!(rates.iter().any(|r| *r > 100.0), "100 per 200ms is 500/s: {rates:?}");

    // Back under: one recovery event.
    set(&pages, "/metrics", 200, queue_page(10));
    until(&mut store, &mut rx, "recovery", |s| problem(s, "queue").is_none()).await;
    assert!(store.events.newest_first().any(|e| e.title == "queue is ok again"));
}

/// Hostile bodies, a local `.prom` file and a JSON file, through the real
/// binary's `snapshot` (valid against the schema) and `check`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_snapshot_and_check_on_the_binary() {
    let pages = Pages::default();
    let base = server(pages.clone(), Arc::default()).await;
    set(&pages, "/metrics", 200, queue_page(946));
    set(&pages, "/huge", 200, vec![b'9'; 5 << 20]);
    set(&pages, "/garbage", 200, b"\x00\xff<html>\x1b[2J</html>".to_vec());
    set(&pages, "/nan", 200, "x NaN\ny +Inf\n");
    set(&pages, "/deep", 200, "[".repeat(200_000));
    set(&pages, "/fail", 500, "boom");
    set(&pages, "/text", 200, r#"{"state":"degraded\u001b[31m now"}"#);
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("node.prom");
    std::fs::write(
        &prom,
        "# HELP backup_age_seconds x\nbackup_age_seconds{job=\"db\"} 4200\n",
    )
    .unwrap();
    let json = dir.path().join("status.json");
    std::fs::write(&json, r#"{"nodes":[{"healthy":true}]}"#).unwrap();
    let metric = |name: &str, at: &str, pick: &str, rest: &str| {
        format!("[[services.metric]]\nname = \"{name}\"\n{at}\n{pick}\n{rest}\n")
    };
    let url = |p: &str| format!("url = \"{base}{p}\"");
    let toml = [
        metric(
            "queue",
            &url("/metrics"),
            "prometheus = 'rag_queue_depth{queue=\"bookstack\"}'",
            "critical_above = 900\nunit = \"items\"",
        ),
        metric("huge", &url("/huge"), "json = \"a\"", ""),
        metric("garbage", &url("/garbage"), "prometheus = \"x\"", ""),
        metric("nan", &url("/nan"), "prometheus = \"x\"", ""),
        metric("inf", &url("/nan"), "prometheus = \"y\"", ""),
        metric("deep", &url("/deep"), "json = \"a\"", ""),
        metric("fail", &url("/fail"), "json = \"a\"", ""),
        metric("text", &url("/text"), "json = \"state\"", "equals = \"ok\""),
        metric(
            "backup",
            &format!("path = \"{}\"", prom.display()),
            "prometheus = 'backup_age_seconds{job=\"db\"}'",
            "warn_above = 3600\nunit = \"s\"",
        ),
        metric(
            "nodes",
            &format!("path = \"{}\"", json.display()),
            "json = \"nodes[0].healthy\"",
            "equals = true",
        ),
        metric(
            "gone",
            &format!("path = \"{}/nope.json\"", dir.path().display()),
            "json = \"a\"",
            "",
        ),
    ]
    .concat();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, &toml).unwrap();
    let run = |cmd: &'static str| {
        let cfg = cfg.clone();
        let state = dir.path().to_path_buf();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_fleettop"))
                .args([cmd, "--config", &cfg.to_string_lossy()])
                .env("XDG_STATE_HOME", &state)
                .output()
                .await
                .unwrap()
        }
    };
    let o = run("snapshot").await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let snap: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    common::schema_valid(&snap);
    let svc = |n: &str| {
        snap["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {snap}"))
            .clone()
    };
    let q = svc("queue");
    assert_eq!(
        (q["kind"].as_str(), q["value"].as_f64(), q["unit"].as_str()),
        (Some("metric"), Some(946.0), Some("items"))
    );
    assert_eq!(
        (q["state"].as_str(), q["rule"].as_str()),
        (Some("critical"), Some("above 900 (critical)"))
    );
    assert_eq!(q["history"][0]["value"], 946.0);
    for (name, words) in [
        ("huge", "body larger than 4 MiB"),
        ("garbage", "not a Prometheus page"),
        ("nan", "x is NaN"),
        ("inf", "y is inf"),
        ("deep", "not JSON (nested too deeply)"),
        ("fail", "HTTP 500"),
        ("gone", "No such file"),
    ] {
        let s = svc(name);
        assert_eq!(s["state"], "error", "{name}: {s}");
        assert!(s["detail"].as_str().unwrap().contains(words), "{name}: {s}");
        assert!(s["value"].is_null(), "{name}: {s}");
    }
    let text = svc("text");
    assert_eq!(text["state"], "error");
    assert!(!text["value"].as_str().unwrap().contains('\u{1b}'), "{text}");
    assert_eq!(
        (svc("backup")["state"].as_str(), svc("backup")["value"].as_f64()),
        (Some("warn"), Some(4200.0))
    );
    assert_eq!(
        (svc("nodes")["state"].as_str(), svc("nodes")["value"].as_bool()),
        (Some("ok"), Some(true))
    );

    let o = run("check").await;
    let report = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{report}");
    assert!(
        report.contains("CRITICAL queue: queue: 946 items, above 900 (critical)"),
        "{report}"
    );
    assert!(
        report.contains("WARN     backup: backup: 4200 s, above 3600 (warn)"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_file_and_a_prom_file_over_the_hosts_ssh_link() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let port = common::free_port();
    let _sshd = Sshd::start(&keys, port, "metric");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let json = keys.home().join("status.json");
    let prom = keys.home().join("node.prom");
    std::fs::write(&json, r#"{"queue":{"depth":946}}"#).unwrap();
    std::fs::write(&prom, "backup_age_seconds 120\n").unwrap();
    let toml = host_toml("box", port, &keys, &kh, "")
        + "[[services.metric]]\nname = \"rq\"\nhost = \"box\"\npath = \"~/status.json\"\njson = \"queue.depth\"\n\
           warn_above = 500\nunit = \"items\"\ninterval = \"300ms\"\n\n\
           [[services.metric]]\nname = \"backup\"\nhost = \"box\"\npath = \"~/node.prom\"\nprometheus = \"backup_age_seconds\"\n\
           warn_above = 3600\ninterval = \"300ms\"\n\n\
           [[services.metric]]\nname = \"gone\"\nhost = \"box\"\npath = \"~/nope.json\"\njson = \"a\"\ninterval = \"300ms\"\n";
    let cfg = parse_str(&toml, "metric-ssh.toml").unwrap_or_else(|e| panic!("{e:?}"));
    let mut store = Store::new(&cfg);
    let (tx, mut rx) = mpsc::channel(256);
    sources::spawn_all(&cfg, &Ctx::new(tx));
    until(&mut store, &mut rx, "remote readings", |s| {
        value(s, "rq").is_some() && value(s, "backup").is_some() && row(s, "gone").health == Health::Error
    })
    .await;
    assert_eq!(row(&store, "rq").detail, "946 items, above 500 (warn)");
    assert_eq!(row(&store, "rq").source, "box:~/status.json");
    assert_eq!(row(&store, "backup").health, Health::Ok);
    assert_eq!(row(&store, "gone").detail, "file missing");
    // The files change on the host: the next readings say so.
    std::fs::write(&json, r#"{"queue":{"depth":3}}"#).unwrap();
    std::fs::write(&prom, "backup_age_seconds 7200\n").unwrap();
    until(&mut store, &mut rx, "changed files", |s| {
        value(s, "rq") == Some(Value::Number(3.0)) && row(s, "backup").health == Health::Warn
    })
    .await;
    assert_eq!(row(&store, "rq").health, Health::Ok);
}

// ---------------------------------------------------------------- render

mod render {
    use super::*;
    use common::screen::text;
    use fleettop::store::Tab;
    use fleettop::ui::{Detail, View};
    use fleettop::update::metric::MetricInfo;
    use fleettop::update::services::{Kind, Row, ServiceUpdate};

    const S: i64 = 1000;
    const T0: i64 = 1_780_000_000_000;

    fn store() -> (Store, i64) {
        let cfg = parse_str(
            "[[services.metric]]\nname = \"rag-queue\"\nurl = \"http://10.0.0.5:9100/metrics\"\n\
             prometheus = 'rag_queue_depth{queue=\"bookstack\"}'\nwarn_above = 500\ncritical_above = 900\n\
             frozen_after = \"30m\"\nunit = \"items\"\n\n\
             [[services.metric]]\nname = \"failover\"\npath = \"~/state/status.json\"\njson = \"failover.ready\"\nequals = true\n\n\
             [[services.metric]]\nname = \"tokens\"\nurl = \"http://gpu:8000/metrics\"\nprometheus = \"tokens_total\"\nrate = true\nwarn_below = 1\nunit = \"tok/s\"\n",
            "t",
        )
        .unwrap();
        let mut st = Store::new(&cfg);
        let mut at = T0;
        for i in 0..40 {
            let depth = (100.0 + 26.0 * i as f64).min(946.0);
            let tokens = 40.0 + (i % 7) as f64 * 9.5;
            for (m, v) in [
                (&cfg.services.metric[0], Value::Number(depth)),
                (&cfg.services.metric[1], Value::Bool(i < 30)),
                (&cfg.services.metric[2], Value::Number(tokens)),
            ] {
                let mut r = Row::new(m.key(), Kind::Metric, m.name.get_ref().clone(), Health::Ok, "");
                r.source = fleettop::update::metric::place(m);
                r.every_ms = 35 * S;
                r.metric = Some(Box::new(MetricInfo::reading(m, Some(v))));
                st.apply(Update::Services(ServiceUpdate::Result(Box::new(r))), at);
            }
            at += 30 * S;
        }
        st.tick(at);
        (st, at)
    }

    fn views() -> Vec<(&'static str, View)> {
        let on = |key: &str| View {
            tab: Tab::Services,
            detail: Some(Detail::new(Tab::Services, key)),
            ..View::default()
        };
        vec![
            (
                "metric_list",
                View {
                    tab: Tab::Services,
                    ..View::default()
                },
            ),
            ("metric_detail", on("metric:rag-queue")),
            ("metric_detail_bool", on("metric:failover")),
        ]
    }

    #[test]
    fn metric_rows_and_drill_down_at_100x30_in_console_glyphs() {
        let (store, now) = store();
        for (name, view) in views() {
            let buf = common::screen::console_100x30(&store, &view, now, name);
            insta::assert_snapshot!(name, text(&buf));
        }
        let problems: Vec<String> = store
            .problems(now)
            .iter()
            .map(|p| format!("{:?} {}", p.level, p.title))
            .collect();
        assert!(
            problems.contains(&"Critical rag-queue: 946 items, above 900 (critical)".to_string()),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"Error failover: false, expected true".to_string()),
            "{problems:?}"
        );
    }
}

/// A mistake in a metric is a config error with its place: exit 3.
#[test]
fn a_bad_metric_is_a_config_error_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[[services.metric]]\nname = \"q\"\nurl = \"http://x/m\"\nprometheus = 'q{a=~\"b\"}'\nwarn_above = 900\ncritical_above = 500\n";
    let err = crate::agents_cli::config_error(&["config", "check"], toml, &dir);
    assert!(err.contains("c.toml:4:14: regular-expression matchers"), "{err}");
    assert!(
        err.contains("c.toml:5:14: warn_above 900 is above critical_above 500"),
        "{err}"
    );
}
