use super::*;

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!("../../../tests/fixtures/proc/", $path))
    };
}

const VM_STAT: &str = fixture!("vm-x86_64/stat");
const VM_MEMINFO: &str = fixture!("vm-x86_64/meminfo");
const VM_LOADAVG: &str = fixture!("vm-x86_64/loadavg");
const VM_UPTIME: &str = fixture!("vm-x86_64/uptime");
const VM_NET_DEV: &str = fixture!("vm-x86_64/net_dev");
const VM_DF: &str = fixture!("vm-x86_64/df_pk");
const VM_KTHREADD: &str = fixture!("vm-x86_64/pid_2_kthreadd_stat");
const VM_KSOFTIRQD: &str = fixture!("vm-x86_64/pid_14_ksoftirqd_stat");
const VM_ODD_NAME: &str = fixture!("vm-x86_64/pid_5374_odd_name_stat");
const VM_LONG_NAME: &str = fixture!("vm-x86_64/pid_16467_long_name_stat");
const PROCFS_STAT: &str = fixture!("prometheus-procfs/stat");
const PROCFS_MEMINFO: &str = fixture!("prometheus-procfs/meminfo");
const PROCFS_LOADAVG: &str = fixture!("prometheus-procfs/loadavg");
const PROCFS_NET_DEV: &str = fixture!("prometheus-procfs/net_dev");
const PROCFS_VIM: &str = fixture!("prometheus-procfs/pid_26231_vim_stat");
const PROCFS_ATA_SFF: &str = fixture!("prometheus-procfs/pid_26232_ata_sff_stat");
const PROCFS_ODD_NAME: &str = fixture!("prometheus-procfs/pid_584_odd_name_stat");
const RPI_MEMINFO: &str = fixture!("rpi3bplus/meminfo");

const KIB: u64 = 1024;

fn clean<T>(p: Parsed<T>) -> T {
    assert_eq!((p.errors, p.first_error.as_deref()), (0, None));
    p.value
}

#[test]
fn stat_of_this_vm() {
    let s = clean(parse_stat(VM_STAT));
    assert_eq!(
        s.total,
        CpuTimes {
            user: 371926,
            nice: 1,
            system: 44645,
            idle: 190381,
            iowait: 968,
            irq: 0,
            softirq: 321,
            steal: 1923,
        }
    );
    assert_eq!(s.total.total(), 610165);
    assert_eq!(s.total.busy(), 610165 - 190381 - 968);
    assert_eq!(s.cores.len(), 2);
    assert_eq!(
        s.cores[0],
        CpuTimes {
            user: 182804,
            nice: 0,
            system: 22435,
            idle: 98468,
            iowait: 292,
            irq: 0,
            softirq: 103,
            steal: 964,
        }
    );
}

#[test]
fn stat_of_an_eight_core_machine_with_a_long_intr_line() {
    let s = clean(parse_stat(PROCFS_STAT));
    assert_eq!(s.total.user, 301854);
    assert_eq!(s.total.idle, 8979004);
    assert_eq!(s.total.total(), 301854 + 612 + 111922 + 8979004 + 3552 + 2 + 3944);
    assert_eq!(s.cores.len(), 8);
    assert_eq!(
        (s.cores[7].user, s.cores[7].nice, s.cores[7].idle),
        (29098, 268, 1139282)
    );
}

#[test]
fn stat_with_only_the_four_oldest_columns_and_bad_lines() {
    let p = parse_stat("cpu 10 0 5 85\ncpu0 10 0 5 85\ncpu1 x 0 5 85\ncpuX 1 2 3 4\ncpu2 1 2\nintr 1\n");
    assert_eq!(p.value.total.total(), 100);
    assert_eq!(p.value.total.busy(), 15);
    assert_eq!(p.value.cores.len(), 1);
    assert_eq!(p.errors, 3);
    assert_eq!(p.first_error.as_deref(), Some("/proc/stat line 3: bad cpu times"));
    let none = parse_stat("intr 1 2 3\nctxt 4\n");
    assert_eq!(none.errors, 1);
}

#[test]
fn cpu_percent_from_two_samples() {
    let prev = clean(parse_stat(VM_STAT));
    let mut cur = prev.clone();
    cur.total.user += 30;
    cur.total.idle += 60;
    cur.total.iowait += 10;
    cur.cores[1].system += 5;
    cur.cores[1].idle += 15;
    assert_eq!(cpu_pct(&prev.total, &cur.total), 30.0);
    assert_eq!(per_core_pct(&prev.cores, &cur.cores), vec![0.0, 25.0]);
    // Counters going back (a reboot between samples) read 0, not garbage.
    assert_eq!(cpu_pct(&cur.total, &prev.total), 0.0);
    // A core that came online has no previous sample.
    let mut more = cur.cores.clone();
    more.push(CpuTimes {
        user: 9,
        ..CpuTimes::default()
    });
    assert_eq!(per_core_pct(&prev.cores, &more), vec![0.0, 25.0, 0.0]);
}

#[test]
fn meminfo_of_this_vm() {
    let m = clean(parse_meminfo(VM_MEMINFO));
    assert_eq!(m.total_bytes, 24683656 * KIB);
    assert_eq!(m.available_bytes, 23611576 * KIB);
    assert_eq!(m.used_bytes, (24683656 - 23611576) * KIB);
    assert_eq!((m.swap_total_bytes, m.swap_used_bytes()), (0, 0));
}

#[test]
fn meminfo_of_a_raspberry_pi_with_swap() {
    let m = clean(parse_meminfo(RPI_MEMINFO));
    assert_eq!(m.total_bytes, 929100 * KIB);
    assert_eq!(m.used_bytes, (929100 - 525648) * KIB);
    assert_eq!(m.swap_total_bytes, 204796 * KIB);
    assert_eq!(m.swap_free_bytes, 203772 * KIB);
    assert_eq!(m.swap_used_bytes(), 1024 * KIB);
}

#[test]
fn meminfo_without_mem_available_uses_the_old_estimate() {
    // An older kernel: no MemAvailable line.
    let m = clean(parse_meminfo(PROCFS_MEMINFO));
    assert_eq!(m.total_bytes, 15666184 * KIB);
    let estimate = 440324 + 1020128 + 12007640 + 1738124;
    assert_eq!(m.available_bytes, estimate * KIB);
    assert_eq!(m.used_bytes, (15666184 - estimate) * KIB);
}

#[test]
fn meminfo_bad_lines_are_counted() {
    let p = parse_meminfo("MemTotal: 100 kB\nMemAvailable: lots kB\nnonsense\nSwapTotal: 5 MB\nMemFree: 7 kB extra\n");
    assert_eq!(p.errors, 4);
    assert_eq!(p.value.total_bytes, 100 * KIB);
    // No usable MemAvailable and no MemFree: nothing is known to be free.
    assert_eq!(p.value.used_bytes, 100 * KIB);
    let none = parse_meminfo("SwapTotal: 5 kB\n");
    assert_eq!((none.value, none.errors), (MemInfo::default(), 1));
}

#[test]
fn loadavg_and_uptime() {
    assert_eq!(clean(parse_loadavg(VM_LOADAVG)), [3.92, 3.45, 3.54]);
    assert_eq!(clean(parse_loadavg(PROCFS_LOADAVG)), [0.02, 0.04, 0.05]);
    assert_eq!(clean(parse_uptime(VM_UPTIME)), 3056);
    let bad = parse_loadavg("0.5 0.4");
    assert_eq!((bad.value, bad.errors), ([0.0; 3], 1));
    assert_eq!(parse_loadavg("1 NaN 2").errors, 1);
    assert_eq!(parse_uptime("").errors, 1);
    assert_eq!(parse_uptime("-3 1").errors, 1);
}

#[test]
fn net_dev_of_this_vm_and_of_a_docker_host() {
    let i = |name: &str, rx, tx| Interface {
        name: name.into(),
        rx_bytes: rx,
        tx_bytes: tx,
    };
    assert_eq!(
        clean(parse_net_dev(VM_NET_DEV)),
        vec![
            i("lo", 165808, 165808),
            i("ifb0", 0, 0),
            i("ifb1", 0, 0),
            i("eth0", 207039984, 603709),
        ]
    );
    assert_eq!(
        clean(parse_net_dev(PROCFS_NET_DEV)),
        vec![
            i("vethf345468", 648, 438),
            i("lo", 1664039048, 1664039048),
            i("docker0", 2568, 438),
            i("eth0", 874354587, 563352563),
        ]
    );
    let p = parse_net_dev("eth1:1 2 3\nnocolon 1 2\n  e\u{1b}[31mvil: 1 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0\n");
    assert_eq!(p.errors, 2);
    assert_eq!(p.value, vec![i("evil", 1, 2)]);
}

#[test]
fn pid_stat_of_processes_and_kernel_threads() {
    let vim = clean(parse_pid_stat(PROCFS_VIM)).unwrap();
    assert_eq!(
        vim,
        PidStat {
            pid: 26231,
            comm: "vim".into(),
            state: 'R',
            ppid: 5392,
            flags: 4218880,
            cpu_ticks: 1677 + 44,
            start_ticks: 82375,
            rss_pages: 1981,
        }
    );
    assert!(!vim.is_kernel_thread());

    let long = clean(parse_pid_stat(VM_LONG_NAME)).unwrap();
    assert_eq!(
        (long.pid, long.comm.as_str(), long.ppid),
        (16467, "averyveryverylo", 16463)
    );
    assert_eq!((long.start_ticks, long.rss_pages), (327148, 411));

    for (text, pid, ppid) in [(VM_KTHREADD, 2, 0), (VM_KSOFTIRQD, 14, 2), (PROCFS_ATA_SFF, 33, 2)] {
        let k = clean(parse_pid_stat(text)).unwrap();
        assert_eq!((k.pid, k.ppid, k.rss_pages), (pid, ppid, 0));
        assert!(k.is_kernel_thread(), "{}", k.comm);
        assert_ne!(k.flags & PF_KTHREAD, 0);
    }
}

#[test]
fn pid_stat_names_with_spaces_and_parentheses() {
    let odd = clean(parse_pid_stat(VM_ODD_NAME)).unwrap();
    assert_eq!(odd.comm, "a) (b c)");
    assert_eq!((odd.pid, odd.state, odd.ppid, odd.rss_pages), (5374, 'S', 5373, 390));
    assert_eq!(odd.start_ticks, 305907);
    // procfs's fixture has a second line after the record; it is ignored.
    let odder = clean(parse_pid_stat(PROCFS_ODD_NAME)).unwrap();
    assert_eq!(odder.comm, "(a b ) ( c d) ");
    assert_eq!(
        (odder.pid, odder.state, odder.ppid, odder.rss_pages),
        (1020, 'R', 28378, 155)
    );
}

#[test]
fn pid_stat_garbage() {
    for (text, why) in [
        ("", "no '('"),
        ("12 (x S 1", "no ')'"),
        (") (", "no ')'"),
        ("x (y) S 1", "bad pid"),
        ("1 (y) S 1 2 3", "too few fields"),
        ("1 (y) RS 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "bad state"),
        ("1 (y) S -1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "bad ppid"),
        ("1 (y) S 1 1 1 1 1 x 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "bad number"),
    ] {
        let p = parse_pid_stat(text);
        assert_eq!(p.value, None, "{text}");
        assert_eq!(p.first_error, Some(format!("/proc/PID/stat: {why}")), "{text}");
    }
    // A negative rss (the kernel prints it signed) is no memory, not an error.
    let neg = clean(parse_pid_stat("1 (y) S 0 1 1 1 1 0 1 1 1 1 2 3 1 1 1 1 1 1 7 1 -4")).unwrap();
    assert_eq!((neg.cpu_ticks, neg.start_ticks, neg.rss_pages), (5, 7, 0));
}

#[test]
fn state_words_are_the_ones_sysinfo_used() {
    // The snapshot JSON and the process table keep showing what they showed.
    let words: String = "RSIDZTtXKWP?".chars().map(|c| format!("{} ", state_word(c))).collect();
    assert_eq!(
        words,
        "Runnable Sleeping Idle UninterruptibleDiskSleep Zombie Stopped Tracing Dead Wakekill Waking Parked Unknown "
    );
}

#[test]
fn df_of_this_vm_with_spaces_in_device_and_mount() {
    let d = |mount: &str, device: &str, size: u64, used: u64, avail: u64| Disk {
        mount: mount.into(),
        device: device.into(),
        fs: String::new(),
        total_bytes: size * KIB,
        used_bytes: used * KIB,
        available_bytes: avail * KIB,
    };
    let disks = clean(parse_df(VM_DF));
    assert_eq!(
        disks,
        vec![
            d("/dev", "devtmpfs", 12334464, 0, 12334464),
            d("/dev/shm", "tmpfs", 24683656, 0, 24683656),
            d("/", "/dev/vda", 264212084, 24810568, 70475320),
            d("/sys/fs/cgroup", "tmpfs", 12341828, 0, 12341828),
            d("/tmp/my disk", "tmpfs", 1024, 0, 1024),
            d("/tmp/x 100% y", "odd dev", 2048, 0, 2048),
        ]
    );
    // The size is df's, not used + available; the percentage is df's
    // Capacity column for /: used / (used + available), rounded up.
    assert_eq!(disks[2].total_bytes, 264212084 * KIB);
    assert_eq!(disks[2].used_pct(), 27.0);
}

#[test]
fn df_bad_lines() {
    let p = parse_df(
        "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 10 x 5 50% /\n/dev/sdb 10 5 5 50%\n/dev/sdc 8 2 6 - /m\n/dev/sdd 8 2 6 25% /ok\n",
    );
    assert_eq!(p.errors, 3);
    assert_eq!(p.value.len(), 1);
    assert_eq!((p.value[0].mount.as_str(), p.value[0].total_bytes), ("/ok", 8 * KIB));
}

const ALL: [&str; 18] = [
    VM_STAT,
    VM_MEMINFO,
    VM_LOADAVG,
    VM_UPTIME,
    VM_NET_DEV,
    VM_DF,
    VM_KTHREADD,
    VM_KSOFTIRQD,
    VM_ODD_NAME,
    VM_LONG_NAME,
    PROCFS_STAT,
    PROCFS_MEMINFO,
    PROCFS_LOADAVG,
    PROCFS_NET_DEV,
    PROCFS_VIM,
    PROCFS_ATA_SFF,
    PROCFS_ODD_NAME,
    RPI_MEMINFO,
];

/// Every parser on `text`, checking what must hold whatever the input.
fn all_parsers(text: &str) {
    let s = parse_stat(text).value;
    assert!(s.total.busy() <= s.total.total());
    let m = parse_meminfo(text).value;
    assert!(m.used_bytes <= m.total_bytes && m.available_bytes <= m.total_bytes);
    assert!(m.swap_free_bytes <= m.swap_total_bytes);
    assert!(parse_loadavg(text).value.iter().all(|l| l.is_finite() && *l >= 0.0));
    parse_uptime(text);
    parse_net_dev(text);
    if let Some(p) = parse_pid_stat(text).value {
        assert!(!p.comm.is_empty() || text.contains("()"));
    }
    for d in parse_df(text).value {
        assert!(d.used_bytes <= d.total_bytes);
        assert!(d.available_bytes <= d.total_bytes - d.used_bytes);
    }
}

#[test]
fn every_prefix_of_every_fixture() {
    for text in ALL {
        // The 130 kB /proc/stat of procfs: every prefix through its CPU lines,
        // then every 331st.
        let dense = if text.len() > 8192 { 2048 } else { text.len() };
        let cuts = (0..=dense).chain((dense..=text.len()).step_by(331));
        for cut in cuts.filter(|c| text.is_char_boundary(*c)) {
            all_parsers(&text[..cut]);
        }
    }
}

#[test]
fn garbled_fixtures() {
    // A fixed pseudo-random walk: overwrite, delete or duplicate bytes.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let junk = b" \n\t():%-0123456789kBcpu|\x1b\xff";
    for text in ALL {
        let text = &text[..text.len().min(4096)];
        for _ in 0..200 {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..1 + next() % 8 {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => bytes[at] = junk[(next() % junk.len() as u64) as usize],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, bytes[at]),
                }
            }
            all_parsers(&String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn state_letters_are_the_ones_ps_shows() {
    for c in ['R', 'S', 'I', 'D', 'Z', 'T', 't', 'X', 'K', 'W', 'P'] {
        assert_eq!(state_letter(state_word(c)), c);
    }
    assert_eq!(state_letter("Sleeping"), 'S');
    assert_eq!(state_letter("whatever"), '?');
}
