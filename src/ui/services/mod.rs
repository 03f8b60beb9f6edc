//! The Services tab: one row per check, worst first on demand; Enter opens
//! its last results, or for a container its details and log tail.

mod launchd;

use super::table::{
    Column, Fit, Table,
    Width::{Fixed, Min},
};
use super::widgets::sparkline;
use super::{Detail, ListView, Painter, ServiceSort, fmt};
use crate::store::services::{CheckResult, Service};
use crate::store::{Store, Tab};
use crate::update::services::Health;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub(crate) mod metric;

/// The rows the list shows, in its order and filter.
pub fn visible<'a>(store: &'a Store, list: &ListView) -> Vec<&'a Service> {
    let needle = list.filter.to_lowercase();
    let mut rows: Vec<&Service> = store
        .services
        .rows
        .iter()
        .filter(|s| {
            needle.is_empty()
                || [&s.row.name, &s.row.detail, &s.row.source]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&needle))
                || s.row.kind.as_str().contains(&needle)
        })
        .collect();
    match ServiceSort::from_index(list.sort) {
        ServiceSort::Worst => rows.sort_by_key(|s| s.row.health.rank()),
        ServiceSort::Name => rows.sort_by_key(|s| s.row.name.to_lowercase()),
        ServiceSort::Kind => rows.sort_by_key(|s| s.row.kind),
        ServiceSort::Config => {}
    }
    rows
}

pub fn len(store: &Store, list: &ListView) -> usize {
    visible(store, list).len()
}

pub fn open(store: &Store, list: &ListView) -> Option<Detail> {
    let rows = visible(store, list);
    let s = rows.get(list.selected.min(rows.len().checked_sub(1)?))?;
    Some(Detail::new(Tab::Services, s.row.key.clone()))
}

/// Lines (container logs) or results (other checks) inside the drill-down.
pub(crate) fn detail_len(store: &Store, d: &Detail) -> usize {
    match store.services.get(&d.key) {
        Some(s) => match (&s.row.container, &s.row.launchd) {
            (Some(c), _) => c.logs.len(),
            (None, Some(a)) => a.stderr_tail.len(),
            (None, None) => metric::detail_len(s).unwrap_or(s.history.len()),
        },
        None => 0,
    }
}

pub(crate) fn health_style(p: &Painter, h: Health) -> Style {
    match h {
        Health::Ok => p.theme.ok,
        Health::Warn => p.theme.warn,
        Health::Error => p.theme.error,
        Health::Unknown => p.theme.dim,
    }
}

/// What the status column says: the detail, and for a container its
/// uptime and restarts.
fn status_text(s: &Service, p: &Painter) -> String {
    let mut out = s.row.detail.clone();
    if let Some(at) = s.checked_at.filter(|_| s.stale(p.now)) {
        out = format!("no new result for {}; last: {out}", fmt::ago(p.now.saturating_sub(at)));
    }
    if let Some(cause) = p.store.services.blocked_by(&s.row) {
        out = format!("blocked by {cause}; {out}");
    }
    if let Some(c) = &s.row.container {
        if c.state == "running"
            && let Some(at) = c.started_at
        {
            out.push_str(&format!(
                ", up {}",
                fmt::uptime((p.now.saturating_sub(at).max(0) / 1000) as u64)
            ));
        }
        if c.restart_count > 0 {
            out.push_str(&format!(", restarts {}", c.restart_count));
            let rise = c.restart_count - c.restart_base;
            if rise > 0 {
                out.push_str(&format!(" (+{rise})"));
            }
        }
        if !c.image.is_empty() {
            out.push_str(&format!(" {} {}", p.glyphs.sep, c.image));
        }
        if let Some(a) = &c.action {
            out.push_str(&format!(" [{a}]"));
        }
    }
    out
}

fn latency(ms: Option<f64>) -> String {
    match ms {
        Some(v) if v >= 10_000.0 => format!("{:.0}s", v / 1000.0),
        Some(v) if v < 1.0 => format!("{v:.1}ms"),
        Some(v) => format!("{v:.0}ms"),
        None => "-".into(),
    }
}

pub fn render(frame: &mut Frame, area: Rect, p: &Painter) {
    let t = p.theme;
    let g = p.glyphs;
    if p.store.services.rows.is_empty() {
        super::empty::render(frame, area, p, Tab::Services);
        return;
    }
    let list = p.view.list();
    let rows = visible(p.store, list);
    let narrow = area.width < 90;
    let name_w: u16 = if narrow { 16 } else { 20 };
    let spark_w: usize = if narrow { 8 } else { 12 };
    let state = |s: &Service| {
        if s.stale(p.now) {
            p.theme.warn
        } else {
            health_style(p, s.row.health)
        }
    };
    // Below 60 columns only the mark, the name and the status fit.
    let columns: Vec<Column<&Service>> = vec![
        Column::new("", Fixed(1), move |s: &&Service| {
            Line::styled(g.status, state(s)).into()
        })
        .priority(2),
        Column::new("NAME", Fixed(name_w.min(area.width / 3)), move |s: &&Service| {
            Line::styled(fmt::fit(&s.row.name, usize::from(name_w), g.ellipsis), t.text).into()
        })
        .priority(2),
        Column::new("KIND", Fixed(9), |s: &&Service| {
            Line::styled(s.row.kind.as_str(), t.dim).into()
        }),
        Column::new("LAT", Fixed(6), |s: &&Service| {
            Line::styled(format!("{:>6}", latency(s.row.latency_ms)), t.text).into()
        }),
        Column::new("HISTORY", Fixed(spark_w as u16), |s: &&Service| {
            history_line(s, spark_w, p).into()
        }),
        Column::new("STATUS", Min(10), move |s: &&Service| {
            Line::styled(status_text(s, p), state(s)).into()
        })
        .priority(2),
    ];
    let n_bad = rows
        .iter()
        .filter(|s| s.row.health >= Health::Warn || s.stale(p.now))
        .count();
    let filter = if list.filter.is_empty() {
        String::new()
    } else {
        format!(" filter \"{}\"", list.filter)
    };
    let title = format!(
        " services {}/{}{filter} {} {n_bad} failing {} sort {} ",
        rows.len(),
        p.store.services.rows.len(),
        g.sep,
        g.sep,
        ServiceSort::from_index(list.sort).label(),
    );

    let mut block = Block::bordered()
        .border_style(t.border)
        .border_set(g.border)
        .title(Line::styled(title, t.title));
    // launchd jobs by cohort, on the bottom border (the top one is full).
    if let Some(jobs) = p.store.services.launchd_counts() {
        block = block.title_bottom(Line::styled(format!(" launchd: {jobs} "), t.title));
    }
    Table::new(columns, t.header, t.selected)
        .fit(Fit::Below { width: 60, priority: 2 })
        .block(block)
        .render(frame, area, &rows, list.selected);
}

/// One cell per recent result, oldest left: a latency bar (scaled to the
/// window's slowest) where the check has one, a full cell in the failure's
/// colour for a failed result, a dim dot for an unknown one.
fn history_line(s: &Service, width: usize, p: &Painter) -> Line<'static> {
    if let Some(strip) = metric::strip(s, width, p) {
        return strip;
    }
    let g = p.glyphs;
    let n = s.history.len();
    let recent: Vec<_> = s.history.iter().skip(n.saturating_sub(width)).collect();
    let max = recent.iter().filter_map(|r| r.latency_ms).fold(0.0_f64, f64::max);
    let top = g.spark.len() - 1;
    let spans: Vec<Span<'static>> = recent
        .iter()
        .map(|r| match (r.health, r.latency_ms) {
            (Health::Ok, Some(ms)) if max > 0.0 => {
                let i = ((ms / max) * top as f64).round() as usize;
                Span::styled(g.spark[i.min(top)], p.theme.ok)
            }
            (Health::Ok, _) => Span::styled(g.spark[0], p.theme.ok),
            (Health::Unknown, _) => Span::styled(g.dot_dim, p.theme.dim),
            (h, _) => Span::styled(g.spark[top], health_style(p, h)),
        })
        .collect();
    Line::from(spans)
}

pub(crate) fn render_detail(frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
    let t = p.theme;
    let g = p.glyphs;
    let Some(s) = p.store.services.get(&d.key) else {
        frame.render_widget(
            Paragraph::new(format!(
                "{} is gone (removed or no longer configured). Esc goes back.",
                d.key
            ))
            .style(t.dim),
            area,
        );
        return;
    };
    let st = health_style(p, s.row.health);
    // A row's health tops out at error; its problem may have been sustained
    // into critical (a metric past critical_above, a keepalive job down).
    let key = format!("svc:{}", s.row.key);
    let word = match p.store.conditions.worst(p.now, |k| k == key) {
        Some(crate::model::Level::Critical) => "critical",
        _ => s.row.health.as_str(),
    };
    let title = Line::from(vec![
        Span::styled(format!("{} ", g.status), st),
        Span::styled(s.row.name.clone(), t.title),
        Span::styled(format!(" {} {} {word} {} ", s.row.kind.as_str(), g.sep, g.sep), t.dim),
        Span::styled(fmt::fit(&s.row.source, 40, g.ellipsis), t.dim),
        Span::raw(" "),
    ]);
    let block = Block::bordered()
        .border_style(t.border)
        .border_set(g.border)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let confirm_h = u16::from(p.view.confirm.is_some());
    let [body, prompt] = Layout::vertical([Constraint::Min(1), Constraint::Length(confirm_h)]).areas(inner);
    if let Some(q) = &p.view.confirm {
        frame.render_widget(Paragraph::new(Line::styled(q.clone(), t.warn)), prompt);
    }
    match (&s.row.container, &s.row.launchd) {
        (Some(_), _) => render_container(frame, body, p, s, d),
        (None, Some(a)) => launchd::render(frame, body, p, s, a, d),
        (None, None) if s.row.metric.is_some() => metric::render_detail(frame, body, p, s, d),
        (None, None) => render_history(frame, body, p, s, d),
    }
}

fn render_container(frame: &mut Frame, area: Rect, p: &Painter, s: &Service, d: &Detail) {
    let t = p.theme;
    let g = p.glyphs;
    let Some(c) = &s.row.container else { return };
    let mut head = vec![Line::from(vec![
        Span::styled("status  ", t.header),
        Span::styled(status_text(s, p), health_style(p, s.row.health)),
    ])];
    let w = usize::from(area.width);
    let mut pairs: Vec<(String, String)> = vec![("state".into(), c.state.clone())];
    if !c.health.is_empty() {
        pairs.push(("health".into(), c.health.clone()));
    }
    if !c.ports.is_empty() {
        pairs.push(("ports".into(), c.ports.clone()));
    }
    pairs.extend(c.fields.iter().filter(|(k, _)| k != "image").cloned());
    head.extend(field_lines(p, &pairs, w));
    head.push(Line::styled(
        format!(
            "{} {} r refresh {} {} log lines, newest first, Up/Down scroll",
            if p.view.read_only {
                "read-only"
            } else {
                "R restart (asks first)"
            },
            g.sep,
            g.sep,
            c.logs.len()
        ),
        t.dim,
    ));
    let head_h = (head.len() as u16).min(area.height / 2);
    let [top, logs] = Layout::vertical([Constraint::Length(head_h), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(head), top);
    let title = " log tail (stdout+stderr), newest first ".to_string();
    let empty = Line::styled("no log lines (yet)", t.dim);
    log_tail(frame, p, logs, title, &c.logs, d.scroll, empty);
}

/// A log tail, newest first, in a section under `title`: the line `scroll`
/// (counted from the newest) selected and kept on screen; `empty` when
/// there is no line.
pub(super) fn log_tail(
    frame: &mut Frame,
    p: &Painter,
    area: Rect,
    title: String,
    lines: &[String],
    scroll: usize,
    empty: Line<'static>,
) {
    let (t, g) = (p.theme, p.glyphs);
    let (w, rows) = (
        usize::from(area.width),
        usize::from(area.height.saturating_sub(1)).max(1),
    );
    let shown: Vec<Line> = if lines.is_empty() {
        vec![empty]
    } else {
        let sel = scroll.min(lines.len() - 1);
        let first = sel.saturating_sub(rows - 1);
        lines
            .iter()
            .rev()
            .skip(first)
            .take(rows)
            .enumerate()
            .map(|(i, l)| {
                let style = if first + i == sel { t.selected } else { t.text };
                Line::styled(fmt::fit(l, w, g.ellipsis), style)
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(shown).block(super::widgets::section(p, title)), area);
}

/// Fields as `key value` cells, two a line where the width allows.
pub(super) fn field_lines(p: &Painter, pairs: &[(String, String)], w: usize) -> Vec<Line<'static>> {
    let (t, g) = (p.theme, p.glyphs);
    let per = if w >= 90 { 2 } else { 1 };
    let cell = w / per;
    let kw = pairs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(7, 15)
        + 1;
    let mut out = Vec::new();
    for chunk in pairs.chunks(per) {
        let mut spans = Vec::new();
        for (k, v) in chunk {
            let k = format!("{:<kw$}", fmt::fit(k, kw - 1, g.ellipsis));
            let v = fmt::fit(v, cell.saturating_sub(k.len() + 1), g.ellipsis);
            let pad = cell.saturating_sub(k.len() + v.chars().count());
            spans.push(Span::styled(k, t.header));
            spans.push(Span::styled(v, t.text));
            spans.push(Span::raw(" ".repeat(pad)));
        }
        out.push(Line::from(spans));
    }
    out
}

fn render_history(frame: &mut Frame, area: Rect, p: &Painter, s: &Service, d: &Detail) {
    let t = p.theme;
    let g = p.glyphs;
    let lats = s.latencies();
    let mut head = vec![Line::from(vec![
        Span::styled("status  ", t.header),
        Span::styled(s.row.detail.clone(), health_style(p, s.row.health)),
    ])];
    if lats.iter().any(|v| *v > 0.0) {
        let ok: Vec<f64> = s.history.iter().filter_map(|r| r.latency_ms).collect();
        let (min, max) = ok.iter().fold((f64::MAX, 0.0_f64), |(a, b), v| (a.min(*v), b.max(*v)));
        let avg = ok.iter().sum::<f64>() / ok.len().max(1) as f64;
        head.push(Line::from(vec![
            Span::styled("latency ", t.header),
            Span::styled(
                format!(
                    "min {} avg {} max {}  ",
                    latency(Some(min)),
                    latency(Some(avg)),
                    latency(Some(max))
                ),
                t.text,
            ),
            Span::styled(
                sparkline(g, &lats, usize::from(area.width).saturating_sub(40).max(4)),
                health_style(p, s.row.health),
            ),
        ]));
    }
    if let Some(grp) = &s.row.group {
        head.push(Line::from(vec![
            Span::styled("group   ", t.header),
            Span::styled(grp.clone(), t.text),
        ]));
    }
    let head_h = head.len() as u16;
    let [top, rest] = Layout::vertical([Constraint::Length(head_h), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(head), top);
    let results: Vec<&CheckResult> = s.history.iter().rev().collect();
    let columns: Vec<Column<&CheckResult>> = vec![
        Column::new("WHEN", Fixed(9), |r: &&CheckResult| {
            Line::styled(format!("{} ago", fmt::ago(p.now.saturating_sub(r.at))), t.dim).into()
        }),
        Column::new("STATE", Fixed(8), |r: &&CheckResult| {
            Line::styled(r.health.as_str(), health_style(p, r.health)).into()
        }),
        Column::new("LAT", Fixed(7), |r: &&CheckResult| {
            Line::styled(format!("{:>6}", latency(r.latency_ms)), t.text).into()
        }),
        Column::new("DETAIL", Min(10), |r: &&CheckResult| {
            Line::styled(r.detail.clone(), t.text).into()
        }),
    ];
    let title = format!(" last {} results, newest first ", results.len());
    Table::new(columns, t.header, t.selected)
        .block(super::widgets::section(p, title))
        .render(frame, rest, &results, d.list.selected);
}
