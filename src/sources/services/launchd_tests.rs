use super::*;

const M: &str = "@@fleettop-00";

#[test]
fn the_audit_output_is_split_at_its_marker_only() {
    let text = format!(
        "{M} list\nPID\tStatus\tLabel\n-\t0\tlocal.a\n{M} plist ~/Library/LaunchAgents\t/Users/me/Library/LaunchAgents/a.plist\n\
         <dict><key>Label</key><string>local.a</string></dict>\n@@fleettop-ff plist x\ty\n{M} toomany\n"
    );
    let l = listing(&text, M);
    assert_eq!(l.list.as_deref(), Some("PID\tStatus\tLabel\n-\t0\tlocal.a\n"));
    assert_eq!(l.plists.len(), 1);
    assert_eq!(l.plists[0].0, "~/Library/LaunchAgents");
    // A forged marker is content of the plist it is in.
    assert!(l.plists[0].2.contains("@@fleettop-ff"));
    assert!(l.too_many && !l.no_plutil);
    let (specs, bad, first) = specs(&l.plists);
    assert_eq!((specs.len(), bad), (0, 1), "{first:?}");
    assert_eq!(listing(&format!("{M} nolaunchctl\n"), M).list, None);
    assert!(listing(&format!("{M} list\n{M} listfailed\n"), M).list_failed);
}

#[test]
fn rows_count_cohorts_and_carry_the_audit() {
    let jobs = crate::parse::launchctl::parse("12\t0\tlocal.a\n-\t126\tlocal.b\n").value;
    let audits = super::super::launchd_audit::audit(&jobs, &[], &[]);
    let round = Round {
        audits,
        skipped: 2,
        notes: vec!["no plutil: plists not read".into()],
    };
    let rows = rows("mac", "mac launchd", round);
    assert_eq!(
        rows[0].detail,
        "1 running, 0 ok, 0 down, 1 failing, 0 not loaded, 2 unreadable lines or plists, no plutil: plists not read"
    );
    assert_eq!((rows[1].name.as_str(), rows[1].health), ("local.b", Health::Warn));
    assert_eq!(rows[1].detail, "not executable (exit 126)");
    assert_eq!(rows[2].detail, "running (pid 12), keepalive unknown (no plist found)");
    assert!(rows[1].launchd.is_some() && rows[0].launchd.is_none());
}

#[test]
fn exit_0_is_remembered_while_the_job_is_there() {
    let jobs = crate::parse::launchctl::parse("-\t0\tlocal.a\n-\t1\tlocal.b\n").value;
    let mut a = super::super::launchd_audit::audit(&jobs, &[], &[]);
    let mut seen = HashMap::new();
    remember_ok(&mut a, &mut seen, 1000);
    let jobs = crate::parse::launchctl::parse("-\t1\tlocal.a\n").value;
    let mut b = super::super::launchd_audit::audit(&jobs, &[], &[]);
    remember_ok(&mut b, &mut seen, 2000);
    assert_eq!(b[0].last_ok_at, Some(1000));
    assert_eq!(seen.len(), 1);
}
