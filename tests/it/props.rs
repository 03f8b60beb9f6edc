//! Property tests, bounded in time for CI: the sanitiser and `fit`, and
//! every parser of outside input — the drivers of the fuzz targets in
//! `fuzz/`, on random bytes and on fixtures with random edits.

use fleettop::fuzzing::{self, TARGETS};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files that seed `target`: fuzz/seeds/TARGET/ and what fuzz/seeds.txt
/// names for it.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let list = std::fs::read_to_string(root().join("fuzz/seeds.txt")).expect("fuzz/seeds.txt");
    let line = list
        .lines()
        .find(|l| l.split_whitespace().next() == Some(target))
        .unwrap_or_else(|| panic!("fuzz/seeds.txt has no line for {target}"));
    let mut paths: Vec<PathBuf> = line.split_whitespace().skip(1).map(|p| root().join(p)).collect();
    paths.push(root().join("fuzz/seeds").join(target));
    let mut files = Vec::new();
    for p in paths {
        match std::fs::read_dir(&p) {
            Ok(dir) => files.extend(dir.map(|e| e.expect("a seed").path())),
            Err(_) if p.is_file() => files.push(p),
            Err(_) => {}
        }
    }
    files.sort();
    files.iter().map(|f| std::fs::read(f).expect("a seed")).collect()
}

/// Random bytes, or a seed with a few bytes replaced, one in four cut short.
fn input(seeds: &[Vec<u8>]) -> impl Strategy<Value = Vec<u8>> + use<> {
    let seeds = seeds.to_vec();
    let edit = (
        any::<Index>(),
        prop_oneof![any::<u8>(), Just(b'\n'), Just(0xff), Just(b'"')],
    );
    let raw = prop::collection::vec(any::<u8>(), 0..512);
    let cut = prop::option::weighted(0.25, any::<Index>());
    (
        any::<bool>(),
        any::<Index>(),
        prop::collection::vec(edit, 0..6),
        cut,
        raw,
    )
        .prop_map(move |(random, pick, edits, cut, raw)| {
            if random || seeds.is_empty() {
                return raw;
            }
            let mut s = pick.get(&seeds).clone();
            if s.is_empty() {
                return raw;
            }
            for (at, b) in edits {
                let i = at.index(s.len());
                s[i] = b;
            }
            if let Some(cut) = cut {
                s.truncate(cut.index(s.len() + 1));
            }
            s
        })
}

fn check(target: &str, cases: u32) {
    let (_, driver) = TARGETS.iter().find(|(n, _)| *n == target).expect("a driver");
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&input(&seeds(target)), |data| {
        driver(&data);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{target}: {e}");
    }
}

macro_rules! never_panics {
    ($($name:ident: $cases:expr),* $(,)?) => {$(
        #[test]
        fn $name() {
            check(stringify!($name), $cases);
        }
    )*};
}

never_panics! {
    sanitize: 512,
    probe: 48,
    agent_events: 128,
    nvidia_smi: 48,
    prometheus: 128,
    nats: 128,
    proc: 256,
    df: 256,
    systemctl: 128,
    launchctl: 256,
    power_supply: 256,
    push: 256,
    runlog: 256,
    remote: 256,
    services: 128,
    metric: 64,
    darwin: 128,
    ollama: 256,
    quiet_file: 256,
    der: 512,
}

/// Every driver has its fuzz target, its line in fuzz/seeds.txt and a
/// test above (a new one cannot be forgotten in one of them).
#[test]
fn every_driver_is_a_fuzz_target_and_a_test() {
    let this = std::fs::read_to_string(root().join("tests/it/props.rs")).unwrap();
    for (name, _) in TARGETS {
        let target = root().join(format!("fuzz/fuzz_targets/{name}.rs"));
        assert!(target.is_file(), "{} missing", target.display());
        let _ = seeds(name);
        assert!(
            this.contains(&format!("    {name}: ")),
            "no never_panics test for {name}"
        );
    }
}

/// Text that is mostly what terminals and layouts trip over.
fn hostile_text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        any::<char>(),
        prop::sample::select(vec![
            '\u{1b}', '[', ']', '\\', '\u{7}', '\u{9b}', '\u{9c}', '\u{9d}', '\t', '\r', '\n', '\0', '\u{7f}', 'P',
            '0', 'm', ';', '\u{202e}', '\u{2066}', '\u{200b}', '\u{301}', '\u{fe0f}', '\u{200d}', '漢', '👩', '❤', 'İ',
            'K',
        ]),
    ];
    prop::collection::vec(c, 0..48).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(Config { cases: 2048, failure_persistence: None, ..Config::default() })]

    /// Sanitised text holds no control character, a second pass changes
    /// nothing, and `fit` keeps sanitised text to its width.
    #[test]
    fn sanitize_is_idempotent_and_leaves_no_control(s in hostile_text()) {
        fuzzing::sanitize_text(s.as_bytes());
    }

    /// `fit` never exceeds its width, whatever the text (sanitised or not).
    #[test]
    fn fit_never_exceeds_its_width(
        s in hostile_text(),
        width in 0usize..64,
        ellipsis in prop::sample::select(vec!["", "~", "…", "...", "漢"]),
    ) {
        use unicode_width::UnicodeWidthStr;
        let f = fleettop::ui::fmt::fit(&s, width, ellipsis);
        prop_assert!(f.width() <= width, "fit({:?}, {}, {:?}) = {:?} ({} cells)", s, width, ellipsis, f, f.width());
    }
}

/// A process name cannot change any other section of the probe's output
/// (nor lose another process), whatever bytes it holds.
#[test]
fn a_process_name_changes_no_other_section() {
    let base = std::fs::read_to_string(root().join("tests/fixtures/probe/debian-container-x86_64.txt")).unwrap();
    let name = prop::collection::vec(
        prop_oneof![any::<u8>(), Just(b'\n'), Just(b')'), Just(b'('), Just(b' ')],
        0..16,
    );
    let names = prop_oneof![
        name,
        Just(b"\n@@fleettop df\n".to_vec()),
        Just(b"x\n@@fleettop end".to_vec())
    ];
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&names, |n| {
        fuzzing::probe_name(&base, &n);
        Ok(())
    }) {
        panic!("{e}");
    }
}
