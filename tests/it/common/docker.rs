//! A real `dockerd` on a private socket (vfs storage, no bridge, no
//! iptables) and an image imported from busybox-static: for the Docker
//! tests and the demo fleet.

use super::{needs, require};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// The daemon and everything it started; dropped = stopped and removed.
pub struct Dockerd {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Dockerd {
    /// The daemon's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Its directory: data, sockets, log; the processes it starts name it.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn sock(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new("docker")
            .arg("-H")
            .arg(format!("unix://{}", self.sock().display()))
            .args(args)
            .output()
            .unwrap()
    }

    pub fn start(&mut self) -> Result<(), String> {
        let d = self.dir.path();
        let log = std::fs::File::create(d.join("dockerd.log")).unwrap();
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("pid"))
            .arg("-H")
            .arg(format!("unix://{}", self.sock().display()))
            .args(["--iptables=false", "--bridge=none", "--storage-driver=vfs"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?;
        self.child = Some(child);
        for _ in 0..120 {
            if self.cli(&["version"]).status.success() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(std::fs::read_to_string(d.join("dockerd.log")).unwrap_or_default())
    }

    /// Removes the containers (so stopping is quick), then stops the daemon.
    pub fn stop(&mut self) {
        let ids = self.cli(&["ps", "-aq"]);
        for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
            self.cli(&["rm", "-f", id]);
        }
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            for _ in 0..60 {
                if c.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        // containerd and its shims were started with paths under our dir.
        kill_matching(&self.dir.path().display().to_string());
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn kill_matching(needle: &str) {
    let Ok(rd) = std::fs::read_dir("/proc") else { return };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmd).contains(needle) {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
    }
}

pub fn import_busybox(d: &Dockerd) {
    let root = d.dir.path().join("rootfs");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy("/usr/bin/busybox", root.join("bin/busybox")).unwrap();
    for a in ["sh", "sleep", "echo", "printf"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(a)).unwrap();
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "tar -C '{}' -c . | docker -H 'unix://{}' import - fleettop-test:busybox",
            root.display(),
            d.sock().display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
}

pub fn run(d: &Dockerd, args: &[&str]) {
    let mut a = vec!["run", "-d", "--network", "none"];
    a.extend_from_slice(args);
    let out = d.cli(&a);
    assert!(
        out.status.success(),
        "docker run {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a daemon in a new directory under /tmp (a socket path short
/// enough) with the test image imported; the daemon's log when it fails.
pub fn start_with_image() -> Result<Dockerd, String> {
    let dir = (tempfile::Builder::new().prefix("ftdk").tempdir_in("/tmp")).map_err(|e| e.to_string())?;
    let mut d = Dockerd { dir, child: None };
    d.start()?;
    import_busybox(&d);
    Ok(d)
}

/// Whether dockerd, its client and busybox-static are here.
pub fn installed() -> bool {
    ["/usr/bin/busybox"]
        .iter()
        .chain(["dockerd", "docker"].iter())
        .all(|t| super::on_path(t))
}

/// Starts a daemon with the test image, or says why not (a skip unless
/// FLEETTOP_IT=1).
pub fn daemon() -> Option<Dockerd> {
    if !(require("dockerd") && require("docker") && require("/usr/bin/busybox")) {
        return None;
    }
    match start_with_image() {
        Ok(d) => Some(d),
        Err(log) => {
            needs(false, &format!("dockerd did not start here: {log}"));
            None
        }
    }
}
