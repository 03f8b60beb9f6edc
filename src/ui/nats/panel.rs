//! The server panel: one server's state, rates, health, JetStream usage
//! and fleettop's own link to it, above the list and the connections.

use super::{level_style, state_word};
use crate::store::nats::NatsServer;
use crate::ui::widgets::{bar, load_style};
use crate::ui::{Painter, fmt};
use crate::update::nats::{LinkState, MonitorSample};
use ratatui::text::{Line, Span};

/// The server panel: three lines on one server.
pub(super) fn server_lines(p: &Painter, s: &NatsServer, width: usize) -> Vec<Line<'static>> {
    let t = p.theme;
    let g = p.glyphs;
    let level = p.store.nats.level(s, p.now);
    let mut l1 = vec![
        Span::styled(format!("{} ", g.dot), level_style(p, level)),
        Span::styled(s.name.clone(), t.title),
        Span::styled(format!(" {} ", state_word(level)), level_style(p, level)),
    ];
    let mut lines = Vec::new();
    match (&s.error, &s.cur) {
        _ if s.absent() => {
            l1.push(Span::styled(
                format!("not configured here: nothing answers at {}", s.monitor_url),
                t.dim,
            ));
            lines.push(Line::from(l1));
        }
        (Some(e), _) => {
            let since = s.failing_since.map_or(0, |f| p.now.saturating_sub(f));
            l1.push(Span::styled(format!("{e}"), t.error));
            l1.push(Span::styled(format!(" for {}", fmt::ago(since)), t.dim));
            if let Some(ok) = s.last_ok {
                l1.push(Span::styled(format!(", last seen {} ago", fmt::ago(p.now - ok)), t.dim));
            }
            lines.push(Line::from(l1));
        }
        (None, None) => {
            l1.push(Span::styled(
                if s.monitored {
                    "waiting for the first poll"
                } else {
                    "no monitor_url: connection only"
                },
                t.dim,
            ));
            lines.push(Line::from(l1));
        }
        (None, Some(cur)) => lines.extend(up_lines(p, s, cur, width, l1)),
    }
    lines.push(link_line(p, s));
    lines
}

/// The lines of a server that answers: versions and counts, message rates
/// and health, JetStream usage.
fn up_lines(
    p: &Painter,
    s: &NatsServer,
    cur: &MonitorSample,
    width: usize,
    mut l1: Vec<Span<'static>>,
) -> Vec<Line<'static>> {
    let t = p.theme;
    let mut lines = Vec::new();
    let v = &cur.varz;
    let more = if width >= 96 {
        format!(" ({} total)  subs {}", v.total_connections, v.subscriptions)
    } else {
        String::new()
    };
    l1.push(Span::styled(
        format!(
            "v{}  up {}  cpu {}  mem {}  conns {}{more}  ",
            v.version,
            v.uptime_s().map_or("?".into(), fmt::uptime),
            fmt::pct(v.cpu),
            fmt::bytes(v.mem.max(0) as u64),
            v.connections,
        ),
        t.text,
    ));
    l1.push(Span::styled(
        format!("slow {}", v.slow_consumers),
        if v.slow_consumers > 0 { t.warn } else { t.text },
    ));
    lines.push(Line::from(l1));
    let r = s.rates;
    let rate = |m: Option<f64>, b: Option<f64>| match (m, b) {
        (Some(m), Some(b)) if m < 10.0 => format!("{m:.1} msg/s {}", fmt::rate(b)),
        (Some(m), Some(b)) => format!("{m:.0} msg/s {}", fmt::rate(b)),
        _ => "- msg/s".into(),
    };
    let health = match &cur.health {
        Ok(h) if h.status == "ok" => ("ok".to_string(), t.ok),
        Ok(h) => (format!("{} {}", h.status, h.error), t.warn),
        Err(e) => (e.clone(), t.warn),
    };
    lines.push(Line::from(vec![
        Span::styled("in ", t.header),
        Span::styled(
            format!("{}   ", rate(r.map(|r| r.in_msgs_per_s), r.map(|r| r.in_bytes_per_s))),
            t.text,
        ),
        Span::styled("out ", t.header),
        Span::styled(
            format!("{}   ", rate(r.map(|r| r.out_msgs_per_s), r.map(|r| r.out_bytes_per_s))),
            t.text,
        ),
        Span::styled("health ", t.header),
        Span::styled(health.0, health.1),
    ]));
    lines.push(js_line(p, cur, width));
    lines
}

/// JetStream's memory and storage bars and its API counts.
fn js_line(p: &Painter, cur: &MonitorSample, width: usize) -> Line<'static> {
    let t = p.theme;
    let g = p.glyphs;
    let mut l3 = Vec::new();
    match &cur.jsz {
        Ok(j) => {
            let lim = j.config.clone().unwrap_or_default();
            let bw = if width >= 90 { 10 } else { 5 };
            for (label, used, res, max) in [
                ("JS mem ", j.memory, j.reserved_memory, lim.max_memory),
                ("  store ", j.storage, j.reserved_storage, lim.max_storage),
            ] {
                let max = max.max(0) as u64;
                let pct = crate::model::pct(used, max);
                l3.push(Span::styled(label, t.header));
                l3.extend(bar(t, g, pct, bw, load_style(t, pct)));
                l3.push(Span::styled(format!(" {}", fmt::used_total(used, max)), t.text));
                if res > 0 && res < u64::MAX / 2 {
                    l3.push(Span::styled(format!(" res {}", fmt::bytes(res)), t.dim));
                }
            }
            l3.push(Span::styled("  api ", t.header));
            l3.push(Span::styled(format!("{}", j.api.total), t.text));
            l3.push(Span::styled(
                format!(" err {}", j.api.errors),
                if j.api.errors > 0 { t.warn } else { t.dim },
            ));
        }
        Err(e) => l3.push(Span::styled(format!("JetStream: {e}"), t.dim)),
    }
    Line::from(l3)
}

fn link_line(p: &Painter, s: &NatsServer) -> Line<'static> {
    let t = p.theme;
    let l = &s.link;
    let (word, style) = match &l.state {
        LinkState::None => ("no url: not subscribed, not publishing".to_string(), t.dim),
        LinkState::Connecting => ("connecting".to_string(), t.dim),
        LinkState::Connected => ("connected".to_string(), t.ok),
        LinkState::Down(why) => (format!("down: {why}"), t.error),
    };
    let mut spans = vec![Span::styled("link ", t.header), Span::styled(word, style)];
    if l.state != LinkState::None {
        spans.push(Span::styled(
            format!(
                "  received {}  published {}  buffered {}",
                l.received, l.published, l.buffered
            ),
            t.text,
        ));
        if l.skipped > 0 {
            spans.push(Span::styled(format!("  not shown {}", l.skipped), t.warn));
        }
        spans.push(Span::styled(
            format!("  dropped {}", l.dropped),
            if l.dropped > 0 { t.warn } else { t.text },
        ));
    }
    let n = &p.store.nats;
    if n.webhook {
        spans.push(Span::styled("  webhook ", t.header));
        match &n.webhook_error {
            Some(e) => spans.push(Span::styled(format!("failing: {e}"), t.error)),
            None => spans.push(Span::styled(format!("sent {}", n.webhook_sent), t.text)),
        }
    }
    Line::from(spans)
}
