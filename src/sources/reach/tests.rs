use super::*;

/// The lines' texts, an overlong one as `<too long>`.
pub(super) fn texts(lines: Vec<Line>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| match l {
            Line::Text(t) => t,
            Line::TooLong => "<too long>".into(),
        })
        .collect()
}

#[test]
fn places_name_the_host() {
    assert_eq!(Reach::Local.place("/var/log/x"), "/var/log/x");
    assert_eq!(Reach::Ssh("box".into()).place("~/runs.jsonl"), "box:~/runs.jsonl");
    assert_eq!(
        (Reach::Local.host(), Reach::Ssh("box".into()).host()),
        (None, Some("box"))
    );
}

#[tokio::test]
async fn a_local_runlog_is_history_at_start_then_news() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.jsonl");
    std::fs::write(&path, "a\n").unwrap();
    let mut log = Reach::Local.runlog(path.to_str().unwrap());
    let (lines, history) = log.poll().await.unwrap();
    assert_eq!((texts(lines), history), (vec!["a".to_string()], true));
    std::fs::write(&path, "a\nb\n").unwrap();
    let (lines, history) = log.poll().await.unwrap();
    assert_eq!((texts(lines), history), (vec!["b".to_string()], false));
}

#[tokio::test]
async fn a_local_runlog_missing_at_start_has_no_backlog() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.jsonl");
    let mut log = Reach::Local.runlog(path.to_str().unwrap());
    assert!(log.poll().await.unwrap_err().contains("No such file"));
    std::fs::write(&path, "x\n").unwrap();
    let (lines, history) = log.poll().await.unwrap();
    assert_eq!((texts(lines), history), (vec!["x".to_string()], false));
}

#[tokio::test]
async fn local_file_times_are_asked_for_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let hb = dir.path().join("hb.json");
    std::fs::write(&hb, r#"{"t": 120}"#).unwrap();
    let hb = hb.to_str().unwrap();
    let (h, l) = Reach::Local.file_times(Some(hb), Some("t"), None).await;
    assert_eq!((h, l), (Some(Ok(120_000)), None));
    let missing = dir.path().join("nope.log");
    let (h, l) = Reach::Local.file_times(None, None, missing.to_str()).await;
    assert!(h.is_none());
    assert!(
        l.unwrap()
            .unwrap_err()
            .starts_with(&format!("log {}: ", missing.display()))
    );
}
