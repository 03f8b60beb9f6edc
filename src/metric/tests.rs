use super::*;

struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

fn sample(name: &str, labels: &[(&str, &str)], value: f64) -> Sample {
    Sample {
        name: name.into(),
        labels: labels.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        value,
    }
}

fn hits<'a>(s: &'a Selector, page: &'a [Sample]) -> impl Iterator<Item = f64> + 'a {
    page.iter().filter(|x| s.matches(&x.name, &x.labels)).map(|x| x.value)
}

#[test]
fn selectors_pick_one_series() {
    let page = [
        sample("rag_queue_depth", &[("queue", "bookstack")], 946.0),
        sample("rag_queue_depth", &[("queue", "wiki")], 3.0),
        sample("other", &[], 1.0),
    ];
    let s = Selector::parse(r#"rag_queue_depth{queue="bookstack"}"#).unwrap();
    assert_eq!(s.select(hits(&s, &page), false), Ok(946.0));
    let s = Selector::parse(r#"rag_queue_depth{ queue != "bookstack" , }"#).unwrap();
    assert_eq!(s.select(hits(&s, &page), false), Ok(3.0));
    let all = Selector::parse("rag_queue_depth").unwrap();
    assert!(
        all.select(hits(&all, &page), false)
            .unwrap_err()
            .contains("2 series match")
    );
    assert_eq!(all.select(hits(&all, &page), true), Ok(949.0));
    let missing = Selector::parse("missing").unwrap();
    assert!(
        missing
            .select(hits(&missing, &page), false)
            .unwrap_err()
            .contains("no series")
    );
    assert_eq!(
        Selector::parse(r#"x{a="q\"uote",b="c"}"#).unwrap().matchers,
        vec![("a".into(), true, "q\"uote".into()), ("b".into(), true, "c".into())]
    );
}

#[test]
fn bad_selectors_say_why() {
    for (s, words) in [
        ("", "not a metric name"),
        ("9x", "not a metric name"),
        ("x{a=\"b\"", "ends with }"),
        ("x{a=b}", "double quotes"),
        ("x{=\"b\"}", "label name"),
        ("x{a=~\"b.*\"}", "not supported"),
        ("x{a!\"b\"}", "label!="),
        ("x{a=\"b}", "double quotes"),
    ] {
        let e = Selector::parse(s).unwrap_err();
        assert!(e.contains(words), "{s}: {e}");
    }
}

#[test]
fn json_paths() {
    let doc: Json = serde_json::from_str(
        r#"{"queue":{"depth":946},"nodes":[{"healthy":false}],"a.b":{"c":"ready"},"n":null,"o":{}}"#,
    )
    .unwrap();
    let get = |p: &str| JsonPath::parse(p).unwrap().get(&doc).cloned();
    assert_eq!(get("queue.depth"), Ok(Json::from(946)));
    assert_eq!(get("nodes[0].healthy"), Ok(Json::Bool(false)));
    assert_eq!(get(r#"["a.b"].c"#), Ok(Json::from("ready")));
    assert_eq!(get("nodes[3].healthy"), Err("no nodes[3]".into()));
    assert_eq!(get("queue.size"), Err("no queue.size".into()));
    assert_eq!(get("n"), Ok(Json::Null));
    assert_eq!(JsonPath::parse(r#"nodes[0]["a.b"]"#).unwrap().text(), "nodes[0].a.b");
    for bad in ["", ".", "a..b", "a.", "a[", "a[x]", "[\"a", "[\"a\"]x"] {
        assert!(JsonPath::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn counters_as_rates_survive_a_reset() {
    assert_eq!(rate(100.0, 0, 160.0, 30_000), Some(2.0));
    assert_eq!(rate(100.0, 0, 30.0, 30_000), Some(1.0), "reset: counts from zero");
    assert_eq!(rate(1.0, 5, 2.0, 5), None);
    assert_eq!(rate(f64::NAN, 0, 2.0, 5), None);
    assert_eq!(rate(1.0, i64::MIN, 2.0, i64::MAX).map(|r| r > 0.0), Some(true));
}

#[test]
fn numbers_as_people_write_them() {
    assert_eq!(number(946.0), "946");
    assert_eq!(number(600.5), "600.5");
    assert_eq!(number(0.12345), "0.123");
    assert_eq!(number(-0.0001), "0");
    assert_eq!(number(1e20), "1e20");
}

#[test]
fn thresholds_equality_and_frozen() {
    let r = Rules {
        warn_above: Some(500.0),
        critical_above: Some(900.0),
        frozen_after_ms: Some(30 * 60_000),
        ..Rules::default()
    };
    assert_eq!(r.judge(&Value::Number(12.0), 0).0, Verdict::Ok);
    assert_eq!(
        r.judge(&Value::Number(946.0), 0),
        (Verdict::Critical, "above 900 (critical)".into())
    );
    assert_eq!(
        r.judge(&Value::Number(600.5), 0),
        (Verdict::Warn, "above 500 (warn)".into())
    );
    assert_eq!(
        r.judge(&Value::Number(400.0), 31 * 60_000),
        (Verdict::Error, "frozen 31m at 400".into())
    );
    assert_eq!(
        r.judge(&Value::Number(0.0), 24 * 3_600_000).0,
        Verdict::Ok,
        "an idle queue is not frozen"
    );
    assert_eq!(
        r.judge(&Value::Number(946.0), 31 * 60_000).0,
        Verdict::Critical,
        "the worst rule wins"
    );
    assert_eq!(r.judge(&Value::Number(400.0), 5 * 3_600_000).1, "frozen 5h at 400");
    let floor = Rules {
        frozen_after_ms: Some(1000),
        frozen_above: Some(5.0),
        ..Rules::default()
    };
    assert_eq!(floor.judge(&Value::Number(5.0), 5000).0, Verdict::Ok);
    assert_eq!(floor.judge(&Value::Number(6.0), 5000).0, Verdict::Error);
    let below = Rules {
        critical_below: Some(1.0),
        warn_below: Some(2.0),
        ..Rules::default()
    };
    assert_eq!(
        below.judge(&Value::Number(1.5), 0),
        (Verdict::Warn, "below 2 (warn)".into())
    );
    assert_eq!(below.judge(&Value::Number(0.5), 0).0, Verdict::Critical);
    let eq = Rules {
        equals: Some(Value::Bool(true)),
        ..Rules::default()
    };
    assert_eq!(eq.judge(&Value::Bool(true), 0).0, Verdict::Ok);
    assert_eq!(
        eq.judge(&Value::Bool(false), 0),
        (Verdict::Error, "expected true".into())
    );
    assert_eq!(eq.judge(&Value::Text("true".into()), 0).0, Verdict::Error);
    assert_eq!(
        r.judge(&Value::Text("x".into()), 0),
        (Verdict::Error, "not a number".into())
    );
}
