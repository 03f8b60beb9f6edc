//! A container's health and edge events, in Docker's words.

use super::ContainerInfo;
use crate::model::Level;
use crate::store::NewEvent;

/// Edge events of a container: restarts and state changes.
pub(super) fn container_edges(name: &str, old: &ContainerInfo, new: &ContainerInfo, events: &mut Vec<NewEvent>) {
    if new.restart_count > old.restart_count {
        events.push(NewEvent {
            level: Level::Warn,
            kind: "container".into(),
            source: name.to_string(),
            title: format!("{name} restarted, count {}", new.restart_count),
            detail: String::new(),
        });
    }
    // A restart says enough; the state flips that come with it would be noise.
    if new.state != old.state && new.restart_count == old.restart_count {
        let mut title = format!("{name} {}", new.state);
        if new.state == "exited"
            && let Some(c) = new.exit_code
        {
            title.push_str(&format!(" (code {c})"));
        }
        events.push(NewEvent {
            level: Level::Info,
            kind: "container".into(),
            source: name.to_string(),
            title,
            detail: String::new(),
        });
    }
    if new.health != old.health && !new.health.is_empty() {
        events.push(NewEvent {
            level: if new.health == "unhealthy" {
                Level::Warn
            } else {
                Level::Info
            },
            kind: "container".into(),
            source: name.to_string(),
            title: format!("{name} {}", new.health),
            detail: String::new(),
        });
    }
}
