//! An agent daemon on an SSH host, against a real OpenSSH `sshd` on
//! loopback: its runlog followed like `tail -F`, its heartbeat file and log
//! freshness, and its systemd unit, all over the host's one connection, fed
//! into a real store.

use crate::common;
use fleettop::config::parse_str;
use fleettop::model::now_millis;
use fleettop::sources::Ctx;
use fleettop::store::Store;
use fleettop::store::agents::{Agent, AgentStatus};
use fleettop::update::Update;
use fleettop::update::agents::AgentUpdate;

use common::sshd::*;
use common::{free_port, stand_in};
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// The updates of every source of `toml`, and a store for them.
fn start(toml: &str) -> (mpsc::Receiver<Update>, Store) {
    let (rx, store, _) = start_ctx(toml);
    (rx, store)
}

/// [`start`], and the context its sources share (their SSH links).
fn start_ctx(toml: &str) -> (mpsc::Receiver<Update>, Store, Ctx) {
    let config = parse_str(toml, "test").unwrap_or_else(|e| panic!("{e:?}"));
    let (tx, rx) = mpsc::channel(1024);
    let ctx = Ctx::new(tx);
    let _ = fleettop::sources::spawn_all(&config, &ctx);
    (rx, Store::new(&config), ctx)
}

/// A real sshd on loopback (with `extra` sshd_config lines) and the
/// `[[hosts]]` entry of `name` for it.
fn host(name: &str, extra: &str) -> (Keys, Sshd, String) {
    let keys = Keys::new();
    let port = free_port();
    let sshd = Sshd::start_with(&keys, port, name, extra);
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let toml = host_toml(name, port, &keys, &kh, "");
    (keys, sshd, toml)
}

/// Run events seen: (started_at, history).
type Seen = Vec<(i64, bool)>;

/// Applies updates to `store` until `done` holds; panics after a minute.
async fn until(
    rx: &mut mpsc::Receiver<Update>,
    store: &mut Store,
    seen: &mut Seen,
    what: &str,
    done: impl Fn(&Store) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done(store) {
        let u = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(u) => u.expect("channel open"),
            Err(_) => panic!(
                "{what}: not within a minute; runs seen {seen:?}; agents {:#?}",
                store.agents.agents
            ),
        };
        if let Update::Agents(AgentUpdate::Event { event, history, .. }) = &u {
            seen.push((event.started_at.unwrap_or(0), *history));
        }
        store.apply(u, now_millis());
    }
}

fn agent<'a>(store: &'a Store, name: &str) -> &'a Agent {
    store.agents.agents.iter().find(|a| a.name == name).expect(name)
}

/// A run event of scout, its minute `i` after a base time, `ok` or not.
fn event(i: i64, ok: bool) -> String {
    format!(
        "{{\"agent\":\"scout\",\"event\":\"{}\",\"trigger\":\"cron\",\"started_at\":\"{}\",\"finished_at\":\"{}\",\"exit_code\":{},\"output\":\"{{\\\"summary\\\":\\\"pass {i}\\\"}}\"}}\n",
        if ok { "completed" } else { "failed" },
        fleettop::model::rfc3339(base(i)),
        fleettop::model::rfc3339(base(i) + 30_000),
        if ok { 0 } else { 1 }
    )
}

fn base(i: i64) -> i64 {
    1_780_000_000_000 + i * 60_000
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn minutes(seen: &Seen) -> Vec<i64> {
    seen.iter().map(|(t, _)| (t - base(0)) / 60_000).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_runlog_is_followed_like_tail_f() {
    if missing() {
        return;
    }
    let (_keys, sshd, host_toml) = host("runlog-host", "");
    let dir = tempfile::tempdir().unwrap();
    let runlog = dir.path().join("runs.jsonl");
    // The backlog: two runs, and a third still being written.
    let third = event(2, false);
    let (head, tail) = third.split_at(40);
    std::fs::write(&runlog, event(0, true) + &event(1, true) + head).unwrap();
    let toml = host_toml
        + &format!(
            "[[agents.daemon]]\nname = \"scout\"\nhost = \"runlog-host\"\nrunlog = \"{}\"\n",
            runlog.display()
        );
    let (mut rx, mut store) = start(&toml);
    let mut seen = Seen::new();

    until(&mut rx, &mut store, &mut seen, "the backlog", |s| {
        agent(s, "scout").ok == 2
    })
    .await;
    assert_eq!(seen, [(base(0), true), (base(1), true)], "the backlog is history");
    assert_eq!(agent(&store, "scout").last().unwrap().extracted, "pass 1");

    // The partial line completes, and a run is appended: news.
    append(&runlog, &(tail.to_string() + &event(3, true)));
    until(&mut rx, &mut store, &mut seen, "the appended runs", |s| {
        agent(s, "scout").ok == 3
    })
    .await;
    assert_eq!(minutes(&seen), [0, 1, 2, 3]);
    assert!(seen[2..].iter().all(|(_, h)| !h), "appended runs are news: {seen:?}");
    let a = agent(&store, "scout");
    assert_eq!((a.failed, a.last().unwrap().extracted.as_str()), (1, "pass 3"));
    assert_eq!(store.agents.bad_events, 0, "the cut line was not read as an event");

    // copytruncate: copied away, truncated in place, written again.
    std::fs::copy(&runlog, dir.path().join("runs.jsonl.0")).unwrap();
    std::fs::write(&runlog, "").unwrap();
    append(&runlog, &event(4, true));
    until(&mut rx, &mut store, &mut seen, "a run after truncation", |s| {
        agent(s, "scout").ok == 4
    })
    .await;

    // Rotation: a last run written to the file just before it is renamed,
    // then a new file. Both arrive (the old file's rest is read by inode).
    append(&runlog, &event(5, true));
    std::fs::rename(&runlog, dir.path().join("runs.jsonl.1")).unwrap();
    append(&dir.path().join("runs.jsonl.1"), &event(6, true));
    std::fs::write(&runlog, event(7, true)).unwrap();
    until(&mut rx, &mut store, &mut seen, "the runs around the rotation", |s| {
        agent(s, "scout").ok == 7
    })
    .await;
    append(&runlog, &event(8, false));
    until(&mut rx, &mut store, &mut seen, "a run in the new file", |s| {
        agent(s, "scout").failed == 2
    })
    .await;
    // A few more polls: nothing arrives twice.
    let settle = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(u)) = tokio::time::timeout_at(settle, rx.recv()).await {
        if let Update::Agents(AgentUpdate::Event { event, history, .. }) = &u {
            seen.push((event.started_at.unwrap_or(0), *history));
        }
        store.apply(u, now_millis());
    }
    assert_eq!(minutes(&seen), [0, 1, 2, 3, 4, 5, 6, 7, 8], "each run once, in order");
    let a = agent(&store, "scout");
    assert_eq!((a.ok, a.failed, a.fail_streak), (7, 2, 1));
    assert_eq!(a.last().unwrap().extracted, "pass 8");
    assert_eq!(a.status(now_millis()), AgentStatus::Failed);
    // All of it over one login.
    assert_eq!(sshd.log_text().matches("Accepted publickey").count(), 1);
}

/// What `systemctl show` says on this machine (the "remote" host is this
/// machine): the error the row must show.
fn systemctl_truth(unit: &str) -> String {
    match std::process::Command::new("systemctl")
        .args(["show", unit, "--timestamp=unix", "-p", "Id,LoadState"])
        .output()
    {
        Err(_) => "systemctl: not found".into(),
        Ok(o) if !o.status.success() => {
            let text = String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout);
            text.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string()
        }
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(text.contains("LoadState=not-found"), "{unit} exists here: {text}");
            format!("unit {unit} not found")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_heartbeats_logs_and_units_and_the_ssh_error_when_the_host_goes() {
    if missing() {
        return;
    }
    let (_keys, mut sshd, host_toml) = host("files-host", "");
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let now = now_millis();
    // deacon: a JSON field, long ago. fresh: a JSON field, now. beacon: the
    // mtime of a file two hours old, and a log half an hour old.
    std::fs::write(
        p("deacon.json"),
        r#"{"state": {"last_heartbeat": "2000-01-01T00:00:00Z"}}"#,
    )
    .unwrap();
    std::fs::write(
        p("fresh.json"),
        format!(r#"{{"ts": "{}"}}"#, fleettop::model::rfc3339(now)),
    )
    .unwrap();
    let hours_ago = |path: &Path, ms: i64| {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(std::time::SystemTime::now() - Duration::from_millis(ms as u64))
            .unwrap();
    };
    std::fs::write(p("beacon.hb"), "").unwrap();
    hours_ago(&p("beacon.hb"), 7_200_000);
    std::fs::write(p("beacon.log"), "working\n").unwrap();
    hours_ago(&p("beacon.log"), 1_800_000);
    let unit = "fleettop-test-no-such-unit.service";
    let daemon =
        |name: &str, extra: &str| format!("[[agents.daemon]]\nname = \"{name}\"\nhost = \"files-host\"\n{extra}\n");
    // A heartbeat file (polled each second: max age 20s) and more.
    let beats = |name: &str, file: &str, extra: &str| {
        daemon(
            name,
            &format!(
                "heartbeat_file = \"{}\"\nheartbeat_max_age = \"20s\"\n{extra}",
                p(file).display()
            ),
        )
    };
    let toml = host_toml
        + &beats("deacon", "deacon.json", "heartbeat_field = \"state.last_heartbeat\"")
        + &beats("fresh", "fresh.json", "heartbeat_field = \"ts\"")
        + &beats(
            "beacon",
            "beacon.hb",
            &format!("log_path = \"{}\"\nlog_max_age = \"10m\"", p("beacon.log").display()),
        )
        + &beats("ghost", "nothing.json", "")
        + &daemon("unit", &format!("systemd_unit = \"{unit}\""))
        + &daemon(
            "hostile",
            "systemd_unit = \"x.service; touch /tmp/fleettop-unit-pwned\"",
        );
    let (mut rx, mut store) = start(&toml);
    let mut seen = Seen::new();
    until(&mut rx, &mut store, &mut seen, "every signal", |s| {
        ["deacon", "fresh", "beacon"]
            .iter()
            .all(|n| agent(s, n).last_heartbeat.is_some())
            && agent(s, "beacon").log_modified.is_some()
            && agent(s, "ghost").heartbeat_error.is_some()
            && agent(s, "unit").unit_error.is_some()
            && agent(s, "hostile").unit_error.is_some()
    })
    .await;
    let at = now_millis();
    let near = |got: Option<i64>, want: i64| {
        let got = got.unwrap();
        assert!((got - want).abs() < 3000, "{got} vs {want}: off by {} ms", got - want);
    };
    let deacon = agent(&store, "deacon");
    near(deacon.last_heartbeat, 946_684_800_000);
    assert_eq!(deacon.status(at), AgentStatus::Stale, "an old JSON field is stale");
    let fresh = agent(&store, "fresh");
    near(fresh.last_heartbeat, now);
    assert_eq!(fresh.status(at), AgentStatus::Ok);
    let beacon = agent(&store, "beacon");
    near(beacon.last_heartbeat, now - 7_200_000);
    near(beacon.log_modified, now - 1_800_000);
    assert_eq!(beacon.status(at), AgentStatus::Stale, "an old mtime is stale");
    let ghost = agent(&store, "ghost").heartbeat_error.clone().unwrap();
    assert_eq!(
        ghost,
        format!("heartbeat files-host:{}: no such file", p("nothing.json").display())
    );
    // systemd: the truth of this machine, said on the row.
    let truth = systemctl_truth(unit);
    let got = agent(&store, "unit").unit_error.clone().unwrap();
    assert!(got.contains(&truth), "{got:?} does not say {truth:?}");
    eprintln!("systemd over SSH on this machine: {got}");
    let hostile = agent(&store, "hostile").unit_error.clone().unwrap();
    assert!(hostile.contains("only letters, digits"), "{hostile}");
    assert!(!Path::new("/tmp/fleettop-unit-pwned").exists());

    // The host goes: every signal says the SSH error.
    sshd.kill();
    until(&mut rx, &mut store, &mut seen, "the SSH error on every row", |s| {
        let hb = |n: &str| agent(s, n).heartbeat_error.clone().unwrap_or_default();
        hb("deacon").contains("ssh: ")
            && hb("beacon").contains("ssh: ")
            && agent(s, "beacon").log_error.as_deref().unwrap_or("").contains("ssh: ")
            && agent(s, "unit").unit_error.as_deref().unwrap_or("").contains("ssh: ")
    })
    .await;
    let e = agent(&store, "deacon").heartbeat_error.clone().unwrap();
    assert!(
        e.starts_with(&format!("heartbeat files-host:{}: ssh: ", p("deacon.json").display())),
        "{e}"
    );
    eprintln!("with the host gone: {e}");
}

fn texts(r: Result<(Vec<fleettop::sources::agents::Line>, bool), String>) -> (Vec<String>, bool) {
    let (lines, history) = r.unwrap_or_else(|e| panic!("{e}"));
    let t = lines
        .into_iter()
        .map(|l| match l {
            fleettop::sources::agents::Line::Text(t) => t,
            fleettop::sources::agents::Line::TooLong => "<too long>".into(),
        })
        .collect();
    (t, history)
}

/// Poll by poll, so each case is met for certain: the rest of a rotated file
/// read by its inode, truncation, `~/`, bytes that are not UTF-8, a huge
/// backlog, a missing file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_poll_of_a_remote_runlog() {
    use fleettop::sources::agents::MAX_BACKLOG;
    use fleettop::sources::agents_remote::{REMOTE_READ, RemoteRunlog};
    if missing() {
        return;
    }
    let (keys, _sshd, host_toml) = host("poll-host", "");
    let (_rx, _store, ctx) = start_ctx(&host_toml);
    let ssh = &ctx.handles.ssh;
    let host = "poll-host";
    // Under the remote $HOME (the test sshd's own), named with `~/`.
    let dir = tempfile::tempdir_in(keys.home()).unwrap();
    let name = dir.path().file_name().unwrap().to_str().unwrap().to_string();
    let path = format!("~/{name}/runs.jsonl");
    let real = dir.path().join("runs.jsonl");

    let mut r = RemoteRunlog::default();
    let e = r.poll(ssh, host, &path).await.unwrap_err();
    assert_eq!(e, "no such file");
    std::fs::write(&real, "a\nb\n").unwrap();
    assert_eq!(
        texts(r.poll(ssh, host, &path).await),
        (vec!["a".into(), "b".into()], false),
        "created after the start: from its beginning, news"
    );
    // Rotation with lines written to the old file after the last poll.
    append(&real, "c\n");
    std::fs::rename(&real, dir.path().join("runs.jsonl.1")).unwrap();
    append(&dir.path().join("runs.jsonl.1"), "d\n");
    std::fs::write(&real, "e\n").unwrap();
    assert_eq!(
        texts(r.poll(ssh, host, &path).await).0,
        ["c", "d"],
        "the old file's rest"
    );
    assert_eq!(texts(r.poll(ssh, host, &path).await).0, ["e"], "then the new file");
    assert!(texts(r.poll(ssh, host, &path).await).0.is_empty());
    // Truncated in place.
    append(&real, "a longer line\n");
    assert_eq!(texts(r.poll(ssh, host, &path).await).0, ["a longer line"]);
    std::fs::write(&real, "h\n").unwrap();
    assert_eq!(texts(r.poll(ssh, host, &path).await).0, ["h"]);
    // Bytes that are not UTF-8 do not throw the offset off.
    {
        let mut f = std::fs::OpenOptions::new().append(true).open(&real).unwrap();
        f.write_all(b"\xff\xfe\xfd\nx\n").unwrap();
    }
    assert_eq!(
        texts(r.poll(ssh, host, &path).await).0,
        ["\u{fffd}\u{fffd}\u{fffd}", "x"]
    );
    append(&real, "y\n");
    assert_eq!(texts(r.poll(ssh, host, &path).await).0, ["y"]);

    // A huge file at start: only its last MAX_BACKLOG bytes, no cut line.
    let big = dir.path().join("big.jsonl");
    let line = format!("{}\n", "y".repeat(1023));
    let mut text = line.repeat((MAX_BACKLOG as usize / 1024) * 2);
    text.push_str("last\n");
    std::fs::write(&big, &text).unwrap();
    let mut r = RemoteRunlog::default();
    let mut lines = Vec::new();
    // A poll reads at most REMOTE_READ: the backlog takes a few, all history.
    for _ in 0..MAX_BACKLOG / REMOTE_READ {
        let (more, history) = texts(r.poll(ssh, host, big.to_str().unwrap()).await);
        assert!(history && !more.is_empty());
        lines.extend(more);
    }
    append(&big, "news\n");
    assert_eq!(
        texts(r.poll(ssh, host, big.to_str().unwrap()).await),
        (vec!["news".into()], false)
    );
    assert_eq!(lines.last().unwrap(), "last");
    assert!(lines.len() <= MAX_BACKLOG as usize / 1024 + 1, "{}", lines.len());
    assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 1023), "no cut line");
}

/// A unit's run over SSH, where systemd runs: no systemd runs on this test's
/// machine, so the host's PATH (an sshd `ForceCommand`) starts with stand-ins that
/// print what systemd 252 prints for a failed timer-started service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_units_run_timer_and_journal() {
    if missing() {
        return;
    }
    let bin = tempfile::tempdir().unwrap();
    let calls = bin.path().join("journal-calls");
    // The run is in progress until the test writes "ended" here.
    let state = bin.path().join("state");
    std::fs::write(&state, "running").unwrap();
    stand_in(
        bin.path(),
        "systemctl",
        &format!(
            r#"case "$2" in
fleet-scout.service) if [ "$(cat {})" = ended ]; then
  printf 'Id=fleet-scout.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nExecMainStatus=2\nInvocationID=5f1c0e2a9b8d4c7e8f00112233445566\nExecMainStartTimestamp=@1779995800\nExecMainExitTimestamp=@1779995831\n'
else
  printf 'Id=fleet-scout.service\nLoadState=loaded\nActiveState=active\nSubState=running\nResult=success\nExecMainStatus=0\nInvocationID=5f1c0e2a9b8d4c7e8f00112233445566\nExecMainStartTimestamp=@1779995800\nExecMainExitTimestamp=\n'
fi ;;
fleet-scout.timer) printf 'Id=fleet-scout.timer\nLoadState=loaded\nActiveState=active\nSubState=waiting\nNextElapseUSecRealtime=@4102444800\n' ;;
*) printf 'Id=%s\nLoadState=not-found\n' "$2" ;;
esac
"#,
            state.display()
        ),
    );
    stand_in(
        bin.path(),
        "journalctl",
        &format!(
            "echo \"$*\" >> {}\nprintf 'starting scan\\n\\033[31merror: boom\\033[0m\\n'\n",
            calls.display()
        ),
    );
    // The login shell's dotfiles may set PATH again: every command runs with
    // the stand-ins first.
    let path = format!(
        "ForceCommand env PATH={}:/usr/local/bin:/usr/bin:/bin sh -c \"$SSH_ORIGINAL_COMMAND\"",
        bin.path().display()
    );
    let (_keys, _sshd, host_toml) = host("unit-host", &path);
    let daemon = |name: &str, unit: &str| {
        format!("[[agents.daemon]]\nname = \"{name}\"\nhost = \"unit-host\"\nsystemd_unit = \"{unit}\"\n")
    };
    let toml = host_toml + &daemon("scout", "fleet-scout.service") + &daemon("gone", "gone.service");
    let (mut rx, mut store) = start(&toml);
    let mut seen = Seen::new();
    until(&mut rx, &mut store, &mut seen, "the unit in progress", |s| {
        agent(s, "scout").unit.as_ref().is_some_and(|u| u.active == "active") && agent(s, "gone").unit_error.is_some()
    })
    .await;
    let a = agent(&store, "scout");
    assert_eq!((a.runs.len(), a.status(now_millis())), (0, AgentStatus::Running));
    assert!(!calls.exists(), "no journal read while the run goes on");
    // It ends; the next poll (10 s on) records it, as news, with the whole journal.
    std::fs::write(&state, "ended").unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
    while agent(&store, "scout").failed == 0 {
        let u = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the run's end")
            .unwrap();
        store.apply(u, now_millis());
    }
    let ticker: Vec<String> = store.events.newest_first().map(|e| e.title.clone()).collect();
    assert!(
        ticker.iter().any(|t| t.contains("scout") && t.contains("fail")),
        "its failure is on the ticker: {ticker:?}"
    );
    let a = agent(&store, "scout");
    let run = a.last().unwrap();
    assert_eq!((run.exit_code, run.trigger.as_str()), (Some(2), "timer"));
    assert_eq!(run.finished_at, Some(1_779_995_831_000));
    assert_eq!(run.extracted, "starting scan error: boom", "the journal, sanitised");
    assert_eq!(a.next_run, Some(4_102_444_800_000), "the timer's next run");
    assert_eq!(
        agent(&store, "gone").unit_error.as_deref(),
        Some("unit gone.service not found")
    );
    // The next poll (10 s on) sees the same invocation: no second run, and
    // its journal is not read again.
    let mut units = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
    while units < 2 {
        let u = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("a second poll of the unit")
            .unwrap();
        if let Update::Agents(AgentUpdate::Unit { agent, .. }) = &u
            && agent == "scout"
        {
            units += 1;
        }
        store.apply(u, now_millis());
    }
    let a = agent(&store, "scout");
    assert_eq!((a.runs.len(), a.failed), (1, 1));
    let calls = std::fs::read_to_string(&calls).unwrap();
    assert_eq!(
        calls,
        "-u fleet-scout.service _SYSTEMD_INVOCATION_ID=5f1c0e2a9b8d4c7e8f00112233445566 -n 200 -o cat --no-pager\n",
        "the journal of the invocation, once"
    );
}
