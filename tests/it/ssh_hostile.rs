//! The SSH source against what a watched host's users, or a stale
//! known_hosts, can throw at it, on a real OpenSSH `sshd` on loopback (this
//! machine plays the host): a process named like a probe section, login
//! shells that are not POSIX, host keys of another type, revoked keys and
//! hashed known_hosts files.

use crate::common;

use common::free_port;
use common::sshd::*;
use fleettop::parse::proc::parse_pid_stat;
use fleettop::update::SourceError;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Processes whose name (`/proc/PID/stat`'s comm: the executable's file
/// name, at most 15 bytes) is chosen by an unprivileged user: copies of
/// `sleep` with those file names. Killed (by pid) when dropped.
struct Planted(Vec<Child>);

impl Planted {
    fn start(dir: &Path, names: &[&str]) -> Planted {
        let sleep = ["/usr/bin/sleep", "/bin/sleep"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .expect("sleep");
        let children = names
            .iter()
            .map(|name| {
                assert!(name.len() <= 15, "the kernel keeps 15 bytes: {name:?}");
                let path = dir.join(name);
                std::fs::copy(sleep, &path).unwrap();
                let child = Command::new(&path).arg("300").spawn().unwrap();
                // The kernel names the process a moment after the exec
                // let the parent go on.
                let want = format!("{name}\n");
                let named = (0..200).any(|_| {
                    std::thread::sleep(Duration::from_millis(10));
                    std::fs::read(format!("/proc/{}/comm", child.id())).is_ok_and(|c| c == want.as_bytes())
                });
                assert!(named, "{name:?} planted as named");
                child
            })
            .collect();
        Planted(children)
    }
}

impl Drop for Planted {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// pid → start time of this machine's processes that are not kernel
/// threads (what the source lists), read from /proc here.
fn user_processes() -> HashMap<u32, u64> {
    let mut out = HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        // Numbers only: /proc/thread-self is a thread of this one.
        if e.file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            && let Ok(text) = std::fs::read_to_string(e.path().join("stat"))
            && let Some(s) = parse_pid_stat(&text).value
            && !s.is_kernel_thread()
        {
            out.insert(s.pid, s.start_ticks);
        }
    }
    out
}

fn mounts(s: &fleettop::model::HostSample) -> Vec<(String, String)> {
    s.disks.iter().map(|d| (d.device.clone(), d.mount.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_named_like_a_section_changes_nothing_else() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let port = free_port();
    let _sshd = Sshd::start(&keys, port, "plant");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let mut rx = spawn(&host_toml("planted", port, &keys, &kh, ""));
    let before = wait_for(&mut rx, "planted", |r| r.is_ok()).await.unwrap();
    assert!(!before.disks.is_empty() && !before.os.is_empty(), "{before:?}");

    // A fake `df` section, a fake end, and a name that fakes the end of its
    // own record and the start of another.
    let names = ["\n@@fleettop df\n", "\n@@fleettop end", ") R 1 2 3\n9 (x"];
    let planted = Planted::start(keys.dir.path(), &names);
    let s0 = user_processes();
    // The first sample after planting may come from a poll begun before it.
    wait_for(&mut rx, "planted", |r| r.is_ok()).await.unwrap();
    let after = wait_for(&mut rx, "planted", |r| r.is_ok()).await.unwrap();
    let s1 = user_processes();

    assert_eq!(after.parse_errors, 0);
    assert_eq!(mounts(&after), mounts(&before), "disks unchanged");
    assert_eq!((&after.os, &after.kernel), (&before.os, &before.kernel));
    for (child, name) in planted.0.iter().zip(names) {
        let p = after
            .processes
            .iter()
            .find(|p| p.pid == child.id())
            .unwrap_or_else(|| panic!("{name:?} listed"));
        let visible = name.trim_matches('\n');
        assert!(
            p.name.contains(visible.split('\n').next().unwrap()),
            "{name:?} shown as {:?}",
            p.name
        );
        assert!(!p.name.contains('\n'), "{:?}", p.name);
    }
    // Process count: every process that lived through the poll is listed
    // (the spoof lost every process after the planted one), and no more
    // than lived during it.
    let lived: HashSet<u32> = s0
        .iter()
        .filter(|(pid, start)| s1.get(pid) == Some(start))
        .map(|(pid, _)| *pid)
        .collect();
    let listed: HashSet<u32> = after.processes.iter().map(|p| p.pid).collect();
    let lost: Vec<&u32> = lived.difference(&listed).collect();
    assert!(lost.is_empty(), "not listed: {lost:?}");
    let any: HashSet<u32> = s0.keys().chain(s1.keys()).copied().collect();
    assert!(
        after.processes.len() <= any.len() + 30,
        "{} listed, {} here",
        after.processes.len(),
        any.len()
    );
    eprintln!(
        "planted: {} processes listed, {} lived through the poll, {} disks as before",
        after.processes.len(),
        lived.len(),
        after.disks.len()
    );
}

/// A throwaway user with login shell `shell`, deleted when dropped (after
/// the sshd, and so its sessions, are gone: declare it first).
struct ShellUser(String);

impl ShellUser {
    fn new(name: &str, shell: &str, home: &Path) -> ShellUser {
        let _ = Command::new("userdel").arg(name).stderr(Stdio::null()).status();
        // `-p '*'`: no password, and not locked (sshd refuses a locked
        // account even a key).
        let st = Command::new("useradd")
            .args(["-M", "-p", "*", "-s", shell, "-d"])
            .arg(home)
            .arg(name)
            .status()
            .unwrap();
        assert!(st.success(), "useradd {name}");
        ShellUser(name.to_string())
    }
}

impl Drop for ShellUser {
    fn drop(&mut self) {
        for _ in 0..20 {
            let ok = Command::new("userdel")
                .arg(&self.0)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        eprintln!("could not remove user {}", self.0);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// What `command` run as `login` with the OpenSSH client prints.
fn ssh_run(keys: &Keys, port: u16, known_hosts: &Path, login: &str, command: &str) -> String {
    let out = Command::new("ssh")
        .args(["-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .arg("-i")
        .arg(keys.path("client_key"))
        .args(["-p", &port.to_string(), &format!("{login}@127.0.0.1"), command])
        .stdin(Stdio::null())
        .output()
        .expect("the OpenSSH client");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_runs_under_sh_whatever_the_login_shell() {
    if missing() {
        return;
    }
    let shells = ["/usr/bin/fish", "/usr/bin/zsh"];
    if !(common::needs(is_root(), "not root: cannot make users") && shells.iter().all(|s| common::require(s))) {
        return;
    }
    let keys = Keys::new();
    // sshd reads authorized_keys as the user logging in.
    use std::os::unix::fs::PermissionsExt;
    let readable = std::fs::Permissions::from_mode;
    std::fs::set_permissions(keys.dir.path(), readable(0o755)).unwrap();
    std::fs::set_permissions(keys.path("authorized_keys"), readable(0o644)).unwrap();
    let users: Vec<ShellUser> = shells
        .iter()
        .map(|sh| {
            let name = format!("ft-{}-{}", &sh[9..], std::process::id());
            ShellUser::new(&name, sh, &keys.home())
        })
        .collect();
    let port = free_port();
    let _sshd = Sshd::start(&keys, port, "shells");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    for (user, shell) in users.iter().zip(shells) {
        // The control: this login shell is not POSIX sh (a function
        // definition, as the probe has, does not run as a command line);
        // fish rejects it, zsh stops at a glob with no match.
        let posix_only = "p() { echo ok; }; p; for f in /nonexistent/*/x; do :; done; echo done";
        assert_eq!(ssh_run(&keys, port, &kh, &user.0, "echo in"), "in\n", "{shell} logs in");
        let out = ssh_run(&keys, port, &kh, &user.0, posix_only);
        assert_ne!(out, "ok\ndone\n", "{shell} runs POSIX sh?");
        let toml = host_toml_as(&user.0, &user.0, port, &keys, &kh, "");
        let handles = fleettop::sources::Handles::default();
        let mut rx = spawn_with(&toml, &handles);
        let s = wait_for(&mut rx, &user.0, |r| r.is_ok()).await.unwrap();
        assert_eq!(s.parse_errors, 0, "{shell}");
        assert!(!s.disks.is_empty() && !s.os.is_empty(), "{shell}: {s:?}");
        assert!(s.processes.iter().any(|p| &*p.user == user.0.as_str()), "{shell}");
        // Other sources' scripts on the same connection: under sh too, the
        // script and its values literal (fish reads `\\` in quotes as `\`).
        let script = r#"IFS= read -r a; printf '%s|%s\n' "$a" 'back\\slash'; home_path "~/x""#;
        let value = "it's $(x) `y` \\z";
        let out = handles
            .ssh
            .run(&user.0, script, &[value], 4096, Duration::from_secs(20))
            .await
            .unwrap();
        let home = keys.home().display().to_string();
        assert_eq!(out.text, format!("{value}|back\\\\slash\n{home}/x\n"), "{shell}");
    }
}

// ------------------------------------------------------------- host keys

/// A known_hosts file `name` holding `text`.
fn known_hosts(keys: &Keys, name: &str, text: &str) -> PathBuf {
    let path = keys.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learning_never_replaces_a_key_nor_learns_a_revoked_one() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    keygen_type(&keys.path("rsa_host_key"), "rsa");
    let port = free_port();
    // A host that offers only an RSA key.
    let sshd = Sshd::start_keyed(&keys, port, "rsa", "rsa_host_key", "");
    let offered = fingerprint(&keys.path("rsa_host_key.pub"));
    let host = format!("[127.0.0.1]:{port}");
    let cases = [
        // Recorded with ed25519: russh calls a key of another type unknown.
        ("other-type", keys.known_line(port, "host_key"), "host key changed"),
        (
            "revoked",
            format!("@revoked {}", keys.known_line(port, "rsa_host_key")),
            "host key revoked",
        ),
        (
            "only-revoked",
            format!("@revoked {}", keys.known_line(port, "other_key")),
            "only revoked keys",
        ),
        (
            "cert-authority",
            format!("@cert-authority {host} {}\n", keys.public("other_key")),
            "certificate authority",
        ),
    ];
    for (name, text, words) in cases {
        let kh = known_hosts(&keys, name, &text);
        let mut rx = spawn(&host_toml(name, port, &keys, &kh, "accept_new_host_keys = true"));
        let e = wait_for(&mut rx, name, |r| r.is_err()).await.unwrap_err();
        let SourceError::Auth(why) = e else {
            panic!("{name}: {e:?}")
        };
        assert!(why.contains(words) && why.contains(&offered), "{name}: {why}");
        assert_eq!(std::fs::read_to_string(&kh).unwrap(), text, "{name}: nothing written");
    }
    no_auth_attempt(&sshd.log_text());

    // A file that hashes its names (ssh-keygen -H): the learned line is
    // hashed too, and OpenSSH finds it.
    let kh = known_hosts(&keys, "hashed", &keys.known_line(1, "other_key"));
    let hash = |path: &Path| {
        let st = Command::new(KEYGEN).arg("-H").arg("-f").arg(path).output().unwrap();
        assert!(st.status.success());
    };
    hash(&kh);
    let mut rx = spawn(&host_toml("hashed", port, &keys, &kh, "accept_new_host_keys = true"));
    wait_for(&mut rx, "hashed", |r| r.is_ok()).await.unwrap();
    drop(rx);
    let text = std::fs::read_to_string(&kh).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].starts_with("|1|") && !text.contains("127.0.0.1"), "{text}");
    let found = Command::new(KEYGEN)
        .args(["-F", &host, "-f"])
        .arg(&kh)
        .output()
        .unwrap();
    let found = String::from_utf8_lossy(&found.stdout);
    assert!(found.contains(&keys.public("rsa_host_key")), "ssh-keygen -F: {found}");

    // A host recorded by OpenSSH, hashed: known without learning.
    let kh = known_hosts(&keys, "hashed-known", &keys.known_line(port, "rsa_host_key"));
    hash(&kh);
    let mut rx = spawn(&host_toml("hashed-known", port, &keys, &kh, ""));
    wait_for(&mut rx, "hashed-known", |r| r.is_ok()).await.unwrap();
    drop(rx);

    // No file yet: made with mode 0600.
    use std::os::unix::fs::PermissionsExt;
    let kh = keys.path("new/known_hosts");
    let mut rx = spawn(&host_toml("new-file", port, &keys, &kh, "accept_new_host_keys = true"));
    wait_for(&mut rx, "new-file", |r| r.is_ok()).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&kh).unwrap(),
        keys.known_line(port, "rsa_host_key")
    );
    assert_eq!(std::fs::metadata(&kh).unwrap().permissions().mode() & 0o777, 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_not_framed_by_the_polls_marker_is_garbled_not_believed() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let port = free_port();
    // A host that answers every poll with a whole, well-formed probe output
    // framed by a marker it knows (the captured fixture): a replay.
    let fixture = format!(
        "{}/tests/fixtures/probe/debian-container-x86_64.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let _sshd = Sshd::start_with(&keys, port, "replay", &format!("ForceCommand cat {fixture}"));
    let kh = known_hosts(&keys, "known_hosts", &keys.known_line(port, "host_key"));
    let toml = host_toml("replay", port, &keys, &kh, "");
    let mut rx = spawn(&toml);
    let e = wait_for(&mut rx, "replay", |r| r.is_err()).await.unwrap_err();
    assert!(
        matches!(&e, SourceError::Other(w) if w.starts_with("garbled probe output")),
        "{e:?}"
    );
    // No sample ever: every poll is garbled, and the row says so.
    for _ in 0..3 {
        let r = wait_for(&mut rx, "replay", |_| true).await;
        assert_eq!(r.as_ref().map(|_| ()), Err(&e));
    }
    let store = common::sshd::store_with(&toml, "replay", Err(e), 1000);
    let words = fleettop::ui::host::collector_words(store.host("replay").unwrap(), 1000, "|");
    assert!(words.contains("last error: garbled probe output"), "{words}");
}
