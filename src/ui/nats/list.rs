//! The list of servers, each followed by its streams and their consumers
//! (the tab's body and the stream drill-down's consumers).

use super::{Row, ago_of, level_style, state_word};
use crate::model::Level;
use crate::parse::nats::ConsumerInfo;
use crate::store::nats::{NatsServer, consumer_key};
use crate::ui::table::{Align, Column, Fit, Table, Width};
use crate::ui::widgets::sparkline;
use crate::ui::{Painter, fmt};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

const NAME_MIN: u16 = 14;

/// The value columns of the list, after NAME: header, width, priority
/// (lower is dropped first when the width is short).
const LIST_COLS: [(&str, u16, u8); 7] = [
    ("MSGS", 8, 5),
    ("BYTES", 7, 4),
    ("PENDING", 8, 8),
    ("ACK PEND", 8, 9),
    ("REDLV", 6, 3),
    ("WAIT", 5, 2),
    ("ACTIVE", 6, 7),
];

/// The list with row `sel` highlighted; a sparkline of each consumer's ack
/// pending count at the right when `spark_w` is not zero (the caller makes
/// it zero unless every value column fits beside it).
pub(super) fn render_list(
    frame: &mut Frame,
    area: Rect,
    p: &Painter,
    rs: &[Row],
    sel: usize,
    title: &str,
    spark_w: usize,
) {
    let t = p.theme;
    let mut columns: Vec<Column<Row>> =
        vec![Column::new("NAME", Width::Min(NAME_MIN), |r: &Row| name_cell(p, r).into()).priority(u8::MAX)];
    for (i, (name, width, keep)) in LIST_COLS.into_iter().enumerate() {
        columns.push(
            Column::new(name, Width::Fixed(width), move |r: &Row| value_cell(p, r, i).into())
                .priority(keep)
                .align(Align::Right),
        );
    }
    if spark_w > 0 {
        columns.push(Column::new(
            "ACK PENDING",
            Width::Fixed(spark_w as u16),
            move |r: &Row| spark_cell(p, r, spark_w).into(),
        ));
    }
    Table::new(columns, t.header, t.selected)
        .fit(Fit::Greedy { spare: 1, least: 1 })
        .block(crate::ui::widgets::section(p, title.to_string()))
        .render(frame, area, rs, sel);
}

fn name_cell(p: &Painter, r: &Row) -> Span<'static> {
    match r {
        Row::Server(s) => Span::styled(
            format!("{} {}", p.glyphs.dot, s.name),
            level_style(p, p.store.nats.level(s, p.now)),
        ),
        Row::Stream(_, st) => Span::styled(format!("  {}", st.stream.name), p.theme.text),
        Row::Consumer(s, _, c) => Span::styled(format!("    {}", c.name), consumer_style(p, s, c)),
    }
}

/// A consumer over its ack pending threshold is in the warning colour.
fn consumer_style(p: &Painter, s: &NatsServer, c: &ConsumerInfo) -> Style {
    if s.consumer_level(c) > Level::Info {
        p.theme.warn
    } else {
        p.theme.text
    }
}

/// Value column `i` (of [`LIST_COLS`]) of a row; blank where it has none.
fn value_cell(p: &Painter, r: &Row, i: usize) -> Span<'static> {
    match r {
        Row::Server(s) => {
            let level = p.store.nats.level(s, p.now);
            let js = s
                .cur
                .as_ref()
                .and_then(|c| c.jsz.as_ref().ok())
                .filter(|_| s.error.is_none());
            match i {
                0 => Span::raw(js.map_or(String::new(), |j| format!("{:>8}", j.messages))),
                1 => Span::raw(js.map_or(String::new(), |j| format!("{:>7}", fmt::bytes(j.bytes)))),
                6 => Span::styled(
                    format!("{:>6}", if s.absent() { "absent" } else { state_word(level) }),
                    level_style(p, level),
                ),
                _ => Span::raw(""),
            }
        }
        Row::Stream(_, st) => {
            let s = &st.stream.state;
            match i {
                0 => Span::raw(format!("{:>8}", s.messages)),
                1 => Span::raw(format!("{:>7}", fmt::bytes(s.bytes))),
                6 => Span::raw(format!("{:>6}", ago_of(p, Some(&s.last_ts)))),
                _ => Span::raw(""),
            }
        }
        Row::Consumer(s, _, c) => match i {
            2 => Span::raw(format!("{:>8}", c.num_pending)),
            3 => Span::styled(format!("{:>8}", c.num_ack_pending), consumer_style(p, s, c)),
            4 => Span::raw(format!("{:>6}", c.num_redelivered)),
            5 => Span::raw(format!("{:>5}", c.num_waiting)),
            6 => Span::raw(format!("{:>6}", ago_of(p, c.delivered.last_active.as_deref()))),
            _ => Span::raw(""),
        },
    }
}

/// A consumer's recent ack pending counts; blank for other rows.
fn spark_cell(p: &Painter, r: &Row, width: usize) -> Span<'static> {
    let Row::Consumer(s, st, c) = r else {
        return Span::raw("");
    };
    let empty = std::collections::VecDeque::new();
    let h = s
        .history
        .get(&consumer_key(st.account, &st.stream.name, &c.name))
        .unwrap_or(&empty);
    let vals: Vec<f64> = h.iter().map(|x| x.1 as f64).collect();
    Span::styled(sparkline(p.glyphs, &vals, width), consumer_style(p, s, c))
}
