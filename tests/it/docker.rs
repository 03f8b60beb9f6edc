//! A real `dockerd` on a private socket (vfs storage, no bridge, no
//! iptables), an image imported from busybox-static, and three containers:
//! running, restarting in a loop, exited with code 1. The Docker source
//! runs against it into a real store: restart counts rise on the ticker,
//! the exited one is a problem, logs come sanitised, the restart action
//! restarts for real, and the daemon vanishing is said on its row and
//! reconnected after.

use crate::common::docker::{daemon, run};
use fleettop::config::parse_str;
use fleettop::model::now_millis;
use fleettop::sources::Ctx;
use fleettop::sources::services::docker;
use fleettop::store::Store;
use fleettop::update::Update;
use fleettop::update::services::{Health, ServiceUpdate};
use std::process::Command;

use std::time::Duration;
use tokio::sync::mpsc;

/// Applies updates until `done` holds for the store, or panics after `secs`.
async fn until(
    store: &mut Store,
    rx: &mut mpsc::Receiver<Update>,
    secs: u64,
    what: &str,
    done: impl Fn(&Store) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done(store) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => {
                store.apply(u, now_millis());
            }
            _ => {
                let rows: Vec<String> = store
                    .services
                    .rows
                    .iter()
                    .map(|s| format!("{}: {:?} {}", s.row.key, s.row.health, s.row.detail))
                    .collect();
                panic!(
                    "timed out waiting for {what}; rows: {rows:#?}; events: {:#?}",
                    titles(store)
                );
            }
        }
    }
}

fn titles(store: &Store) -> Vec<String> {
    store.events.newest_first().map(|e| e.title.clone()).collect()
}

#[tokio::test]
async fn a_real_dockerd_three_containers_restart_logs_and_a_vanishing_daemon() {
    let Some(mut d) = daemon() else { return };
    run(&d, &["--name", "web", "fleettop-test:busybox", "sleep", "3600"]);
    run(
        &d,
        &[
            "--name",
            "flappy",
            "--restart",
            "always",
            "fleettop-test:busybox",
            "sh",
            "-c",
            "echo boom; exit 1",
        ],
    );
    run(
        &d,
        &[
            "--name",
            "oneshot",
            "fleettop-test:busybox",
            "sh",
            "-c",
            "printf '\\033[31mred\\033[0m line\\033]0;title\\007 end\\n'; echo to-stderr >&2; exit 1",
        ],
    );

    let cfg = parse_str(
        &format!(
            "[[services.docker]]\nname = \"local\"\nendpoint = \"unix://{}\"\ninterval = \"1s\"\n",
            d.sock().display()
        ),
        "t",
    )
    .unwrap();
    let mut store = Store::new(&cfg);
    let (tx, mut rx) = mpsc::channel(64);
    let ctx = Ctx::new(tx);
    let task = tokio::spawn(docker::run(cfg.services.docker[0].clone(), ctx));
    until(&mut store, &mut rx, 60, "the first listing", |s| {
        s.services.get("docker:local/web").is_some()
    })
    .await;
    // A fourth, with a health check that always fails, started while the
    // source watches: it is seen starting, then unhealthy (an edge).
    run(
        &d,
        &[
            "--name",
            "sick",
            "--health-cmd",
            "exit 1",
            "--health-interval",
            "2s",
            "--health-retries",
            "1",
            "fleettop-test:busybox",
            "sleep",
            "3600",
        ],
    );

    // Every container, exited ones too; the restart count rises on the ticker.
    until(&mut store, &mut rx, 60, "three containers and a restart event", |s| {
        s.services
            .get("docker:local/web")
            .is_some_and(|r| r.row.health == Health::Ok)
            && s.services
                .get("docker:local/oneshot")
                .is_some_and(|r| r.row.detail == "exited (1)")
            && titles(s).iter().any(|t| t.starts_with("flappy restarted, count "))
            && s.services
                .get("docker:local/sick")
                .is_some_and(|r| r.row.detail == "unhealthy")
    })
    .await;
    assert!(
        titles(&store).iter().any(|t| t == "sick unhealthy"),
        "{:?}",
        titles(&store)
    );
    let snap = fleettop::snapshot::Snapshot::build(&store, now_millis());
    let v = serde_json::to_value(&snap).unwrap();
    let flappy = v["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "flappy")
        .unwrap();
    assert_eq!(flappy["endpoint"], "local");
    assert_eq!(flappy["image"], "fleettop-test:busybox");
    assert!(flappy["restart_count"].as_i64().unwrap() >= 1, "{flappy}");
    assert!(
        v["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "oneshot" && s["state"] == "error")
    );
    let web = store.services.get("docker:local/web").unwrap();
    let c = web.row.container.as_ref().unwrap();
    assert_eq!(
        (c.state.as_str(), c.image.as_str()),
        ("running", "fleettop-test:busybox")
    );
    assert!(c.started_at.is_some());
    let problems = store.problems(now_millis());
    assert!(
        problems.iter().any(|p| p.title == "oneshot: exited (1)"),
        "{problems:?}"
    );
    assert_eq!(store.services.get("docker:local").unwrap().row.health, Health::Ok);

    // The drill-down's details and logs, sanitised.
    assert!(store.services.request_details("docker:local/oneshot"));
    until(&mut store, &mut rx, 20, "oneshot's logs", |s| {
        s.services
            .get("docker:local/oneshot")
            .and_then(|r| r.row.container.as_ref())
            .is_some_and(|c| !c.logs.is_empty())
    })
    .await;
    let c = store
        .services
        .get("docker:local/oneshot")
        .unwrap()
        .row
        .container
        .clone()
        .unwrap();
    assert!(
        c.logs.iter().any(|l| l.contains("red line") && l.ends_with("end")),
        "{:?}",
        c.logs
    );
    assert!(c.logs.iter().any(|l| l == "to-stderr"), "stderr too: {:?}", c.logs);
    assert!(
        c.logs.iter().all(|l| !l.chars().any(|ch| ch.is_control())),
        "{:?}",
        c.logs
    );
    assert!(
        c.fields.iter().any(|(k, v)| k == "restart policy" && v == "no"),
        "{:?}",
        c.fields
    );

    // The restart action, for real.
    let before = store
        .services
        .get("docker:local/web")
        .unwrap()
        .row
        .container
        .as_ref()
        .unwrap()
        .started_at;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(store.services.request_restart("docker:local/web"));
    until(&mut store, &mut rx, 60, "web restarted", |s| {
        titles(s).iter().any(|t| t == "web: restarted")
            && s.services
                .get("docker:local/web")
                .and_then(|r| r.row.container.as_ref())
                .is_some_and(|c| c.state == "running" && c.started_at != before)
    })
    .await;

    // The daemon vanishes: its row says so; it comes back: reconnected.
    d.stop();
    until(&mut store, &mut rx, 60, "the endpoint's error", |s| {
        s.services
            .get("docker:local")
            .is_some_and(|r| r.row.health == Health::Error && r.row.detail.contains("retrying"))
    })
    .await;
    assert!(
        store.problems(now_millis()).iter().any(|p| p.source == "docker local"),
        "the endpoint down is a problem"
    );
    d.start().expect("dockerd restarts");
    until(&mut store, &mut rx, 90, "reconnected", |s| {
        s.services
            .get("docker:local")
            .is_some_and(|r| r.row.health == Health::Ok && r.row.detail.starts_with("connected"))
    })
    .await;
    task.abort();
}

/// 20 containers started at once are dozens of engine events: the source
/// lists the containers a few times, not once per event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_engine_events_is_one_refresh_not_one_per_event() {
    let Some(d) = daemon() else { return };
    let cfg = parse_str(
        &format!(
            "[[services.docker]]\nname = \"local\"\nendpoint = \"unix://{}\"\ninterval = \"1h\"\n",
            d.sock().display()
        ),
        "t",
    )
    .unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let ctx = Ctx::new(tx);
    let task = tokio::spawn(docker::run(cfg.services.docker[0].clone(), ctx));
    // The first listings (the session's, the interval's first tick), then
    // quiet. The command channel is held, as the store does: dropped, the
    // source takes it that the app is gone.
    let lists = |u: &Update| matches!(u, Update::Services(ServiceUpdate::Set { scope, .. }) if scope == "docker:local");
    let mut commands = None;
    while let Ok(Some(u)) = tokio::time::timeout(Duration::from_secs(3), rx.recv()).await {
        if let Update::Services(ServiceUpdate::DockerReady { commands: c, .. }) = u {
            commands = Some(c);
        }
    }
    assert!(commands.is_some(), "the endpoint is ready");
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1;
    let burst = format!(
        "for i in $(seq 1 20); do docker -H 'unix://{}' run -d --network none --name b$i fleettop-test:busybox sleep 600 >/dev/null || echo FAIL$i & done; wait",
        d.sock().display()
    );
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || Command::new("sh").arg("-c").arg(burst).output())
        .await
        .unwrap()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("FAIL"), "docker run: {said}");
    let burst_s = started.elapsed().as_secs_f64();
    // Everything the burst causes has been listed once it has settled.
    let mut refreshes = 0;
    let mut last = None;
    while let Ok(Some(u)) = tokio::time::timeout(Duration::from_secs(4), rx.recv()).await {
        if let Update::Services(ServiceUpdate::Set { rows, .. }) = &u
            && lists(&u)
        {
            refreshes += 1;
            last = Some(rows.len());
        }
    }
    task.abort();
    assert_eq!(
        last,
        Some(21),
        "the endpoint and its 20 containers, listed after the burst"
    );
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let ev = d.cli(&[
        "events",
        "--since",
        &since.to_string(),
        "--until",
        &until.to_string(),
        "--filter",
        "type=container",
    ]);
    let events = String::from_utf8_lossy(&ev.stdout).lines().count();
    eprintln!("burst: {events} engine events in {burst_s:.1}s, {refreshes} refreshes");
    assert!(events >= 40, "20 creates and 20 starts at least: {events}");
    // One per settled burst (SETTLE_MAX apart at most) and one for what
    // came during a listing: far fewer than one per event.
    let bound = (burst_s / docker::SETTLE_MAX.as_secs_f64()).ceil() as usize + 2;
    assert!(
        refreshes <= bound,
        "{refreshes} refreshes for {events} events in {burst_s:.1}s (at most {bound})"
    );
}
