//! Simulates a large push-mode fleet: N hosts each putting a host
//! JSON into the `fleettop_hosts` bucket every P seconds, spread evenly.
//! For measuring a viewer (`[fleet] discover = "nats"`), not for tests.
//!
//! `cargo run --release --example push_flood -- nats://127.0.0.1:4222 2000 5`

use fleettop::parse::push::{DiskSnap, HostSnap, TopSnap};
use fleettop::sources::push;
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    let hosts: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let period: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(flood(url, hosts, Duration::from_secs(period.max(1))));
}

fn snap(i: usize, tick: u64, period: Duration) -> Vec<u8> {
    let s = HostSnap {
        name: format!("sim-{i:05}"),
        state: "online",
        last_seen: Some(fleettop::model::rfc3339(fleettop::model::now_millis())),
        cpu_pct: Some(((i as u64 * 7 + tick * 13) % 100) as f64),
        mem_used_bytes: Some(2 << 30),
        mem_total_bytes: Some(8 << 30),
        swap_used_bytes: Some(0),
        swap_total_bytes: Some(1 << 30),
        disks: vec![DiskSnap {
            mount: "/".into(),
            total_bytes: 100 << 30,
            used_bytes: 40 << 30,
            available_bytes: Some(55 << 30),
        }],
        load: Some([0.5, 0.4, 0.3]),
        uptime_s: Some(86_400 + tick),
        net_rx_bytes_per_s: Some(1234.0),
        net_tx_bytes_per_s: Some(567.0),
        top: (0..5)
            .map(|p| TopSnap {
                pid: 100 + p,
                name: format!("proc{p}"),
                cpu_pct: 1.0,
                mem_bytes: 1 << 20,
            })
            .collect(),
        interval_ms: Some(u64::try_from(period.as_millis()).unwrap_or(5000)),
        ..HostSnap::default()
    };
    serde_json::to_vec(&s).unwrap_or_default()
}

async fn flood(url: String, hosts: usize, period: Duration) {
    let client = async_nats::connect(url).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    let kv = push::bucket(&js).await.expect("bucket");
    // Ten batches per second.
    let step = Duration::from_millis(100);
    let batches = (period.as_millis() / step.as_millis()).max(1) as usize;
    let per_batch = hosts.div_ceil(batches);
    let mut every = tokio::time::interval(step);
    let mut tick = 0u64;
    let (mut puts, mut errors) = (0u64, 0u64);
    let mut report = tokio::time::Instant::now();
    loop {
        for b in 0..batches {
            every.tick().await;
            let lo = b * per_batch;
            let hi = (lo + per_batch).min(hosts);
            let futs = (lo..hi).map(|i| {
                let key = format!("sim-{i:05}");
                let body = snap(i, tick, period);
                let kv = &kv;
                async move { kv.put(key, body.into()).await }
            });
            for r in futures_util::future::join_all(futs).await {
                match r {
                    Ok(_) => puts += 1,
                    Err(_) => errors += 1,
                }
            }
            if report.elapsed() >= Duration::from_secs(10) {
                eprintln!("push_flood: {puts} puts, {errors} errors");
                report = tokio::time::Instant::now();
            }
        }
        tick += 1;
    }
}
