//! The Services tab against real things: a local HTTP server, closed and
//! open TCP ports, a real `dockerd` on a private socket, a real Syncthing,
//! local files and processes; parsers on captured outputs; render tests.

use crate::common::http::server;
use crate::common::require;
use fleettop::config::parse_str;
use fleettop::parse::{launchctl, syncthing as st, systemctl};
use fleettop::sources::services::{files, http, syncthing, tcp};
use fleettop::sources::{self, Ctx};
use fleettop::update::Update;
use fleettop::update::{services::Health, services::Row, services::ServiceUpdate};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/services/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

// ---------------------------------------------------------------- HTTP

fn http_cfg(base: &str, extra: &str) -> fleettop::config::Config {
    let text = format!(
        r#"
[[services.http]]
name = "ok"
url = "{base}/ok"
body_contains = "ok"
group = "tunnels"
[[services.http]]
name = "fail"
url = "{base}/fail"
group = "tunnels"
[[services.http]]
name = "slow"
url = "{base}/slow"
timeout = "300ms"
[[services.http]]
name = "huge"
url = "{base}/huge"
body_contains = "needle"
timeout = "20s"
[[services.http]]
name = "listed"
url = "{base}/fail"
expect_status = [500, 503]
{extra}
"#
    );
    parse_str(&text, "test").unwrap()
}

async fn check(cfg: &fleettop::config::Config, name: &str) -> Row {
    let s = cfg.services.http.iter().find(|s| s.name == name).unwrap();
    let timeout = s.timeout.map_or(Duration::from_secs(3), |d| d.0);
    let client = sources::http_client(timeout).unwrap();
    http::check(&client, s, timeout).await
}

#[tokio::test]
async fn http_checks_say_what_happened_in_words() {
    let (base, _) = server().await;
    let cfg = http_cfg(&base, "");
    let ok = check(&cfg, "ok").await;
    assert_eq!((ok.health, ok.detail.as_str()), (Health::Ok, "HTTP 200"));
    assert!(ok.latency_ms.is_some());
    let fail = check(&cfg, "fail").await;
    assert_eq!((fail.health, fail.detail.as_str()), (Health::Error, "HTTP 500"));
    let listed = check(&cfg, "listed").await;
    assert_eq!(listed.health, Health::Ok, "500 is in the expected list");
    let slow = check(&cfg, "slow").await;
    assert_eq!((slow.health, slow.detail.as_str()), (Health::Error, "timed out"));
    // TLS spoken to a plain HTTP server: said as a TLS error.
    let tls = parse_str(
        &format!(
            "[[services.http]]\nname = \"tls\"\nurl = \"{}/ok\"\n",
            base.replace("http://", "https://")
        ),
        "t",
    )
    .unwrap();
    let r = check(&tls, "tls").await;
    assert_eq!(r.health, Health::Error);
    assert!(r.detail.starts_with("TLS error"), "{}", r.detail);
}

#[tokio::test]
async fn a_100_mb_body_is_read_only_up_to_the_bound() {
    let (base, sent) = server().await;
    let cfg = http_cfg(&base, "");
    let huge = check(&cfg, "huge").await;
    assert_eq!(huge.health, Health::Error);
    assert!(
        huge.detail.contains("body lacks \"needle\" in the first 64K"),
        "{}",
        huge.detail
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let n = sent.load(Ordering::Relaxed);
    assert!(n < 50 << 20, "the server could push {n} bytes: the body was not cut");
}

#[tokio::test]
async fn refused_and_open_tcp_ports() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let open = l.local_addr().unwrap();
    let closed = {
        let c = TcpListener::bind("127.0.0.1:0").await.unwrap();
        c.local_addr().unwrap()
    };
    let cfg = parse_str(
        &format!(
            "[[services.tcp]]\nname = \"open\"\naddress = \"{open}\"\n[[services.tcp]]\nname = \"closed\"\naddress = \"{closed}\"\n"
        ),
        "t",
    )
    .unwrap();
    let r = tcp::check(&cfg.services.tcp[0], Duration::from_secs(2)).await;
    assert_eq!((r.health, r.detail.as_str()), (Health::Ok, "open"));
    assert!(r.latency_ms.is_some());
    let r = tcp::check(&cfg.services.tcp[1], Duration::from_secs(2)).await;
    assert_eq!((r.health, r.detail.as_str()), (Health::Error, "connection refused"));
}

/// The whole path: sources spawned from config, updates into the store, a
/// group all down is one problem, and `snapshot`/`check` include services.
#[tokio::test]
async fn sources_to_store_to_snapshot_and_check() {
    let (base, _) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.log");
    std::fs::write(&fresh, "x").unwrap();
    let extra = format!(
        r#"
[[services.http]]
name = "t2"
url = "{base}/fail"
group = "down-group"
[[services.http]]
name = "t3"
url = "{base}/nothing-here"
group = "down-group"
[[services.freshness]]
name = "fresh log"
path = "{}"
max_age = "20m"
[[services.freshness]]
name = "missing log"
path = "{}/nope.log"
max_age = "20m"
[[services.process]]
name = "nobody"
pattern = "no-such-process-fleettop-xyz"
"#,
        fresh.display(),
        dir.path().display()
    );
    let cfg = http_cfg(&base, &extra);
    let json = fleettop::headless::snapshot(&cfg, false).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let services = v["services"].as_array().unwrap();
    let find = |n: &str| {
        services
            .iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {json}"))
    };
    assert_eq!(find("ok")["state"], "ok");
    assert_eq!(find("ok")["kind"], "http");
    assert!(find("ok")["latency_ms"].is_number());
    assert!(find("ok")["checked_at"].is_string());
    assert_eq!(find("fail")["state"], "error");
    assert_eq!(find("slow")["detail"], "timed out");
    assert_eq!(find("fresh log")["state"], "ok");
    assert!(
        find("fresh log")["detail"]
            .as_str()
            .unwrap()
            .starts_with("written 0s ago, max 20m")
    );
    assert_eq!(find("missing log")["detail"], "file missing");
    assert_eq!(find("nobody")["state"], "error");
    let problems = v["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["title"] == "all down-group down (2 of 2)" && p["level"] == "critical"),
        "{problems:?}"
    );
    assert!(
        !problems
            .iter()
            .any(|p| p["title"].as_str().unwrap().starts_with("all tunnels")),
        "one of the tunnels is up"
    );
    let (report, code) = fleettop::headless::check(&cfg).await;
    assert_eq!(code, 2, "a whole group down is critical in one round\n{report}");
    assert!(
        report.contains("CRITICAL down-group: all down-group down (2 of 2)"),
        "{report}"
    );
    assert!(report.contains("fail down: HTTP 500"), "{report}");
}

#[test]
fn freshness_says_how_old_and_process_presence_finds_a_child() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("log");
    std::fs::write(&f, "x").unwrap();
    let cfg = parse_str(
        &format!(
            "[[services.freshness]]\nname = \"log\"\npath = \"{}\"\nmax_age = \"20m\"\n[[services.process]]\nname = \"sleeper\"\npattern = \"sleep 31.4159\"\n",
            f.display()
        ),
        "t",
    )
    .unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(25 * 60);
    let r = files::freshness(&cfg.services.freshness[0], &f, later);
    assert_eq!(r.health, Health::Error);
    assert_eq!(r.detail, "stale: written 25m ago, max 20m");
    let before = files::process(&cfg.services.process[0], std::path::Path::new("/proc"));
    assert_eq!(before.health, Health::Error);
    let mut child = std::process::Command::new("sleep").arg("31.4159").spawn().unwrap();
    // The child shows its own command line once it has exec'd.
    let mut during = files::process(&cfg.services.process[0], std::path::Path::new("/proc"));
    for _ in 0..100 {
        if during.health == Health::Ok {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        during = files::process(&cfg.services.process[0], std::path::Path::new("/proc"));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(during.health, Health::Ok, "{}", during.detail);
    assert_eq!(during.detail, format!("1 process (pid {})", child.id()));
}

/// The local systemd check: where systemd runs, the failed units (maybe
/// none); where it does not (a container), an error in words, never a panic.
#[tokio::test]
async fn local_systemctl_answers_or_says_why() {
    if !require("systemctl") {
        return;
    }
    let r = fleettop::sources::services::systemd::failed_units().await;
    if std::path::Path::new("/run/systemd/system").is_dir() {
        assert!(r.is_ok(), "{r:?}");
    } else {
        let e = r.expect_err("no systemd here, yet systemctl answered");
        assert!(e.starts_with("systemctl: "), "{e}");
        assert!(!e.chars().any(|c| c.is_control()));
    }
}

// ---------------------------------------------------------------- parsers

#[test]
fn systemctl_failed_in_both_forms() {
    let j = systemctl::parse_json(&fixture("systemctl-failed.json")).unwrap();
    assert_eq!(j.len(), 2);
    assert_eq!(j[0].unit, "certbot.service");
    assert_eq!(j[1].sub, "failed");
    let p = systemctl::parse_plain(&fixture("systemctl-failed-plain.txt"));
    let units: Vec<&str> = p.iter().map(|u| u.unit.as_str()).collect();
    assert_eq!(units, ["certbot.service", "pm-crash.service"]);
    assert_eq!(p[1].description, "PM crash monitor");
    assert!(systemctl::parse_json("System has not been booted with systemd").is_err());
    assert!(systemctl::parse_plain("0 loaded units listed.\n").is_empty());
}

#[test]
fn launchctl_lists_captured_on_macs() {
    let desk = launchctl::parse(&fixture("launchctl-list-desktop.txt"));
    assert_eq!((desk.value.len(), desk.errors), (12, 0));
    let running = desk.value.iter().filter(|j| j.pid.is_some()).count();
    let codes: Vec<i64> = desk.value.iter().filter(|j| j.status != 0).map(|j| j.status).collect();
    assert_eq!(running, 5);
    assert_eq!(
        codes
            .iter()
            .map(|c| launchctl::exit_words(*c))
            .collect::<Vec<_>>()
            .len(),
        codes.len()
    );
    assert!(codes.contains(&127) && codes.contains(&78), "{codes:?}");
    let agents = launchctl::parse(&fixture("launchctl-list-agents.txt"));
    let tele = agents.value.iter().find(|j| j.label == "com.dawn.telegram").unwrap();
    assert_eq!(
        (tele.pid, launchctl::exit_words(tele.status).as_str()),
        (None, "killed by signal 15")
    );
    let spot = agents.value.iter().find(|j| j.label == "com.apple.Spotlight").unwrap();
    assert_eq!((spot.pid, spot.status), (Some(1234), 0));
    let noexec = agents.value.iter().find(|j| j.label == "com.example.noexec").unwrap();
    assert_eq!(launchctl::exit_words(noexec.status), "not executable (exit 126)");
    let sim = launchctl::parse(&fixture("launchctl-list-simulator.txt"));
    assert!(
        sim.value
            .iter()
            .any(|j| j.label == "UIKitApplication:com.apple.mobilesafari[2b0f][rb-legacy]")
    );
}

#[test]
fn launchctl_odd_lines_are_counted_not_fatal() {
    let text = "PID\tStatus\tLabel\n-\t0\tcom.ok\n12x\t0\tbad.pid\n-\tnope\tbad.status\n-\t0\t\x1b]0;evil\x07com.\x1b[31mweird label\n-\t0\t\njust one field\n\u{0}\t\u{0}\t\u{0}\n";
    let p = launchctl::parse(text);
    assert_eq!(p.value.len(), 2, "{:?}", p.value);
    assert!(p.errors >= 4);
    assert!(p.value[1].label.contains("weird label") && !p.value[1].label.contains('\x1b'));
    // Every prefix of it: no panic.
    for i in 0..text.len() {
        if text.is_char_boundary(i) {
            let _ = launchctl::parse(&text[..i]);
        }
    }
}

#[test]
fn syncthing_rest_responses_captured_from_a_real_instance() {
    let my_id = st::parse_my_id(&fixture("syncthing-system-status.json")).unwrap();
    assert!(my_id.starts_with("4IEJ7OH"));
    let peers = st::parse_connections(&fixture("syncthing-connections.json"), &my_id).unwrap();
    assert_eq!((peers.connected, peers.total), (0, 1));
    assert_eq!(peers.disconnected, ["MFZWI3D"]);
    let folders = st::parse_folders(&fixture("syncthing-config-folders.json")).unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!((folders[0].id.as_str(), folders[0].label.as_str()), ("docs-1", "Docs"));
    let status = st::parse_status(&fixture("syncthing-db-status.json")).unwrap();
    assert_eq!(status.state, "idle");
    assert_eq!(status.completion(), 100.0);
    assert!(
        st::parse_errors(&fixture("syncthing-folder-errors.json"))
            .unwrap()
            .is_empty()
    );
    let cfg = parse_str(
        "[[services.syncthing]]\nname = \"sync\"\nurl = \"http://127.0.0.1:1\"\n",
        "t",
    )
    .unwrap();
    let row = syncthing::folder_row(
        &cfg.services.syncthing[0],
        &folders[0],
        Ok(status),
        &[],
        syncthing::Conflicts { n: 2, cut: false },
    );
    assert_eq!(
        (row.health, row.detail.as_str()),
        (Health::Warn, "idle 100%, 2 conflict files")
    );
    for bad in ["", "null", "[]", "{\"connections\": 5}", "{\"state\": []}"] {
        let _ = st::parse_connections(bad, "");
        let _ = st::parse_folders(bad);
        let _ = st::parse_status(bad);
        let _ = st::parse_errors(bad);
    }
}

// ---------------------------------------------------------------- Syncthing

/// A real Syncthing on loopback with a generated config.
#[tokio::test]
async fn real_syncthing_folder_peer_and_conflicts() {
    if !require("syncthing") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("a.txt"), "a").unwrap();
    std::fs::write(data.join("sub/n.sync-conflict-20261122-072300-ABCDEFG.txt"), "b").unwrap();
    let gen_ok = std::process::Command::new("syncthing")
        .args(["generate", "--no-default-folder", "--skip-port-probing"])
        .arg(format!("--home={}", home.display()))
        .output()
        .unwrap()
        .status
        .success();
    assert!(gen_ok, "syncthing generate");
    let xml = std::fs::read_to_string(home.join("config.xml")).unwrap();
    let xml = xml
        .replace(
            "<listenAddress>default</listenAddress>",
            "<listenAddress>tcp://127.0.0.1:0</listenAddress>",
        )
        .replace("<globalAnnounceEnabled>true", "<globalAnnounceEnabled>false")
        .replace("<localAnnounceEnabled>true", "<localAnnounceEnabled>false")
        .replace("<relaysEnabled>true", "<relaysEnabled>false")
        .replace("<natEnabled>true", "<natEnabled>false");
    std::fs::write(home.join("config.xml"), xml).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let child = std::process::Command::new("syncthing")
        .args([
            "serve",
            "--no-browser",
            "--no-restart",
            "--no-upgrade",
            "--gui-apikey=fleettop-test-key",
        ])
        .arg(format!("--home={}", home.display()))
        .arg(format!("--gui-address={base}"))
        // Run in this process, without the monitor that would outlive a kill.
        .env("STMONITORED", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child, String);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
            // Anything else it started has our home dir in its command line.
            let Ok(rd) = std::fs::read_dir("/proc") else { return };
            for e in rd.flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                if pid != std::process::id() && String::from_utf8_lossy(&cmd).contains(&self.1) {
                    let _ = std::process::Command::new("kill")
                        .arg("-KILL")
                        .arg(pid.to_string())
                        .status();
                }
            }
        }
    }
    let _guard = Kill(child, home.display().to_string());
    let client = reqwest::Client::new();
    let key = ("X-API-Key", "fleettop-test-key");
    let mut up = false;
    for _ in 0..80 {
        if let Ok(r) = client
            .get(format!("{base}/rest/system/ping"))
            .header(key.0, key.1)
            .send()
            .await
            && r.status().is_success()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(up, "syncthing did not answer on {base}");
    let peer = "MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD";
    let r = client
        .post(format!("{base}/rest/config/devices"))
        .header(key.0, key.1)
        .json(&serde_json::json!({"deviceID": peer, "name": "laptop", "addresses": ["tcp://127.0.0.1:1"]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "add device: {}", r.status());
    let r = client
        .post(format!("{base}/rest/config/folders"))
        .header(key.0, key.1)
        .json(&serde_json::json!({"id": "docs-1", "label": "Docs", "path": data, "type": "sendreceive", "devices": [{"deviceID": peer}]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "add folder: {}", r.status());
    let cfg = parse_str(
        &format!("[[services.syncthing]]\nname = \"sync\"\nurl = \"{base}\"\napi_key = \"fleettop-test-key\"\ninterval = \"500ms\"\n"),
        "t",
    )
    .unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let ctx = Ctx::new(tx);
    let task = tokio::spawn(syncthing::run(cfg.services.syncthing[0].clone(), ctx));
    let mut seen = None;
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while let Ok(Some(Update::Services(ServiceUpdate::Set { rows, .. }))) =
        tokio::time::timeout_at(until, rx.recv()).await
    {
        // The folder scans first; wait for it to be idle.
        if rows.iter().any(|r| r.name == "Docs" && r.detail.starts_with("idle")) {
            seen = Some(rows);
            break;
        }
    }
    task.abort();
    let rows = seen.expect("the folder became idle");
    assert_eq!(rows[0].name, "sync");
    assert!(
        rows[0].detail.starts_with("0/1 peers connected, 1 folders"),
        "{}",
        rows[0].detail
    );
    let docs = rows.iter().find(|r| r.name == "Docs").unwrap();
    assert_eq!(docs.health, Health::Warn);
    assert_eq!(docs.detail, "idle 100%, 1 conflict files");
    // A wrong key is said plainly.
    let bad = parse_str(
        &format!("[[services.syncthing]]\nname = \"s\"\nurl = \"{base}\"\napi_key = \"wrong\"\n"),
        "t",
    )
    .unwrap();
    let (tx, mut rx) = mpsc::channel(4);
    let task = tokio::spawn(syncthing::run(bad.services.syncthing[0].clone(), Ctx::new(tx)));
    let Some(Update::Services(ServiceUpdate::Set { rows, .. })) = rx.recv().await else {
        panic!("no update")
    };
    task.abort();
    assert_eq!(rows[0].detail, "HTTP 403: the API key was refused");
}
