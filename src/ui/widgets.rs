//! Small drawing pieces: bars, meters, sparklines, section rules.

use crate::theme::{Glyphs, Theme};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A titled section of a drill-down: a rule on top, the title in it.
pub fn section(p: &super::Painter, title: impl Into<String>) -> ratatui::widgets::Block<'static> {
    ratatui::widgets::Block::default()
        .borders(ratatui::widgets::Borders::TOP)
        .border_style(p.theme.border)
        .border_set(p.glyphs.border)
        .title(ratatui::text::Line::styled(title.into(), p.theme.title))
}

/// The style a percentage deserves on a bar.
pub(crate) fn load_style(theme: &Theme, pct: f64) -> Style {
    if pct >= 90.0 {
        theme.bar_high
    } else if pct >= 70.0 {
        theme.bar_mid
    } else {
        theme.bar_low
    }
}

/// A horizontal bar of `width` cells with sub-cell resolution where the
/// glyph set has it.
pub fn bar(theme: &Theme, g: &Glyphs, pct: f64, width: usize, style: Style) -> Vec<Span<'static>> {
    if width == 0 {
        return Vec::new();
    }
    let steps = g.bar_parts.len() - 1;
    let total = width * steps;
    let filled = ((pct.clamp(0.0, 100.0) / 100.0) * total as f64).round() as usize;
    let (full, part) = (filled / steps, filled % steps);
    let mut s = g.bar_parts[steps].repeat(full);
    let mut used = full;
    if part > 0 && used < width {
        s.push_str(g.bar_parts[part]);
        used += 1;
    }
    let mut out = vec![Span::styled(s, style)];
    if used < width {
        out.push(Span::styled(g.bar_empty.repeat(width - used), theme.bar_empty));
    }
    out
}

/// Width of a meter's label and of its value.
pub(crate) const METER_LABEL: usize = 4;
pub(crate) const METER_VALUE: usize = 10;

/// One bar for every labelled load (a Fleet tile's CPU/RAM/SWP/DSK, the
/// host drill-down's mem/swp): the label, a bar coloured by the load, the
/// value right-aligned; `width` cells in all.
pub(crate) fn meter(label: &str, pct: f64, value: String, width: usize, p: &super::Painter) -> Line<'static> {
    let bar_w = width.saturating_sub(METER_LABEL + METER_VALUE + 1);
    let style = load_style(p.theme, pct);
    let mut spans = vec![Span::styled(format!("{label:<METER_LABEL$}"), p.theme.header)];
    spans.extend(bar(p.theme, p.glyphs, pct, bar_w, style));
    spans.push(Span::styled(format!(" {value:>METER_VALUE$}"), p.theme.text));
    Line::from(spans)
}

/// A vertical-level sparkline of values scaled to their maximum.
pub fn sparkline(g: &Glyphs, values: &[f64], width: usize) -> String {
    let vals = &values[values.len().saturating_sub(width)..];
    let max = vals.iter().copied().fold(0.0_f64, f64::max);
    vals.iter()
        .map(|v| {
            if max <= 0.0 {
                return g.spark[0];
            }
            let i = ((v / max) * (g.spark.len() - 1) as f64).round() as usize;
            g.spark[i.min(g.spark.len() - 1)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::{GlyphKind, Theme};

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn bars_fill_in_proportion_and_keep_their_width() {
        let t = Theme::load("default").unwrap();
        let g = Glyphs::new(GlyphKind::Console);
        assert_eq!(text(&bar(&t, &g, 50.0, 10, t.bar_low)), "█████░░░░░");
        assert_eq!(text(&bar(&t, &g, 55.0, 10, t.bar_low)), "█████▒░░░░");
        assert_eq!(text(&bar(&t, &g, 100.0, 4, t.bar_low)), "████");
        assert_eq!(text(&bar(&t, &g, 0.0, 4, t.bar_low)), "░░░░");
        let u = Glyphs::new(GlyphKind::Unicode);
        assert_eq!(text(&bar(&t, &u, 12.5, 4, t.bar_low)), "▌░░░");
    }

    #[test]
    fn sparkline_scales_to_its_max() {
        let g = Glyphs::new(GlyphKind::Console);
        assert_eq!(sparkline(&g, &[0.0, 1.0, 2.0, 3.0], 4), "_░▒█");
        assert_eq!(sparkline(&g, &[5.0, 0.0, 3.0], 2), "_█");
    }
}
