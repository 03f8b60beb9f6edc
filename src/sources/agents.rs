//! Agents' signals: runlog files followed like `tail -F` (appends,
//! rotation, truncation, a partial last line), heartbeat files, log
//! freshness and systemd units (state, timer, the journal of each run).
//! Each check is written once against [`super::reach::Reach`]: a daemon
//! on this machine or on an SSH host gives the same updates, through the
//! same line splitter. (Run events from NATS come through the NATS
//! connection.)

use super::Ctx;
use super::reach::{Reach, ssh::Remote};
use crate::config::{Config, Daemon};
use crate::model::Millis;
use crate::parse::systemctl::{UnitShow, parse_show};
use crate::update::Update;
use crate::update::agents::AgentUpdate;
use std::time::Duration;

/// A line longer than this is not an event: dropped and counted.
pub const MAX_LINE: usize = 8 << 20;
/// At start, only this much of the end of a runlog is read.
pub const MAX_BACKLOG: u64 = 4 << 20;
/// Live run events per second and NATS subject (bursts of ten times that);
/// the rest are dropped and counted.
pub const EVENTS_PER_S_PER_SUBJECT: f64 = 5.0;

/// Cuts bytes into lines, for the local follower and the runlog
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
    pub(crate) fn feed(&mut self, buf: &[u8], out: &mut Vec<Line>) {
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

#[derive(Debug)]
pub enum Line {
    Text(String),
    TooLong,
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
        let Some(reach) = reach(d, config, ctx) else {
            tracing::warn!(agent = %d.name, "host is neither local nor an SSH host: its files are not read");
            continue;
        };
        let rows = || super::Rows::Agent(d.name.clone());
        if let Some(p) = &d.runlog {
            let args = (d.name.clone(), reach.clone(), p.clone());
            super::supervise(ctx, rows(), args, |(a, r, p), ctx| follow_runlog(a, r, p, ctx));
        }
        if d.heartbeat_file.is_some() || d.log_path.is_some() {
            super::supervise(ctx, rows(), (d.clone(), reach.clone()), |(d, r), ctx| {
                watch_files(d, r, ctx)
            });
        }
        if let Some(unit) = &d.systemd_unit {
            let args = (d.name.clone(), reach.clone(), unit.clone());
            super::supervise(ctx, rows(), args, |(a, r, u), ctx| watch_unit(a, r, u, ctx));
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

/// Where a daemon's files and unit are read: here (no host, or a local
/// one), over SSH (a `[[hosts]]` entry with `ssh`), or nowhere.
fn reach(d: &Daemon, config: &Config, ctx: &Ctx) -> Option<Reach> {
    let Some(h) = &d.host else { return Some(Reach::Local) };
    let host =
        |f: fn(&crate::config::Host) -> bool| config.hosts.iter().any(|x| f(x) && x.display_name() == *h.get_ref());
    if host(|x| x.local) {
        Some(Reach::Local)
    } else if host(|x| x.ssh.is_some()) {
        Some(Reach::Ssh(Remote::new(h.get_ref().as_str(), &ctx.handles.ssh)))
    } else {
        None
    }
}

/// One event's text, from a runlog line or a NATS message, as an update.
pub(crate) fn event_update(text: &str, source: &str, history: bool) -> AgentUpdate {
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

/// A runlog's events, here or on a host: what it holds at start is
/// history (it counts, it is not news), then each complete new line.
async fn follow_runlog(agent: String, reach: Reach, path: String, ctx: Ctx) {
    let source = format!("runlog {}", reach.place(&path));
    let mut log = reach.runlog(&path);
    let mut last_error: Option<String> = None;
    loop {
        match log.poll().await {
            Ok((lines, history)) => {
                last_error = None;
                if !send_lines(&ctx, &source, lines, history).await {
                    return;
                }
            }
            Err(e) => warn_once(&agent, &mut last_error, format!("{source}: {e}")),
        }
        if !ctx.wait(Duration::from_secs(1)).await {
            return;
        }
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

/// A daemon's heartbeat file and log freshness, here or on a host.
async fn watch_files(d: Daemon, reach: Reach, ctx: Ctx) {
    let every = files_every(&d);
    loop {
        let (hb, log) = reach
            .file_times(
                d.heartbeat_file.as_deref(),
                d.heartbeat_field.as_deref(),
                d.log_path.as_deref(),
            )
            .await;
        let hb = hb.map(|at| AgentUpdate::Heartbeat {
            agent: d.name.clone(),
            at,
        });
        let log = log.map(|at| AgentUpdate::LogModified {
            agent: d.name.clone(),
            at,
        });
        for u in hb.into_iter().chain(log) {
            if !ctx.send(Update::Agents(u)).await {
                return;
            }
        }
        if !ctx.wait(every).await {
            return;
        }
    }
}

/// A daemon's systemd unit: state, result, exit code, its timer's next run,
/// and the journal of each run, when it has ended, as that run's output.
async fn watch_unit(agent: String, reach: Reach, unit: String, ctx: Ctx) {
    let mut last_invocation = String::new();
    loop {
        let u = reach.unit(&agent, &unit, &mut last_invocation).await;
        if !ctx.send(Update::Agents(u)).await || !ctx.wait(Duration::from_secs(10)).await {
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
                    description: Some(crate::update::nats::OWN_CONSUMER.into()),
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

/// The timer that starts a service, by systemd's naming convention.
pub(crate) fn timer_of(unit: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
