//! The Agents tab: one htop-like row per daemon with what it last said under
//! it, and the output viewer (runs, raw or extracted output, search).

use super::table::{
    Column, Table,
    Width::{Fixed, Min},
};
use super::{AgentSort, Detail, ListView, Painter, fmt};
use crate::store::agents::{Agent, AgentStatus, DayStats, Outcome, Run};
use crate::store::{Store, Tab};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The daemons in the order and filter of the list.
pub fn visible<'a>(store: &'a Store, list: &ListView, now: i64) -> Vec<&'a Agent> {
    let needle = list.filter.to_lowercase();
    let mut v: Vec<&Agent> = store
        .agents
        .agents
        .iter()
        .filter(|a| {
            needle.is_empty() || a.name.to_lowercase().contains(&needle) || a.tag.to_lowercase().contains(&needle)
        })
        .collect();
    let rank = |a: &Agent| match a.status(now) {
        AgentStatus::Failed => 0,
        AgentStatus::Overdue | AgentStatus::Stale | AgentStatus::Cooldown => 1,
        AgentStatus::Unknown => 2,
        AgentStatus::Running => 3,
        AgentStatus::Skipped => 4,
        AgentStatus::Ok => 5,
    };
    match AgentSort::from_index(list.sort) {
        AgentSort::Name => v.sort_by(|a, b| a.name.cmp(&b.name)),
        AgentSort::Worst => v.sort_by_key(|a| (rank(a), std::cmp::Reverse(a.fail_streak))),
        AgentSort::Recent => v.sort_by_key(|a| std::cmp::Reverse(a.last_seen())),
        AgentSort::Config => {}
    }
    v
}

pub fn len(store: &Store, list: &ListView) -> usize {
    visible(store, list, i64::MAX / 4).len()
}

pub fn open(store: &Store, list: &ListView) -> Option<Detail> {
    let v = visible(store, list, i64::MAX / 4);
    let a = v.get(list.selected.min(v.len().checked_sub(1)?))?;
    Some(Detail::new(Tab::Agents, a.name.clone()))
}

/// The runs of the viewer, newest first.
pub fn runs(a: &Agent) -> impl Iterator<Item = &Run> {
    a.runs.iter().rev()
}

pub(crate) fn selected_run<'a>(store: &'a Store, d: &Detail) -> Option<&'a Run> {
    let a = store.agents.get(&d.key)?;
    runs(a).nth(d.list.selected.min(a.runs.len().saturating_sub(1)))
}

/// The text the viewer shows for the selected run: raw, or (alt) extracted.
pub(crate) fn output_text(run: &Run, extracted: bool) -> String {
    if extracted {
        return run.extracted.clone();
    }
    let mut s = String::new();
    if run.output_cut > 0 && run.output.is_empty() {
        s.push_str(&format!(
            "[its {} bytes of output were dropped: the output budget keeps newer runs; its extracted output:]\n",
            run.output_cut
        ));
    } else if run.output_cut > 0 {
        s.push_str(&format!(
            "[{} earlier bytes cut: the last {} are kept]\n",
            run.output_cut,
            run.output.len()
        ));
    }
    if run.output.is_empty() {
        if run.output_cut == 0 {
            s.push_str("(this run's event carried no output; its extracted output:)\n");
        }
        s.push_str(&run.extracted);
    } else {
        s.push_str(&run.output);
    }
    s
}

/// Lines of output in the viewer (for scrolling).
pub(crate) fn detail_len(store: &Store, d: &Detail) -> usize {
    selected_run(store, d).map_or(0, |r| output_text(r, d.alt).lines().count())
}

pub(crate) fn run_count(store: &Store, d: &Detail) -> usize {
    store.agents.get(&d.key).map_or(0, |a| a.runs.len())
}

/// The next (or previous) line after `from` that contains the search term.
pub fn find_match(store: &Store, d: &Detail, from: usize, forward: bool) -> Option<usize> {
    let needle = fold(&d.list.filter);
    if needle.is_empty() {
        return None;
    }
    let text = output_text(selected_run(store, d)?, d.alt);
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| fold(l).contains(&needle))
        .map(|(i, _)| i)
        .collect();
    if forward {
        hits.iter()
            .copied()
            .find(|i| *i > from)
            .or_else(|| hits.first().copied())
    } else {
        hits.iter()
            .rev()
            .copied()
            .find(|i| *i < from)
            .or_else(|| hits.last().copied())
    }
}

fn tag_style(p: &Painter, tag: &str) -> Style {
    let tags = &p.theme.tags;
    if tags.is_empty() {
        return p.theme.header.add_modifier(Modifier::REVERSED);
    }
    let h = tag.bytes().fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
    tags[h as usize % tags.len()].add_modifier(Modifier::REVERSED | Modifier::BOLD)
}

fn status_style(p: &Painter, s: AgentStatus) -> Style {
    match s {
        AgentStatus::Ok => p.theme.ok,
        AgentStatus::Running => p.theme.info,
        AgentStatus::Failed => p.theme.error,
        AgentStatus::Overdue | AgentStatus::Stale | AgentStatus::Cooldown => p.theme.warn,
        AgentStatus::Skipped | AgentStatus::Unknown => p.theme.dim,
    }
}

fn dur(ms: Option<i64>) -> String {
    ms.map_or("-".into(), |d| if d < 1000 { format!("{d}ms") } else { fmt::ago(d) })
}

/// Recent runs as bars: height = duration, failed runs in the error colour.
fn run_sparkline(p: &Painter, a: &Agent, width: usize) -> Vec<Span<'static>> {
    let recent: Vec<&Run> = a
        .runs
        .iter()
        .rev()
        .take(width)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let max = recent.iter().filter_map(|r| r.duration_ms).max().unwrap_or(0).max(1) as f64;
    let levels = p.glyphs.spark;
    recent
        .iter()
        .map(|r| {
            let h = r
                .duration_ms
                .map_or(0, |d| ((d as f64 / max) * (levels.len() - 1) as f64).round() as usize);
            let style = match r.outcome {
                Outcome::Failed => p.theme.error,
                Outcome::Running => p.theme.info,
                Outcome::Skipped => p.theme.dim,
                Outcome::Cooldown => p.theme.warn,
                Outcome::Ok => p.theme.spark,
            };
            Span::styled(levels[h.clamp(1, levels.len() - 1)], style)
        })
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, p: &Painter) {
    if p.store.agents.agents.is_empty() {
        super::empty::render(frame, area, p, Tab::Agents);
        return;
    }
    let t = p.theme;
    let g = p.glyphs;
    let list = &p.view.lists[3];
    let agents = visible(p.store, list, p.now);
    let title = list_title(p, agents.len(), list);
    let block = Block::bordered()
        .border_style(t.border)
        .border_set(g.border)
        .title(Line::styled(title, t.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let header = if w >= 90 {
        format!(
            "{:<9}{:<16}{:<13}{:<9}{:>5} {:>6} {:<9}{:>4} {:>8} {:>3} {:>4} runs",
            "tag", "name", "schedule", "state", "last", "dur", "trigger", "r/h", "ok/fail", "stk", "24h"
        )
    } else {
        format!(
            "{:<9}{:<14}{:<9}{:>5} {:>6} {:>8} runs",
            "tag", "name", "state", "last", "dur", "ok/fail"
        )
    };
    let mut lines = vec![Line::styled(fmt::fit(&header, w, g.ellipsis), t.header)];
    let rows = usize::from(inner.height.saturating_sub(1)) / 2;
    let selected = list.selected.min(agents.len().saturating_sub(1));
    let first = selected.saturating_sub(rows.saturating_sub(1));
    for (i, a) in agents.iter().enumerate().skip(first).take(rows.max(1)) {
        lines.extend(agent_lines(a, w, i == selected, p));
    }
    if p.store.agents.bad_events > 0 {
        lines.push(Line::styled(
            format!("{} unreadable events skipped (see the log)", p.store.agents.bad_events),
            t.warn,
        ));
    }
    if p.store.agents.throttled > 0 {
        lines.push(Line::styled(
            format!(
                "{} events over their subject's rate budget dropped",
                p.store.agents.throttled
            ),
            t.warn,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// An agent's two lines: its columns (the wide set from 90 cells) and a
/// sparkline of its runs, then what it last said.
fn agent_lines(a: &Agent, w: usize, selected: bool, p: &Painter) -> [Line<'static>; 2] {
    let t = p.theme;
    let g = p.glyphs;
    let wide = w >= 90;
    let status = a.status(p.now);
    let last = a.last_seen().map_or("-".into(), |t0| fmt::ago(p.now - t0));
    let run = a.last();
    let mut spans = vec![
        Span::styled(format!(" {} ", fmt::fit(&a.tag, 7, g.ellipsis)), tag_style(p, &a.tag)),
        Span::raw(" ".repeat(9usize.saturating_sub(fmt::fit(&a.tag, 7, g.ellipsis).chars().count() + 2))),
    ];
    let name_w = if wide { 16 } else { 14 };
    spans.push(Span::styled(
        format!("{:<name_w$}", fmt::fit(&a.name, name_w - 1, g.ellipsis)),
        t.title,
    ));
    if wide {
        spans.push(Span::styled(
            format!("{:<13}", fmt::fit(a.schedule.as_deref().unwrap_or("-"), 12, g.ellipsis)),
            t.dim,
        ));
    }
    spans.push(Span::styled(format!("{:<9}", status.as_str()), status_style(p, status)));
    spans.push(Span::styled(
        format!("{last:>5} {:>6} ", dur(run.and_then(|r| r.duration_ms))),
        t.text,
    ));
    if wide {
        let trig = run.map_or("", |r| r.trigger.as_str());
        spans.push(Span::styled(format!("{:<9}", fmt::fit(trig, 8, g.ellipsis)), t.dim));
        spans.push(Span::styled(format!("{:>4} ", a.runs_last_hour(p.now)), t.text));
    }
    spans.push(Span::styled(
        format!("{:>8} ", format!("{}/{}", a.ok, a.failed)),
        if a.failed > 0 { t.warn } else { t.text },
    ));
    if wide {
        let stk_style = if a.fail_streak >= p.store.agents.fail_streak_critical {
            t.critical
        } else if a.fail_streak > 0 {
            t.error
        } else {
            t.dim
        };
        spans.push(Span::styled(format!("{:>3} ", a.fail_streak), stk_style));
        let (pct, style) = match a.day.ok_pct() {
            None => ("-".to_string(), t.dim),
            Some(x) if x < 100.0 => (fmt::pct(x.floor()), t.warn),
            Some(x) => (fmt::pct(x), t.text),
        };
        spans.push(Span::styled(format!("{pct:>4} "), style));
    }
    let used: usize = spans.iter().map(Span::width).sum();
    spans.extend(run_sparkline(p, a, w.saturating_sub(used)));
    let mut l1 = Line::from(spans);
    let said = said(a, p, status, run);
    let mut l2 = Line::from(vec![
        Span::styled("  └ ", t.border),
        Span::styled(
            fmt::fit(&said, w.saturating_sub(4), g.ellipsis),
            if status == AgentStatus::Failed { t.error } else { t.dim },
        ),
    ]);
    if selected {
        l1 = l1.patch_style(t.selected);
        l2 = l2.patch_style(t.selected);
    }
    [l1, l2]
}

/// What an agent last said, or why it says nothing.
fn said(a: &Agent, p: &Painter, status: AgentStatus, run: Option<&Run>) -> String {
    let process_missing = crate::store::agents::process_present(a, &p.store.hosts) == Some(false);
    let said = match (run, &a.heartbeat_error) {
        (_, Some(e)) => e.clone(),
        _ if a.unit_error.is_some() => a.unit_error.clone().unwrap_or_default(),
        _ if process_missing => format!("no process matching {:?}", a.process.as_deref().unwrap_or("")),
        _ if status == AgentStatus::Overdue => {
            let next = a.due.next.map(|t0| format!(", next due in {}", fmt::ago(t0 - p.now)));
            format!(
                "{}{}",
                crate::store::agents::missed_words(a, p.now),
                next.unwrap_or_default()
            )
        }
        _ if status == AgentStatus::Stale => format!(
            "no run or heartbeat for {} (max {})",
            a.last_seen().map_or("ever".into(), |t0| fmt::ago(p.now - t0)),
            a.heartbeat_max_age_ms.map_or("-".into(), fmt::ago)
        ),
        (Some(r), _) if r.outcome == Outcome::Running => match r.started_at {
            Some(t0) => format!("running for {}", fmt::ago(p.now - t0)),
            None => "running".into(),
        },
        (Some(r), _) if !r.extracted.is_empty() => r.extracted.clone(),
        (Some(_), _) => "(no output)".into(),
        (None, _) if a.last_heartbeat.is_some() => "alive (heartbeats, no runs seen)".into(),
        (None, _) => "no runs seen yet".into(),
    };
    let said = match &a.blocked_by {
        Some(cause) => format!("blocked by {cause}; {said}"),
        None => said,
    };
    match a.clock_skew {
        0 => said,
        n => format!("clock skew ({n} dropped): {}", said.trim_start_matches("clock skew: ")),
    }
}

/// "847 runs 24h, 94.2 % ok, avg 3.2 s": the day's numbers, once there are runs.
pub(crate) fn day_totals(d: &DayStats) -> Option<String> {
    let pct = d.ok_pct()?;
    let avg = d.avg_ms().map(|ms| format!(", avg {}", secs(ms))).unwrap_or_default();
    Some(format!("{} runs 24h, {pct:.1} % ok{avg}", fmt::grouped(d.runs)))
}

/// A duration in words a person reads at a glance: "450 ms", "3.2 s", "4m".
fn secs(ms: f64) -> String {
    match ms {
        x if x < 1000.0 => format!("{x:.0} ms"),
        x if x < 60_000.0 => format!("{:.1} s", x / 1000.0),
        x => fmt::ago(x as i64),
    }
}

/// The detail's bottom line: the day's numbers of one daemon.
fn day_line(a: &Agent) -> String {
    let d = &a.day;
    let Some(totals) = day_totals(d) else {
        return " no finished runs in 24h ".into();
    };
    let p95 = d
        .p95_ms
        .map(|x| format!(", p95 {}", secs(x as f64)))
        .unwrap_or_default();
    let timeouts = match (d.timeouts, a.timeout_ms) {
        (0, None) => String::new(),
        (n, Some(max)) => format!(", {n} timeouts (over {})", fmt::ago(max)),
        (n, None) => format!(", {n} timeouts"),
    };
    format!(" {totals}{p95}{timeouts} ")
}

/// The frame's title: counts, the day's totals, sort and filter.
fn list_title(p: &Painter, shown: usize, list: &ListView) -> String {
    let g = p.glyphs;
    let hidden = p.store.agents.not_shown();
    format!(
        " Agents {}/{}{}{} {} sort {}{} ",
        shown,
        p.store.agents.agents.len(),
        day_totals(&p.store.agents.day).map_or(String::new(), |d| format!(" {} {d}", g.sep)),
        if hidden > 0 {
            format!(" {} +{} more not shown", g.sep, fmt::grouped(hidden as u64))
        } else {
            String::new()
        },
        g.sep,
        AgentSort::from_index(list.sort).label(),
        if list.filter.is_empty() {
            String::new()
        } else {
            format!(" {} filter \"{}\"", g.sep, list.filter)
        }
    )
}

pub(crate) fn render_detail(frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
    let t = p.theme;
    let g = p.glyphs;
    let Some(a) = p.store.agents.get(&d.key) else {
        frame.render_widget(Paragraph::new(format!("{} is gone", d.key)).style(t.dim), area);
        return;
    };
    let status = a.status(p.now);
    let title = Line::from(vec![
        Span::styled(format!(" {} ", a.tag), tag_style(p, &a.tag)),
        Span::styled(format!(" {} ", a.name), t.title),
        Span::styled(status.as_str().to_string(), status_style(p, status)),
        Span::styled(
            format!(
                " {} ok {} fail {} streak {} {} {} ",
                g.sep,
                a.ok,
                a.failed,
                a.fail_streak,
                g.sep,
                a.schedule.as_deref().unwrap_or("no schedule")
            ) + &next_words(a, p.now),
            t.dim,
        ),
    ]);
    let block = Block::bordered()
        .border_style(t.border)
        .border_set(g.border)
        .title(title)
        .title_bottom(Line::styled(day_line(a), t.dim));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let hist_h = (a.runs.len() as u16 + 2).min(inner.height / 3).max(3);
    let [hist, out] = Layout::vertical([Constraint::Length(hist_h), Constraint::Min(1)]).areas(inner);

    let sel = d.list.selected.min(a.runs.len().saturating_sub(1));
    render_runs(frame, hist, p, a, sel);

    let Some(run) = runs(a).nth(sel) else {
        frame.render_widget(Paragraph::new("no runs seen yet").style(t.dim), out);
        return;
    };
    render_output(frame, out, p, run, d);
}

/// "missed 2 runs, last 47m ago, next due in 13m " or "next run in 4m ".
fn next_words(a: &Agent, now: i64) -> String {
    let next = a.due.next.or(a.next_run);
    let when = |t0: i64| fmt::ago(t0 - now);
    match next {
        Some(t0) if a.due.missed > 0 => {
            format!(
                "{}, next due in {} ",
                crate::store::agents::missed_words(a, now),
                when(t0)
            )
        }
        Some(t0) if t0 <= now => "next run due now ".into(),
        Some(t0) => format!("next run in {} ", when(t0)),
        None => String::new(),
    }
}

/// The runs, newest first, the chosen one highlighted.
fn render_runs(frame: &mut Frame, hist: Rect, p: &Painter, a: &Agent, sel: usize) {
    let t = p.theme;
    let g = p.glyphs;
    let all: Vec<&Run> = runs(a).collect();
    let columns: Vec<Column<&Run>> = vec![
        Column::new("when", Fixed(10), |r: &&Run| {
            let when = r.at().map_or("-".into(), |x| format!("{} ago", fmt::ago(p.now - x)));
            Span::styled(when, t.text).into()
        }),
        Column::new("trigger", Fixed(15), |r: &&Run| {
            Span::styled(fmt::fit(&r.trigger, 14, g.ellipsis), t.dim).into()
        }),
        Column::new("dur", Fixed(7), |r: &&Run| {
            Span::styled(dur(r.duration_ms), t.text).into()
        }),
        Column::new("exit", Fixed(5), |r: &&Run| {
            Span::styled(r.exit_code.map_or("-".into(), |c| c.to_string()), t.text).into()
        }),
        Column::new("outcome", Fixed(8), |r: &&Run| {
            let (word, style) = match r.outcome {
                Outcome::Ok => ("ok", t.ok),
                Outcome::Failed if r.timed_out => ("timeout", t.error),
                Outcome::Failed => ("failed", t.error),
                Outcome::Running => ("running", t.info),
                Outcome::Skipped => ("skipped", t.dim),
                Outcome::Cooldown => ("cooldown", t.warn),
            };
            Span::styled(word, style).into()
        }),
        Column::new("said", Min(5), |r: &&Run| {
            Span::styled(r.extracted.clone(), t.dim).into()
        }),
    ];
    let dropped = if a.runs_dropped > 0 {
        format!(" ({} older runs not kept)", a.runs_dropped)
    } else {
        String::new()
    };
    let block = Block::default().title(Line::styled(
        format!(" runs, newest first{dropped}; Left/Right chooses "),
        t.dim,
    ));
    Table::new(columns, t.header, t.selected)
        .block(block)
        .render(frame, hist, &all, sel);
}

/// The chosen run's output (raw or extracted), search hits highlighted.
fn render_output(frame: &mut Frame, out: Rect, p: &Painter, run: &Run, d: &Detail) {
    let t = p.theme;
    let g = p.glyphs;
    let text = output_text(run, d.alt);
    let needle = fold(&d.list.filter);
    let total = text.lines().count();
    let view_h = usize::from(out.height.saturating_sub(1));
    let top = d.scroll.min(total.saturating_sub(view_h.max(1)));
    let mode = if d.alt { "extracted" } else { "raw" };
    let search = if needle.is_empty() {
        String::new()
    } else {
        format!(" {} search \"{}\" (n/N)", g.sep, d.list.filter)
    };
    let head = format!(
        " output ({mode}, x toggles) lines {}-{} of {total}{search} ",
        (top + 1).min(total),
        (top + view_h).min(total)
    );
    let mut lines = vec![Line::styled(
        fmt::fit(&head, usize::from(out.width), g.ellipsis),
        t.header,
    )];
    for l in text.lines().skip(top).take(view_h) {
        lines.push(highlight(l, &needle, p));
    }
    frame.render_widget(Paragraph::new(lines), out);
}

/// A line with every case-insensitive hit of `needle` highlighted.
fn highlight(line: &str, needle: &str, p: &Painter) -> Line<'static> {
    let t = p.theme;
    let mut spans = Vec::new();
    let mut at = 0;
    for (s, e) in hits(line, needle) {
        spans.push(Span::styled(line[at..s].to_string(), t.text));
        spans.push(Span::styled(line[s..e].to_string(), t.highlight));
        at = e;
    }
    spans.push(Span::styled(line[at..].to_string(), t.text));
    Line::from(spans)
}

/// Lower-cased a character at a time, as [`hits`] searches.
fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// The byte ranges of `line` (on its character boundaries) that hold a
/// case-insensitive hit of the lower-cased `needle`. Lower-casing can change
/// a character's length ('İ' is two bytes, "i̇" three), so the search runs
/// on a folded copy whose every byte knows the character it came from.
fn hits(line: &str, needle: &str) -> Vec<(usize, usize)> {
    if needle.is_empty() {
        return Vec::new();
    }
    let mut lower = String::with_capacity(line.len());
    // For each byte of `lower`: the start and end of its character in `line`.
    let mut from: Vec<(usize, usize)> = Vec::with_capacity(line.len());
    for (i, c) in line.char_indices() {
        for l in c.to_lowercase() {
            lower.push(l);
            from.extend(std::iter::repeat_n((i, i + c.len_utf8()), l.len_utf8()));
        }
    }
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(needle) {
        let (s, e) = (at + i, at + i + needle.len());
        let start = from[s].0.max(out.last().map_or(0, |h| h.1));
        let end = from[e - 1].1;
        if start < end {
            out.push((start, end));
        }
        at = e;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{fold, hits, output_text};
    use crate::store::agents::{Outcome, Run};
    use crate::update::agents::MAX_OUTPUT;

    #[test]
    fn a_run_dropped_for_the_budget_says_so() {
        // What the store leaves of a run whose output the budget took.
        let run = Run {
            started_at: None,
            finished_at: Some(0),
            duration_ms: None,
            exit_code: None,
            trigger: String::new(),
            outcome: Outcome::Ok,
            output: String::new(),
            output_cut: MAX_OUTPUT,
            extracted: String::new(),
            timed_out: false,
        };
        let text = output_text(&run, false);
        assert!(text.contains("1048576 bytes") && text.contains("budget"), "{text}");
    }

    #[test]
    fn search_hits_fall_on_character_boundaries() {
        // 'İ' and 'Å' (the Kelvin-like Angstrom sign) change byte length
        // when lower-cased: the hit is found in the folded copy and mapped
        // back to the original characters.
        let line = "\u{130}a\u{212B}";
        let h = hits(line, "a");
        assert_eq!(h, vec![(2, 3)], "the 'a' only");
        assert_eq!(&line[2..3], "a");
        assert_eq!(hits(line, &fold("å")), vec![(3, 6)], "the Angstrom sign is a case of å");
        assert_eq!(hits(line, &fold("\u{130}")), vec![(0, 2)]);
        // A hit inside one character's expansion marks the whole character.
        assert_eq!(hits("x\u{130}x", "\u{307}"), vec![(1, 3)]);
        assert_eq!(hits("ABab", "ab"), vec![(0, 2), (2, 4)]);
        assert!(hits("abc", "").is_empty());
        assert!(hits("", "a").is_empty());
    }
}
