//! The launchd audit, pure: `launchctl list` joined with the jobs' plists
//! into cohorts and causes ([`audit`]); then what the host says of the
//! failing jobs' programs and error logs ([`queries`], [`apply`]).

use crate::parse::launchctl::{Audit, Job, KeepAlive, Spec, State, exit_words, location};
use std::collections::{BTreeMap, BTreeSet};

/// Paths tested on the host per round, and error logs tailed.
const MAX_PATHS: usize = 64;
const MAX_TAILS: usize = 20;
/// Lines kept of an error log's tail, and characters of each.
pub(crate) const TAIL_LINES: usize = 20;
const LINE_MAX: usize = 300;

pub(crate) fn matches(label: &str, prefixes: &[String]) -> bool {
    prefixes.is_empty() || prefixes.iter().any(|p| label.starts_with(p.as_str()))
}

/// Every job under `prefixes` that launchctl lists or a plist describes,
/// failing first, each with its cohort and cause.
pub(crate) fn audit(jobs: &[Job], specs: &[Spec], prefixes: &[String]) -> Vec<Audit> {
    let mut by_label: BTreeMap<&str, Vec<&Spec>> = BTreeMap::new();
    for s in specs.iter().filter(|s| matches(&s.label, prefixes)) {
        by_label.entry(&s.label).or_default().push(s);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for j in jobs.iter().filter(|j| matches(&j.label, prefixes)) {
        if seen.insert(j.label.as_str()) {
            out.push(loaded(
                j,
                by_label.get(j.label.as_str()).and_then(|s| s.first().copied()),
            ));
        }
    }
    // launchctl as a user lists the user's domain: when it shows none of
    // a daemons directory's jobs, that directory is out of its sight.
    let hidden: BTreeSet<&str> = by_label
        .values()
        .flatten()
        .filter(|s| s.dir.contains("LaunchDaemons"))
        .map(|s| s.dir.as_str())
        .filter(|d| {
            !by_label
                .values()
                .flatten()
                .any(|s| s.dir == *d && seen.contains(s.label.as_str()))
        })
        .collect();
    for (label, ss) in &by_label {
        if !seen.contains(label) {
            out.push(not_loaded(ss[0], hidden.contains(ss[0].dir.as_str())));
        }
    }
    duplicates(&mut out, &by_label);
    out.sort_by(|a, b| a.state.cmp(&b.state).then_with(|| a.label.cmp(&b.label)));
    out
}

fn base(label: &str, spec: Option<&Spec>) -> Audit {
    let mut a = Audit {
        label: label.to_string(),
        location: "unknown".into(),
        keep_alive: "unknown (no plist found)".into(),
        ..Default::default()
    };
    if let Some(s) = spec {
        a.location = location(&s.dir);
        a.plist = Some(s.plist.clone());
        a.keep_alive = s.keep_alive.words();
        a.schedule = s.schedule.clone();
        a.program = s.program.clone();
        a.stderr_path = s.stderr_path.clone();
        a.fields = s.fields.clone();
    }
    a
}

fn loaded(j: &Job, spec: Option<&Spec>) -> Audit {
    let mut a = base(&j.label, spec);
    a.pid = j.pid;
    a.last_exit = Some(j.status);
    let always = spec.is_some_and(|s| s.keep_alive == KeepAlive::Always);
    let scheduled = spec.is_some_and(|s| s.scheduled);
    (a.state, a.cause, a.severe) = match (j.pid, j.status) {
        (_, s) if s != 0 && always => (State::Failing, Some(format!("crash-looping: {}", exit_words(s))), true),
        (Some(_), _) => (State::Running, None, false),
        (None, 0) if always => (State::Failing, Some("keepalive job down".into()), true),
        (None, 0) if scheduled => (State::CalendarOk, None, false),
        (None, 0) => (State::Down, None, false),
        (None, s) => (State::Failing, Some(exit_words(s)), false),
    };
    a
}

fn not_loaded(s: &Spec, hidden: bool) -> Audit {
    let mut a = base(&s.label, Some(s));
    a.state = State::NotLoaded;
    a.cause = if s.disabled {
        Some("disabled in its plist".into())
    } else if hidden {
        Some("system domain: launchctl list as this SSH user does not show it".into())
    } else {
        None
    };
    a
}

/// One label in two directories, or two labels running the same command
/// line: both are duplicates.
fn duplicates(out: &mut [Audit], by_label: &BTreeMap<&str, Vec<&Spec>>) {
    let mut by_program: BTreeMap<&[String], Vec<&str>> = BTreeMap::new();
    for (label, ss) in by_label {
        if !ss[0].program.is_empty() {
            by_program.entry(&ss[0].program).or_default().push(label);
        }
    }
    for a in out.iter_mut() {
        let Some(ss) = by_label.get(a.label.as_str()) else {
            continue;
        };
        if let Some(other) = ss.get(1) {
            add_cause(a, format!("duplicate: also {}", other.plist));
        }
        let same = by_program
            .get(ss[0].program.as_slice())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some(other) = same.iter().find(|l| **l != a.label) {
            add_cause(a, format!("duplicate: same program as {other}"));
        }
    }
}

fn add_cause(a: &mut Audit, words: String) {
    if matches!(a.state, State::Running | State::CalendarOk | State::Down) {
        a.state = State::Failing;
    }
    a.cause = Some(match a.cause.take() {
        Some(c) => format!("{c}; {words}"),
        None => words,
    });
}

/// One question for the host: does `path` exist (and run), or its tail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub(crate) label: String,
    pub(crate) tail: bool,
    pub(crate) path: String,
}

impl Query {
    /// The line the check script reads: `e` or `t`, then the path.
    pub(crate) fn line(&self) -> String {
        format!("{}{}", if self.tail { 't' } else { 'e' }, self.path)
    }
}

/// What to ask the host: the program paths of jobs that exited 127 or 126
/// (the program, and a script it is given), the error logs of failing
/// jobs; bounded, and only paths that fit on one line.
pub(crate) fn queries(audits: &[Audit]) -> Vec<Query> {
    let usable =
        |p: &&String| (p.starts_with('/') || p.starts_with("~/")) && p.len() <= 1024 && !p.contains(['\n', '\0']);
    let mut out: Vec<Query> = Vec::new();
    for a in audits.iter().filter(|a| matches!(a.last_exit, Some(126 | 127))) {
        for p in a.program.iter().filter(usable).take(2) {
            out.push(Query {
                label: a.label.clone(),
                tail: false,
                path: p.clone(),
            });
        }
    }
    out.truncate(MAX_PATHS);
    let tails = audits
        .iter()
        .filter(|a| a.state == State::Failing)
        .filter_map(|a| a.stderr_path.as_ref().filter(usable).map(|p| (a, p)))
        .take(MAX_TAILS);
    out.extend(tails.map(|(a, p)| Query {
        label: a.label.clone(),
        tail: true,
        path: p.clone(),
    }));
    out
}

/// The answers of [`CHECK_SCRIPT`](super::launchd::CHECK_SCRIPT): per
/// query, its status word and the lines that follow it.
pub(crate) fn answers(text: &str, marker: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let head = format!("{marker} ");
    for line in text.lines() {
        match line.strip_prefix(head.as_str()) {
            Some(word) => out.push((word.to_string(), Vec::new())),
            None => {
                if let Some((_, lines)) = out.last_mut() {
                    lines.push(line.to_string());
                }
            }
        }
    }
    out
}

/// The causes the host's answers show: a deleted script, a program that
/// does not run; and the failing jobs' error log tails.
pub(crate) fn apply(audits: &mut [Audit], queries: &[Query], answers: &[(String, Vec<String>)]) {
    for (q, (word, lines)) in queries.iter().zip(answers) {
        let Some(a) = audits.iter_mut().find(|a| a.label == q.label) else {
            continue;
        };
        if q.tail {
            let mut kept: Vec<String> = lines.iter().filter(|l| !l.trim().is_empty()).map(|l| cut(l)).collect();
            let n = kept.len();
            a.stderr_tail = kept.split_off(n.saturating_sub(TAIL_LINES));
            continue;
        }
        let cause = match (a.last_exit, word.as_str()) {
            (Some(127), "-") => format!("script deleted: {}", q.path),
            (Some(126), "e") => format!("not executable: {}", q.path),
            _ => continue,
        };
        // The first path found wanting says it, in place of the exit code's words.
        let generic = a.last_exit.map(exit_words).unwrap_or_default();
        if let Some(c) = &mut a.cause
            && !generic.is_empty()
            && c.contains(&generic)
        {
            *c = c.replacen(&generic, &cause, 1);
        }
    }
}

fn cut(l: &str) -> String {
    let s = crate::parse::sanitize::sanitize(l);
    if s.chars().count() > LINE_MAX {
        s.chars().take(LINE_MAX).collect::<String>() + "~"
    } else {
        s
    }
}

#[cfg(test)]
#[path = "launchd_audit_tests.rs"]
mod tests;
