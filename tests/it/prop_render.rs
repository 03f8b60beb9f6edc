//! Property test: every tab, drill-down and overlay drawn from a store whose
//! every string came from outside as random Unicode (combining marks, wide
//! CJK, zero-width, right-to-left, control characters and escapes, characters
//! whose lower case has another length, very long and empty strings), at
//! sizes from 20x5 to 200x60. Nothing may panic, and with console glyphs
//! every cell is one the console font has.

use crate::common;
use common::screen::{assert_console_only, text};
use fleettop::fixture::{NOW, S, omarchy};
use fleettop::parse::agent::FleetNotice;
use fleettop::store::{Store, Tab};
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{self, Detail, KioskView, View};
use fleettop::update::agents::AgentUpdate;
use fleettop::update::{SourceError, Update};
use fleettop::update::{nats::LinkState, nats::LinkStats, nats::MonitorSample, nats::NatsUpdate};
use fleettop::update::{
    services::ContainerInfo, services::Health, services::Kind, services::Row, services::ServiceUpdate,
};
use proptest::prelude::*;
use ratatui_textarea::TextArea;
use serde_json::Value;

const CONFIG: &str = r#"
[[hosts]]
name = "omarchy"
local = true
sessions = ["claude"]
[[hosts]]
name = "pi"
ssh = "u@10.0.0.7"
[[hosts]]
name = "mac"
ssh = "u@10.0.0.9"
[[nats]]
name = "main"
monitor_url = "http://127.0.0.1:8222"
url = "nats://127.0.0.1:4222"
[[agents.daemon]]
name = "scout"
tag = "sc"
schedule = "every 5m"
heartbeat_max_age = "6m"
[[agents.daemon]]
name = "unit"
"#;

/// Characters that have broken terminal UIs.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('\u{300}', '\u{36f}'),   // combining marks
        2 => proptest::char::range('\u{4e00}', '\u{9fff}'), // wide CJK
        1 => proptest::char::range('\u{1f300}', '\u{1f64f}'), // wide emoji
        1 => proptest::char::range('\u{200b}', '\u{200f}'), // zero-width, LRM/RLM
        1 => Just('\u{feff}'),
        1 => proptest::char::range('\u{590}', '\u{6ff}'),   // Hebrew, Arabic
        1 => proptest::char::range('\u{202a}', '\u{202e}'), // bidi overrides
        1 => proptest::char::range('\u{2066}', '\u{2069}'), // bidi isolates
        2 => proptest::char::range('\0', '\u{1f}'),         // C0, ESC, tab, newline
        1 => proptest::char::range('\u{7f}', '\u{9f}'),     // DEL, C1
        2 => prop_oneof![Just('\u{130}'), Just('\u{212b}'), Just('\u{1e9e}'), Just('ß'), Just('\u{fb03}'), Just('Σ')],
        1 => prop_oneof![Just('['), Just(']'), Just(' '), Just('%'), Just('{'), Just('\u{2028}')],
        1 => proptest::char::range('\u{e000}', '\u{e0ff}'), // private use
        1 => proptest::char::range('\u{fff0}', '\u{ffff}'), // specials, non-characters
    ]
}

/// A string: usually short, sometimes empty, sometimes thousands of
/// characters.
fn hostile_text() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(hostile_char(), 0..20),
        prop_oneof![8 => Just(1usize), 1 => 50..300usize],
    )
        .prop_map(|(cs, times)| cs.into_iter().collect::<String>().repeat(times))
}

/// Hands out the generated strings in turn.
struct Pool {
    texts: Vec<String>,
    next: usize,
}

impl Pool {
    fn s(&mut self) -> String {
        let s = self.texts[self.next % self.texts.len()].clone();
        self.next += 1;
        s
    }

    /// A fixture's JSON with every string in it replaced.
    fn json(&mut self, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.s(),
            Value::Array(a) => a.iter_mut().for_each(|x| self.json(x)),
            Value::Object(o) => o.values_mut().for_each(|x| self.json(x)),
            _ => {}
        }
    }

    fn fixture(&mut self, name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/nats/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        self.json(&mut v);
        serde_json::to_vec(&v).unwrap()
    }
}

fn host_sample(p: &mut Pool) -> fleettop::model::HostSample {
    let mut h = omarchy(NOW, 1 << 30, 10_000.0);
    h.os = p.s();
    h.kernel = p.s();
    for d in &mut h.disks {
        (d.mount, d.device, d.fs) = (p.s(), p.s(), p.s());
    }
    for i in &mut h.interfaces {
        i.name = p.s();
    }
    for t in &mut h.temps {
        t.label = p.s();
    }
    for b in &mut h.batteries {
        (b.name, b.status) = (p.s(), Some(p.s()));
    }
    for pr in &mut h.processes {
        (pr.name, pr.cmd, pr.user) = (p.s(), p.s(), p.s().into());
    }
    h.sessions = vec![(p.s(), 2), (p.s(), 1)];
    for g in &mut h.gpus {
        g.name = p.s().into();
        for gp in &mut g.processes {
            gp.name = p.s().into();
        }
    }
    h
}

fn service_rows(p: &mut Pool) -> Vec<Row> {
    let kinds = [
        Kind::Http,
        Kind::Tcp,
        Kind::Container,
        Kind::Systemd,
        Kind::Freshness,
        Kind::Process,
        Kind::Syncthing,
        Kind::Launchd,
    ];
    let healths = [Health::Ok, Health::Warn, Health::Error, Health::Unknown];
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let mut r = Row::new(
                format!("{}:{}", kind.as_str(), p.s()),
                *kind,
                p.s(),
                healths[i % 4],
                p.s(),
            );
            r.source = p.s();
            r.group = Some(p.s());
            r.latency_ms = Some(12.0);
            if *kind == Kind::Container {
                r.container = Some(ContainerInfo {
                    endpoint: p.s(),
                    id: p.s(),
                    image: p.s(),
                    state: p.s(),
                    health: p.s(),
                    restart_count: 3,
                    ports: p.s(),
                    fields: vec![(p.s(), p.s()), (p.s(), p.s())],
                    logs: vec![p.s(), p.s(), p.s()],
                    action: Some(p.s()),
                    started_at: Some(NOW - 60 * S),
                    ..ContainerInfo::default()
                });
            }
            r
        })
        .collect()
}

fn agent_json(p: &mut Pool, agent: String) -> Update {
    let event = serde_json::json!({
        "agent": agent, "tag": p.s(), "event": "failed", "trigger": p.s(),
        "started_at": (NOW - 120 * S) / 1000, "finished_at": (NOW - 60 * S) / 1000,
        "exit_code": 1, "output": format!("{}\n{}\n{}", p.s(), p.s(), p.s()), "summary": p.s(),
    });
    match fleettop::parse::agent::parse(&event.to_string()) {
        Ok(fleettop::parse::agent::Parsed::Run(event)) => Update::Agents(AgentUpdate::Event {
            event,
            source: p.s(),
            history: false,
        }),
        other => panic!("{other:?}"),
    }
}

/// A store whose every string from outside comes from `p`.
fn store(p: &mut Pool) -> Store {
    let mut st = Store::new(&fleettop::config::parse_str(CONFIG, "prop.toml").unwrap());
    let at = NOW - 2 * S;
    st.apply(fleettop::fixture::host("omarchy", host_sample(p)), at);
    st.apply(fleettop::fixture::host("omarchy", host_sample(p)), NOW);
    for (name, e) in [
        ("pi", SourceError::Unreachable(p.s())),
        ("mac", SourceError::Auth(p.s())),
    ] {
        st.apply(fleettop::fixture::host(name, fleettop::fixture::small(at, &p.s())), at);
        st.apply(
            Update::Host {
                name: name.into(),
                result: Err(e),
            },
            NOW,
        );
    }
    for r in service_rows(p) {
        st.apply(Update::Services(ServiceUpdate::Result(Box::new(r))), NOW);
    }
    let key = st
        .services
        .rows
        .iter()
        .find(|s| s.row.container.is_some())
        .map(|s| s.row.key.clone());
    if let Some(key) = key {
        let details = ServiceUpdate::ContainerDetails {
            key: key.clone(),
            fields: vec![(p.s(), p.s())],
            logs: vec![p.s(), p.s()],
        };
        st.apply(Update::Services(details), NOW);
        let message = p.s();
        st.apply(
            Update::Services(ServiceUpdate::ActionResult {
                key,
                ok: false,
                message,
            }),
            NOW,
        );
    }
    for t in [at, NOW] {
        let sample = MonitorSample {
            at: t,
            varz: fleettop::parse::nats::varz(&p.fixture("varz-streams.json")).unwrap(),
            jsz: fleettop::parse::nats::jsz(&p.fixture("jsz-streams.json")),
            connz: fleettop::parse::nats::connz(&p.fixture("connz-streams.json")),
            health: Err(p.s()),
        };
        let name = "main".into();
        st.apply(
            Update::Nats(NatsUpdate::Monitor {
                name,
                result: Ok(Box::new(sample)),
            }),
            t,
        );
    }
    let stats = LinkStats {
        state: LinkState::Down(p.s()),
        ..LinkStats::default()
    };
    st.apply(
        Update::Nats(NatsUpdate::Link {
            name: "main".into(),
            stats,
        }),
        NOW,
    );
    let message = NatsUpdate::Message {
        name: "main".into(),
        subject: p.s(),
        payload: p.s().into_bytes(),
    };
    st.apply(Update::Nats(message), NOW);
    let webhook = NatsUpdate::Webhook {
        title: p.s(),
        result: Err(p.s()),
    };
    st.apply(Update::Nats(webhook), NOW);
    for agent in ["scout".to_string(), p.s(), p.s()] {
        let e = agent_json(p, agent.clone());
        st.apply(e, NOW - 60 * S);
        st.apply(agent_json(p, agent), NOW - 30 * S);
    }
    let hb = AgentUpdate::Heartbeat {
        agent: "scout".into(),
        at: Err(p.s()),
    };
    st.apply(Update::Agents(hb), NOW);
    let unit = AgentUpdate::Unit {
        agent: "unit".into(),
        unit: Err(p.s()),
        timer: None,
        journal: Some(p.s()),
    };
    st.apply(Update::Agents(unit), NOW);
    let notice = FleetNotice {
        kind: p.s(),
        source: p.s(),
        text: p.s(),
    };
    st.apply(Update::Agents(AgentUpdate::Notice(notice)), NOW);
    st.tick(NOW);
    st
}

/// Every view: each tab's list (filtered and not), each of its rows'
/// drill-downs (with its inner rows, search, the other toggle), help,
/// the filter line being edited, a confirm question, kiosk.
fn views(st: &Store, p: &mut Pool) -> Vec<View> {
    let mut out = Vec::new();
    let at = |tab: usize, sel: usize| {
        let mut v = View {
            tab: Tab::ALL[tab],
            ..View::default()
        };
        v.lists[tab].selected = sel;
        v
    };
    for tab in 0..4 {
        let n = ui::list_len(st, &at(tab, 0), NOW);
        for sel in 0..n.min(12) {
            out.push(at(tab, sel));
            let Some(d) = ui::open_detail(st, &at(tab, sel), NOW) else {
                continue;
            };
            for (inner, alt, search) in [(0, false, String::new()), (1, true, p.s()), (3, false, "a".into())] {
                let mut d = d.clone();
                (d.list.selected, d.alt, d.list.filter, d.scroll) = (inner, alt, search, inner);
                out.push(View {
                    detail: Some(d),
                    confirm: (tab == 1).then(|| p.s()),
                    ..at(tab, sel)
                });
            }
        }
        let mut filtered = at(tab, 0);
        filtered.lists[tab].filter = p.s();
        filtered.filter_input = Some(TextArea::new(vec![p.s()]));
        out.push(filtered);
        for help_scroll in [0, 7] {
            out.push(View {
                help: true,
                help_scroll,
                kiosk: Some(KioskView {
                    period_s: 15,
                    paused: help_scroll > 0,
                }),
                ..at(tab, 0)
            });
        }
    }
    out
}

fn draw_all(texts: Vec<String>, (w, h): (u16, u16)) {
    let mut p = Pool { texts, next: 0 };
    let st = store(&mut p);
    let unicode = (Theme::load("default").unwrap(), Glyphs::new(GlyphKind::Unicode));
    let console = (Theme::load("console16").unwrap(), Glyphs::new(GlyphKind::Console));
    let views = views(&st, &mut p);
    // Three drill-downs per row: 3 hosts, 8 services, a server and its
    // streams, configured and discovered agents.
    for (tab, least) in [9, 24, 6, 9].into_iter().enumerate() {
        let drills = views
            .iter()
            .filter(|v| v.tab.index() == tab && v.detail.is_some())
            .count();
        assert!(drills >= least, "tab {tab} has {drills} drill-downs to draw");
    }
    for v in views {
        common::screen::draw(&st, &v, &unicode.0, &unicode.1, (w, h), NOW);
        let buf = common::screen::draw(&st, &v, &console.0, &console.1, (w, h), NOW);
        assert_console_only(&buf, &format!("{w}x{h} tab {:?} detail {:?}", v.tab, v.detail));
    }
}

/// 24 in CI; `PROPTEST_CASES=1000` for a longer hunt.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_view_draws_any_text_at_any_size(
        texts in proptest::collection::vec(hostile_text(), 1..40),
        w in 20u16..=200,
        h in 5u16..=60,
    ) {
        draw_all(texts, (w, h));
    }
}

#[test]
fn the_smallest_and_largest_sizes_with_hostile_text() {
    let texts: Vec<String> = [
        "",
        "\u{130}a\u{212b}",
        "漢字かな混じり文",
        "e\u{301}\u{301}\u{301}",
        "\u{202e}txt.exe",
        "a\u{200b}\u{feff}b",
        "\u{1b}[2J\u{1b}]0;title\u{7}\r\n\t\u{7f}\u{9b}31m",
        "\u{fffe}\u{10ffff}",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(["x".repeat(5000), "\u{4e00}".repeat(3000)])
    .collect();
    for size in [(20, 5), (200, 60), (29, 9), (30, 10)] {
        draw_all(texts.clone(), size);
    }
}

/// 'İ' (U+0130) and the Angstrom sign (U+212B) lower-case to other byte
/// lengths with the same total: searching for 'a' once sliced inside a
/// character and the app exited.
#[test]
fn the_viewer_searches_text_whose_case_changes_its_length() {
    let mut p = Pool {
        texts: vec!["\u{130}a\u{212b}".into()],
        next: 0,
    };
    let st = store(&mut p);
    let mut d = Detail::new(Tab::Agents, "scout");
    d.list.filter = "a".into();
    let view = View {
        tab: Tab::Agents,
        detail: Some(d),
        ..View::default()
    };
    let buf = common::screen::draw(
        &st,
        &view,
        &Theme::load("default").unwrap(),
        &Glyphs::new(GlyphKind::Unicode),
        (100, 30),
        NOW,
    );
    assert!(text(&buf).contains("search \"a\""), "{}", text(&buf));
}
