//! The problems view (`!` or `P`): every current problem, worst first, with
//! how long it has held and whether it is acknowledged or silenced, then
//! the events of the last hours (the store's history, not only the
//! ticker's minutes), newest first. One selection runs over both; `/`
//! filters both; `a` and `m` act on the selected problem.

use super::{ListView, Painter};
use crate::fmt::{ago, fit};
use crate::store::{Problem, Store};
use crate::update::Event;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// One selectable row.
pub(crate) enum Row<'a> {
    Problem(Problem),
    Event(&'a Event),
}

/// The rows `filter` keeps: problems first, then the history.
pub(crate) fn rows<'a>(store: &'a Store, filter: &str, now: i64) -> Vec<Row<'a>> {
    let needle = filter.to_lowercase();
    let hit = |level: &str, source: &str, title: &str| {
        needle.is_empty()
            || [level, source, title]
                .iter()
                .any(|s| s.to_lowercase().contains(&needle))
    };
    let problems = (store.problems(now).into_iter())
        .filter(|p| hit(p.level.as_str(), p.source.as_str(), p.title.as_str()))
        .map(Row::Problem);
    let mut events: Vec<&Event> = (store.history.newest_first())
        .filter(|e| hit(e.level.as_str(), &e.source, &e.title))
        .collect();
    // Newest first by time (a replayed history arrives out of order).
    events.sort_by_key(|e| std::cmp::Reverse(e.at));
    problems.chain(events.into_iter().map(Row::Event)).collect()
}

/// The problem on the selected row, if it is one.
pub(crate) fn selected_problem(store: &Store, list: &ListView, now: i64) -> Option<Problem> {
    match rows(store, &list.filter, now).into_iter().nth(list.selected)? {
        Row::Problem(p) => Some(p),
        Row::Event(_) => None,
    }
}

/// What is quiet about a problem, as the row says it.
fn quiet_words(p: &Problem, now: i64) -> String {
    let mut out = String::new();
    if p.acknowledged {
        out.push_str("  [acknowledged]");
    }
    if let Some(u) = p.silenced_until {
        out.push_str(&format!("  [silenced {} more]", ago(u - now)));
    }
    out
}

fn problem_line<'a>(p: &Problem, width: usize, painter: &Painter, style: Style) -> Line<'a> {
    let t = painter.theme;
    let head = format!(
        " {:<8} {:>4} ",
        p.level.as_str().to_uppercase(),
        ago(painter.now - p.since)
    );
    let quiet = quiet_words(p, painter.now);
    let room = width.saturating_sub(head.len() + quiet.len());
    let what = fit(&format!("{}: {}", p.source, p.title), room, painter.glyphs.ellipsis);
    let level = if p.acknowledged || p.silenced_until.is_some() {
        t.dim
    } else {
        t.level(p.level)
    };
    Line::from(vec![
        Span::styled(head, level.patch(style)),
        Span::styled(format!("{what:<room$}"), t.text.patch(style)),
        Span::styled(quiet, t.dim.patch(style)),
    ])
}

fn event_line<'a>(e: &Event, width: usize, painter: &Painter, style: Style) -> Line<'a> {
    let t = painter.theme;
    let head = format!(" {:>4} {:<8} ", ago(painter.now - e.at), e.level.as_str());
    let quiet = if e.quiet { "  (quiet)" } else { "" };
    let room = width.saturating_sub(head.len() + quiet.len());
    let what = fit(&format!("{}: {}", e.source, e.title), room, painter.glyphs.ellipsis);
    Line::from(vec![
        Span::styled(head, t.level(e.level).patch(style)),
        Span::styled(format!("{what:<room$}"), t.text.patch(style)),
        Span::styled(quiet, t.dim.patch(style)),
    ])
}

fn heading<'a>(text: String, p: &Painter) -> Line<'a> {
    Line::styled(text, p.theme.header)
}

/// The view over `area` (the body): a bordered full-size panel.
pub fn render(frame: &mut Frame, area: Rect, p: &Painter, list: &ListView) {
    let t = p.theme;
    let rows = rows(p.store, &list.filter, p.now);
    let problems = rows.iter().filter(|r| matches!(r, Row::Problem(_))).count();
    let quiet = (rows.iter())
        .filter(|r| matches!(r, Row::Problem(q) if q.acknowledged || q.silenced_until.is_some()))
        .count();
    let width = usize::from(area.width.saturating_sub(2));
    let selected = list.selected.min(rows.len().saturating_sub(1));
    let mut lines = vec![heading(
        format!(" Now: {problems} problem{}", if problems == 1 { "" } else { "s" }),
        p,
    )];
    if problems == 0 {
        lines.push(Line::styled(" nothing is wrong", t.ok));
    }
    let mut selected_line = 0;
    for (i, r) in rows.iter().enumerate() {
        if i == problems {
            let events = rows.len() - problems;
            lines.push(heading(format!(" Events, last 6 h: {events}"), p));
        }
        let style = if i == selected { t.selected } else { Style::default() };
        if i == selected {
            selected_line = lines.len();
        }
        lines.push(match r {
            Row::Problem(q) => problem_line(q, width, p, style),
            Row::Event(e) => event_line(e, width, p, style),
        });
    }
    if rows.len() == problems {
        lines.push(heading(" Events, last 6 h: none".into(), p));
    }
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let scroll = (selected_line + 1).saturating_sub(visible);
    let mut title = format!(" Problems: {problems} ");
    if quiet > 0 {
        title = format!(" Problems: {problems}, {quiet} quiet ");
    }
    if !list.filter.is_empty() {
        title.push_str(&format!("/{} ", list.filter));
    }
    let keys = if p.view.read_only {
        " / filter  Esc close (read-only) "
    } else {
        " a acknowledge  m silence 1h/4h/24h/off  / filter  Esc close "
    };
    let block = Block::bordered()
        .border_style(t.border_selected)
        .border_set(p.glyphs.border_selected)
        .title(Line::styled(title, t.title))
        .title_bottom(Line::styled(keys, t.dim).right_aligned());
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>()).block(block),
        area,
    );
}
