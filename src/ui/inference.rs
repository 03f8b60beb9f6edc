//! A host's inference server on its drill-down (the last 15 minutes as
//! sparklines with now / avg / peak; an Ollama server's loaded models), and
//! the one line a Fleet tile has room for ([`tile_text`]).
//!
//! ```text
//! ─ inference • 2 running • 3 waiting • 14m of history ────────────────
//! tok/s  ▁▂▃▅▇█▇▅▃▂▁▁▂▃▅▇   now 120   avg 80    peak 240
//! queue  ▁▁▂▃▂▁▁▁▁▂▃▂▁▁▁▁   now 3     avg 1.2   peak 7
//! errors ▁▁▁▁▁▁▅▁▁▁▁▁▁▁▁▁   now 0/min avg 0.1/min · 2 failed in 15m
//! ─ ollama 0.11.4 • 1 model loaded ────────────────────────────────────
//! gemma3:latest     5.6G  VRAM 5.6G 100%  4.3B Q4_K_M
//! ```

use super::widgets::sparkline;
use super::{Painter, fmt};
use crate::model::{HostSample, Ollama};
use crate::store::HostEntry;
use crate::store::inference::{Series, Stats, WINDOW_MS};
use ratatui::text::{Line, Span};

/// Models listed on the drill-down at most.
const MODELS_SHOWN: usize = 3;
/// Cells right of a sparkline: now / avg / peak.
const NUMBERS: usize = 44;

/// How many rows [`lines`] takes for this sample (0: nothing to show).
pub(crate) fn height(s: &HostSample) -> u16 {
    let counters = if s.inference.is_some() {
        4
    } else {
        u16::from(s.inference_error.is_some())
    };
    let ollama = s
        .ollama
        .as_ref()
        .map_or(0, |o| 1 + o.models.len().clamp(1, MODELS_SHOWN) as u16);
    counters + ollama
}

/// The drill-down's inference rows, `width` cells wide.
pub(crate) fn lines(h: &HostEntry, s: &HostSample, width: usize, p: &Painter) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(inf) = &s.inference {
        let n = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.0}"));
        let span = h.inference_history.span_ms(p.now);
        let mut title = format!(
            "inference {sep} {} running {sep} {} waiting",
            n(inf.running),
            n(inf.waiting),
            sep = p.glyphs.sep
        );
        if span > 0 {
            title.push_str(&format!(" {} {} of history", p.glyphs.sep, fmt::ago(span)));
        }
        out.push(rule(&title, width, p));
        let spark_w = width.saturating_sub(7 + NUMBERS).max(8);
        for (label, series, unit) in [
            ("tok/s", Series::TokensPerS, ""),
            ("queue", Series::Waiting, ""),
            ("errors", Series::ErrorsPerMin, "/min"),
        ] {
            out.push(series_line(h, label, series, unit, spark_w, p));
        }
    } else if let Some(e) = &s.inference_error {
        let text = format!("metrics: {e}");
        out.push(Line::styled(fmt::fit(&text, width, p.glyphs.ellipsis), p.theme.error));
    }
    if let Some(o) = &s.ollama {
        out.extend(ollama_lines(o, width, p));
    }
    out
}

/// A rule across the width with the title in it, as a section's top.
fn rule(title: &str, width: usize, p: &Painter) -> Line<'static> {
    let h = p.glyphs.border.horizontal_top;
    let head = format!("{h} {} ", fmt::fit(title, width.saturating_sub(4), p.glyphs.ellipsis));
    let fill = width.saturating_sub(head.chars().count());
    Line::from(vec![
        Span::styled(head, p.theme.title),
        Span::styled(h.repeat(fill), p.theme.border),
    ])
}

fn number(v: f64, unit: &str) -> String {
    if v >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}{unit}")
    } else {
        format!("{v:.1}{unit}")
    }
}

/// A label, the window as a sparkline, and now / avg / peak.
fn series_line(h: &HostEntry, label: &str, series: Series, unit: &str, w: usize, p: &Painter) -> Line<'static> {
    let t = p.theme;
    let mut spans = vec![Span::styled(format!("{label:<7}"), t.header)];
    let hist = &h.inference_history;
    match hist.stats(series, p.now) {
        Some(Stats { current, avg, peak }) => {
            let cells = hist.slices(series, p.now, w);
            let style = if series == Series::ErrorsPerMin && peak > 0.0 {
                t.warn
            } else {
                t.text
            };
            spans.push(Span::styled(sparkline(p.glyphs, &cells, w), style));
            let mut nums = format!(
                " now {:<8} avg {:<8} peak {}",
                number(current, unit),
                number(avg, unit),
                number(peak, unit)
            );
            if series == Series::ErrorsPerMin
                && let Some(f) = hist.failed_in_window(p.now)
            {
                nums = format!(
                    " now {:<8} avg {:<8} {:.0} failed in {}m",
                    number(current, unit),
                    number(avg, unit),
                    f,
                    WINDOW_MS / 60_000
                );
            }
            spans.push(Span::styled(nums, t.text));
        }
        None if series == Series::ErrorsPerMin && !has_failure_counter(h) => {
            spans.push(Span::styled("not counted by this server", t.dim));
        }
        None => spans.push(Span::styled("no rate yet", t.dim)),
    }
    Line::from(spans)
}

fn has_failure_counter(h: &HostEntry) -> bool {
    h.cur
        .as_ref()
        .and_then(|s| s.inference)
        .is_some_and(|i| i.failed_total.is_some())
        || h.pushed.is_some_and(|p| p.errors_per_min.is_some())
}

/// An Ollama server's title rule and its biggest loaded models.
fn ollama_lines(o: &Ollama, width: usize, p: &Painter) -> Vec<Line<'static>> {
    let t = p.theme;
    let g = p.glyphs;
    let version = o.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
    let n = o.models.len();
    let title = format!(
        "ollama{version} {} {n} model{} loaded",
        g.sep,
        if n == 1 { "" } else { "s" }
    );
    let mut out = vec![rule(&title, width, p)];
    if o.models.is_empty() {
        out.push(Line::styled("no model loaded", t.dim));
    }
    for m in o.models.iter().take(MODELS_SHOWN) {
        let vram = match m.vram_bytes {
            Some(v) if m.size_bytes > 0 => format!(
                "VRAM {} {}",
                fmt::bytes(v),
                fmt::pct(crate::model::pct(v, m.size_bytes))
            ),
            _ => "CPU only".into(),
        };
        let text = format!(
            "{:<24} {:>6}  {:<16} {} {}",
            fmt::fit(&m.name, 24, g.ellipsis),
            fmt::bytes(m.size_bytes),
            vram,
            m.parameter_size,
            m.quantization
        );
        out.push(Line::styled(fmt::fit(&text, width, g.ellipsis), t.text));
    }
    out
}

/// The tile's one line on the host's inference server: tokens/s, running,
/// waiting, failed per minute where counted; or the Ollama models loaded.
/// `None` when the host has no such server. (Called by the Fleet tile.)
pub(crate) fn tile_text(h: &HostEntry, s: &HostSample) -> Option<String> {
    if let Some(inf) = &s.inference {
        let tps = h.tokens_per_s().map_or("- tok/s".into(), |v| format!("{v:.0} tok/s"));
        let n = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.0}"));
        let mut text = format!("{tps}  {} run  {} wait", n(inf.running), n(inf.waiting));
        if let Some(e) = h.errors_per_min().filter(|e| *e > 0.0) {
            text.push_str(&format!("  {} err/min", number(e, "")));
        }
        return Some(text);
    }
    let o = s.ollama.as_ref()?;
    let total: u64 = o.models.iter().map(|m| m.size_bytes).sum();
    Some(match o.models.first() {
        None => "ollama: no model loaded".into(),
        Some(m) if o.models.len() == 1 => format!("ollama {} {}", m.name, fmt::bytes(total)),
        Some(m) => format!("ollama {} +{} {}", m.name, o.models.len() - 1, fmt::bytes(total)),
    })
}
