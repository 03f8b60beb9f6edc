//! What the config and the theme both speak of, below both so neither
//! needs the other: the glyph setting, the built-in themes by name, and two
//! helpers for a file the user wrote (`~/`, an error's line and column).

use serde::Deserialize;
use std::path::PathBuf;

/// Which glyphs to draw (`[ui] glyphs`, `--glyphs`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum GlyphMode {
    #[default]
    Auto,
    Unicode,
    Console,
    Ascii,
}

/// The built-in themes: (name, the theme file's text).
pub const THEMES: &[(&str, &str)] = &[
    ("default", include_str!("../themes/default.toml")),
    ("console16", include_str!("../themes/console16.toml")),
    ("mono", include_str!("../themes/mono.toml")),
    ("amber", include_str!("../themes/amber.toml")),
];

/// A built-in theme's text by name.
pub(crate) fn builtin_theme(name: &str) -> Option<&'static str> {
    THEMES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// `~/x` → `$HOME/x`; anything else as it is.
pub(crate) fn expand_tilde(p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    PathBuf::from(p)
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
