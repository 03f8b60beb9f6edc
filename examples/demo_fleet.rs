//! The demo fleet in the foreground: `demo_fleet start DIR` starts the real
//! parts the integration tests start (tests/it/common/demo.rs, the same
//! code), writes DIR/fleettop.toml, DIR/demo.pid and DIR/pids, and keeps
//! agent runs coming until SIGTERM or Ctrl-C; then it stops every process it
//! started and removes those files. `scripts/demo-fleet.sh start DIR` runs
//! it detached, `stop DIR` sends the SIGTERM.

#[path = "../tests/it/common/mod.rs"]
mod common;

use tokio::signal::unix::{SignalKind, signal};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some("start"), Some(dir)) = (args.get(1).map(String::as_str), args.get(2)) else {
        eprintln!("usage: demo_fleet start DIR   (scripts/demo-fleet.sh start|stop DIR)");
        std::process::exit(2);
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(std::path::Path::new(dir)));
}

async fn run(dir: &std::path::Path) {
    let _ = std::fs::remove_file(dir.join("fleettop.toml"));
    let mut term = signal(SignalKind::terminate()).unwrap();
    let mut int = signal(SignalKind::interrupt()).unwrap();
    let mut demo = common::demo::Demo::start(dir).await;
    let pids: Vec<String> = demo.pids().iter().map(u32::to_string).collect();
    std::fs::write(demo.dir.join("pids"), pids.join("\n") + "\n").unwrap();
    std::fs::write(demo.dir.join("demo.pid"), format!("{}\n", std::process::id())).unwrap();
    for n in &demo.notes {
        println!("left out: {n}");
    }
    println!("up: fleettop --config {}", demo.config.display());
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            () = tokio::time::sleep(common::demo::RUN_EVERY) => demo.publish_runs().await,
        }
    }
    let dir = demo.dir.clone();
    demo.stop();
    for f in ["fleettop.toml", "demo.pid", "pids"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    println!("stopped");
}
