//! The host drill-down: per-core CPU, memory, every disk and interface, GPU
//! processes, the inference server ([`super::inference`]) and the full
//! process table (sortable, filterable).
//!
//! ```text
//! ┌● omarchy online • Arch kernel 6.9 • up 3d ──────────────────────┐
//! │mem ▇▇▇▇░░░░  12G/32G       disk           used/total   use    │
//! │    pressure 62% normal     (a Mac only)                       │
//! │swp no swap                 /              120G/500G    24% ▇░ │
//! │  0 ▇▇░ 12%    4 ▇░░  3%    interface       ↓ rx   ↑ tx  total │
//! │GPU0 …  (a line per GPU, its top processes under it)           │
//! │sessions claude 3, oldest 2h13m  •  codex 1, oldest 5m          │
//! │─ inference … (tok/s, queue, errors: 15 min sparklines; Ollama) │
//! │─ processes 212/212 • sort cpu ────────────────────────────────│
//! │    PID USER       CPU%    MEM S COMMAND                       │
//! └ collector: ssh • rtt 12 ms • sample 2s old ───────────────────┘
//! ```

use super::fleet::{state_style, state_words};
use super::table::{
    Column, Table,
    Width::{Fixed, Min},
};
use super::widgets::{bar, load_style, meter};
use super::{Detail, Painter, ProcSort, fmt};
use crate::model::{HostSample, Process};
use crate::store::{HostEntry, IfaceRate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The processes the table shows, in its order.
pub fn processes<'a>(h: &'a HostEntry, d: &Detail) -> Vec<&'a Process> {
    let Some(s) = &h.cur else { return Vec::new() };
    let needle = d.list.filter.to_lowercase();
    let mut ps: Vec<&Process> = s
        .processes
        .iter()
        .filter(|p| {
            needle.is_empty()
                || p.name.to_lowercase().contains(&needle)
                || p.cmd.to_lowercase().contains(&needle)
                || p.pid.to_string() == needle
        })
        .collect();
    match ProcSort::from_index(d.list.sort) {
        ProcSort::Cpu => ps.sort_by(|a, b| b.cpu_pct.total_cmp(&a.cpu_pct).then(b.mem_bytes.cmp(&a.mem_bytes))),
        ProcSort::Mem => ps.sort_by_key(|p| std::cmp::Reverse(p.mem_bytes)),
        ProcSort::Name => ps.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.pid.cmp(&b.pid))
        }),
        ProcSort::Pid => ps.sort_by_key(|p| p.pid),
    }
    ps
}

pub fn render(frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
    let Some(h) = p.store.host(&d.key) else {
        frame.render_widget(
            Paragraph::new(format!("{} is no longer configured", d.key)).style(p.theme.dim),
            area,
        );
        return;
    };
    let block = host_block(h, p);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(s) = &h.cur else {
        let why = h
            .last_error
            .as_ref()
            .map_or("waiting for the first sample".into(), |e| e.to_string());
        frame.render_widget(Paragraph::new(why).style(p.theme.dim), inner);
        return;
    };

    let cores = s.per_core.len().max(1);
    let max_top = (inner.height / 2).max(4);
    let core_cols = (1..=8)
        .find(|c| cores.div_ceil(*c) + 2 <= usize::from(max_top))
        .unwrap_or(8);
    let core_rows = cores.div_ceil(core_cols);
    let ifaces = h.iface_rates();
    let right_rows = s.disks.len() + ifaces.len() + 2;
    let left_rows = core_rows + 2 + usize::from(s.mem_pressure_pct.is_some());
    let top_h = (left_rows.max(right_rows) as u16).min(max_top);
    let gpu_h = s.gpus.iter().map(|x| 1 + x.processes.len().min(3)).sum::<usize>() as u16;
    // Sessions and inference only where the process table keeps some room.
    let roomy = inner.height >= 16;
    let ses_h = u16::from(roomy && !s.sessions.is_empty());
    let [top, gpu_area, ses_area, inf_area, procs] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Length(gpu_h.min(6)),
        Constraint::Length(ses_h),
        Constraint::Length(if roomy { super::inference::height(s) } else { 0 }),
        Constraint::Min(3),
    ])
    .areas(inner);
    let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    frame.render_widget(
        Paragraph::new(memory_lines(s, left.width, core_cols, core_rows, p)),
        left,
    );
    let mut lines = disk_lines(s, usize::from(right.width), p);
    lines.extend(iface_lines(&ifaces, p));
    frame.render_widget(Paragraph::new(lines), right);
    frame.render_widget(Paragraph::new(gpu_lines(s, p)), gpu_area);
    frame.render_widget(
        Paragraph::new(session_line(s, usize::from(ses_area.width), p)),
        ses_area,
    );
    let inf = super::inference::lines(h, s, usize::from(inf_area.width), p);
    frame.render_widget(Paragraph::new(inf), inf_area);
    render_processes(frame, procs, p, h, d);
}

/// The frame: state, OS, kernel and uptime on top, an SSH host's
/// collector health at the bottom.
fn host_block(h: &HostEntry, p: &Painter) -> Block<'static> {
    let t = p.theme;
    let g = p.glyphs;
    let mut title = vec![
        Span::styled(format!("{} ", g.status), state_style(p, h)),
        Span::styled(h.name.clone(), t.title),
        Span::styled(format!(" {} ", state_words(h, p.now)), t.dim),
    ];
    if let Some(s) = &h.cur {
        title.push(Span::styled(
            format!(
                "{} {} kernel {} {} up {} ",
                g.sep,
                s.os,
                s.kernel,
                g.sep,
                fmt::uptime(s.uptime_s)
            ),
            t.dim,
        ));
    }
    let mut block = Block::bordered()
        .border_style(t.border)
        .border_set(g.border)
        .title(Line::from(title));
    if h.kind == crate::store::HostKind::Ssh {
        block = block.title_bottom(Line::styled(format!(" {} ", collector_words(h, p.now, g.sep)), t.dim));
    }
    block
}

/// How a Mac's memory pressure reads, graded like Activity Monitor's
/// green / yellow / red: warn from 70 %, critical from 90 %.
pub(crate) fn pressure_grade(t: &crate::theme::Theme, pct: f64) -> (ratatui::style::Style, &'static str) {
    if pct >= 90.0 {
        (t.error, "critical")
    } else if pct >= 70.0 {
        (t.warn, "warn")
    } else {
        (t.text, "normal")
    }
}

/// Memory (and a Mac's memory pressure), swap, and a bar per core in
/// `core_cols` columns.
fn memory_lines(s: &HostSample, width: u16, core_cols: usize, core_rows: usize, p: &Painter) -> Vec<Line<'static>> {
    let t = p.theme;
    let g = p.glyphs;
    let lw = usize::from(width.saturating_sub(1));
    let mut lines = Vec::new();
    let mem_pct = crate::model::pct(s.mem_used_bytes, s.mem_total_bytes);
    lines.push(meter(
        "mem",
        mem_pct,
        fmt::used_total(s.mem_used_bytes, s.mem_total_bytes),
        lw,
        p,
    ));
    if let Some(pr) = s.mem_pressure_pct {
        let (style, word) = pressure_grade(p.theme, pr);
        lines.push(Line::from(vec![
            Span::styled("    pressure ", t.dim),
            Span::styled(fmt::pct(pr), style),
            Span::styled(format!(" {word}"), t.dim),
        ]));
    }
    let sw_pct = crate::model::pct(s.swap_used_bytes, s.swap_total_bytes);
    if s.swap_total_bytes == 0 {
        lines.push(Line::from(vec![
            Span::styled("swp ", t.header),
            Span::styled("no swap", t.dim),
        ]));
    } else {
        lines.push(meter(
            "swp",
            sw_pct,
            fmt::used_total(s.swap_used_bytes, s.swap_total_bytes),
            lw,
            p,
        ));
    }
    // No per-core figures (a Mac gives none without root): the total, said so.
    if s.per_core.is_empty() {
        lines.push(meter("cpu", s.cpu_pct, format!("{} total", fmt::pct(s.cpu_pct)), lw, p));
    }
    let cw = lw / core_cols;
    for r in 0..core_rows {
        let mut spans = Vec::new();
        for c in 0..core_cols {
            let i = c * core_rows + r;
            if let Some(v) = s.per_core.get(i) {
                let label = format!("{i:>3} ");
                let bw = cw.saturating_sub(label.len() + 5);
                spans.push(Span::styled(label, t.header));
                spans.extend(bar(t, g, *v, bw, load_style(t, *v)));
                spans.push(Span::styled(format!("{:>4} ", fmt::pct(*v)), t.text));
            }
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// Each session pattern: how many run, and how long the oldest has.
fn session_line(s: &HostSample, width: usize, p: &Painter) -> Line<'static> {
    let g = p.glyphs;
    let words: Vec<String> = s
        .sessions
        .iter()
        .enumerate()
        .map(|(i, (pat, n))| match s.session_oldest_s.get(i).copied().flatten() {
            Some(age) if *n > 0 => format!(
                "{pat} {n}, oldest {}",
                fmt::ago(i64::try_from(age.saturating_mul(1000)).unwrap_or(i64::MAX))
            ),
            _ if *n > 0 => format!("{pat} {n}"),
            _ => format!("{pat} none"),
        })
        .collect();
    let text = words.join(&format!("  {}  ", g.sep));
    Line::from(vec![
        Span::styled("sessions ", p.theme.header),
        Span::styled(fmt::fit(&text, width.saturating_sub(9), g.ellipsis), p.theme.text),
    ])
}

/// Every disk: its use in numbers and as a bar.
fn disk_lines(s: &HostSample, rw: usize, p: &Painter) -> Vec<Line<'static>> {
    let t = p.theme;
    let g = p.glyphs;
    let mut lines = vec![Line::styled(
        format!("{:<14}{:>13} {:>5}", "disk", "used/total", "use"),
        t.header,
    )];
    for dk in &s.disks {
        let pct = dk.used_pct();
        let style = if pct >= p.store.rules.disk_critical_pct {
            t.error
        } else if pct >= p.store.rules.disk_warn_pct {
            t.warn
        } else {
            t.text
        };
        let bw = rw.saturating_sub(34);
        let mut spans = vec![Span::styled(
            format!(
                "{:<14}{:>13} {:>5} ",
                fmt::fit(&dk.mount, 13, g.ellipsis),
                fmt::used_total(dk.used_bytes, dk.total_bytes),
                fmt::pct(pct)
            ),
            style,
        )];
        spans.extend(bar(t, g, pct, bw, load_style(t, pct)));
        lines.push(Line::from(spans));
    }
    lines
}

/// Every interface: its rates and total.
fn iface_lines(ifaces: &[IfaceRate], p: &Painter) -> Vec<Line<'static>> {
    let t = p.theme;
    let g = p.glyphs;
    let mut lines = Vec::new();
    lines.push(Line::styled(
        format!(
            "{:<14}{:>10}  {:>10}  {:>8}",
            "interface",
            format!("{} rx", g.down),
            format!("{} tx", g.up),
            "total"
        ),
        t.header,
    ));
    for i in ifaces {
        lines.push(Line::styled(
            format!(
                "{:<14}{:>10}  {:>10}  {:>8}",
                fmt::fit(&i.name, 13, g.ellipsis),
                fmt::rate(i.rx_per_s),
                fmt::rate(i.tx_per_s),
                fmt::bytes(i.rx_total + i.tx_total)
            ),
            t.text,
        ));
    }
    lines
}

/// A line per GPU and its first three processes under it.
fn gpu_lines(s: &HostSample, p: &Painter) -> Vec<Line<'static>> {
    let t = p.theme;
    let g = p.glyphs;
    let mut lines = Vec::new();
    for gpu in &s.gpus {
        lines.push(Line::styled(
            format!(
                "GPU{} {}  {}  {}  {}",
                gpu.index,
                gpu.name,
                gpu.util_pct.map_or("-".into(), fmt::pct),
                match (gpu.mem_used_bytes, gpu.mem_total_bytes) {
                    (Some(u), Some(tot)) => fmt::used_total(u, tot),
                    _ => "-".into(),
                },
                gpu.temp_c.map_or(String::new(), |c| format!("{c:.0}{}C", g.degree)),
            ),
            t.header,
        ));
        for gp in gpu.processes.iter().take(3) {
            lines.push(Line::styled(
                format!(
                    "  {:>7} {:<24} {}",
                    gp.pid,
                    fmt::fit(&gp.name, 24, g.ellipsis),
                    gp.mem_bytes.map_or("-".into(), fmt::bytes)
                ),
                t.text,
            ));
        }
    }
    lines
}

/// The SSH collector's health: round trip of the last poll, age of the last
/// sample, the last error in words.
pub fn collector_words(h: &HostEntry, now: i64, sep: &str) -> String {
    let mut parts = vec!["collector: ssh".to_string()];
    match h.cur.as_ref().and_then(|s| s.poll_rtt_ms) {
        Some(ms) => parts.push(format!("rtt {ms} ms")),
        None => parts.push("rtt -".into()),
    }
    match h.last_seen {
        Some(t) => parts.push(format!("sample {} old", fmt::ago(now - t))),
        None => parts.push("no sample yet".into()),
    }
    if let Some(e) = &h.last_error {
        let when = h
            .last_error_at
            .map(|t| format!(" ({} ago)", fmt::ago(now - t)))
            .unwrap_or_default();
        parts.push(format!("last error: {e}{when}"));
    }
    parts.join(&format!(" {sep} "))
}

fn render_processes(frame: &mut Frame, area: Rect, p: &Painter, h: &HostEntry, d: &Detail) {
    let t = p.theme;
    let g = p.glyphs;
    let ps = processes(h, d);
    let total = h.cur.as_ref().map_or(0, |s| s.processes.len());
    // A remote host not open until now keeps only its top processes; the
    // whole table comes with the poll that opening it asks for.
    let of = match h.cur.as_ref().and_then(|s| s.processes_of) {
        Some(n) => format!(" top of {n}"),
        None => String::new(),
    };
    let sort = ProcSort::from_index(d.list.sort);
    let arrow = |s: ProcSort| if sort == s { g.down } else { "" };
    let columns: Vec<Column<&Process>> = vec![
        Column::new(
            format!("{:>7}{}", "PID", arrow(ProcSort::Pid)),
            Fixed(8),
            |x: &&Process| format!("{:>7}", x.pid).into(),
        ),
        Column::new("USER", Fixed(9), |x: &&Process| fmt::fit(&x.user, 9, g.ellipsis).into()),
        Column::new(
            format!("{:>5}{}", "CPU%", arrow(ProcSort::Cpu)),
            Fixed(6),
            |x: &&Process| format!("{:>5.1}", x.cpu_pct).into(),
        ),
        Column::new(
            format!("{:>6}{}", "MEM", arrow(ProcSort::Mem)),
            Fixed(7),
            |x: &&Process| format!("{:>6}", fmt::bytes(x.mem_bytes)).into(),
        ),
        Column::new("S", Fixed(1), |x: &&Process| {
            crate::parse::proc::state_letter(x.state).to_string().into()
        }),
        Column::new(format!("COMMAND{}", arrow(ProcSort::Name)), Min(10), |x: &&Process| {
            if x.cmd.is_empty() {
                x.name.clone()
            } else {
                x.cmd.clone()
            }
            .into()
        }),
    ];
    let filter = if d.list.filter.is_empty() {
        String::new()
    } else {
        format!(" filter \"{}\"", d.list.filter)
    };
    let title = format!(
        " processes {}/{total}{of}{filter} {} sort {} ",
        ps.len(),
        g.sep,
        sort.label()
    );
    Table::new(columns, t.header, t.selected)
        .row_style(|x: &&Process| if x.cpu_pct >= 50.0 { t.warn } else { t.text })
        .block(super::widgets::section(p, title))
        .render(frame, area, &ps, d.list.selected);
}
