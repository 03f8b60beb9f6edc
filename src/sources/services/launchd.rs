//! A macOS host's launchd jobs, audited over its SSH connection: one fixed
//! script lists the jobs (`launchctl list`, the SSH user's domain) and
//! prints each plist in the configured directories as XML (`plutil
//! -convert xml1 -o -`), framed by a random marker; a second asks about
//! the failing jobs' programs and error logs. [`super::launchd_audit`]
//! makes the cohorts; [`rows`] a summary row and a row per job.

use super::launchd_audit::{Query, answers, apply, audit, queries};
use super::{DEFAULT_INTERVAL, send_set, unknown};
use crate::config::LaunchdService;
use crate::model::{Millis, now_millis};
use crate::parse::launchctl::{self, Audit, Spec, State, counts};
use crate::parse::{plist, probe};
use crate::sources::Ctx;
use crate::sources::reach::ssh::{Remote, check};
use crate::update::services::{Health, Kind, Row};
use std::collections::HashMap;

/// Job rows per host, at most.
const MAX_ROWS: usize = 500;

/// Reads the marker, then one plist directory a line: prints `launchctl
/// list`, then every `*.plist` of each directory (at most 400, each cut at
/// 64 KiB) as XML after a `MARKER plist DIR<tab>FILE` line. A file name
/// with a line break is skipped; the name is only ever a quoted argument.
pub(crate) const AUDIT_SCRIPT: &str = r#"IFS= read -r m
if command -v launchctl >/dev/null 2>&1; then echo "$m list"; launchctl list 2>/dev/null || { echo "$m listfailed"; exit 0; }; else echo "$m nolaunchctl"; exit 0; fi
command -v plutil >/dev/null 2>&1 || { echo "$m noplutil"; exit 0; }
nl='
'
n=0
while IFS= read -r d; do
  p=$(home_path "$d")
  for f in "$p"/*.plist; do
    [ -f "$f" ] || continue
    case $f in *"$nl"*) continue;; esac
    n=$((n+1))
    if [ "$n" -gt 400 ]; then echo "$m toomany"; exit 0; fi
    printf '%s plist %s\t%s\n' "$m" "$d" "$f"
    plutil -convert xml1 -o - "$f" 2>/dev/null | head -c 65536
    echo
  done
done"#;

/// Reads the marker, then one query a line (`e` or `t`, then a path): for
/// `e` prints `MARKER x` (exists, executable), `MARKER e` (exists) or
/// `MARKER -` (missing); for `t`, `MARKER t` then the last lines of that
/// regular file (at most 4 KiB). Paths are data, quoted, never a command.
pub(crate) const CHECK_SCRIPT: &str = r#"IFS= read -r m
while IFS= read -r l; do
  k=${l%"${l#?}"}
  p=$(home_path "${l#?}")
  case $k in
    e) if [ -e "$p" ]; then if [ -x "$p" ]; then s=x; else s=e; fi; else s=-; fi; printf '%s %s\n' "$m" "$s";;
    t) printf '%s t\n' "$m"; if [ -f "$p" ] && [ -r "$p" ]; then tail -n 20 < "$p" | head -c 4096; echo; fi;;
    *) printf '%s ?\n' "$m";;
  esac
done"#;

pub fn scope(host: &str) -> String {
    format!("launchd:{host}")
}

/// What the audit script printed, by section.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Listing {
    /// `launchctl list`'s output; None when the host has no launchctl.
    pub(crate) list: Option<String>,
    /// (configured directory, file, its XML).
    pub(crate) plists: Vec<(String, String, String)>,
    pub(crate) no_plutil: bool,
    pub(crate) too_many: bool,
    /// launchctl is there but `launchctl list` failed.
    pub(crate) list_failed: bool,
}

/// Splits the audit script's output at its marker lines.
pub(crate) fn listing(text: &str, marker: &str) -> Listing {
    let mut out = Listing::default();
    let head = format!("{marker} ");
    // Where lines go: the list, or the last plist.
    let mut into_list = false;
    for line in text.lines() {
        match line.strip_prefix(head.as_str()) {
            Some("list") => {
                out.list = Some(String::new());
                into_list = true;
            }
            Some("nolaunchctl") => into_list = false,
            Some("listfailed") => {
                out.list_failed = true;
                into_list = false;
            }
            Some("noplutil") => out.no_plutil = true,
            Some("toomany") => out.too_many = true,
            Some(rest) => {
                into_list = false;
                if let Some((dir, file)) = rest.strip_prefix("plist ").and_then(|r| r.split_once('\t')) {
                    out.plists.push((dir.to_string(), file.to_string(), String::new()));
                }
            }
            None => {
                let to = if into_list {
                    out.list.as_mut()
                } else {
                    out.plists.last_mut().map(|p| &mut p.2)
                };
                if let Some(t) = to {
                    t.push_str(line);
                    t.push('\n');
                }
            }
        }
    }
    out
}

/// Each plist's job; the ones that do not parse are counted, the first
/// one's reason kept.
pub(crate) fn specs(plists: &[(String, String, String)]) -> (Vec<Spec>, usize, Option<String>) {
    let (mut out, mut bad, mut first) = (Vec::new(), 0, None);
    for (dir, file, xml) in plists {
        match plist::parse(xml).and_then(|v| Spec::from_plist(&v, file, dir)) {
            Ok(s) => out.push(s),
            Err(e) => {
                bad += 1;
                first.get_or_insert_with(|| crate::parse::sanitize::sanitize(&format!("{file}: {e}")));
            }
        }
    }
    (out, bad, first)
}

/// One round's audit of a host.
#[derive(Debug, Default)]
pub(crate) struct Round {
    pub(crate) audits: Vec<Audit>,
    /// launchctl lines and plists not understood.
    pub(crate) skipped: usize,
    pub(crate) notes: Vec<String>,
}

/// A host's launchd jobs, every `interval`. launchd only exists on macOS
/// hosts, reached over SSH.
pub async fn run(cfg: LaunchdService, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    let host = cfg.host.get_ref().clone();
    let name = cfg.name.clone().unwrap_or_else(|| format!("{host} launchd"));
    let remote = Remote::new(host.as_str(), &ctx.handles.ssh);
    let (prefixes, dirs) = (cfg.prefixes(), cfg.dirs());
    let mut last_ok: HashMap<String, Millis> = HashMap::new();
    loop {
        let rows = match poll(&remote, &dirs, &prefixes).await {
            Ok(mut round) => {
                remember_ok(&mut round.audits, &mut last_ok, now_millis());
                rows(&host, &name, round)
            }
            Err(e) => vec![unknown(scope(&host), Kind::Launchd, name.clone(), &host, e)],
        };
        if !send_set(&ctx, scope(&host), rows, interval).await {
            return;
        }
    }
}

/// Notes when each job was seen ended with exit 0, and tells each job its
/// time; forgets jobs no longer there.
pub(crate) fn remember_ok(audits: &mut [Audit], last_ok: &mut HashMap<String, Millis>, now: Millis) {
    last_ok.retain(|l, _| audits.iter().any(|a| a.label == *l));
    for a in audits {
        if a.last_exit == Some(0) && a.pid.is_none() {
            last_ok.insert(a.label.clone(), now);
        }
        a.last_ok_at = last_ok.get(&a.label).copied();
    }
}

async fn poll(remote: &Remote, dirs: &[String], prefixes: &[String]) -> Result<Round, String> {
    let m = probe::marker();
    let args: Vec<&str> = std::iter::once(m.as_str())
        .chain(dirs.iter().map(String::as_str))
        .collect();
    let out = check(remote, AUDIT_SCRIPT, &args).await?;
    let l = listing(&out.text, &m);
    if l.list_failed {
        return Err("launchctl list failed".into());
    }
    let list = l.list.as_deref().ok_or("no launchctl on this host (not macOS?)")?;
    let jobs = launchctl::parse(list);
    let (specs, bad, first) = specs(&l.plists);
    let mut round = Round {
        audits: audit(&jobs.value, &specs, prefixes),
        skipped: jobs.errors + bad,
        notes: Vec::new(),
    };
    if let Some(e) = jobs.first_error.iter().chain(&first).next() {
        tracing::warn!(host = %remote, count = round.skipped, first = %e, "launchd: lines or plists not understood");
    }
    if l.no_plutil {
        round.notes.push("no plutil: plists not read".into());
    }
    if l.too_many || out.cut {
        round.notes.push("more plists than read".into());
    }
    let qs = queries(&round.audits);
    if !qs.is_empty() {
        ask(remote, &qs, &mut round.audits).await;
    }
    Ok(round)
}

/// Asks the host about the failing jobs' programs and logs; without an
/// answer the causes stay the exit codes' words.
async fn ask(remote: &Remote, qs: &[Query], audits: &mut [Audit]) {
    let m = probe::marker();
    let lines: Vec<String> = qs.iter().map(Query::line).collect();
    let args: Vec<&str> = std::iter::once(m.as_str())
        .chain(lines.iter().map(String::as_str))
        .collect();
    match check(remote, CHECK_SCRIPT, &args).await {
        Ok(o) => apply(audits, qs, &answers(&o.text, &m)),
        Err(e) => tracing::warn!(host = %remote, "launchd: programs and logs not checked: {e}"),
    }
}

/// How a job's row reads and how it is doing.
fn describe(a: &Audit) -> (Health, String) {
    match a.state {
        State::Running => (
            Health::Ok,
            match a.pid {
                Some(p) => format!("running (pid {p}), keepalive {}", a.keep_alive),
                None => "running".into(),
            },
        ),
        State::CalendarOk => (Health::Ok, format!("ok: {}", a.schedule)),
        State::Down if a.schedule.is_empty() => (Health::Ok, "down by design (exit 0), on demand".into()),
        State::Down => (Health::Ok, format!("down by design (exit 0), {}", a.schedule)),
        State::Failing => (
            if a.severe { Health::Error } else { Health::Warn },
            a.cause.clone().unwrap_or_else(|| "failing".into()),
        ),
        State::NotLoaded => {
            let health = match a.cause.as_deref() {
                Some(c) if c.starts_with("disabled") => Health::Ok,
                Some(_) => Health::Unknown,
                None => Health::Warn,
            };
            let at = a.plist.as_deref().unwrap_or("?");
            (
                health,
                match &a.cause {
                    Some(c) => format!("not loaded ({c}): {at}"),
                    None => format!("not loaded: {at}"),
                },
            )
        }
    }
}

/// A summary row (the jobs by cohort), then one row per job, failing first.
pub(crate) fn rows(host: &str, name: &str, round: Round) -> Vec<Row> {
    let mut detail = counts(round.audits.iter().map(|a| a.state));
    if round.skipped > 0 {
        detail.push_str(&format!(", {} unreadable lines or plists", round.skipped));
    }
    for n in &round.notes {
        detail.push_str(&format!(", {n}"));
    }
    let mut head = Row::new(scope(host), Kind::Launchd, name, Health::Ok, detail);
    head.source = host.to_string();
    let mut out = vec![head];
    for a in round.audits.into_iter().take(MAX_ROWS) {
        let (health, detail) = describe(&a);
        let mut r = Row::new(
            format!("launchd:{host}/{}", a.label),
            Kind::Launchd,
            a.label.clone(),
            health,
            detail,
        );
        r.source = host.to_string();
        r.launchd = Some(Box::new(a));
        out.push(r);
    }
    out
}

#[cfg(test)]
#[path = "launchd_tests.rs"]
mod tests;
