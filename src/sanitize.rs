//! Makes a string from outside (process names, GPU names, log lines, metric
//! labels, …) safe to draw: nothing in it may reach the terminal as a control
//! sequence.
//!
//! Removed entirely, introducer and all:
//! - CSI `ESC [` (and 8-bit U+009B) with its parameter and intermediate bytes
//!   and its final byte (colours, cursor moves, screen clears);
//! - OSC `ESC ]` (U+009D), DCS `ESC P` (U+0090), SOS `ESC X` (U+0098), PM
//!   `ESC ^` (U+009E) and APC `ESC _` (U+009F) with their payload, up to BEL,
//!   ST (`ESC \` or U+009C) or the end of the input (window titles,
//!   hyperlinks, clipboard writes, sixel, …);
//! - other escape sequences: `ESC` + intermediates (0x20–0x2F) + one final
//!   byte (0x30–0x7E), e.g. `ESC c` (reset) or `ESC ( B`;
//! - a lone `ESC`, all other C0 and C1 controls and DEL;
//! - Unicode bidirectional controls (U+200E, U+200F, U+202A–U+202E,
//!   U+2066–U+2069), which would reorder the rest of the drawn line.
//!
//! Work is one pass over the input, output is never longer than the input
//! (but for tab expansion in [`sanitize_multiline`]), and no input panics.

use std::iter::Peekable;
use std::str::Chars;

const ESC: char = '\u{1b}';
const BEL: char = '\u{07}';
const ST: char = '\u{9c}';

/// One line: escape sequences and control characters removed; tab, CR, LF
/// and CRLF each become one space.
pub fn sanitize(s: &str) -> String {
    clean(s, false)
}

/// A one-line string from outside, safe to draw, log or print: only the
/// sanitiser makes one (deserialising one sanitises it too), so a model
/// string of this type cannot have skipped it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Clean(String);

impl Clean {
    pub fn new(s: &str) -> Self {
        Clean(sanitize(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Clean {
    fn from(s: &str) -> Self {
        Clean::new(s)
    }
}

impl From<String> for Clean {
    fn from(s: String) -> Self {
        Clean::new(&s)
    }
}

impl std::ops::Deref for Clean {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Clean {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Clean {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Clean {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<'de> serde::Deserialize<'de> for Clean {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Clean::new(&s))
    }
}

/// [`sanitize`], then at most `max` characters (the head is kept).
pub(crate) fn sanitize_max(s: &str, max: usize) -> String {
    let mut out = sanitize(s);
    if let Some((cut, _)) = out.char_indices().nth(max) {
        out.truncate(cut);
    }
    out
}

/// Like [`sanitize`] but keeps line breaks: CRLF and a lone CR become `\n`,
/// and tabs are expanded with spaces to the next multiple of 8 columns
/// (columns counted in characters since the last line break).
pub(crate) fn sanitize_multiline(s: &str) -> String {
    clean(s, true)
}

fn clean(s: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut col = 0usize;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            ESC => escape(&mut it),
            '\u{9b}' => skip_csi(&mut it),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut it),
            '\t' if multiline => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\t' => out.push(' '),
            '\r' | '\n' => {
                if c == '\r' && it.peek() == Some(&'\n') {
                    it.next();
                }
                out.push(if multiline { '\n' } else { ' ' });
                col = 0;
            }
            c if c.is_control() || is_bidi_control(c) => {}
            c => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// After an `ESC`: skips the rest of the sequence it starts. A lone `ESC`
/// (at the end, or before a control or non-ASCII character) is dropped and
/// the next character is left for the caller.
fn escape(it: &mut Peekable<Chars<'_>>) {
    match it.peek().copied() {
        Some('[') => {
            it.next();
            skip_csi(it);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            it.next();
            skip_string(it);
        }
        Some('\u{20}'..='\u{2f}') => {
            while it.next_if(|c| ('\u{20}'..='\u{2f}').contains(c)).is_some() {}
            it.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        Some('\u{30}'..='\u{7e}') => {
            it.next();
        }
        _ => {}
    }
}

/// After a CSI introducer: parameter bytes (0x30–0x3F) and intermediate
/// bytes (0x20–0x2F), then one final byte (0x40–0x7E). Anything else ends
/// the (malformed) sequence and is left for the caller.
fn skip_csi(it: &mut Peekable<Chars<'_>>) {
    while it.next_if(|c| ('\u{20}'..='\u{3f}').contains(c)).is_some() {}
    it.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// After an OSC/DCS/SOS/PM/APC introducer: everything up to and including
/// BEL, `ESC \` or U+009C. An `ESC` followed by anything else ends the
/// string and is left for the caller, as the start of the next sequence.
fn skip_string(it: &mut Peekable<Chars<'_>>) {
    loop {
        let mut ahead = it.clone();
        match ahead.next() {
            None | Some(BEL | ST) => {
                *it = ahead;
                return;
            }
            Some(ESC) => {
                if ahead.next() == Some('\\') {
                    *it = ahead;
                }
                return;
            }
            Some(_) => *it = ahead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_safe(s: &str, multiline: bool) -> bool {
        s.chars()
            .all(|c| !(c.is_control() || is_bidi_control(c)) || (multiline && c == '\n'))
    }

    #[test]
    fn clean_strings_are_sanitised_however_they_are_made() {
        assert_eq!(Clean::new("a\x1b[31mb\nc"), "ab c");
        let c: Clean = serde_json::from_str(r#""x\u001b]0;t\u0007y""#).unwrap();
        assert_eq!(c, "xy");
        assert_eq!(serde_json::to_string(&c).unwrap(), r#""xy""#);
        assert_eq!(sanitize_max("é\x1bcàbc", 2), "éà");
    }

    #[test]
    fn window_title_osc_is_removed_with_its_payload() {
        assert_eq!(sanitize("\x1b]0;pwned title\x07python"), "python");
        assert_eq!(sanitize("a\x1b]2;title\x1b\\b"), "ab");
        assert_eq!(sanitize("a\u{9d}0;title\u{9c}b"), "ab");
        assert_eq!(sanitize("x\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\y"), "xlinky");
        // Unterminated: the terminal would swallow the rest, so do we.
        assert_eq!(sanitize("a\x1b]0;never ends"), "a");
        // A new escape sequence ends it.
        assert_eq!(sanitize("\x1b]0;t\x1b[31mred\x1b[0m"), "red");
    }

    #[test]
    fn screen_clear_and_reset_are_removed() {
        assert_eq!(sanitize("a\x1b[2J\x1b[Hb"), "ab");
        assert_eq!(sanitize("a\x1b[3J\x1b[1;1Hb"), "ab");
        assert_eq!(sanitize("\x1bcclean"), "clean");
        assert_eq!(sanitize("\x1b[?1049hfull\x1b[?25l"), "full");
    }

    #[test]
    fn colour_codes_are_removed() {
        assert_eq!(sanitize("\x1b[1;31mred\x1b[0m text"), "red text");
        assert_eq!(sanitize("\x1b[38;2;255;0;0mX\x1b[m"), "X");
        assert_eq!(sanitize("\x1b[38:5:196mY"), "Y");
    }

    #[test]
    fn c1_controls_are_removed() {
        assert_eq!(sanitize("\u{9b}31mred\u{9b}0m"), "red");
        assert_eq!(sanitize("a\u{85}b\u{8d}c\u{9c}d"), "abcd");
        assert_eq!(sanitize("\u{90}q#0;2\u{9c}after"), "after");
        assert_eq!(sanitize("\u{9f}apc\x07z"), "z");
    }

    #[test]
    fn lone_escape_at_the_end_and_other_escapes() {
        assert_eq!(sanitize("abc\x1b"), "abc");
        assert_eq!(sanitize("\x1b"), "");
        assert_eq!(sanitize("\x1b[31"), "");
        assert_eq!(sanitize("a\x1b\x1b[mb"), "ab");
        assert_eq!(sanitize("\x1b(Bok\x1b)0"), "ok");
        assert_eq!(sanitize("\x1b7save\x1b8"), "save");
        assert_eq!(sanitize("\x1bPq#0;2;0;0;0\x1b\\after"), "after");
        assert_eq!(sanitize("\x1b_apc\x1b\\_"), "_");
        assert_eq!(sanitize("a\x1bé"), "aé");
        assert_eq!(sanitize("\x1b[31\u{0}m"), "m");
    }

    #[test]
    fn controls_and_line_breaks_on_one_line() {
        assert_eq!(sanitize("a\u{0}b\x07c\x7fd\x08e"), "abcde");
        assert_eq!(sanitize("a\tb\nc\r\nd\re"), "a b c d e");
        assert_eq!(sanitize("rtl\u{202e}txet\u{2066}x"), "rtltxetx");
        assert_eq!(sanitize("héllo 世界 🚀"), "héllo 世界 🚀");
        assert_eq!(sanitize(""), "");
    }

    #[test]
    fn multiline_keeps_newlines_and_expands_tabs() {
        assert_eq!(sanitize_multiline("ab\tc\r\nd\re\n\tx"), "ab      c\nd\ne\n        x");
        assert_eq!(sanitize_multiline("12345678\ty"), "12345678        y");
        assert_eq!(sanitize_multiline("\x1b[31mé\x1b[0m\tz"), "é       z");
        assert_eq!(sanitize_multiline("a\r\rb"), "a\n\nb");
        assert_eq!(sanitize_multiline("a\x1b]0;t\x07\u{0}b\n"), "ab\n");
    }

    #[test]
    fn huge_hostile_input_is_linear_and_safe() {
        let evil = "\x1b]0;".repeat(50_000) + &"\x1b[".repeat(50_000) + &"\u{9b}1;".repeat(50_000) + "\x07end";
        assert_eq!(sanitize(&evil), "end");
        let tabs = "\t".repeat(10_000);
        assert_eq!(sanitize_multiline(&tabs).len(), 80_000);
    }

    /// Every prefix of a nasty sample and 20 000 pseudo-random strings built
    /// from escape-heavy pieces: no panic, nothing unsafe left, and the
    /// one-line form has no line breaks.
    #[test]
    fn no_panic_and_nothing_unsafe_on_any_prefix_or_random_input() {
        let sample = "ok\x1b]0;t\x07\x1b[1;31mr\u{9b}2J\u{9d}x\u{9c}\x1bP\x1b\\\x1b(B\t\r\n\u{202e}é世\x1b";
        let mut cut = 0;
        while cut <= sample.len() {
            if sample.is_char_boundary(cut) {
                let one = sanitize(&sample[..cut]);
                let multi = sanitize_multiline(&sample[..cut]);
                assert!(is_safe(&one, false), "{cut}: {one:?}");
                assert!(is_safe(&multi, true), "{cut}: {multi:?}");
            }
            cut += 1;
        }
        let pieces = [
            "\x1b", "[", "]", "P", "\\", "\x07", "\u{9b}", "\u{9c}", "\u{9d}", "\u{90}", "0", ";", "m", "a", "é", "\t",
            "\r", "\n", "\u{0}", "\u{7f}", "\u{85}", "\u{202e}", " ", "(", "?", "世",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(x % 24) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push_str(pieces[(x % pieces.len() as u64) as usize]);
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let one = sanitize(&s);
            let multi = sanitize_multiline(&s);
            assert!(is_safe(&one, false), "{s:?} -> {one:?}");
            assert!(is_safe(&multi, true), "{s:?} -> {multi:?}");
            assert!(one.chars().count() <= s.chars().count());
        }
    }
}
