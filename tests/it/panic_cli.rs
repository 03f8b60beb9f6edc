//! A source task that panics under `fleettop snapshot` (a debug-build test
//! switch): the snapshot is still made and says so on the host, and no panic
//! text reaches the terminal (it goes to the log).

use std::process::Command;

#[test]
fn a_source_panic_under_snapshot_is_said_on_the_host_not_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let log = dir.path().join("fleettop.log");
    std::fs::write(&config, "[[hosts]]\nname = \"here\"\nlocal = true\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .arg("--config")
        .arg(&config)
        .arg("--log-file")
        .arg(&log)
        .arg("snapshot")
        .env("FLEETTOP_TEST_PANIC", "source")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("test panic"),
        "{stderr}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "no escape codes in the snapshot: {stdout:?}"
    );
    let snap: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        snap.to_string()
            .contains("collector crashed: test panic (FLEETTOP_TEST_PANIC=source), restarting"),
        "{snap:#}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("a source task crashed"), "{logged}");
}
