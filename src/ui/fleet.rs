//! The Fleet tab: a grid of host tiles that reflows with the width.

use super::widgets::{METER_LABEL as LABEL, METER_VALUE as VALUE, load_style, meter};
use super::{FleetSort, Painter, View, fmt};
use crate::model::HostState;
use crate::store::{HostEntry, Store};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

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
    let sel_row = selected / cols;
    // A row is at least 3 lines high, so only rows this close to the
    // selected one can be on screen: with thousands of hosts, only those
    // tiles are built.
    let reach = usize::from(area.height / 3) + 1;
    let (lo, hi) = (sel_row.saturating_sub(reach), sel_row + reach);
    let rows: Vec<(usize, Vec<Vec<Line>>)> = hosts
        .chunks(cols)
        .enumerate()
        .skip(lo)
        .take(hi - lo + 1)
        .map(|(r, chunk)| (r, chunk.iter().map(|h| tile_lines(h, inner_w, p)).collect()))
        .collect();
    let mut rows = rows;
    if hosts.len() <= cols
        && let Some((_, tiles)) = rows.first_mut()
    {
        // One row of tiles: fill the spare height with more of each host.
        let room = usize::from(area.height.saturating_sub(2));
        for (t, h) in tiles.iter_mut().zip(&hosts) {
            let spare = room.saturating_sub(t.len());
            t.extend(extra_lines(h, inner_w, spare, p));
        }
    }
    let height = |tiles: &[Vec<Line>]| tiles.iter().map(|t| t.len() as u16 + 2).max().unwrap_or(3);
    let heights: Vec<u16> = rows.iter().map(|(_, t)| height(t)).collect();
    let sel = sel_row - lo;
    // Scroll so that the selected row is on screen.
    let mut first = 0;
    while first < sel && heights[first..=sel].iter().sum::<u16>() > area.height {
        first += 1;
    }
    let mut y = area.y;
    for (k, (r, tiles)) in rows.into_iter().enumerate().skip(first) {
        let h = heights[k].min(area.bottom().saturating_sub(y));
        if h < 3 {
            break;
        }
        for (c, lines) in tiles.into_iter().enumerate() {
            let i = r * cols + c;
            let x = area.x + tile_w * c as u16;
            // The last column takes the remainder so the grid fills the width.
            let w = if c + 1 == cols { area.right() - x } else { tile_w };
            let rect = Rect {
                x,
                y,
                width: w,
                height: h,
            };
            render_tile(frame, rect, hosts[i], lines, i == selected, p);
        }
        y += h;
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

fn text_line(label: &str, text: String, width: usize, p: &Painter, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), p.theme.header),
        Span::styled(fmt::fit(&text, width.saturating_sub(LABEL), p.glyphs.ellipsis), style),
    ])
}

/// The lines inside one tile.
pub(crate) fn tile_lines(h: &HostEntry, width: usize, p: &Painter) -> Vec<Line<'static>> {
    let t = p.theme;
    let g = p.glyphs;
    let mut out = Vec::new();
    let state = h.state(p.now);
    if let Some(err) = &h.last_error {
        out.push(Line::styled(fmt::fit(&err.to_string(), width, g.ellipsis), t.error));
    }
    let Some(s) = &h.cur else {
        if out.is_empty() {
            out.push(Line::styled("waiting for the first sample", t.dim));
        }
        return out;
    };
    if state != HostState::Online {
        out.push(Line::styled(
            format!("last data {} ago:", fmt::ago(p.now - s.at)),
            t.dim,
        ));
    }
    out.push(meter(
        "CPU",
        s.cpu_pct,
        format!("{} {:.1}", fmt::pct(s.cpu_pct), s.load[0]),
        width,
        p,
    ));
    let mem_pct = crate::model::pct(s.mem_used_bytes, s.mem_total_bytes);
    out.push(meter(
        "RAM",
        mem_pct,
        fmt::used_total(s.mem_used_bytes, s.mem_total_bytes),
        width,
        p,
    ));
    if s.swap_total_bytes > 0 {
        let sw = crate::model::pct(s.swap_used_bytes, s.swap_total_bytes);
        out.push(meter(
            "SWP",
            sw,
            fmt::used_total(s.swap_used_bytes, s.swap_total_bytes),
            width,
            p,
        ));
    }
    if let Some(d) = s.worst_disk() {
        let value = format!("{} {}", fmt::pct(d.used_pct()), d.mount);
        let pct = d.used_pct();
        let mut line = meter("DSK", pct, fmt::fit(&value, VALUE, g.ellipsis), width, p);
        if pct >= p.store.rules.disk_warn_pct {
            let style = if pct >= p.store.rules.disk_critical_pct {
                t.error
            } else {
                t.warn
            };
            if let Some(last) = line.spans.last_mut() {
                last.style = style;
            }
        }
        out.push(line);
    }
    let net = match h.net_rates() {
        Some((rx, tx)) => format!("{}{:>8} {}{:>8}", g.down, fmt::rate(rx), g.up, fmt::rate(tx)),
        None => format!("{} -  {} -", g.down, g.up),
    };
    out.push(text_line("NET", net, width, p, t.text));
    let mut misc = Vec::new();
    if let Some(c) = s.max_temp() {
        misc.push(format!("{c:.0}{}C", g.degree));
    }
    if let Some(b) = crate::parse::power_supply::combined_pct(&s.batteries) {
        let status = s.batteries.iter().find_map(|b| b.status.clone()).unwrap_or_default();
        misc.push(format!("bat {b:.0}% {}", status.to_lowercase()));
    }
    misc.push(format!("load {:.2} {:.2} {:.2}", s.load[0], s.load[1], s.load[2]));
    out.push(text_line("SYS", misc.join("  "), width, p, t.text));
    if let Some(top) = s.top_process() {
        let txt = format!("{} {}% {}", top.name, top.cpu_pct.round(), fmt::bytes(top.mem_bytes));
        out.push(text_line("TOP", txt, width, p, t.text));
    }
    if !s.sessions.is_empty() {
        out.push(session_line(s, width, p));
    }
    out.extend(accelerator_lines(h, s, width, p));
    out
}

/// A tile's GPU lines and its inference server's line.
fn accelerator_lines(h: &HostEntry, s: &crate::model::HostSample, width: usize, p: &Painter) -> Vec<Line<'static>> {
    let t = p.theme;
    let g = p.glyphs;
    let mut out = Vec::new();
    for gpu in &s.gpus {
        let mem = match (gpu.mem_used_bytes, gpu.mem_total_bytes) {
            (Some(u), Some(tot)) => fmt::used_total(u, tot),
            _ => "-".into(),
        };
        let util = gpu.util_pct.map_or("-".into(), fmt::pct);
        let temp = gpu.temp_c.map_or(String::new(), |c| format!(" {c:.0}{}C", g.degree));
        let top = gpu
            .processes
            .first()
            .map(|p| format!(" {}", p.name))
            .unwrap_or_default();
        out.push(text_line(
            "GPU",
            format!("{util} {mem}{temp} {}{top}", gpu.name),
            width,
            p,
            t.text,
        ));
    }
    if let Some(e) = &s.gpu_error {
        out.push(text_line("GPU", e.clone(), width, p, t.error));
    }
    if let Some(text) = super::inference::tile_text(h, s) {
        out.push(text_line("INF", text, width, p, t.text));
    } else if let Some(e) = &s.inference_error {
        out.push(text_line("INF", e.clone(), width, p, t.error));
    }
    out
}

/// More of a host for a tile that has the room: a bar per core, every other
/// disk, and the next busiest processes.
fn extra_lines(h: &HostEntry, width: usize, room: usize, p: &Painter) -> Vec<Line<'static>> {
    let Some(s) = &h.cur else { return Vec::new() };
    if room < 3 || h.state(p.now) != HostState::Online {
        return Vec::new();
    }
    let t = p.theme;
    let mut out = Vec::new();
    let per_line = width.saturating_sub(LABEL + 1).max(1);
    for (i, chunk) in s.per_core.chunks(per_line).enumerate() {
        let mut spans = vec![Span::styled(if i == 0 { "CORE " } else { "     " }, t.header)];
        let levels = p.glyphs.spark;
        spans.extend(chunk.iter().map(|v| {
            let i = ((v.clamp(0.0, 100.0) / 100.0) * (levels.len() - 1) as f64).round() as usize;
            Span::styled(levels[i.max(1)], load_style(t, *v))
        }));
        out.push(Line::from(spans));
    }
    let worst = s.worst_disk().map(|d| d.mount.clone());
    for d in s.disks.iter().filter(|d| Some(&d.mount) != worst.as_ref()) {
        let value = format!("{} {}", fmt::pct(d.used_pct()), d.mount);
        out.push(meter(
            "DSK",
            d.used_pct(),
            fmt::fit(&value, VALUE, p.glyphs.ellipsis),
            width,
            p,
        ));
    }
    let mut procs: Vec<&crate::model::Process> = s.processes.iter().collect();
    procs.sort_by(|a, b| b.cpu_pct.total_cmp(&a.cpu_pct));
    let left = room.saturating_sub(out.len());
    for pr in procs.iter().skip(1).take(left.min(8)) {
        let txt = format!("{} {}% {}", pr.name, pr.cpu_pct.round(), fmt::bytes(pr.mem_bytes));
        out.push(text_line("", txt, width, p, t.dim));
    }
    out.truncate(room);
    out
}

fn session_line(s: &crate::model::HostSample, width: usize, p: &Painter) -> Line<'static> {
    let t = p.theme;
    let mut spans = vec![Span::styled(format!("{:<LABEL$}", "SES"), t.header)];
    let mut used = LABEL;
    let dot_style = if p.view.breath { t.chip } else { t.chip_dim };
    for (pat, n) in &s.sessions {
        let label = format!("{pat} ");
        if used + label.len() + 2 > width {
            break;
        }
        used += label.len();
        spans.push(Span::styled(label, t.dim));
        let room = width.saturating_sub(used + 1);
        let shown = (*n).min(room);
        if *n == 0 {
            spans.push(Span::styled(format!("{} ", p.glyphs.dot_dim), t.dim));
            used += 2;
            continue;
        }
        spans.push(Span::styled(p.glyphs.dot.repeat(shown), dot_style));
        used += shown;
        if shown < *n {
            let more = format!("+{}", n - shown);
            used += more.len();
            spans.push(Span::styled(more, t.dim));
        }
        spans.push(Span::raw(" "));
        used += 1;
    }
    Line::from(spans)
}
