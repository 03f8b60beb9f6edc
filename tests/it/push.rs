//! Push mode against a real `nats-server -js`: real `fleettop agent`
//! processes publish, a real `fleettop snapshot` views (docs/push.md).

use crate::common;

use common::{NatsServer, free_port};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fleettop");

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn fleettop(dir: &Path, cfg: &Path, log: &str) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--config")
        .arg(cfg)
        .arg("--log-file")
        .arg(dir.join(log))
        .env("XDG_STATE_HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("FLEETTOP_CONFIG");
    c
}

/// An agent child that is killed (if still running) when dropped.
struct Agent(Child);

impl Agent {
    fn start(dir: &Path, name: &str, url: &str) -> Agent {
        let cfg = write(
            dir,
            &format!("{name}.toml"),
            &format!(
                "[[hosts]]\nname = \"{name}\"\nlocal = true\ninterval = \"1s\"\ngpu = \"off\"\n\n[[nats]]\nname = \"main\"\nurl = \"{url}\"\n"
            ),
        );
        let child = fleettop(dir, &cfg, &format!("{name}.log"))
            .arg("agent")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("fleettop agent starts");
        Agent(child)
    }

    /// SIGTERM, and the exit status.
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.0.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.0.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < end, "the agent did not end on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn snapshot(dir: &Path, cfg: &Path) -> Value {
    let out = fleettop(dir, cfg, "viewer.log").arg("snapshot").output().unwrap();
    assert!(
        out.status.success(),
        "snapshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = serde_json::from_slice(&out.stdout).expect("snapshot is JSON");
    common::schema_valid(&v);
    v
}

fn host<'a>(snap: &'a Value, name: &str) -> Option<&'a Value> {
    snap["hosts"].as_array()?.iter().find(|h| h["name"] == name)
}

fn state(snap: &Value, name: &str) -> String {
    host(snap, name)
        .and_then(|h| h["state"].as_str())
        .unwrap_or("absent")
        .to_string()
}

/// Takes snapshots until `cond` holds; panics with the last one after `secs`.
fn until(dir: &Path, cfg: &Path, what: &str, secs: u64, cond: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let s = snapshot(dir, cfg);
        if cond(&s) {
            return s;
        }
        assert!(
            Instant::now() < end,
            "{what} within {secs}s; last snapshot hosts: {}",
            s["hosts"]
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn mem_total() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = text.lines().find(|l| l.starts_with("MemTotal:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

fn viewer_config(dir: &Path, url: &str, extra: &str) -> PathBuf {
    write(
        dir,
        "viewer.toml",
        &format!(
            "[fleet]\ndiscover = \"nats\"\nnats = \"main\"\n\n[[nats]]\nname = \"main\"\nurl = \"{url}\"\n{extra}"
        ),
    )
}

/// Puts raw values in the bucket, as a misbehaving publisher would.
fn put_raw(url: &str, key: &str, value: &'static [u8]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(c);
        let kv = js
            .get_key_value("fleettop_hosts")
            .await
            .expect("the agents made the bucket");
        kv.put(key, value.into()).await.unwrap();
    });
}

fn plausible(h: &Value) {
    assert_eq!(h["mem_total_bytes"].as_u64(), Some(mem_total()), "{h}");
    let used = h["mem_used_bytes"].as_u64().unwrap();
    assert!(used > 0 && used <= mem_total(), "{h}");
    let cpu = h["cpu_pct"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&cpu), "{h}");
    assert!(h["uptime_s"].as_u64().unwrap() > 0, "{h}");
    assert!(h["last_seen"].as_str().is_some(), "{h}");
    assert!(h["load"].as_array().is_some_and(|l| l.len() == 3), "{h}");
    assert!(!h["disks"].as_array().unwrap().is_empty(), "{h}");
}

#[test]
fn two_agents_one_viewer_then_one_agent_goes_stale_and_offline() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(&dir.path().join("js"), free_port(), free_port());
    let url = server.url();
    let mut alpha = Agent::start(dir.path(), "alpha", &url);
    let _beta = Agent::start(dir.path(), "beta", &url);
    let viewer = viewer_config(dir.path(), &url, "");

    let s = until(dir.path(), &viewer, "alpha and beta online", 30, |s| {
        state(s, "alpha") == "online" && state(s, "beta") == "online"
    });
    plausible(host(&s, "alpha").unwrap());
    plausible(host(&s, "beta").unwrap());
    // Rates need two samples: a later snapshot has them from the agent.
    let s = until(dir.path(), &viewer, "network rates", 20, |s| {
        host(s, "alpha").is_some_and(|h| h["net_rx_bytes_per_s"].is_number())
    });
    assert!(host(&s, "beta").is_some());

    // A misbehaving publisher: counted and logged, the others unharmed.
    put_raw(&url, "garbage", b"not json {");
    put_raw(
        &url,
        "wrongtype",
        br#"{"name":"wrongtype","last_seen":"2026-01-01T00:00:00Z","cpu_pct":"lots"}"#,
    );
    let s = snapshot(dir.path(), &viewer);
    assert_eq!(state(&s, "alpha"), "online");
    assert_eq!(state(&s, "beta"), "online");
    assert!(
        host(&s, "garbage").is_none() && host(&s, "wrongtype").is_none(),
        "{}",
        s["hosts"]
    );
    let log = std::fs::read_to_string(dir.path().join("viewer.log")).unwrap();
    assert!(log.contains("malformed value in fleettop_hosts"), "{log}");
    assert!(log.contains("garbage") && log.contains("wrongtype"), "{log}");

    // A viewer that names one pushed host sees that one only.
    let named = write(
        dir.path(),
        "named.toml",
        &format!("[[hosts]]\nname = \"beta\"\nnats = true\n\n[[nats]]\nname = \"main\"\nurl = \"{url}\"\n"),
    );
    let s = until(dir.path(), &named, "the named host online", 20, |s| {
        state(s, "beta") == "online"
    });
    assert!(host(&s, "alpha").is_none(), "{}", s["hosts"]);

    // SIGTERM: the agent ends cleanly; its host goes stale, then offline.
    let status = alpha.terminate();
    assert!(status.success(), "agent exit status {status:?}");
    until(dir.path(), &viewer, "alpha stale, beta online", 30, |s| {
        state(s, "alpha") == "stale" && state(s, "beta") == "online"
    });
    until(dir.path(), &viewer, "alpha offline, beta online", 120, |s| {
        state(s, "alpha") == "offline" && state(s, "beta") == "online"
    });
    let log = std::fs::read_to_string(dir.path().join("alpha.log")).unwrap();
    assert!(log.contains("agent publishing") && log.contains("agent exits"), "{log}");
}

#[test]
fn an_agent_rides_out_a_server_restart() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (port, mport) = (free_port(), free_port());
    let store = dir.path().join("js");
    let server = NatsServer::start(&store, port, mport);
    let url = server.url();
    let _gamma = Agent::start(dir.path(), "gamma", &url);
    let viewer = viewer_config(dir.path(), &url, "");
    until(dir.path(), &viewer, "gamma online", 30, |s| {
        state(s, "gamma") == "online"
    });

    drop(server);
    std::thread::sleep(Duration::from_secs(4));
    let _server = NatsServer::start(&store, port, mport);
    // Fresh samples again: last_seen after the restart.
    let restarted = std::time::SystemTime::now();
    until(dir.path(), &viewer, "gamma pushing again after the restart", 40, |s| {
        host(s, "gamma")
            .and_then(|h| h["last_seen"].as_str())
            .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
            .is_some_and(|t| t >= restarted && state(s, "gamma") == "online")
    });
}

#[test]
fn an_agent_without_a_nats_url_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "a.toml", "[[hosts]]\nname = \"a\"\nlocal = true\n");
    let out = fleettop(dir.path(), &cfg, "a.log").arg("agent").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[[nats]]"));
}
