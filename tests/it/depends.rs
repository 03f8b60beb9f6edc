//! `depends_on` against real servers: an HTTP check that needs a TCP port
//! (the "drain worker"); the test takes the drain down and the HTTP check
//! says "blocked by drain" instead of raising a problem of its own.

use fleettop::config::parse_str;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A tiny HTTP server answering 200 on every path; dropped, its port refuses.
async fn serve() -> (u16, tokio::task::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                    .await;
            });
        }
    });
    (port, task)
}

fn config(port: u16, depends: bool) -> fleettop::config::Config {
    let dep = if depends { "depends_on = [\"drain\"]" } else { "" };
    let text = format!(
        "[[services.tcp]]\nname = \"drain\"\naddress = \"127.0.0.1:{port}\"\ntimeout = \"1s\"\n\
         [[services.http]]\nname = \"adapter\"\nurl = \"http://127.0.0.1:{port}/v1\"\ntimeout = \"1s\"\n{dep}\n"
    );
    parse_str(&text, "test").unwrap()
}

async fn snapshot(cfg: &fleettop::config::Config) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&fleettop::headless::snapshot(cfg, false).await).unwrap();
    crate::common::schema_valid(&v);
    v
}

fn service<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
}

fn problem_titles(v: &serde_json::Value) -> Vec<String> {
    let ps = v["problems"].as_array().unwrap();
    ps.iter().map(|p| p["title"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_check_behind_a_dead_dependency_is_blocked_not_a_problem() {
    let (port, task) = serve().await;
    // Up: nothing blocked.
    let v = snapshot(&config(port, true)).await;
    assert_eq!(service(&v, "adapter")["state"], "ok");
    assert!(service(&v, "adapter")["blocked_by"].is_null());
    // The test takes the drain down: both fail, one problem.
    task.abort();
    let _ = task.await;
    let v = snapshot(&config(port, true)).await;
    assert_eq!(service(&v, "drain")["state"], "error");
    assert_eq!(service(&v, "adapter")["blocked_by"], "drain", "{v}");
    let titles = problem_titles(&v);
    assert_eq!(titles.len(), 1, "{titles:?}");
    assert!(
        titles[0].starts_with("drain down: ") && titles[0].ends_with("(blocks adapter)"),
        "{titles:?}"
    );
    let (report, code) = fleettop::headless::check(&config(port, true)).await;
    assert_eq!(code, 1, "{report}");
    assert!(!report.contains("adapter down"), "{report}");
    assert!(report.contains("1 problems"), "{report}");
    // Without depends_on the same outage is two problems.
    let v = snapshot(&config(port, false)).await;
    assert_eq!(problem_titles(&v).len(), 2, "{v}");
    assert!(service(&v, "adapter")["blocked_by"].is_null());
}

/// The Services tab at 100x30 under console glyphs: the dependent says
/// what blocks it, the cause what it blocks, and the tab counts one problem.
#[test]
fn blocked_rows_on_the_services_tab() {
    use fleettop::store::{Store, Tab};
    use fleettop::ui::View;
    use fleettop::update::Update;
    use fleettop::update::services::{Health, Kind, Row, ServiceUpdate};
    const NOW: i64 = 1_780_000_000_000;
    let mut st = Store::new(&config(4000, true));
    let mut put = |key: &str, kind, name: &str, h, detail: &str| {
        let mut r = Row::new(key, kind, name, h, detail);
        r.source = "127.0.0.1:4000".into();
        r.latency_ms = Some(1.0);
        st.apply(Update::Services(ServiceUpdate::Result(Box::new(r))), NOW);
    };
    put("tcp:drain", Kind::Tcp, "drain", Health::Error, "connection refused");
    put(
        "http:adapter",
        Kind::Http,
        "adapter",
        Health::Error,
        "connection refused",
    );
    assert_eq!(st.problem_count(Tab::Services, NOW).0, 1);
    let view = View {
        tab: Tab::Services,
        ..View::default()
    };
    let buf = crate::common::screen::console_100x30(&st, &view, NOW, "a check blocked by its dependency");
    let screen = crate::common::screen::text(&buf);
    assert!(screen.contains("blocked by drain; connection refused"), "{screen}");
    assert!(screen.lines().next().unwrap().contains("Services 1!"), "{screen}");
    insta::assert_snapshot!("depends_blocked_100x30", screen);
}

/// The Agents tab at 100x30 under console glyphs: a daemon whose run failed
/// while the check it depends on is down says "blocked by", and only the
/// cause is a problem.
#[test]
fn a_blocked_daemon_on_the_agents_tab() {
    use fleettop::parse::agent::{Parsed, parse};
    use fleettop::store::{Store, Tab};
    use fleettop::ui::View;
    use fleettop::update::Update;
    use fleettop::update::agents::AgentUpdate;
    use fleettop::update::services::{Health, Kind, Row, ServiceUpdate};
    const NOW: i64 = 1_780_000_000_000;
    let cfg = "[[services.tcp]]\nname = \"drain\"\naddress = \"127.0.0.1:1\"\n\
        [[agents.daemon]]\nname = \"scout\"\nschedule = \"event:queue\"\ndepends_on = [\"drain\"]\n";
    let mut st = Store::new(&fleettop::config::parse_str(cfg, "t.toml").unwrap());
    let r = Row::new("tcp:drain", Kind::Tcp, "drain", Health::Error, "connection refused");
    st.apply(Update::Services(ServiceUpdate::Result(Box::new(r))), NOW - 60_000);
    let line = format!(
        r#"{{"agent":"scout","event":"failed","exit_code":1,"started_at":{},"finished_at":{}}}"#,
        (NOW - 50_000) / 1000,
        (NOW - 40_000) / 1000
    );
    let Ok(Parsed::Run(event)) = parse(&line) else {
        panic!("{line}")
    };
    st.apply(
        Update::Agents(AgentUpdate::Event {
            event,
            source: "test".into(),
            history: false,
        }),
        NOW - 40_000,
    );
    assert_eq!(st.agents.get("scout").unwrap().blocked_by.as_deref(), Some("drain"));
    let titles: Vec<String> = st.problems(NOW).iter().map(|p| p.title.to_string()).collect();
    assert_eq!(titles, ["drain down: connection refused (blocks scout)"]);
    let view = View {
        tab: Tab::Agents,
        ..View::default()
    };
    let buf = crate::common::screen::console_100x30(&st, &view, NOW, "blocked daemon");
    let screen = crate::common::screen::text(&buf);
    assert!(screen.contains("blocked by drain"), "{screen}");
    // Its failed run is not an alert of its own: not an error in the ticker.
    assert!(!screen.contains("ERROR scout"), "{screen}");
    assert!(
        screen.contains("scout failed (exit 1) (blocked by drain) - test"),
        "{screen}"
    );
    insta::assert_snapshot!("depends_blocked_daemon_100x30", screen);
}
