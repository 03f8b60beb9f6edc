//! What one Fleet tile shows: its content as sections, each with a
//! priority, and the lines that fit a given height.
//!
//! A tile with little room keeps its most telling sections (CPU, memory,
//! the fullest disk, ...); one with room adds the rest in priority order,
//! and the process list takes whatever is left. To show something new on a
//! tile, add a [`Section`] in [`sections`] (or in [`more`], for what only a
//! tall tile has room for) with the priority it deserves: the grid needs
//! no other change. Offline, auth-error and waiting hosts are compact:
//! why, and since when.

use super::super::widgets::{METER_LABEL as LABEL, METER_VALUE as VALUE, bar, load_style, meter};
use super::super::{Painter, fmt};
use crate::model::{HostSample, HostState};
use crate::store::HostEntry;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Lines an online tile keeps however tight the grid (inside its border).
pub(crate) const MIN_LINES: usize = 4;

/// Most processes a tile lists.
const MAX_PROCS: usize = 32;

/// A part of a tile, shown whole or not at all, unless it `grows`: a list
/// that shows as many of its lines as there is room for.
pub(crate) struct Section {
    /// Lower is kept first.
    pub(crate) prio: u8,
    pub(crate) lines: Vec<Line<'static>>,
    pub(crate) grows: bool,
}

impl Section {
    fn one(prio: u8, line: Line<'static>) -> Section {
        Section {
            prio,
            lines: vec![line],
            grows: false,
        }
    }
}

/// Whether a host's tile is compact: nothing current to show.
pub(crate) fn compact(h: &HostEntry, now: i64) -> bool {
    h.cur.is_none() || matches!(h.state(now), HostState::Offline | HostState::AuthError)
}

/// How many lines all of `sections` take.
pub(crate) fn full_len(sections: &[Section]) -> usize {
    sections.iter().map(|s| s.lines.len()).sum()
}

/// The lines of `sections` that fit in `room`, in their order: sections
/// taken by priority (a fixed one only whole), growing ones cut to fit.
pub(crate) fn fit(sections: Vec<Section>, room: usize) -> Vec<Line<'static>> {
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| sections[i].prio);
    let mut take = vec![0; sections.len()];
    let mut left = room;
    for i in order {
        let (n, grows) = (sections[i].lines.len(), sections[i].grows);
        let k = if grows {
            n.min(left)
        } else if n <= left {
            n
        } else {
            0
        };
        take[i] = k;
        left -= k;
    }
    sections
        .into_iter()
        .zip(take)
        .flat_map(|(s, k)| s.lines.into_iter().take(k))
        .collect()
}

/// Everything a tile could show, `width` cells wide, in display order.
pub(crate) fn sections(h: &HostEntry, width: usize, p: &Painter) -> Vec<Section> {
    let (t, g) = (p.theme, p.glyphs);
    let mut out = Vec::new();
    if let Some(err) = &h.last_error {
        out.push(Section::one(
            0,
            Line::styled(fmt::fit(&err.to_string(), width, g.ellipsis), t.error),
        ));
    }
    let Some(s) = &h.cur else {
        if out.is_empty() {
            out.push(Section::one(0, Line::styled("waiting for the first sample", t.dim)));
        }
        return out;
    };
    let state = h.state(p.now);
    if state != HostState::Online {
        let since = format!("last data {} ago", fmt::ago(p.now - s.at));
        out.push(Section::one(0, Line::styled(since, t.dim)));
    }
    if compact(h, p.now) {
        return out;
    }
    let cpu = format!("{} {:.1}", fmt::pct(s.cpu_pct), s.load[0]);
    out.push(Section::one(0, meter("CPU", s.cpu_pct, cpu, width, p)));
    out.push(Section {
        prio: 6,
        lines: core_lines(s, width, p),
        grows: false,
    });
    let mem_pct = crate::model::pct(s.mem_used_bytes, s.mem_total_bytes);
    let mem = fmt::used_total(s.mem_used_bytes, s.mem_total_bytes);
    out.push(Section::one(0, ram_line(s, mem_pct, mem, width, p)));
    if s.swap_total_bytes > 0 {
        let sw = crate::model::pct(s.swap_used_bytes, s.swap_total_bytes);
        let value = fmt::used_total(s.swap_used_bytes, s.swap_total_bytes);
        out.push(Section::one(5, meter("SWP", sw, value, width, p)));
    }
    out.extend(disk_sections(s, width, p));
    let net = match h.net_rates() {
        Some((rx, tx)) => format!("{}{:>8} {}{:>8}", g.down, fmt::rate(rx), g.up, fmt::rate(tx)),
        None => format!("{} -  {} -", g.down, g.up),
    };
    out.push(Section::one(2, text_line("NET", net, width, p, t.text)));
    out.push(Section::one(4, sys_line(s, width, p)));
    if !s.sessions.is_empty() {
        out.push(Section::one(2, session_line(s, width, p)));
    }
    out.extend(accelerator_sections(h, s, width, p));
    out.extend(more(h, s, width, p));
    out.extend(process_sections(s, width, p));
    out
}

/// Optional lines a tile shows when it has the room, each a section with
/// its priority (7 and up: after everything a small tile shows, before
/// the process list). Empty today: the place for what comes next.
fn more(_h: &HostEntry, _s: &HostSample, _width: usize, _p: &Painter) -> Vec<Section> {
    Vec::new()
}

/// The fullest disk (kept early), then every other one.
fn disk_sections(s: &HostSample, width: usize, p: &Painter) -> Vec<Section> {
    let t = p.theme;
    let worst = s.worst_disk();
    let others = s.disks.iter().filter(|d| !worst.is_some_and(|w| std::ptr::eq(w, *d)));
    worst
        .into_iter()
        .chain(others)
        .enumerate()
        .map(|(i, d)| {
            let pct = d.used_pct();
            let value = format!("{} {}", fmt::pct(pct), d.mount);
            let mut line = meter("DSK", pct, fmt::fit(&value, VALUE, p.glyphs.ellipsis), width, p);
            if pct >= p.store.rules.disk_warn_pct
                && let Some(last) = line.spans.last_mut()
            {
                last.style = if pct >= p.store.rules.disk_critical_pct {
                    t.error
                } else {
                    t.warn
                };
            }
            Section::one(if i == 0 { 1 } else { 8 }, line)
        })
        .collect()
}

/// The busiest process (kept early), then the next ones, as many as fit.
fn process_sections(s: &HostSample, width: usize, p: &Painter) -> Vec<Section> {
    let t = p.theme;
    let Some(top) = s.top_process() else {
        return Vec::new();
    };
    let mut rest: Vec<&crate::model::Process> = (s.processes.iter()).filter(|pr| !std::ptr::eq(*pr, top)).collect();
    // By CPU as shown (whole percent), then by pid: processes whose shown
    // figure did not change keep their rows from one sample to the next
    // (sorted by the exact figure, ties at 0-1 % reshuffled every sample).
    rest.sort_by_key(|pr| (std::cmp::Reverse(pr.cpu_pct.round() as i64), pr.pid));
    let line = |label: &str, pr: &crate::model::Process, style: Style| {
        let txt = format!("{} {}% {}", pr.name, pr.cpu_pct.round(), fmt::bytes(pr.mem_bytes));
        text_line(label, txt, width, p, style)
    };
    vec![
        Section::one(3, line("TOP", top, t.text)),
        Section {
            prio: 9,
            lines: rest.iter().take(MAX_PROCS - 1).map(|pr| line("", pr, t.dim)).collect(),
            grows: true,
        },
    ]
}

/// Temperature, battery and load on one line.
/// The RAM meter; a Mac's memory pressure after it (` prs 62%`, coloured by
/// its grade) where the tile has room, the bar shortened to make it.
fn ram_line(s: &HostSample, mem_pct: f64, mem: String, width: usize, p: &Painter) -> Line<'static> {
    let Some(pr) = s.mem_pressure_pct.filter(|_| width >= 30) else {
        return meter("RAM", mem_pct, mem, width, p);
    };
    let extra = format!(" prs {}", fmt::pct(pr));
    let mut line = meter("RAM", mem_pct, mem, width - extra.len(), p);
    line.push_span(Span::styled(extra, super::super::host::pressure_grade(p.theme, pr).0));
    line
}

fn sys_line(s: &HostSample, width: usize, p: &Painter) -> Line<'static> {
    let mut misc = Vec::new();
    if let Some(c) = s.max_temp() {
        misc.push(format!("{c:.0}{}C", p.glyphs.degree));
    }
    if let Some(b) = crate::parse::power_supply::combined_pct(&s.batteries) {
        let status = s.batteries.iter().find_map(|b| b.status.clone()).unwrap_or_default();
        misc.push(format!("bat {b:.0}% {}", status.to_lowercase()));
    }
    misc.push(format!("load {:.2} {:.2} {:.2}", s.load[0], s.load[1], s.load[2]));
    text_line("SYS", misc.join("  "), width, p, p.theme.text)
}

/// Width of one core's bar cell on a wide tile: number, bar, percent.
const CORE_CELL: usize = 24;

/// The cores: on a wide tile a bar each, in as many columns as fit; on a
/// narrow one a level glyph each, on as few lines as fit.
fn core_lines(s: &HostSample, width: usize, p: &Painter) -> Vec<Line<'static>> {
    let t = p.theme;
    if width >= 2 * CORE_CELL {
        let per_line = width / CORE_CELL;
        let bar_w = CORE_CELL - 10;
        return s
            .per_core
            .chunks(per_line)
            .enumerate()
            .map(|(row, chunk)| {
                let mut spans = Vec::new();
                for (k, v) in chunk.iter().enumerate() {
                    let n = row * per_line + k;
                    spans.push(Span::styled(format!("{n:>3} "), t.header));
                    spans.extend(bar(t, p.glyphs, *v, bar_w, load_style(t, *v)));
                    spans.push(Span::styled(format!("{:>5} ", fmt::pct(*v)), t.text));
                }
                Line::from(spans)
            })
            .collect();
    }
    let per_line = width.saturating_sub(LABEL + 1).max(1);
    let levels = p.glyphs.spark;
    s.per_core
        .chunks(per_line)
        .enumerate()
        .map(|(i, chunk)| {
            let mut spans = vec![Span::styled(if i == 0 { "CORE " } else { "     " }, t.header)];
            spans.extend(chunk.iter().map(|v| {
                let i = ((v.clamp(0.0, 100.0) / 100.0) * (levels.len() - 1) as f64).round() as usize;
                Span::styled(levels[i.max(1)], load_style(t, *v))
            }));
            Line::from(spans)
        })
        .collect()
}

fn text_line(label: &str, text: String, width: usize, p: &Painter, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), p.theme.header),
        Span::styled(fmt::fit(&text, width.saturating_sub(LABEL), p.glyphs.ellipsis), style),
    ])
}

/// A tile's GPU lines and its inference server's line.
fn accelerator_sections(h: &HostEntry, s: &HostSample, width: usize, p: &Painter) -> Vec<Section> {
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
        let txt = format!("{util} {mem}{temp} {}{top}", gpu.name);
        out.push(Section::one(3, text_line("GPU", txt, width, p, t.text)));
    }
    if let Some(e) = &s.gpu_error {
        out.push(Section::one(3, text_line("GPU", e.clone(), width, p, t.error)));
    }
    if let Some(txt) = crate::ui::inference::tile_text(h, s) {
        out.push(Section::one(3, text_line("INF", txt, width, p, t.text)));
    } else if let Some(e) = &s.inference_error {
        out.push(Section::one(3, text_line("INF", e.clone(), width, p, t.error)));
    }
    out
}

fn session_line(s: &HostSample, width: usize, p: &Painter) -> Line<'static> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(prio: u8, text: &[&str], grows: bool) -> Section {
        Section {
            prio,
            lines: text.iter().map(|s| Line::raw(s.to_string())).collect(),
            grows,
        }
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn sections_are_kept_by_priority_and_shown_in_order() {
        let all = || {
            vec![
                sec(0, &["cpu"], false),
                sec(6, &["c0", "c1"], false),
                sec(0, &["ram"], false),
                sec(2, &["net"], false),
                sec(9, &["p1", "p2", "p3"], true),
            ]
        };
        assert_eq!(full_len(&all()), 8);
        assert_eq!(texts(&fit(all(), 2)), ["cpu", "ram"]);
        assert_eq!(texts(&fit(all(), 3)), ["cpu", "ram", "net"]);
        // The core section does not fit whole in 4: the list takes the line.
        assert_eq!(texts(&fit(all(), 4)), ["cpu", "ram", "net", "p1"]);
        assert_eq!(texts(&fit(all(), 6)), ["cpu", "c0", "c1", "ram", "net", "p1"]);
        assert_eq!(fit(all(), 100).len(), 8);
        assert!(fit(all(), 0).is_empty());
    }

    #[test]
    fn memory_pressure_is_graded_like_activity_monitor() {
        let t = crate::theme::Theme::load("console16").unwrap();
        let grade = |pct| super::super::super::host::pressure_grade(&t, pct);
        assert_eq!(grade(62.0), (t.text, "normal"));
        assert_eq!(grade(70.0), (t.warn, "warn"));
        assert_eq!(grade(89.9), (t.warn, "warn"));
        assert_eq!(grade(90.0), (t.error, "critical"));
        assert_ne!(t.warn, t.text, "a warning must look different");
    }
}
