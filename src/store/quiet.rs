//! Acknowledged problems and silenced sources (the problems view's `a` and
//! `m`): a quiet problem's events stay off the ticker and the webhook. An
//! acknowledgement lasts until the problem gets worse or recovers; a
//! silence (maintenance) until its time is up. Both are kept in a small
//! JSON file in the state directory ([`Quiet::load`], [`Quiet::save`]), so
//! `check` and the next start see them; a file that is not what fleettop
//! writes is logged and ignored.

use super::{Problem, Store};
use crate::model::{Level, Millis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Entries of each kind kept, at most (the oldest go first).
pub(crate) const MAX_ENTRIES: usize = 1000;
/// A key or source longer than this is not one fleettop made.
const MAX_KEY: usize = 512;
/// A file bigger than this is not one fleettop wrote.
const MAX_FILE: u64 = 1 << 20;
const HOUR: Millis = 3_600_000;
/// What `m` cycles through: silenced for 1 h, 4 h, 24 h, then not.
pub(crate) const SILENCE_STEPS: [Millis; 3] = [HOUR, 4 * HOUR, 24 * HOUR];

/// An acknowledgement: of the problem at this level, at this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    pub level: Level,
    pub at: Millis,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quiet {
    /// Problem key → its acknowledgement.
    pub acknowledged: BTreeMap<String, Ack>,
    /// Source (a host, a check) → silenced until.
    pub silenced: BTreeMap<String, Millis>,
}

/// The file's form.
#[derive(Serialize, Deserialize, Default)]
struct File {
    #[serde(default)]
    acknowledged: Vec<AckEntry>,
    #[serde(default)]
    silenced: Vec<SilenceEntry>,
}

#[derive(Serialize, Deserialize)]
struct AckEntry {
    problem: String,
    level: String,
    at_ms: Millis,
}

#[derive(Serialize, Deserialize)]
struct SilenceEntry {
    source: String,
    until_ms: Millis,
}

fn level_of(word: &str) -> Option<Level> {
    [Level::Warn, Level::Error, Level::Critical]
        .into_iter()
        .find(|l| l.as_str() == word)
}

impl Quiet {
    /// Whether an edge of problem `key` (of `source`) at `level` is quiet.
    pub(crate) fn is_quiet(&self, key: &str, source: &str, level: Level, now: Millis) -> bool {
        self.silenced_until(source, now).is_some() || self.acknowledged.get(key).is_some_and(|a| level <= a.level)
    }

    pub(crate) fn silenced_until(&self, source: &str, now: Millis) -> Option<Millis> {
        self.silenced.get(source).copied().filter(|&u| u > now)
    }

    /// An edge of problem `key` at `level`: a recovery (info) or a worse
    /// level ends its acknowledgement. True when that changed anything.
    pub(crate) fn on_edge(&mut self, key: &str, level: Level) -> bool {
        let ends = self
            .acknowledged
            .get(key)
            .is_some_and(|a| level == Level::Info || level > a.level);
        ends && self.acknowledged.remove(key).is_some()
    }

    pub(crate) fn acknowledge(&mut self, key: &str, level: Level, now: Millis) {
        self.acknowledged.insert(key.to_string(), Ack { level, at: now });
        bound(&mut self.acknowledged, |a| a.at);
    }

    /// `m`: not silenced → 1 h → 4 h → 24 h → not, by what is left.
    /// Returns the new end, if any.
    pub(crate) fn cycle_silence(&mut self, source: &str, now: Millis) -> Option<Millis> {
        let left = self.silenced_until(source, now).map(|u| u - now);
        let next = match left {
            None => Some(SILENCE_STEPS[0]),
            // The step it is on (the shortest that holds what is left), then the next.
            Some(l) => (SILENCE_STEPS.iter().position(|&s| l <= s))
                .and_then(|i| SILENCE_STEPS.get(i + 1))
                .copied(),
        };
        match next {
            Some(d) => {
                self.silenced.insert(source.to_string(), now.saturating_add(d));
                bound(&mut self.silenced, |u| *u);
            }
            None => {
                self.silenced.remove(source);
            }
        }
        self.silenced_until(source, now)
    }

    /// Drops silences whose time is up; true when one went.
    pub(crate) fn expire(&mut self, now: Millis) -> bool {
        let before = self.silenced.len();
        self.silenced.retain(|_, u| *u > now);
        self.silenced.len() != before
    }

    /// Where the file is: `$XDG_STATE_HOME/fleettop/quiet.json` or the like.
    pub fn default_path() -> Option<PathBuf> {
        crate::logging::state_dir().map(|d| d.join("quiet.json"))
    }

    /// The file at `path`; nothing when there is none, and nothing (logged)
    /// when it is not what fleettop writes. Each entry is checked; a bad one
    /// is counted and left out.
    pub fn load(path: &Path) -> Quiet {
        let bytes = match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Quiet::default(),
            Ok(m) if m.len() > MAX_FILE => {
                tracing::warn!(path = %path.display(), size = m.len(), "quiet file too big: ignored");
                return Quiet::default();
            }
            _ => match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(path = %path.display(), "quiet file unreadable: {e}");
                    return Quiet::default();
                }
            },
        };
        Quiet::parse(&bytes).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), "quiet file ignored: {e}");
            Quiet::default()
        })
    }

    pub(crate) fn parse(bytes: &[u8]) -> Result<Quiet, String> {
        let file: File = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let fits = |s: &str| !s.is_empty() && s.len() <= MAX_KEY && !s.chars().any(char::is_control);
        let mut q = Quiet::default();
        let mut bad = 0usize;
        for a in file.acknowledged {
            match level_of(&a.level).filter(|_| fits(&a.problem)) {
                Some(level) => q.acknowledge(&a.problem, level, a.at_ms),
                None => bad += 1,
            }
        }
        for s in file.silenced {
            if fits(&s.source) {
                q.silenced.insert(s.source, s.until_ms);
                bound(&mut q.silenced, |u| *u);
            } else {
                bad += 1;
            }
        }
        if bad > 0 {
            tracing::warn!(count = bad, "quiet file: entries left out");
        }
        Ok(q)
    }

    fn to_file(&self) -> File {
        File {
            acknowledged: (self.acknowledged.iter())
                .map(|(k, a)| AckEntry {
                    problem: k.clone(),
                    level: a.level.as_str().into(),
                    at_ms: a.at,
                })
                .collect(),
            silenced: (self.silenced.iter())
                .map(|(s, u)| SilenceEntry {
                    source: s.clone(),
                    until_ms: *u,
                })
                .collect(),
        }
    }

    /// The file's bytes.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.to_file()).unwrap_or_default()
    }

    /// Writes the file whole or not at all (a new file renamed over it).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let body = self.to_bytes();
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(&tmp, body)?;
        std::fs::rename(&tmp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }
}

/// Keeps the newest [`MAX_ENTRIES`] of `m` by `time`.
fn bound<V>(m: &mut BTreeMap<String, V>, time: impl Fn(&V) -> Millis) {
    while m.len() > MAX_ENTRIES {
        let Some(oldest) = m.iter().min_by_key(|(_, v)| time(v)).map(|(k, _)| k.clone()) else {
            return;
        };
        m.remove(&oldest);
    }
}

impl Problem {
    /// Acknowledged or silenced: known, and not asking for anyone.
    pub(crate) fn is_quiet(&self) -> bool {
        self.acknowledged || self.silenced_until.is_some()
    }
}

/// Current problems counted for a badge: the ones that need someone, the
/// worst level among them, and the quiet ones apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Neither acknowledged nor silenced.
    pub open: usize,
    /// The worst of the open ones (info when there is none).
    pub level: Level,
    pub quiet: usize,
}

impl Counts {
    pub(crate) fn of<'a>(problems: impl IntoIterator<Item = &'a Problem>) -> Counts {
        let mut c = Counts::default();
        for p in problems {
            if p.is_quiet() {
                c.quiet += 1;
            } else {
                c.open += 1;
                c.level = c.level.max(p.level);
            }
        }
        c
    }
}

impl Store {
    /// The problems of `tab` (every tab: None) counted for its badge (the
    /// screen counts the one list it draws from: `Counts::of`).
    #[cfg(test)]
    pub(crate) fn problem_counts(&self, tab: Option<super::Tab>, now: Millis) -> Counts {
        Counts::of(self.problems(now).iter().filter(|p| tab.is_none_or(|t| p.tab == t)))
    }

    /// `a` on a problem: acknowledged at its current level; its events
    /// already on the ticker go quiet too.
    pub fn acknowledge(&mut self, p: &Problem, now: Millis) {
        self.quiet.acknowledge(&p.key, p.level, now);
        let key = p.key.clone();
        self.events.mark_quiet(|e| e.problem.as_deref() == Some(key.as_str()));
    }

    /// `m` on a problem: the next silence of its source; returns its end.
    pub fn cycle_silence(&mut self, p: &Problem, now: Millis) -> Option<Millis> {
        let until = self.quiet.cycle_silence(p.source.as_str(), now);
        if until.is_some() {
            let source = p.source.to_string();
            self.events.mark_quiet(|e| e.problem.is_some() && e.source == source);
        }
        until
    }

    /// The current problems with what is quiet about them.
    pub(crate) fn mark_quiet(&self, problems: &mut [Problem], now: Millis) {
        for p in problems {
            p.acknowledged = self.quiet.acknowledged.get(&p.key).is_some_and(|a| p.level <= a.level);
            p.silenced_until = self.quiet.silenced_until(p.source.as_str(), now);
        }
    }
}

#[cfg(test)]
#[path = "quiet_tests.rs"]
mod tests;
