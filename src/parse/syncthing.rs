//! Syncthing REST responses: `/rest/system/connections`,
//! `/rest/config/folders`, `/rest/db/status?folder=` and
//! `/rest/folder/errors?folder=`. Unknown fields are ignored; a missing
//! field is zero, never a panic.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Peers {
    pub connected: usize,
    pub total: usize,
    /// Names (short device IDs) of the peers that are not connected.
    pub disconnected: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Folder {
    pub id: String,
    pub label: String,
    pub path: String,
    pub paused: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FolderStatus {
    /// idle, scanning, syncing, sync-preparing, error, …
    pub state: String,
    pub error: String,
    pub need_files: u64,
    pub need_bytes: u64,
    pub global_bytes: u64,
    pub in_sync_bytes: u64,
    pub pull_errors: u64,
}

impl FolderStatus {
    /// Completion in percent, as the web UI shows it.
    pub fn completion(&self) -> f64 {
        if self.global_bytes == 0 {
            100.0
        } else {
            (self.in_sync_bytes as f64 / self.global_bytes as f64 * 100.0).clamp(0.0, 100.0)
        }
    }
}

fn json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))
}

fn s(v: &Value) -> String {
    super::sanitize::sanitize(v.as_str().unwrap_or(""))
}

fn n(v: &Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_f64().map(|f| f.max(0.0) as u64))
        .unwrap_or(0)
}

/// `/rest/system/connections`; `own` (this device's ID) is not a peer.
pub fn parse_connections(text: &str, own: &str) -> Result<Peers, String> {
    let v = json(text)?;
    let m = v["connections"].as_object().ok_or("no \"connections\" object")?;
    let mut p = Peers::default();
    for (id, c) in m {
        if id == own {
            continue;
        }
        p.total += 1;
        if c["connected"].as_bool().unwrap_or(false) {
            p.connected += 1;
        } else {
            p.disconnected
                .push(super::sanitize::sanitize(id.split('-').next().unwrap_or(id)));
        }
    }
    Ok(p)
}

/// `/rest/system/status`'s `myID`.
pub fn parse_my_id(text: &str) -> Result<String, String> {
    Ok(s(&json(text)?["myID"]))
}

/// `/rest/config/folders`.
pub fn parse_folders(text: &str) -> Result<Vec<Folder>, String> {
    let v = json(text)?;
    let a = v.as_array().ok_or("not a list of folders")?;
    Ok(a.iter()
        .map(|f| Folder {
            id: s(&f["id"]),
            label: s(&f["label"]),
            path: f["path"].as_str().unwrap_or("").to_string(),
            paused: f["paused"].as_bool().unwrap_or(false),
        })
        .filter(|f| !f.id.is_empty())
        .collect())
}

/// `/rest/db/status?folder=…`.
pub fn parse_status(text: &str) -> Result<FolderStatus, String> {
    let v = json(text)?;
    if !v.is_object() {
        return Err("not an object".into());
    }
    Ok(FolderStatus {
        state: s(&v["state"]),
        error: s(&v["error"]),
        need_files: n(&v["needFiles"]),
        need_bytes: n(&v["needBytes"]),
        global_bytes: n(&v["globalBytes"]),
        in_sync_bytes: n(&v["inSyncBytes"]),
        pull_errors: n(&v["pullErrors"]).max(n(&v["errors"])),
    })
}

/// `/rest/folder/errors?folder=…`: the first few errors, "path: error".
pub fn parse_errors(text: &str) -> Result<Vec<String>, String> {
    let v = json(text)?;
    Ok(v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .take(20)
                .map(|e| format!("{}: {}", s(&e["path"]), s(&e["error"])))
                .collect()
        })
        .unwrap_or_default())
}

/// Whether a file name is a Syncthing conflict copy.
pub(crate) fn is_conflict(name: &str) -> bool {
    name.contains(".sync-conflict-")
}
