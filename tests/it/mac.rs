//! A Mac over SSH, without a Mac: the real test sshd, whose sessions find
//! stand-in `uname`, `sw_vers`, `sysctl`, `vm_stat`, `top`, `netstat`,
//! `df`, `ps` and `pmset` first on their PATH, each replaying an output
//! captured on a real Mac (tests/fixtures/darwin, sources in its README).
//! The probe, its choice of the Darwin script, the link, the parsers, the
//! tracker, the store and the snapshot are the real ones. And fleettop on a
//! Mac: its local collector runs the same script through the same stand-ins.

use crate::common;
use fleettop::model::HostState;
use fleettop::snapshot::Snapshot;

use common::sshd::*;
use common::{free_port, stand_in};
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/darwin");

/// A name with line breaks and, after them, what looks like the `ps` lines
/// of a process that is not there and of launchd: they add no process and
/// rename none (the name is cut at the first).
const HOSTILE: &str = "/tmp/evil\\nx y\\n99999 /sbin/spoofed\\n    1 /tmp/renamed";

/// The stand-in commands of a Mac in `bin`.
fn mac_commands(bin: &Path) {
    let cat = |file: &str| format!("exec cat '{FIXTURES}/{file}'\n");
    stand_in(
        bin,
        "uname",
        "case \"$1\" in -r) echo 23.1.0;; -m) echo arm64;; *) echo Darwin;; esac\n",
    );
    stand_in(bin, "sw_vers", &cat("sw_vers.txt"));
    stand_in(bin, "sysctl", &cat("sysctl.txt"));
    stand_in(bin, "vm_stat", &cat("vm_stat-m1.txt"));
    // top -l 2: the first sample, then the one that counts.
    stand_in(
        bin,
        "top",
        &format!(
            "sed 's/46.49% idle/0.00% idle/' '{FIXTURES}/top-l1-n0-intel.txt'\ncat '{FIXTURES}/top-l1-n0-intel.txt'\n"
        ),
    );
    stand_in(bin, "netstat", &cat("netstat-ib-ddagent.txt"));
    stand_in(bin, "df", &cat("df-512-apfs.txt"));
    stand_in(
        bin,
        "ps",
        &format!(
            "case \"$*\" in *comm=*) cat '{FIXTURES}/ps-comm.txt'; printf '70000 {HOSTILE}\\n';;\n\
             *) cat '{FIXTURES}/ps-numbers.txt'; echo '70000 1 me 0.0 10 S';; esac\n"
        ),
    );
    stand_in(bin, "pmset", &cat("pmset-batt-discharging.txt"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mac_over_ssh_has_a_whole_sample() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let bin = keys.path("mac-bin");
    std::fs::create_dir_all(&bin).unwrap();
    mac_commands(&bin);
    let port = free_port();
    let _sshd = Sshd::start_with_path(&keys, port, "mac", &bin);
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let toml = host_toml("mini", port, &keys, &kh, "")
        .replace("sessions = [\"sshd\"]", "sessions = [\"claude\", \"WindowServer\"]");
    let mut rx = spawn(&toml);
    let s = wait_for(&mut rx, "mini", |r| r.is_ok()).await.unwrap();
    assert_eq!(s.parse_errors, 0);
    assert_eq!((s.os.as_str(), s.kernel.as_str()), ("Mac OS X 10.13", "23.1.0"));
    assert!((s.cpu_pct - 53.51).abs() < 1e-6, "top's last sample: {}", s.cpu_pct);
    assert!(s.per_core.is_empty());
    assert_eq!(s.mem_total_bytes, 17_179_869_184);
    assert_eq!(s.mem_used_bytes, (440_187 + 89_349 + 8_871) * 16_384);
    assert_eq!((s.swap_total_bytes, s.swap_used_bytes), (1 << 30, 34 << 20));
    // kern.memorystatus_level 38 (free): a pressure of 62.
    assert_eq!(s.mem_pressure_pct, Some(62.0));
    assert_eq!(s.load, [2.67, 2.88, 3.12]);
    assert!(s.uptime_s > 5 * 365 * 86_400, "booted in 2020: {}", s.uptime_s);
    // Five APFS volumes of one container: one disk.
    assert_eq!(s.disks.len(), 1, "{:?}", s.disks);
    assert_eq!((s.disks[0].mount.as_str(), s.disks[0].fs.as_str()), ("/", "apfs"));
    let names: Vec<&str> = s.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["en0", "gif0", "stf0"]);
    assert_eq!(s.batteries.len(), 1);
    assert_eq!(s.batteries[0].pct, Some(95.0));
    // Eleven processes: the hostile name is one process's, whole.
    assert_eq!(
        s.processes.len(),
        11,
        "{:?}",
        s.processes.iter().map(|p| p.pid).collect::<Vec<_>>()
    );
    let evil = s.processes.iter().find(|p| p.pid == 70000).unwrap();
    // Its line break made a space by the sanitiser; cut at the unknown pid.
    assert_eq!(evil.cmd, "/tmp/evil x y");
    let launchd = s.processes.iter().find(|p| p.pid == 1).unwrap();
    assert_eq!(
        (launchd.cmd.as_str(), launchd.name.as_str(), &*launchd.user),
        ("/sbin/launchd", "launchd", "root")
    );
    assert!(!s.processes.iter().any(|p| p.pid == 99999));
    assert_eq!(s.sessions, [("claude".to_string(), 1), ("WindowServer".to_string(), 1)]);
    // Through the store into a snapshot: online, with what a Linux host has.
    let at = s.at;
    let store = store_with(&toml, "mini", Ok(s), at);
    let h = store.host("mini").unwrap();
    assert_eq!(h.state(at), HostState::Online);
    let snap = serde_json::to_value(Snapshot::build(&store, at)).unwrap();
    common::schema_valid(&snap);
    let host = common::named(&snap["hosts"], "mini");
    assert_eq!(host["state"], "online", "{host}");
    assert_eq!(host["mem_total_bytes"], 17_179_869_184u64);
    assert!(host["cpu_pct"].as_f64().unwrap() > 50.0, "{host}");
    assert_eq!(host["disks"].as_array().unwrap().len(), 1, "{host}");
    assert_eq!(host["top"][0]["name"], "claude", "{host}");
    assert_eq!(host["battery_pct"], 95.0, "{host}");
    assert_eq!(host["sessions"]["WindowServer"], 1, "{host}");
    assert_eq!(host["mem_pressure_pct"], 62.0, "{host}");
}

/// fleettop on a Mac: the local collector runs the same Darwin script with
/// `sh`, here through the same stand-ins.
#[test]
fn the_local_collector_of_a_mac() {
    let dir = tempfile::tempdir().unwrap();
    mac_commands(dir.path());
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let mut c = fleettop::sources::local::Collector::from_commands(vec!["claude".into()], path.as_ref()).unwrap();
    let s = c.collect(fleettop::model::now_millis());
    assert_eq!(s.parse_errors, 0);
    assert_eq!((s.os.as_str(), s.mem_total_bytes), ("Mac OS X 10.13", 17_179_869_184));
    assert_eq!((s.disks.len(), s.interfaces.len(), s.batteries.len()), (1, 3, 1));
    assert_eq!(s.processes.len(), 11);
    assert_eq!(s.sessions, [("claude".to_string(), 1)]);
    assert!((s.cpu_pct - 53.51).abs() < 1e-6);
    assert_eq!(s.mem_pressure_pct, Some(62.0));
}

/// A Mac's probe output assembled from the fixtures, framed by `m`.
fn mac_output(m: &str) -> String {
    let file = |f: &str| std::fs::read_to_string(format!("{FIXTURES}/{f}")).unwrap();
    [
        ("uname", "Darwin\n23.1.0\n".to_string()),
        ("sw_vers", file("sw_vers.txt")),
        ("sysctl", file("sysctl.txt")),
        ("now", "1606523359\n".into()),
        ("vm_stat", file("vm_stat-m1.txt")),
        ("top", file("top-l1-n0-intel.txt")),
        ("netstat", file("netstat-ib-m-series.txt")),
        ("df", file("df-512-apfs.txt")),
        ("ps", file("ps-numbers.txt")),
        ("comm", file("ps-comm.txt")),
        ("pmset", file("pmset-batt-discharging.txt")),
        ("end", String::new()),
    ]
    .iter()
    .map(|(name, body)| format!("{m} {name}\n{body}"))
    .collect()
}

/// The tile and the drill-down of a Mac, as of a Linux host, in console
/// glyphs at 100x30: CPU total (no per-core bars), memory, swap, the one
/// APFS disk, battery, the process table.
#[test]
fn a_macs_tile_and_drill_down() {
    use fleettop::fixture::{NOW, host};
    use fleettop::store::{Store, Tab};
    use fleettop::theme::{GlyphKind, Glyphs, Theme};
    use fleettop::ui::{Detail, View};
    let m = fleettop::parse::probe::marker();
    let p = fleettop::parse::probe::parse(&mac_output(&m), &m);
    let s = fleettop::sources::ssh::Tracker::new(vec!["claude".into()])
        .sample(p.value, p.errors, NOW, true)
        .unwrap();
    let config =
        fleettop::config::parse_str("[[hosts]]\nname = \"mini\"\nssh = \"me@mini.local\"\n", "mac.toml").unwrap();
    let mut store = Store::new(&config);
    store.apply(host("mini", s), NOW);
    let (theme, glyphs) = (Theme::load("console16").unwrap(), Glyphs::new(GlyphKind::Console));
    let detail = View {
        detail: Some(Detail::new(Tab::Fleet, "mini")),
        ..View::default()
    };
    for (name, view) in [
        ("mac_tile_console_100x30", View::default()),
        ("mac_host_console_100x30", detail),
    ] {
        let buf = common::screen::draw(&store, &view, &theme, &glyphs, (100, 30), NOW);
        common::screen::assert_console_only(&buf, name);
        let t = common::screen::text(&buf);
        assert!(t.contains("mini"), "{t}");
        let pressure = if name.contains("tile") {
            "prs 62%"
        } else {
            "pressure 62% normal"
        };
        assert!(t.contains(pressure), "the memory pressure: {t}");
        insta::assert_snapshot!(name, t);
    }
}
