use crate::config::{ConfigError, Equals, parse_str};

fn errors(text: &str) -> Vec<ConfigError> {
    parse_str(text, "cfg.toml").expect_err("should be rejected")
}

const FULL: &str = r#"
[[hosts]]
name = "mac-mini"
ssh = "me@10.0.0.9"

[[services.metric]]
name = "rag-queue"
url = "http://10.0.0.5:9100/metrics"
prometheus = 'rag_queue_depth{queue="bookstack"}'
warn_above = 500
critical_above = 900.5
frozen_after = "30m"
frozen_above = 5
sustain = "2m"
unit = "items"
interval = "30s"
timeout = "3s"
group = "rag"

[[services.metric]]
name = "failover"
path = "~/state/status.json"
host = "mac-mini"
json = 'nodes[0]["ready.now"]'
equals = true

[[services.metric]]
name = "tokens"
url = "https://x/metrics"
prometheus = "tokens_total"
aggregate = "sum"
rate = true
warn_below = 1
"#;

#[test]
fn every_key_of_a_metric_parses() {
    let c = parse_str(FULL, "cfg.toml").unwrap();
    let m = &c.services.metric;
    assert_eq!(m.len(), 3);
    let r = m[0].rules();
    assert_eq!((r.warn_above, r.critical_above), (Some(500.0), Some(900.5)));
    assert_eq!((r.frozen_after_ms, r.frozen_above), (Some(1_800_000), Some(5.0)));
    assert_eq!(m[0].sustain.unwrap().as_millis(), 120_000);
    assert_eq!(
        m[1].equals.as_ref().map(|e| e.get_ref().clone()),
        Some(Equals::Bool(true))
    );
    assert!(m[1].pick().is_ok() && m[2].rate);
    assert_eq!(m[0].key(), "metric:rag-queue");
    assert_eq!(c.services.count(), 3);
}

#[test]
fn equals_takes_strings_numbers_and_booleans() {
    for (v, want) in [
        ("\"ready\"", Equals::Text("ready".into())),
        ("3", Equals::Number(3.0)),
        ("false", Equals::Bool(false)),
    ] {
        let c = parse_str(
            &format!("[[services.metric]]\nname = \"x\"\npath = \"/s\"\njson = \"a\"\nequals = {v}\n"),
            "c",
        )
        .unwrap();
        assert_eq!(c.services.metric[0].equals.as_ref().unwrap().get_ref(), &want);
    }
}

#[test]
fn mistakes_point_at_their_line_and_column() {
    let base = "[[services.metric]]\nname = \"x\"\n";
    for (rest, line, words) in [
        ("json = \"a\"\n", 2, "a `url` or a `path`"),
        ("url = \"http://a\"\npath = \"/b\"\njson = \"a\"\n", 3, "not both"),
        ("url = \"ftp://a\"\njson = \"a\"\n", 3, "not an http"),
        (
            "path = \"/a\"\nhost = \"nowhere\"\njson = \"a\"\n",
            4,
            "no [[hosts]] named",
        ),
        (
            "url = \"http://a\"\nhost = \"h\"\njson = \"a\"\n",
            4,
            "goes with `path`",
        ),
        ("path = \"/a\"\n", 2, "exactly one of `prometheus` or `json`"),
        ("path = \"/a\"\njson = \"a\"\nprometheus = \"b\"\n", 5, "exactly one"),
        ("path = \"/a\"\nprometheus = 'x{a=~\"b\"}'\n", 4, "not supported"),
        ("path = \"/a\"\njson = \"a..b\"\n", 4, "a path like"),
        (
            "path = \"/a\"\njson = \"a\"\nwarn_above = 900\ncritical_above = 500\n",
            5,
            "above critical_above",
        ),
        (
            "path = \"/a\"\njson = \"a\"\nwarn_below = 1\ncritical_below = 5\n",
            5,
            "below critical_below",
        ),
        (
            "path = \"/a\"\njson = \"a\"\nequals = true\nwarn_above = 1\n",
            5,
            "rule of its own",
        ),
        (
            "path = \"/a\"\njson = \"a\"\nfrozen_above = 1\n",
            5,
            "needs frozen_after",
        ),
        ("path = \"/a\"\njson = \"a\"\ninterval = \"0s\"\n", 5, "more than 0s"),
        (
            "path = \"/a\"\njson = \"a\"\naggregate = \"max\"\n",
            5,
            "the one aggregate",
        ),
        ("path = \"/a\"\njson = \"a\"\nwarn_above = nan\n", 5, "finite"),
        ("path = \"/a\"\njson = \"a\"\nsustian = \"1m\"\n", 5, "sustian"),
        ("path = \"/a\"\njson = \"a\"\nequals = [1]\n", 5, "equals"),
    ] {
        let e = errors(&format!("{base}{rest}"));
        assert!(
            e.iter().any(|e| e.line == line && e.message.contains(words)),
            "{rest}: {e:?}"
        );
    }
    let e = errors(&format!(
        "{base}path = \"/a\"\njson = \"a\"\n{base}path = \"/b\"\njson = \"b\"\n"
    ));
    assert!(e[0].message.contains("duplicate [[services.metric]] name"), "{e:?}");
}
