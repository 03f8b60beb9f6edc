//! Test helpers shared by the integration tests: skip-or-fail on what this
//! machine lacks, real servers, and the store fed by real sources.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub mod demo;
pub mod docker;
pub mod http;
pub mod screen;
pub mod sshd;
pub mod tmux;

const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// Whether the test can go on: true when `ok`. Otherwise under
/// `FLEETTOP_IT=1` (as CI sets) the test fails saying `why`; else it says it
/// skips and why, and the caller returns.
pub fn needs(ok: bool, why: &str) -> bool {
    if !ok {
        assert_ne!(
            std::env::var("FLEETTOP_IT").as_deref(),
            Ok("1"),
            "{why} (FLEETTOP_IT=1)"
        );
        eprintln!("skipped: {why}");
    }
    ok
}

/// Whether `tool` is here (a path, or a program on PATH), as [`needs`].
pub fn require(tool: &str) -> bool {
    needs(on_path(tool), &format!("{tool} is not installed"))
}

/// Whether `tool` is here: a path, or a program on PATH.
pub fn on_path(tool: &str) -> bool {
    if tool.contains('/') {
        std::path::Path::new(tool).is_file()
    } else {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
    }
}

pub fn free_port() -> u16 {
    // The kernel may hand the same free port to two calls (the first one's
    // listener is gone by the second): a server given it twice, as its
    // client and its monitoring port, never comes up. Never twice here.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A nats-server child that is killed when dropped.
pub struct NatsServer {
    child: Child,
    pub port: u16,
    pub mport: u16,
}

impl NatsServer {
    pub fn binary_present() -> bool {
        require(NATS_SERVER)
    }

    pub fn start(dir: &std::path::Path, port: u16, mport: u16) -> NatsServer {
        Self::start_with(dir, port, mport, &[])
    }

    pub fn start_with(dir: &std::path::Path, port: u16, mport: u16, extra: &[&str]) -> NatsServer {
        let child = Command::new(NATS_SERVER)
            .args(extra)
            .args(["-js", "-sd"])
            .arg(dir)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-m", &mport.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        let s = NatsServer { child, port, mport };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", mport)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nats-server did not come up on {port}/{mport}");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn monitor(&self) -> String {
        format!("http://127.0.0.1:{}", self.mport)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The member of the JSON array `list` whose `"name"` is `name`; panics
/// showing the array when there is none.
pub fn named<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    list.as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("no {name:?} in {list}"))
}

/// A stream FLEET on `fleet.>` keeping a day, as claude-peers makes it.
pub async fn fleet_stream(js: &async_nats::jetstream::Context) {
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "FLEET".into(),
        subjects: vec!["fleet.>".into()],
        max_age: Duration::from_secs(24 * 3600),
        ..Default::default()
    })
    .await
    .unwrap();
}

/// An executable `#!/bin/sh` script `name` in `dir`: a stand-in for a
/// program this machine does not have (systemctl, journalctl, launchctl).
pub fn stand_in(dir: &std::path::Path, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{script}")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// fleettop's sources for `config` feeding a new store, as the app runs
/// them: the store, the updates to apply to it, and their context.
pub fn running(
    config: &fleettop::config::Config,
) -> (
    fleettop::store::Store,
    tokio::sync::mpsc::Receiver<fleettop::update::Update>,
    fleettop::sources::Ctx,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let ctx = fleettop::sources::Ctx::new(tx);
    let mut store = fleettop::store::Store::new(config);
    store.outlet = fleettop::sources::spawn_all(config, &ctx);
    (store, rx, ctx)
}

/// Applies updates to `store` until `cond` holds; after 20 s, fails saying
/// what it waited for and what the agents were.
pub async fn until(
    store: &mut fleettop::store::Store,
    rx: &mut tokio::sync::mpsc::Receiver<fleettop::update::Update>,
    what: &str,
    cond: impl Fn(&fleettop::store::Store) -> bool,
) {
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while !cond(store) {
        if tokio::time::Instant::now() > end {
            let agents: Vec<_> = (store.agents.agents.iter())
                .map(|a| (a.name.clone(), a.ok, a.failed, a.skipped))
                .collect();
            panic!("waited for {what}; agents {agents:?}");
        }
        if let Ok(Some(u)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            store.apply(u, fleettop::model::now_millis());
        }
    }
}

/// Panics, naming each place, unless `snap` is as docs/snapshot.schema.json
/// says a snapshot is.
pub fn schema_valid(snap: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(include_str!("../../../docs/snapshot.schema.json")).unwrap();
    let v = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = v
        .iter_errors(snap)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not as docs/snapshot.schema.json says:\n{}\n{snap:#}",
        errors.join("\n")
    );
}
