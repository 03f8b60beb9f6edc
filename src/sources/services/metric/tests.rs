use super::*;

fn out(text: &str, cut: bool) -> Output {
    Output {
        text: text.into(),
        cut,
        stderr_bytes: 0,
        exit_status: Some(0),
    }
}

#[test]
fn a_remote_file_answer_is_framed_by_its_first_line() {
    assert_eq!(
        read_file_answer(&out("ok\n{\"a\":1}\n", false), 100),
        Ok(b"{\"a\":1}\n".to_vec())
    );
    assert_eq!(
        read_file_answer(&out("missing\n", false), 100),
        Err("file missing".into())
    );
    assert!(read_file_answer(&out("unreadable\n", false), 100).is_err());
    assert!(
        read_file_answer(&out("ok\nxxxxx", true), 100)
            .unwrap_err()
            .contains("larger")
    );
    assert!(
        read_file_answer(&out("ok\n12345", false), 4)
            .unwrap_err()
            .contains("larger")
    );
    assert!(read_file_answer(&out("", false), 4).unwrap_err().contains("no answer"));
}

fn cfg() -> MetricService {
    let c = crate::config::parse_str(
        "[[services.metric]]\nname = \"c\"\nurl = \"http://x/m\"\nprometheus = \"c_total\"\nrate = true\n",
        "t",
    )
    .unwrap();
    c.services.metric[0].clone()
}

#[test]
fn a_counter_is_a_rate_from_its_second_reading() {
    let c = cfg();
    let mut counter = None;
    let r = as_rate(&c, 100.0, 0, &mut counter);
    assert_eq!(r.health, Health::Unknown);
    let r = as_rate(&c, 160.0, 30_000, &mut counter);
    assert_eq!(r.metric.unwrap().value, Some(Value::Number(2.0)));
    let r = as_rate(&c, 30.0, 60_000, &mut counter);
    assert_eq!(r.metric.unwrap().value, Some(Value::Number(1.0)), "reset");
}
