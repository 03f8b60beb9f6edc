//! Syncthing over its REST API (`X-API-Key`): peers, each folder's state,
//! completion, need, errors, and the conflict files in its path.

use super::{DEFAULT_INTERVAL, DEFAULT_TIMEOUT, send};
use crate::config::SyncthingService;
use crate::parse::syncthing as st;
use crate::sources::{Ctx, http_client_with, http_error_words, read_bounded};
use crate::store::services::{Health, Kind, Row, ServiceUpdate};
use crate::ui::fmt::bytes;
use std::path::Path;

const BODY_MAX: usize = 4 * 1024 * 1024;
/// Conflict files are counted in at most this many directory entries.
const WALK_MAX: usize = 200_000;

pub fn scope(name: &str) -> String {
    format!("syncthing:{name}")
}

pub async fn run(cfg: SyncthingService, ctx: Ctx) {
    let timeout = cfg.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    // The API key is a header reqwest would send on to wherever a redirect
    // points: no redirects are followed.
    let client = match http_client_with(timeout, reqwest::redirect::Policy::none()) {
        Ok(c) => c,
        Err(e) => {
            send(&ctx, ServiceUpdate::Result(Box::new(head(&cfg, Health::Error, e)))).await;
            return;
        }
    };
    loop {
        let mut rows = match poll(&client, &cfg).await {
            Ok(rows) => rows,
            Err(e) => vec![head(&cfg, Health::Error, e)],
        };
        for r in &mut rows {
            // A poll makes several requests, each with its timeout.
            r.every_ms = super::every_ms(interval + timeout * 4);
        }
        if !send(
            &ctx,
            ServiceUpdate::Set {
                scope: scope(&cfg.name),
                rows,
            },
        )
        .await
            || !ctx.wait(interval).await
        {
            return;
        }
    }
}

fn head(cfg: &SyncthingService, h: Health, detail: String) -> Row {
    let mut r = Row::new(scope(&cfg.name), Kind::Syncthing, cfg.name.clone(), h, detail);
    r.source = crate::parse::redact::redact_url(cfg.url.get_ref());
    r
}

async fn get(client: &reqwest::Client, cfg: &SyncthingService, path: &str) -> Result<String, String> {
    let url = format!("{}{path}", cfg.url.get_ref().trim_end_matches('/'));
    let mut req = client.get(&url);
    if let Some(k) = &cfg.api_key {
        req = req.header("X-API-Key", &k.0);
    }
    let resp = req.send().await.map_err(|e| http_error_words(&e))?;
    let code = resp.status().as_u16();
    if code == 401 || code == 403 {
        return Err(format!("HTTP {code}: the API key was refused"));
    }
    if !(200..300).contains(&code) {
        return Err(format!("HTTP {code} from {path}"));
    }
    let body = read_bounded(resp, BODY_MAX).await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn poll(client: &reqwest::Client, cfg: &SyncthingService) -> Result<Vec<Row>, String> {
    let start = std::time::Instant::now();
    let my_id = st::parse_my_id(&get(client, cfg, "/rest/system/status").await?)?;
    let peers = st::parse_connections(&get(client, cfg, "/rest/system/connections").await?, &my_id)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let folders = st::parse_folders(&get(client, cfg, "/rest/config/folders").await?)?;
    let mut rows = Vec::new();
    for f in folders.iter().take(100) {
        let q = enc(&f.id);
        let status = match get(client, cfg, &format!("/rest/db/status?folder={q}")).await {
            Ok(t) => st::parse_status(&t),
            Err(e) => Err(e),
        };
        let errors = get(client, cfg, &format!("/rest/folder/errors?folder={q}"))
            .await
            .ok()
            .and_then(|t| st::parse_errors(&t).ok())
            .unwrap_or_default();
        let path = crate::config::expand_tilde(&f.path);
        let conflicts = tokio::task::spawn_blocking(move || count_conflicts(&path))
            .await
            .unwrap_or(0);
        rows.push(folder_row(cfg, f, status, &errors, conflicts));
    }
    let h = if peers.total > 0 && peers.connected == 0 {
        Health::Warn
    } else {
        Health::Ok
    };
    let mut detail = format!(
        "{}/{} peers connected, {} folders",
        peers.connected,
        peers.total,
        folders.len()
    );
    if !peers.disconnected.is_empty() && h == Health::Ok {
        detail.push_str(&format!(", away: {}", peers.disconnected.join(" ")));
    }
    let mut head = head(cfg, h, detail);
    head.latency_ms = Some(ms);
    rows.insert(0, head);
    Ok(rows)
}

/// A folder's row (pure, for tests).
pub fn folder_row(
    cfg: &SyncthingService,
    f: &st::Folder,
    status: Result<st::FolderStatus, String>,
    errors: &[String],
    conflicts: usize,
) -> Row {
    let label = if f.label.is_empty() { &f.id } else { &f.label };
    let (h, mut detail) = match status {
        Err(e) => (Health::Unknown, e),
        Ok(_) if f.paused => (Health::Unknown, "paused".to_string()),
        Ok(s) => {
            let mut d = format!(
                "{} {:.0}%",
                if s.state.is_empty() { "?" } else { &s.state },
                s.completion()
            );
            if s.need_files > 0 || s.need_bytes > 0 {
                d.push_str(&format!(", need {} files {}", s.need_files, bytes(s.need_bytes)));
            }
            let h = if s.state == "error" || !s.error.is_empty() {
                if !s.error.is_empty() {
                    d.push_str(&format!(", {}", s.error));
                }
                Health::Error
            } else if s.pull_errors > 0 || !errors.is_empty() {
                d.push_str(&format!(", {} errors", s.pull_errors.max(errors.len() as u64)));
                Health::Warn
            } else {
                Health::Ok
            };
            (h, d)
        }
    };
    let mut h = h;
    if conflicts > 0 {
        detail.push_str(&format!(", {conflicts} conflict files"));
        if h == Health::Ok {
            h = Health::Warn;
        }
    }
    if let Some(e) = errors.first() {
        detail.push_str(&format!(" ({e})"));
    }
    let mut r = Row::new(
        format!("syncthing:{}/{}", cfg.name, f.id),
        Kind::Syncthing,
        label.clone(),
        h,
        detail,
    );
    r.source = cfg.name.clone();
    r
}

/// `*.sync-conflict-*` files under `root`, walking at most `WALK_MAX` entries.
pub fn count_conflicts(root: &Path) -> usize {
    let mut stack = vec![root.to_path_buf()];
    let (mut seen, mut n) = (0usize, 0usize);
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            seen += 1;
            if seen > WALK_MAX {
                return n;
            }
            let name = e.file_name();
            let name = name.to_string_lossy();
            if st::is_conflict(&name) {
                n += 1;
            }
            if name == ".stversions" || name == ".stfolder" {
                continue;
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            }
        }
    }
    n
}
