//! The real binary in a pty that answers nothing (a serial console, a pty
//! with no terminal emulator behind it, a link too slow for a query's
//! timeout): it must draw its first frame without asking the terminal
//! anything, and quit on `q`.

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{Winsize, tcsetwinsize};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A pty whose master end only reads: nothing ever answers a query.
struct QuietPty {
    master: std::fs::File,
    slave: std::fs::File,
}

impl QuietPty {
    fn new(cols: u16, rows: u16) -> QuietPty {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().expect("a utf-8 pts path"))
            .expect("open the pty's slave");
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        tcsetwinsize(&slave, size).expect("set the pty's size");
        QuietPty {
            master: master.into(),
            slave,
        }
    }

    /// Starts `cmd` in its own session with the pty as its controlling
    /// terminal (so `/dev/tty` is this pty, not the test runner's).
    fn spawn(&self, cmd: &mut Command) -> Child {
        let stdio = || Stdio::from(self.slave.try_clone().expect("dup the slave"));
        cmd.stdin(stdio()).stdout(stdio()).stderr(stdio());
        // SAFETY: only async-signal-safe system calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                rustix::process::setsid()?;
                rustix::process::ioctl_tiocsctty(std::io::stdin())?;
                Ok(())
            });
        }
        cmd.spawn().expect("the binary starts")
    }

    /// Everything the program writes, collected by a thread.
    fn collect(&self) -> Arc<Mutex<Vec<u8>>> {
        let out = Arc::new(Mutex::new(Vec::new()));
        let mut master = self.master.try_clone().expect("dup the master");
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // EIO once the last slave closes: the program is gone.
            while let Ok(n @ 1..) = master.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        out
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn wait_for(out: &Mutex<Vec<u8>>, needle: &[u8], within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if contains(&out.lock().unwrap(), needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if let Some(s) = child.try_wait().expect("wait") {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn starts_draws_and_quits_where_the_terminal_answers_nothing() {
    let home = tempfile::tempdir().unwrap();
    let pty = QuietPty::new(100, 30);
    let out = pty.collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleettop"));
    // No config file anywhere: the embedded default.
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("TERM", "xterm-256color");
    let mut child = pty.spawn(&mut cmd);
    // The old start-up waited 2 s for the cursor position, then died.
    let drew = wait_for(&out, b"quit", Duration::from_secs(10));
    let seen = String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
    if !drew {
        let _ = child.kill();
    }
    assert!(drew, "no frame; the program wrote {seen:?}");
    assert!(!seen.contains("\x1b[6n"), "it asked the terminal where the cursor is");
    assert!(seen.contains("Fleet"), "the tab bar is drawn: {seen:?}");
    (&pty.master).write_all(b"q").expect("type q");
    let status = wait_exit(&mut child, Duration::from_secs(10));
    if status.is_none() {
        let _ = child.kill();
    }
    let status = status.expect("q quits within 10 s");
    assert!(status.success(), "exit {status:?}; the program wrote {seen:?}");
    let all = String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
    assert!(!all.contains("could not be read"), "{all:?}");
    assert!(!all.contains("\x1b[6n"), "it asked the terminal where the cursor is");
}
