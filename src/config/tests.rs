use super::*;

fn errors(text: &str) -> Vec<ConfigError> {
    parse_str(text, "cfg.toml").expect_err("should be rejected")
}

#[test]
fn embedded_default_and_examples_parse() {
    let c = parse_str(DEFAULT_CONFIG, "default").unwrap();
    assert_eq!(c.hosts.len(), 1);
    assert!(c.hosts[0].local);
    assert_eq!(c.hosts[0].sessions, ["claude", "codex"]);
    parse_str(include_str!("../../config.toml.example"), "example").unwrap();
    let spec = parse_str(include_str!("../../tests/fixtures/configs/spec.toml"), "spec").unwrap();
    assert_eq!(spec.hosts.len(), 4);
    assert_eq!(spec.nats[0].ack_pending_warn, 1000);
    assert_eq!(spec.agents.daemon[0].heartbeat_max_age, Some(Dur::secs(360)));
    assert_eq!(spec.services.http[0].expect_status, Some(ExpectStatus::One(200)));
}

#[test]
fn the_embedded_default_adds_only_what_answers() {
    let mut c = parse_str(DEFAULT_CONFIG, "default").unwrap();
    add_what_answers(
        &mut c,
        &Probe {
            docker: false,
            systemd: false,
        },
    );
    assert_eq!((c.services.docker.len(), c.services.systemd.len()), (0, 0));
    add_what_answers(
        &mut c,
        &Probe {
            docker: true,
            systemd: true,
        },
    );
    assert_eq!(
        c.services.docker[0].endpoint.as_deref(),
        Some("unix:///var/run/docker.sock")
    );
    assert_eq!(c.services.systemd[0].host.get_ref(), &local_hostname());
}

#[test]
fn unknown_key_names_line_and_column() {
    let e = errors("[ui]\ntheme = \"default\"\n  colour = 3\n");
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].line, e[0].column), (3, 3), "{}", e[0]);
    assert!(e[0].message.contains("colour"), "{}", e[0].message);
    assert!(e[0].to_string().starts_with("cfg.toml:3:3: "), "{}", e[0]);
}

#[test]
fn bad_duration_and_wrong_type_point_at_the_value() {
    let e = errors("[[hosts]]\nlocal = true\ninterval = \"5 parsecs\"\n");
    assert_eq!(e[0].line, 3, "{}", e[0]);
    assert!(e[0].message.contains("bad duration"), "{}", e[0].message);
    let e = errors("[ui]\nticker_fps = \"fast\"\n");
    assert_eq!(e[0].line, 2, "{}", e[0]);
    let e = errors("[ui]\nglyphs = \"emoji\"\n");
    assert_eq!((e[0].line, e[0].column), (2, 10), "{}", e[0]);
    let e = errors("[alerts]\nwebhook_format = \"teams\"\n");
    assert_eq!((e[0].line, e[0].column), (2, 18), "{}", e[0]);
    assert!(e[0].message.contains("discord"), "{}", e[0].message);
}

#[test]
fn semantic_errors_are_all_reported_with_positions() {
    let text = r#"
[ui]
ticker_fps = 500

[[hosts]]
name = "a"
ssh = "nobody"

[[hosts]]
name = "a"
local = true

[[services.systemd]]
host = "ghost"

[agents]
nats = "missing"

[alerts]
disk_warn_pct = 95
"#;
    let e = errors(text);
    let msgs: Vec<String> = e.iter().map(ToString::to_string).collect();
    let find = |needle: &str| {
        msgs.iter()
            .find(|m| m.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in {msgs:#?}"))
    };
    assert!(find("ticker_fps").starts_with("cfg.toml:3:14:"));
    assert!(find("is not user@host").starts_with("cfg.toml:7:7:"));
    assert!(find("duplicate host name").starts_with("cfg.toml:10:8:"));
    assert!(find("no [[hosts]] named \"ghost\"").starts_with("cfg.toml:14:8:"));
    assert!(find("no [[nats]] named \"missing\"").starts_with("cfg.toml:17:8:"));
    assert!(find("disk_warn_pct is above").starts_with("cfg.toml:20:17:"));
}

#[test]
fn events_need_a_nats_connection_not_just_monitoring() {
    let e = errors("[[nats]]\nname = \"m\"\nmonitor_url = \"http://x:8222\"\n[agents]\nnats = \"m\"\n");
    assert!(
        e[0].to_string()
            .starts_with("cfg.toml:5:8: [[nats]] \"m\" has no `url`"),
        "{}",
        e[0]
    );
}

#[test]
fn a_host_needs_exactly_one_kind() {
    let e = errors("[[hosts]]\nname = \"x\"\n");
    assert!(e[0].message.contains("exactly one"), "{}", e[0]);
    let e = errors("[[hosts]]\nname = \"x\"\nlocal = true\nnats = true\n");
    assert!(e[0].message.contains("exactly one"), "{}", e[0]);
}

#[test]
fn ssh_targets() {
    assert_eq!(
        parse_ssh_target("willy@10.0.0.7:22").unwrap(),
        ("willy".into(), "10.0.0.7".into(), 22)
    );
    assert_eq!(parse_ssh_target("root@pi").unwrap().2, 22);
    assert_eq!(
        parse_ssh_target("u@[::1]:2222").unwrap(),
        ("u".into(), "::1".into(), 2222)
    );
    for bad in ["pi", "@pi", "u@", "u@pi:x", "u@pi:0"] {
        assert!(parse_ssh_target(bad).is_err(), "{bad}");
    }
}

#[test]
fn secrets_never_show_in_debug_output() {
    let c = parse_str(
        "[[nats]]\nname = \"m\"\ntoken = \"hunter2\"\npassword = \"pw-secret\"\n[[services.syncthing]]\nname = \"s\"\nurl = \"http://x\"\napi_key = \"key-secret\"\n",
        "s",
    )
    .unwrap();
    let dbg = format!("{c:?}");
    for s in ["hunter2", "pw-secret", "key-secret"] {
        assert!(!dbg.contains(s), "{s} leaked");
    }
    assert!(has_secrets(&c));
}

#[test]
fn line_col_counts_characters() {
    assert_eq!(line_col("ab\ncd", 0), (1, 1));
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
    assert_eq!(line_col("é=1\nx", 2), (1, 2));
    assert_eq!(line_col("é=1\nx", 3), (1, 3));
}

#[test]
fn push_mode_needs_a_nats_connection() {
    let e = errors("[[hosts]]\nname = \"gpu\"\nnats = true\n");
    assert!(e[0].to_string().contains("needs a [[nats]] with a `url`"), "{e:?}");
    assert!(e[0].to_string().starts_with("cfg.toml:2:8:"), "{e:?}");
    let e = errors(
        "[fleet]\ndiscover = \"nats\"\n[[nats]]\nname = \"a\"\nurl = \"nats://a:4222\"\n[[nats]]\nname = \"b\"\nurl = \"nats://b:4222\"\n",
    );
    assert!(e[0].to_string().contains("say which in [fleet] nats"), "{e:?}");
    let ok = "[fleet]\ndiscover = \"nats\"\n[[hosts]]\nname = \"gpu\"\nnats = true\n[[nats]]\nname = \"a\"\nurl = \"nats://a:4222\"\n";
    assert!(parse_str(ok, "ok").is_ok());
}

#[test]
fn launchd_prefixes_are_one_or_a_list_and_plist_dirs_absolute() {
    let ok = "[[hosts]]\nname = \"mac\"\nssh = \"me@mac\"\n\n[[services.launchd]]\nhost = \"mac\"\n";
    let c = parse_str(&format!("{ok}label_prefix = [\"a.\", \"b.\"]\n"), "cfg.toml").unwrap();
    assert_eq!(c.services.launchd[0].prefixes(), ["a.", "b."]);
    assert_eq!(c.services.launchd[0].dirs().len(), 3);
    let c = parse_str(
        &format!("{ok}label_prefix = \"a.\"\nplist_dirs = [\"~/x\"]\n"),
        "cfg.toml",
    )
    .unwrap();
    assert_eq!(
        (c.services.launchd[0].prefixes(), c.services.launchd[0].dirs()),
        (vec!["a.".to_string()], vec!["~/x".to_string()])
    );
    let e = errors(&format!("{ok}plist_dirs = [\"Library/LaunchAgents\"]\n"));
    assert!(e[0].to_string().starts_with("cfg.toml:7:14: plist_dirs:"), "{}", e[0]);
    let e = errors(&format!("{ok}label_prefix = 3\n"));
    assert_eq!(e[0].line, 7, "{}", e[0]);
}

#[test]
fn a_bad_schedule_or_zone_points_at_the_value() {
    let e = errors("[[agents.daemon]]\nname = \"a\"\nschedule = \"*/0 * * * *\"\n");
    assert_eq!((e[0].line, e[0].column), (3, 12), "{}", e[0]);
    assert!(e[0].message.contains("step"), "{}", e[0].message);
    let e = errors("[[agents.daemon]]\nname = \"a\"\nschedule = \"0 7 * * *\"\ntz = \"Mars/Olympus\"\n");
    assert_eq!((e[0].line, e[0].column), (4, 6), "{}", e[0]);
    assert!(e[0].message.contains("Mars/Olympus"), "{}", e[0].message);
    let e = errors("[[agents.daemon]]\nname = \"a\"\ntimeout = \"soon\"\n");
    assert_eq!(e[0].line, 3, "{}", e[0]);
    let ok = "[[agents.daemon]]\nname = \"a\"\nschedule = \"30 2 * * *\"\ntz = \"Europe/Berlin\"\n\
              timeout = \"10m\"\ngrace = \"5m\"\n";
    let c = parse_str(ok, "cfg.toml").unwrap();
    let d = &c.agents.daemon[0];
    assert_eq!(d.schedule.as_ref().map(|s| s.text.as_str()), Some("30 2 * * *"));
    assert_eq!(d.tz.as_ref().and_then(|z| z.name()), Some("Europe/Berlin"));
    assert_eq!((d.timeout, d.grace), (Some(Dur::secs(600)), Some(Dur::secs(300))));
}
