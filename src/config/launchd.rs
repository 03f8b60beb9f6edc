//! `[[services.launchd]]`: its label prefixes and plist directories.

use super::{Config, LabelPrefix, LaunchdService, Problem};

/// Where launchd jobs' plists are unless the config says: the SSH user's
/// agents, the system's agents, the system's daemons.
pub(crate) const DEFAULT_PLIST_DIRS: [&str; 3] = [
    "~/Library/LaunchAgents",
    "/Library/LaunchAgents",
    "/Library/LaunchDaemons",
];

/// More directories than any Mac needs.
const MAX_DIRS: usize = 16;

impl LaunchdService {
    /// The label prefixes; empty: every job.
    pub(crate) fn prefixes(&self) -> Vec<String> {
        match &self.label_prefix {
            None => Vec::new(),
            Some(LabelPrefix::One(p)) => vec![p.clone()],
            Some(LabelPrefix::Many(ps)) => ps.clone(),
        }
    }

    /// The plist directories to read, as configured (with `~/`).
    pub(crate) fn dirs(&self) -> Vec<String> {
        match &self.plist_dirs {
            Some(d) => d.get_ref().clone(),
            None => DEFAULT_PLIST_DIRS.iter().map(|d| d.to_string()).collect(),
        }
    }
}

/// Each plist directory is absolute or under `~/`, on one line, and there
/// are at most [`MAX_DIRS`].
pub(super) fn validate(c: &Config, out: &mut Vec<Problem>) {
    for s in &c.services.launchd {
        let Some(dirs) = &s.plist_dirs else { continue };
        if dirs.get_ref().len() > MAX_DIRS {
            out.push((dirs.span(), format!("plist_dirs: at most {MAX_DIRS} directories")));
        }
        for d in dirs.get_ref() {
            if !(d.starts_with('/') || d.starts_with("~/")) || d.contains(['\n', '\t', '\0']) {
                out.push((
                    dirs.span(),
                    format!("plist_dirs: {d:?} must be an absolute path or start with ~/ (one line)"),
                ));
            }
        }
    }
}
