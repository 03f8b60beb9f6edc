//! Metric checks: a body fetched over HTTP (the HTTP checks' client, the
//! body bounded) or a file read here or on a host over its SSH link, the
//! value picked out of it (`parse::metric`), a counter turned into a rate
//! per second between polls. The store judges it against its rules.

use super::{DEFAULT_INTERVAL, DEFAULT_TIMEOUT, send, unknown};
use crate::config::MetricService;
use crate::metric::{Pick, Value, rate};
use crate::model::{Millis, now_millis};
use crate::parse::metric::read;
use crate::sources::reach::Reach;
use crate::sources::ssh::Output;
use crate::sources::{Ctx, http_client, http_error_words, read_bounded};
use crate::update::metric::{MetricInfo, place};
use crate::update::services::{Health, Kind, Row, ServiceUpdate};
use std::time::Duration;

/// A body or file is read only this far; a longer one is an error.
pub const BODY_MAX: usize = 4 << 20;

/// The file's first bytes, the answer's first line saying whether there is
/// one: "ok", "missing" or "unreadable". The path and the byte limit come
/// on standard input; `~/` is the remote user's home.
pub const READ_FILE: &str = r#"IFS= read -r p
IFS= read -r n
p=$(home_path "$p")
case $n in ''|*[!0-9]*) n=1;; esac
if [ ! -e "$p" ]; then echo missing
elif [ ! -f "$p" ] || [ ! -r "$p" ]; then echo unreadable
else echo ok; head -c "$n" -- "$p"; fi"#;

/// The file's bytes from [`READ_FILE`]'s answer, or why there are none.
pub(crate) fn read_file_answer(o: &Output, max: usize) -> Result<Vec<u8>, String> {
    let (head, body) = o.text.split_once('\n').unwrap_or((o.text.as_str(), ""));
    match head {
        "ok" if o.cut || body.len() > max => Err(format!("larger than {} KiB", max >> 10)),
        "ok" => Ok(body.as_bytes().to_vec()),
        "missing" => Err("file missing".into()),
        "unreadable" => Err("not a readable regular file".into()),
        _ => Err("the host gave no answer about the file".into()),
    }
}

/// Where a check reads from.
enum Where {
    Http(reqwest::Client),
    File(Reach),
}

/// Polls the check every `interval` until the app is gone.
pub(crate) async fn run(cfg: MetricService, reach: Reach, ctx: Ctx) {
    let timeout = cfg.timeout.as_ref().map_or(DEFAULT_TIMEOUT, |d| d.get_ref().0);
    let interval = cfg.interval.as_ref().map_or(DEFAULT_INTERVAL, |d| d.get_ref().0);
    let pick = match cfg.pick() {
        Ok(p) => p,
        Err(e) => return error(&ctx, &cfg, e).await,
    };
    let from = match &cfg.url {
        None => Where::File(reach),
        Some(_) => match http_client(timeout) {
            Ok(c) => Where::Http(c),
            Err(e) => return error(&ctx, &cfg, format!("no HTTP client: {e}")).await,
        },
    };
    let mut counter: Option<(f64, Millis)> = None;
    loop {
        let mut r = poll(&cfg, &from, &pick, timeout, &mut counter).await;
        r.every_ms = super::every_ms(interval + timeout);
        // A counter's first reading has no rate yet: the second comes soon.
        let wait = if cfg.rate && counter.is_some() && r.health == Health::Unknown {
            interval.min(Duration::from_secs(2))
        } else {
            interval
        };
        if !send(&ctx, ServiceUpdate::Result(Box::new(r))).await || !ctx.wait(wait).await {
            return;
        }
    }
}

async fn error(ctx: &Ctx, cfg: &MetricService, why: String) {
    send(ctx, ServiceUpdate::Result(Box::new(row(cfg, Health::Error, why, None)))).await;
}

/// The row of one reading (`value` None: `detail` says why there is none).
fn row(cfg: &MetricService, health: Health, detail: String, value: Option<Value>) -> Row {
    let mut r = Row::new(cfg.key(), Kind::Metric, cfg.name.get_ref().clone(), health, detail);
    r.source = place(cfg);
    r.group = cfg.group.clone();
    r.metric = Some(Box::new(MetricInfo::reading(cfg, value)));
    r
}

/// One reading as a row: the value, or why there is none (the host not
/// answering is "unknown", like every check on a host).
async fn poll(
    cfg: &MetricService,
    from: &Where,
    pick: &Pick,
    timeout: Duration,
    counter: &mut Option<(f64, Millis)>,
) -> Row {
    let started = std::time::Instant::now();
    let body = match from {
        Where::Http(client) => fetch(client, cfg, timeout).await,
        Where::File(reach) => match reach
            .read_file(cfg.path.as_ref().map_or("", |p| p.get_ref()), BODY_MAX)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                let host = reach.host().unwrap_or_default();
                let mut r = unknown(cfg.key(), Kind::Metric, cfg.name.get_ref().clone(), host, e);
                r.source = place(cfg);
                r.metric = Some(Box::new(MetricInfo::reading(cfg, None)));
                return r;
            }
        },
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let value = body.and_then(|b| read(pick, &b));
    let mut r = match (value, cfg.rate) {
        (Err(e), _) => row(cfg, Health::Error, e, None),
        (Ok(v), false) => row(cfg, Health::Ok, String::new(), Some(v)),
        (Ok(Value::Number(n)), true) => as_rate(cfg, n, now_millis(), counter),
        (Ok(v), true) => row(cfg, Health::Error, format!("{v} is not a counter"), None),
    };
    if matches!(from, Where::Http(_)) {
        r.latency_ms = Some(ms);
    }
    r
}

/// A counter's reading as its rate since the last one.
fn as_rate(cfg: &MetricService, n: f64, now: Millis, counter: &mut Option<(f64, Millis)>) -> Row {
    let last = counter.replace((n, now));
    match last.and_then(|(prev, at)| rate(prev, at, n, now)) {
        Some(per_s) => row(cfg, Health::Ok, String::new(), Some(Value::Number(per_s))),
        None => row(cfg, Health::Unknown, "a rate needs a second reading".into(), None),
    }
}

/// The body at the check's URL: a 2xx answer, at most [`BODY_MAX`] bytes,
/// all within `timeout`.
async fn fetch(client: &reqwest::Client, cfg: &MetricService, timeout: Duration) -> Result<Vec<u8>, String> {
    let url = cfg.url.as_ref().map_or("", |u| u.get_ref());
    let work = async {
        let resp = client.get(url).send().await.map_err(|e| http_error_words(&e))?;
        let code = resp.status().as_u16();
        if !(200..300).contains(&code) {
            return Err(format!("HTTP {code}"));
        }
        let body = read_bounded(resp, BODY_MAX + 1).await?;
        if body.len() > BODY_MAX {
            return Err(format!("body larger than {} MiB", BODY_MAX >> 20));
        }
        Ok(body)
    };
    tokio::time::timeout(timeout + Duration::from_millis(100), work)
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

#[cfg(test)]
mod tests;
