//! Remote hosts over SSH (russh): one persistent, verified connection per
//! host, reused for every poll; one fixed probe script
//! ([`probe::COMMAND`]) per poll, sent to `sh` on an exec channel with a
//! fresh marker that frames its output ([`probe`]).
//!
//! The server's host key is checked against `known_hosts` before anything
//! else: an unknown or changed key ends the handshake, so no authentication
//! is attempted, and the host shows `auth-error` with the offered
//! fingerprint. fleettop reads known_hosts itself
//! ([`known_hosts`]): `accept_new_host_keys =
//! true` records a key only for a host that has no line at all (a key of
//! another algorithm is a changed key; a revoked key is refused and never
//! recorded). A lost connection is made again with exponential backoff and
//! jitter; every connect and every poll is bounded by the host's `timeout`.
//!
//! At scale: hosts poll on turns of their own ([`Schedule`]); in the TUI a
//! host keeps only its top processes unless its drill-down is open
//! ([`Tables`]); other sources run their fixed scripts on the same
//! connection ([`links`]).

use super::Ctx;
use crate::config::{GpuMode, Host, expand_tilde, parse_ssh_target};
use crate::model::{HostSample, Millis, Process};
use crate::parse::known_hosts;
use crate::parse::probe::{self, ProbeSample};
use crate::parse::proc::{self, Stat};
use crate::update::{SourceError, Update};
use russh::ChannelMsg;
use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A host that prints more than this per poll is cut off here.
pub const MAX_OUTPUT: usize = 8 * 1024 * 1024;
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Everything a host's task needs to connect, from its `[[hosts]]` entry.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub user: String,
    pub host: String,
    pub port: u16,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: PathBuf,
    pub accept_new_host_keys: bool,
    pub interval: Duration,
    pub timeout: Duration,
    pub sessions: Vec<String>,
    pub gpu: bool,
}

impl Target {
    pub fn from_host(h: &Host) -> Result<Self, String> {
        let ssh = h.ssh.as_ref().ok_or("not an ssh host")?;
        let (user, host, port) = parse_ssh_target(ssh.get_ref())?;
        let known_hosts = h
            .known_hosts
            .as_deref()
            .map(expand_tilde)
            .unwrap_or_else(|| expand_tilde("~/.ssh/known_hosts"));
        Ok(Target {
            name: h.display_name(),
            user,
            host,
            port,
            identity_file: h.identity_file.as_deref().map(expand_tilde),
            known_hosts,
            accept_new_host_keys: h.accept_new_host_keys,
            interval: h
                .interval
                .map_or(Duration::from_secs(5), |d| d.0.max(Duration::from_millis(250))),
            timeout: h
                .timeout
                .map_or(Duration::from_secs(4), |d| d.0.max(Duration::from_millis(100))),
            sessions: h.sessions.clone(),
            gpu: h.gpu != GpuMode::Off,
        })
    }
}

/// Checks the server's key against known_hosts; keeps its verdict for the
/// error shown when it says no.
struct Verifier {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    accept_new: bool,
    verdict: Arc<Mutex<Option<String>>>,
}

impl Verifier {
    fn refuse(&self, why: String) -> bool {
        tracing::warn!(host = %self.host, port = self.port, "{why}");
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        false
    }

    /// Trusts a key only when known_hosts has it ([`known_hosts::verdict`]);
    /// with `accept_new`, learns one only for a host that has no line at
    /// all (a key of another algorithm, a revoked key, a certificate
    /// authority all count).
    fn check(&self, key: &PublicKey) -> bool {
        use known_hosts::Verdict;
        let fp = key.fingerprint(HashAlg::Sha256);
        let text = match std::fs::read_to_string(&self.known_hosts) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return self.refuse(format!("host key not verified: {fp} (known_hosts: {e})")),
        };
        match known_hosts::verdict(&text, &self.host, self.port, key) {
            Verdict::Known => true,
            Verdict::Unknown if self.accept_new => {
                match known_hosts::learn(&self.known_hosts, &text, &self.host, self.port, key) {
                    Ok(()) => {
                        tracing::info!(host = %self.host, port = self.port, "recorded new host key {fp}");
                        true
                    }
                    Err(e) => self.refuse(format!("host key unknown: {fp} (could not record it: {e})")),
                }
            }
            Verdict::Unknown => self.refuse(format!("host key unknown: {fp}")),
            Verdict::Changed { line } => {
                self.refuse(format!("host key changed: {fp} (known_hosts line {line} has another)"))
            }
            Verdict::Revoked { line } => self.refuse(format!("host key revoked: {fp} (known_hosts line {line})")),
            Verdict::RevokedOnly { line } => self.refuse(format!(
                "host key not trusted: {fp} (known_hosts lists only revoked keys for this host, line {line}; not learned)"
            )),
            Verdict::CertAuthorityOnly { line } => self.refuse(format!(
                "host key not trusted: {fp} (known_hosts line {line} trusts a certificate authority; host certificates are not supported)"
            )),
        }
    }
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &russh::keys::PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(match key {
            russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } => self.check(key),
            russh::keys::PublicKeyOrCertificate::Certificate(_) => {
                self.refuse("host certificates are not supported: list the host key in known_hosts".into())
            }
        })
    }
}

fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "connection refused".into(),
        TimedOut => "timed out".into(),
        ConnectionReset | BrokenPipe | UnexpectedEof | ConnectionAborted => "connection lost".into(),
        HostUnreachable | NetworkUnreachable => "no route to host".into(),
        _ => crate::parse::sanitize::sanitize(&e.to_string()),
    }
}

fn ssh_words(e: &russh::Error) -> SourceError {
    match e {
        russh::Error::IO(io) => SourceError::Unreachable(io_words(io)),
        russh::Error::Disconnect | russh::Error::HUP | russh::Error::SendError => {
            SourceError::Unreachable("connection lost".into())
        }
        russh::Error::ConnectionTimeout | russh::Error::KeepaliveTimeout | russh::Error::InactivityTimeout => {
            SourceError::Unreachable("timed out".into())
        }
        other => SourceError::Other(crate::parse::sanitize::sanitize(&other.to_string())),
    }
}

type Conn = Handle<Verifier>;

/// Connects, verifies the host key, authenticates.
async fn connect(t: &Target) -> Result<Conn, SourceError> {
    let verdict = Arc::new(Mutex::new(None));
    let handler = Verifier {
        host: t.host.clone(),
        port: t.port,
        known_hosts: t.known_hosts.clone(),
        accept_new: t.accept_new_host_keys,
        verdict: verdict.clone(),
    };
    let config = Arc::new(client::Config {
        inactivity_timeout: None,
        keepalive_interval: Some(t.interval.max(Duration::from_secs(15))),
        keepalive_max: 3,
        // The read buffer grows to the largest packet and stays: 8 KiB
        // packets instead of 32 KiB save ~24 KiB per host (a probe's
        // ~20 KiB answer is then three packets instead of one).
        maximum_packet_size: 8192,
        ..Default::default()
    });
    let connected = client::connect(config, (t.host.as_str(), t.port), handler).await;
    let refused = verdict.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(why) = refused {
        return Err(SourceError::Auth(why));
    }
    let mut conn = connected.map_err(|e| ssh_words(&e))?;
    authenticate(&mut conn, t).await?;
    Ok(conn)
}

async fn authenticate(conn: &mut Conn, t: &Target) -> Result<(), SourceError> {
    let refused = || SourceError::Auth(format!("{}@{}: public key refused", t.user, t.host));
    if let Some(path) = &t.identity_file {
        let key = russh::keys::load_secret_key(path, None)
            .map_err(|e| SourceError::Auth(format!("identity_file {}: {e}", path.display())))?;
        let hash = if key.algorithm().is_rsa() {
            conn.best_supported_rsa_hash().await.ok().flatten().flatten()
        } else {
            None
        };
        let r = conn
            .authenticate_publickey(&t.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(|e| ssh_words(&e))?;
        return if r.success() { Ok(()) } else { Err(refused()) };
    }
    let mut agent = russh::keys::agent::client::AgentClient::connect_env()
        .await
        .map_err(|e| SourceError::Auth(format!("no identity_file and no ssh-agent ({e})")))?;
    let ids = agent
        .request_identities()
        .await
        .map_err(|e| SourceError::Auth(format!("ssh-agent: {e}")))?;
    if ids.is_empty() {
        return Err(SourceError::Auth("ssh-agent holds no keys".into()));
    }
    for id in ids {
        let key = id.public_key().into_owned();
        let hash = if key.algorithm().is_rsa() {
            conn.best_supported_rsa_hash().await.ok().flatten().flatten()
        } else {
            None
        };
        match conn.authenticate_publickey_with(&t.user, key, hash, &mut agent).await {
            Ok(r) if r.success() => return Ok(()),
            Ok(_) => {}
            Err(e) => tracing::debug!(host = %t.name, "agent key: {e:?}"),
        }
    }
    Err(refused())
}

/// What one exec of the probe returned.
#[derive(Debug, Default)]
pub struct Output {
    pub text: String,
    /// Bytes past [`MAX_OUTPUT`] that were not kept.
    pub cut: bool,
    pub stderr_bytes: usize,
    pub exit_status: Option<u32>,
}

/// Why [`exec`] has no output: the connection failed, or the command did
/// not end by the deadline (the host's problem, not the link's).
enum ExecError {
    Ssh(SourceError),
    NoAnswer,
}

impl From<SourceError> for ExecError {
    fn from(e: SourceError) -> Self {
        ExecError::Ssh(e)
    }
}

/// Runs `command` on a new channel of `conn`, writes `stdin` to it and
/// closes it, and keeps at most `max` bytes of what it prints.
/// A channel still open at `deadline` is closed (a hung command must not
/// hold one of the server's sessions for ever).
async fn exec(
    conn: &Conn,
    command: &str,
    stdin: &[u8],
    max: usize,
    deadline: tokio::time::Instant,
) -> Result<Output, ExecError> {
    let mut ch = conn.channel_open_session().await.map_err(|e| ssh_words(&e))?;
    ch.exec(true, command).await.map_err(|e| ssh_words(&e))?;
    if !stdin.is_empty() {
        ch.data(stdin).await.map_err(|e| ssh_words(&e))?;
    }
    ch.eof().await.map_err(|e| ssh_words(&e))?;
    let mut buf = Vec::new();
    let mut out = Output::default();
    loop {
        let msg = match tokio::time::timeout_at(deadline, ch.wait()).await {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(_) => {
                let _ = ch.close().await;
                return Err(ExecError::NoAnswer);
            }
        };
        match msg {
            ChannelMsg::Data { data } => {
                let room = max.saturating_sub(buf.len());
                buf.extend_from_slice(&data[..data.len().min(room)]);
                if data.len() > room {
                    out.cut = true;
                    let _ = ch.close().await;
                    break;
                }
            }
            ChannelMsg::ExtendedData { data, .. } => out.stderr_bytes += data.len(),
            ChannelMsg::ExitStatus { exit_status } => out.exit_status = Some(exit_status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    out.text = String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok(out)
}

/// What other sources know of a host's SSH connection: the connection while
/// it is up, else why it is not.
#[derive(Clone)]
enum Link {
    Up(Arc<Conn>, Arc<tokio::sync::Semaphore>),
    Down(String),
}

/// The SSH connections of this process by host name, shared with the checks
/// that run on a remote host (systemd, freshness, process, launchd, an
/// agent's runlog and heartbeat): they open a channel on the host's one
/// connection instead of logging in again.
#[derive(Default)]
pub struct Links(Mutex<HashMap<String, Link>>);

/// At most this many channels of other sources at once on one connection
/// (OpenSSH's MaxSessions is 10; the probe needs one).
const SHARED_CHANNELS: usize = 4;

impl Links {
    fn set(&self, host: &str, link: Link) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.to_string(), link);
    }
    fn get(&self, host: &str) -> Option<Link> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(host).cloned()
    }

    /// Runs a fixed `script` with `sh` on `host`'s connection, whatever the
    /// login shell ([`sh_stdin`]). `args` reach the script as lines on its
    /// standard input (read them with `IFS= read -r`), never as part of a
    /// command line, so no value from a config is ever parsed by a shell;
    /// `home_path` expands a `~/`. Waits up to `within` for the host's
    /// first connection; everything (queueing included) is bounded by it.
    pub async fn run(
        &self,
        host: &str,
        script: &str,
        args: &[&str],
        max: usize,
        within: Duration,
    ) -> Result<Output, String> {
        if let Some(bad) = args.iter().find(|a| a.contains(['\n', '\0'])) {
            return Err(format!(
                "{:?} has a line break: refused",
                crate::parse::sanitize::sanitize(bad)
            ));
        }
        let stdin = sh_stdin(script, args);
        let deadline = tokio::time::Instant::now() + within;
        let no_answer = || format!("ssh: no answer within {}", humantime::format_duration(within));
        let work = async {
            let (conn, gate) = loop {
                match self.get(host) {
                    Some(Link::Up(c, g)) if !c.is_closed() => break (c, g),
                    Some(Link::Down(why)) => return Err(format!("ssh: {why}")),
                    _ => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            };
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            exec(&conn, probe::EXEC, stdin.as_bytes(), max, deadline)
                .await
                .map_err(|e| match e {
                    ExecError::Ssh(e) => format!("ssh: {e}"),
                    ExecError::NoAnswer => no_answer(),
                })
        };
        match tokio::time::timeout_at(deadline + Duration::from_millis(500), work).await {
            Ok(r) => r,
            Err(_) => Err(match self.get(host) {
                None => format!("no SSH connection to {host} yet"),
                Some(_) => no_answer(),
            }),
        }
    }
}

/// Defined for every script that [`Links::run`] runs: `home_path PATH`
/// prints PATH with a leading `~/` made the remote user's home.
const HOME_PATH: &str = r#"home_path() { case $1 in "~/"*) printf '%s\n' "$HOME/${1#"~/"}";; *) printf '%s\n' "$1";; esac; }
"#;

/// What [`probe::EXEC`]'s `sh` reads to run `script` for [`Links::run`]:
/// `HOME_PATH`, then the script as a group whose standard input is
/// `args`, one a line, in a here-document. Its delimiter is quoted (nothing
/// in it is expanded) and random (no line of a value can end it); `args`
/// hold no line break. Nothing of it is seen by the login shell, which only
/// runs `exec sh` (so fish, zsh or csh do not parse the script either).
pub fn sh_stdin(script: &str, args: &[&str]) -> String {
    let end = probe::marker();
    let mut s = format!("{HOME_PATH}{{\n{script}\n}} <<'{end}'\n");
    for a in args {
        s.push_str(a);
        s.push('\n');
    }
    s.push_str(&end);
    s.push('\n');
    s
}

/// Every SSH connection of this process.
pub fn links() -> &'static Links {
    static LINKS: std::sync::OnceLock<Links> = std::sync::OnceLock::new();
    LINKS.get_or_init(Links::default)
}

/// How many processes by CPU, and how many by memory, a host keeps when its
/// whole table is not wanted.
pub const TOP_PROCESSES: usize = 32;

/// Which remote hosts keep their whole process table. All of them until
/// [`Tables::show`] is first called (headless, tests); in the TUI, where only
/// a host's drill-down shows the table, the host whose drill-down is open.
/// Every other host keeps its [`TOP_PROCESSES`] by CPU and by memory: what
/// its tile, the grid and a snapshot show (session chips are counted before,
/// over every process) — hundreds of hosts must not each hold hundreds of rows.
#[derive(Default)]
pub struct Tables {
    trim: std::sync::atomic::AtomicBool,
    open: Mutex<Option<String>>,
    changed: tokio::sync::Notify,
}

impl Tables {
    /// From now on only `open`'s table is whole.
    pub fn show(&self, open: Option<&str>) {
        let was_trimming = self.trim.swap(true, std::sync::atomic::Ordering::Relaxed);
        let mut cur = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if !was_trimming || cur.as_deref() != open {
            *cur = open.map(str::to_string);
            drop(cur);
            self.changed.notify_waiters();
        }
    }

    pub fn whole(&self, host: &str) -> bool {
        !self.trim.load(std::sync::atomic::Ordering::Relaxed)
            || self.open.lock().unwrap_or_else(|e| e.into_inner()).as_deref() == Some(host)
    }

    /// Returns when `host`'s table becomes wanted whole.
    async fn until_whole(&self, host: &str) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.whole(host) {
                return;
            }
            changed.await;
        }
    }
}

/// The process tables of every remote host of this process.
pub fn tables() -> &'static Tables {
    static TABLES: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    TABLES.get_or_init(Tables::default)
}

/// Which of the processes with these (CPU %, memory) to keep: the `n`
/// busiest by CPU and the `n` largest by memory (fewer when they overlap).
pub fn top(use_of: &[(f32, u64)], n: usize) -> Vec<bool> {
    if use_of.len() <= n {
        return vec![true; use_of.len()];
    }
    let mut keep = vec![false; use_of.len()];
    let mut order: Vec<usize> = (0..use_of.len()).collect();
    order.sort_unstable_by(|a, b| use_of[*b].0.total_cmp(&use_of[*a].0));
    order.iter().take(n).for_each(|i| keep[*i] = true);
    order.sort_unstable_by_key(|i| std::cmp::Reverse(use_of[*i].1));
    order.iter().take(n).for_each(|i| keep[*i] = true);
    keep
}

/// CPU use (overall, per core, per process) is a difference between two
/// probes: what the host's task keeps of the previous one.
#[derive(Debug, Default)]
pub struct Tracker {
    prev_stat: Option<Stat>,
    /// (pid, start ticks, cpu ticks), sorted by pid: a third of a map's
    /// memory, and hundreds of hosts keep one each.
    prev_procs: Vec<(u32, u64, u64)>,
    sessions: Vec<String>,
}

impl Tracker {
    pub fn new(sessions: Vec<String>) -> Self {
        Tracker {
            sessions,
            ..Default::default()
        }
    }

    /// A host sample from a parsed probe; a host that is not Linux (or did
    /// not say what it is) is an error, not a sample of zeros.
    /// With `whole` false only the top processes are kept ([`top`]).
    pub fn sample(
        &mut self,
        p: ProbeSample,
        errors: usize,
        at: Millis,
        whole: bool,
    ) -> Result<HostSample, SourceError> {
        if let Some(why) = &p.garbled {
            return Err(SourceError::Other(format!("garbled probe output: {why}")));
        }
        match p.system.as_str() {
            "Linux" => {}
            "" => return Err(SourceError::Other("the probe printed nothing usable".into())),
            other => return Err(SourceError::Other(format!("not Linux: {other}"))),
        }
        let Some(stat) = p.stat else {
            return Err(SourceError::Other("the probe printed no /proc/stat".into()));
        };
        let mem = p.mem.unwrap_or_default();
        let max_pct = 100.0 * stat.cores.len().max(1) as f64;
        let (cpu_pct, per_core, ticks_per_core) = match &self.prev_stat {
            Some(prev) if prev.cores.len() == stat.cores.len() => {
                let cores = stat.cores.len().max(1) as f64;
                (
                    proc::cpu_pct(&prev.total, &stat.total),
                    proc::per_core_pct(&prev.cores, &stat.cores),
                    stat.total.total().saturating_sub(prev.total.total()) as f64 / cores,
                )
            }
            _ => (0.0, vec![0.0; stat.cores.len()], 0.0),
        };
        self.prev_stat = Some(stat);
        let page = p.page_size.unwrap_or(4096);
        let live: Vec<&proc::PidStat> = p.procs.iter().filter(|s| !s.is_kernel_thread()).collect();
        let mut procs_now = Vec::with_capacity(live.len());
        // CPU and memory of every process first: which are kept depends on
        // them, and only the kept ones become rows (a name, a user).
        let use_of: Vec<(f32, u64)> = live
            .iter()
            .map(|s| {
                procs_now.push((s.pid, s.start_ticks, s.cpu_ticks));
                let before = self.prev_procs.binary_search_by_key(&s.pid, |e| e.0).ok();
                let cpu = match before.map(|i| self.prev_procs[i]) {
                    Some((_, start, ticks)) if start == s.start_ticks && ticks_per_core > 0.0 => {
                        (s.cpu_ticks.saturating_sub(ticks) as f64 * 100.0 / ticks_per_core).clamp(0.0, max_pct)
                    }
                    _ => 0.0,
                };
                (cpu as f32, s.rss_pages.saturating_mul(page))
            })
            .collect();
        procs_now.sort_unstable_by_key(|e| e.0);
        self.prev_procs = procs_now;
        // Session chips count every process.
        let sessions = self
            .sessions
            .iter()
            .map(|pat| {
                let n = live
                    .iter()
                    .filter(|s| super::local::name_matches(&s.comm, "", pat))
                    .count();
                (pat.clone(), n)
            })
            .collect();
        let keep = if whole {
            vec![true; live.len()]
        } else {
            top(&use_of, TOP_PROCESSES)
        };
        let kept = keep.iter().filter(|k| **k).count();
        let processes_of = Some(live.len()).filter(|n| *n > kept);
        let mut users: HashMap<u32, Arc<str>> = HashMap::new();
        let mut processes: Vec<Process> = Vec::with_capacity(kept);
        for ((s, (cpu, mem)), _) in live.iter().zip(use_of).zip(&keep).filter(|(_, k)| **k) {
            let user = p
                .uids
                .get(&s.pid)
                .map(|uid| {
                    users
                        .entry(*uid)
                        .or_insert_with(|| p.users.get(uid).map_or_else(|| uid.to_string(), Clone::clone).into())
                        .clone()
                })
                .unwrap_or_else(|| Arc::from(""));
            processes.push(Process {
                pid: s.pid,
                name: crate::parse::sanitize::sanitize(&s.comm),
                cmd: String::new(),
                user,
                cpu_pct: cpu,
                mem_bytes: mem,
                state: proc::state_word(s.state),
            });
        }
        processes.sort_by_key(|p| p.pid);
        let mut disks = p.disks;
        disks.sort_by(|a, b| a.mount.cmp(&b.mount));
        disks.dedup_by(|a, b| a.mount == b.mount);
        disks.retain(|d| d.total_bytes > 0 && !is_pseudo_device(&d.device));
        Ok(HostSample {
            at,
            os: p.os,
            kernel: p.kernel,
            cpu_pct,
            per_core,
            mem_used_bytes: mem.used_bytes,
            mem_total_bytes: mem.total_bytes,
            swap_used_bytes: mem.swap_used_bytes(),
            swap_total_bytes: mem.swap_total_bytes,
            disks,
            interfaces: p.interfaces,
            load: p.load,
            uptime_s: p.uptime_s,
            temps: p.temps,
            batteries: p.batteries,
            processes,
            sessions,
            gpus: p.gpus.unwrap_or_default(),
            parse_errors: errors,
            processes_of,
            ..HostSample::default()
        })
    }
}

/// `df -P` has no file system type: the device names of the usual
/// pseudo file systems stand in for it.
fn is_pseudo_device(dev: &str) -> bool {
    matches!(
        dev,
        "tmpfs"
            | "devtmpfs"
            | "overlay"
            | "squashfs"
            | "ramfs"
            | "efivarfs"
            | "proc"
            | "sysfs"
            | "udev"
            | "none"
            | "shm"
    )
}

/// Exponential backoff with jitter: `base`, 2·`base`, 4·`base` … up to
/// `MAX_BACKOFF`, each ±20 %.
#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    failures: u32,
    seed: u64,
}

impl Backoff {
    pub fn new(base: Duration, seed: u64) -> Self {
        Backoff {
            base,
            failures: 0,
            seed: seed | 1,
        }
    }
    pub fn reset(&mut self) {
        self.failures = 0;
    }
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.failures.min(16)).min(MAX_BACKOFF);
        self.failures = self.failures.saturating_add(1);
        // xorshift: jitter without a random crate.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let jitter = 0.8 + (self.seed % 1000) as f64 / 2500.0;
        exp.mul_f64(jitter)
    }
}

/// When a host's next poll is due: the first at once, the second at a
/// phase of the host's own between 1 s and one interval later (so hundreds
/// of hosts do not all poll, and all answer, in the same instant: fleettop
/// holds a few probe outputs at a time, not hundreds), then every interval
/// from there — a slow poll does not push the later ones back, and one that
/// overran skips the turns it missed.
#[derive(Debug)]
pub struct Schedule {
    interval: Duration,
    phase: Duration,
    due: Option<tokio::time::Instant>,
}

impl Schedule {
    pub fn new(interval: Duration, seed: u64) -> Self {
        let interval = interval.max(Duration::from_millis(10));
        let floor = Duration::from_secs(1);
        let phase = match interval.checked_sub(floor) {
            Some(spread) if !spread.is_zero() => floor + spread.mul_f64((seed % 1000) as f64 / 1000.0),
            _ => interval,
        };
        Schedule {
            interval,
            phase,
            due: None,
        }
    }

    /// How long to wait after a poll that answered, ending at `now`.
    pub fn after_poll(&mut self, now: tokio::time::Instant) -> Duration {
        let next = match self.due {
            None => now + self.phase,
            // Polled before its turn (a refresh): the turn stays.
            Some(due) if due > now => due,
            Some(due) => {
                let missed = (now - due).as_nanos() / self.interval.as_nanos();
                due + self.interval * (u32::try_from(missed).unwrap_or(u32::MAX - 1) + 1)
            }
        };
        self.due = Some(next);
        next - now
    }

    /// After a failure: `delay` from now, and the turns go on from there.
    pub fn retry_in(&mut self, now: tokio::time::Instant, delay: Duration) -> Duration {
        self.due = Some(now + delay);
        delay
    }
}

/// One poll: (re)connect when needed, run the probe, parse it.
async fn poll(
    conn: &mut Option<Arc<Conn>>,
    t: &Target,
    tracker: &mut Tracker,
    whole: bool,
) -> Result<HostSample, SourceError> {
    if conn.as_ref().is_some_and(|c| c.is_closed()) {
        *conn = None;
    }
    if conn.is_none() {
        let c = match tokio::time::timeout(t.timeout, connect(t)).await {
            Ok(c) => Arc::new(c?),
            Err(_) => {
                return Err(SourceError::Unreachable(format!(
                    "timed out after {}",
                    humantime::format_duration(t.timeout)
                )));
            }
        };
        links().set(
            &t.name,
            Link::Up(c.clone(), Arc::new(tokio::sync::Semaphore::new(SHARED_CHANNELS))),
        );
        *conn = Some(c);
        tracing::info!(host = %t.name, "ssh connected to {}:{}", t.host, t.port);
    }
    let c = conn.as_ref().expect("set above");
    let marker = probe::marker();
    let script = probe::stdin(&marker, t.gpu);
    let started = Instant::now();
    // A probe that hangs (df on a dead NFS mount) is the host's problem,
    // not the connection's: its channel is closed, the connection kept.
    let deadline = tokio::time::Instant::now() + t.timeout;
    let out = exec(c, probe::EXEC, script.as_bytes(), MAX_OUTPUT, deadline)
        .await
        .map_err(|e| match e {
            ExecError::NoAnswer => SourceError::Other(format!(
                "the probe gave no answer within {}",
                humantime::format_duration(t.timeout)
            )),
            ExecError::Ssh(e) => e,
        })?;
    let rtt = started.elapsed();
    if out.cut {
        tracing::warn!(host = %t.name, max = MAX_OUTPUT, "probe output cut at the bound");
    }
    let cut_words = |e: SourceError| match e {
        SourceError::Other(w) if out.cut => {
            SourceError::Other(format!("{w}: the host printed more than {} MiB, cut", MAX_OUTPUT >> 20))
        }
        e => e,
    };
    let parsed = probe::parse(&out.text, &marker);
    if parsed.errors > 0 {
        tracing::debug!(host = %t.name, errors = parsed.errors, first = ?parsed.first_error, "probe output");
    }
    let mut sample = tracker
        .sample(
            parsed.value,
            parsed.errors + usize::from(out.cut),
            crate::model::now_millis(),
            whole,
        )
        .map_err(cut_words)?;
    sample.poll_rtt_ms = Some(rtt.as_millis() as u64);
    Ok(sample)
}

/// A host's task: a probe every interval over one kept connection.
pub async fn run(host: Host, ctx: Ctx) {
    let t = match Target::from_host(&host) {
        Ok(t) => t,
        Err(e) => {
            ctx.send(Update::Host {
                name: host.display_name(),
                result: Err(SourceError::Other(e)),
            })
            .await;
            return;
        }
    };
    let seed = t.name.bytes().fold(crate::model::now_millis() as u64, |h, b| {
        h.rotate_left(5) ^ u64::from(b)
    });
    let mut backoff = Backoff::new(t.interval.min(Duration::from_secs(2)), seed);
    let mut schedule = Schedule::new(t.interval, seed);
    let mut conn: Option<Arc<Conn>> = None;
    let mut tracker = Tracker::new(t.sessions.clone());
    loop {
        // connect and the probe are each bounded by the timeout; this is the
        // backstop over both.
        let whole = tables().whole(&t.name);
        let result = match tokio::time::timeout(t.timeout * 2, poll(&mut conn, &t, &mut tracker, whole)).await {
            Ok(r) => r,
            Err(_) => Err(SourceError::Unreachable(format!(
                "timed out after {}",
                humantime::format_duration(t.timeout * 2)
            ))),
        };
        let now = tokio::time::Instant::now();
        // A sample, or a host that answered as one we cannot read: keep the
        // connection, ask again at its next turn.
        let answered = result.is_ok() || (matches!(result, Err(SourceError::Other(_))) && conn.is_some());
        let delay = match &result {
            Err(e) if !answered => {
                tracing::debug!(host = %t.name, "ssh: {e}");
                links().set(&t.name, Link::Down(e.to_string()));
                if let Some(c) = conn.take() {
                    tokio::spawn(async move {
                        let _ = c.disconnect(russh::Disconnect::ByApplication, "", "en").await;
                    });
                }
                schedule.retry_in(now, backoff.next_delay().max(t.interval))
            }
            _ => {
                backoff.reset();
                schedule.after_poll(now)
            }
        };
        let result_ok = result.is_ok();
        if !ctx
            .send(Update::Host {
                name: t.name.clone(),
                result: result.map(Box::new),
            })
            .await
        {
            return;
        }
        // A host whose drill-down was just opened is polled at once for its
        // whole table (its turn stays).
        tokio::select! {
            going = ctx.wait(delay) => if !going { return },
            _ = tables().until_whole(&t.name), if result_ok && !whole => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), 42);
        let d: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(d[0] >= Duration::from_millis(800) && d[0] <= Duration::from_millis(1200));
        assert!(d[3] >= Duration::from_millis(6400) && d[3] <= Duration::from_millis(9600));
        assert!(d.iter().all(|x| *x <= MAX_BACKOFF.mul_f64(1.2)));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(1200));
    }

    #[test]
    fn polls_are_spread_over_the_interval_and_keep_their_turn() {
        let five = Duration::from_secs(5);
        let t0 = tokio::time::Instant::now();
        let phases: Vec<Duration> = (0..200u64)
            .map(|seed| Schedule::new(five, seed.wrapping_mul(2654435761)).after_poll(t0))
            .collect();
        assert!(phases.iter().all(|p| *p >= Duration::from_secs(1) && *p < five));
        let early = phases.iter().filter(|p| **p < Duration::from_secs(3)).count();
        assert!(
            (60..140).contains(&early),
            "spread, not bunched: {early} of 200 in the first half"
        );

        let mut s = Schedule::new(five, 7);
        let first = s.after_poll(t0);
        let due = t0 + first;
        // A poll that took 300 ms: the next turn is still one interval on.
        assert_eq!(
            s.after_poll(due + Duration::from_millis(300)),
            five - Duration::from_millis(300)
        );
        // A refresh before the turn: the turn stays.
        let turn = due + five;
        assert_eq!(s.after_poll(turn - Duration::from_secs(2)), Duration::from_secs(2));
        // A poll that overran two turns: the missed ones are skipped.
        assert_eq!(s.after_poll(turn + Duration::from_secs(11)), Duration::from_secs(4));
        // A failure: retried after the backoff, turns from there.
        let now = turn + Duration::from_secs(20);
        assert_eq!(s.retry_in(now, Duration::from_secs(8)), Duration::from_secs(8));
        assert_eq!(s.after_poll(now + Duration::from_secs(9)), Duration::from_secs(4));
        // Shorter than a second: every interval.
        assert_eq!(
            Schedule::new(Duration::from_millis(500), 3).after_poll(t0),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn top_keeps_the_busiest_and_the_largest() {
        let use_of = [(0.0, 10), (90.0, 1), (5.0, 500), (50.0, 2), (0.0, 400), (1.0, 3)];
        let keep = top(&use_of, 2);
        let kept: Vec<usize> = (0..use_of.len()).filter(|i| keep[*i]).collect();
        assert_eq!(kept, [1, 2, 3, 4], "two by CPU (1, 3), two by memory (2, 4)");
        assert_eq!(top(&use_of[..2], 2), [true, true]);
    }

    #[test]
    fn scripts_read_their_values_literally_from_sh() {
        use std::io::Write;
        let values = ["}", "EOF", "'EOF'", "$(echo no)", "`echo no`", "a\\b \"c\"", "", "~/x"];
        let script = "while IFS= read -r v; do printf '[%s]' \"$v\"; done; echo; home_path '~/y'";
        let mut sh = std::process::Command::new("sh")
            .env("HOME", "/h")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let input = sh_stdin(script, &values);
        sh.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = sh.wait_with_output().unwrap();
        let want: String = values.iter().map(|v| format!("[{v}]")).collect();
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{want}\n/h/y\n"));
        assert_ne!(sh_stdin("", &[]), sh_stdin("", &[]), "a fresh delimiter each time");
    }

    #[test]
    fn not_linux_is_said_plainly() {
        let p = probe::parse("@@fleettop uname\nDarwin\n23.1.0\n@@fleettop end\n", "@@fleettop");
        let e = Tracker::new(vec![]).sample(p.value, 0, 0, true).unwrap_err();
        assert_eq!(e, SourceError::Other("not Linux: Darwin".into()));
    }
}
