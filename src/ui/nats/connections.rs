//! A server's drill-down: its panel, then its connections with nats-top's
//! columns (those of low priority dropped first on a narrow screen).

use super::connections;
use super::panel::server_lines;
use crate::parse::nats::Conn;
use crate::store::nats::NatsServer;
use crate::ui::table::{Column, Fit, Table, Width};
use crate::ui::{ConnSort, Detail, Painter, fmt};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

/// The columns: header, width, priority (lower is dropped first).
const CONN_COLS: [(&str, u16, u8); 13] = [
    ("CID", 5, 9),
    ("NAME", 16, 9),
    ("LANG", 6, 3),
    ("VERSION", 8, 1),
    ("HOST", 16, 4),
    ("SUBS", 5, 8),
    ("PENDING", 7, 7),
    ("MSGS TO", 8, 8),
    ("MSGS FROM", 9, 8),
    ("BYTES TO", 8, 6),
    ("BYTES FROM", 10, 6),
    ("UPTIME", 7, 2),
    ("IDLE", 6, 5),
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

pub(super) fn render_connections(frame: &mut Frame, area: Rect, p: &Painter, s: &NatsServer, d: &Detail) {
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
    let cs = connections(s, d);
    let sort = ConnSort::from_index(d.list.sort).label();
    let columns: Vec<Column<&Conn>> = CONN_COLS
        .into_iter()
        .enumerate()
        .map(|(i, (name, width, keep))| {
            let mark = if name.eq_ignore_ascii_case(sort) || (name == "SUBS" && sort == "subs") {
                g.down
            } else {
                ""
            };
            Column::new(format!("{name}{mark}"), Width::Fixed(width), move |c: &&Conn| {
                fmt::fit(&conn_cell(i, c), usize::from(width), g.ellipsis).into()
            })
            .priority(keep)
        })
        .collect();
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
    // The columns fit with a space after the last one too; CID and NAME
    // stay whatever the width.
    Table::new(columns, t.header, t.selected)
        .fit(Fit::Greedy { spare: 0, least: 2 })
        .row_style(|c: &&Conn| if c.pending_bytes > 0 { t.warn } else { t.text })
        .block(crate::ui::widgets::section(p, title))
        .render(frame, bottom, &cs, d.list.selected);
}
