//! The demo fleet: the real parts the tests start, on loopback, and a
//! fleettop config for them — a nats-server with JetStream and a stream of
//! agent runs in both event formats, an sshd playing three hosts (root
//! only), an HTTP server with a healthy and a failing endpoint, and a
//! dockerd with two containers (root, and dockerd installed). What it
//! cannot start it says in `notes` and leaves out of the config.
//! `examples/demo_fleet.rs` (behind `scripts/demo-fleet.sh`) and the demo
//! test both start it from here.

use super::docker::{self, Dockerd};
use super::sshd::{self, Keys, Sshd};
use super::{NatsServer, free_port};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The hosts the one sshd plays.
const SSH_HOSTS: [&str; 3] = ["pi-kitchen", "nas", "build"];

/// The agent daemons whose runs go on the bus: (name, tag, subject, format).
const DAEMONS: [(&str, &str, &str, Format); 3] = [
    ("pr-helper", "pr", "fleet.daemon.pr-helper", Format::Peers),
    ("scout", "sc", "fleet.agents.scout", Format::Own),
    ("backup", "bk", "fleet.agents.backup", Format::Own),
];

#[derive(Clone, Copy)]
enum Format {
    /// fleettop's own run event (docs/agents.md).
    Own,
    /// The claude-peers supervisor's.
    Peers,
}

/// Everything the demo started; [`Demo::stop`] (or dropping it) stops it.
pub struct Demo {
    pub dir: PathBuf,
    /// DIR/fleettop.toml.
    pub config: PathBuf,
    /// What was left out, and why.
    pub notes: Vec<String>,
    nats: NatsServer,
    js: async_nats::jetstream::Context,
    sshd: Option<(Sshd, Keys)>,
    docker: Option<Dockerd>,
    runs: u64,
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

impl Demo {
    /// Starts every part it can in `dir` (created if missing), publishes a
    /// few runs of each agent, and writes `dir/fleettop.toml` last: its
    /// presence says the demo is up. Call inside a tokio runtime that
    /// keeps running (the HTTP server and the bus client live in it).
    pub async fn start(dir: &Path) -> Demo {
        std::fs::create_dir_all(dir).unwrap();
        let dir = dir.canonicalize().unwrap();
        let mut notes = Vec::new();
        let mut toml = String::from(
            "# Written by scripts/demo-fleet.sh: a demo fleet on loopback.\n\
             [ui]\ntab = \"fleet\"\n\n[[hosts]]\nname = \"this-machine\"\nlocal = true\n\
             sessions = [\"sshd\", \"nats-server\"]\n\n",
        );
        let nats_dir = dir.join("nats");
        std::fs::create_dir_all(&nats_dir).unwrap();
        let nats = NatsServer::start(&nats_dir, free_port(), free_port());
        let sshd = if !is_root() {
            notes.push("sshd: needs root (its sessions log in as this user with a throwaway key); no SSH hosts".into());
            None
        } else if sshd::missing() {
            notes.push("sshd or ssh-keygen is not installed; no SSH hosts".into());
            None
        } else {
            Some(start_sshd(&dir, &mut toml))
        };
        let (http, _) = super::http::server().await;
        toml.push_str(&format!(
            "[[services.http]]\nname = \"api\"\nurl = \"{http}/ok\"\nbody_contains = \"ok\"\ninterval = \"5s\"\n\n\
             [[services.http]]\nname = \"billing\"\nurl = \"{http}/fail\"\ninterval = \"5s\"\n\n\
             [[services.tcp]]\nname = \"nats-client-port\"\naddress = \"127.0.0.1:{}\"\n\n",
            nats.port
        ));
        let docker = start_docker(&mut notes);
        if let Some(d) = &docker {
            toml.push_str(&format!(
                "[[services.docker]]\nname = \"demo\"\nendpoint = \"unix://{}\"\ninterval = \"5s\"\n\n",
                d.sock().display()
            ));
        }
        toml.push_str(&nats_toml(&nats));
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        super::fleet_stream(&js).await;
        let config = dir.join("fleettop.toml");
        let mut demo = Demo {
            dir,
            config: config.clone(),
            notes,
            nats,
            js,
            sshd,
            docker,
            runs: 0,
        };
        for _ in 0..4 {
            demo.publish_runs().await;
        }
        std::fs::write(&config, toml).unwrap();
        demo
    }

    /// One run of each agent on the bus: mostly successes, now and then a
    /// failure or a skip, so the ticker moves and the tab has history.
    pub async fn publish_runs(&mut self) {
        for (k, (name, tag, subject, format)) in DAEMONS.iter().enumerate() {
            let n = self.runs + k as u64;
            let (event, code, text) = match n % 7 {
                3 => ("failed", 1, "error: upstream returned 502"),
                5 => ("skipped", 0, "nothing to do"),
                _ => ("completed", 0, "all good"),
            };
            let now = fleettop::model::now_millis();
            let duration = 2_000 + (n % 5) as i64 * 7_000;
            let body = match format {
                Format::Own => serde_json::json!({"agent": name, "tag": tag, "event": event,
                    "trigger": "timer", "exit_code": code, "duration_ms": duration,
                    "finished_at": fleettop::model::rfc3339(now),
                    "output": format!("run {n}\n{{\"summary\": \"{text}\"}}")}),
                Format::Peers => {
                    let ty = match event {
                        "failed" => "daemon_failed",
                        "skipped" => "daemon_triage",
                        _ => "daemon_complete",
                    };
                    let data = format!("trigger=interval duration={}s outcome={event}", duration / 1000);
                    serde_json::json!({"type": ty, "peer_id": name, "machine": "this-machine",
                        "summary": text, "cwd": "/srv", "data": data,
                        "timestamp": fleettop::model::rfc3339(now)})
                }
            };
            let ack = self.js.publish(*subject, body.to_string().into()).await;
            if let Ok(ack) = ack {
                let _ = ack.await;
            }
        }
        self.runs += 1;
    }

    /// Every process the demo started, with what they started in turn.
    pub fn pids(&self) -> Vec<u32> {
        let mut roots = vec![self.nats.pid()];
        roots.extend(self.sshd.as_ref().map(|(s, _)| s.child.id()));
        roots.extend(self.docker.as_ref().and_then(|d| d.pid()));
        let mut all = roots.clone();
        for r in roots {
            all.extend(sshd::descendants(r));
        }
        all
    }

    /// Strings the command line of every process the demo started holds:
    /// to find one left behind.
    pub fn needles(&self) -> Vec<String> {
        let mut out = vec![self.dir.display().to_string()];
        out.extend(self.docker.as_ref().map(|d| d.dir().display().to_string()));
        out
    }

    /// Stops everything: containers and dockerd, sshd and its sessions,
    /// nats-server (each waited for).
    pub fn stop(self) {
        drop(self);
    }
}

/// One sshd on a loopback port for all of [`SSH_HOSTS`], its keys in
/// `dir/keys`, a known_hosts for it, and their `[[hosts]]` entries.
fn start_sshd(dir: &Path, toml: &mut String) -> (Sshd, Keys) {
    let keys = Keys::new_in(dir);
    let port = free_port();
    let sshd = Sshd::start(&keys, port, "demo");
    let known = dir.join("known_hosts");
    std::fs::write(&known, keys.known_line(port, "host_key")).unwrap();
    for name in SSH_HOSTS {
        // A configured fleet's pace: the default interval (5 s), not a test's.
        let host = sshd::host_toml(name, port, &keys, &known, "").replace("interval = \"500ms\"\n", "");
        toml.push_str(&host);
        toml.push('\n');
    }
    (sshd, keys)
}

/// A dockerd with two containers: one running, one restarting in a loop.
fn start_docker(notes: &mut Vec<String>) -> Option<Dockerd> {
    if !is_root() || !docker::installed() {
        notes.push("dockerd: needs root, dockerd, docker and busybox-static; no containers".into());
        return None;
    }
    match docker::start_with_image() {
        Ok(d) => {
            docker::run(&d, &["--name", "web", "fleettop-test:busybox", "sleep", "86400"]);
            let flappy = ["--name", "flappy", "--restart", "always", "fleettop-test:busybox"];
            let cmd = ["sh", "-c", "echo starting; sleep 20; echo boom; exit 1"];
            docker::run(&d, &[&flappy[..], &cmd[..]].concat());
            Some(d)
        }
        Err(log) => {
            let last = log.lines().last().unwrap_or("").to_string();
            notes.push(format!("dockerd did not start: {last}"));
            None
        }
    }
}

/// The NATS server and the Agents tab reading its stream.
fn nats_toml(nats: &NatsServer) -> String {
    let mut t = format!(
        "[[nats]]\nname = \"demo\"\nurl = \"{}\"\nmonitor_url = \"{}\"\nsubscribe = [\"fleet.>\"]\n\n\
         [agents]\nnats = \"demo\"\nsubjects = [\"fleet.agents.>\", \"fleet.daemon.>\"]\nreplay = \"24h\"\n\n",
        nats.url(),
        nats.monitor()
    );
    for (name, tag, _, _) in DAEMONS {
        t.push_str(&format!(
            "[[agents.daemon]]\nname = \"{name}\"\ntag = \"{tag}\"\nschedule = \"every 1m\"\n\n"
        ));
    }
    t
}

/// How often the demo publishes a run of each agent.
pub const RUN_EVERY: Duration = Duration::from_secs(20);
