//! The command line as scripts use it: the real binary, its exit codes,
//! its error format and its JSON.

use std::process::{Command, Output};

fn fleettop(args: &[&str], dir: &tempfile::TempDir) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(args)
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env_remove("FLEETTOP_CONFIG")
        .output()
        .expect("run fleettop")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn config_check_accepts_a_good_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(&dir, "good.toml", "[[hosts]]\nlocal = true\n");
    let o = fleettop(&["config", "check", "--config", &cfg], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("good.toml: ok"));
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml.example");
    let o = fleettop(&["--config", example, "config", "check"], &dir);
    assert_eq!(
        o.status.code(),
        Some(0),
        "global option before the subcommand: {}",
        stderr(&o)
    );
}

#[test]
fn config_check_prints_every_error_with_file_line_column_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        &dir,
        "bad.toml",
        "[ui]\nticker_fps = 0\n\n[[hosts]]\nname = \"pi\"\nssh = \"no-at-sign\"\n\n[[services.process]]\nname = \"x\"\nhost = \"nowhere\"\npattern = \"y\"\n",
    );
    let o = fleettop(&["config", "check", "--config", &cfg], &dir);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{cfg}:2:14: ticker_fps must be 1..=60"))),
        "{err}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("{cfg}:6:7: ssh target"))),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{cfg}:10:8: no [[hosts]] named \"nowhere\""))),
        "{err}"
    );
}

#[test]
fn a_syntax_error_or_unknown_key_is_exit_3_and_nothing_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(&dir, "typo.toml", "[[hosts]]\nlocal = true\nsesions = [\"claude\"]\n");
    for args in [
        vec!["--config", cfg.as_str()],
        vec!["snapshot", "--config", cfg.as_str()],
        vec!["check", "--config", cfg.as_str()],
    ] {
        let o = fleettop(&args, &dir);
        assert_eq!(o.status.code(), Some(3), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?} drew or printed: {:?}", stdout(&o));
        assert!(
            stderr(&o).starts_with(&format!("{cfg}:3:1: unknown field `sesions`")),
            "{}",
            stderr(&o)
        );
    }
    let missing = dir.path().join("missing.toml");
    let o = fleettop(&["config", "check", "--config", &missing.to_string_lossy()], &dir);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("missing.toml:1:1: cannot read the config"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn fleettop_config_env_is_used_and_a_bad_theme_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(&dir, "t.toml", "[ui]\ntheme = \"neon\"\n");
    let o = Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(["config", "check"])
        .env("FLEETTOP_CONFIG", &cfg)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).starts_with(&format!("{cfg}:2:9: unknown theme \"neon\"")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn snapshot_is_json_with_the_spec_field_names() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        &dir,
        "s.toml",
        "[[hosts]]\nname = \"here\"\nlocal = true\nsessions = [\"zzz-no-such-process\"]\n",
    );
    let o = fleettop(&["snapshot", "--config", &cfg], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["schema_version"], 1);
    for k in [
        "taken_at",
        "version",
        "hosts",
        "services",
        "containers",
        "nats",
        "agents",
        "events",
        "problems",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let h = &v["hosts"][0];
    assert_eq!(h["name"], "here");
    assert_eq!(h["state"], "online");
    for k in [
        "last_seen",
        "cpu_pct",
        "mem_used_bytes",
        "mem_total_bytes",
        "swap_used_bytes",
        "disks",
        "load",
        "uptime_s",
        "temp_c",
        "battery_pct",
        "sessions",
        "gpus",
        "inference",
        "top",
    ] {
        assert!(h.get(k).is_some(), "host lacks {k}: {h}");
    }
    // The numbers are this machine's.
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let total_kib: u64 = meminfo
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(h["mem_total_bytes"].as_u64().unwrap(), total_kib * 1024);
    let up: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((h["uptime_s"].as_f64().unwrap() - up).abs() < 30.0);
    assert_eq!(h["sessions"]["zzz-no-such-process"], 0);
    assert!(h["top"].as_array().unwrap().len() <= 5 && !h["top"].as_array().unwrap().is_empty());
    assert_eq!(h["load"].as_array().unwrap().len(), 3);
    assert!(
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["title"] == "here up" && e["level"] == "info")
    );
    let pretty = fleettop(&["snapshot", "--pretty", "--config", &cfg], &dir);
    assert!(stdout(&pretty).starts_with("{\n  \"schema_version\": 1,\n"));
}

#[test]
fn check_reports_problems_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let ok = write(
        &dir,
        "ok.toml",
        "[[hosts]]\nlocal = true\n[alerts]\ndisk_warn_pct = 100\ndisk_critical_pct = 100\n",
    );
    let o = fleettop(&["check", "--config", &ok], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("OK: 1/1 hosts online, 0 problems"),
        "{}",
        stdout(&o)
    );
    // Every real disk holds something, so a 0% threshold makes each one critical.
    let crit = write(
        &dir,
        "crit.toml",
        "[[hosts]]\nname = \"here\"\nlocal = true\n[alerts]\ndisk_warn_pct = 0\ndisk_critical_pct = 0\n",
    );
    let o = fleettop(&["check", "--config", &crit], &dir);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.lines().next().unwrap().starts_with("CRITICAL here: here disk "),
        "{out}"
    );
    assert!(
        out.lines().last().unwrap().starts_with("CRITICAL: 1/1 hosts online"),
        "{out}"
    );
}

#[test]
fn themes_help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let o = fleettop(&["themes"], &dir);
    assert_eq!(o.status.code(), Some(0));
    let names: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(names, ["default", "console16", "mono", "amber"]);
    let o = fleettop(&["--version"], &dir);
    assert_eq!(stdout(&o).trim(), format!("fleettop {}", env!("CARGO_PKG_VERSION")));
    let o = fleettop(&["--help"], &dir);
    for word in [
        "snapshot",
        "check",
        "config",
        "themes",
        "--kiosk",
        "--read-only",
        "--theme",
        "--tab",
        "--log-file",
    ] {
        assert!(stdout(&o).contains(word), "--help lacks {word}");
    }
}

#[test]
fn duplicate_check_names_are_config_errors_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        &dir,
        "dup.toml",
        "[[services.http]]\nname = \"api\"\nurl = \"http://127.0.0.1:1/\"\n\n\
         [[services.http]]\nname = \"api\"\nurl = \"http://127.0.0.1:2/\"\n\n\
         [[services.tcp]]\nname = \"api\"\naddress = \"127.0.0.1:1\"\n",
    );
    let o = fleettop(&["config", "check", "--config", &cfg], &dir);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    // Line 6, where the second "api" of the same kind is; another kind may
    // reuse a name.
    assert!(
        err.contains("dup.toml:6:8: duplicate [[services.http]] name \"api\""),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `fleettop completions SHELL` and `fleettop man`, made from the clap
/// definitions: the bash script is valid bash that completes the
/// subcommands, and the man page renders without a warning.
#[test]
fn completions_and_the_man_page() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = fleettop(&["completions", shell], &dir);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        for word in ["fleettop", "snapshot", "completions", "log-file"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let bash = write(
        &dir,
        "fleettop.bash",
        &stdout(&fleettop(&["completions", "bash"], &dir)),
    );
    let o = Command::new("bash").args(["-n", &bash]).output().unwrap();
    assert!(o.status.success(), "bash -n: {}", stderr(&o));
    // Sourced, it completes the subcommands.
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {bash}; COMP_WORDS=(fleettop sn); COMP_CWORD=1; COMP_LINE='fleettop sn'; COMP_POINT=11; \
             _fleettop fleettop sn fleettop; echo \"${{COMPREPLY[@]}}\""
        ))
        .output()
        .unwrap();
    assert_eq!(stdout(&o).trim(), "snapshot", "{}", stderr(&o));
    assert_eq!(fleettop(&["completions", "tcsh"], &dir).status.code(), Some(2));
    let help = stdout(&fleettop(&["check", "--help"], &dir));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("exit 2 if anything is critical, 1 if anything is in error or warns, 0 otherwise"),
        "{help}"
    );

    let o = fleettop(&["man"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        ".SH \"EXIT STATUS\"",
        ".SH FILES",
    ] {
        assert!(page.contains(section), "the man page lacks {section}");
    }
    let mut man = Command::new("man")
        .args(["--warnings=all", "-l", "-"])
        .env("MANWIDTH", "80")
        .env("PAGER", "cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("man (man-db) is installed");
    std::io::Write::write_all(&mut man.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let o = man.wait_with_output().unwrap();
    assert!(o.status.success(), "man -l -: {}", stderr(&o));
    assert_eq!(stderr(&o), "", "man -l - warns");
    // Not to a terminal, man prints plain text (justified: spaces vary).
    let text = stdout(&o).split_whitespace().collect::<Vec<_>>().join(" ");
    for words in ["fleettop", "EXIT STATUS", "2 when anything is critical", "completions"] {
        assert!(text.contains(words), "the rendered page lacks {words:?}:\n{text}");
    }
}
