use crate::model::Level;
use crate::store::Store;
use crate::update::Update;
use crate::update::services::{Health, Kind, Row, ServiceUpdate};

const CONFIG: &str = "[[services.tcp]]\nname = \"drain\"\naddress = \"127.0.0.1:1\"\n\
    [[services.http]]\nname = \"a1\"\nurl = \"http://x/\"\ndepends_on = [\"drain\"]\n\
    [[services.http]]\nname = \"a2\"\nurl = \"http://x/\"\ndepends_on = [\"a1\"]\n\
    [[services.docker]]\nname = \"local\"\ndepends_on = { web = [\"drain\"] }\n";

fn store() -> Store {
    Store::new(&crate::config::parse_str(CONFIG, "t").unwrap())
}

fn row(kind: Kind, name: &str, health: Health) -> Update {
    let key = match kind {
        Kind::Tcp => format!("tcp:{name}"),
        Kind::Container => format!("docker:local/{name}"),
        _ => format!("http:{name}"),
    };
    Update::Services(ServiceUpdate::Result(Box::new(Row::new(
        key, kind, name, health, "refused",
    ))))
}

fn titles(s: &Store, at: i64) -> Vec<String> {
    s.problems(at).iter().map(|p| p.title.to_string()).collect()
}

fn blocked(s: &Store, name: &str) -> Option<String> {
    let r = &s.services.rows.iter().find(|x| x.row.name == name).unwrap().row;
    s.services.blocked_by(r).map(str::to_string)
}

/// The cause fails first, then what needs it: one problem, the cause's,
/// saying how many it blocks; the dependents say what blocks them (the
/// chain's root) and raise no event.
#[test]
fn dependents_of_a_failing_cause_raise_nothing_of_their_own() {
    let mut s = store();
    s.apply(row(Kind::Tcp, "drain", Health::Error), 1000);
    let before = s.events.len();
    for (k, n) in [(Kind::Http, "a1"), (Kind::Http, "a2"), (Kind::Container, "web")] {
        s.apply(row(k, n, Health::Error), 2000);
    }
    assert_eq!(s.events.len(), before, "no event from a blocked dependent");
    assert_eq!(titles(&s, 2000), ["drain down: refused (blocks a1, a2, container:web)"]);
    assert_eq!(blocked(&s, "a1").as_deref(), Some("drain"));
    assert_eq!(blocked(&s, "a2").as_deref(), Some("drain"), "the root of the chain");
    assert_eq!(blocked(&s, "web").as_deref(), Some("drain"));
    // The cause recovers: the dependents stay blocked until their own next
    // result, so their last (stale) failure raises nothing.
    s.apply(row(Kind::Tcp, "drain", Health::Ok), 3000);
    assert!(titles(&s, 3000).is_empty(), "{:?}", titles(&s, 3000));
    assert_eq!(blocked(&s, "a1").as_deref(), Some("drain"));
    // a1's next result still fails: now that is its own problem (a2 stays
    // blocked by a1, the cause that is failing now).
    s.apply(row(Kind::Http, "a1", Health::Error), 4000);
    assert_eq!(blocked(&s, "a1"), None);
    assert_eq!(titles(&s, 4000), ["a1 down: refused (blocks a2)"]);
    assert_eq!(blocked(&s, "a2").as_deref(), Some("a1"));
    let last = s.events.newest_first().next().unwrap();
    assert_eq!(
        (last.level, last.title.as_str()),
        (Level::Error, "a1 down: refused (blocks a2)")
    );
}

/// A dependent that failed before its cause did: its problem moves under
/// the cause (an info edge says so), and the held state ends by time when
/// no result of its own comes.
#[test]
fn a_problem_raised_before_the_cause_failed_moves_under_it() {
    let mut s = store();
    s.apply(row(Kind::Http, "a1", Health::Error), 1000);
    assert_eq!(titles(&s, 1000), ["a1 down: refused (blocks a2)"]);
    s.apply(row(Kind::Tcp, "drain", Health::Error), 2000);
    assert_eq!(titles(&s, 2000), ["drain down: refused (blocks a1, a2, container:web)"]);
    let last = s.events.newest_first().next().unwrap();
    assert_eq!((last.level, last.title.as_str()), (Level::Info, "a1 blocked by drain"));
    s.apply(row(Kind::Tcp, "drain", Health::Ok), 3000);
    assert!(titles(&s, 3000).is_empty());
    s.tick(3000 + super::HOLD_MAX_MS);
    assert_eq!(titles(&s, 3000 + super::HOLD_MAX_MS), ["a1 down: refused (blocks a2)"]);
}

/// Without `depends_on` nothing changes (and nothing is computed).
#[test]
fn no_depends_on_no_blocking() {
    let mut s = Store::new(&crate::config::parse_str("", "t").unwrap());
    s.apply(row(Kind::Http, "a1", Health::Error), 1000);
    assert_eq!(titles(&s, 1000), ["a1 down: refused"]);
    assert!(s.depends.effective().is_empty());
}

/// A daemon behind a failing check: its failed runs raise nothing, it
/// says what blocks it; and a failing daemon blocks a check.
#[test]
fn daemons_block_and_are_blocked() {
    let cfg = "[[services.tcp]]\nname = \"drain\"\naddress = \"127.0.0.1:1\"\n\
        [[services.http]]\nname = \"api\"\nurl = \"http://x/\"\ndepends_on = [\"scout\"]\n\
        [[agents.daemon]]\nname = \"scout\"\ndepends_on = [\"drain\"]\n";
    let mut s = Store::new(&crate::config::parse_str(cfg, "t").unwrap());
    s.apply(row(Kind::Tcp, "drain", Health::Error), 1000);
    let failed = match crate::parse::agent::parse(
        r#"{"agent":"scout","event":"failed","exit_code":1,"started_at":1,"finished_at":2}"#,
    ) {
        Ok(crate::parse::agent::Parsed::Run(e)) => e,
        other => panic!("{other:?}"),
    };
    s.apply(
        Update::Agents(crate::update::agents::AgentUpdate::Event {
            event: failed,
            source: "test".into(),
            history: false,
        }),
        2000,
    );
    assert_eq!(s.agents.get("scout").unwrap().blocked_by.as_deref(), Some("drain"));
    assert_eq!(titles(&s, 2000), ["drain down: refused (blocks api, scout)"]);
    // The drain back: scout's failure is its own again once held time ends
    // (no new run of its own came), and it blocks api.
    s.apply(row(Kind::Tcp, "drain", Health::Ok), 3000);
    s.tick(3000 + super::HOLD_MAX_MS);
    assert_eq!(s.agents.get("scout").unwrap().blocked_by, None);
    assert_eq!(blocked(&s, "api").as_deref(), Some("scout"));
    let t = titles(&s, 3000 + super::HOLD_MAX_MS);
    assert!(t.iter().any(|x| x.starts_with("scout failed")), "{t:?}");
}
