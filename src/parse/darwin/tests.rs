use super::*;
use crate::parse::probe;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/darwin/", $name))
    };
}

const VM_STAT_M1: &str = fixture!("vm_stat-m1.txt");
const TOP_INTEL: &str = fixture!("top-l1-n0-intel.txt");
const SYSCTL: &str = fixture!("sysctl.txt");
const SW_VERS: &str = fixture!("sw_vers.txt");
const PMSET_DISCHARGING: &str = fixture!("pmset-batt-discharging.txt");
const PMSET_CHARGED: &str = fixture!("pmset-batt-charged.txt");
const PMSET_NOT_CHARGING: &str = fixture!("pmset-batt-not-charging.txt");

#[test]
fn vm_stat_used_is_active_wired_and_compressed() {
    assert_eq!(vm_stat_used(VM_STAT_M1), Some((440_187 + 89_349 + 8_871) * 16_384));
    assert_eq!(
        vm_stat_used("Mach Virtual Memory Statistics: (page size of 3 bytes)\n"),
        None
    );
    assert_eq!(vm_stat_used("vm_stat: command not found"), None);
}

#[test]
fn top_gives_the_cpu_of_its_last_sample() {
    assert!((top_cpu(TOP_INTEL).unwrap() - (100.0 - 46.49)).abs() < 1e-9);
    let two = format!("{TOP_INTEL}\n{}", TOP_INTEL.replace("46.49% idle", "90.00% idle"));
    assert!((top_cpu(&two).unwrap() - 10.0).abs() < 1e-9);
    assert_eq!(top_cpu("CPU usage: x% idle"), None);
    assert_eq!(top_cpu("CPU usage: -50% idle"), Some(100.0), "clamped");
}

#[test]
fn sysctl_values() {
    assert_eq!(
        swap_usage("total = 1024.00M  used = 34.00M  free = 990.00M  (encrypted)"),
        Some((1 << 30, 34 << 20))
    );
    assert_eq!(
        swap_usage("total = 2.00G used = 0.50G free = 1.50G"),
        Some((2 << 30, 1 << 29))
    );
    assert_eq!(swap_usage("total = NaNM used = 1M"), None);
    assert_eq!(
        boot_time("{ sec = 1606436959, usec = 440093 } Fri Nov 27 09:29:19 2020"),
        Some(1_606_436_959)
    );
    assert_eq!(load_avg("{ 2.67 2.88 3.12 }"), Some([2.67, 2.88, 3.12]));
    assert_eq!(load_avg("{ 1 2 }"), None);
    assert_eq!(sw_vers(SW_VERS), "Mac OS X 10.13");
}

#[test]
fn pmset_batteries() {
    let b = pmset(PMSET_DISCHARGING);
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].name.as_str(), b[0].pct, b[0].status.as_deref()),
        ("InternalBattery-0", Some(95.0), Some("Discharging"))
    );
    assert_eq!(pmset(PMSET_CHARGED)[0].status.as_deref(), Some("Full"));
    let b = pmset(PMSET_NOT_CHARGING);
    assert_eq!((b[0].pct, b[0].status.as_deref()), (Some(88.0), Some("Not charging")));
    // A Mac mini: AC only, no battery line.
    assert!(pmset("Now drawing from 'AC Power'\n").is_empty());
}

/// A whole Darwin probe output of the fixtures, framed by `m`.
pub(crate) fn output(m: &str) -> String {
    let sec = |name: &str, body: &str| format!("{m} {name}\n{body}");
    [
        sec("uname", "Darwin\n23.1.0\n"),
        sec("sw_vers", SW_VERS),
        sec("sysctl", SYSCTL),
        sec("now", "1606523359\n"),
        sec("vm_stat", VM_STAT_M1),
        sec("top", TOP_INTEL),
        sec("netstat", fixture!("netstat-ib-ddagent.txt")),
        sec("df", fixture!("df-512-apfs.txt")),
        sec("ps", fixture!("ps-numbers.txt")),
        sec("comm", fixture!("ps-comm.txt")),
        sec("pmset", PMSET_DISCHARGING),
        format!("{m} end\n"),
    ]
    .concat()
}

#[test]
fn a_whole_output_through_the_probe_parser() {
    let m = probe::marker();
    let p = probe::parse(&output(&m), &m);
    assert_eq!((p.errors, &p.first_error), (0, &None));
    let v = &p.value;
    assert_eq!(
        (v.system.as_str(), v.kernel.as_str(), v.os.as_str()),
        ("Darwin", "23.1.0", "Mac OS X 10.13")
    );
    assert!(v.complete && v.garbled.is_none());
    assert_eq!(v.load, [2.67, 2.88, 3.12]);
    assert_eq!(v.uptime_s, 86_400);
    assert_eq!((v.interfaces.len(), v.disks.len(), v.batteries.len()), (3, 1, 1));
    let d = v.darwin.as_deref().expect("a Darwin sample");
    assert_eq!(
        (d.mem_total_bytes, d.cores, d.mem_free_pct),
        (17_179_869_184, 12, Some(38))
    );
    assert_eq!(d.mem_used_bytes, (440_187 + 89_349 + 8_871) * 16_384);
    assert_eq!((d.swap_total_bytes, d.swap_used_bytes), (1 << 30, 34 << 20));
    assert_eq!(d.procs.len(), 10);
    assert_eq!(d.procs[0].comm, "/sbin/launchd");
    assert_eq!(d.procs[9].comm, "claude");
    // The Linux parts stay empty.
    assert!(v.stat.is_none() && v.mem.is_none() && v.procs.is_empty());
}

#[test]
fn garbage_does_not_panic() {
    let m = "@@fleettop";
    let whole = output(m);
    for cut in (0..whole.len()).step_by(7).filter(|c| whole.is_char_boundary(*c)) {
        let _ = probe::parse(&whole[..cut], m);
    }
    for t in [
        "sysctl\nhw.memsize: -1\nkern.boottime: {\n",
        "vm_stat\n\u{0}",
        "bogus\nx\n",
    ] {
        let p = probe::parse(&format!("{m} uname\nDarwin\n1\n{m} {t}\n{m} end\n"), m);
        assert!(p.errors > 0, "{t}");
    }
}
