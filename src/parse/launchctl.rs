//! launchd (macOS): `launchctl list` (`PID\tStatus\tLabel` lines; PID is
//! `-` when the job is not running, Status the last exit status, negative
//! when a signal killed it: `-9` = SIGKILL), what a job's plist says
//! ([`Spec`], its schedule in words), and the audit's view of a job
//! ([`Audit`], its cohort [`State`]).

use super::Parsed;
use super::plist::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub pid: Option<u32>,
    pub status: i64,
    pub label: String,
}

/// Parses the whole output; lines that are not `pid status label` are
/// counted as errors. Labels are sanitised; odd ones are kept as they are.
pub fn parse(text: &str) -> Parsed<Vec<Job>> {
    let mut out: Parsed<Vec<Job>> = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || (i == 0 && line.starts_with("PID")) {
            continue;
        }
        let mut it = line.splitn(3, '\t');
        let (Some(pid), Some(status), Some(label)) = (it.next(), it.next(), it.next()) else {
            out.note_error(|| format!("line {}: not three tab-separated fields", i + 1));
            continue;
        };
        let pid = match pid.trim() {
            "-" => None,
            p => match p.parse::<u32>() {
                // PID 0 is not a process a job could be.
                Ok(0) => None,
                Ok(p) => Some(p),
                Err(_) => {
                    out.note_error(|| format!("line {}: PID is not a number", i + 1));
                    continue;
                }
            },
        };
        let status = match status.trim() {
            "-" => 0,
            s => match s.parse::<i64>() {
                Ok(s) => s,
                Err(_) => {
                    out.note_error(|| format!("line {}: status is not a number", i + 1));
                    continue;
                }
            },
        };
        let label = super::sanitize::sanitize(label.trim());
        if label.is_empty() {
            out.note_error(|| format!("line {}: empty label", i + 1));
            continue;
        }
        out.value.push(Job { pid, status, label });
    }
    out
}

/// A job's KeepAlive policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KeepAlive {
    #[default]
    No,
    /// `true`: launchd restarts it whenever it ends.
    Always,
    /// A dict (SuccessfulExit, Crashed, PathState …), in words.
    Conditional(String),
}

impl KeepAlive {
    pub fn words(&self) -> String {
        match self {
            KeepAlive::No => "no".into(),
            KeepAlive::Always => "always".into(),
            KeepAlive::Conditional(w) => format!("when {w}"),
        }
    }
}

/// Arguments of a program kept from a plist.
const MAX_ARGS: usize = 32;
/// Plist fields kept for the drill-down.
const MAX_FIELDS: usize = 40;

/// What a job's plist says, as far as the audit needs it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spec {
    pub label: String,
    /// Where it was found: the file, and the configured directory.
    pub plist: String,
    pub dir: String,
    /// `Program` then `ProgramArguments` (or `ProgramArguments` alone).
    pub program: Vec<String>,
    pub keep_alive: KeepAlive,
    /// StartCalendarInterval, StartInterval, WatchPaths, QueueDirectories,
    /// RunAtLoad in words; empty when the job only starts on demand.
    pub schedule: String,
    /// Whether a calendar, an interval or a watched path starts it.
    pub scheduled: bool,
    pub stderr_path: Option<String>,
    /// `Disabled` is true: launchd does not load it.
    pub disabled: bool,
    /// The other top-level fields, in words, for the drill-down.
    pub fields: Vec<(String, String)>,
}

impl Spec {
    /// The job a plist describes; an error when it has no `Label`.
    pub(crate) fn from_plist(v: &Value, plist: &str, dir: &str) -> Result<Spec, String> {
        let label = v.get("Label").and_then(Value::as_str).filter(|l| !l.is_empty());
        let label = label.ok_or("no Label")?.to_string();
        let mut program: Vec<String> = v
            .get("Program")
            .and_then(Value::as_str)
            .map(String::from)
            .into_iter()
            .collect();
        if let Some(args) = v.get("ProgramArguments").and_then(Value::as_array) {
            let args = args.iter().filter_map(Value::as_str).map(String::from);
            // launchd runs `Program` with ProgramArguments as its argv (argv[0] included).
            let skip = usize::from(!program.is_empty());
            program.extend(args.skip(skip).take(MAX_ARGS));
        }
        let keep_alive = match v.get("KeepAlive") {
            Some(Value::Bool(true)) => KeepAlive::Always,
            Some(Value::Dict(d)) => KeepAlive::Conditional(
                d.iter()
                    .take(4)
                    .map(|(k, v)| format!("{k} {}", v.words()))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => KeepAlive::No,
        };
        let (schedule, scheduled) = schedule_words(v);
        let shown = ["Label", "Program", "ProgramArguments", "KeepAlive"];
        let fields = v
            .as_dict()
            .unwrap_or_default()
            .iter()
            .filter(|(k, _)| !shown.contains(&k.as_str()))
            .take(MAX_FIELDS)
            .map(|(k, v)| (k.clone(), v.words().chars().take(300).collect()))
            .collect();
        Ok(Spec {
            label,
            plist: plist.to_string(),
            dir: dir.to_string(),
            program,
            keep_alive,
            schedule,
            scheduled,
            stderr_path: v.get("StandardErrorPath").and_then(Value::as_str).map(String::from),
            disabled: v.get("Disabled").and_then(Value::as_bool) == Some(true),
            fields,
        })
    }
}

/// How a plist starts its job, in words ("daily 07:00, at load"), and
/// whether something other than loading starts it.
pub(crate) fn schedule_words(v: &Value) -> (String, bool) {
    let mut parts = Vec::new();
    let mut scheduled = false;
    match v.get("StartCalendarInterval") {
        Some(Value::Array(a)) if !a.is_empty() => {
            let mut each: Vec<String> = a.iter().take(3).map(calendar).collect();
            if a.len() > 3 {
                each.push(format!("+{} more", a.len() - 3));
            }
            parts.push(each.join("; "));
            scheduled = true;
        }
        Some(d @ Value::Dict(_)) => {
            parts.push(calendar(d));
            scheduled = true;
        }
        _ => {}
    }
    if let Some(s) = v.get("StartInterval").and_then(Value::as_int).filter(|s| *s > 0) {
        parts.push(format!("every {}", interval(s)));
        scheduled = true;
    }
    for (key, what) in [("WatchPaths", "changes"), ("QueueDirectories", "has files")] {
        if let Some(p) = v.get(key).and_then(Value::as_array).filter(|p| !p.is_empty()) {
            parts.push(match p {
                [one] => format!("when {} {what}", one.words()),
                _ => format!("when one of {} paths {what}", p.len()),
            });
            scheduled = true;
        }
    }
    if v.get("RunAtLoad").and_then(Value::as_bool) == Some(true) {
        parts.push("at load".into());
    }
    (parts.join(", "), scheduled)
}

fn interval(s: i64) -> String {
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// One StartCalendarInterval dict in words: a missing key is "every".
fn calendar(d: &Value) -> String {
    let get = |k| d.get(k).and_then(Value::as_int);
    let (minute, hour, day, weekday, month) = (get("Minute"), get("Hour"), get("Day"), get("Weekday"), get("Month"));
    let two = |n: i64| format!("{:02}", n.clamp(0, 99));
    let time = match (hour, minute) {
        (Some(h), Some(m)) => format!("{}:{}", two(h), two(m)),
        (Some(h), None) => format!("every minute of {}h", two(h)),
        (None, Some(m)) => return with_days(format!("hourly at :{}", two(m)), day, weekday, month),
        (None, None) => return with_days("every minute".into(), day, weekday, month),
    };
    match (day, weekday, month) {
        (None, None, None) => format!("daily {time}"),
        _ => with_days(time, day, weekday, month),
    }
}

fn with_days(time: String, day: Option<i64>, weekday: Option<i64>, month: Option<i64>) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut when = Vec::new();
    if let Some(m) = month {
        when.push(
            usize::try_from(m - 1)
                .ok()
                .and_then(|i| MONTHS.get(i))
                .map_or(format!("month {m}"), |s| s.to_string()),
        );
    }
    if let Some(d) = day {
        when.push(format!("day {d}"));
    }
    if let Some(w) = weekday {
        when.push(
            usize::try_from(w.rem_euclid(7))
                .ok()
                .and_then(|i| DAYS.get(i))
                .map_or(format!("weekday {w}"), |s| s.to_string()),
        );
    }
    if when.is_empty() {
        time
    } else {
        format!("{} {time}", when.join(" "))
    }
}

/// Where a plist directory is: `user` (the SSH user's LaunchAgents),
/// `system` (/Library/LaunchAgents), `LaunchDaemons`, or the directory
/// itself for one the config adds.
pub fn location(dir: &str) -> String {
    match dir.trim_end_matches('/') {
        "~/Library/LaunchAgents" => "user".into(),
        "/Library/LaunchAgents" => "system".into(),
        "/Library/LaunchDaemons" => "LaunchDaemons".into(),
        d => d.to_string(),
    }
}

/// The audit's cohorts, failing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum State {
    Failing,
    /// A plist in the job directories that launchctl does not know.
    NotLoaded,
    #[default]
    Running,
    /// Not running, last exit 0, started by a schedule.
    CalendarOk,
    /// Not running, last exit 0, one-shot or conditional: down by design.
    Down,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Running,
        State::CalendarOk,
        State::Down,
        State::Failing,
        State::NotLoaded,
    ];
    /// As the title counts them: "running", "ok", "down", "failing", "not loaded".
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::CalendarOk => "ok",
            State::Down => "down",
            State::Failing => "failing",
            State::NotLoaded => "not loaded",
        }
    }
}

/// One job as the audit sees it: launchctl's view joined with its plist
/// and what the host said of its program and log. Serialised as the
/// snapshot's `launchd` object (`docs/snapshot.md`): its state as `cohort`,
/// times in RFC 3339, without the log tail and the raw fields.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Audit {
    pub label: String,
    #[serde(rename = "cohort", serialize_with = "state_word")]
    pub state: State,
    /// Why it is failing, in words ("script deleted: ~/x.sh").
    pub cause: Option<String>,
    /// A keepalive job down or crash-looping: critical once it lasts.
    pub severe: bool,
    pub pid: Option<u32>,
    /// The last exit status (negative: the signal); None when not loaded.
    pub last_exit: Option<i64>,
    /// user, system, LaunchDaemons, a configured directory, or unknown.
    pub location: String,
    pub plist: Option<String>,
    pub keep_alive: String,
    pub schedule: String,
    pub program: Vec<String>,
    pub stderr_path: Option<String>,
    /// The last lines of `StandardErrorPath`, when it was read.
    #[serde(skip)]
    pub stderr_tail: Vec<String>,
    /// When fleettop last saw it exit 0 (ms since the epoch).
    #[serde(serialize_with = "time_word")]
    pub last_ok_at: Option<crate::model::Millis>,
    #[serde(skip)]
    pub fields: Vec<(String, String)>,
}

/// running, ok, down, failing, not loaded.
fn state_word<S: serde::Serializer>(s: &State, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(s.as_str())
}

fn time_word<S: serde::Serializer>(at: &Option<crate::model::Millis>, out: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&at.map(crate::model::rfc3339), out)
}

/// Jobs by cohort in words: "47 running, 74 ok, 3 down, 20 failing, 4 not
/// loaded" (every cohort, zeros too, so the line keeps its shape).
pub fn counts(states: impl Iterator<Item = State>) -> String {
    let mut n = [0usize; 5];
    for s in states {
        if let Some(i) = State::ALL.iter().position(|x| *x == s) {
            n[i] += 1;
        }
    }
    State::ALL
        .iter()
        .zip(n)
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A last exit status in words: 127 and 126 by what they mean, a negative
/// one as the signal.
pub fn exit_words(status: i64) -> String {
    match status {
        127 => "program missing (exit 127)".into(),
        126 => "not executable (exit 126)".into(),
        s if s < 0 => format!("killed by signal {}", s.unsigned_abs()),
        s => format!("exit {s}"),
    }
}
