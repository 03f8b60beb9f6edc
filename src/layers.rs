//! The layer check and the file-size check (unit tests, so CI runs them
//! with `cargo test --lib`; function size is clippy's `too_many_lines`).
//!
//! Layers, lowest first; a module may use modules in a lower layer, and in
//! its own layer only where [`SAME_LAYER`] says so:
//!
//! 1. `fmt`, `model`, `logging`, `tab`, `metric`, `sanitize`, `prefs` —
//!    formatters, plain data, the log file, the one `Tab` type, the metric
//!    checks' language, the string sanitiser, what config and theme share
//! 2. `config`, `theme` — independent of each other
//! 3. `parse` — pure parsers of outside data into model types (not config)
//! 4. `update` — the messages sources send to the store
//! 5. `store` — the one owner of collected state; applies updates
//! 6. `sources` — collectors (and the event outlet: NATS, webhook); send
//!    updates, never see the store ([`FORBIDDEN`])
//! 7. `ui`, `action`, `snapshot`, `headless`, `push_agent` — views of the
//!    store; the key table (`action`) sits beside the UI, whose help draws
//!    it; `push_agent` (the `fleettop agent` mode: a local source into one
//!    store host entry, published as its snapshot) is a mode like `headless`
//! 8. `app`, `cli`, `term`, `main`, `fixture`, `fuzzing` — the top
//!
//! Every reference to another crate module counts, in any form: `use
//! crate::x`, grouped `use crate::{x, y::{z}}`, inline `crate::x::f()`,
//! `super::` climbing out to the crate root, `pub use`, macro paths.
//! Comments and string literals do not count. Test code (`#[cfg(test)]`
//! items, files declared `#[cfg(test)] mod`, files named `*tests.rs`) keeps
//! the layer of the module it tests and may also use [`TEST_EXTRA`]
//! (fixtures). `src/main.rs` is its own crate (the binary) and is skipped.
//!
//! No source file may hold over 600 lines of code before its tests (blank
//! and comment-only lines aside; `*tests.rs` files not counted).

use std::collections::BTreeSet;
use std::path::Path;

/// The layers, lowest first.
const LAYERS: &[&[&str]] = &[
    &["fmt", "model", "logging", "tab", "metric", "sanitize", "prefs"],
    &["config", "theme"],
    &["parse"],
    &["update"],
    &["store"],
    &["sources"],
    &["ui", "action", "snapshot", "headless", "push_agent"],
    &["app", "cli", "term", "main", "fixture", "fuzzing", "layers"],
];

/// Layers whose modules may all use each other.
const OPEN_LAYERS: &[usize] = &[0, 7];

/// Arrows allowed inside one layer.
const SAME_LAYER: &[(&str, &str)] = &[("headless", "snapshot"), ("headless", "ui"), ("ui", "action")];

/// Arrows forbidden although they point down.
const FORBIDDEN: &[(&str, &str)] = &[("sources", "store"), ("parse", "config"), ("parse", "theme")];

/// What test code may use besides what its module may.
const TEST_EXTRA: &[&str] = &["fixture"];

/// One reference from a module to a top-level crate module.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arrow {
    pub line: usize,
    /// Module path of the code that refers (inline modules included).
    pub from: Vec<String>,
    pub to: String,
    pub test: bool,
}

/// The layer index of a top-level module, if it has one.
fn layer(m: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&m))
}

/// Whether `from` (a top-level module) may use `to`.
fn allowed(from: &str, to: &str, test: bool) -> bool {
    if from == to || (test && TEST_EXTRA.contains(&to)) {
        return true;
    }
    if FORBIDDEN.contains(&(from, to)) {
        return false;
    }
    match (layer(from), layer(to)) {
        (Some(f), Some(t)) if t < f => true,
        (Some(f), Some(t)) if t == f => OPEN_LAYERS.contains(&f) || SAME_LAYER.contains(&(from, to)),
        _ => false,
    }
}

/// Source text with comments and the insides of string and char literals
/// blanked; line breaks are kept so line numbers stay right.
pub(crate) fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        let end = if c[i] == '/' && next == Some('/') {
            c[i..].iter().position(|&x| x == '\n').map_or(c.len(), |p| i + p)
        } else if c[i] == '/' && next == Some('*') {
            block_comment_end(&c, i)
        } else if let Some(end) = raw_string_end(&c, i) {
            end
        } else if c[i] == '"' {
            string_end(&c, i + 1)
        } else if c[i] == '\'' {
            char_end(&c, i)
        } else {
            i
        };
        if end == i {
            out.push(c[i]);
            i += 1;
        } else {
            out.extend(c[i..end].iter().map(|&x| if x == '\n' { '\n' } else { ' ' }));
            i = end;
        }
    }
    out
}

/// End (exclusive) of a nested block comment starting at `i`.
fn block_comment_end(c: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    c.len()
}

/// End (exclusive) of a normal string whose body starts at `i`.
fn string_end(c: &[char], mut i: usize) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    c.len()
}

/// End of a raw string (`r"…"`, `br#"…"#`, `cr"…"`) starting at `i`, if one does.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if matches!(c[j], 'b' | 'c') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&x| x == '#').count();
    j += hashes;
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() {
        if c[j] == '"' && c[j + 1..].iter().take(hashes).filter(|&&x| x == '#').count() == hashes {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(c.len())
}

/// End of a char literal at `i`, or `i` itself for a lifetime.
fn char_end(c: &[char], i: usize) -> usize {
    if c.get(i + 1) == Some(&'\\') {
        return c[i + 3..]
            .iter()
            .position(|&x| x == '\'')
            .map_or(c.len(), |p| i + 3 + p + 1);
    }
    if c.get(i + 2) == Some(&'\'') { i + 3 } else { i }
}

/// A token of stripped source: an identifier, `::`, or one punctuation char.
#[derive(Debug, Clone, PartialEq)]
struct Tok {
    text: String,
    line: usize,
}

fn tokens(stripped: &str) -> Vec<Tok> {
    let c: Vec<char> = stripped.chars().collect();
    let (mut out, mut line, mut i) = (Vec::new(), 1, 0);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let n = c[i..].iter().take_while(|x| x.is_alphanumeric() || **x == '_').count();
            out.push(Tok {
                text: c[i..i + n].iter().collect(),
                line,
            });
            i += n;
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Tok {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Tok {
                text: ch.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

/// Whether `t[i..]` is the attribute `#[cfg(test)]` (or `#![cfg(test)]`).
fn cfg_test_at(t: &[Tok], i: usize) -> bool {
    let want: &[&str] = if t.get(i + 1).is_some_and(|x| x.text == "!") {
        &["#", "!", "[", "cfg", "(", "test", ")", "]"]
    } else {
        &["#", "[", "cfg", "(", "test", ")", "]"]
    };
    want.iter()
        .enumerate()
        .all(|(k, w)| t.get(i + k).is_some_and(|x| x.text == *w))
}

fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Top-level names a path names after `crate::` (or a `super::` chain that
/// reaches the crate root) at token `i`: one name, or each item of a group.
fn path_heads(t: &[Tok], i: usize) -> Vec<String> {
    match t.get(i).map(|x| x.text.as_str()) {
        Some("{") => {
            let (mut heads, mut depth, mut start) = (Vec::new(), 0, true);
            for x in &t[i..] {
                match x.text.as_str() {
                    "{" => depth += 1,
                    "}" if depth == 1 => break,
                    "}" => depth -= 1,
                    "," if depth == 1 => start = true,
                    s if start && depth == 1 => {
                        if is_ident(s) && s != "self" {
                            heads.push(s.to_string());
                        }
                        start = false;
                    }
                    _ => {}
                }
            }
            heads
        }
        Some(s) if is_ident(s) => vec![s.to_string()],
        _ => Vec::new(),
    }
}

/// An open delimiter while walking a file.
struct Frame {
    close: &'static str,
    module: Option<String>,
    test: bool,
}

/// Every reference to a top-level crate module in one file, and the names of
/// child modules it declares `#[cfg(test)] mod x;`.
pub(crate) fn arrows(src: &str, module: &[String], file_is_test: bool) -> (Vec<Arrow>, Vec<String>) {
    let t = tokens(&strip(src));
    let (mut out, mut test_children) = (Vec::new(), Vec::new());
    let mut stack: Vec<Frame> = Vec::new();
    let mut file_test = file_is_test;
    // depth (stack length) at which a `#[cfg(test)]` item is open
    let mut test_item: Option<usize> = None;
    let mut pending_mod: Option<String> = None;
    for i in 0..t.len() {
        let s = t[i].text.as_str();
        if cfg_test_at(&t, i) {
            if t[i + 1].text == "!" && stack.is_empty() {
                file_test = true;
            } else if test_item.is_none() {
                test_item = Some(stack.len());
            }
        }
        let in_test = file_test || test_item.is_some() || stack.iter().any(|f| f.test);
        if s == "mod" && t.get(i + 1).is_some_and(|x| is_ident(&x.text)) {
            let name = t[i + 1].text.clone();
            match t.get(i + 2).map(|x| x.text.as_str()) {
                Some("{") => pending_mod = Some(name),
                Some(";") if in_test => test_children.push(name),
                _ => {}
            }
        }
        match s {
            "{" | "(" | "[" => {
                let close = match s {
                    "{" => "}",
                    "(" => ")",
                    _ => "]",
                };
                let module = if s == "{" { pending_mod.take() } else { None };
                stack.push(Frame {
                    close,
                    module,
                    test: in_test,
                });
            }
            "}" | ")" | "]" => {
                if stack.last().is_some_and(|f| f.close == s) {
                    stack.pop();
                }
                if test_item == Some(stack.len()) && s == "}" {
                    test_item = None;
                }
            }
            ";" if test_item == Some(stack.len()) => test_item = None,
            _ => {}
        }
        let here: Vec<String> = module
            .iter()
            .cloned()
            .chain(stack.iter().filter_map(|f| f.module.clone()))
            .collect();
        let heads = if s == "crate" && t.get(i + 1).is_some_and(|x| x.text == "::") {
            let after_in = i > 0 && t[i - 1].text == "in";
            if after_in { Vec::new() } else { path_heads(&t, i + 2) }
        } else if s == "super" && t.get(i + 1).is_some_and(|x| x.text == "::") && (i == 0 || t[i - 1].text != "::") {
            let mut j = i;
            while t.get(j).is_some_and(|x| x.text == "super") && t.get(j + 1).is_some_and(|x| x.text == "::") {
                j += 2;
            }
            if (j - i) / 2 >= here.len() {
                path_heads(&t, j)
            } else {
                Vec::new()
            }
        } else {
            Vec::new()
        };
        for to in heads {
            out.push(Arrow {
                line: t[i].line,
                from: here.clone(),
                to,
                test: in_test,
            });
        }
    }
    (out, test_children)
}

/// Module path of a file under `src/`: `store/mod.rs` → `[store]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" && stem != "lib" {
            parts.push(stem.to_string());
        }
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every forbidden arrow under `src/` as `file:line: from -> to`.
pub(crate) fn check(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.retain(|f| !f.ends_with("main.rs") || f.parent() != Some(src));
    let mut parsed = Vec::new();
    let mut test_mods = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let module = module_of(f.strip_prefix(src).unwrap_or(f));
        let named_test = f.file_name().is_some_and(|n| n.to_string_lossy().ends_with("tests.rs"));
        let (arrows, children) = arrows(&text, &module, named_test);
        test_mods.extend(children.into_iter().map(|c| [module.clone(), vec![c]].concat()));
        parsed.push((f.clone(), module, arrows));
    }
    let mut bad = Vec::new();
    for (f, module, arrows) in &parsed {
        let Some(top) = module.first() else { continue };
        let file_test = (1..=module.len()).any(|n| test_mods.contains(&module[..n]));
        for a in arrows.iter().filter(|a| !allowed(top, &a.to, a.test || file_test)) {
            let shown = f.strip_prefix(src.parent().unwrap_or(src)).unwrap_or(f);
            bad.push(format!(
                "{}:{}: {} -> {}",
                shown.display(),
                a.line,
                a.from.join("::"),
                a.to
            ));
        }
    }
    bad
}

/// Lines of code in a source file before its tests: not blank, not only a
/// comment, none after the first `#[cfg(test)]`.
pub(crate) fn code_lines(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

/// Source files (tests apart) over `max` lines of code, as `file: lines`.
pub(crate) fn too_long(src: &Path, max: usize) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files
        .iter()
        .filter(|f| !f.file_name().is_some_and(|n| n.to_string_lossy().ends_with("tests.rs")))
        .filter_map(|f| {
            let n = code_lines(&std::fs::read_to_string(f).unwrap_or_default());
            (n > max).then(|| format!("{}: {n}", f.display()))
        })
        .collect()
}

#[test]
fn layers_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = check(&src);
    assert!(
        bad.is_empty(),
        "{} arrow(s) against the layers:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Files that fit in a head (functions: clippy's `too_many_lines`).
#[test]
fn no_source_file_is_over_600_lines_of_code() {
    let long = too_long(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), 600);
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}

#[cfg(test)]
mod tests;
