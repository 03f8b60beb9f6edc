use super::*;
use crate::config::Config;
use crate::store::{Counts, Observation, Tab};

const H: Millis = HOUR;

#[test]
fn an_acknowledgement_holds_until_worse_or_recovered() {
    let mut q = Quiet::default();
    q.acknowledge("disk:h:/", Level::Warn, 0);
    assert!(q.is_quiet("disk:h:/", "h", Level::Warn, 1));
    assert!(!q.is_quiet("other", "h", Level::Warn, 1));
    // Same level again: still acknowledged.
    assert!(!q.on_edge("disk:h:/", Level::Warn));
    assert!(q.is_quiet("disk:h:/", "h", Level::Warn, 2));
    // Worse: no longer.
    assert!(q.on_edge("disk:h:/", Level::Critical));
    assert!(!q.is_quiet("disk:h:/", "h", Level::Critical, 3));
    assert!(!q.is_quiet("disk:h:/", "h", Level::Warn, 3));
    // Recovered: gone too.
    q.acknowledge("disk:h:/", Level::Critical, 4);
    assert!(
        q.is_quiet("disk:h:/", "h", Level::Error, 5),
        "better is still acknowledged"
    );
    assert!(q.on_edge("disk:h:/", Level::Info));
    assert!(q.acknowledged.is_empty());
}

#[test]
fn m_cycles_one_four_twentyfour_hours_then_off() {
    let mut q = Quiet::default();
    assert_eq!(q.cycle_silence("pi", 0), Some(H));
    assert!(q.is_quiet("any", "pi", Level::Critical, H - 1));
    assert!(!q.is_quiet("any", "pi", Level::Critical, H), "over at its end");
    assert_eq!(q.cycle_silence("pi", 10), Some(10 + 4 * H));
    assert_eq!(q.cycle_silence("pi", 20), Some(20 + 24 * H));
    assert_eq!(q.cycle_silence("pi", 30), None);
    assert!(q.silenced.is_empty());
    q.cycle_silence("pi", 0);
    assert!(!q.expire(H - 1));
    assert!(q.expire(H));
}

#[test]
fn the_file_round_trips_and_a_hostile_one_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/quiet.json");
    let mut q = Quiet::default();
    q.acknowledge("svc:web", Level::Error, 5);
    q.cycle_silence("pi", 0);
    q.save(&path).unwrap();
    assert_eq!(Quiet::load(&path), q);
    assert_eq!(
        std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
        1,
        "no temporary left"
    );
    assert_eq!(Quiet::load(&dir.path().join("none.json")), Quiet::default());
    for bad in [&b"not json"[..], b"[1,2]", b"{\"acknowledged\": 3}", b"\xff\xfe"] {
        std::fs::write(&path, bad).unwrap();
        assert_eq!(Quiet::load(&path), Quiet::default(), "{bad:?}");
    }
    // Bad entries go, good ones stay.
    let mixed = format!(
        r#"{{"acknowledged": [{{"problem": "a", "level": "warn", "at_ms": 1}},
            {{"problem": "b", "level": "info", "at_ms": 1}},
            {{"problem": "c\u001b[2J", "level": "error", "at_ms": 1}},
            {{"problem": "{}", "level": "error", "at_ms": 1}}],
          "silenced": [{{"source": "", "until_ms": 9}}, {{"source": "pi", "until_ms": 9}}]}}"#,
        "x".repeat(MAX_KEY + 1)
    );
    std::fs::write(&path, mixed).unwrap();
    let q = Quiet::load(&path);
    assert_eq!(q.acknowledged.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(q.silenced.get("pi"), Some(&9));
    assert_eq!(q.silenced.len(), 1);
    // Too big: not read at all.
    std::fs::write(&path, vec![b' '; MAX_FILE as usize + 1]).unwrap();
    assert_eq!(Quiet::load(&path), Quiet::default());
}

#[test]
fn entries_are_bounded_keeping_the_newest() {
    let mut q = Quiet::default();
    for i in 0..(MAX_ENTRIES + 5) {
        q.acknowledge(&format!("k{i}"), Level::Warn, i as Millis);
    }
    assert_eq!(q.acknowledged.len(), MAX_ENTRIES);
    assert!(!q.acknowledged.contains_key("k0"));
    assert!(q.acknowledged.contains_key(&format!("k{}", MAX_ENTRIES + 4)));
}

fn obs(level: Level, escalate: Option<(Level, i64)>) -> Observation {
    Observation {
        key: "svc:web".into(),
        tab: Tab::Services,
        kind: "service".into(),
        source: "web".into(),
        title: "web down".into(),
        level,
        escalate,
        recovered: "web back".into(),
    }
}

/// Through the store: the edges carry their problem's key; an
/// acknowledged problem's events are quiet (ticker, webhook) until it
/// escalates, and its recovery is not.
#[test]
fn the_store_quiets_the_edges_of_an_acknowledged_problem() {
    let mut st = Store::new(&Config::default());
    let observe = |st: &mut Store, o: Vec<Observation>, now| {
        let new = st.conditions.observe("web", o, now);
        st.push_all(new, now, true)
    };
    observe(&mut st, vec![obs(Level::Error, Some((Level::Critical, 100)))], 0);
    let first = st.events.newest_first().next().unwrap().clone();
    assert_eq!((first.problem.as_deref(), first.quiet), (Some("svc:web"), false));
    let p = st.problems(1).remove(0);
    assert!(!p.acknowledged);
    st.acknowledge(&p, 1);
    assert!(
        st.events.newest_first().next().unwrap().quiet,
        "its ticker entry went quiet"
    );
    assert!(st.problems(2)[0].acknowledged);
    // Escalated by time: worse, so no longer acknowledged, and loud.
    st.tick(100);
    let e = st.events.newest_first().next().unwrap();
    assert_eq!((e.level, e.quiet), (Level::Critical, false));
    assert!(!st.problems(100)[0].acknowledged);
    // Acknowledged again, then recovered: the recovery is loud, the ack gone.
    let p = st.problems(101).remove(0);
    st.acknowledge(&p, 101);
    observe(&mut st, Vec::new(), 102);
    let e = st.events.newest_first().next().unwrap();
    assert_eq!(
        (e.title.as_str(), e.problem.as_deref(), e.quiet),
        ("web back", Some("svc:web"), false)
    );
    assert!(st.quiet.acknowledged.is_empty());
    // Silenced source: its new problem is quiet from the start.
    st.quiet.cycle_silence("web", 200);
    observe(&mut st, vec![obs(Level::Error, None)], 201);
    assert!(st.events.newest_first().next().unwrap().quiet);
    assert_eq!(st.problems(202)[0].silenced_until, Some(200 + H));
    // The history has them all.
    assert_eq!(st.history.len(), 4);
}

/// The tab badge's count: an acknowledged or silenced problem is counted
/// apart, and the level is the worst of the rest.
#[test]
fn the_badge_counts_only_what_is_not_quiet() {
    let mut st = Store::new(&Config::default());
    let problem = |key: &str, source: &str, level| Observation {
        key: key.into(),
        source: source.into(),
        ..obs(level, None)
    };
    let seen = vec![
        problem("svc:web", "web", Level::Critical),
        problem("svc:db", "db", Level::Warn),
        problem("svc:mq", "mq", Level::Error),
    ];
    let new = st.conditions.observe("svcs", seen, 0);
    st.push_all(new, 0, false);
    let all = Counts {
        open: 3,
        level: Level::Critical,
        quiet: 0,
    };
    assert_eq!(st.problem_counts(Some(Tab::Services), 1), all);
    assert_eq!(st.problem_count(Tab::Services, 1), (3, Level::Critical));
    let critical = st.problems(1).remove(0);
    assert_eq!(critical.key, "svc:web");
    st.acknowledge(&critical, 1);
    let error = st.problems(1).into_iter().find(|p| p.key == "svc:mq").unwrap();
    st.cycle_silence(&error, 1);
    let c = st.problem_counts(Some(Tab::Services), 2);
    assert_eq!((c.open, c.level, c.quiet), (1, Level::Warn, 2));
    assert_eq!(st.problem_count(Tab::Services, 2), (1, Level::Warn));
    assert_eq!(st.problem_counts(None, 2), c, "every tab: the same problems");
    assert_eq!(st.problem_counts(Some(Tab::Fleet), 2), Counts::default());
    // The silence over: loud again.
    let c = st.problem_counts(Some(Tab::Services), 1 + H);
    assert_eq!((c.open, c.level, c.quiet), (2, Level::Error, 1));
}
