//! A real OpenSSH `sshd` for tests: throwaway host and client keys on a
//! loopback port, killed with every process it started when dropped.

use fleettop::config::parse_str;
use fleettop::model::HostSample;
use fleettop::sources::ssh;
use fleettop::sources::{Ctx, Handles};
use fleettop::store::Store;
use fleettop::update::{SourceError, Update};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const SSHD: &str = "/usr/sbin/sshd";
pub const KEYGEN: &str = "ssh-keygen";

/// Whether sshd or ssh-keygen is missing: fails under FLEETTOP_IT=1, else
/// says it skips ([`super::require`]).
pub fn missing() -> bool {
    !(super::require(SSHD) && super::require(KEYGEN))
}

pub fn keygen(path: &Path) {
    keygen_type(path, "ed25519");
}

/// A key pair of type `kind` (`ed25519`, `rsa`, `ecdsa`) at `path`.
pub fn keygen_type(path: &Path, kind: &str) {
    let st = Command::new(KEYGEN)
        .args(["-q", "-t", kind, "-N", "", "-C", "fleettop-test", "-f"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
}

/// `SHA256:…` of a public key file, as ssh-keygen prints it.
pub fn fingerprint(pub_file: &Path) -> String {
    let out = Command::new(KEYGEN).arg("-l").arg("-f").arg(pub_file).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().nth(1).unwrap().to_string()
}

pub fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Keys and files for one test: a host key, a client key, authorized_keys.
pub struct Keys {
    pub dir: tempfile::TempDir,
}

impl Keys {
    pub fn new() -> Self {
        Self::in_dir(tempfile::tempdir().unwrap())
    }

    /// In a new directory under `parent` (removed on drop).
    pub fn new_in(parent: &Path) -> Self {
        Self::in_dir(tempfile::Builder::new().prefix("keys").tempdir_in(parent).unwrap())
    }

    fn in_dir(dir: tempfile::TempDir) -> Self {
        keygen(&dir.path().join("host_key"));
        keygen(&dir.path().join("client_key"));
        keygen(&dir.path().join("other_key"));
        std::fs::copy(dir.path().join("client_key.pub"), dir.path().join("authorized_keys")).unwrap();
        Keys { dir }
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// The $HOME of every session of this test's sshd (empty at start).
    pub fn home(&self) -> PathBuf {
        self.path("home")
    }
    pub fn public(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.path(&format!("{name}.pub"))).unwrap();
        let mut w = text.split_whitespace();
        format!("{} {}", w.next().unwrap(), w.next().unwrap())
    }
    /// A known_hosts line for 127.0.0.1:port with the key of `name`.
    pub fn known_line(&self, port: u16, name: &str) -> String {
        format!("[127.0.0.1]:{port} {}\n", self.public(name))
    }
}

/// An sshd in the foreground on 127.0.0.1:port; it and every process it
/// started are killed on drop (a connection's own sshd process outlives
/// the listener otherwise).
pub struct Sshd {
    pub child: Child,
    pub log: PathBuf,
}

impl Sshd {
    pub fn start(keys: &Keys, port: u16, tag: &str) -> Sshd {
        Self::start_with(keys, port, tag, "")
    }

    /// With `extra` lines of sshd_config (a `ForceCommand` to play a host
    /// that prints megabytes or never answers).
    pub fn start_with(keys: &Keys, port: u16, tag: &str, extra: &str) -> Sshd {
        Self::start_keyed(keys, port, tag, "host_key", extra)
    }

    /// Whose sessions find the commands in `bin` first on their PATH: the
    /// stand-ins for a host's tools (`launchctl`, `systemctl`, `curl`, ...).
    /// (sshd's SetEnv cannot set PATH: the session's PATH wins.)
    pub fn start_with_path(keys: &Keys, port: u16, tag: &str, bin: &Path) -> Sshd {
        let force = format!(
            "ForceCommand env PATH={}:/usr/bin:/bin sh -c \"$SSH_ORIGINAL_COMMAND\"",
            bin.display()
        );
        Self::start_with(keys, port, tag, &force)
    }

    /// Offering only the host key `host_key` of `keys` (e.g. an RSA one).
    pub fn start_keyed(keys: &Keys, port: u16, tag: &str, host_key: &str, extra: &str) -> Sshd {
        let _ = std::fs::create_dir_all("/run/sshd");
        let home = keys.home();
        std::fs::create_dir_all(&home).unwrap();
        let cfg = keys.path(&format!("sshd_config_{tag}"));
        let log = keys.path(&format!("sshd_{tag}.log"));
        std::fs::write(
            &cfg,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PermitRootLogin prohibit-password\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile {}\n\
                 LogLevel DEBUG1\n\
                 # Sessions get an empty home of their own: the login shell must\n\
                 # not source this machine's ~/.bashrc (here it runs `pyenv\n\
                 # rehash`, whose lock, left by a session killed mid-login,\n\
                 # makes every later login wait).\n\
                 SetEnv HOME={}\n{extra}\n",
                keys.path(host_key).display(),
                keys.path("authorized_keys").display(),
                keys.path(&format!("sshd_{tag}.pid")).display(),
                home.display(),
            ),
        )
        .unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(&cfg)
            .arg("-E")
            .arg(&log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut s = Sshd { child, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(st)) = s.child.try_wait() {
                panic!("sshd exited {st}: {}", s.log_text());
            }
            assert!(Instant::now() < deadline, "sshd did not listen: {}", s.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        let root = self.child.id();
        for pid in descendants(root) {
            let _ = Command::new("kill")
                .arg("-9")
                .arg(pid.to_string())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Every process below `root`, from the ppid field of /proc/PID/stat.
pub fn descendants(root: u32) -> Vec<u32> {
    let mut parent = std::collections::HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if let Ok(t) = std::fs::read_to_string(e.path().join("stat"))
            && let Some(close) = t.rfind(')')
            && let Some(ppid) = t[close + 1..]
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok())
        {
            parent.insert(pid, ppid);
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (&c, &pp) in &parent {
            if pp == p && !out.contains(&c) {
                out.push(c);
                frontier.push(c);
            }
        }
    }
    out
}

/// Asserts that the sshd whose log is `log` saw no authentication at all
/// (a host key refused ends the handshake before it).
pub fn no_auth_attempt(log: &str) {
    for word in [
        "userauth-request",
        "Accepted",
        "Failed publickey",
        "Postponed publickey",
    ] {
        assert!(!log.contains(word), "sshd saw {word:?}:\n{log}");
    }
}

/// Config for one ssh host at 127.0.0.1:port.
pub fn host_toml(name: &str, port: u16, keys: &Keys, known_hosts: &Path, extra: &str) -> String {
    host_toml_as(&user(), name, port, keys, known_hosts, extra)
}

/// [`host_toml`] logging in as `login`.
pub fn host_toml_as(login: &str, name: &str, port: u16, keys: &Keys, known_hosts: &Path, extra: &str) -> String {
    format!(
        "[[hosts]]\nname = \"{name}\"\nssh = \"{login}@127.0.0.1:{port}\"\nidentity_file = \"{}\"\n\
         known_hosts = \"{}\"\ninterval = \"500ms\"\ntimeout = \"3s\"\nsessions = [\"sshd\"]\ngpu = \"off\"\n{extra}\n",
        keys.path("client_key").display(),
        known_hosts.display(),
    )
}

/// Starts the ssh task of every host in `toml`; returns the updates.
pub fn spawn(toml: &str) -> mpsc::Receiver<Update> {
    spawn_with(toml, &Handles::default())
}

/// [`spawn`] sharing `handles` (SSH links and tables) with the test.
pub fn spawn_with(toml: &str, handles: &Handles) -> mpsc::Receiver<Update> {
    let config = parse_str(toml, "test").unwrap_or_else(|e| panic!("{e:?}"));
    let (tx, rx) = mpsc::channel(64);
    let ctx = Ctx::with(tx, Default::default(), handles.clone());
    for h in config.hosts {
        tokio::spawn(ssh::run(h, ctx.clone()));
    }
    rx
}

/// A store for the hosts of `toml`, fed `result` for `host` at `at`.
pub fn store_with(toml: &str, host: &str, result: Result<Box<HostSample>, SourceError>, at: i64) -> Store {
    let mut store = Store::new(&parse_str(toml, "test").unwrap());
    store.apply(
        Update::Host {
            name: host.into(),
            result,
        },
        at,
    );
    store
}

/// The next update of `host` that `want` accepts; panics after a minute.
pub async fn wait_for(
    rx: &mut mpsc::Receiver<Update>,
    host: &str,
    mut want: impl FnMut(&Result<Box<HostSample>, SourceError>) -> bool,
) -> Result<Box<HostSample>, SourceError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let u = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("{host}: not the update wanted within a minute; saw {seen:?}"))
            .expect("channel open");
        if let Update::Host { name, result } = u
            && name == host
        {
            if want(&result) {
                return result;
            }
            seen.push(result.as_ref().map(|_| "sample").map_err(|e| e.clone()));
            if seen.len() > 20 {
                let _ = seen.remove(0);
            }
        }
    }
}
