use super::*;
use crate::model::Level;
use crate::store::Conditions;
use crate::update::services::container_health;

fn state() -> (ServicesState, Conditions) {
    let c = crate::config::parse_str("", "test").unwrap();
    (ServicesState::new(&c), Conditions::default())
}

fn http(name: &str, group: Option<&str>, health: Health) -> ServiceUpdate {
    let mut r = Row::new(format!("http:{name}"), Kind::Http, name, health, "HTTP 500");
    r.group = group.map(str::to_string);
    ServiceUpdate::Result(Box::new(r))
}

#[test]
fn a_failing_row_is_a_problem_and_its_recovery_an_event() {
    let (mut s, mut c) = state();
    let ev = s.apply(http("api", None, Health::Error), 1000, &mut c);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].level, Level::Error);
    assert_eq!(ev[0].title, "api down: HTTP 500");
    assert_eq!(c.problems(1000).len(), 1);
    let ev = s.apply(http("api", None, Health::Ok), 2000, &mut c);
    assert_eq!(ev[0].title, "api is ok again");
    assert!(c.problems(2000).is_empty());
    assert_eq!(s.get("http:api").unwrap().history.len(), 2);
}

#[test]
fn a_whole_group_down_two_rounds_running_is_critical() {
    let (mut s, mut c) = state();
    let level = |c: &Conditions, at| {
        c.problems(at)
            .iter()
            .find(|p| p.title == "all tunnels down (2 of 2)")
            .map(|p| p.level)
    };
    s.apply(http("t1", Some("tunnels"), Health::Error), 0, &mut c);
    s.apply(http("t2", Some("tunnels"), Health::Ok), 0, &mut c);
    assert_eq!(level(&c, 10_000_000), None);
    s.apply(http("t2", Some("tunnels"), Health::Error), 1000, &mut c);
    assert_eq!(level(&c, 1000), Some(Level::Error), "one round: not yet sure");
    s.apply(http("t1", Some("tunnels"), Health::Error), 2000, &mut c);
    assert_eq!(level(&c, 2000), Some(Level::Error), "t2 has failed once only");
    let ev = s.apply(http("t2", Some("tunnels"), Health::Error), 3000, &mut c);
    assert_eq!(level(&c, 3000), Some(Level::Critical), "two rounds agree");
    assert!(ev.iter().any(|e| e.level == Level::Critical));
    // One member back: the group condition clears.
    s.apply(http("t1", Some("tunnels"), Health::Ok), 4000, &mut c);
    assert_eq!(level(&c, 4000), None);
}

#[test]
fn a_whole_group_down_in_a_one_round_view_is_critical_at_once() {
    let (mut s, mut c) = state();
    s.group_rounds = 1;
    s.apply(http("t1", Some("tunnels"), Health::Error), 0, &mut c);
    s.apply(http("t2", Some("tunnels"), Health::Error), 0, &mut c);
    assert!(
        c.problems(0)
            .iter()
            .any(|p| p.title == "all tunnels down (2 of 2)" && p.level == Level::Critical)
    );
}

#[test]
fn configured_rows_wait_in_config_order_and_a_silent_member_keeps_a_group_up() {
    let c = crate::config::parse_str(
        "[[services.http]]\nname = \"a\"\nurl = \"http://x/\"\ngroup = \"g\"\n[[services.docker]]\nname = \"local\"\n[[services.tcp]]\nname = \"b\"\naddress = \"x:1\"\ngroup = \"g\"\n[[services.syncthing]]\nname = \"st\"\nurl = \"http://y/\"\n",
        "t",
    )
    .unwrap();
    let (mut s, mut cd) = (ServicesState::new(&c), Conditions::default());
    let keys = |s: &ServicesState| s.rows.iter().map(|r| r.row.key.clone()).collect::<Vec<_>>();
    // Config order within each kind, kinds in config.toml.example's order.
    assert_eq!(keys(&s), ["http:a", "tcp:b", "docker:local", "syncthing:st"]);
    assert!(
        s.rows
            .iter()
            .all(|r| r.row.health == Health::Unknown && r.checked_at.is_none())
    );
    assert!(!s.first_round_done(&c));
    s.apply(http("a", Some("g"), Health::Error), 0, &mut cd);
    assert!(
        !cd.problems(0).iter().any(|p| p.title.starts_with("all g")),
        "b has not answered"
    );
    // A container lands after its endpoint's row, not at the end.
    let mut head = Row::new("docker:local", Kind::Container, "docker local", Health::Ok, "connected");
    head.source = "local".into();
    s.apply(
        ServiceUpdate::Set {
            scope: "docker:local".into(),
            rows: vec![head, container("web", "running", 0, None)],
        },
        0,
        &mut cd,
    );
    assert_eq!(
        keys(&s),
        ["http:a", "tcp:b", "docker:local", "docker:local/web", "syncthing:st"]
    );
    let mut b = Row::new("tcp:b", Kind::Tcp, "b", Health::Error, "connection refused");
    b.group = Some("g".into());
    s.apply(ServiceUpdate::Result(Box::new(b)), 0, &mut cd);
    assert!(cd.problems(0).iter().any(|p| p.title == "all g down (2 of 2)"));
    assert!(!s.first_round_done(&c), "syncthing has not answered");
}

#[test]
fn a_row_without_results_for_three_intervals_is_stale_and_said_so() {
    let (mut s, mut c) = state();
    let mut r = Row::new("tcp:db", Kind::Tcp, "db", Health::Ok, "open");
    r.every_ms = 10_000;
    s.apply(ServiceUpdate::Result(Box::new(r.clone())), 0, &mut c);
    assert!(s.tick(60_000, &mut c).is_empty(), "not yet: 3 x 10 s + 30 s");
    let ev = s.tick(60_001, &mut c);
    assert_eq!(ev[0].title, "db: no new result (checked every 10s)");
    assert_eq!(ev[0].level, Level::Warn);
    let ev = s.apply(ServiceUpdate::Result(Box::new(r)), 61_000, &mut c);
    assert_eq!(ev[0].title, "db: results again");
}

#[test]
fn history_is_bounded() {
    let (mut s, mut c) = state();
    for i in 0..200 {
        s.apply(http("api", None, Health::Ok), i, &mut c);
    }
    assert_eq!(s.get("http:api").unwrap().history.len(), HISTORY);
}

fn container(name: &str, state: &str, restarts: i64, exit: Option<i64>) -> Row {
    let (h, d) = container_health(state, "", exit);
    let mut r = Row::new(format!("docker:local/{name}"), Kind::Container, name, h, d);
    r.container = Some(ContainerInfo {
        endpoint: "local".into(),
        state: state.into(),
        restart_count: restarts,
        exit_code: exit,
        ..Default::default()
    });
    r
}

#[test]
fn restart_count_rising_is_a_ticker_event_and_removed_containers_go() {
    let (mut s, mut c) = state();
    let set = |rows| ServiceUpdate::Set {
        scope: "docker:local".into(),
        rows,
    };
    s.apply(
        set(vec![
            container("flappy", "running", 6, None),
            container("web", "running", 0, None),
        ]),
        0,
        &mut c,
    );
    let ev = s.apply(set(vec![container("flappy", "restarting", 7, None)]), 1000, &mut c);
    let titles: Vec<&str> = ev.iter().map(|e| e.title.as_str()).collect();
    assert!(titles.contains(&"flappy restarted, count 7"), "{titles:?}");
    assert!(titles.contains(&"web removed"), "{titles:?}");
    assert_eq!(s.rows.len(), 1);
    let ev = s.apply(set(vec![container("flappy", "exited", 7, Some(1))]), 2000, &mut c);
    assert!(ev.iter().any(|e| e.title == "flappy exited (code 1)"));
    assert!(c.problems(2000).iter().any(|p| p.title == "flappy: exited (1)"));
}

#[test]
fn outside_strings_are_sanitised_and_cut() {
    let (mut s, mut c) = state();
    let mut r = Row::new("x", Kind::Launchd, "a\x1b[31mb", Health::Ok, "y".repeat(10_000));
    r.source = "\x07h".into();
    s.apply(ServiceUpdate::Result(Box::new(r)), 0, &mut c);
    let row = &s.rows[0].row;
    assert!(!row.name.contains('\x1b'));
    assert!(row.detail.chars().count() <= DETAIL_MAX + 1);
}

/// Every rise of a counted thing (Syncthing conflict files, a unit's
/// restarts) is an event; the first, from none, is the warning's edge.
#[test]
fn each_rise_of_a_count_is_an_event() {
    let (mut s, mut c) = state();
    let folder = |n: i64, h: Health| {
        let mut r = Row::new(
            "syncthing:s/f",
            Kind::Syncthing,
            "docs",
            h,
            format!("idle 100%, {n} conflict files"),
        );
        r.rising = Some((n, "conflict files"));
        ServiceUpdate::Result(Box::new(r))
    };
    s.apply(folder(0, Health::Ok), 0, &mut c);
    let ev = s.apply(folder(1, Health::Warn), 1000, &mut c);
    let titles: Vec<&str> = ev.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["docs: idle 100%, 1 conflict files"]);
    let ev = s.apply(folder(3, Health::Warn), 2000, &mut c);
    let titles: Vec<&str> = ev.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["docs: conflict files 1 -> 3"]);
    assert_eq!(ev[0].level, Level::Warn);
    assert!(s.apply(folder(3, Health::Warn), 3000, &mut c).is_empty());
    assert!(
        s.apply(folder(2, Health::Warn), 4000, &mut c).is_empty(),
        "a fall is no event"
    );
    let ev = s.apply(folder(4, Health::Warn), 5000, &mut c);
    assert_eq!(ev[0].title, "docs: conflict files 2 -> 4");
}
