//! Numbers in the few characters a cell has.

/// 1536 → "1.5K", binary units, at most 5 characters.
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 7] = ["B", "K", "M", "G", "T", "P", "E"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b}B")
    } else if v < 10.0 {
        format!("{v:.1}{}", UNITS[u])
    } else {
        format!("{v:.0}{}", UNITS[u])
    }
}

/// used/total with one unit: "6.1/15G".
pub(crate) fn used_total(used: u64, total: u64) -> String {
    let (u, t) = (bytes(used), bytes(total));
    match (u.strip_suffix(|c: char| c.is_alphabetic()), t.chars().last()) {
        (Some(num), Some(unit)) if u.ends_with(unit) => format!("{num}/{t}"),
        _ => format!("{u}/{t}"),
    }
}

pub fn rate(bytes_per_s: f64) -> String {
    format!("{}/s", bytes(bytes_per_s.max(0.0) as u64))
}

/// Milliseconds → "4s", "3m", "2h", "5d": how long ago, in one unit.
pub fn ago(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Seconds → "3d4h", "5h12m", "7m".
pub fn uptime(s: u64) -> String {
    let (d, h, m) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60);
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m}m")
    } else {
        format!("{m}m")
    }
}

/// A percentage in 0..=999 (NaN as 0).
pub(crate) fn pct(p: f64) -> String {
    format!("{:.0}%", if p.is_nan() { 0.0 } else { p.clamp(0.0, 999.0) })
}

/// A count with thousands separated: `2,800`.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cuts a string to `width` display cells, ending with `ellipsis` if cut.
/// Cells are counted for the whole prefix, not summed per character: a
/// character can widen the one before it (U+FE0F makes "0" two cells).
pub fn fit(s: &str, width: usize, ellipsis: &str) -> String {
    use unicode_width::UnicodeWidthStr;
    if s.width() <= width {
        return s.to_string();
    }
    let keep = width.saturating_sub(ellipsis.width());
    // The longest prefix that fits, by bisection: `lo` always fits.
    let (mut lo, mut hi) = (0, s.len());
    while lo < hi {
        let mid = s.ceil_char_boundary(lo + (hi - lo).div_ceil(2));
        if s[..mid].width() <= keep {
            lo = mid;
        } else {
            hi = s.floor_char_boundary(mid - 1);
        }
    }
    let mut out = s[..lo].to_string();
    if width >= ellipsis.width() {
        out.push_str(ellipsis);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(bytes(16 * 1024 * 1024 * 1024), "16G");
        assert_eq!(used_total(6_550_000_000, 16_600_000_000), "6.1/15G");
        assert_eq!(used_total(657 << 20, 24 << 30), "657M/24G");
        assert_eq!(ago(59_000), "59s");
        assert_eq!(ago(240_000), "4m");
        assert_eq!(uptime(3 * 86_400 + 4 * 3600 + 5), "3d4h");
        assert_eq!(fit("abcdefgh", 5, "~"), "abcd~");
        assert_eq!(fit("abc", 5, "~"), "abc");
        assert_eq!(fit("漢字漢字", 5, "~"), "漢字~");
    }

    /// U+FE0F makes the character before it two cells wide: counted per
    /// character, "0\u{fe0f}" fitted one cell and drew two.
    #[test]
    fn fit_counts_cells_in_context() {
        use unicode_width::UnicodeWidthStr;
        assert_eq!(fit("0\u{fe0f}", 1, ""), "0");
        let f = fit(&"0\u{fe0f}".repeat(10), 7, "~");
        assert_eq!((f.as_str(), f.width()), ("0\u{fe0f}0\u{fe0f}0\u{fe0f}~", 7));
    }

    #[test]
    fn numbers_from_outside_at_their_ends() {
        assert_eq!(ago(i64::MIN), "0s", "a time in the future is not an age");
        assert_eq!(ago(-1), "0s");
        assert_eq!(ago(i64::MAX), "106751991167d");
        assert_eq!(uptime(u64::MAX), "213503982334601d7h");
        assert_eq!(bytes(u64::MAX), "16E");
        assert_eq!(used_total(u64::MAX, 0), "16E/0B");
        assert_eq!(rate(f64::NAN), "0B/s");
        assert_eq!(rate(f64::INFINITY), "16E/s");
        assert_eq!(rate(-1e300), "0B/s");
        assert_eq!(pct(f64::INFINITY), "999%");
        assert_eq!(pct(-5.0), "0%");
        assert_eq!(pct(f64::NAN), "0%");
    }
}
