//! The Fleet tab: a grid of host tiles that reflows with the width and
//! fills the height: with few hosts each tile grows and shows more of its
//! host (`tile`), and `layout` says which tiles are on screen and how high.

use super::{FleetSort, Painter, View, fmt};
use crate::model::HostState;
use crate::store::{HostEntry, Store};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

mod layout;
mod tile;

/// Narrowest tile; the grid has as many columns as fit.
pub const MIN_TILE_WIDTH: u16 = 32;

/// The hosts in the order and filter the view asks for.
pub fn visible<'a>(store: &'a Store, view: &View, now: i64) -> Vec<&'a HostEntry> {
    let needle = view.lists[0].filter.to_lowercase();
    let mut hs: Vec<&HostEntry> = store
        .hosts
        .iter()
        .filter(|h| needle.is_empty() || h.name.to_lowercase().contains(&needle))
        .collect();
    let cpu = |h: &HostEntry| h.cur.as_ref().map_or(-1.0, |s| s.cpu_pct);
    let mem = |h: &HostEntry| {
        h.cur
            .as_ref()
            .map_or(-1.0, |s| crate::model::pct(s.mem_used_bytes, s.mem_total_bytes))
    };
    let rank = |h: &HostEntry| match h.state(now) {
        HostState::AuthError => 0,
        HostState::Offline => 1,
        HostState::Stale => 2,
        HostState::Online => 3,
    };
    match FleetSort::from_index(view.lists[0].sort) {
        FleetSort::Config => {}
        FleetSort::Name => hs.sort_by(|a, b| a.name.cmp(&b.name)),
        FleetSort::Worst => hs.sort_by_key(|h| rank(h)),
        FleetSort::Cpu => hs.sort_by(|a, b| cpu(b).total_cmp(&cpu(a))),
        FleetSort::Mem => hs.sort_by(|a, b| mem(b).total_cmp(&mem(a))),
    }
    hs
}

pub fn columns(width: u16, hosts: usize) -> usize {
    usize::from((width / MIN_TILE_WIDTH).max(1)).min(hosts.max(1))
}

pub fn render(frame: &mut Frame, area: Rect, p: &Painter) {
    let hosts = visible(p.store, p.view, p.now);
    if hosts.is_empty() {
        let msg = if p.store.hosts.is_empty() {
            "No hosts configured. Add a [[hosts]] entry (local = true, ssh = \"user@host\" or nats = true) to the config."
        } else {
            "No host matches the filter. Esc clears it."
        };
        frame.render_widget(
            Paragraph::new(msg)
                .style(p.theme.dim)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(
                    Block::bordered()
                        .border_style(p.theme.border)
                        .border_set(p.glyphs.border),
                ),
            area,
        );
        return;
    }
    let cols = columns(area.width, hosts.len());
    let tile_w = area.width / cols as u16;
    let inner_w = usize::from(tile_w.saturating_sub(2));
    let selected = p.view.lists[0].selected.min(hosts.len() - 1);
    // Only the rows around the selected one that fit are built: with
    // thousands of hosts, a screenful of tiles.
    let least = |i: usize| least_height(hosts[i], p.now);
    let (first, last) = layout::window(hosts.len(), cols, selected / cols, area.height, &least);
    for c in 0..cols {
        let x = area.x + tile_w * c as u16;
        // The last column takes the remainder so the grid fills the width.
        let w = if c + 1 == cols { area.right() - x } else { tile_w };
        let ids: Vec<usize> = (first..=last)
            .map(|r| r * cols + c)
            .filter(|&i| i < hosts.len())
            .collect();
        let contents: Vec<Vec<tile::Section>> = ids.iter().map(|&i| tile::sections(hosts[i], inner_w, p)).collect();
        let wants: Vec<layout::Want> = ids
            .iter()
            .zip(&contents)
            .map(|(&i, s)| {
                let max = tile::full_len(s) as u16 + 2;
                layout::Want {
                    min: least(i).min(max),
                    max,
                }
            })
            .collect();
        let heights = layout::fill(&wants, area.height);
        let mut y = area.y;
        for ((i, content), h) in ids.into_iter().zip(contents).zip(heights) {
            let h = h.min(area.bottom().saturating_sub(y));
            if h < 3 {
                break;
            }
            let rect = Rect {
                x,
                y,
                width: w,
                height: h,
            };
            let lines = tile::fit(content, usize::from(h - 2));
            render_tile(frame, rect, hosts[i], lines, i == selected, p);
            y += h;
        }
    }
}

/// A tile's least height, borders included, known without building it: a
/// compact tile's whole content, a few lines of an online one.
fn least_height(h: &HostEntry, now: i64) -> u16 {
    if tile::compact(h, now) {
        let lines = usize::from(h.last_error.is_some()) + usize::from(h.cur.is_some());
        lines.max(1) as u16 + 2
    } else {
        tile::MIN_LINES as u16 + 2
    }
}

fn render_tile(frame: &mut Frame, rect: Rect, h: &HostEntry, lines: Vec<Line<'static>>, selected: bool, p: &Painter) {
    let t = p.theme;
    let state = h.state(p.now);
    let state_style = state_style(p, h);
    let (border, set) = if selected {
        (t.border_selected, p.glyphs.border_selected)
    } else {
        (t.border, p.glyphs.border)
    };
    let mut title = vec![
        Span::styled(format!("{} ", p.glyphs.status), state_style),
        Span::styled(h.name.clone(), if selected { t.border_selected } else { t.title }),
        Span::raw(" "),
    ];
    if state != HostState::Online || h.cur.is_none() {
        title.push(Span::styled(format!("{} ", state_words(h, p.now)), state_style));
    }
    let mut block = Block::bordered()
        .border_style(border)
        .border_set(set)
        .title(Line::from(title));
    if let Some(s) = h.cur.as_ref().filter(|_| state == HostState::Online) {
        block = block.title_top(Line::styled(format!(" up {} ", fmt::uptime(s.uptime_s)), t.dim).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub(crate) fn state_style(p: &Painter, h: &HostEntry) -> Style {
    if h.waiting_first() {
        return p.theme.dim;
    }
    match h.state(p.now) {
        HostState::Online => p.theme.ok,
        HostState::Stale => p.theme.warn,
        HostState::Offline | HostState::AuthError => p.theme.error,
    }
}

pub(crate) fn state_words(h: &HostEntry, now: i64) -> String {
    if h.waiting_first() {
        return "connecting".into();
    }
    let s = h.state(now);
    match (s, h.last_seen) {
        (HostState::Online, _) => "online".into(),
        (_, Some(t)) => format!("{} {} ago", s.as_str(), fmt::ago(now - t)),
        (_, None) => s.as_str().into(),
    }
}
