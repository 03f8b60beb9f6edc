//! A host's one connection, shared with the checks that run on that host.

use super::exec::{ExecError, Output, exec};
use super::verify::Conn;
use crate::parse::probe;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What other sources know of a host's SSH connection: the connection while
/// it is up, else why it is not.
#[derive(Clone)]
pub(super) enum Link {
    Up(Arc<Conn>, Arc<tokio::sync::Semaphore>),
    Down(String),
}

/// An app's SSH connections by host name (a handle in
/// [`Handles`](crate::sources::Handles); clones share them), shared with the
/// checks that run on a remote host (systemd, freshness, process, launchd,
/// an agent's runlog and heartbeat): they open a channel on the host's one
/// connection instead of logging in again.
#[derive(Clone, Default)]
pub struct Links(Arc<Mutex<HashMap<String, Link>>>);

/// At most this many channels of other sources at once on one connection
/// (OpenSSH's MaxSessions is 10; the probe needs one).
pub(super) const SHARED_CHANNELS: usize = 4;

impl Links {
    pub(super) fn set(&self, host: &str, link: Link) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.to_string(), link);
    }
    fn get(&self, host: &str) -> Option<Link> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(host).cloned()
    }

    /// Runs a fixed `script` with `sh` on `host`'s connection, whatever the
    /// login shell ([`sh_stdin`]). `args` reach the script as lines on its
    /// standard input (read them with `IFS= read -r`), never as part of a
    /// command line, so no value from a config is ever parsed by a shell;
    /// `home_path` expands a `~/`. Waits up to `within` for the host's
    /// first connection; everything (queueing included) is bounded by it.
    pub async fn run(
        &self,
        host: &str,
        script: &str,
        args: &[&str],
        max: usize,
        within: Duration,
    ) -> Result<Output, String> {
        if let Some(bad) = args.iter().find(|a| a.contains(['\n', '\0'])) {
            return Err(format!(
                "{:?} has a line break: refused",
                crate::parse::sanitize::sanitize(bad)
            ));
        }
        let stdin = sh_stdin(script, args);
        let deadline = tokio::time::Instant::now() + within;
        let no_answer = || format!("ssh: no answer within {}", humantime::format_duration(within));
        let work = async {
            let (conn, gate) = loop {
                match self.get(host) {
                    Some(Link::Up(c, g)) if !c.is_closed() => break (c, g),
                    Some(Link::Down(why)) => return Err(format!("ssh: {why}")),
                    _ => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            };
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            exec(&conn, probe::EXEC, stdin.as_bytes(), max, deadline)
                .await
                .map_err(|e| match e {
                    ExecError::Ssh(e) => format!("ssh: {e}"),
                    ExecError::NoAnswer => no_answer(),
                })
        };
        match tokio::time::timeout_at(deadline + Duration::from_millis(500), work).await {
            Ok(r) => r,
            Err(_) => Err(match self.get(host) {
                None => format!("no SSH connection to {host} yet"),
                Some(_) => no_answer(),
            }),
        }
    }
}

/// Defined for every script that [`Links::run`] runs: `home_path PATH`
/// prints PATH with a leading `~/` made the remote user's home.
const HOME_PATH: &str = r#"home_path() { case $1 in "~/"*) printf '%s\n' "$HOME/${1#"~/"}";; *) printf '%s\n' "$1";; esac; }
"#;

/// What [`probe::EXEC`]'s `sh` reads to run `script` for [`Links::run`]:
/// `HOME_PATH`, then the script as a group whose standard input is
/// `args`, one a line, in a here-document. Its delimiter is quoted (nothing
/// in it is expanded) and random (no line of a value can end it); `args`
/// hold no line break. Nothing of it is seen by the login shell, which only
/// runs `exec sh` (so fish, zsh or csh do not parse the script either).
pub(crate) fn sh_stdin(script: &str, args: &[&str]) -> String {
    let end = probe::marker();
    let mut s = format!("{HOME_PATH}{{\n{script}\n}} <<'{end}'\n");
    for a in args {
        s.push_str(a);
        s.push('\n');
    }
    s.push_str(&end);
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_read_their_values_literally_from_sh() {
        use std::io::Write;
        let values = ["}", "EOF", "'EOF'", "$(echo no)", "`echo no`", "a\\b \"c\"", "", "~/x"];
        let script = "while IFS= read -r v; do printf '[%s]' \"$v\"; done; echo; home_path '~/y'";
        let mut sh = std::process::Command::new("sh")
            .env("HOME", "/h")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let input = sh_stdin(script, &values);
        sh.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = sh.wait_with_output().unwrap();
        let want: String = values.iter().map(|v| format!("[{v}]")).collect();
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{want}\n/h/y\n"));
        assert_ne!(sh_stdin("", &[]), sh_stdin("", &[]), "a fresh delimiter each time");
    }
}
