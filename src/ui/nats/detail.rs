//! The stream and consumer drill-downs: their fields, then the stream's
//! consumers as a list or the consumer's pending sparklines.

use super::{Row, ago_of, consumer_rank, list::render_list};
use crate::model::Level;
use crate::parse::nats::ConsumerInfo;
use crate::store::nats::{NatsServer, StreamRef, consumer_key};
use crate::ui::widgets::sparkline;
use crate::ui::{Detail, Painter, fmt};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

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

pub(super) fn render_stream(frame: &mut Frame, area: Rect, p: &Painter, s: &NatsServer, st: StreamRef, d: &Detail) {
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

pub(super) fn render_consumer(
    frame: &mut Frame,
    area: Rect,
    p: &Painter,
    s: &NatsServer,
    st: StreamRef,
    c: &ConsumerInfo,
) {
    let t = p.theme;
    let g = p.glyphs;
    let level = s.consumer_level(c);
    let mut lines = consumer_fields(p, s, st, c);
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

/// The consumer's numbers, then its policy and limits where it has them.
fn consumer_fields(p: &Painter, s: &NatsServer, st: StreamRef, c: &ConsumerInfo) -> Vec<Line<'static>> {
    let t = p.theme;
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
    lines
}
