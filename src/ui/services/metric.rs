//! A metric row's history strip (its values, scaled to the window's range)
//! and its drill-down: the value, the rules, and the last readings with
//! their times.

use super::{Detail, Painter, fmt, health_style};
use crate::metric::{Rules, Value, number};
use crate::model::Millis;
use crate::store::services::Service;
use crate::store::services::metric::shown;
use crate::ui::table::{Column, Table, Width::Fixed, Width::Min};
use crate::update::metric::MetricInfo;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Where a value sits in the strip's glyphs: numbers scaled between the
/// window's lowest and highest, a boolean at the bottom or the top.
fn levels(values: &[&Value], top: usize) -> Vec<Option<usize>> {
    let nums = values.iter().filter_map(|v| match v {
        Value::Number(n) => Some(*n),
        _ => None,
    });
    let (lo, hi) = nums.fold((f64::MAX, f64::MIN), |(a, b), n| (a.min(n), b.max(n)));
    values
        .iter()
        .map(|v| match v {
            Value::Number(n) if hi > lo => Some((((n - lo) / (hi - lo)) * top as f64).round() as usize),
            Value::Number(n) if *n == 0.0 => Some(0),
            Value::Number(_) => Some(top / 2),
            Value::Bool(b) => Some(if *b { top } else { 0 }),
            Value::Text(_) => None,
        })
        .map(|i| i.map(|i| i.min(top)))
        .collect()
}

/// The last `width` values as one glyph each, oldest left, in the row's
/// colour; `None` for a row that is not a metric.
pub(crate) fn strip(s: &Service, width: usize, p: &Painter) -> Option<Line<'static>> {
    let m = s.row.metric.as_deref()?;
    let g = p.glyphs;
    let n = m.history.len();
    let recent: Vec<&Value> = m.history.iter().skip(n.saturating_sub(width)).map(|(_, v)| v).collect();
    let style = health_style(p, s.row.health);
    let spans = levels(&recent, g.spark.len() - 1)
        .into_iter()
        .map(|l| match l {
            Some(i) => Span::styled(g.spark[i], style),
            None => Span::styled(g.dot_dim, p.theme.dim),
        })
        .collect::<Vec<_>>();
    Some(Line::from(spans))
}

/// The readings inside the drill-down (what its list scrolls over).
pub(crate) fn detail_len(s: &Service) -> Option<usize> {
    s.row.metric.as_deref().map(|m| m.history.len())
}

/// The rules in words: "warn above 500, critical above 900, frozen after 30m".
fn rules_words(r: &Rules, sustain_ms: i64) -> String {
    let mut out = Vec::new();
    for (t, words) in [
        (r.warn_above, "warn above"),
        (r.warn_below, "warn below"),
        (r.critical_above, "critical above"),
        (r.critical_below, "critical below"),
    ] {
        if let Some(t) = t {
            out.push(format!("{words} {}", number(t)));
        }
    }
    if let Some(e) = &r.equals {
        out.push(format!("equals {e}"));
    }
    if let Some(after) = r.frozen_after_ms {
        let floor = r
            .frozen_above
            .map_or(String::new(), |f| format!(" above {}", number(f)));
        out.push(format!("frozen after {}{floor}", fmt::ago(after)));
    }
    if r.critical_above.is_some() || r.critical_below.is_some() {
        out.push(match sustain_ms {
            0 => "critical after two readings".to_string(),
            ms => format!("critical after {}", fmt::ago(ms)),
        });
    }
    if out.is_empty() {
        "none (the value is shown)".into()
    } else {
        out.join(", ")
    }
}

/// The head of the drill-down: value, rule, rules, range, since when.
fn head(p: &Painter, s: &Service, m: &MetricInfo) -> Vec<Line<'static>> {
    let t = p.theme;
    let st = health_style(p, s.row.health);
    let value = m.value.as_ref().map_or_else(|| "-".to_string(), |v| shown(v, &m.unit));
    let mut lines = vec![Line::from(vec![
        Span::styled("value   ", t.header),
        Span::styled(value, st),
        Span::styled(
            if m.rule.is_empty() && m.value.is_some() {
                String::new()
            } else if m.value.is_none() {
                format!("  {}", s.row.detail)
            } else {
                format!("  {}", m.rule)
            },
            st,
        ),
    ])];
    lines.push(Line::from(vec![
        Span::styled("rules   ", t.header),
        Span::styled(rules_words(&m.rules, m.sustain_ms), t.text),
    ]));
    let nums: Vec<f64> = m.history.iter().filter_map(|(_, v)| v.as_number()).collect();
    if !nums.is_empty() {
        let (lo, hi) = nums
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), n| (a.min(*n), b.max(*n)));
        let avg = nums.iter().sum::<f64>() / nums.len() as f64;
        let unchanged = m.changed_at.map_or(0, |at| p.now.saturating_sub(at));
        lines.push(Line::from(vec![
            Span::styled("range   ", t.header),
            Span::styled(
                format!(
                    "min {} avg {} max {} {} unchanged {}",
                    number(lo),
                    number(avg),
                    number(hi),
                    p.glyphs.sep,
                    fmt::ago(unchanged)
                ),
                t.text,
            ),
        ]));
    }
    if let Some(grp) = &s.row.group {
        lines.push(Line::from(vec![
            Span::styled("group   ", t.header),
            Span::styled(grp.clone(), t.text),
        ]));
    }
    lines
}

pub(crate) fn render_detail(frame: &mut Frame, area: Rect, p: &Painter, s: &Service, d: &Detail) {
    let Some(m) = s.row.metric.as_deref() else { return };
    let t = p.theme;
    let head = head(p, s, m);
    let [top, strip_area, rest] = Layout::vertical([
        Constraint::Length(head.len() as u16),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), top);
    let wide = strip(s, usize::from(strip_area.width).saturating_sub(8), p).unwrap_or_default();
    let mut spans = vec![Span::styled("history ", t.header)];
    spans.extend(wide.spans);
    frame.render_widget(Paragraph::new(Line::from(spans)), strip_area);
    let readings: Vec<&(Millis, Value)> = m.history.iter().rev().collect();
    let unit = m.unit.clone();
    let columns: Vec<Column<&(Millis, Value)>> = vec![
        Column::new("WHEN", Fixed(9), |r: &&(Millis, Value)| {
            Line::styled(format!("{} ago", fmt::ago(p.now.saturating_sub(r.0))), t.dim).into()
        }),
        Column::new("UTC", Fixed(9), |r: &&(Millis, Value)| {
            Line::styled(crate::model::rfc3339(r.0).get(11..19).unwrap_or("").to_string(), t.dim).into()
        }),
        Column::new("VALUE", Min(10), move |r: &&(Millis, Value)| {
            Line::styled(shown(&r.1, &unit), t.text).into()
        }),
    ];
    let title = format!(" last {} readings, newest first ", readings.len());
    Table::new(columns, t.header, t.selected)
        .block(crate::ui::widgets::section(p, title))
        .render(frame, rest, &readings, d.list.selected);
}
