use super::*;
use crate::metric::{JsonPath, Selector};

#[test]
fn bodies_are_read_or_refused_in_words() {
    let prom = Pick::Prometheus {
        selector: Selector::parse(r#"q{queue="a"}"#).unwrap(),
        sum: false,
    };
    let page = b"# TYPE q gauge\nq{queue=\"a\"} 946\nq{queue=\"b\"} NaN\ngarbage line\n";
    assert_eq!(read(&prom, page), Ok(Value::Number(946.0)));
    let nan = Pick::Prometheus {
        selector: Selector::parse(r#"q{queue="b"}"#).unwrap(),
        sum: false,
    };
    assert_eq!(read(&nan, page), Err("q is NaN".into()));
    let inf = Pick::Prometheus {
        selector: Selector::parse("q").unwrap(),
        sum: true,
    };
    assert!(read(&inf, b"q +Inf\nq 1\n").unwrap_err().contains("inf"));
    assert!(
        read(&prom, b"<html>\x00\xff</html>")
            .unwrap_err()
            .starts_with("not a Prometheus page")
    );
    let json = Pick::Json(JsonPath::parse("a.b").unwrap());
    let Ok(Value::Text(t)) = read(&json, br#"{"a":{"b":"\u001b[31mred"}}"#) else {
        panic!("a text value")
    };
    assert!(t.ends_with("red") && !t.contains('\x1b'), "{t:?}");
    let deep = "[".repeat(100_000);
    assert_eq!(read(&json, deep.as_bytes()), Err("not JSON (nested too deeply)".into()));
    assert!(read(&json, b"{\"a\":").unwrap_err().starts_with("not JSON (line 1"));
    assert!(read(&json, br#"{"a":{"b":1e400}}"#).is_err());
    let long = format!(r#"{{"a":{{"b":"{}"}}}}"#, "x".repeat(10_000));
    let Ok(Value::Text(t)) = read(&json, long.as_bytes()) else {
        panic!("a text value")
    };
    assert_eq!(t.chars().count(), TEXT_MAX + 1);
}

#[test]
fn text_values_are_sanitised() {
    let Value::Text(t) = text("a\x1b[31mb\nc") else {
        panic!()
    };
    assert!(!t.chars().any(|c| c.is_control()), "{t:?}");
}

#[test]
fn json_values_by_type() {
    let doc = br#"{"n":null,"o":{},"b":true,"big":18446744073709551615}"#;
    let r = |p: &str| read(&Pick::Json(JsonPath::parse(p).unwrap()), doc);
    assert_eq!(r("n"), Err("n is null".into()));
    assert!(r("o").unwrap_err().contains("not a number"));
    assert_eq!(r("b"), Ok(Value::Bool(true)));
    assert!(matches!(r("big"), Ok(Value::Number(_))));
}
