//! The `?` overlay, generated from the key table.

use super::Painter;
use crate::action::help_rows;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, p: &Painter) {
    let t = p.theme;
    let rows = help_rows(p.view.read_only);
    let key_w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(4) + 2;
    let text_w = rows.iter().map(|(_, w)| w.len()).max().unwrap_or(10);
    let width = ((key_w + text_w + 4) as u16).min(area.width);
    let height = (rows.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let visible = usize::from(height.saturating_sub(2));
    let scroll = p.view.help_scroll.min(rows.len().saturating_sub(visible));
    let more = rows.len() > visible;
    let lines: Vec<Line> = rows
        .iter()
        .skip(scroll)
        .map(|(k, w)| {
            Line::from(vec![
                Span::styled(format!(" {k:<key_w$}"), t.status_key),
                Span::styled(*w, t.text),
            ])
        })
        .collect();
    let block = Block::bordered()
        .border_style(t.border_selected)
        .border_set(p.glyphs.border_selected)
        .title(Line::styled(" Help: keys ", t.title))
        .title_bottom(
            Line::styled(
                if more {
                    format!(" {}{} scroll, ? or Esc closes ", p.glyphs.up, p.glyphs.down)
                } else {
                    " ? or Esc closes ".into()
                },
                t.dim,
            )
            .right_aligned(),
        );
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
