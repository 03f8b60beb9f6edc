//! The contracts people script against, on real parts: a host's disks as
//! `df -P -k` reports them from every path (local, a real sshd, a real
//! `fleettop agent` through a real nats-server), real snapshots valid
//! against docs/snapshot.schema.json with levels that mean what a check is
//! for, and fleettop's own JetStream consumers kept out of the user's.

use crate::common;

use common::sshd::{self, Keys, Sshd};
use common::{NatsServer, free_port, named, schema_valid as valid};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fleettop");

fn fleettop(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env("XDG_STATE_HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("FLEETTOP_CONFIG");
    c
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `fleettop snapshot` (with the embedded default config when `cfg` is
/// None), checked against the schema.
fn snapshot(dir: &Path, cfg: Option<&Path>) -> Value {
    let mut c = fleettop(dir);
    if let Some(cfg) = cfg {
        c.arg("--config").arg(cfg);
    }
    let out = c.arg("snapshot").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("a snapshot is JSON");
    valid(&v);
    v
}

/// A child process killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `df -P -k` on this machine: mount → (size, used, available) in bytes.
fn df() -> BTreeMap<String, (u64, u64, u64)> {
    let out = Command::new("df").args(["-P", "-k"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let cap = w.iter().rposition(|x| x.ends_with('%') && x.len() > 1)?;
            let kib = |i: usize| w.get(i)?.parse::<u64>().ok().map(|k| k * 1024);
            Some((w[cap + 1..].join(" "), (kib(cap - 3)?, kib(cap - 2)?, kib(cap - 1)?)))
        })
        .collect()
}

/// df's Capacity: used / (used + available), rounded up.
fn capacity(used: u64, available: u64) -> u64 {
    (used * 100).div_ceil((used + available).max(1))
}

/// What other writers on this machine (parallel builds) may change on a
/// disk between fleettop's reading and df's.
const SLACK: u64 = 512 << 20;

/// Every disk of the host `name` that df lists is as df says; returns how
/// many were compared.
fn as_df_says(snap: &Value, name: &str, df: &BTreeMap<String, (u64, u64, u64)>) -> usize {
    let host = named(&snap["hosts"], name);
    let disks = host["disks"].as_array().unwrap_or_else(|| panic!("{name}: {host}"));
    let mut compared = 0;
    for d in disks {
        let Some(&(size, used, avail)) = df.get(d["mount"].as_str().unwrap()) else {
            continue;
        };
        let n = |k: &str| d[k].as_u64().unwrap_or_else(|| panic!("{name}: {k} in {d}"));
        let (t, u, a) = (n("total_bytes"), n("used_bytes"), n("available_bytes"));
        let what = format!("{name} {d} vs df size {size} used {used} available {avail}");
        assert_eq!(t, size, "size: {what}");
        assert!(u.abs_diff(used) <= SLACK, "used: {what}");
        assert!(a.abs_diff(avail) <= SLACK, "available: {what}");
        assert!(capacity(u, a).abs_diff(capacity(used, avail)) <= 1, "capacity: {what}");
        compared += 1;
    }
    assert!(
        disks.iter().any(|d| d["mount"] == "/"),
        "{name} has no / among {disks:?}"
    );
    compared
}

#[test]
fn disks_are_as_df_says_locally_over_ssh_and_pushed() {
    if sshd::missing() || !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let nats = NatsServer::start(&d.join("js"), free_port(), free_port());
    let keys = Keys::new();
    let port = free_port();
    let _sshd = Sshd::start(&keys, port, "df");
    let known = write(d, "known_hosts", &keys.known_line(port, "host_key"));
    let agent_cfg = write(
        d,
        "agent.toml",
        &format!(
            "[[hosts]]\nname = \"pushed\"\nlocal = true\ninterval = \"1s\"\ngpu = \"off\"\n\n[[nats]]\nname = \"main\"\nurl = \"{}\"\n",
            nats.url()
        ),
    );
    let _agent = Guard(
        fleettop(d)
            .arg("--config")
            .arg(&agent_cfg)
            .arg("--log-file")
            .arg(d.join("agent.log"))
            .arg("agent")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let viewer = write(
        d,
        "viewer.toml",
        &format!(
            "[fleet]\ndiscover = \"nats\"\nnats = \"main\"\n\n[[nats]]\nname = \"main\"\nurl = \"{}\"\n\n\
             [[hosts]]\nname = \"here\"\nlocal = true\ngpu = \"off\"\n\n{}",
            nats.url(),
            sshd::host_toml("remote", port, &keys, &known, "")
        ),
    );
    let end = Instant::now() + Duration::from_secs(30);
    let snap = loop {
        let s = snapshot(d, Some(&viewer));
        let has_disks = |n: &str| {
            s["hosts"]
                .as_array()
                .and_then(|hs| hs.iter().find(|h| h["name"] == n))
                .is_some_and(|h| h["disks"].as_array().is_some_and(|d| !d.is_empty()))
        };
        if ["here", "remote", "pushed"].iter().all(|n| has_disks(n)) {
            break s;
        }
        assert!(Instant::now() < end, "three hosts with disks: {}", s["hosts"]);
        std::thread::sleep(Duration::from_millis(500));
    };
    let df = df();
    assert!(df.contains_key("/"), "{df:?}");
    for name in ["here", "remote", "pushed"] {
        assert!(as_df_says(&snap, name, &df) >= 1, "{name}");
        assert_eq!(named(&snap["hosts"], name)["state"], "online");
    }
}

#[test]
fn the_default_snapshot_is_as_the_schema_says() {
    let dir = tempfile::tempdir().unwrap();
    let v = snapshot(dir.path(), None);
    assert_eq!(v["schema_version"], 1);
    let here = &v["hosts"][0];
    assert_eq!(here["state"], "online", "{here}");
    assert_ne!(here["level"], "unknown", "{here}");
}

/// A stream FLEET holding librarian's three failed runs in a row.
async fn three_failures(url: &str) -> async_nats::jetstream::Context {
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    common::fleet_stream(&js).await;
    for _ in 0..3 {
        let e = r#"{"agent":"librarian","event":"failed","exit_code":1,"output":"index locked"}"#;
        js.publish("fleet.agents.librarian", e.into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    js
}

/// Levels that mean what each check is for, from real parts: a stale file
/// is an error, a whole group down is critical in one round, an agent
/// failing its streak is critical with its status `failed`; `check` says
/// CRITICAL and exits 2; the snapshot is as the schema says.
#[test]
fn levels_in_one_round_against_real_servers() {
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let nats = NatsServer::start(&d.join("js"), free_port(), free_port());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(three_failures(&nats.url()));
    let old = write(d, "old.log", "x");
    let o = Command::new("touch")
        .args(["-d", "2 hours ago"])
        .arg(&old)
        .status()
        .unwrap();
    assert!(o.success());
    let closed = [free_port(), free_port()];
    let cfg = write(
        d,
        "levels.toml",
        &format!(
            "[alerts]\nagent_fail_streak_critical = 3\n\n\
             [[nats]]\nname = \"main\"\nurl = \"{url}\"\nmonitor_url = \"{mon}\"\n\n\
             [agents]\nnats = \"main\"\nsubjects = [\"fleet.agents.>\"]\nreplay = \"1h\"\n\n\
             [[services.http]]\nname = \"monitor\"\nurl = \"{mon}/healthz\"\n\n\
             [[services.tcp]]\nname = \"tunnel-a\"\naddress = \"127.0.0.1:{a}\"\ngroup = \"tunnels\"\n\n\
             [[services.tcp]]\nname = \"tunnel-b\"\naddress = \"127.0.0.1:{b}\"\ngroup = \"tunnels\"\n\n\
             [[services.freshness]]\nname = \"backup\"\npath = \"{old}\"\nmax_age = \"1h\"\n",
            url = nats.url(),
            mon = nats.monitor(),
            a = closed[0],
            b = closed[1],
            old = old.display()
        ),
    );
    let v = snapshot(d, Some(&cfg));
    let state = |list: &str, name: &str| named(&v[list], name)["state"].as_str().unwrap().to_string();
    assert_eq!(state("services", "monitor"), "ok");
    assert_eq!(
        state("services", "backup"),
        "error",
        "older than max_age: {}",
        v["services"]
    );
    assert_eq!(state("services", "tunnel-a"), "critical", "{}", v["services"]);
    assert_eq!(state("services", "tunnel-b"), "critical");
    assert_eq!(state("nats", "main"), "ok");
    let librarian = named(&v["agents"], "librarian");
    assert_eq!(
        (&librarian["state"], &librarian["status"]),
        (&"critical".into(), &"failed".into()),
        "{librarian}"
    );
    let problems: Vec<(&str, &str)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["level"].as_str().unwrap(), p["title"].as_str().unwrap()))
        .collect();
    assert!(
        problems.contains(&("critical", "all tunnels down (2 of 2)")),
        "{problems:?}"
    );
    assert!(
        problems.contains(&("critical", "librarian failed 3 times in a row")),
        "{problems:?}"
    );

    let o = fleettop(d).arg("--config").arg(&cfg).arg("check").output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.lines().last().unwrap().starts_with("CRITICAL: "), "{out}");
    assert!(out.contains("ERROR    backup: backup down: stale: written 2h"), "{out}");
}

/// The ordered consumer fleettop creates to replay agent history is on the
/// server, but neither the NATS tab's state nor the snapshot lists it; the
/// user's own consumer is there.
#[tokio::test]
async fn fleettops_own_consumers_are_not_the_users() {
    // Its sources find a connection by a name (in the library's process-wide
    // links) that another module's test also uses.
    use fleettop::model::now_millis;
    use fleettop::sources::{self, Ctx};
    use fleettop::store::Store;
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path(), free_port(), free_port());
    let js = three_failures(&nats.url()).await;
    js.get_stream("FLEET")
        .await
        .unwrap()
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            durable_name: Some("worker".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let config = fleettop::config::parse_str(
        &format!(
            "[[nats]]\nname = \"main\"\nurl = \"{}\"\nmonitor_url = \"{}\"\ninterval = \"300ms\"\n\n\
             [agents]\nnats = \"main\"\nsubjects = [\"fleet.agents.>\"]\nreplay = \"1h\"\n",
            nats.url(),
            nats.monitor()
        ),
        "own.toml",
    )
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let ctx = Ctx::new(tx);
    let mut store = Store::new(&config);
    store.outlet = sources::spawn_all(&config, &ctx);
    let jsz_url = format!(
        "{}/jsz?accounts=true&streams=true&consumers=true&config=true",
        nats.monitor()
    );
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    // Until the server has fleettop's consumer, and a poll after it.
    let mut own_seen_at = None;
    loop {
        assert!(
            tokio::time::Instant::now() < end,
            "no replay consumer with a later poll"
        );
        if let Ok(Some(u)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            store.apply(u, now_millis());
        }
        if own_seen_at.is_none() && store.agents.replays_pending == 0 {
            let jsz: Value = reqwest::get(&jsz_url).await.unwrap().json().await.unwrap();
            let consumers = &jsz["account_details"][0]["stream_detail"][0]["consumer_detail"];
            let own = consumers
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["name"] != "worker");
            if let Some(own) = own {
                assert_eq!(own["config"]["description"], "fleettop: agent history replay", "{own}");
                own_seen_at = Some(store.nats.servers[0].samples);
            }
        }
        if own_seen_at.is_some_and(|n| store.nats.servers[0].samples >= n + 2) {
            break;
        }
    }
    let snap = serde_json::to_value(fleettop::snapshot::Snapshot::build(&store, now_millis())).unwrap();
    valid(&snap);
    let stream = named(&snap["nats"][0]["jetstream"]["streams"], "FLEET");
    let names: Vec<&str> = stream["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["worker"], "{stream}");
}
