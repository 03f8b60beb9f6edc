use super::*;
use crate::metric::Rules;
use crate::store::Conditions;
use crate::store::services::ServicesState;
use crate::update::services::ServiceUpdate;

const CONFIG: &str = r#"
[[services.metric]]
name = "q"
url = "http://127.0.0.1:1/metrics"
prometheus = "q"
unit = "items"
"#;

fn state() -> (ServicesState, Conditions) {
    let c = crate::config::parse_str(CONFIG, "test").unwrap();
    (ServicesState::new(&c), Conditions::default())
}

fn reading(value: Option<Value>, rules: &Rules, sustain_ms: i64) -> ServiceUpdate {
    let mut r = Row::new("metric:q", Kind::Metric, "q", Health::Ok, "");
    r.every_ms = 30_000;
    if value.is_none() {
        (r.health, r.detail) = (Health::Error, "HTTP 500".into());
    }
    r.metric = Some(Box::new(MetricInfo {
        value,
        unit: "items".into(),
        rules: rules.clone(),
        sustain_ms,
        ..MetricInfo::default()
    }));
    ServiceUpdate::Result(Box::new(r))
}

fn queue() -> Rules {
    Rules {
        warn_above: Some(500.0),
        critical_above: Some(900.0),
        frozen_after_ms: Some(30 * 60_000),
        ..Rules::default()
    }
}

fn level(c: &Conditions, now: Millis) -> Option<Level> {
    c.problems(now).first().map(|p| p.level)
}

#[test]
fn a_configured_metric_waits_for_its_first_reading() {
    let (s, _) = state();
    let row = &s.get("metric:q").unwrap().row;
    assert_eq!((row.kind, row.health), (Kind::Metric, Health::Unknown));
    assert_eq!(row.source, "http://127.0.0.1:1/metrics");
}

#[test]
fn warn_then_critical_only_after_two_readings() {
    let (mut s, mut c) = state();
    let n = |v: f64| Some(Value::Number(v));
    s.apply(reading(n(12.0), &queue(), 0), 0, &mut c);
    assert_eq!(s.get("metric:q").unwrap().row.detail, "12 items");
    assert_eq!(level(&c, 0), None);
    let ev = s.apply(reading(n(600.0), &queue(), 0), 30_000, &mut c);
    assert_eq!(s.get("metric:q").unwrap().row.detail, "600 items, above 500 (warn)");
    assert_eq!((ev.len(), ev[0].level), (1, Level::Warn));
    let ev = s.apply(reading(n(946.0), &queue(), 0), 60_000, &mut c);
    assert_eq!(
        ev[0].level,
        Level::Error,
        "one reading past critical is not yet critical"
    );
    assert_eq!(ev[0].title, "q: 946 items, above 900 (critical)");
    // Time alone does not make it critical: a second reading must agree.
    assert!(s.tick(89_000, &mut c).is_empty());
    let ev = s.apply(reading(n(950.0), &queue(), 0), 90_000, &mut c);
    assert_eq!(ev[0].level, Level::Critical);
    assert_eq!(level(&c, 90_000), Some(Level::Critical));
    // A failed read breaks the streak.
    s.apply(reading(None, &queue(), 0), 120_000, &mut c);
    assert_eq!(level(&c, 120_000), Some(Level::Error));
    s.apply(reading(n(950.0), &queue(), 0), 150_000, &mut c);
    assert_eq!(level(&c, 150_000), Some(Level::Error));
    let ev = s.apply(reading(n(10.0), &queue(), 0), 180_000, &mut c);
    assert_eq!(ev[0].title, "q is ok again");
    assert_eq!(level(&c, 180_000), None);
}

#[test]
fn a_sustain_time_holds_critical_back_until_it_passes() {
    let (mut s, mut c) = state();
    let v = || Some(Value::Number(946.0));
    s.apply(reading(v(), &queue(), 120_000), 0, &mut c);
    s.apply(reading(v(), &queue(), 120_000), 30_000, &mut c);
    assert_eq!(level(&c, 30_000), Some(Level::Error), "two readings, but not 2m yet");
    let ev = s.tick(120_000, &mut c);
    assert_eq!(ev[0].level, Level::Critical, "held 2m: critical by time alone");
}

#[test]
fn one_round_views_are_critical_at_once() {
    let (mut s, mut c) = state();
    s.group_rounds = 1;
    s.apply(reading(Some(Value::Number(946.0)), &queue(), 120_000), 0, &mut c);
    assert_eq!(level(&c, 0), Some(Level::Critical));
}

#[test]
fn frozen_counts_from_the_last_change() {
    let (mut s, mut c) = state();
    let n = |v: f64| Some(Value::Number(v));
    s.apply(reading(n(400.0), &queue(), 0), 0, &mut c);
    s.apply(reading(n(401.0), &queue(), 0), 60_000, &mut c);
    s.apply(reading(n(401.0), &queue(), 0), 30 * 60_000, &mut c);
    assert_eq!(level(&c, 30 * 60_000), None, "unchanged for 29m only");
    s.apply(reading(n(401.0), &queue(), 0), 35 * 60_000, &mut c);
    assert_eq!(s.get("metric:q").unwrap().row.detail, "401 items, frozen 34m at 401");
    assert_eq!(level(&c, 35 * 60_000), Some(Level::Error));
}

#[test]
fn history_is_bounded_and_text_sanitised() {
    let (mut s, mut c) = state();
    let eq = Rules {
        equals: Some(Value::Text("ready".into())),
        ..Rules::default()
    };
    for i in 0..(HISTORY as i64 + 50) {
        s.apply(reading(Some(Value::Text("no\x1b[2J".into())), &eq, 0), i * 1000, &mut c);
    }
    let m = s.get("metric:q").unwrap().row.metric.clone().unwrap();
    assert_eq!(m.history.len(), HISTORY);
    assert!(!m.rule.contains('\x1b'), "{}", m.rule);
    assert!(m.rule.ends_with("expected \"ready\""), "{}", m.rule);
    assert_eq!(m.history.front().unwrap().0, 50_000);
}

#[test]
fn a_clock_step_moves_the_reading_times() {
    let (mut s, mut c) = state();
    s.apply(reading(Some(Value::Number(1.0)), &queue(), 0), 1000, &mut c);
    s.shift_clock(500);
    let m = s.get("metric:q").unwrap().row.metric.clone().unwrap();
    assert_eq!((m.history[0].0, m.changed_at), (1500, Some(1500)));
}
