use super::*;

fn m(path: &str) -> Vec<String> {
    path.split("::").map(String::from).collect()
}

/// (line, from, to, test) of every arrow in `src` as if it were `module`.
fn found(src: &str, module: &str) -> Vec<(usize, String, String, bool)> {
    arrows(src, &m(module), false)
        .0
        .into_iter()
        .map(|a| (a.line, a.from.join("::"), a.to, a.test))
        .collect()
}

#[test]
fn a_grouped_import_names_each_module_nested_groups_too() {
    let src = "use crate::{model::Millis, ui::{self, fmt}, store};\n";
    let to: Vec<String> = found(src, "store::hosts").into_iter().map(|a| a.2).collect();
    assert_eq!(to, ["model", "ui", "store"]);
}

#[test]
fn an_inline_path_anywhere_in_code_counts() {
    let src = "fn f() {\n    let s = crate::ui::fmt::ago(3);\n    g(crate::sources::push::wanted(x));\n}\n";
    assert_eq!(
        found(src, "store"),
        [
            (2, "store".into(), "ui".into(), false),
            (3, "store".into(), "sources".into(), false)
        ]
    );
}

#[test]
fn super_super_climbing_to_the_root_counts_and_staying_inside_does_not() {
    let src = "use super::super::ui::fmt;\nuse super::hosts::X;\nuse super::{super::app};\n";
    let to: Vec<(usize, String)> = found(src, "store::agents").into_iter().map(|a| (a.0, a.2)).collect();
    assert_eq!(to, [(1, "ui".to_string())]);
    let inline = "mod inner {\n    use super::super::super::theme;\n}\n";
    assert_eq!(
        found(inline, "store::agents"),
        [(2, "store::agents::inner".into(), "theme".into(), false)]
    );
}

#[test]
fn comments_and_strings_do_not_count() {
    let src = r####"
// crate::ui is above us
/* crate::app /* nested crate::cli */ still crate::term */
//! crate::headless
/// see [`crate::ui::fmt`]
let s = "crate::ui::fmt";
let r = r#"crate::app "quoted" "#;
let b = br##"crate::app"##;
let c = '"'; let d = '\''; let e: &'static str = "x";
let f = crate::model::X;
"####;
    let to: Vec<(usize, String)> = found(src, "store").into_iter().map(|a| (a.0, a.2)).collect();
    assert_eq!(to, [(10, "model".to_string())]);
}

#[test]
fn pub_use_and_macro_paths_count() {
    let src = "pub use crate::parse::nats::X;\nfn f() { crate::logging::log!(\"x\"); }\n";
    let to: Vec<String> = found(src, "model").into_iter().map(|a| a.2).collect();
    assert_eq!(to, ["parse", "logging"]);
}

#[test]
fn visibility_paths_and_pub_crate_do_not_count() {
    assert!(
        found(
            "pub(crate) fn f() {}\npub(in crate::store) fn g() {}\npub(super) fn h() {}\n",
            "store::x"
        )
        .is_empty()
    );
}

#[test]
fn cfg_test_items_and_modules_are_test_code() {
    let src = "use crate::model::A;\n#[cfg(test)]\nmod tests {\n    use crate::fixture;\n}\n#[cfg(test)]\nuse crate::fixture::B;\nfn f() { crate::config::x(); }\n#[cfg(test)]\nmod more_tests;\n";
    let (arrows, children) = arrows(src, &m("ui::host"), false);
    let tests: Vec<(String, bool)> = arrows.into_iter().map(|a| (a.to, a.test)).collect();
    assert_eq!(
        tests,
        [
            ("model".into(), false),
            ("fixture".into(), true),
            ("fixture".into(), true),
            ("config".into(), false)
        ]
    );
    assert_eq!(children, ["more_tests"]);
}

#[test]
fn the_rules_forbid_upward_and_sideways_arrows() {
    assert!(allowed("store", "model", false));
    assert!(allowed("ui", "store", false));
    assert!(!allowed("store", "ui", false));
    assert!(!allowed("store", "sources", false));
    assert!(!allowed("sources", "store", false));
    assert!(!allowed("config", "theme", false));
    assert!(!allowed("theme", "config", false));
    assert!(!allowed("parse", "store", false));
    assert!(allowed("model", "fmt", false));
    assert!(!allowed("store", "fixture", false));
    assert!(allowed("store", "fixture", true));
    assert!(!allowed("store", "nonesuch", false));
}

#[test]
fn a_planted_back_arrow_fails_the_check_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("fleettop-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("model")).unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod model;\n").unwrap();
    std::fs::write(
        dir.join("model/mod.rs"),
        "use crate::{fmt, ui::X};\nfn f() { crate::app::run(); }\n",
    )
    .unwrap();
    let bad = check(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let want = ["model/mod.rs:1: model -> ui", "model/mod.rs:2: model -> app"];
    assert_eq!(bad.len(), 2, "{bad:?}");
    for (b, w) in bad.iter().zip(want) {
        assert!(b.ends_with(w), "{b} should end with {w}");
    }
}

#[test]
fn code_lines_leave_out_blanks_comments_and_tests() {
    let src = "//! doc\n\nfn f() {\n    // note\n    g();\n}\n#[cfg(test)]\nmod tests {\n    fn t() {}\n}\n";
    assert_eq!(code_lines(src), 3);
    assert_eq!(code_lines(&"x();\n".repeat(601)), 601);
}

#[test]
fn a_long_file_is_named_and_test_files_are_not() {
    let dir = std::env::temp_dir().join(format!("fleettop-long-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.rs"), "x();\n".repeat(11)).unwrap();
    std::fs::write(dir.join("big_tests.rs"), "x();\n".repeat(50)).unwrap();
    std::fs::write(dir.join("small.rs"), "x();\n".repeat(10)).unwrap();
    let long = too_long(&dir, 10);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(long.len(), 1, "{long:?}");
    assert!(long[0].ends_with("big.rs: 11"), "{long:?}");
}
