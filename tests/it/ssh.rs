//! The SSH source against a real OpenSSH `sshd` on loopback ports, with a
//! throwaway host key and client key; the probe parser on captured output.

use crate::common;
use fleettop::model::HostState;
use fleettop::parse::probe;
use fleettop::sources::ssh::Tracker;
use fleettop::ui::host::collector_words;
use fleettop::update::{SourceError, Update};

use common::free_port;
use common::sshd::*;
use std::process::Command;
use std::time::Duration;

/// The marker of the captured fixture and of the hand-written outputs.
const M: &str = "@@fleettop";

fn local_meminfo_total() -> u64 {
    let t = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = t.lines().find(|l| l.starts_with("MemTotal:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

fn local_cores() -> usize {
    let t = std::fs::read_to_string("/proc/stat").unwrap();
    t.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_online_with_this_machines_numbers() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let (pa, pb) = (free_port(), free_port());
    let a = Sshd::start(&keys, pa, "a");
    let b = Sshd::start(&keys, pb, "b");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(pa, "host_key") + &keys.known_line(pb, "host_key")).unwrap();
    let toml = host_toml("alpha", pa, &keys, &kh, "") + &host_toml("beta", pb, &keys, &kh, "");
    let mut rx = spawn(&toml);
    for (name, sshd) in [("alpha", &a), ("beta", &b)] {
        let s = wait_for(&mut rx, name, |r| r.is_ok()).await.unwrap();
        assert_eq!(s.mem_total_bytes, local_meminfo_total(), "{name}");
        assert_eq!(s.per_core.len(), local_cores(), "{name}");
        assert!(s.uptime_s > 0);
        assert!(s.kernel.len() > 1);
        assert!(s.poll_rtt_ms.is_some());
        assert!(!s.disks.is_empty(), "{name}: df gave no disks");
        assert!(!s.interfaces.is_empty(), "{name}: no interfaces");
        assert_eq!(s.parse_errors, 0, "{name}");
        // The listener itself is in the remote process list, with its user.
        let me = s
            .processes
            .iter()
            .find(|p| p.pid == sshd.child.id())
            .expect("sshd in the list");
        assert_eq!(&*me.user, user());
        assert!(
            s.sessions.iter().any(|(pat, n)| pat == "sshd" && *n >= 1),
            "{:?}",
            s.sessions
        );
        // The log shows authentication when there is some (the control for
        // `no_auth_attempt` below).
        let log = sshd.log_text();
        assert!(
            log.contains("Accepted publickey") && log.contains("userauth-request"),
            "{name}"
        );
    }
    // The next sample has CPU use from a difference: within bounds.
    let s = wait_for(&mut rx, "alpha", |r| r.is_ok()).await.unwrap();
    assert!((0.0..=100.0).contains(&s.cpu_pct), "{}", s.cpu_pct);
    let at = s.at;
    let store = store_with(&toml, "alpha", Ok(s), at);
    let h = store.host("alpha").unwrap();
    assert_eq!(h.state(at), HostState::Online);
    let words = collector_words(h, at + 2000, "|");
    assert!(words.contains("rtt ") && words.contains("sample 2s old"), "{words}");
    // One connection, reused: a single accepted login per sshd so far.
    assert_eq!(
        a.log_text().matches("Accepted publickey").count(),
        1,
        "{}",
        a.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_and_unknown_host_keys_are_auth_errors_without_authentication() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let port = free_port();
    let sshd = Sshd::start(&keys, port, "k");
    let offered = fingerprint(&keys.path("host_key.pub"));
    assert!(offered.starts_with("SHA256:"));

    let wrong = keys.path("known_hosts_wrong");
    std::fs::write(&wrong, keys.known_line(port, "other_key")).unwrap();
    let mut rx = spawn(&host_toml("changed", port, &keys, &wrong, ""));
    let e = wait_for(&mut rx, "changed", |r| r.is_err()).await.unwrap_err();
    let store = store_with(
        &host_toml("changed", port, &keys, &wrong, ""),
        "changed",
        Err(e.clone()),
        1000,
    );
    let h = store.host("changed").unwrap();
    assert_eq!(h.state(1000), HostState::AuthError);
    assert!(collector_words(h, 1000, "|").contains(&offered));
    let SourceError::Auth(why) = e else { panic!("{e:?}") };
    assert!(why.contains("changed") && why.contains(&offered), "{why}");
    drop(rx);

    let empty = keys.path("known_hosts_empty");
    std::fs::write(&empty, "").unwrap();
    let mut rx = spawn(&host_toml("unknown", port, &keys, &empty, ""));
    let e = wait_for(&mut rx, "unknown", |r| r.is_err()).await.unwrap_err();
    let SourceError::Auth(why) = e else { panic!("{e:?}") };
    assert!(why.contains("unknown") && why.contains(&offered), "{why}");
    drop(rx);
    no_auth_attempt(&sshd.log_text());

    // accept_new_host_keys records a new key and logs in...
    let mut rx = spawn(&host_toml("learns", port, &keys, &empty, "accept_new_host_keys = true"));
    wait_for(&mut rx, "learns", |r| r.is_ok()).await.unwrap();
    let recorded = std::fs::read_to_string(&empty).unwrap();
    assert!(recorded.contains(&keys.public("host_key")), "{recorded}");
    drop(rx);
    // ...but never replaces a changed one.
    let before = std::fs::read_to_string(&wrong).unwrap();
    let mut rx = spawn(&host_toml(
        "still-changed",
        port,
        &keys,
        &wrong,
        "accept_new_host_keys = true",
    ));
    let e = wait_for(&mut rx, "still-changed", |r| r.is_err()).await.unwrap_err();
    assert!(matches!(&e, SourceError::Auth(w) if w.contains("changed")), "{e:?}");
    assert_eq!(std::fs::read_to_string(&wrong).unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sshd_stopped_goes_offline_and_comes_back() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let port = free_port();
    let mut sshd = Sshd::start(&keys, port, "r");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let mut rx = spawn(&host_toml("flaky", port, &keys, &kh, ""));
    wait_for(&mut rx, "flaky", |r| r.is_ok()).await.unwrap();
    sshd.kill();
    let e = wait_for(&mut rx, "flaky", |r| r.is_err()).await.unwrap_err();
    assert!(matches!(e, SourceError::Unreachable(_)), "{e:?}");
    let _sshd = Sshd::start(&keys, port, "r2");
    wait_for(&mut rx, "flaky", |r| r.is_ok()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_port_is_offline_with_the_reason() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let port = free_port();
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, "").unwrap();
    let mut rx = spawn(&host_toml("nobody-home", port, &keys, &kh, ""));
    let e = wait_for(&mut rx, "nobody-home", |r| r.is_err()).await.unwrap_err();
    assert_eq!(e, SourceError::Unreachable("connection refused".into()));
    let toml = host_toml("nobody-home", port, &keys, &kh, "");
    let store = store_with(&toml, "nobody-home", Err(e), 1000);
    let h = store.host("nobody-home").unwrap();
    assert_eq!(h.state(1000), HostState::Offline);
    assert!(collector_words(h, 1000, "|").contains("last error: connection refused"));
}

// ------------------------------------------------------------ the parser

fn fixture() -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/probe/debian-container-x86_64.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn captured_probe_parses_whole() {
    let p = probe::parse(&fixture(), M);
    assert_eq!(p.errors, 0, "{:?}", p.first_error);
    let v = &p.value;
    assert!(v.complete);
    assert_eq!(v.system, "Linux");
    assert_eq!(v.stat.as_ref().unwrap().cores.len(), 2);
    assert!(v.mem.unwrap().total_bytes > 0);
    assert!(v.procs.len() > 10);
    assert!(v.procs.iter().all(|p| v.uids.contains_key(&p.pid) || p.pid > 0));
    assert_eq!(v.users.get(&0).map(String::as_str), Some("root"));
    assert!(v.disks.iter().any(|d| d.mount == "/"));
    assert!(v.interfaces.iter().any(|i| i.name == "lo"));
    assert_eq!(v.page_size, Some(4096));
}

#[test]
fn probe_run_here_agrees_with_proc() {
    use std::io::Write;
    let marker = probe::marker();
    let mut sh = Command::new("sh")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    sh.stdin
        .take()
        .unwrap()
        .write_all(probe::stdin(&marker, false).as_bytes())
        .unwrap();
    let out = sh.wait_with_output().unwrap();
    let p = probe::parse(&String::from_utf8_lossy(&out.stdout), &marker);
    assert!(p.value.complete);
    assert_eq!(p.value.garbled, None);
    assert_eq!(p.value.mem.unwrap().total_bytes, local_meminfo_total());
    assert_eq!(p.value.stat.unwrap().cores.len(), local_cores());
    let me = std::process::id();
    assert!(p.value.procs.iter().any(|s| s.pid == me));
}

#[test]
fn every_prefix_parses_and_a_cut_one_says_so() {
    let text = fixture();
    let mut cut = 0;
    for end in (0..text.len()).step_by(97).filter(|e| text.is_char_boundary(*e)) {
        let p = probe::parse(&text[..end], M);
        if end > 0 && !p.value.complete {
            assert!(p.errors > 0, "prefix {end}");
            cut += 1;
        }
    }
    assert!(cut > 100);
}

#[test]
fn garbled_sections_are_counted_and_the_rest_used() {
    let text = fixture();
    let i = text.find("@@fleettop meminfo\n").unwrap() + "@@fleettop meminfo\n".len();
    let garbled = format!(
        "{}MemTotal: lots\n\u{1b}[31mgarbage\n{}",
        &text[..i],
        &text[text.find("@@fleettop loadavg").unwrap()..]
    );
    let p = probe::parse(&garbled, M);
    assert!(p.errors >= 1);
    assert!(p.value.mem.is_none());
    assert!(p.value.stat.is_some() && !p.value.procs.is_empty());
    // Without memory the sample still has CPU and processes.
    let s = Tracker::new(vec![]).sample(p.value, p.errors, 0, true).unwrap();
    assert_eq!(s.mem_total_bytes, 0);
    assert!(!s.processes.is_empty());
}

#[test]
fn cpu_use_comes_from_the_difference_of_two_probes() {
    let first = "@@fleettop uname\nLinux\n6.1\n@@fleettop stat\ncpu 100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n\
                 @@fleettop pids\n42 (worker) R 1 42 42 0 -1 4194304 0 0 0 0 100 0 0 0 20 0 1 0 500 1000 10 0\n@@fleettop end\n";
    let second = "@@fleettop uname\nLinux\n6.1\n@@fleettop stat\ncpu 200 0 200 1000 0 0 0 0 0 0\ncpu0 150 0 50 400 0 0 0 0 0 0\ncpu1 50 0 150 500 0 0 0 0 0 0\n\
                  @@fleettop pids\n42 (worker) R 1 42 42 0 -1 4194304 0 0 0 0 150 0 0 0 20 0 1 0 500 1000 10 0\n@@fleettop end\n";
    let mut t = Tracker::new(vec!["work".into()]);
    let s0 = t.sample(probe::parse(first, M).value, 0, 0, true).unwrap();
    assert_eq!(s0.cpu_pct, 0.0);
    let s1 = t.sample(probe::parse(second, M).value, 0, 1, true).unwrap();
    // 200 busy of 400 ticks; core 0 all busy, core 1 half; the worker used
    // 50 ticks of the 200 per core that passed.
    assert!((s1.cpu_pct - 50.0).abs() < 0.01, "{}", s1.cpu_pct);
    assert!(
        (s1.per_core[0] - 100.0).abs() < 0.01 && (s1.per_core[1] - 50.0).abs() < 0.01,
        "{:?}",
        s1.per_core
    );
    assert!(
        (s1.processes[0].cpu_pct - 25.0).abs() < 0.01,
        "{}",
        s1.processes[0].cpu_pct
    );
    assert_eq!(s1.sessions, vec![("work".to_string(), 1)]);
}

#[test]
fn the_probe_is_fixed() {
    // Nothing from a config or a host goes into the script; the command
    // line is the same for every login shell.
    assert_eq!(probe::EXEC, "exec sh");
    assert!(probe::COMMAND.contains("echo \"$M end\"\n}\n"));
    assert!(probe::COMMAND.ends_with("$q </dev/null | dd obs=65536 2>/dev/null; else $q </dev/null; fi\n"));
    // The Linux probe `p`, or on a Mac the Darwin one `d`, chosen on the host.
    assert!(probe::COMMAND.contains("case $(uname -s 2>/dev/null) in Darwin) q=d;; *) q=p;; esac\n"));
    assert!(probe::COMMAND_GPU.contains("nvidia-smi -q -x"));
    assert!(!probe::COMMAND.contains("nvidia"));
}

// ------------------------------------------------ the shared connection

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sources_run_fixed_scripts_on_the_hosts_one_connection() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let port = free_port();
    let sshd = Sshd::start(&keys, port, "share");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let handles = fleettop::sources::Handles::default();
    let mut rx = spawn_with(&host_toml("shared", port, &keys, &kh, ""), &handles);
    let links = &handles.ssh;
    // Before the first connect the call waits for it (bounded).
    let script = r#"IFS= read -r a; IFS= read -r b; printf '%s|%s' "$a" "$b""#;
    let hostile = "it's $(touch /tmp/fleettop-pwned) `id` ; \"x\"";
    let out = links
        .run(
            "shared",
            script,
            &[hostile, "two  words"],
            1 << 20,
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    assert_eq!(out.text, format!("{hostile}|two  words"), "arguments arrive literally");
    assert!(!std::path::Path::new("/tmp/fleettop-pwned").exists());
    assert_eq!(out.exit_status, Some(0));
    wait_for(&mut rx, "shared", |r| r.is_ok()).await.unwrap();
    // Many at once share the connection: still one login.
    let runs = (0..12).map(|i| {
        let n = i.to_string();
        async move {
            links
                .run(
                    "shared",
                    "IFS= read -r n; echo \"n=$n\"",
                    &[&n],
                    1024,
                    Duration::from_secs(20),
                )
                .await
                .map(|o| o.text == format!("n={n}\n"))
        }
    });
    let all = futures_util::future::join_all(runs).await;
    assert!(all.iter().all(|r| r == &Ok(true)), "{all:?}");
    assert_eq!(sshd.log_text().matches("Accepted publickey").count(), 1);
    // A value with a line break never reaches the host.
    let e = links
        .run("shared", "cat", &["a\nrm -rf /"], 1024, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(e.contains("line break"), "{e}");
    // Megabytes are cut at the bound; a hung script ends at the deadline.
    let big = links
        .run(
            "shared",
            "head -c 20000000 /dev/zero",
            &[],
            1 << 20,
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    assert!(big.cut && big.text.len() == 1 << 20, "{} {}", big.cut, big.text.len());
    let started = std::time::Instant::now();
    let e = links
        .run("shared", "sleep 30", &[], 1024, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(e.contains("no answer within 1s"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // An unknown host says so.
    let e = links
        .run("nowhere", "true", &[], 1024, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(e.contains("no SSH connection to nowhere"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_printing_megabytes_or_hanging_is_said_and_nobody_waits_on_it() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let (p_ok, p_flood, p_hung) = (free_port(), free_port(), free_port());
    let _ok = Sshd::start(&keys, p_ok, "fine");
    // Real sshd, told to run something else than the probe: a host whose
    // shell prints without end, and one whose probe never returns.
    let _flood = Sshd::start_with(&keys, p_flood, "flood", "ForceCommand yes fleettop-flood");
    let _hung = Sshd::start_with(&keys, p_hung, "hung", "ForceCommand sleep 600");
    let kh = keys.path("known_hosts");
    std::fs::write(
        &kh,
        keys.known_line(p_ok, "host_key")
            + &keys.known_line(p_flood, "host_key")
            + &keys.known_line(p_hung, "host_key"),
    )
    .unwrap();
    let toml = host_toml("fine", p_ok, &keys, &kh, "")
        + &host_toml("flood", p_flood, &keys, &kh, "")
        + &host_toml("hung", p_hung, &keys, &kh, "");
    let mut rx = spawn(&toml);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let (mut fine_ok, mut fine_before_hung) = (0, None);
    let (mut flood, mut hung) = (None, None);
    while flood.is_none() || hung.is_none() || fine_ok < 8 {
        let u = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("all three within a minute")
            .unwrap();
        let Update::Host { name, result } = u else { continue };
        match (name.as_str(), result) {
            ("fine", Ok(_)) => fine_ok += 1,
            ("fine", Err(e)) => panic!("the healthy host failed: {e}"),
            ("flood", Err(e)) => flood = Some(e),
            ("hung", Err(e)) => {
                fine_before_hung.get_or_insert(fine_ok);
                hung = Some(e)
            }
            (n, r) => panic!("{n}: unexpected {r:?}"),
        }
    }
    let flood = flood.unwrap();
    assert!(
        matches!(&flood, SourceError::Other(w) if w.contains("printed more than 8 MiB, cut")),
        "{flood:?}"
    );
    let hung = hung.unwrap();
    assert_eq!(hung, SourceError::Other("the probe gave no answer within 3s".into()));
    // The hung host's 3 s did not hold up the healthy one (a poll every 0.5 s).
    assert!(fine_before_hung.unwrap() >= 3, "{fine_before_hung:?}");
    // Rows say why.
    let store = store_with(&toml, "flood", Err(flood), 1000);
    assert!(collector_words(store.host("flood").unwrap(), 1000, "|").contains("cut"));
}

#[test]
fn snapshot_and_check_of_ssh_hosts_from_the_real_binary() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let (port, closed) = (free_port(), free_port());
    let _sshd = Sshd::start(&keys, port, "snap");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let cfg = keys.path("fleet.toml");
    std::fs::write(
        &cfg,
        host_toml("remote", port, &keys, &kh, "") + &host_toml("gone", closed, &keys, &kh, ""),
    )
    .unwrap();
    let run = |what: &str| {
        Command::new(env!("CARGO_BIN_EXE_fleettop"))
            .args([what, "--config"])
            .arg(&cfg)
            .env("XDG_STATE_HOME", keys.path(""))
            .output()
            .unwrap()
    };
    let o = run("snapshot");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let host = |n: &str| common::named(&v["hosts"], n);
    let remote = host("remote");
    assert_eq!(remote["state"], "online", "{remote}");
    assert_eq!(remote["mem_total_bytes"].as_u64().unwrap(), local_meminfo_total());
    assert!(remote["top"].as_array().is_some_and(|t| !t.is_empty()), "{remote}");
    assert_eq!(
        remote["sessions"]["sshd"].as_u64().map(|n| n >= 1),
        Some(true),
        "{remote}"
    );
    let gone = host("gone");
    assert_eq!(gone["state"], "offline");
    assert_eq!(gone["error"], "connection refused");
    // check: an offline host is a problem (error level: warning exit 1
    // until it has been offline for offline_critical_after).
    let o = run("check");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("gone") && out.contains("connection refused"), "{out}");
    assert!(out.contains("1/2 hosts online"), "{out}");
}
