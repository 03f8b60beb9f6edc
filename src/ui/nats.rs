//! The NATS tab: a panel on the selected row's server (rates, JetStream
//! usage, fleettop's own connection), then one list of servers, each
//! followed by its streams and their consumers, worst first. Enter opens a
//! server's connection list (nats-top's columns), a stream, or a consumer
//! with sparklines of its pending and ack-pending counts.

use super::widgets::{bar, load_style, sparkline};
use super::{ConnSort, Detail, DetailKey, ListView, NatsKey, NatsSort, Painter, fmt};
use crate::model::Level;
use crate::parse::nats::{Conn, ConsumerInfo, go_duration_secs, time_millis};
use crate::store::{Store, Tab};
use crate::store::{nats::NatsServer, nats::StreamRef, nats::consumer_key};
use crate::update::nats::LinkState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row as TRow, Table, TableState};
use std::cmp::Reverse;

const NAME_MIN: u16 = 14;

/// The value columns of the list, after NAME, and how much each is wanted.
const LIST_COLS: [Col; 7] = [
    Col {
        name: "MSGS",
        width: 8,
        keep: 5,
    },
    Col {
        name: "BYTES",
        width: 7,
        keep: 4,
    },
    Col {
        name: "PENDING",
        width: 8,
        keep: 8,
    },
    Col {
        name: "ACK PEND",
        width: 8,
        keep: 9,
    },
    Col {
        name: "REDLV",
        width: 6,
        keep: 3,
    },
    Col {
        name: "WAIT",
        width: 5,
        keep: 2,
    },
    Col {
        name: "ACTIVE",
        width: 6,
        keep: 7,
    },
];

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

pub fn detail_len(store: &Store, d: &Detail) -> usize {
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

/// The server panel: three lines on one server.
fn server_lines(p: &Painter, s: &NatsServer, width: usize) -> Vec<Line<'static>> {
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
        (None, Some(cur)) => {
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
            lines.push(Line::from(l3));
        }
    }
    lines.push(link_line(p, s));
    lines
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

#[allow(clippy::too_many_arguments)]
fn render_list(frame: &mut Frame, area: Rect, p: &Painter, rs: &[Row], sel: usize, title: &str, spark_w: usize) {
    let t = p.theme;
    let g = p.glyphs;
    // The value columns by priority, each taken while NAME keeps its room.
    let mut by_keep: Vec<usize> = (0..LIST_COLS.len()).collect();
    by_keep.sort_by_key(|&i| (Reverse(LIST_COLS[i].keep), i));
    let mut used = 0u16;
    let mut shown = Vec::with_capacity(LIST_COLS.len() + 2);
    for i in by_keep {
        let w = LIST_COLS[i].width + 1;
        if used + w + NAME_MIN <= area.width {
            used += w;
            shown.push(i + 1);
        }
    }
    shown.push(0);
    if spark_w > 0 && shown.len() == LIST_COLS.len() + 1 {
        shown.push(LIST_COLS.len() + 1);
    }
    shown.sort_unstable();
    let header: Vec<String> = shown
        .iter()
        .map(|&i| match i {
            0 => "NAME".to_string(),
            i if i <= LIST_COLS.len() => {
                let c = &LIST_COLS[i - 1];
                format!("{:>w$}", c.name, w = usize::from(c.width))
            }
            _ => "ACK PENDING".to_string(),
        })
        .collect();
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|&i| match i {
            0 => Constraint::Min(NAME_MIN),
            i if i <= LIST_COLS.len() => Constraint::Length(LIST_COLS[i - 1].width),
            _ => Constraint::Length(spark_w as u16),
        })
        .collect();
    let empty = std::collections::VecDeque::new();
    let rows: Vec<TRow> = rs
        .iter()
        .map(|r| {
            let mut cells: Vec<Span> = match r {
                Row::Server(s) => {
                    let level = p.store.nats.level(s, p.now);
                    let js = s
                        .cur
                        .as_ref()
                        .and_then(|c| c.jsz.as_ref().ok())
                        .filter(|_| s.error.is_none());
                    vec![
                        Span::styled(format!("{} {}", g.dot, s.name), level_style(p, level)),
                        Span::raw(js.map_or(String::new(), |j| format!("{:>8}", j.messages))),
                        Span::raw(js.map_or(String::new(), |j| format!("{:>7}", fmt::bytes(j.bytes)))),
                        Span::raw(""),
                        Span::raw(""),
                        Span::raw(""),
                        Span::raw(""),
                        Span::styled(
                            format!("{:>6}", if s.absent() { "absent" } else { state_word(level) }),
                            level_style(p, level),
                        ),
                    ]
                }
                Row::Stream(_, st) => {
                    let s = &st.stream.state;
                    vec![
                        Span::styled(format!("  {}", st.stream.name), t.text),
                        Span::raw(format!("{:>8}", s.messages)),
                        Span::raw(format!("{:>7}", fmt::bytes(s.bytes))),
                        Span::raw(""),
                        Span::raw(""),
                        Span::raw(""),
                        Span::raw(""),
                        Span::raw(format!("{:>6}", ago_of(p, Some(&s.last_ts)))),
                    ]
                }
                Row::Consumer(s, st, c) => {
                    let style = if s.consumer_level(c) > Level::Info {
                        t.warn
                    } else {
                        t.text
                    };
                    let mut v = vec![
                        Span::styled(format!("    {}", c.name), style),
                        Span::raw(""),
                        Span::raw(""),
                        Span::raw(format!("{:>8}", c.num_pending)),
                        Span::styled(format!("{:>8}", c.num_ack_pending), style),
                        Span::raw(format!("{:>6}", c.num_redelivered)),
                        Span::raw(format!("{:>5}", c.num_waiting)),
                        Span::raw(format!("{:>6}", ago_of(p, c.delivered.last_active.as_deref()))),
                    ];
                    if spark_w > 0 {
                        let h = s
                            .history
                            .get(&consumer_key(st.account, &st.stream.name, &c.name))
                            .unwrap_or(&empty);
                        let vals: Vec<f64> = h.iter().map(|x| x.1 as f64).collect();
                        v.push(Span::styled(sparkline(g, &vals, spark_w), style));
                    }
                    v
                }
            };
            let cells: Vec<Span> = shown
                .iter()
                .filter_map(|&i| cells.get_mut(i).map(std::mem::take))
                .collect();
            TRow::new(cells)
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(TRow::new(header).style(t.header))
        .row_highlight_style(t.selected)
        .block(super::widgets::section(p, title.to_string()));
    let mut state = TableState::default();
    if !rs.is_empty() {
        let visible = usize::from(area.height.saturating_sub(2)).max(1);
        state = state
            .with_selected(Some(sel))
            .with_offset(sel.saturating_sub(visible - 1));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

pub fn render_detail(frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
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
        Row::Server(s) => render_connections(frame, area, p, s, d),
        Row::Stream(s, st) => render_stream(frame, area, p, s, st, d),
        Row::Consumer(s, st, c) => render_consumer(frame, area, p, s, st, c),
    }
}

/// A server limit: zero or negative means none.
fn limit(v: i64, f: impl Fn(i64) -> String) -> String {
    if v > 0 { f(v) } else { "-".into() }
}

fn field(p: &Painter, k: &str, v: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<21}"), p.theme.header),
        Span::styled(v, p.theme.text),
    ])
}

fn render_stream(frame: &mut Frame, area: Rect, p: &Painter, s: &NatsServer, st: StreamRef, d: &Detail) {
    let t = p.theme;
    let x = &st.stream.state;
    let lines = vec![
        field(p, "server / account", format!("{} / {}", s.name, st.account)),
        field(p, "created", st.stream.created.clone()),
        field(p, "messages", format!("{} ({})", x.messages, fmt::bytes(x.bytes))),
        field(p, "first seq", format!("{}  {}", x.first_seq, x.first_ts)),
        field(
            p,
            "last seq",
            format!("{}  {} ({} ago)", x.last_seq, x.last_ts, ago_of(p, Some(&x.last_ts))),
        ),
        field(p, "consumers", x.consumer_count.to_string()),
    ];
    let mut lines = lines;
    if let Some(c) = &st.stream.config {
        lines.push(field(
            p,
            "subjects",
            format!("{}  ({} distinct in use)", c.subjects.join(" "), x.num_subjects),
        ));
        lines.push(field(
            p,
            "retention / storage",
            format!(
                "{} / {} / {} replica(s) / discard {}",
                c.retention, c.storage, c.num_replicas, c.discard
            ),
        ));
        lines.push(field(
            p,
            "limits",
            format!(
                "msgs {}  bytes {}  age {}",
                limit(c.max_msgs, |v| v.to_string()),
                limit(c.max_bytes, |v| fmt::bytes(v as u64)),
                limit(c.max_age, |v| fmt::uptime((v / 1_000_000_000) as u64)),
            ),
        ));
    }
    let h = (lines.len() as u16 + 2).min(area.height / 2);
    let [top, bottom] = Layout::vertical([Constraint::Length(h), Constraint::Min(1)]).areas(area);
    let block = Block::bordered()
        .border_style(t.border)
        .border_set(p.glyphs.border)
        .title(Line::styled(format!(" stream {} ", st.stream.name), t.title));
    frame.render_widget(Paragraph::new(lines).block(block), top);
    let mut cs: Vec<&ConsumerInfo> = st.stream.consumer_detail.iter().collect();
    cs.sort_by(|a, b| {
        consumer_rank(s, b)
            .cmp(&consumer_rank(s, a))
            .then_with(|| a.name.cmp(&b.name))
    });
    let rs: Vec<Row> = cs.into_iter().map(|c| Row::Consumer(s, st, c)).collect();
    let sel = d.list.selected.min(rs.len().saturating_sub(1));
    let spark_w = usize::from(bottom.width).saturating_sub(88).min(20);
    render_list(
        frame,
        bottom,
        p,
        &rs,
        sel,
        &format!(" consumers {} ", rs.len()),
        spark_w,
    );
}

fn render_consumer(frame: &mut Frame, area: Rect, p: &Painter, s: &NatsServer, st: StreamRef, c: &ConsumerInfo) {
    let t = p.theme;
    let g = p.glyphs;
    let level = s.consumer_level(c);
    let mut lines = vec![
        field(p, "server / stream", format!("{} / {}", s.name, st.stream.name)),
        field(p, "created", c.created.clone()),
        field(p, "num_pending", c.num_pending.to_string()),
        Line::from(vec![
            Span::styled(format!("{:<21}", "num_ack_pending"), t.header),
            Span::styled(
                format!("{} (warn at {})", c.num_ack_pending, s.ack_pending_warn),
                if level > Level::Info { t.warn } else { t.text },
            ),
        ]),
        field(p, "num_redelivered", c.num_redelivered.to_string()),
        field(p, "num_waiting", c.num_waiting.to_string()),
        field(
            p,
            "delivered",
            format!(
                "consumer seq {}  stream seq {}",
                c.delivered.consumer_seq, c.delivered.stream_seq
            ),
        ),
        field(
            p,
            "ack floor",
            format!(
                "consumer seq {}  stream seq {}",
                c.ack_floor.consumer_seq, c.ack_floor.stream_seq
            ),
        ),
        field(
            p,
            "last active",
            format!(
                "{} ago ({})",
                ago_of(p, c.delivered.last_active.as_deref()),
                c.delivered.last_active.as_deref().unwrap_or("-")
            ),
        ),
        field(p, "push bound", c.push_bound.to_string()),
    ];
    if let Some(k) = &c.config {
        lines.push(field(
            p,
            "policy",
            format!(
                "ack {}  deliver {}  durable {}",
                k.ack_policy,
                k.deliver_policy,
                k.durable_name.as_deref().unwrap_or("-")
            ),
        ));
        lines.push(field(
            p,
            "filter / deliver to",
            format!(
                "{} / {}",
                k.filter_subject.as_deref().filter(|f| !f.is_empty()).unwrap_or("-"),
                k.deliver_subject.as_deref().unwrap_or("pull")
            ),
        ));
        lines.push(field(
            p,
            "limits",
            format!(
                "max ack pending {}  max deliver {}  ack wait {}s",
                limit(k.max_ack_pending, |v| v.to_string()),
                limit(k.max_deliver, |v| v.to_string()),
                k.ack_wait / 1_000_000_000
            ),
        ));
    }
    lines.push(Line::raw(""));
    let w = usize::from(area.width.saturating_sub(25)).max(1);
    let empty = std::collections::VecDeque::new();
    let h = s
        .history
        .get(&consumer_key(st.account, &st.stream.name, &c.name))
        .unwrap_or(&empty);
    let pend: Vec<f64> = h.iter().map(|x| x.0 as f64).collect();
    let ack: Vec<f64> = h.iter().map(|x| x.1 as f64).collect();
    lines.push(Line::from(vec![
        Span::styled(format!("{:<21}", "pending"), t.header),
        Span::styled(sparkline(g, &pend, w), t.info),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<21}", "ack pending"), t.header),
        Span::styled(sparkline(g, &ack, w), if level > Level::Info { t.warn } else { t.info }),
    ]));
    lines.push(Line::styled(format!("{:<21}last {} samples", "", h.len()), t.dim));
    let block = Block::bordered()
        .border_style(t.border)
        .border_set(g.border)
        .title(Line::styled(
            format!(" consumer {}/{} ", st.stream.name, c.name),
            t.title,
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

struct Col {
    name: &'static str,
    width: u16,
    /// Lower is dropped first when the width is short.
    keep: u8,
}

const CONN_COLS: [Col; 13] = [
    Col {
        name: "CID",
        width: 5,
        keep: 9,
    },
    Col {
        name: "NAME",
        width: 16,
        keep: 9,
    },
    Col {
        name: "LANG",
        width: 6,
        keep: 3,
    },
    Col {
        name: "VERSION",
        width: 8,
        keep: 1,
    },
    Col {
        name: "HOST",
        width: 16,
        keep: 4,
    },
    Col {
        name: "SUBS",
        width: 5,
        keep: 8,
    },
    Col {
        name: "PENDING",
        width: 7,
        keep: 7,
    },
    Col {
        name: "MSGS TO",
        width: 8,
        keep: 8,
    },
    Col {
        name: "MSGS FROM",
        width: 9,
        keep: 8,
    },
    Col {
        name: "BYTES TO",
        width: 8,
        keep: 6,
    },
    Col {
        name: "BYTES FROM",
        width: 10,
        keep: 6,
    },
    Col {
        name: "UPTIME",
        width: 7,
        keep: 2,
    },
    Col {
        name: "IDLE",
        width: 6,
        keep: 5,
    },
];

fn conn_cell(i: usize, c: &Conn) -> String {
    match i {
        0 => format!("{:>5}", c.cid),
        1 => c.name.clone(),
        2 => c.lang.clone(),
        3 => c.version.clone(),
        4 => format!("{}:{}", c.ip, c.port),
        5 => format!("{:>5}", c.subscriptions),
        6 => format!("{:>7}", fmt::bytes(c.pending_bytes.max(0) as u64)),
        7 => format!("{:>8}", c.out_msgs),
        8 => format!("{:>9}", c.in_msgs),
        9 => format!("{:>8}", fmt::bytes(c.out_bytes)),
        10 => format!("{:>10}", fmt::bytes(c.in_bytes)),
        11 => format!("{:>7}", c.uptime),
        _ => format!("{:>6}", c.idle),
    }
}

fn render_connections(frame: &mut Frame, area: Rect, p: &Painter, s: &NatsServer, d: &Detail) {
    let t = p.theme;
    let g = p.glyphs;
    let panel = server_lines(p, s, usize::from(area.width));
    let h = (panel.len() as u16 + 2).min(area.height / 2);
    let [top, bottom] = Layout::vertical([Constraint::Length(h), Constraint::Min(1)]).areas(area);
    let block = Block::bordered()
        .border_style(t.border)
        .border_set(g.border)
        .title(Line::styled(format!(" NATS {} ", s.name), t.title));
    frame.render_widget(Paragraph::new(panel).block(block), top);
    // Columns by priority, each taken if it still fits, shown in order.
    let mut by_keep: Vec<usize> = (0..CONN_COLS.len()).collect();
    by_keep.sort_by_key(|&i| (Reverse(CONN_COLS[i].keep), i));
    let mut used = 0u16;
    let mut shown = Vec::new();
    for i in by_keep {
        let w = CONN_COLS[i].width + 1;
        if used + w <= bottom.width || shown.len() < 2 {
            used += w;
            shown.push(i);
        }
    }
    shown.sort_unstable();
    let cs = connections(s, d);
    let sort = ConnSort::from_index(d.list.sort).label();
    let header: Vec<String> = shown
        .iter()
        .map(|&i| {
            let n = CONN_COLS[i].name;
            let mark = if n.eq_ignore_ascii_case(sort) || (n == "SUBS" && sort == "subs") {
                g.down
            } else {
                ""
            };
            format!("{n}{mark}")
        })
        .collect();
    let rows: Vec<TRow> = cs
        .iter()
        .map(|c| {
            TRow::new(
                shown
                    .iter()
                    .map(|&i| fmt::fit(&conn_cell(i, c), usize::from(CONN_COLS[i].width), g.ellipsis))
                    .collect::<Vec<_>>(),
            )
            .style(if c.pending_bytes > 0 { t.warn } else { t.text })
        })
        .collect();
    let widths: Vec<Constraint> = shown.iter().map(|&i| Constraint::Length(CONN_COLS[i].width)).collect();
    let filter = if d.list.filter.is_empty() {
        String::new()
    } else {
        format!(" filter \"{}\"", d.list.filter)
    };
    let total = match s.cur.as_ref().map(|c| &c.connz) {
        Some(Ok(c)) => c.num_connections.to_string(),
        Some(Err(e)) => format!("? ({e})"),
        None => "?".into(),
    };
    let title = format!(" connections {}/{total}{filter} {} sort {sort} ", cs.len(), g.sep);
    let table = Table::new(rows, widths)
        .header(TRow::new(header).style(t.header))
        .row_highlight_style(t.selected)
        .block(super::widgets::section(p, title));
    let mut state = TableState::default();
    if !cs.is_empty() {
        let sel = d.list.selected.min(cs.len() - 1);
        let visible = usize::from(bottom.height.saturating_sub(2)).max(1);
        state = state
            .with_selected(Some(sel))
            .with_offset(sel.saturating_sub(visible - 1));
    }
    frame.render_stateful_widget(table, bottom, &mut state);
}
