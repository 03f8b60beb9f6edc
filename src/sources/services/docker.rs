//! Docker endpoints (bollard): every container, exited ones too, refreshed
//! once per burst of engine events and on the interval; commands from the app
//! (restart, details for the drill-down); reconnects with backoff when the
//! daemon goes away, its error shown on the endpoint's row.

use super::send;
use crate::config::DockerService;
use crate::model::Millis;
use crate::parse::redact::redact_url;
use crate::sources::Ctx;
use crate::update::{
    services::ContainerInfo, services::DockerCommand, services::Health, services::Kind, services::LOG_LINES,
    services::Row, services::ServiceUpdate, services::container_health,
};
use bollard::Docker;
use bollard::query_parameters::{
    EventsOptions, InspectContainerOptions, ListContainersOptions, LogsOptions, RestartContainerOptions,
};
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// At most this many containers per endpoint are shown.
pub const MAX_CONTAINERS: usize = 500;
/// Longer than a restart's grace period (a process that ignores SIGTERM).
const REQUEST_TIMEOUT_S: u64 = 30;
/// Seconds a container gets to stop before it is killed, on restart.
const RESTART_GRACE_S: i32 = 5;
const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// How long an opened drill-down's details keep being refreshed.
const WATCH_FOR: Duration = Duration::from_secs(300);
/// A burst of engine events has settled after this long without one...
pub const SETTLE_QUIET: Duration = Duration::from_millis(250);
/// ...or after this long in all (a steady stream still refreshes).
pub const SETTLE_MAX: Duration = Duration::from_secs(2);

pub fn scope(name: &str) -> String {
    format!("docker:{name}")
}

pub fn connect(endpoint: Option<&str>) -> Result<Docker, String> {
    let r = match endpoint {
        None => Docker::connect_with_local_defaults(),
        Some(e) if e.starts_with("unix://") || e.starts_with('/') => {
            Docker::connect_with_unix(e, REQUEST_TIMEOUT_S, bollard::API_DEFAULT_VERSION)
        }
        Some(e) if e.starts_with("tcp://") || e.starts_with("http://") => {
            Docker::connect_with_http(e, REQUEST_TIMEOUT_S, bollard::API_DEFAULT_VERSION)
        }
        Some(e) => return Err(format!("unsupported endpoint {} (unix:// or tcp://)", redact_url(e))),
    };
    r.map_err(|e| words(&e))
}

fn words(e: &bollard::errors::Error) -> String {
    let s = e.to_string();
    let s = if s.contains("No such file") || s.contains("Connection refused") || s.contains("connection refused") {
        "daemon unreachable (connection refused)".to_string()
    } else {
        s
    };
    crate::parse::sanitize::sanitize(&crate::parse::redact::redact_text(&s))
}

fn endpoint_row(cfg: &DockerService, health: Health, detail: String) -> Row {
    let mut r = Row::new(
        scope(&cfg.name),
        Kind::Container,
        format!("docker {}", cfg.name),
        health,
        detail,
    );
    r.source = cfg.endpoint.as_deref().map_or_else(|| "local".into(), redact_url);
    r
}

pub async fn run(cfg: DockerService, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    let mut backoff = Duration::from_secs(1);
    loop {
        let why = match connect(cfg.endpoint.as_deref()) {
            Ok(d) => match session(d, &cfg, &ctx, interval).await {
                Ok(()) => return, // the app is gone
                Err(e) => {
                    backoff = Duration::from_secs(1).max(backoff);
                    e
                }
            },
            Err(e) => e,
        };
        tracing::warn!(endpoint = %cfg.name, "docker: {why}");
        let r = endpoint_row(
            &cfg,
            Health::Error,
            format!("{why}; retrying in {}s", backoff.as_secs()),
        );
        if !send(&ctx, ServiceUpdate::Result(Box::new(r))).await || !ctx.wait(backoff).await {
            return;
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// One connection's life: Ok when the app is gone, Err when the daemon is.
async fn session(d: Docker, cfg: &DockerService, ctx: &Ctx, interval: Duration) -> Result<(), String> {
    d.ping().await.map_err(|e| words(&e))?;
    // Older engines (API 1.41 on Debian's docker.io) refuse newer clients.
    let d = &d.negotiate_version().await.map_err(|e| words(&e))?;
    let (tx, mut rx) = mpsc::channel(8);
    if !send(
        ctx,
        ServiceUpdate::DockerReady {
            endpoint: cfg.name.clone(),
            commands: tx,
        },
    )
    .await
    {
        return Ok(());
    }
    let opts = EventsOptions {
        filters: Some(HashMap::from([("type".to_string(), vec!["container".to_string()])])),
        ..Default::default()
    };
    let mut events = d.events(Some(opts));
    let mut watch: Option<Watch> = None;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if !refresh(d, cfg, ctx, interval, &mut watch).await? {
            return Ok(());
        }
        tokio::select! {
            ev = events.next() => {
                event_or_end(ev)?;
                settle(&mut events).await?;
            }
            cmd = rx.recv() => match cmd {
                Some(c) => {
                    if let DockerCommand::Details { key, id } = &c {
                        watch = Some((key.clone(), id.clone(), std::time::Instant::now()));
                    }
                    let u = command(d, c).await;
                    if !send(ctx, u).await {
                        return Ok(());
                    }
                }
                None => return Ok(()),
            },
            _ = tick.tick() => {}
            _ = ctx.refresh.notified() => {}
        }
        if ctx.tx.is_closed() {
            return Ok(());
        }
    }
}

/// A container whose drill-down was opened: (key, id, since when).
type Watch = (String, String, std::time::Instant);

/// Every wake-up (an event, a command, the interval) refreshes the list, and
/// the details of a container whose drill-down was opened lately (so its log
/// tail follows). `Ok(false)` when the app is gone.
async fn refresh(
    d: &Docker,
    cfg: &DockerService,
    ctx: &Ctx,
    interval: Duration,
    watch: &mut Option<Watch>,
) -> Result<bool, String> {
    let mut rows = list(d, cfg).await?;
    for r in &mut rows {
        r.every_ms = super::every_ms(interval + Duration::from_secs(REQUEST_TIMEOUT_S));
    }
    let set = ServiceUpdate::Set {
        scope: scope(&cfg.name),
        rows,
    };
    if !send(ctx, set).await {
        return Ok(false);
    }
    if let Some((key, id, since)) = watch.as_ref() {
        if since.elapsed() >= WATCH_FOR {
            *watch = None;
            return Ok(true);
        }
        let details = DockerCommand::Details {
            key: key.clone(),
            id: id.clone(),
        };
        let u = command(d, details).await;
        return Ok(send(ctx, u).await);
    }
    Ok(true)
}

/// An engine event, or why the stream is over.
fn event_or_end<T>(ev: Option<Result<T, bollard::errors::Error>>) -> Result<(), String> {
    match ev {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(words(&e)),
        None => Err("the daemon closed its event stream".into()),
    }
}

/// Takes in the rest of a burst of events (until [`SETTLE_QUIET`] passes
/// without one, or [`SETTLE_MAX`] in all), so that it causes one refresh.
async fn settle<S, T>(events: &mut S) -> Result<(), String>
where
    S: futures_util::Stream<Item = Result<T, bollard::errors::Error>> + Unpin,
{
    let end = tokio::time::Instant::now() + SETTLE_MAX;
    loop {
        let quiet = (tokio::time::Instant::now() + SETTLE_QUIET).min(end);
        match tokio::time::timeout_at(quiet, events.next()).await {
            Ok(ev) => event_or_end(ev)?,
            Err(_) => return Ok(()),
        }
        if tokio::time::Instant::now() >= end {
            return Ok(());
        }
    }
}

async fn list(d: &Docker, cfg: &DockerService) -> Result<Vec<Row>, String> {
    let opts = ListContainersOptions {
        all: true,
        ..Default::default()
    };
    let list = d.list_containers(Some(opts)).await.map_err(|e| words(&e))?;
    let total = list.len();
    let mut rows = Vec::new();
    for c in list.into_iter().take(MAX_CONTAINERS) {
        let Some(id) = c.id else { continue };
        // A container can vanish between list and inspect: skip it.
        let Ok(ins) = d.inspect_container(&id, None::<InspectContainerOptions>).await else {
            continue;
        };
        let v = serde_json::to_value(&ins).unwrap_or(Value::Null);
        rows.push(container_row(&cfg.name, &v));
    }
    let more = if total > MAX_CONTAINERS {
        format!(" (showing {MAX_CONTAINERS})")
    } else {
        String::new()
    };
    let mut head = endpoint_row(cfg, Health::Ok, format!("connected, {total} containers{more}"));
    head.latency_ms = None;
    rows.insert(0, head);
    Ok(rows)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or("")
}

/// Parses Docker's RFC 3339 time ("0001-01-01T00:00:00Z" means never).
pub(crate) fn docker_time(s: &str) -> Option<Millis> {
    if s.is_empty() || s.starts_with("0001-") {
        return None;
    }
    humantime::parse_rfc3339_weak(s.get(..19)?)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as Millis)
}

/// A container's row from its `docker inspect` JSON (pure, for tests).
pub fn container_row(endpoint: &str, v: &Value) -> Row {
    let name = str_at(v, &["Name"]).trim_start_matches('/').to_string();
    let state = str_at(v, &["State", "Status"]).to_string();
    let health = str_at(v, &["State", "Health", "Status"]).to_string();
    let exit_code = v["State"]["ExitCode"].as_i64();
    let exit = if state == "exited" || state == "dead" {
        exit_code
    } else {
        None
    };
    let (h, detail) = container_health(&state, &health, exit);
    let mut ports: Vec<String> = Vec::new();
    if let Some(m) = v["NetworkSettings"]["Ports"].as_object() {
        for (cport, binds) in m {
            match binds.as_array().and_then(|b| b.first()) {
                Some(b) => ports.push(format!("{}->{cport}", str_at(b, &["HostPort"]))),
                None => ports.push(cport.clone()),
            }
        }
    }
    let fields = vec![
        ("id".to_string(), str_at(v, &["Id"]).chars().take(12).collect()),
        ("image".to_string(), str_at(v, &["Config", "Image"]).to_string()),
        ("command".to_string(), {
            let mut c: Vec<String> = Vec::new();
            for part in [&v["Path"], &v["Args"]] {
                match part {
                    Value::String(s) => c.push(s.clone()),
                    Value::Array(a) => c.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string))),
                    _ => {}
                }
            }
            c.join(" ")
        }),
        ("created".to_string(), str_at(v, &["Created"]).to_string()),
        ("started".to_string(), str_at(v, &["State", "StartedAt"]).to_string()),
        ("finished".to_string(), str_at(v, &["State", "FinishedAt"]).to_string()),
        (
            "restart policy".to_string(),
            str_at(v, &["HostConfig", "RestartPolicy", "Name"]).to_string(),
        ),
        ("error".to_string(), str_at(v, &["State", "Error"]).to_string()),
    ]
    .into_iter()
    // Docker's zero time means "never".
    .filter(|(_, v)| !v.is_empty() && !v.starts_with("0001-"))
    .collect();
    let mut r = Row::new(format!("docker:{endpoint}/{name}"), Kind::Container, name, h, detail);
    r.source = endpoint.to_string();
    r.container = Some(ContainerInfo {
        endpoint: endpoint.to_string(),
        id: str_at(v, &["Id"]).to_string(),
        image: str_at(v, &["Config", "Image"]).to_string(),
        state,
        health,
        restart_count: v["RestartCount"].as_i64().unwrap_or(0).max(0),
        restart_base: 0,
        exit_code: exit,
        started_at: docker_time(str_at(v, &["State", "StartedAt"])),
        ports: ports.join(","),
        fields,
        logs: Vec::new(),
        action: None,
    });
    r
}

async fn command(d: &Docker, c: DockerCommand) -> ServiceUpdate {
    match c {
        DockerCommand::Restart { key, id } => match d
            .restart_container(
                &id,
                Some(RestartContainerOptions {
                    t: Some(RESTART_GRACE_S),
                    ..Default::default()
                }),
            )
            .await
        {
            Ok(()) => ServiceUpdate::ActionResult {
                key,
                ok: true,
                message: "restarted".into(),
            },
            Err(e) => ServiceUpdate::ActionResult {
                key,
                ok: false,
                message: format!("restart failed: {}", words(&e)),
            },
        },
        DockerCommand::Details { key, id } => {
            let fields = match d.inspect_container(&id, None::<InspectContainerOptions>).await {
                Ok(ins) => {
                    let v = serde_json::to_value(&ins).unwrap_or(Value::Null);
                    container_row("", &v).container.map(|c| c.fields).unwrap_or_default()
                }
                Err(e) => vec![("error".into(), words(&e))],
            };
            let logs = logs(d, &id).await;
            ServiceUpdate::ContainerDetails { key, fields, logs }
        }
    }
}

/// The last log lines, stdout and stderr, each bounded.
async fn logs(d: &Docker, id: &str) -> Vec<String> {
    const LINE_MAX: usize = 1000;
    let opts = LogsOptions {
        stdout: true,
        stderr: true,
        tail: LOG_LINES.to_string(),
        ..Default::default()
    };
    let mut s = d.logs(id, Some(opts));
    let mut out: Vec<String> = Vec::new();
    let fetch = async {
        while let Some(item) = s.next().await {
            match item {
                Ok(o) => {
                    let text = String::from_utf8_lossy(&o.into_bytes()).into_owned();
                    for l in text.lines() {
                        let l: String = l.chars().take(LINE_MAX).collect();
                        out.push(crate::parse::sanitize::sanitize(&l));
                        if out.len() > LOG_LINES * 2 {
                            out.drain(..LOG_LINES);
                        }
                    }
                }
                Err(e) => {
                    out.push(format!("(logs: {})", words(&e)));
                    break;
                }
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(10), fetch).await.is_err() {
        out.push("(logs: timed out)".into());
    }
    let n = out.len();
    out.split_off(n.saturating_sub(LOG_LINES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_json_becomes_a_row() {
        let v: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/services/docker-inspect-exited.json"
        ))
        .unwrap();
        let r = container_row("local", &v);
        assert_eq!(r.name, "oneshot");
        assert_eq!(r.health, Health::Error);
        assert_eq!(r.detail, "exited (1)");
        let c = r.container.unwrap();
        assert_eq!(c.restart_count, 0);
        assert_eq!(c.exit_code, Some(1));
        assert!(c.started_at.is_some());
    }

    #[test]
    fn a_restarting_container_and_endpoints() {
        let v: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/services/docker-inspect-restarting.json"
        ))
        .unwrap();
        let r = container_row("local", &v);
        assert_eq!(
            (r.key.as_str(), r.health, r.detail.as_str()),
            ("docker:local/flappy", Health::Warn, "restarting")
        );
        let c = r.container.unwrap();
        assert_eq!((c.restart_count, c.exit_code), (5, None));
        assert!(c.fields.iter().any(|(k, v)| k == "restart policy" && v == "always"));
        assert!(connect(Some("ftp://x")).unwrap_err().contains("unsupported endpoint"));
        assert!(!connect(Some("ftp://u:pw@x")).unwrap_err().contains("pw"), "redacted");
        assert!(
            connect(Some("tcp://127.0.0.1:2375")).is_ok(),
            "tcp endpoints connect lazily"
        );
    }

    #[test]
    fn garbage_json_does_not_panic() {
        for s in ["null", "[]", "{\"State\": 5}", "{\"Name\": \"\\u001b[2J\"}"] {
            let v: Value = serde_json::from_str(s).unwrap();
            let r = container_row("e", &v);
            assert_eq!(r.kind, Kind::Container);
        }
        assert_eq!(docker_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(docker_time("2026-11-22T07:30:00.123456789Z"), Some(1_795_332_600_000));
    }
}
