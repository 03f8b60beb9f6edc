//! Per-host state and the rules that read it.

use super::AlertRules;
use super::alerts::{Observation, Tab};
use super::events::NewEvent;
use super::inference::{InferenceHistory, Point};
use crate::config::Host;
use crate::model::{HostSample, HostState, Level, Millis};
use crate::update::SourceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    Local,
    Ssh,
    Push,
}

#[derive(Debug, Clone)]
pub struct HostEntry {
    pub name: String,
    pub kind: HostKind,
    pub interval_ms: i64,
    pub cur: Option<HostSample>,
    pub prev: Option<HostSample>,
    pub last_seen: Option<Millis>,
    pub last_error: Option<SourceError>,
    pub last_error_at: Option<Millis>,
    pub reported_state: Option<HostState>,
    pub samples: u64,
    /// Push mode: the rates the agent measured (a pushed sample carries
    /// rates, not the counters they come from).
    pub pushed: Option<PushedRates>,
    /// Failed polls since the last sample.
    pub fail_streak: u32,
    /// Pushed samples dropped because the time they carry is before 1970
    /// or in the future (clock skew): never taken as fresh.
    pub clock_skew: u64,
    /// The inference server's last 15 minutes.
    pub inference_history: InferenceHistory,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PushedRates {
    pub net: Option<(f64, f64)>,
    pub tokens_per_s: Option<f64>,
    pub errors_per_min: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IfaceRate {
    pub name: String,
    pub rx_per_s: f64,
    pub tx_per_s: f64,
    pub rx_total: u64,
    pub tx_total: u64,
}

impl HostEntry {
    pub(crate) fn from_config(h: &Host) -> Self {
        let kind = if h.local {
            HostKind::Local
        } else if h.ssh.is_some() {
            HostKind::Ssh
        } else {
            HostKind::Push
        };
        let default = if kind == HostKind::Local { 2_000 } else { 5_000 };
        Self::new(h.display_name(), kind, h.interval.map_or(default, |d| d.as_millis()))
    }

    /// A row for a host found in the push bucket (`[fleet] discover = "nats"`).
    pub fn discovered(name: String, interval_ms: i64) -> Self {
        Self::new(name, HostKind::Push, interval_ms)
    }

    fn new(name: String, kind: HostKind, interval_ms: i64) -> Self {
        HostEntry {
            name,
            kind,
            interval_ms: interval_ms.max(100),
            cur: None,
            prev: None,
            last_seen: None,
            last_error: None,
            last_error_at: None,
            reported_state: None,
            samples: 0,
            fail_streak: 0,
            pushed: None,
            clock_skew: 0,
            inference_history: InferenceHistory::default(),
        }
    }

    /// A pushed host JSON (docs/push.md) taken as this host's latest sample,
    /// seen at `at` (the time the agent says it sampled). An older sample
    /// than the one held is ignored; one dated before 1970 or in the future
    /// is clock skew: counted and said on the row, and the sample dropped
    /// (a host whose clock is ahead must not look fresh for ever).
    pub(crate) fn accept_pushed(&mut self, snap: &crate::parse::push::HostSnap, at: Millis, now: Millis) -> bool {
        let Some(at) = crate::model::checked_time(at, now) else {
            self.clock_skew = self.clock_skew.saturating_add(1);
            let said = format!("clock skew: sampled at {}", crate::model::rfc3339(at));
            self.last_error = Some(SourceError::Other(said));
            self.last_error_at = Some(now);
            return true;
        };
        let at = at.min(now);
        if self.last_seen.is_some_and(|t| at < t) {
            return false;
        }
        if let Some(ms) = snap.interval_ms {
            self.interval_ms = i64::try_from(ms).unwrap_or(i64::MAX).clamp(100, 86_400_000);
        }
        self.pushed = Some(PushedRates {
            net: snap.net_rx_bytes_per_s.zip(snap.net_tx_bytes_per_s),
            tokens_per_s: snap.inference.as_ref().and_then(|i| i.tokens_per_s),
            errors_per_min: snap.inference.as_ref().and_then(|i| i.errors_per_min),
        });
        self.accept(sample_from_snap(snap, at), at);
        true
    }

    pub fn accept(&mut self, sample: HostSample, now: Millis) {
        // The previous sample is kept for rates (counters), not for its
        // process list: with hundreds of hosts that is most of the memory.
        self.prev = self.cur.take().map(|mut p| {
            p.processes = Vec::new();
            p
        });
        self.cur = Some(sample);
        self.last_seen = Some(now);
        self.last_error = None;
        self.fail_streak = 0;
        self.samples += 1;
        self.record_inference(now);
    }

    /// A point of the inference history for the sample just taken.
    fn record_inference(&mut self, now: Millis) {
        let Some(inf) = self.cur.as_ref().and_then(|s| s.inference) else {
            return;
        };
        let point = Point {
            at: now,
            tokens_per_s: self.tokens_per_s(),
            waiting: inf.waiting,
            errors_per_min: self.errors_per_min(),
        };
        self.inference_history.push(point);
    }

    pub fn fail(&mut self, e: SourceError, now: Millis) {
        self.last_error = Some(e);
        self.last_error_at = Some(now);
        self.fail_streak = self.fail_streak.saturating_add(1);
    }

    /// Derived from the last sample's age and the failed polls since it,
    /// never stored. Debounced: one failed poll of a host that answered
    /// recently changes nothing; the second in a row makes it offline (an
    /// auth error at once: it will not heal by itself).
    pub fn state(&self, now: Millis) -> HostState {
        if matches!(self.last_error, Some(SourceError::Auth(_))) {
            return HostState::AuthError;
        }
        let age = self.last_seen.map(|t| now.saturating_sub(t));
        let stale_after = self.interval_ms.saturating_mul(3);
        let offline_after = self.interval_ms.saturating_mul(10).max(60_000);
        match age {
            Some(a) if a > offline_after || self.fail_streak >= 2 => HostState::Offline,
            Some(a) if a <= stale_after => HostState::Online,
            Some(_) => HostState::Stale,
            None if self.last_error.is_some() => HostState::Offline,
            None => HostState::Stale,
        }
    }

    /// The wall clock stepped by `d`: the times fleettop took itself move
    /// with it (a pushed sample's time is the pushing host's, and stays).
    pub(super) fn shift_clock(&mut self, d: Millis) {
        let shift = |t: &mut Millis| *t = t.saturating_add(d);
        if self.kind != HostKind::Push {
            self.last_seen.iter_mut().for_each(shift);
            self.cur
                .iter_mut()
                .chain(self.prev.iter_mut())
                .for_each(|s| shift(&mut s.at));
            self.inference_history.shift_clock(d);
        }
        self.last_error_at.iter_mut().for_each(shift);
    }

    /// True while the host has never answered and has not failed either.
    pub(crate) fn waiting_first(&self) -> bool {
        self.last_seen.is_none() && self.last_error.is_none()
    }

    pub(super) fn state_edge(&mut self, now: Millis) -> Option<NewEvent> {
        if self.waiting_first() {
            return None;
        }
        let s = self.state(now);
        let before = self.reported_state.replace(s);
        if before == Some(s) {
            return None;
        }
        // Leaving "online" and coming back are the host-state condition's
        // edges; only the first appearance is announced here.
        (before.is_none() && s == HostState::Online).then(|| NewEvent {
            level: Level::Info,
            kind: "host".into(),
            source: self.name.clone(),
            title: format!("{} up", self.name),
            detail: String::new(),
        })
    }

    fn seconds(&self) -> Option<f64> {
        let (a, b) = (self.prev.as_ref()?, self.cur.as_ref()?);
        let dt = (b.at - a.at) as f64 / 1000.0;
        (dt > 0.0).then_some(dt)
    }

    /// rx/tx bytes per second over all interfaces but loopback.
    pub(crate) fn net_rates(&self) -> Option<(f64, f64)> {
        if let Some(p) = &self.pushed {
            return p.net;
        }
        let dt = self.seconds()?;
        let (r0, t0) = self.prev.as_ref()?.net_totals();
        let (r1, t1) = self.cur.as_ref()?.net_totals();
        Some((r1.saturating_sub(r0) as f64 / dt, t1.saturating_sub(t0) as f64 / dt))
    }

    pub(crate) fn iface_rates(&self) -> Vec<IfaceRate> {
        let Some(cur) = &self.cur else { return Vec::new() };
        let dt = self.seconds();
        cur.interfaces
            .iter()
            .map(|i| {
                let before = self
                    .prev
                    .as_ref()
                    .and_then(|p| p.interfaces.iter().find(|x| x.name == i.name));
                let rate = |now: u64, then: Option<u64>| match (dt, then) {
                    (Some(dt), Some(t)) => now.saturating_sub(t) as f64 / dt,
                    _ => 0.0,
                };
                IfaceRate {
                    name: i.name.clone(),
                    rx_per_s: rate(i.rx_bytes, before.map(|b| b.rx_bytes)),
                    tx_per_s: rate(i.tx_bytes, before.map(|b| b.tx_bytes)),
                    rx_total: i.rx_bytes,
                    tx_total: i.tx_bytes,
                }
            })
            .collect()
    }

    /// Generated tokens per second from the inference counters' delta.
    pub fn tokens_per_s(&self) -> Option<f64> {
        if let Some(p) = &self.pushed {
            return p.tokens_per_s;
        }
        let dt = self.seconds()?;
        let a = self.prev.as_ref()?.inference?.generation_tokens_total?;
        let b = self.cur.as_ref()?.inference?.generation_tokens_total?;
        crate::parse::prometheus::rate(a, b, dt)
    }

    /// Failed (aborted or errored) requests per minute from the counter's
    /// delta; `None` where the server has no such counter or it was reset.
    pub fn errors_per_min(&self) -> Option<f64> {
        if let Some(p) = &self.pushed {
            return p.errors_per_min;
        }
        let dt = self.seconds()?;
        let a = self.prev.as_ref()?.inference?.failed_total?;
        let b = self.cur.as_ref()?.inference?.failed_total?;
        crate::parse::prometheus::rate(a, b, dt).map(|r| r * 60.0)
    }
}

pub(super) fn disk_observations(h: &HostEntry, r: &AlertRules) -> Vec<Observation> {
    let Some(cur) = &h.cur else { return Vec::new() };
    cur.disks
        .iter()
        .filter_map(|d| {
            let pct = d.used_pct();
            let (level, escalate) = if pct >= r.disk_critical_pct {
                (Level::Warn, Some((Level::Critical, r.disk_critical_after_ms)))
            } else if pct >= r.disk_warn_pct {
                (Level::Warn, None)
            } else {
                return None;
            };
            Some(Observation {
                key: format!("disk:{}:{}", h.name, d.mount),
                tab: Tab::Fleet,
                kind: "disk".into(),
                source: h.name.clone(),
                title: format!("{} disk {} {:.0}% full", h.name, d.mount, pct.floor()),
                level,
                escalate,
                recovered: format!("{} disk {} back under {:.0}%", h.name, d.mount, r.disk_warn_pct),
            })
        })
        .collect()
}

pub(super) fn state_observation(h: &HostEntry, r: &AlertRules, now: Millis) -> Option<Observation> {
    if h.waiting_first() {
        return None;
    }
    let s = h.state(now);
    let (level, escalate, words) = match s {
        HostState::Online => return None,
        HostState::Stale => (Level::Warn, None, "stale: no fresh data"),
        HostState::Offline => (
            Level::Error,
            Some((Level::Critical, r.offline_critical_after_ms)),
            "offline",
        ),
        HostState::AuthError => (Level::Error, None, "authentication failed"),
    };
    let why = h.last_error.as_ref().map(|e| format!(": {e}")).unwrap_or_default();
    Some(Observation {
        key: format!("host-state:{}", h.name),
        tab: Tab::Fleet,
        kind: "host".into(),
        source: h.name.clone(),
        title: format!("{} {words}{why}", h.name),
        level,
        escalate,
        recovered: format!("{} back online", h.name),
    })
}

/// The numbers of a pushed host JSON as a sample the UI and the rules read.
pub(crate) fn sample_from_snap(s: &crate::parse::push::HostSnap, at: Millis) -> HostSample {
    use crate::model::{Battery, InferenceCounters, Temp};
    use crate::parse::sanitize::sanitize;
    const MAX_LIST: usize = 64;
    HostSample {
        at,
        cpu_pct: finite(s.cpu_pct.unwrap_or(0.0)).clamp(0.0, 100.0),
        mem_used_bytes: s.mem_used_bytes.unwrap_or(0),
        mem_total_bytes: s.mem_total_bytes.unwrap_or(0),
        swap_used_bytes: s.swap_used_bytes.unwrap_or(0),
        swap_total_bytes: s.swap_total_bytes.unwrap_or(0),
        disks: s.disks.iter().take(MAX_LIST).map(pushed_disk).collect(),
        load: s.load.map_or([0.0; 3], |l| l.map(finite)),
        uptime_s: s.uptime_s.unwrap_or(0),
        temps: s
            .temp_c
            .map(finite)
            .map(|c| Temp {
                label: "max".into(),
                celsius: c,
            })
            .into_iter()
            .collect(),
        batteries: s
            .battery_pct
            .map(|p| Battery {
                name: "battery".into(),
                pct: Some(finite(p).clamp(0.0, 100.0)),
                status: None,
            })
            .into_iter()
            .collect(),
        processes: s.top.iter().take(MAX_LIST).map(pushed_process).collect(),
        sessions: s
            .sessions
            .iter()
            .take(MAX_LIST)
            .map(|(k, v)| (sanitize(k), *v))
            .collect(),
        gpus: s.gpus.iter().take(MAX_LIST).cloned().collect(),
        ollama: s.ollama.as_ref().map(bounded_ollama),
        inference_error: s.metrics_error.as_deref().map(crate::parse::ollama::clean),
        session_oldest_s: s
            .sessions
            .keys()
            .take(MAX_LIST)
            .map(|k| s.session_oldest_s.get(k).copied())
            .collect(),
        inference: s.inference.as_ref().map(|i| InferenceCounters {
            running: i.running,
            waiting: i.waiting,
            ..InferenceCounters::default()
        }),
        mem_pressure_pct: s
            .mem_pressure_pct
            .filter(|p| p.is_finite())
            .map(|p| p.clamp(0.0, 100.0)),
        ..HostSample::default()
    }
}

/// A pushed disk: its mount sanitised.
fn pushed_disk(d: &crate::parse::push::DiskSnap) -> crate::model::Disk {
    // An agent older than `available_bytes`: size − used.
    let available = d.available_bytes.unwrap_or(d.total_bytes.saturating_sub(d.used_bytes));
    let mount = crate::parse::sanitize::sanitize(&d.mount);
    crate::model::Disk::new(
        mount,
        String::new(),
        String::new(),
        d.total_bytes,
        d.used_bytes,
        available,
    )
}

/// A pushed process: its name sanitised, a CPU % that is a number.
fn pushed_process(p: &crate::parse::push::TopSnap) -> crate::model::Process {
    crate::model::Process {
        pid: p.pid,
        name: crate::parse::sanitize::sanitize(&p.name),
        cpu_pct: if p.cpu_pct.is_finite() { p.cpu_pct } else { 0.0 },
        mem_bytes: p.mem_bytes,
        cmd: String::new(),
        user: std::sync::Arc::from(""),
        state: "",
    }
}

/// A pushed Ollama block, held to what `/api/ps` parsing keeps.
fn bounded_ollama(o: &crate::model::Ollama) -> crate::model::Ollama {
    let cut = crate::parse::ollama::clean;
    crate::model::Ollama {
        version: o.version.as_deref().map(cut),
        models: o
            .models
            .iter()
            .take(crate::parse::ollama::MAX_MODELS)
            .map(|m| crate::model::OllamaModel {
                name: cut(&m.name),
                parameter_size: cut(&m.parameter_size),
                quantization: cut(&m.quantization),
                expires_at: m.expires_at.as_deref().map(cut),
                ..m.clone()
            })
            .collect(),
    }
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}
