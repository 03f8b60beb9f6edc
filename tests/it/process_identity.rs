//! A process check that names a user and an executable is not fooled by a
//! process of the same name: two real processes share a command line, one
//! `/usr/bin/sleep` run as `nobody`, one a copy of `sleep` named
//! `fleet-scout` run as this user. Checked locally (/proc) and over the
//! real test sshd (the remote script's uid column and `/proc/PID/exe`).

use crate::common;

use common::free_port;
use common::sshd::{Keys, Sshd, host_toml, missing, user};
use fleettop::config::{Config, parse_str};
use fleettop::sources::services::files;
use fleettop::sources::{self, Ctx};
use fleettop::update::Update;
use fleettop::update::{services::Health, services::Row, services::ServiceUpdate};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command};

use std::time::Duration;
use tokio::sync::mpsc;

/// The two processes; killed when dropped.
struct Pair {
    _dir: tempfile::TempDir,
    theirs: Child,
    mine: Child,
    unique: String,
    sleep_exe: PathBuf,
    copy_exe: PathBuf,
}

impl Drop for Pair {
    fn drop(&mut self) {
        for c in [&mut self.theirs, &mut self.mine] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Whether `pid` runs `exe` yet (setpriv has exec'd sleep).
fn runs(pid: u32, exe: &std::path::Path) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == exe)
}

/// None (a skip) when this user cannot start a process as another.
fn pair() -> Option<Pair> {
    if !common::needs(user() == "root", "not root: cannot run a process as nobody") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let sleep_exe = std::fs::canonicalize("/bin/sleep").unwrap();
    let copy_exe = dir.path().join("fleet-scout");
    std::fs::copy(&sleep_exe, &copy_exe).unwrap();
    // A duration no other run (nor the other test here) has, on both
    // command lines.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let unique = format!("5{}{n}.25", std::process::id());
    let theirs = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(&sleep_exe)
        .arg(&unique)
        .spawn()
        .expect("setpriv");
    let mine = Command::new(&copy_exe).arg(&unique).spawn().unwrap();
    for _ in 0..200 {
        if runs(theirs.id(), &sleep_exe) && runs(mine.id(), &copy_exe) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(Pair {
        _dir: dir,
        theirs,
        mine,
        unique,
        sleep_exe,
        copy_exe,
    })
}

/// Five checks on the pair's command line, on `host` (none: local).
fn checks(p: &Pair, host: Option<&str>) -> String {
    let host = host.map(|h| format!("host = \"{h}\"\n")).unwrap_or_default();
    let me = user();
    let (sleep, copy) = (p.sleep_exe.display(), p.copy_exe.display());
    [
        ("name", String::new()),
        ("nobody", "user = \"nobody\"\n".to_string()),
        ("me-sleep", format!("user = \"{me}\"\nexe = \"{sleep}\"\n")),
        ("copy", format!("exe = \"{copy}\"\n")),
        ("nobody-sleep", format!("user = \"nobody\"\nexe = \"{sleep}\"\n")),
        ("ghost", "user = \"no-such-user-fleettop\"\n".to_string()),
    ]
    .iter()
    .map(|(name, extra)| {
        format!(
            "[[services.process]]\nname = \"{name}\"\n{host}pattern = \"{}\"\ninterval = \"1s\"\n{extra}\n",
            p.unique
        )
    })
    .collect()
}

/// What the rows must say.
fn assert_rows(p: &Pair, rows: &HashMap<String, Row>) {
    let (theirs, mine) = (p.theirs.id(), p.mine.id());
    let get = |k: &str| {
        let r = &rows[&format!("process:{k}")];
        (r.health, r.detail.clone())
    };
    assert_eq!(
        get("name"),
        (Health::Ok, format!("2 processes (pid {}, …)", theirs.min(mine)))
    );
    assert_eq!(
        get("nobody"),
        (Health::Ok, format!("1 process (pid {theirs}) (1 more by name only)"))
    );
    let (h, d) = get("me-sleep");
    assert_eq!(h, Health::Error, "{d}");
    assert!(
        d.ends_with(&format!(": 2 by name only (pid {})", theirs.min(mine))),
        "{d}"
    );
    assert_eq!(
        get("copy"),
        (Health::Ok, format!("1 process (pid {mine}) (1 more by name only)"))
    );
    assert_eq!(
        get("nobody-sleep"),
        (Health::Ok, format!("1 process (pid {theirs}) (1 more by name only)"))
    );
    assert_eq!(
        get("ghost"),
        (Health::Error, "no user \"no-such-user-fleettop\" on this host".into())
    );
}

#[test]
fn local_checks_tell_the_user_and_the_executable() {
    let Some(p) = pair() else { return };
    let cfg: Config = parse_str(&checks(&p, None), "t").unwrap();
    let rows: HashMap<String, Row> = cfg
        .services
        .process
        .iter()
        .map(|c| {
            let r = files::process(c, std::path::Path::new("/proc"));
            (r.key.clone(), r)
        })
        .collect();
    assert_rows(&p, &rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_checks_tell_the_user_and_the_executable() {
    // Its sources find a connection by a name (in the library's process-wide
    // links) that another module's test also uses.
    if missing() {
        return;
    }
    let Some(p) = pair() else { return };
    let keys = Keys::new();
    let port = free_port();
    let _sshd = Sshd::start(&keys, port, "ident");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let toml = host_toml("box", port, &keys, &kh, "") + &checks(&p, Some("box"));
    let config = parse_str(&toml, "ident.toml").unwrap_or_else(|e| panic!("{e:?}"));
    let (tx, mut rx) = mpsc::channel(256);
    let ctx = Ctx::new(tx);
    sources::spawn_all(&config, &ctx);
    let mut rows: HashMap<String, Row> = HashMap::new();
    let end = tokio::time::Instant::now() + Duration::from_secs(60);
    while rows.len() < 6 || rows.values().any(|r| r.detail.starts_with("no SSH connection")) {
        let u = tokio::time::timeout_at(end, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("not there within a minute: {rows:#?}"))
            .unwrap();
        if let Update::Services(ServiceUpdate::Result(r)) = u
            && r.key.starts_with("process:")
        {
            rows.insert(r.key.clone(), *r);
        }
    }
    assert_rows(&p, &rows);
}
