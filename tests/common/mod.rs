//! Test helpers shared by the integration tests that need a real server.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub mod screen;
pub mod sshd;

const NATS_SERVER: &str = "/usr/sbin/nats-server";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A nats-server child that is killed when dropped.
pub struct NatsServer {
    child: Child,
    pub port: u16,
    pub mport: u16,
}

impl NatsServer {
    pub fn binary_present() -> bool {
        if std::path::Path::new(NATS_SERVER).exists() {
            return true;
        }
        if std::env::var("FLEETTOP_IT").as_deref() == Ok("1") {
            panic!("{NATS_SERVER} is missing and FLEETTOP_IT=1");
        }
        eprintln!("skipped: {NATS_SERVER} is not installed");
        false
    }

    pub fn start(dir: &std::path::Path, port: u16, mport: u16) -> NatsServer {
        Self::start_with(dir, port, mport, &[])
    }

    pub fn start_with(dir: &std::path::Path, port: u16, mport: u16, extra: &[&str]) -> NatsServer {
        let child = Command::new(NATS_SERVER)
            .args(extra)
            .args(["-js", "-sd"])
            .arg(dir)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-m", &mport.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        let s = NatsServer { child, port, mport };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", mport)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nats-server did not come up on {port}/{mport}");
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn monitor(&self) -> String {
        format!("http://127.0.0.1:{}", self.mport)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
