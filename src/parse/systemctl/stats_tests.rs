use super::*;

#[test]
fn restarts_per_service_and_hostile_names_dropped() {
    let text = "Id=web.service\nActiveState=active\nSubState=running\nNRestarts=7\n\n\
                Id=$(reboot).service\nNRestarts=99\n\n\
                Id=ok\\x2dname.service\nActiveState=failed\nNRestarts=0\n\n\
                Id=neg.service\nNRestarts=-3\nActiveState=act\u{1b}[2Jive\n\
                NRestarts=12\n";
    let r = parse_restarts(text);
    let ids: Vec<&str> = r.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["web.service", "ok\\x2dname.service", "neg.service"]);
    assert_eq!(
        (r[0].restarts, r[0].active.as_str(), r[0].sub.as_str()),
        (Some(7), "active", "running")
    );
    assert_eq!(r[1].restarts, Some(0));
    // A negative count is none; a later line for the same record wins.
    assert_eq!((r[2].restarts, r[2].active.as_str()), (Some(12), "active"));
    assert!(
        parse_restarts("NRestarts=5\nnonsense\n").is_empty(),
        "no record before an Id"
    );
}

#[test]
fn unit_names_are_checked() {
    for ok in ["a.service", "getty@tty1.service", "sys-dev\\x2dx.device", "a:b.mount"] {
        assert!(valid_unit_name(ok), "{ok}");
    }
    for bad in [
        "",
        "-x.service",
        "noDot",
        "a b.service",
        "a;rm.service",
        "a\n.service",
        "ü.service",
    ] {
        assert!(!valid_unit_name(bad), "{bad:?}");
    }
    assert!(!valid_unit_name(&format!("{}.service", "a".repeat(300))));
}

#[test]
fn journal_errors_counted_per_unit() {
    let text = "{\"_SYSTEMD_UNIT\":\"web.service\",\"__CURSOR\":\"x\"}\n\
                {\"_SYSTEMD_UNIT\":\"web.service\"}\n\
                {\"_SYSTEMD_UNIT\":\"db.service\"}\n\
                {\"_SYSTEMD_UNIT\":\"`id`.service\"}\n\
                {\"_SYSTEMD_UNIT\":[1,2,3]}\n\
                {\"MESSAGE\":\"no unit\"}\n\
                not json\n[1]\n";
    let m = journal_errors(text);
    assert_eq!(m.len(), 2);
    assert_eq!((m["web.service"], m["db.service"]), (2, 1));
}

#[test]
fn journal_and_units_are_bounded() {
    let line = "{\"_SYSTEMD_UNIT\":\"web.service\"}\n";
    let m = journal_errors(&line.repeat(MAX_JOURNAL_LINES + 100));
    assert_eq!(m["web.service"] as usize, MAX_JOURNAL_LINES);
    let many: String = (0..MAX_UNITS + 10)
        .map(|i| format!("Id=u{i}.service\nNRestarts=1\n"))
        .collect();
    assert_eq!(parse_restarts(&many).len(), MAX_UNITS);
}

#[test]
fn the_fixture_answer() {
    let st = parse_stats(include_str!(
        "../../../tests/fixtures/services/systemctl-unit-stats.txt"
    ));
    let r: Vec<(&str, Option<i64>, &str)> = st
        .units
        .iter()
        .map(|u| (u.id.as_str(), u.restarts, u.active.as_str()))
        .collect();
    assert_eq!(
        r,
        [
            ("web.service", Some(7), "active"),
            ("getty@tty1.service", Some(0), "active"),
            ("backup.service", Some(2), "failed")
        ]
    );
    assert_eq!(
        st.errors.into_iter().collect::<Vec<_>>(),
        [("web.service".to_string(), 2)]
    );
}
