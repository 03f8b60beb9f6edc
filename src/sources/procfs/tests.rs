use super::*;
use std::fs;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/proc");

fn fixture(path: &str) -> String {
    fs::read_to_string(format!("{FIXTURES}/{path}")).unwrap()
}

/// `/proc/PID/stat` text with utime (field 14) and start time (field 22) set.
fn with_ticks(stat: &str, utime: u64, start: Option<u64>) -> String {
    let close = stat.rfind(')').unwrap();
    let mut rest: Vec<String> = stat[close + 1..].split_whitespace().map(String::from).collect();
    rest[14 - 3] = utime.to_string();
    if let Some(s) = start {
        rest[22 - 3] = s.to_string();
    }
    format!("{} {}\n", &stat[..=close], rest.join(" "))
}

fn put(root: &Path, path: &str, content: impl AsRef<[u8]>) {
    let p = root.join(path);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

/// A `/proc` of fixtures: two kernel threads and three processes.
fn fake_proc() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (from, to) in [
        ("vm-x86_64/stat", "stat"),
        ("vm-x86_64/meminfo", "meminfo"),
        ("vm-x86_64/loadavg", "loadavg"),
        ("vm-x86_64/uptime", "uptime"),
        ("vm-x86_64/net_dev", "net/dev"),
        ("vm-x86_64/pid_2_kthreadd_stat", "2/stat"),
        ("vm-x86_64/pid_14_ksoftirqd_stat", "14/stat"),
        ("vm-x86_64/pid_5374_odd_name_stat", "5374/stat"),
        ("vm-x86_64/pid_16467_long_name_stat", "16467/stat"),
        ("vm-x86_64/pid_16467_long_name_cmdline", "16467/cmdline"),
        ("prometheus-procfs/pid_26231_vim_stat", "26231/stat"),
    ] {
        put(root, to, fixture(from));
    }
    put(root, "5374/cmdline", "/tmp/oddp/a) (b c)\x0030\x00");
    put(root, "version", "not a process");
    fs::create_dir_all(root.join("sys")).unwrap();
    dir
}

fn users_of(dir: &Path) -> HashMap<u32, String> {
    HashMap::from([(fs::metadata(dir).unwrap().uid(), "tester".to_string())])
}

#[test]
fn a_fake_proc_of_fixtures_over_two_samples() {
    let dir = fake_proc();
    let root = dir.path();
    let mut scanner = ProcScanner::with_root(root, users_of(root));
    // No auxv under the fake root.
    assert_eq!(scanner.page_size(), 4096);

    let s = scanner.sample(7);
    assert_eq!(s.at, 7);
    assert_eq!(
        (s.mem_total_bytes, s.mem_used_bytes),
        (24683656 * 1024, (24683656 - 23611576) * 1024)
    );
    assert_eq!((s.swap_total_bytes, s.swap_used_bytes), (0, 0));
    assert_eq!((s.load, s.uptime_s), ([3.92, 3.45, 3.54], 3056));
    let names: Vec<_> = s.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["eth0", "ifb0", "ifb1", "lo"]);
    assert_eq!((s.cpu_pct, s.per_core.clone()), (0.0, vec![0.0, 0.0]));
    assert_eq!(s.parse_errors, 0);
    let p = |pid: u32, name: &str, cmd: &str, pages: u64, state: &'static str| Process {
        pid,
        name: name.into(),
        cmd: cmd.into(),
        user: "tester".into(),
        cpu_pct: 0.0,
        mem_bytes: pages * 4096,
        state,
    };
    // Kernel threads 2 and 14 are left out; the 15-byte name is made whole.
    assert_eq!(
        s.processes,
        vec![
            p(5374, "a) (b c)", "/tmp/oddp/a) (b c) 30", 390, "Sleeping"),
            p(
                16467,
                "averyveryverylongprogramname",
                "/tmp/oddp/averyveryverylongprogramname 20",
                411,
                "Sleeping"
            ),
            p(26231, "vim", "", 1981, "Runnable"),
        ]
    );

    // Two cores: 200 ticks pass, 100 per core; cpu0 was busy all along.
    let stat = fixture("vm-x86_64/stat")
        .replacen("cpu  371926 1 44645 190381", "cpu  372026 1 44645 190481", 1)
        .replacen("cpu0 182804", "cpu0 182904", 1)
        .replacen("cpu1 189122 1 22210 91913", "cpu1 189122 1 22210 92013", 1);
    put(root, "stat", stat);
    // 16467 used 50 ticks: half a core. Its cmdline changed on disk, but it
    // did not exec (same name, same start): the kept one is used.
    put(
        root,
        "16467/stat",
        with_ticks(&fixture("vm-x86_64/pid_16467_long_name_stat"), 50, None),
    );
    put(root, "16467/cmdline", "changed\0");
    // 26231 is another process now (a later start time): read afresh.
    put(
        root,
        "26231/stat",
        with_ticks(&fixture("prometheus-procfs/pid_26231_vim_stat"), 5000, Some(99999)),
    );
    put(root, "26231/cmdline", "vim\0notes.txt\0");
    // 5374 is gone.
    fs::remove_dir_all(root.join("5374")).unwrap();

    let s = scanner.sample(8);
    assert_eq!(s.cpu_pct, 50.0);
    assert_eq!(s.per_core, vec![100.0, 0.0]);
    let got: Vec<_> = s.processes.iter().map(|p| (p.pid, p.cmd.as_str(), p.cpu_pct)).collect();
    assert_eq!(
        got,
        [
            (16467, "/tmp/oddp/averyveryverylongprogramname 20", 50.0),
            (26231, "vim notes.txt", 0.0),
        ]
    );
    assert_eq!(scanner.known.len(), 2);
}

#[test]
fn a_process_that_execs_is_named_again() {
    let dir = fake_proc();
    let root = dir.path();
    let mut scanner = ProcScanner::with_root(root, users_of(root));
    scanner.sample(0);
    // Same pid and start time, another program (bash exec'ing into top).
    put(
        root,
        "26231/stat",
        fixture("prometheus-procfs/pid_26231_vim_stat").replace("(vim)", "(top)"),
    );
    put(root, "26231/cmdline", "top\0-d\x001\0");
    let s = scanner.sample(1);
    let top = s.processes.iter().find(|p| p.pid == 26231).unwrap();
    assert_eq!((top.name.as_str(), top.cmd.as_str()), ("top", "top -d 1"));
}

#[test]
fn kernel_threads_are_read_once_per_pid_and_inode() {
    let dir = fake_proc();
    let root = dir.path();
    let mut scanner = ProcScanner::with_root(root, users_of(root));
    assert_eq!(scanner.sample(0).parse_errors, 0);
    // Not read again: garbage there goes unnoticed.
    put(root, "14/stat", "garbage");
    let s = scanner.sample(1);
    assert_eq!(s.parse_errors, 0);
    assert!(s.processes.iter().all(|p| p.pid != 14));
    // Pid 14 goes to a user process: a new /proc/14 (made before the old one
    // is removed, so its inode number differs).
    fs::rename(root.join("14"), root.join("old14")).unwrap();
    put(
        root,
        "14/stat",
        fixture("vm-x86_64/pid_5374_odd_name_stat").replacen("5374", "14", 1),
    );
    fs::remove_dir_all(root.join("old14")).unwrap();
    let s = scanner.sample(2);
    let p = s.processes.iter().find(|p| p.pid == 14).unwrap();
    assert_eq!(p.name, "a) (b c)");
    // Kernel thread 2 went away: forgotten.
    fs::remove_dir_all(root.join("2")).unwrap();
    scanner.sample(3);
    assert_eq!(scanner.kthreads.len(), 0);
}

#[test]
fn hostile_names_are_sanitised_and_bad_stat_files_counted() {
    let dir = fake_proc();
    let root = dir.path();
    put(
        root,
        "4242/stat",
        "4242 (\u{1b}]0;pwned\u{7}x\u{1b}[2J) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 9 0 3\n",
    );
    put(root, "4242/cmdline", "\u{1b}[31mred\0--flag\0");
    put(root, "4343/stat", "garbage");
    let mut scanner = ProcScanner::with_root(root, HashMap::new());
    let s = scanner.sample(0);
    let p = s.processes.iter().find(|p| p.pid == 4242).unwrap();
    assert_eq!((p.name.as_str(), p.cmd.as_str()), ("x", "red --flag"));
    // No user table: the uid is shown.
    assert_eq!(&*p.user, fs::metadata(root).unwrap().uid().to_string().as_str());
    assert_eq!(s.parse_errors, 1);
    assert!(s.processes.iter().all(|p| p.pid != 4343));
}

#[test]
fn a_missing_proc_is_errors_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut scanner = ProcScanner::with_root(dir.path().join("nothing"), HashMap::new());
    let s = scanner.sample(0);
    assert!(s.processes.is_empty());
    // Five files that cannot be read; stat, meminfo, loadavg and uptime then
    // lack their values; and no directory to list.
    assert_eq!(s.parse_errors, 5 + 4 + 1);
}

#[test]
fn full_names() {
    assert_eq!(
        full_name("averyveryverylo", Some("/tmp/oddp/averyveryverylongprogramname")),
        "averyveryverylongprogramname"
    );
    // Shorter than 15 bytes: the kernel kept it whole.
    assert_eq!(full_name("bash", Some("/usr/bin/bashful")), "bash");
    // argv[0] rewritten by the program to something else.
    assert_eq!(full_name("averyveryverylo", Some("worker: idle")), "averyveryverylo");
    assert_eq!(full_name("averyveryverylo", None), "averyveryverylo");
}

#[test]
fn passwd() {
    let u = parse_passwd(
        "root:x:0:0:root:/root:/bin/bash\n# comment:x:5:\nbroken line\nnobody:x:65534:65534::/:/sbin/nologin\ntoor:x:0:0::/:/bin/sh\nodd\u{1b}[1m:x:1000:1000::/:/bin/sh\n",
    );
    assert_eq!(u.len(), 3);
    assert_eq!(u[&0], "root");
    assert_eq!(u[&65534], "nobody");
    assert_eq!(u[&1000], "odd");
}

#[test]
fn page_size_from_an_auxv() {
    let words = |pairs: &[(usize, usize)]| -> Vec<u8> {
        pairs
            .iter()
            .flat_map(|(k, v)| [k.to_ne_bytes(), v.to_ne_bytes()].concat())
            .collect()
    };
    assert_eq!(page_size_from_auxv(&words(&[(33, 1), (6, 16384), (0, 0)])), Some(16384));
    assert_eq!(page_size_from_auxv(&words(&[(33, 1), (0, 0), (6, 4096)])), None);
    assert_eq!(page_size_from_auxv(&words(&[(6, 4095)])), None);
    let cut = words(&[(6, 4096)]);
    assert_eq!(page_size_from_auxv(&cut[..cut.len() - 1]), None);
    assert_eq!(page_size_from_auxv(&[]), None);
}

// The live machine.

#[cfg(target_arch = "x86_64")]
#[test]
fn this_machine_has_4k_pages() {
    assert_eq!(ProcScanner::new().page_size(), 4096);
}

fn own_ticks() -> u64 {
    let text = fs::read_to_string("/proc/self/stat").unwrap();
    let rest: Vec<&str> = text[text.rfind(')').unwrap() + 1..].split_whitespace().collect();
    rest[11].parse::<u64>().unwrap() + rest[12].parse::<u64>().unwrap()
}

#[test]
fn this_machine_finds_its_own_process() {
    let mut scanner = ProcScanner::new();
    let first = scanner.sample(0);
    let me = std::process::id();
    let exe = std::env::current_exe().unwrap();
    let exe_name = exe.file_name().unwrap().to_str().unwrap();
    let p = first.processes.iter().find(|p| p.pid == me).unwrap();
    // The test binary's name (fleettop-<hash>) is longer than 15 bytes.
    assert!(exe_name.len() > 15, "{exe_name}");
    assert_eq!(p.name, exe_name);
    let argv0 = std::env::args().next().unwrap();
    assert!(p.cmd.starts_with(&argv0), "{} vs {argv0}", p.cmd);
    let id = std::process::Command::new("id").arg("-un").output().unwrap();
    assert_eq!(&*p.user, String::from_utf8_lossy(&id.stdout).trim());

    let status = fs::read_to_string("/proc/self/status").unwrap();
    let vm_rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let rss = p.mem_bytes as f64;
    let expect = (vm_rss_kib * 1024) as f64;
    assert!(rss > 1e6 && rss < 8e9, "{rss}");
    assert!((rss - expect).abs() < expect * 0.5, "{rss} vs VmRSS {expect}");

    let meminfo = fs::read_to_string("/proc/meminfo").unwrap();
    let mem_total_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first.mem_total_bytes, mem_total_kib * 1024);
    assert!(first.mem_used_bytes > 0 && first.mem_used_bytes < first.mem_total_bytes);

    // Kernel threads are left out (kthreadd is pid 2 outside a pid namespace).
    if fs::read_to_string("/proc/2/stat").is_ok_and(|s| s.contains("(kthreadd)")) {
        assert!(first.processes.iter().all(|p| p.pid != 2));
    }

    // Burn at least 10 ticks of CPU in this process, then sample again.
    let start = own_ticks();
    let mut x = 0u64;
    while own_ticks() < start + 10 {
        for i in 0..100_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
    let second = scanner.sample(1);
    let p = second.processes.iter().find(|p| p.pid == me).unwrap();
    let cores = second.per_core.len() as f32;
    assert!(p.cpu_pct > 0.0 && p.cpu_pct <= 100.0 * cores, "{}", p.cpu_pct);
    assert!(second.cpu_pct > 0.0 && second.cpu_pct <= 100.0);
}
