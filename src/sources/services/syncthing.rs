//! Syncthing over its REST API (`X-API-Key`): peers, each folder's state,
//! completion, need, errors, and the conflict files in its path.

use super::{DEFAULT_INTERVAL, DEFAULT_TIMEOUT, send};
use crate::config::SyncthingService;
use crate::fmt::bytes;
use crate::parse::syncthing as st;
use crate::sources::{Ctx, http_client_with, http_error_words, read_bounded};
use crate::update::{services::Health, services::Kind, services::Row, services::ServiceUpdate};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const BODY_MAX: usize = 4 * 1024 * 1024;
/// Conflict files are counted in at most this many directory entries per
/// poll, all folders together...
pub const WALK_MAX: usize = 200_000;
/// ...and for at most this long.
pub const WALK_TIME: Duration = Duration::from_secs(2);

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
    let walking = Arc::new(AtomicBool::new(false));
    loop {
        let mut rows = match poll(&client, &cfg, &walking).await {
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

async fn poll(client: &reqwest::Client, cfg: &SyncthingService, walking: &Arc<AtomicBool>) -> Result<Vec<Row>, String> {
    let start = std::time::Instant::now();
    let my_id = st::parse_my_id(&get(client, cfg, "/rest/system/status").await?)?;
    let peers = st::parse_connections(&get(client, cfg, "/rest/system/connections").await?, &my_id)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let folders = st::parse_folders(&get(client, cfg, "/rest/config/folders").await?)?;
    let folders_shown = &folders[..folders.len().min(100)];
    let mut states = Vec::new();
    for f in folders_shown {
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
        states.push((status, errors));
    }
    let paths = folders_shown
        .iter()
        .map(|f| crate::config::expand_tilde(&f.path))
        .collect();
    let conflicts = walk_all(paths, walking, WALK_MAX, WALK_TIME).await;
    let mut rows = Vec::new();
    for ((f, (status, errors)), c) in folders_shown.iter().zip(states).zip(conflicts) {
        rows.push(folder_row(cfg, f, status, &errors, c));
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
    conflicts: Conflicts,
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
    let n = conflicts.n;
    match (n, conflicts.cut) {
        (0, false) => {}
        (0, true) => detail.push_str(", conflict files not counted (walk cut)"),
        (n, cut) => detail.push_str(&format!(", {n}{} conflict files", if cut { "+" } else { "" })),
    }
    if n > 0 && h == Health::Ok {
        h = Health::Warn;
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
    // A cut walk's count is a floor, not a rise.
    r.rising = (!conflicts.cut).then_some((n as i64, "conflict files"));
    r
}

/// The conflict files counted in a folder; `cut` when the walk's bound
/// ended it first (`n` is then a lower bound).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conflicts {
    pub n: usize,
    pub cut: bool,
}

/// What a poll's walk may still use: directory entries and time.
pub struct Walk {
    left: usize,
    until: Instant,
}

impl Walk {
    pub fn new(entries: usize, time: Duration) -> Self {
        Walk {
            left: entries,
            until: Instant::now() + time,
        }
    }

    fn take(&mut self) -> bool {
        if self.left == 0 || Instant::now() >= self.until {
            return false;
        }
        self.left -= 1;
        true
    }
}

/// Counts the conflict files of every folder on the blocking pool, all of
/// them within one bound (`entries`, `time`). The runtime never waits for
/// the disk: past the bound (a stuck network mount) the folders say "walk
/// cut", and no new walk starts while an old one still runs.
pub(crate) async fn walk_all(
    roots: Vec<PathBuf>,
    walking: &Arc<AtomicBool>,
    entries: usize,
    time: Duration,
) -> Vec<Conflicts> {
    let cut = vec![Conflicts { n: 0, cut: true }; roots.len()];
    if roots.is_empty() || walking.swap(true, Ordering::AcqRel) {
        return cut;
    }
    let flag = walking.clone();
    let job = tokio::task::spawn_blocking(move || {
        let mut walk = Walk::new(entries, time);
        let out: Vec<Conflicts> = roots.iter().map(|r| count_conflicts(r, &mut walk)).collect();
        flag.store(false, Ordering::Release);
        out
    });
    match tokio::time::timeout(time + Duration::from_secs(1), job).await {
        Ok(Ok(out)) => out,
        _ => cut,
    }
}

/// `*.sync-conflict-*` files under `root`, within what `walk` allows.
pub(crate) fn count_conflicts(root: &Path, walk: &mut Walk) -> Conflicts {
    let mut stack = vec![root.to_path_buf()];
    let mut n = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            if !walk.take() {
                return Conflicts { n, cut: true };
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
    Conflicts { n, cut: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 40 directories of 500 files, 3 conflict files among them.
    fn big_tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for d in 0..40 {
            let sub = dir.path().join(format!("d{d}"));
            std::fs::create_dir(&sub).unwrap();
            for f in 0..500 {
                std::fs::write(sub.join(format!("f{f}.txt")), "").unwrap();
            }
        }
        for name in [
            "d1/a.sync-conflict-20260101-120000-ABCDEFG.txt",
            "d7/b.sync-conflict-20260101-120000-ABCDEFG",
            "c.sync-conflict-20260101-120000-ABCDEFG.md",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        dir
    }

    #[test]
    fn the_walk_is_bounded_by_entries_and_time() {
        let tree = big_tree();
        let all = count_conflicts(tree.path(), &mut Walk::new(WALK_MAX, WALK_TIME));
        assert_eq!(all, Conflicts { n: 3, cut: false });
        let mut small = Walk::new(1000, WALK_TIME);
        let c = count_conflicts(tree.path(), &mut small);
        assert!(c.cut && c.n <= 3, "{c:?}");
        assert_eq!(small.left, 0, "no entry past the bound");
        // The budget is one for the whole poll: a second folder gets none.
        assert_eq!(count_conflicts(tree.path(), &mut small), Conflicts { n: 0, cut: true });
        let c = count_conflicts(tree.path(), &mut Walk::new(WALK_MAX, Duration::ZERO));
        assert_eq!(c, Conflicts { n: 0, cut: true }, "no time left: nothing walked");
    }

    /// On a runtime with one thread, a walk of a big tree leaves the other
    /// tasks running (a ticker keeps ticking), and no second walk starts
    /// while one runs.
    #[tokio::test(flavor = "current_thread")]
    async fn a_walk_never_stalls_the_runtime() {
        let tree = big_tree();
        let roots = vec![tree.path().to_path_buf(); 50];
        let walking = Arc::new(AtomicBool::new(false));
        let ticks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let t2 = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                t2.fetch_add(1, Ordering::Relaxed);
            }
        });
        let start = Instant::now();
        let (out, second) = tokio::join!(
            walk_all(roots.clone(), &walking, usize::MAX, Duration::from_millis(40)),
            async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                walk_all(roots.clone(), &walking, usize::MAX, Duration::from_millis(40)).await
            }
        );
        let took = start.elapsed();
        ticker.abort();
        assert!(took < Duration::from_secs(5), "the walk stops at its bound: {took:?}");
        assert!(
            ticks.load(Ordering::Relaxed) >= 5,
            "the runtime ran other tasks during the walk"
        );
        assert_eq!(out.len(), 50);
        assert!(
            out.iter().any(|c| c.cut),
            "50 x 20,000 entries do not fit in 40 ms: {out:?}"
        );
        assert!(second.iter().all(|c| c.cut && c.n == 0), "no second walk at once");
        assert!(!walking.load(Ordering::Acquire), "the walk is over");
    }
}
