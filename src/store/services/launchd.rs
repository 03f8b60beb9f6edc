//! launchd jobs in the Services tab: their cohorts counted for the title,
//! and which of their problems turn critical once they last.

use super::{Row, ServicesState};
use crate::model::Level;
use crate::parse::launchctl::counts;

impl ServicesState {
    /// Every launchd job's cohort counted ("47 running, 74 ok, 3 down, 20
    /// failing, 4 not loaded"); None when no host has launchd rows.
    pub(crate) fn launchd_counts(&self) -> Option<String> {
        let mut states = self
            .rows
            .iter()
            .filter_map(|s| s.row.launchd.as_ref().map(|a| a.state))
            .peekable();
        states.peek()?;
        Some(counts(states))
    }
}

/// A keepalive job down or crash-looping is critical once it has lasted
/// `alerts.offline_critical_after`.
pub(super) fn escalate(r: &Row, critical_after_ms: i64) -> Option<(Level, i64)> {
    r.launchd
        .as_ref()
        .filter(|a| a.severe)
        .map(|_| (Level::Critical, critical_after_ms))
}
