//! A tab with no rows yet (Services, NATS, Agents): an honest screen that
//! says what the tab shows and what to configure; the words are the tab's
//! own (`ui::tabs`).

use super::Painter;
use crate::store::Tab;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

/// What a tab's empty state explains, with a config example.
#[derive(Default)]
pub(crate) struct EmptyCopy {
    pub(crate) what: &'static str,
    pub(crate) example: &'static [&'static str],
}

pub fn render(frame: &mut Frame, area: Rect, p: &Painter, tab: Tab) {
    let t = p.theme;
    let view = super::tabs::of(tab);
    let c = view.empty_copy();
    let title = view.title();
    let configured = view.configured(p.store).unwrap_or(0);
    let mut lines = vec![Line::styled(c.what, t.text), Line::raw("")];
    if configured == 0 {
        lines.push(Line::styled(
            format!(
                "Nothing is configured for {} yet. Add to the config, for example:",
                title
            ),
            t.dim,
        ));
    } else {
        lines.push(Line::styled(
            format!(
                "{configured} configured here. This version ({}) reads and checks that configuration but does not collect {} yet; its collector comes in a later version.",
                env!("CARGO_PKG_VERSION"),
                title
            ),
            t.warn,
        ));
        lines.push(Line::styled("The configuration looks like:", t.dim));
    }
    lines.push(Line::raw(""));
    lines.extend(c.example.iter().map(|l| Line::styled(format!("  {l}"), t.header)));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Every key is documented in config.toml.example; `fleettop config check` validates a config.",
        t.dim,
    ));
    let block = Block::bordered()
        .border_style(t.border)
        .border_set(p.glyphs.border)
        .title(Line::styled(format!(" {} ", title), t.title));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}
