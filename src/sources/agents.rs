//! Agents' signals: runlog files followed like `tail -F` (appends,
//! rotation, truncation, a partial last line), heartbeat files, log
//! freshness and systemd units (state, timer, the journal of each run).
//! A daemon on the local host is read here; one whose `host` is an SSH
//! host is read over that host's one connection by
//! [`super::agents_remote`], with the same line splitter and the same
//! updates. (Run events from NATS come through the NATS connection.)

use super::Ctx;
use crate::config::{Config, Daemon, expand_tilde};
use crate::model::Millis;
use crate::parse::systemctl::{SHOW_PROPERTIES, UnitShow, parse_show};
use crate::store::Update;
use crate::store::agents::AgentUpdate;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

/// A line longer than this is not an event: dropped and counted.
pub const MAX_LINE: usize = 8 << 20;
/// At start, only this much of the end of a runlog is read.
pub const MAX_BACKLOG: u64 = 4 << 20;
/// Live run events per second and NATS subject (bursts of ten times that);
/// the rest are dropped and counted.
pub const EVENTS_PER_S_PER_SUBJECT: f64 = 5.0;
/// At most this much is read per poll, so one busy file cannot stall others.
const MAX_READ: usize = 8 << 20;

/// Cuts bytes into lines, for the local [`Follower`] and the runlog
/// followed over SSH alike: a partial last line waits for its end, a line
/// over [`MAX_LINE`] is dropped and counted, blank lines are passed over,
/// and after starting mid-file the first (cut) line is not an event.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
    /// The partial line grew past `MAX_LINE`: discard up to its newline.
    overflow: bool,
    /// After starting mid-file, the first (cut) line is not an event.
    skip_first_line: bool,
    pub dropped_lines: u64,
}

impl LineSplitter {
    /// A new file, or the same one truncated: forget the partial line;
    /// `mid_file` when reading starts past the file's beginning.
    pub fn restart(&mut self, mid_file: bool) {
        self.partial.clear();
        self.overflow = false;
        self.skip_first_line = mid_file;
    }

    /// The complete lines of `buf` (with what was held of the last one).
    pub fn feed(&mut self, buf: &[u8], out: &mut Vec<Line>) {
        for chunk in buf.split_inclusive(|b| *b == b'\n') {
            let complete = chunk.last() == Some(&b'\n');
            let body = if complete { &chunk[..chunk.len() - 1] } else { chunk };
            if !self.overflow && self.partial.len() + body.len() > MAX_LINE {
                self.overflow = true;
                self.partial = Vec::new();
            }
            if !self.overflow {
                self.partial.extend_from_slice(body);
            }
            if !complete {
                continue;
            }
            let line = std::mem::take(&mut self.partial);
            let overflowed = std::mem::take(&mut self.overflow);
            if std::mem::take(&mut self.skip_first_line) {
                continue;
            }
            if overflowed {
                self.dropped_lines += 1;
                out.push(Line::TooLong);
            } else if !line.iter().all(u8::is_ascii_whitespace) {
                out.push(Line::Text(String::from_utf8_lossy(&line).into_owned()));
            }
        }
    }
}

/// Follows a file by name across rotation and truncation.
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    ino: u64,
    offset: u64,
    /// True until the first open: then only the backlog is read.
    first: bool,
    pub lines: LineSplitter,
}

#[derive(Debug)]
pub enum Line {
    Text(String),
    TooLong,
}

impl Follower {
    pub fn new(path: PathBuf) -> Self {
        Follower {
            path,
            file: None,
            ino: 0,
            offset: 0,
            first: true,
            lines: LineSplitter::default(),
        }
    }

    /// The complete lines that appeared since the last poll.
    pub fn poll(&mut self) -> std::io::Result<Vec<Line>> {
        let mut out = Vec::new();
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) => {
                // Gone (mid-rotation, or not yet created): drain what we hold.
                if self.file.is_some() {
                    self.read_to_end(&mut out)?;
                    self.file = None;
                }
                return if out.is_empty() { Err(e) } else { Ok(out) };
            }
        };
        if self.file.is_some() && meta.ino() != self.ino {
            // Rotated: finish the old file, then start the new one from 0.
            self.read_to_end(&mut out)?;
            self.file = None;
        }
        if self.file.is_none() {
            let f = File::open(&self.path)?;
            self.ino = meta.ino();
            self.offset = if self.first {
                meta.len().saturating_sub(MAX_BACKLOG)
            } else {
                0
            };
            // Starting mid-file: the first line is cut, skip it.
            self.lines.restart(self.offset > 0);
            self.first = false;
            self.file = Some(f);
        } else if meta.len() < self.offset {
            // Truncated: start over.
            self.offset = 0;
            self.lines.restart(false);
        }
        self.read_to_end(&mut out)?;
        Ok(out)
    }

    fn read_to_end(&mut self, out: &mut Vec<Line>) -> std::io::Result<()> {
        let Some(f) = self.file.as_mut() else { return Ok(()) };
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        let n = f.take(MAX_READ as u64).read_to_end(&mut buf)?;
        self.offset += n as u64;
        self.lines.feed(&buf, out);
        Ok(())
    }
}

fn mtime_millis(m: &std::fs::Metadata) -> Option<Millis> {
    let t = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(t.as_millis()).ok()
}

/// A heartbeat file's time: an RFC 3339 (or Unix seconds) field of a JSON
/// object (dots walk into nested objects), or the file's mtime.
pub fn read_heartbeat(path: &std::path::Path, field: Option<&str>) -> Result<Millis, String> {
    let what = |e: std::io::Error| format!("heartbeat {}: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(what)?;
    let Some(field) = field else {
        return mtime_millis(&meta).ok_or_else(|| "heartbeat: no mtime".to_string());
    };
    if meta.len() > 1 << 20 {
        return Err(format!("heartbeat {}: larger than 1 MiB", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(what)?;
    heartbeat_field(&text, field).map_err(|e| format!("heartbeat {}: {e}", path.display()))
}

/// Pure: the time in `field` of a JSON document.
pub fn heartbeat_field(text: &str, field: &str) -> Result<Millis, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut cur = &v;
    for part in field.split('.') {
        cur = cur.get(part).ok_or_else(|| format!("no field {field:?}"))?;
    }
    match cur {
        serde_json::Value::String(s) => {
            crate::parse::agent::parse_rfc3339(s).ok_or_else(|| format!("{field} is not an RFC 3339 time"))
        }
        serde_json::Value::Number(n) => Ok(crate::parse::agent::unix_number(n.as_f64().unwrap_or(0.0))),
        _ => Err(format!("{field} is not a time")),
    }
}

/// Starts the followers and pollers for every configured daemon.
pub fn spawn(config: &Config, ctx: &Ctx) {
    for d in &config.agents.daemon {
        if !local(d, config) {
            if let Some(host) = ssh_host(d, config) {
                super::agents_remote::spawn(d, host, ctx);
            } else {
                tracing::warn!(agent = %d.name, "host is neither local nor an SSH host: its files are not read");
            }
            continue;
        }
        if let Some(p) = &d.runlog {
            super::supervise(
                ctx,
                super::Rows::Agent(d.name.clone()),
                (d.name.clone(), expand_tilde(p)),
                |(a, p), ctx| follow_runlog(a, p, ctx),
            );
        }
        if d.heartbeat_file.is_some() || d.log_path.is_some() {
            super::supervise(ctx, super::Rows::Agent(d.name.clone()), d.clone(), watch_files);
        }
        if let Some(unit) = &d.systemd_unit {
            super::supervise(
                ctx,
                super::Rows::Agent(d.name.clone()),
                (d.name.clone(), unit.clone()),
                |(a, u), ctx| watch_unit(a, u, ctx),
            );
        }
    }
    if let Some(n) = &config.agents.nats
        && !config.agents.subjects.is_empty()
    {
        let args = (
            n.get_ref().clone(),
            config.agents.subjects.clone(),
            config.agents.replay.0,
        );
        super::supervise(
            ctx,
            super::Rows::Event(format!("agents on {}", n.get_ref())),
            args,
            |(n, s, r), ctx| follow_nats(n, s, r, ctx),
        );
    }
}

fn local(d: &Daemon, config: &Config) -> bool {
    match &d.host {
        None => true,
        Some(h) => config.hosts.iter().any(|x| x.local && x.display_name() == *h.get_ref()),
    }
}

/// The daemon's host when that is a `[[hosts]]` entry reached over SSH.
fn ssh_host<'a>(d: &'a Daemon, config: &Config) -> Option<&'a str> {
    let h = d.host.as_ref()?;
    config
        .hosts
        .iter()
        .find(|x| x.ssh.is_some() && x.display_name() == *h.get_ref())
        .map(|_| h.get_ref().as_str())
}

/// One event's text, from a runlog line or a NATS message, as an update.
pub fn event_update(text: &str, source: &str, history: bool) -> AgentUpdate {
    match crate::parse::agent::parse(text) {
        Ok(crate::parse::agent::Parsed::Run(event)) => AgentUpdate::Event {
            event,
            source: source.to_string(),
            history,
        },
        Ok(crate::parse::agent::Parsed::Notice(n)) => AgentUpdate::Notice(n),
        Err(error) => AgentUpdate::BadEvent {
            source: source.to_string(),
            error,
        },
    }
}

/// A runlog's lines as updates; false once the app is gone.
pub(super) async fn send_lines(ctx: &Ctx, source: &str, lines: Vec<Line>, history: bool) -> bool {
    for line in lines {
        let u = match line {
            Line::TooLong => AgentUpdate::BadEvent {
                source: source.to_string(),
                error: format!("a line over {MAX_LINE} bytes"),
            },
            Line::Text(t) => event_update(&t, source, history),
        };
        if !ctx.send(Update::Agents(u)).await {
            return false;
        }
    }
    true
}

/// Logs a runlog's error once, not once a poll.
pub(super) fn warn_once(agent: &str, last_error: &mut Option<String>, msg: String) {
    if last_error.as_ref() != Some(&msg) {
        tracing::warn!(agent = %agent, "{msg}");
        *last_error = Some(msg);
    }
}

async fn follow_runlog(agent: String, path: PathBuf, ctx: Ctx) {
    let mut f = Follower::new(path.clone());
    let mut last_error: Option<String> = None;
    let source = format!("runlog {}", path.display());
    // What the file holds at start is history: it counts, it is not news.
    let mut backlog = true;
    loop {
        match f.poll() {
            Ok(lines) => {
                last_error = None;
                if !send_lines(&ctx, &source, lines, backlog).await {
                    return;
                }
                backlog = false;
            }
            Err(e) => {
                warn_once(&agent, &mut last_error, format!("{source}: {e}"));
                // A runlog that does not exist yet has no backlog.
                backlog = false;
            }
        }
        if !ctx.wait(Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Run events from NATS: where a JetStream stream holds a subject, an
/// ephemeral ordered consumer from `agents.replay` ago (history first, then
/// live, no gap, no durable consumer on someone else's stream); else a plain
/// subscription.
async fn follow_nats(nats: String, subjects: Vec<String>, replay: Duration, ctx: Ctx) {
    let client = loop {
        if let Some(c) = ctx.handles.nats.client(&nats, Duration::from_secs(5)).await {
            break c;
        }
        if ctx.tx.is_closed() {
            return;
        }
    };
    let js = async_nats::jetstream::new(client.clone());
    for subject in subjects {
        let stream = match tokio::time::timeout(Duration::from_secs(10), js.stream_by_subject(subject.clone())).await {
            Ok(Ok(name)) => Some(name),
            Ok(Err(e)) => {
                tracing::info!(subject = %subject, "no stream holds it ({e}): live events only");
                None
            }
            Err(_) => None,
        };
        match stream {
            Some(stream) => {
                let rows = super::Rows::Event(format!("agents on {subject}"));
                super::supervise(
                    &ctx,
                    rows,
                    (js.clone(), stream, subject, replay),
                    |(j, st, su, r), ctx| replay_stream(j, st, su, r, ctx),
                );
            }
            None => {
                // No history to wait for.
                if !ctx.send(Update::Agents(AgentUpdate::Replayed)).await {
                    return;
                }
                let rows = super::Rows::Event(format!("agents on {subject}"));
                super::supervise(&ctx, rows, (client.clone(), subject), |(c, s), ctx| {
                    subscribe_live(c, s, ctx)
                });
            }
        }
    }
}

async fn replay_stream(
    js: async_nats::jetstream::Context,
    stream: String,
    subject: String,
    replay: Duration,
    ctx: Ctx,
) {
    use async_nats::jetstream::consumer::{DeliverPolicy, pull::OrderedConfig};
    use futures_util::StreamExt;
    let source = format!("nats {subject} (stream {stream})");
    let start = crate::model::now_millis() - i64::try_from(replay.as_millis()).unwrap_or(0);
    let Ok(start_time) = async_nats::datetime::parse_rfc3339(&crate::model::rfc3339(start.max(0))) else {
        return;
    };
    // Said once: the history is in (or will not come).
    let mut replayed = false;
    let mut budget = Budget::default();
    let replayed_now = |replayed: &mut bool| {
        let first = !std::mem::replace(replayed, true);
        let ctx = ctx.clone();
        async move { !first || ctx.send(Update::Agents(AgentUpdate::Replayed)).await }
    };
    loop {
        let consumer = async {
            let s = js.get_stream(&stream).await.map_err(|e| e.to_string())?;
            let c = s
                .create_consumer(OrderedConfig {
                    // How the NATS tab knows it is fleettop's, not the user's.
                    description: Some(crate::store::nats::OWN_CONSUMER.into()),
                    filter_subject: subject.clone(),
                    deliver_policy: DeliverPolicy::ByStartTime { start_time },
                    ..Default::default()
                })
                .await
                .map_err(|e| e.to_string())?;
            let pending = c.cached_info().num_pending;
            c.messages().await.map(|m| (m, pending)).map_err(|e| e.to_string())
        };
        match consumer.await {
            Ok((mut messages, pending)) => {
                tracing::info!(%source, pending, "replaying and following");
                if pending == 0 && !replayed_now(&mut replayed).await {
                    return;
                }
                while let Some(m) = messages.next().await {
                    let Ok(m) = m else { break };
                    // Everything the stream held when we came is history.
                    let left = m.info().map_or(0, |i| i.pending);
                    // History is bounded by the stream; what is live, by a budget.
                    if left == 0 && !budget.allow(&m.subject, &ctx).await {
                        continue;
                    }
                    let text = String::from_utf8_lossy(&m.payload[..m.payload.len().min(MAX_LINE)]).into_owned();
                    if !ctx.send(Update::Agents(event_update(&text, &source, left > 0))).await {
                        return;
                    }
                    if left == 0 && !replayed_now(&mut replayed).await {
                        return;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(%source, "ordered consumer: {e}");
                if !replayed_now(&mut replayed).await {
                    return;
                }
            }
        }
        if !ctx.wait(Duration::from_secs(5)).await {
            return;
        }
    }
}

async fn subscribe_live(client: async_nats::Client, subject: String, ctx: Ctx) {
    use futures_util::StreamExt;
    let source = format!("nats {subject}");
    let mut budget = Budget::default();
    loop {
        match client.subscribe(subject.clone()).await {
            Ok(mut sub) => {
                while let Some(m) = sub.next().await {
                    if !budget.allow(&m.subject, &ctx).await {
                        continue;
                    }
                    let text = String::from_utf8_lossy(&m.payload[..m.payload.len().min(MAX_LINE)]).into_owned();
                    if !ctx.send(Update::Agents(event_update(&text, &source, false))).await {
                        return;
                    }
                }
            }
            Err(e) => tracing::warn!(%source, "subscribe: {e}"),
        }
        if !ctx.wait(Duration::from_secs(5)).await {
            return;
        }
    }
}

/// The rate budget of one agent subscription: what it drops is told to
/// the store at most once a second.
struct Budget {
    subjects: super::budget::SubjectBudget,
    told: u64,
    told_at: std::time::Instant,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            subjects: super::budget::SubjectBudget::new(EVENTS_PER_S_PER_SUBJECT, 10.0 * EVENTS_PER_S_PER_SUBJECT),
            told: 0,
            told_at: std::time::Instant::now(),
        }
    }
}

impl Budget {
    async fn allow(&mut self, subject: &str, ctx: &Ctx) -> bool {
        let now = std::time::Instant::now();
        let ok = self.subjects.allow(subject, now);
        let new = self.subjects.dropped - self.told;
        if new > 0 && (ok || now.duration_since(self.told_at) >= Duration::from_secs(1)) {
            self.told = self.subjects.dropped;
            self.told_at = now;
            ctx.send(Update::Agents(AgentUpdate::Throttled(new))).await;
        }
        ok
    }
}

/// How often a daemon's heartbeat file and log are looked at.
pub(super) fn files_every(d: &Daemon) -> Duration {
    d.heartbeat_max_age
        .or(d.log_max_age)
        .map_or(Duration::from_secs(10), |m| {
            (m.0 / 20).clamp(Duration::from_secs(1), Duration::from_secs(30))
        })
}

async fn watch_files(d: Daemon, ctx: Ctx) {
    let every = files_every(&d);
    loop {
        if let Some(p) = &d.heartbeat_file {
            let at = read_heartbeat(&expand_tilde(p), d.heartbeat_field.as_deref());
            if !ctx
                .send(Update::Agents(AgentUpdate::Heartbeat {
                    agent: d.name.clone(),
                    at,
                }))
                .await
            {
                return;
            }
        }
        if let Some(p) = &d.log_path {
            let path = expand_tilde(p);
            let at = std::fs::metadata(&path)
                .map_err(|e| format!("log {}: {e}", path.display()))
                .and_then(|m| mtime_millis(&m).ok_or_else(|| "log: no mtime".to_string()));
            if !ctx
                .send(Update::Agents(AgentUpdate::LogModified {
                    agent: d.name.clone(),
                    at,
                }))
                .await
            {
                return;
            }
        }
        if !ctx.wait(every).await {
            return;
        }
    }
}

/// Runs a fixed program with arguments (no shell), bounded in time and size.
async fn run_program(program: &str, args: &[&str]) -> Result<String, String> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).kill_on_drop(true).stdin(std::process::Stdio::null());
    let out = match tokio::time::timeout(Duration::from_secs(5), cmd.output()).await {
        Err(_) => return Err(format!("{program} did not answer within 5s")),
        Ok(Err(e)) => return Err(format!("{program}: {e}")),
        Ok(Ok(o)) => o,
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{program}: {}",
            crate::parse::sanitize::sanitize(err.lines().next().unwrap_or("failed"))
        ));
    }
    let body = &out.stdout[..out.stdout.len().min(crate::store::agents::MAX_OUTPUT)];
    Ok(String::from_utf8_lossy(body).into_owned())
}

/// The timer that starts a service, by systemd's naming convention.
pub fn timer_of(unit: &str) -> Option<String> {
    unit.strip_suffix(".service").map(|base| format!("{base}.timer"))
}

/// A unit as `systemctl show` printed it, or why not.
pub(super) fn unit_shown(unit: &str, shown: Result<String, String>) -> Result<Box<UnitShow>, String> {
    let u = Box::new(parse_show(&shown?));
    if u.load_state == "not-found" {
        Err(format!("unit {unit} not found"))
    } else {
        Ok(u)
    }
}

/// A timer as `systemctl show` printed it, when there is one.
pub(super) fn timer_shown(shown: &str) -> Option<Box<UnitShow>> {
    Some(Box::new(parse_show(shown))).filter(|t| t.load_state != "not-found" && !t.load_state.is_empty())
}

/// A daemon's systemd unit: state, result, exit code, its timer's next run,
/// and the journal of each run, when it has ended, as that run's output.
async fn watch_unit(agent: String, unit: String, ctx: Ctx) {
    let mut last_invocation = String::new();
    loop {
        let show = unit_shown(
            &unit,
            run_program("systemctl", &["show", &unit, "--timestamp=unix", "-p", SHOW_PROPERTIES]).await,
        );
        let timer = match timer_of(&unit) {
            Some(t) => run_program("systemctl", &["show", &t, "--timestamp=unix", "-p", SHOW_PROPERTIES])
                .await
                .ok()
                .and_then(|t| timer_shown(&t)),
            None => None,
        };
        let mut journal = None;
        // An invocation's journal once, when it has ended: a run seen in
        // progress gets its whole output, not what it had said so far.
        if let Ok(u) = &show
            && !u.invocation.is_empty()
            && u.exited_at.is_some()
            && u.invocation != last_invocation
        {
            last_invocation = u.invocation.clone();
            let id = format!("_SYSTEMD_INVOCATION_ID={}", u.invocation);
            journal = run_program(
                "journalctl",
                &["-u", &unit, &id, "-n", "200", "-o", "cat", "--no-pager"],
            )
            .await
            .ok();
        }
        let u = crate::store::agents::AgentUpdate::Unit {
            agent: agent.clone(),
            unit: show,
            timer,
            journal,
        };
        if !ctx.send(Update::Agents(u)).await || !ctx.wait(Duration::from_secs(10)).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn texts(lines: Vec<Line>) -> Vec<String> {
        lines
            .into_iter()
            .map(|l| match l {
                Line::Text(t) => t,
                Line::TooLong => "<too long>".into(),
            })
            .collect()
    }

    #[test]
    fn follows_appends_partial_lines_truncation_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.jsonl");
        std::fs::write(&path, "a\nb\npart").unwrap();
        let mut f = Follower::new(path.clone());
        assert_eq!(texts(f.poll().unwrap()), ["a", "b"]);
        let mut w = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        w.write_all(b"ial\nc\n").unwrap();
        assert_eq!(texts(f.poll().unwrap()), ["partial", "c"]);
        assert!(f.poll().unwrap().is_empty());
        // Truncated in place (copytruncate): start over.
        std::fs::write(&path, "d\n").unwrap();
        assert_eq!(texts(f.poll().unwrap()), ["d"]);
        // Rotated: what was appended to the old file is still read, then the new one.
        w.write_all(b"").unwrap();
        let mut old = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        std::fs::rename(&path, dir.path().join("runs.jsonl.1")).unwrap();
        old.write_all(b"e\n").unwrap();
        std::fs::write(&path, "f\n").unwrap();
        assert_eq!(texts(f.poll().unwrap()), ["e", "f"]);
    }

    #[test]
    fn a_missing_file_is_an_error_until_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.jsonl");
        let mut f = Follower::new(path.clone());
        assert!(f.poll().is_err());
        std::fs::write(&path, "x\n").unwrap();
        assert_eq!(
            texts(f.poll().unwrap()),
            ["x"],
            "a file created after the start is read from its beginning"
        );
    }

    #[test]
    fn a_huge_backlog_is_read_from_its_tail_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl");
        let line = format!("{}\n", "y".repeat(1023));
        let mut text = line.repeat((MAX_BACKLOG as usize / 1024) * 2);
        text.push_str("last\n");
        std::fs::write(&path, &text).unwrap();
        let lines = texts(Follower::new(path).poll().unwrap());
        assert_eq!(lines.last().unwrap(), "last");
        assert!(lines.len() <= MAX_BACKLOG as usize / 1024 + 1, "{}", lines.len());
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 1023), "no cut line");
    }

    #[test]
    fn an_overlong_line_is_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.jsonl");
        std::fs::write(&path, "").unwrap();
        let mut f = Follower::new(path.clone());
        assert!(f.poll().unwrap().is_empty());
        let mut text = "z".repeat(MAX_LINE + 10);
        text.push_str("\nok\n");
        std::fs::write(&path, &text).unwrap();
        let mut all = Vec::new();
        for _ in 0..3 {
            all.extend(texts(f.poll().unwrap()));
        }
        assert_eq!(all, ["<too long>", "ok"]);
        assert_eq!(f.lines.dropped_lines, 1);
    }

    #[test]
    fn heartbeat_fields() {
        assert_eq!(
            heartbeat_field(r#"{"last_heartbeat": "1970-01-01T00:01:00Z"}"#, "last_heartbeat"),
            Ok(60_000)
        );
        assert_eq!(
            heartbeat_field(r#"{"state": {"timestamp": 120}}"#, "state.timestamp"),
            Ok(120_000)
        );
        assert!(heartbeat_field(r#"{"timestamp": "soon"}"#, "timestamp").is_err());
        assert!(heartbeat_field("not json", "timestamp").is_err());
        assert!(
            heartbeat_field(r#"{"other": 1}"#, "timestamp")
                .unwrap_err()
                .contains("no field")
        );
    }
}
