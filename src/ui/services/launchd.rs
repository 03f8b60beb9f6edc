//! A launchd job's drill-down: its audit (cohort, cause, last exit, plist
//! location, KeepAlive, schedule, program), its plist's other fields, when
//! it was last seen ended with exit 0, and its error log's tail.

use super::{Detail, Painter, field_lines, fmt, health_style};
use crate::parse::launchctl::{Audit, exit_words};
use crate::store::services::Service;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The audit's fields in the order an operator reads them.
fn pairs(a: &Audit, now: i64) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![("cohort".into(), a.state.as_str().into())];
    if let Some(c) = &a.cause {
        out.push(("cause".into(), c.clone()));
    }
    out.push(("pid".into(), a.pid.map_or("-".into(), |p| p.to_string())));
    out.push((
        "last exit".into(),
        match a.last_exit {
            None => "- (not loaded)".into(),
            Some(0) => "0".into(),
            Some(s) => exit_words(s),
        },
    ));
    out.push((
        "exit 0 seen".into(),
        a.last_ok_at.map_or("not seen by fleettop".into(), |t| {
            format!("{} ago", fmt::ago(now.saturating_sub(t)))
        }),
    ));
    out.push(("location".into(), a.location.clone()));
    out.push(("plist".into(), a.plist.clone().unwrap_or_else(|| "none found".into())));
    out.push(("keepalive".into(), a.keep_alive.clone()));
    let schedule = if a.schedule.is_empty() {
        "on demand"
    } else {
        &a.schedule
    };
    out.push(("schedule".into(), schedule.into()));
    if !a.program.is_empty() {
        out.push(("program".into(), a.program.join(" ")));
    }
    out.extend(a.fields.iter().cloned());
    out
}

pub(super) fn render(frame: &mut Frame, area: Rect, p: &Painter, s: &Service, a: &Audit, d: &Detail) {
    let t = p.theme;
    let g = p.glyphs;
    let w = usize::from(area.width);
    let mut head = vec![Line::from(vec![
        Span::styled("status  ", t.header),
        Span::styled(s.row.detail.clone(), health_style(p, s.row.health)),
    ])];
    head.extend(field_lines(p, &pairs(a, p.now), w));
    let head_h = (head.len() as u16).min(area.height.saturating_sub(3).max(area.height / 2));
    let [top, logs] = Layout::vertical([Constraint::Length(head_h), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(head), top);
    let title = match &a.stderr_path {
        Some(path) => format!(
            " {} tail, newest first ",
            fmt::fit(path, w.saturating_sub(20), g.ellipsis)
        ),
        None => " error log ".into(),
    };
    let why = match (&a.stderr_path, a.state) {
        (None, _) => "no StandardErrorPath in its plist",
        (Some(_), crate::parse::launchctl::State::Failing) => "no lines (empty, or not readable by this SSH user)",
        (Some(_), _) => "read only while the job is failing",
    };
    let empty = Line::styled(why, t.dim);
    super::log_tail(frame, p, logs, title, &a.stderr_tail, d.scroll, empty);
}
