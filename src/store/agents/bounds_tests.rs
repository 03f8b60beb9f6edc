//! What bounds the Agents tab: the config, not whoever publishes.

use super::*;
use crate::store::Store;
use crate::update::Update;

const T: i64 = 1_780_000_000_000;

fn store(agents: &str) -> Store {
    let c = crate::config::parse_str(
        &format!("[agents]\n{agents}\n[[agents.daemon]]\nname = \"scout\"\n"),
        "t",
    )
    .unwrap();
    Store::new(&c)
}

fn ev(agent: &str, kind: &str, at: i64, output: String, source: &str) -> Update {
    let json = serde_json::json!({"agent": agent, "event": kind, "finished_at": at, "output": output});
    let Ok(crate::parse::agent::Parsed::Run(event)) = crate::parse::agent::parse(&json.to_string()) else {
        panic!("{json}")
    };
    Update::Agents(AgentUpdate::Event {
        event,
        source: source.into(),
        history: false,
    })
}

fn run(agent: &str, at: i64, output: String) -> Update {
    ev(agent, "completed", at, output, "runlog t")
}

#[test]
fn rows_of_agents_the_config_does_not_name_are_capped_and_the_rest_counted() {
    let mut st = store("max_discovered = 3");
    for round in 0..2 {
        for i in 0..10 {
            st.apply(run(&format!("a{i}"), T + round * 100 + i, "x".into()), T);
        }
    }
    st.apply(run("scout", T + 500, "ok".into()), T);
    let names: Vec<&str> = st.agents.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["scout", "a0", "a1", "a2"]);
    assert_eq!((st.agents.not_shown(), st.agents.not_shown_events), (7, 14));
    assert_eq!(
        st.agents.get("scout").unwrap().ok,
        1,
        "a configured agent always has its row"
    );
}

#[test]
fn the_default_cap_is_200_and_discovery_can_be_off() {
    let mut st = store("");
    for i in 0..3_000 {
        st.apply(run(&format!("flood-{i}"), T + i, String::new()), T);
    }
    assert_eq!(st.agents.agents.len(), 1 + 200);
    assert_eq!(st.agents.not_shown(), 2_800);

    let mut st = store("discover = false");
    st.apply(run("stranger", T, "x".into()), T);
    st.apply(run("scout", T, "x".into()), T);
    let names: Vec<&str> = st.agents.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["scout"]);
    assert_eq!(st.agents.not_shown(), 1);
}

#[test]
fn a_name_from_outside_is_bounded() {
    let mut st = store("");
    st.apply(run(&"n".repeat(100_000), T, String::new()), T);
    let a = st.agents.agents.last().unwrap();
    assert_eq!((a.name.chars().count(), a.tag.chars().count()), (MAX_NAME, MAX_NAME));
    let summary = serde_json::json!({"agent": "s", "event": "completed", "summary": "y".repeat(100_000)});
    let Ok(crate::parse::agent::Parsed::Run(e)) = crate::parse::agent::parse(&summary.to_string()) else {
        panic!()
    };
    st.apply(
        Update::Agents(AgentUpdate::Event {
            event: e,
            source: "t".into(),
            history: false,
        }),
        T,
    );
    assert_eq!(
        st.agents.get("s").unwrap().last().unwrap().extracted.len(),
        MAX_EXTRACTED
    );
}

#[test]
fn an_agents_outputs_share_one_budget_and_the_oldest_go_first() {
    let mut st = store("");
    for i in 0..6 {
        st.apply(run("scout", T + i, format!("{i}").repeat(MAX_OUTPUT)), T);
    }
    let a = st.agents.get("scout").unwrap();
    let kept: usize = a.runs.iter().map(|r| r.output.len()).sum();
    assert!(kept <= AGENT_OUTPUT_BUDGET, "{kept}");
    assert_eq!((a.output_bytes, st.agents.output_bytes), (kept, kept));
    let newest = a.last().unwrap();
    assert_eq!(newest.output.len(), MAX_OUTPUT, "the newest output is kept");
    let oldest = &a.runs[0];
    // Dropped, and its size kept: the viewer says what was cut, and why
    // (ui::agents::tests::a_run_dropped_for_the_budget_says_so).
    assert!(oldest.output.is_empty() && oldest.output_cut == MAX_OUTPUT);
}

#[test]
fn all_agents_outputs_share_one_budget_and_the_oldest_go_first() {
    let mut st = store("");
    for i in 0..20 {
        st.apply(run(&format!("a{i}"), T + i, "z".repeat(MAX_OUTPUT)), T);
    }
    let sum: usize = st.agents.agents.iter().map(|a| a.output_bytes).sum();
    assert_eq!(st.agents.output_bytes, sum);
    assert!(sum <= TOTAL_OUTPUT_BUDGET, "{sum}");
    assert!(
        st.agents.get("a0").unwrap().runs[0].output.is_empty(),
        "the oldest went"
    );
    assert_eq!(st.agents.get("a19").unwrap().runs[0].output.len(), MAX_OUTPUT);
    // Runs that fall out of the history give their bytes back.
    for i in 0..(MAX_RUNS as i64 + 1) {
        st.apply(run("a19", T + 100 + i, String::new()), T);
    }
    let sum: usize = st.agents.agents.iter().map(|a| a.output_bytes).sum();
    assert_eq!(st.agents.output_bytes, sum);
}

/// Everything the store sends to the outlet (NATS publishing, the webhook).
fn outlet(st: &mut Store) -> tokio::sync::mpsc::Receiver<crate::update::Event> {
    let (tx, rx) = tokio::sync::mpsc::channel(100);
    st.outlet = Some(tx);
    rx
}

fn published(rx: &mut tokio::sync::mpsc::Receiver<crate::update::Event>) -> Vec<String> {
    std::iter::from_fn(|| rx.try_recv().ok()).map(|e| e.title).collect()
}

#[test]
fn runs_heard_on_the_bus_are_not_said_again_but_what_fleettop_derives_is() {
    let mut st = store("");
    let mut rx = outlet(&mut st);
    let bus = "nats fleet.agents.> (stream FLEET)";
    st.apply(ev("scout", "completed", T, "fine".into(), bus), T);
    assert!(
        titles(&st).iter().any(|t| t.starts_with("scout completed")),
        "on the ticker"
    );
    assert_eq!(published(&mut rx), Vec::<String>::new());
    for i in 1..=3 {
        st.apply(ev("scout", "failed", T + i, "boom".into(), bus), T + i);
    }
    let out = published(&mut rx);
    assert!(out.iter().all(|t| !t.starts_with("scout failed (")), "{out:?}");
    // The third failure in a row is critical: fleettop's own conclusion.
    assert!(out.iter().any(|t| t == "scout failed: boom"), "{out:?}");
    assert!(out.iter().any(|t| t == "scout failed 3 times in a row"), "{out:?}");
    st.apply(ev("scout", "completed", T + 10, "ok".into(), bus), T + 10);
    let out = published(&mut rx);
    assert!(
        out.iter().any(|t| t == "scout recovered after 3 failed runs"),
        "{out:?}"
    );
    assert!(!out.iter().any(|t| t.starts_with("scout completed")), "{out:?}");
    // A runlog is not the bus: its runs are published as before.
    st.apply(ev("scout", "completed", T + 20, "ok".into(), "runlog /x"), T + 20);
    assert!(published(&mut rx).iter().any(|t| t.starts_with("scout completed")));
}

fn titles(st: &Store) -> Vec<String> {
    st.events.newest_first().map(|e| e.title.clone()).collect()
}

#[test]
fn a_notice_from_the_bus_has_a_fixed_kind_and_is_not_published() {
    let mut st = store("");
    let mut rx = outlet(&mut st);
    let json = r#"{"type":"nats.link.>\u001b[2J","peer_id":"mallory\nINFO forged","summary":"hi"}"#;
    let Ok(crate::parse::agent::Parsed::Notice(n)) = crate::parse::agent::parse(json) else {
        panic!()
    };
    st.apply(Update::Agents(AgentUpdate::Notice(n)), T);
    let e = st.events.newest_first().next().unwrap();
    assert_eq!(e.kind, "notice");
    assert_eq!(e.title, "mallory INFO forged: nats.link.>: hi");
    assert_eq!(published(&mut rx), Vec::<String>::new());
}
