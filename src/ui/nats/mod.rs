//! The NATS tab: a panel on the selected row's server (rates, JetStream
//! usage, fleettop's own connection), then one list of servers, each
//! followed by its streams and their consumers, worst first. Enter opens a
//! server's connection list (nats-top's columns), a stream, or a consumer
//! with sparklines of its pending and ack-pending counts.
//!
//! ```text
//! ┌ NATS ─────────────────────────────────────┐
//! │ ● main ok v2.10  up 3d  cpu 1%  conns 12  │  panel.rs: the selected
//! │ in 12 msg/s …  out …  health ok           │  row's server
//! │ JS mem ▇▇░░ …  store …  api 42 err 0      │
//! │ link connected  received 9 …              │
//! └───────────────────────────────────────────┘
//! ─ servers, streams, consumers 9 • sort worst ─  list.rs: one table
//! NAME            MSGS   BYTES  PENDING ACK PEND   (columns dropped by
//! ● main          1200   3.1M                       priority when narrow)
//!   ORDERS         800   2.0M
//!     billing                      12        3
//! ```
//! Drill-downs: connections.rs (a server), detail.rs (a stream, a consumer).

mod connections;
mod detail;
mod list;
mod panel;

use super::{ConnSort, Detail, DetailKey, ListView, NatsKey, NatsSort, Painter, fmt};
use crate::model::Level;
use crate::parse::nats::{Conn, ConsumerInfo, go_duration_secs, time_millis};
use crate::store::nats::{NatsServer, StreamRef};
use crate::store::{Store, Tab};
use list::render_list;
use panel::server_lines;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use std::cmp::Reverse;

/// One row of the tab's list.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    Server(&'a NatsServer),
    Stream(&'a NatsServer, StreamRef<'a>),
    Consumer(&'a NatsServer, StreamRef<'a>, &'a ConsumerInfo),
}

impl Row<'_> {
    pub fn server(&self) -> &NatsServer {
        match self {
            Row::Server(s) | Row::Stream(s, _) | Row::Consumer(s, _, _) => s,
        }
    }
}

/// Badness of a consumer for "worst first": its level, then ack pending,
/// then pending.
fn consumer_rank(s: &NatsServer, c: &ConsumerInfo) -> (Level, u64, u64) {
    (s.consumer_level(c), c.num_ack_pending, c.num_pending)
}

fn sort_key(sort: usize, s: &NatsServer, c: &ConsumerInfo) -> (Level, u64, u64) {
    match NatsSort::from_index(sort) {
        NatsSort::Pending => (Level::Info, c.num_pending, c.num_ack_pending),
        NatsSort::AckPending => (Level::Info, c.num_ack_pending, c.num_pending),
        NatsSort::Worst | NatsSort::Name => consumer_rank(s, c),
    }
}

/// The rows in the order and filter the list asks for.
pub fn rows<'a>(store: &'a Store, list: &ListView) -> Vec<Row<'a>> {
    let needle = list.filter.to_lowercase();
    let hit = |s: &str| needle.is_empty() || s.to_lowercase().contains(&needle);
    let by_name = NatsSort::from_index(list.sort) == NatsSort::Name;
    let mut servers: Vec<&NatsServer> = store.nats.servers.iter().collect();
    if NatsSort::from_index(list.sort) == NatsSort::Worst {
        servers.sort_by_key(|s| Reverse(s.base_level()));
    } else if by_name {
        servers.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let mut out = Vec::new();
    for s in servers {
        let mut streams: Vec<(StreamRef, Vec<&ConsumerInfo>)> = s
            .streams()
            .into_iter()
            .map(|st| {
                let mut cs: Vec<&ConsumerInfo> = st
                    .stream
                    .consumer_detail
                    .iter()
                    .filter(|c| hit(&s.name) || hit(&st.stream.name) || hit(&c.name))
                    .collect();
                if by_name {
                    cs.sort_by(|a, b| a.name.cmp(&b.name));
                } else {
                    cs.sort_by(|a, b| {
                        sort_key(list.sort, s, b)
                            .cmp(&sort_key(list.sort, s, a))
                            .then_with(|| a.name.cmp(&b.name))
                    });
                }
                (st, cs)
            })
            .filter(|(st, cs)| !cs.is_empty() || hit(&s.name) || hit(&st.stream.name))
            .collect();
        if by_name {
            streams.sort_by(|a, b| a.0.stream.name.cmp(&b.0.stream.name));
        } else {
            let worst = |cs: &[&ConsumerInfo]| cs.first().map(|c| sort_key(list.sort, s, c));
            streams.sort_by(|(a, ac), (b, bc)| {
                worst(bc)
                    .cmp(&worst(ac))
                    .then(b.stream.state.messages.cmp(&a.stream.state.messages))
                    .then_with(|| a.stream.name.cmp(&b.stream.name))
            });
        }
        if streams.is_empty() && !hit(&s.name) {
            continue;
        }
        out.push(Row::Server(s));
        for (st, cs) in streams {
            out.push(Row::Stream(s, st));
            out.extend(cs.into_iter().map(|c| Row::Consumer(s, st, c)));
        }
    }
    out
}

fn all_absent(store: &Store) -> bool {
    store.nats.servers.iter().all(|s| s.absent())
}

pub fn len(store: &Store, list: &ListView) -> usize {
    if all_absent(store) {
        return 0;
    }
    rows(store, list).len()
}

fn key_of(r: &Row) -> NatsKey {
    let server = r.server().name.clone();
    match r {
        Row::Server(_) => NatsKey::Server { server },
        Row::Stream(_, st) => NatsKey::Stream {
            server,
            account: st.account.to_string(),
            stream: st.stream.name.clone(),
        },
        Row::Consumer(_, st, c) => NatsKey::Consumer {
            server,
            account: st.account.to_string(),
            stream: st.stream.name.clone(),
            consumer: c.name.clone(),
        },
    }
}

pub fn open(store: &Store, list: &ListView) -> Option<Detail> {
    let rs = rows(store, list);
    let r = rs.get(list.selected.min(rs.len().checked_sub(1)?))?;
    if r.server().absent() {
        return None;
    }
    Some(Detail {
        key: DetailKey::Nats(key_of(r)),
        ..Detail::new(Tab::Nats, "")
    })
}

/// What a drill-down's key points at, if it is still there.
fn resolve<'a>(store: &'a Store, d: &Detail) -> Option<Row<'a>> {
    let DetailKey::Nats(key) = &d.key else {
        return None;
    };
    let s = store.nats.server(key.server())?;
    let find_stream = |acct: &str, name: &str| {
        s.streams()
            .into_iter()
            .find(|st| st.account == acct && st.stream.name == name)
    };
    match key {
        NatsKey::Server { .. } => Some(Row::Server(s)),
        NatsKey::Stream { account, stream, .. } => Some(Row::Stream(s, find_stream(account, stream)?)),
        NatsKey::Consumer {
            account,
            stream,
            consumer,
            ..
        } => {
            let st = find_stream(account, stream)?;
            let ci = st.stream.consumer_detail.iter().find(|x| x.name == *consumer)?;
            Some(Row::Consumer(s, st, ci))
        }
    }
}

/// The connection list of a server drill-down, sorted and filtered.
pub fn connections<'a>(s: &'a NatsServer, d: &Detail) -> Vec<&'a Conn> {
    let needle = d.list.filter.to_lowercase();
    let mut cs: Vec<&Conn> = s
        .connections()
        .iter()
        .filter(|c| {
            needle.is_empty()
                || c.name.to_lowercase().contains(&needle)
                || c.ip.contains(&needle)
                || c.lang.to_lowercase().contains(&needle)
        })
        .collect();
    let idle = |c: &Conn| go_duration_secs(&c.idle).unwrap_or(0);
    match ConnSort::from_index(d.list.sort) {
        ConnSort::Subs => cs.sort_by_key(|c| Reverse(c.subscriptions)),
        ConnSort::Pending => cs.sort_by_key(|c| Reverse(c.pending_bytes)),
        ConnSort::MsgsTo => cs.sort_by_key(|c| Reverse(c.out_msgs)),
        ConnSort::MsgsFrom => cs.sort_by_key(|c| Reverse(c.in_msgs)),
        ConnSort::BytesTo => cs.sort_by_key(|c| Reverse(c.out_bytes)),
        ConnSort::BytesFrom => cs.sort_by_key(|c| Reverse(c.in_bytes)),
        ConnSort::Idle => cs.sort_by_key(|c| Reverse(idle(c))),
        ConnSort::Cid => cs.sort_by_key(|c| c.cid),
    }
    cs
}

pub(crate) fn detail_len(store: &Store, d: &Detail) -> usize {
    match resolve(store, d) {
        Some(Row::Server(s)) => connections(s, d).len(),
        Some(Row::Stream(_, st)) => st.stream.consumer_detail.len(),
        _ => 0,
    }
}

fn level_style(p: &Painter, l: Option<Level>) -> Style {
    match l {
        None => p.theme.dim,
        Some(Level::Info) => p.theme.ok,
        Some(l) => p.theme.level(l),
    }
}

fn state_word(l: Option<Level>) -> &'static str {
    match l {
        None => "unknown",
        Some(Level::Info) => "ok",
        Some(l) => l.as_str(),
    }
}

fn ago_of(p: &Painter, t: Option<&str>) -> String {
    t.and_then(time_millis)
        .map_or_else(|| "-".into(), |t| fmt::ago(p.now.saturating_sub(t)))
}

pub fn render(frame: &mut Frame, area: Rect, p: &Painter) {
    if p.store.configured.nats == 0 {
        super::empty::render(frame, area, p, Tab::Nats);
        return;
    }
    if all_absent(p.store) {
        render_absent(frame, area, p);
        return;
    }
    let t = p.theme;
    let g = p.glyphs;
    let list = p.view.list();
    let rs = rows(p.store, list);
    let sel = list.selected.min(rs.len().saturating_sub(1));
    let server = rs.get(sel).map(|r| r.server()).or(p.store.nats.servers.first());
    let panel_h = if server.is_some_and(|s| s.cur.is_some() && s.error.is_none()) {
        6
    } else {
        4
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Length(panel_h.min(area.height / 2)), Constraint::Min(1)]).areas(area);
    if let Some(s) = server {
        let block = Block::bordered()
            .border_style(t.border)
            .border_set(g.border)
            .title(Line::styled(" NATS ", t.title));
        frame.render_widget(
            Paragraph::new(server_lines(p, s, usize::from(area.width))).block(block),
            top,
        );
    }
    let filter = if list.filter.is_empty() {
        String::new()
    } else {
        format!(" filter \"{}\"", list.filter)
    };
    let title = format!(
        " servers, streams, consumers {}{filter} {} sort {} ",
        rs.len(),
        g.sep,
        NatsSort::from_index(list.sort).label()
    );
    let spark_w = usize::from(bottom.width).saturating_sub(88).min(20);
    render_list(frame, bottom, p, &rs, sel, &title, spark_w);
}

/// Only optional servers, none of which answers: the embedded default on a
/// machine without NATS. Not an error; say where it looked and how to point
/// it elsewhere.
fn render_absent(frame: &mut Frame, area: Rect, p: &Painter) {
    let t = p.theme;
    let mut lines = vec![
        Line::styled(
            "Per server: version, connections, message rates, slow consumers, JetStream usage, every stream and consumer (worst first).",
            t.text,
        ),
        Line::raw(""),
    ];
    for s in &p.store.nats.servers {
        lines.push(Line::styled(
            format!("Not configured here: no NATS server answers at {}.", s.monitor_url),
            t.dim,
        ));
    }
    lines.push(Line::styled("To watch one elsewhere, add to the config:", t.dim));
    lines.push(Line::raw(""));
    for l in ["[[nats]]", "name = \"main\"", "monitor_url = \"http://nats-host:8222\""] {
        lines.push(Line::styled(format!("  {l}"), t.header));
    }
    let block = Block::bordered()
        .border_style(t.border)
        .border_set(p.glyphs.border)
        .title(Line::styled(" NATS ", t.title));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block),
        area,
    );
}

pub(crate) fn render_detail(frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
    if p.store.configured.nats == 0 {
        render(frame, area, p);
        return;
    }
    let t = p.theme;
    let g = p.glyphs;
    let Some(row) = resolve(p.store, d) else {
        let block = Block::bordered().border_style(t.border).border_set(g.border);
        frame.render_widget(
            Paragraph::new("This server, stream or consumer is gone (or not reported right now). Esc goes back.")
                .style(t.dim)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    };
    match row {
        Row::Server(s) => connections::render_connections(frame, area, p, s, d),
        Row::Stream(s, st) => detail::render_stream(frame, area, p, s, st, d),
        Row::Consumer(s, st, c) => detail::render_consumer(frame, area, p, s, st, c),
    }
}
