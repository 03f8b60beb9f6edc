use super::*;
use crate::store::tests::{config, ok};

const S: i64 = 1000;

#[test]
fn check_exit_codes_follow_the_worst_problem() {
    let mut st = Store::new(&config(""));
    st.apply(ok(0, 10.0), 0);
    let (out, code) = report(&st, 0);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("OK: 1/1 hosts online, 0 problems"), "{out}");
    st.apply(ok(S, 85.0), S);
    let (out, code) = report(&st, S);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("WARN     box: box disk /home 85% full\nWARNING: "),
        "{out}"
    );
    st.apply(ok(2 * S, 95.0), 2 * S);
    let (out, code) = report(&st, 2 * S);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("CRITICAL box: box disk /home 95% full"), "{out}");
}

/// A group all down is critical in a one-round view (the snapshot says so
/// too): `--check` exits 2.
#[test]
fn a_group_all_down_exits_critical() {
    use crate::update::Update;
    use crate::update::services::{Health, Kind, Row, ServiceUpdate};
    let row = |key: &str, group: Option<&str>, health| {
        let mut r = Row::new(key, Kind::Http, key, health, "HTTP 502");
        r.group = group.map(str::to_string);
        Update::Services(ServiceUpdate::Result(Box::new(r)))
    };
    let mut st = Store::new(&config(""));
    st.services.group_rounds = 1;
    st.apply(row("http:t1", Some("tunnels"), Health::Error), 0);
    st.apply(row("http:t2", Some("tunnels"), Health::Ok), 0);
    st.apply(row("http:api", None, Health::Ok), 0);
    assert_eq!(report(&st, 0).1, 1, "one of two down: not yet critical");
    st.apply(row("http:t2", Some("tunnels"), Health::Error), 0);
    let (out, code) = report(&st, 0);
    assert_eq!(code, 2, "{out}");
}
