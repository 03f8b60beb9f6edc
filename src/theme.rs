//! Themes (`themes/*.toml`, built in with `include_str!`), the terminal's
//! colour depth, and the glyph sets for Unicode, the Linux console and ASCII.

/// The built-in themes: (name, text).
pub use crate::prefs::THEMES as BUILTIN;
use crate::prefs::{GlyphMode, builtin_theme, expand_tilde, line_col};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Depth {
    Mono,
    Ansi16,
    Ansi256,
    True,
}

/// What the environment says about the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermEnv {
    pub term: String,
    pub colorterm: String,
    pub no_color: bool,
    pub utf8: bool,
}

impl TermEnv {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .map(|k| var(k))
            .find(|v| !v.is_empty());
        TermEnv {
            term: var("TERM"),
            colorterm: var("COLORTERM"),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            // No locale at all (a bare ssh command) is taken as UTF-8: every
            // terminal of the last decade is; an explicit non-UTF-8 one is not.
            utf8: locale.is_none_or(|l| {
                let l = l.to_ascii_lowercase();
                l.contains("utf-8") || l.contains("utf8")
            }),
        }
    }

    pub(crate) fn is_linux_console(&self) -> bool {
        self.term == "linux"
    }

    pub fn depth(&self) -> Depth {
        if self.no_color || self.term == "dumb" {
            Depth::Mono
        } else if self.is_linux_console() || self.term.starts_with("vt") || self.term == "ansi" {
            Depth::Ansi16
        } else if matches!(self.colorterm.as_str(), "truecolor" | "24bit") {
            Depth::True
        } else {
            Depth::Ansi256
        }
    }

    pub fn glyph_kind(&self, mode: GlyphMode) -> GlyphKind {
        match mode {
            GlyphMode::Unicode => GlyphKind::Unicode,
            GlyphMode::Console => GlyphKind::Console,
            GlyphMode::Ascii => GlyphKind::Ascii,
            GlyphMode::Auto if self.is_linux_console() => GlyphKind::Console,
            GlyphMode::Auto if !self.utf8 || self.term == "dumb" || self.term.starts_with("vt") => GlyphKind::Ascii,
            GlyphMode::Auto => GlyphKind::Unicode,
        }
    }

    /// The theme used when the config says "default" and the CLI says nothing.
    pub fn auto_theme(&self) -> &'static str {
        match self.depth() {
            Depth::Mono => "mono",
            Depth::Ansi16 => "console16",
            _ => "default",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    #[serde(default)]
    description: String,
    /// The depth the theme was written for: "mono", "16", "256" or "true".
    colors: String,
    styles: BTreeMap<String, String>,
    #[serde(default)]
    tags: Vec<String>,
}

macro_rules! roles {
    ($($role:ident),* $(,)?) => {
        /// Every style the UI uses, by role.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            pub name: String,
            pub description: String,
            pub depth: Depth,
            pub tags: Vec<Style>,
            $(pub $role: Style,)*
        }
        const ROLES: &[&str] = &[$(stringify!($role)),*];
        impl Theme {
            fn set(&mut self, role: &str, style: Style) {
                match role {
                    $(stringify!($role) => self.$role = style,)*
                    _ => {}
                }
            }
            fn get(&self, role: &str) -> Style {
                match role {
                    $(stringify!($role) => self.$role,)*
                    _ => Style::default(),
                }
            }
            fn blank(name: String, description: String, depth: Depth) -> Self {
                Theme { name, description, depth, tags: Vec::new(), $($role: Style::default(),)* }
            }
        }
    };
}

roles!(
    text,
    dim,
    title,
    border,
    border_selected,
    header,
    selected,
    tab,
    tab_active,
    status,
    status_key,
    ok,
    info,
    warn,
    error,
    critical,
    bar_low,
    bar_mid,
    bar_high,
    bar_empty,
    chip,
    chip_dim,
    spark,
    highlight,
);

impl Theme {
    /// Parses a theme file; errors are `line:column: message`.
    pub fn parse(text: &str) -> Result<Theme, String> {
        let f: ThemeFile = toml::from_str(text).map_err(|e| {
            let (l, c) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            format!("{l}:{c}: {}", e.message().trim())
        })?;
        let depth = match f.colors.as_str() {
            "mono" => Depth::Mono,
            "16" => Depth::Ansi16,
            "256" => Depth::Ansi256,
            "true" => Depth::True,
            other => return Err(format!("1:1: colors = {other:?}: expected mono, 16, 256 or true")),
        };
        let mut t = Theme::blank(f.name, f.description, depth);
        for (role, spec) in &f.styles {
            if !ROLES.contains(&role.as_str()) {
                return Err(format!(
                    "1:1: unknown style role {role:?} (known: {})",
                    ROLES.join(", ")
                ));
            }
            t.set(role, parse_style(spec)?);
        }
        for spec in &f.tags {
            t.tags.push(parse_style(spec)?);
        }
        Ok(t)
    }

    /// Loads a built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, String> {
        if let Some(text) = builtin_theme(name_or_path) {
            return Theme::parse(text);
        }
        let path = expand_tilde(name_or_path);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Theme::parse(&text).map_err(|e| format!("{}:{e}", path.display()))
    }

    /// The same theme with every colour brought within `depth`.
    pub fn adapted(mut self, depth: Depth) -> Theme {
        let fix = |s: Style| {
            if depth == Depth::Mono {
                return Style {
                    fg: None,
                    bg: None,
                    underline_color: None,
                    ..s
                };
            }
            Style {
                fg: s.fg.map(|c| adapt(c, depth)),
                bg: s.bg.map(|c| adapt(c, depth)),
                ..s
            }
        };
        for role in ROLES {
            let style = fix(self.get(role));
            self.set(role, style);
        }
        self.tags = self.tags.into_iter().map(fix).collect();
        self
    }

    pub fn level(&self, l: crate::model::Level) -> Style {
        use crate::model::Level::*;
        match l {
            Info => self.info,
            Warn => self.warn,
            Error => self.error,
            Critical => self.critical,
        }
    }
}

/// A style written as words: `"bold yellow on #202020"`, `"reverse"`,
/// `"dim 244"`.
pub(crate) fn parse_style(spec: &str) -> Result<Style, String> {
    let mut style = Style::default();
    let mut bg_next = false;
    for word in spec.split_whitespace() {
        let w = word.to_ascii_lowercase();
        let modifier = match w.as_str() {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underline" => Some(Modifier::UNDERLINED),
            "reverse" => Some(Modifier::REVERSED),
            _ => None,
        };
        if let Some(m) = modifier {
            style = style.add_modifier(m);
            continue;
        }
        if w == "on" {
            bg_next = true;
            continue;
        }
        let color = parse_color(&w).ok_or_else(|| format!("1:1: unknown colour or style word {word:?}"))?;
        style = if bg_next { style.bg(color) } else { style.fg(color) };
        bg_next = false;
    }
    Ok(style)
}

fn parse_color(w: &str) -> Option<Color> {
    if let Some(hex) = w.strip_prefix('#') {
        let v = u32::from_str_radix(hex, 16).ok().filter(|_| hex.len() == 6)?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    if let Ok(i) = w.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    Some(match w {
        "default" | "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" | "white" => Color::Gray,
        "darkgray" | "darkgrey" | "brightblack" => Color::DarkGray,
        "lightred" | "brightred" => Color::LightRed,
        "lightgreen" | "brightgreen" => Color::LightGreen,
        "lightyellow" | "brightyellow" => Color::LightYellow,
        "lightblue" | "brightblue" => Color::LightBlue,
        "lightmagenta" | "brightmagenta" => Color::LightMagenta,
        "lightcyan" | "brightcyan" => Color::LightCyan,
        "brightwhite" => Color::White,
        _ => return None,
    })
}

const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (170, 0, 0)),
    (Color::Green, (0, 170, 0)),
    (Color::Yellow, (170, 85, 0)),
    (Color::Blue, (0, 0, 170)),
    (Color::Magenta, (170, 0, 170)),
    (Color::Cyan, (0, 170, 170)),
    (Color::Gray, (170, 170, 170)),
    (Color::DarkGray, (85, 85, 85)),
    (Color::LightRed, (255, 85, 85)),
    (Color::LightGreen, (85, 255, 85)),
    (Color::LightYellow, (255, 255, 85)),
    (Color::LightBlue, (85, 85, 255)),
    (Color::LightMagenta, (255, 85, 255)),
    (Color::LightCyan, (85, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn rgb_of(c: Color) -> Option<(u8, u8, u8)> {
    match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) if i < 16 => Some(ANSI16[usize::from(i)].1),
        Color::Indexed(i) if i >= 232 => {
            let v = 8 + (i - 232) * 10;
            Some((v, v, v))
        }
        Color::Indexed(i) => {
            let i = i - 16;
            let lvl = |x: u8| if x == 0 { 0 } else { 55 + x * 40 };
            Some((lvl(i / 36), lvl((i / 6) % 6), lvl(i % 6)))
        }
        _ => None,
    }
}

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    d(a.0, b.0).pow(2) + d(a.1, b.1).pow(2) + d(a.2, b.2).pow(2)
}

/// Brings a colour within what the terminal can show (nearest match).
pub(crate) fn adapt(c: Color, depth: Depth) -> Color {
    match (depth, c) {
        (Depth::True, _) | (_, Color::Reset) => c,
        (Depth::Ansi256, Color::Rgb(..)) => {
            let rgb = rgb_of(c).unwrap_or_default();
            (16u8..=255)
                .min_by_key(|i| dist(rgb_of(Color::Indexed(*i)).unwrap_or_default(), rgb))
                .map_or(c, Color::Indexed)
        }
        (Depth::Ansi16, Color::Rgb(..) | Color::Indexed(_)) => {
            let Some(rgb) = rgb_of(c) else { return c };
            ANSI16.iter().min_by_key(|(_, v)| dist(*v, rgb)).map_or(c, |(k, _)| *k)
        }
        _ => c,
    }
}

/// The theme names `t` cycles through on this terminal.
pub(crate) fn cycle_names(depth: Depth) -> Vec<&'static str> {
    BUILTIN
        .iter()
        .filter(|(_, text)| {
            Theme::parse(text).is_ok_and(|t| t.depth <= depth.max(Depth::Ansi16) || t.depth == Depth::Mono)
        })
        .map(|(n, _)| *n)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlyphKind {
    Unicode,
    Console,
    Ascii,
}

/// The characters the UI draws with; the console and ASCII sets stay within
/// what the Linux console's fonts have (`console-glyphs.txt`).
#[derive(Debug, Clone, PartialEq)]
pub struct Glyphs {
    pub kind: GlyphKind,
    /// Bar fill, from empty to full, for sub-cell resolution.
    pub bar_parts: &'static [&'static str],
    pub bar_empty: &'static str,
    pub spark: &'static [&'static str],
    pub dot: &'static str,
    pub dot_dim: &'static str,
    pub status: &'static str,
    pub up: &'static str,
    pub down: &'static str,
    pub sep: &'static str,
    pub ellipsis: &'static str,
    pub degree: &'static str,
    pub border: ratatui::symbols::border::Set<'static>,
    pub border_selected: ratatui::symbols::border::Set<'static>,
    pub hline: &'static str,
    pub vline: &'static str,
}

const ASCII_BORDER: ratatui::symbols::border::Set<'static> = ratatui::symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

const ASCII_BORDER_SEL: ratatui::symbols::border::Set<'static> = ratatui::symbols::border::Set {
    top_left: "#",
    top_right: "#",
    bottom_left: "#",
    bottom_right: "#",
    vertical_left: "#",
    vertical_right: "#",
    horizontal_top: "=",
    horizontal_bottom: "=",
};

impl Glyphs {
    pub fn new(kind: GlyphKind) -> Self {
        use ratatui::symbols::border;
        match kind {
            GlyphKind::Unicode => Glyphs {
                kind,
                bar_parts: &["", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"],
                bar_empty: "░",
                spark: &["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
                dot: "●",
                dot_dim: "○",
                status: "●",
                up: "↑",
                down: "↓",
                sep: "•",
                ellipsis: "…",
                degree: "°",
                border: border::PLAIN,
                border_selected: border::THICK,
                hline: "─",
                vline: "│",
            },
            GlyphKind::Console => Glyphs {
                kind,
                bar_parts: &["", "▒", "█"],
                bar_empty: "░",
                spark: &["_", "░", "▒", "█"],
                dot: "•",
                dot_dim: "·",
                status: "■",
                up: "↑",
                down: "↓",
                sep: "♦",
                ellipsis: "~",
                degree: "°",
                border: border::PLAIN,
                border_selected: border::DOUBLE,
                hline: "─",
                vline: "│",
            },
            GlyphKind::Ascii => Glyphs {
                kind,
                bar_parts: &["", ":", "#"],
                bar_empty: ".",
                spark: &["_", ".", "-", "=", "#"],
                dot: "*",
                dot_dim: ".",
                status: "*",
                up: "^",
                down: "v",
                sep: "*",
                ellipsis: "~",
                degree: "",
                border: ASCII_BORDER,
                border_selected: ASCII_BORDER_SEL,
                hline: "-",
                vline: "|",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses_and_names_itself() {
        for (name, text) in BUILTIN {
            let t = Theme::parse(text).unwrap_or_else(|e| panic!("theme {name}: {e}"));
            assert_eq!(&t.name, name);
            assert_ne!(t.ok, t.critical, "theme {name} must tell ok from critical");
        }
    }

    #[test]
    fn console16_uses_only_the_16_colours() {
        let t = Theme::parse(builtin_theme("console16").unwrap()).unwrap();
        let styles = [
            t.text,
            t.ok,
            t.warn,
            t.error,
            t.critical,
            t.tab_active,
            t.selected,
            t.bar_high,
        ];
        for s in styles {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{c:?} is not one of the 16"
                );
            }
        }
    }

    #[test]
    fn adapting_truecolour_to_16_picks_the_nearest() {
        assert_eq!(adapt(Color::Rgb(250, 10, 10), Depth::Ansi16), Color::Red);
        assert_eq!(adapt(Color::Rgb(255, 90, 90), Depth::Ansi16), Color::LightRed);
        assert_eq!(adapt(Color::Rgb(0, 0, 0), Depth::Ansi256), Color::Indexed(16));
        assert_eq!(adapt(Color::Indexed(120), Depth::Ansi16), Color::LightGreen);
    }

    #[test]
    fn adapting_reaches_every_role() {
        let t = Theme::load("default").unwrap();
        let mono = t.clone().adapted(Depth::Mono);
        let c16 = t.adapted(Depth::Ansi16);
        for role in ROLES {
            let (m, c) = (mono.get(role), c16.get(role));
            assert_eq!((m.fg, m.bg), (None, None), "{role} keeps a colour under mono");
            for col in [c.fg, c.bg].into_iter().flatten() {
                assert!(
                    !matches!(col, Color::Rgb(..) | Color::Indexed(_)),
                    "{role}: {col:?} is not one of 16"
                );
            }
        }
    }

    #[test]
    fn environment_picks_theme_and_glyphs() {
        let env = |term: &str, no_color: bool| TermEnv {
            term: term.into(),
            colorterm: String::new(),
            no_color,
            utf8: true,
        };
        assert_eq!(env("linux", false).auto_theme(), "console16");
        assert_eq!(env("linux", false).glyph_kind(GlyphMode::Auto), GlyphKind::Console);
        assert_eq!(env("xterm-256color", true).auto_theme(), "mono");
        assert_eq!(env("xterm-256color", false).auto_theme(), "default");
        assert_eq!(
            env("xterm-256color", false).glyph_kind(GlyphMode::Auto),
            GlyphKind::Unicode
        );
    }

    #[test]
    fn style_words() {
        let s = parse_style("bold yellow on #000000").unwrap();
        assert_eq!(s.fg, Some(Color::Yellow));
        assert_eq!(s.bg, Some(Color::Rgb(0, 0, 0)));
        assert!(s.add_modifier.contains(Modifier::BOLD));
        assert!(parse_style("blurple").is_err());
    }
}
