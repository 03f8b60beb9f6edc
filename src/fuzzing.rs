//! Drivers for the fuzz targets in `fuzz/` and the property tests in
//! `tests/it/props.rs`: each takes arbitrary bytes, runs the parsers of one
//! kind of outside input (and what their output feeds: the store, the
//! snapshot, serde), and panics only when a property is broken.
//!
//! Inputs made of several texts separate them with the byte 0xFF, which no
//! UTF-8 text holds.

use crate::config::Config;
use crate::model::Millis;
use crate::parse::{self, sanitize::sanitize};
use crate::sources::agents::{LineSplitter, event_update};
use crate::sources::ssh::{Output, Tracker};
use crate::store::Store;
use crate::update::{PushUpdate, Update, nats::NatsUpdate, services::ServiceUpdate};

/// 2027-01-15: later than any fixture, early enough for "now + skew".
pub const NOW: Millis = 1_800_000_000_000;

/// A driver: arbitrary bytes in, a panic only when a property is broken.
pub type Driver = fn(&[u8]);

/// Every driver by name, as `fuzz/` and `scripts/fuzz.sh` name the targets.
pub const TARGETS: &[(&str, Driver)] = &[
    ("sanitize", sanitize_text),
    ("probe", probe),
    ("agent_events", agent_events),
    ("nvidia_smi", nvidia_smi),
    ("prometheus", prometheus),
    ("nats", nats),
    ("proc", proc),
    ("df", df),
    ("systemctl", systemctl),
    ("launchctl", launchctl),
    ("power_supply", power_supply),
    ("push", push),
    ("runlog", runlog),
    ("remote", remote),
    ("services", services),
    ("metric", metric),
    ("darwin", darwin),
    ("ollama", ollama),
    ("quiet_file", quiet_file),
    ("der", der),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The first `N` parts of `data` cut at 0xFF; missing ones are empty.
fn parts<const N: usize>(data: &[u8]) -> [String; N] {
    let mut it = data.splitn(N, |b| *b == 0xff);
    std::array::from_fn(|_| text(it.next().unwrap_or_default()))
}

/// A config with one of each kind of thing outside input reaches: a host, a
/// NATS server, agents from the bus (one configured), push discovery,
/// failed units and launchd jobs of a host.
pub fn config() -> &'static Config {
    static PARSED: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    const CONFIG: &str = r#"
[fleet]
discover = "nats"
nats = "main"
[[hosts]]
name = "box"
ssh = "u@127.0.0.1"
sessions = ["claude"]
[[nats]]
name = "main"
monitor_url = "http://127.0.0.1:8222"
url = "nats://127.0.0.1:4222"
subscribe = ["fleet.>"]
[agents]
nats = "main"
subjects = ["fleet.agents.>"]
[[agents.daemon]]
name = "scout"
schedule = "*/15 * * * *"
process = "scout"
heartbeat_max_age = "6m"
[[services.systemd]]
host = "box"
[[services.launchd]]
host = "box"
label_prefix = "com.example."
"#;
    PARSED.get_or_init(|| crate::config::parse_str(CONFIG, "fuzz").expect("the fuzz config parses"))
}

pub fn store() -> Store {
    Store::new(config())
}

/// The store as `snapshot` prints it, after time passed: it serialises
/// and reads back as JSON.
fn snapshot(store: &mut Store, now: Millis) {
    store.tick(now);
    let _ = store.problems(now);
    let snap = crate::snapshot::Snapshot::build(store, now);
    let json = serde_json::to_string(&snap).expect("a snapshot serialises");
    serde_json::from_str::<serde_json::Value>(&json).expect("a snapshot is JSON");
}

/// A parser's error count and its first message go together.
fn counted<T>(p: &parse::Parsed<T>) {
    assert_eq!(
        p.errors > 0,
        p.first_error.is_some(),
        "errors {} vs {:?}",
        p.errors,
        p.first_error
    );
}

/// Sanitised text holds no control character (but line breaks in the
/// multi-line form), a second pass changes nothing, and `fit` keeps to its
/// width.
pub fn sanitize_text(data: &[u8]) {
    use crate::parse::sanitize::sanitize_multiline;
    use unicode_width::UnicodeWidthStr;
    let s = text(data);
    let one = sanitize(&s);
    assert!(!one.chars().any(char::is_control), "{one:?}");
    assert!(one.len() <= s.len());
    assert_eq!(sanitize(&one), one, "sanitize is idempotent");
    let many = sanitize_multiline(&s);
    assert!(many.chars().all(|c| c == '\n' || !c.is_control()), "{many:?}");
    assert_eq!(sanitize_multiline(&many), many, "sanitize_multiline is idempotent");
    for width in [0, 1, 2, 3, 8, 40] {
        for ellipsis in ["", "~", "…"] {
            let f = crate::ui::fmt::fit(&one, width, ellipsis);
            assert!(f.width() <= width, "fit({one:?}, {width}, {ellipsis:?}) = {f:?}");
        }
    }
}

/// The marker of the captured probe outputs in tests/fixtures/probe.
const FIXTURE_MARKER: &str = "@@fleettop";

/// Two probe outputs of a host, through the tracker, the store and the
/// snapshot.
pub fn probe(data: &[u8]) {
    let mut st = store();
    let mut tracker = Tracker::new(vec!["claude".into()]);
    let [a, b] = parts::<2>(data);
    for (i, out) in [a, b].iter().enumerate() {
        let p = parse::probe::parse(out, FIXTURE_MARKER);
        counted(&p);
        let at = NOW + i as Millis * 2000;
        let result = tracker.sample(p.value, p.errors, at, i == 1).map(Box::new);
        st.apply(
            Update::Host {
                name: "box".into(),
                result,
            },
            at,
        );
    }
    snapshot(&mut st, NOW + 10_000);
}

/// The property of the probe's framing: a process record, whatever its
/// name, changes no other section of `base` (a whole probe output) and
/// loses no other process. `name` is cut to the 15 bytes a process name
/// holds; it cannot hold NUL.
pub fn probe_name(base: &str, name: &[u8]) {
    let name: Vec<u8> = name.iter().copied().filter(|b| *b != 0).take(15).collect();
    // The poll's marker is fresh and unknown to the host, as in a real poll.
    let m = parse::probe::marker();
    let base = &base.replace(&format!("\n{FIXTURE_MARKER} "), &format!("\n{m} "));
    let base = &match base.strip_prefix(&format!("{FIXTURE_MARKER} ")) {
        Some(rest) => format!("{m} {rest}"),
        None => base.clone(),
    };
    let mark = &format!("{m} pids\n");
    let at = base.find(mark).expect("the base has a pids section") + mark.len();
    let mut planted = base.as_bytes()[..at].to_vec();
    planted.extend_from_slice(b"424242 (");
    planted.extend_from_slice(&name);
    planted.extend_from_slice(b") S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 1000 10 0 0 0 0 0\n");
    planted.extend_from_slice(&base.as_bytes()[at..]);
    let mut want = parse::probe::parse(base, &m).value;
    let mut got = parse::probe::parse(&text(&planted), &m).value;
    for p in &want.procs {
        assert!(
            got.procs.contains(p),
            "process {} lost to the name {:?}",
            p.pid,
            text(&name)
        );
    }
    want.procs.clear();
    got.procs.clear();
    assert_eq!(got, want, "the name {:?} changed another section", text(&name));
}

/// Lines of agent events (fleettop's and claude-peers' formats, and any
/// message on a subscribed subject) through the store into the snapshot.
pub fn agent_events(data: &[u8]) {
    let mut st = store();
    let all = text(data);
    for (i, line) in all.lines().take(64).enumerate() {
        let now = NOW + i as Millis * 1000;
        let _ = parse::agent::extract_output(line);
        let _ = parse::agent::parse_rfc3339(line);
        let _ = crate::sources::agents::heartbeat_field(line, "a.last_heartbeat");
        st.apply(Update::Agents(event_update(line, "fuzz", i % 2 == 0)), now);
        let message = NatsUpdate::Message {
            name: "main".into(),
            subject: "fleet.x".into(),
            payload: line.as_bytes().to_vec(),
        };
        st.apply(Update::Nats(message), now);
    }
    snapshot(&mut st, NOW + 3_600_000);
}

pub fn nvidia_smi(data: &[u8]) {
    let p = parse::nvidia_smi::parse(&text(data));
    counted(&p);
}

pub fn prometheus(data: &[u8]) {
    let p = parse::prometheus::parse(&text(data));
    counted(&p);
    let c = parse::prometheus::inference(&p.value);
    if let Some(t) = c.generation_tokens_total {
        let _ = parse::prometheus::rate(t, t * 2.0, 1.0);
    }
}

/// Ollama's `/api/ps` and `/api/version` bodies: at most `MAX_MODELS`
/// models, nothing drawn unsanitised.
pub fn ollama(data: &[u8]) {
    if let Ok(models) = parse::ollama::ps(data) {
        assert!(models.len() <= parse::ollama::MAX_MODELS);
        for m in &models {
            assert_eq!(m.name, sanitize(&m.name));
            assert_eq!(m.quantization, sanitize(&m.quantization));
        }
    }
    if let Some(v) = parse::ollama::version(data) {
        assert_eq!(v, sanitize(&v));
    }
}

/// `/varz`, `/jsz`, `/connz` and `/healthz` bodies, twice, through the
/// store into the snapshot; and the Go durations and times in them.
pub fn nats(data: &[u8]) {
    use crate::parse::nats as p;
    let [varz, jsz, connz, healthz] = parts::<4>(data);
    let _ = p::go_duration_secs(&varz);
    let _ = p::time_millis(&varz);
    let mut st = store();
    for i in 0..2 {
        let at = NOW + i * 5000;
        let result = p::varz(varz.as_bytes()).map(|varz| {
            Box::new(crate::update::nats::MonitorSample {
                at,
                varz,
                jsz: p::jsz(jsz.as_bytes()),
                connz: p::connz(connz.as_bytes()),
                health: p::healthz(healthz.as_bytes()),
            })
        });
        let result = result.map_err(crate::update::SourceError::Other);
        st.apply(
            Update::Nats(NatsUpdate::Monitor {
                name: "main".into(),
                result,
            }),
            at,
        );
    }
    snapshot(&mut st, NOW + 20_000);
}

/// The `/proc` files, `/etc/passwd` and the auxiliary vector.
pub fn proc(data: &[u8]) {
    use crate::parse::proc as p;
    let t = text(data);
    let stat = p::parse_stat(&t);
    counted(&stat);
    let _ = p::cpu_pct(&Default::default(), &stat.value.total);
    let _ = p::per_core_pct(&stat.value.cores, &stat.value.cores);
    counted(&p::parse_meminfo(&t));
    let _ = p::parse_meminfo(&t).value.swap_used_bytes();
    counted(&p::parse_loadavg(&t));
    counted(&p::parse_uptime(&t));
    counted(&p::parse_net_dev(&t));
    let pid = p::parse_pid_stat(&t);
    counted(&pid);
    if let Some(s) = pid.value {
        let _ = (p::state_word(s.state), s.is_kernel_thread());
    }
    let _ = p::state_letter(&t);
    let _ = crate::parse::proc::parse_passwd(&t);
    let _ = crate::sources::procfs::page_size_from_auxv(data);
}

pub fn df(data: &[u8]) {
    let p = parse::proc::parse_df(&text(data));
    counted(&p);
    for d in &p.value {
        let _ = crate::ui::fmt::used_total(d.used_bytes, d.total_bytes);
    }
}

/// `systemctl --failed` (JSON or plain, as the remote check frames it) into
/// the store, and `systemctl show`; the same text as the restarts and
/// journal answer, on those rows.
pub fn systemctl(data: &[u8]) {
    let t = text(data);
    let _ = parse::systemctl::parse_json(&t);
    let _ = parse::systemctl::parse_plain(&t);
    let _ = parse::systemctl::parse_show(&t);
    let config = config();
    let cfg = &config.services.systemd[0];
    let mut st = Store::new(config);
    for status in [Some(0), Some(1), Some(127)] {
        let out = Output {
            text: t.clone(),
            cut: false,
            stderr_bytes: 0,
            exit_status: status,
        };
        let stats = crate::sources::services::remote::unit_stats(&out).ok();
        if let Ok(units) = crate::sources::services::remote::failed_units(&out) {
            let rows = crate::sources::services::systemd::rows(cfg, &units, stats.as_ref());
            let scope = crate::sources::services::systemd::scope("box");
            st.apply(Update::Services(ServiceUpdate::Set { scope, rows }), NOW);
        }
    }
    snapshot(&mut st, NOW + 1000);
}

/// `launchctl list`, a job's plist XML and the check script's answers,
/// through the launchd audit into the store.
pub fn launchctl(data: &[u8]) {
    use crate::sources::services::{launchd, launchd_audit};
    let [list, xml, answer] = parts::<3>(data);
    let p = parse::launchctl::parse(&list);
    counted(&p);
    let plists = vec![("~/Library/LaunchAgents".to_string(), "/x.plist".to_string(), xml)];
    let (specs, ..) = launchd::specs(&plists);
    let mut audits = launchd_audit::audit(&p.value, &specs, &[]);
    let qs = launchd_audit::queries(&audits);
    launchd_audit::apply(&mut audits, &qs, &launchd_audit::answers(&answer, "@@m"));
    let round = launchd::Round {
        audits,
        skipped: p.errors,
        notes: Vec::new(),
    };
    let rows = launchd::rows("box", "jobs", round);
    let mut st = store();
    let scope = launchd::scope("box");
    st.apply(Update::Services(ServiceUpdate::Set { scope, rows }), NOW);
    snapshot(&mut st, NOW + 1000);
}

/// A supply's name and its `uevent` file.
pub fn power_supply(data: &[u8]) {
    let [name, uevent] = parts::<2>(data);
    let b: Vec<_> = parse::power_supply::parse_uevent(&name, &uevent).into_iter().collect();
    if let Some(pct) = parse::power_supply::combined_pct(&b) {
        assert!((0.0..=100.0).contains(&pct) || pct.is_nan(), "{pct}");
    }
}

/// A pushed host JSON, read as the bucket watcher reads it, into the store
/// (as a discovered host) and the snapshot.
pub fn push(data: &[u8]) {
    let Ok((snap, at)) = crate::sources::push::decode(data) else {
        return;
    };
    let _ = crate::store::sample_from_snap(&snap, at);
    let mut st = store();
    for key in ["box", "pushed"] {
        let u = PushUpdate::Host {
            key: key.into(),
            snap: Box::new(snap.clone()),
            at,
        };
        st.apply(Update::Push(u), NOW);
    }
    snapshot(&mut st, NOW + 1000);
}

/// The runlog line splitter: a file read in any pieces gives the lines it
/// gives read whole. The first byte says where the pieces are cut.
pub fn runlog(data: &[u8]) {
    let Some((&step, body)) = data.split_first() else {
        return;
    };
    let lines = |pieces: &mut dyn Iterator<Item = &[u8]>| {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        pieces.for_each(|p| s.feed(p, &mut out));
        out.into_iter()
            .map(|l| match l {
                crate::sources::agents::Line::Text(t) => Some(t),
                crate::sources::agents::Line::TooLong => None,
            })
            .collect::<Vec<_>>()
    };
    let whole = lines(&mut std::iter::once(body));
    let cut = lines(&mut body.chunks(usize::from(step).max(1)));
    assert_eq!(whole, cut, "pieces of {} bytes", step.max(1));
    for l in whole.iter().flatten() {
        assert!(!l.contains('\n'));
        let _ = event_update(l, "runlog", false);
    }
}

/// The answers of the scripts run on a remote host: a runlog's poll, file
/// times, a unit's state and journal, failed units, a file's age, the
/// process list.
pub fn remote(data: &[u8]) {
    use crate::sources::{agents_remote as a, services::remote as r};
    let answers = parts::<4>(data);
    let mut log = a::RemoteRunlog::default();
    for answer in &answers {
        let _ = log.args();
        if let Ok((lines, _)) = log.apply(answer) {
            let _ = lines.len();
        }
    }
    let [first, ..] = &answers;
    let _ = a::files_answer(first, Some("last_heartbeat"), NOW);
    let _ = a::files_answer(first, None, NOW);
    let mut st = store();
    let unit = a::unit_answer("scout", "box", "scout.service", first);
    st.apply(Update::Agents(unit), NOW);
    let out = Output {
        text: first.clone(),
        cut: false,
        stderr_bytes: 0,
        exit_status: Some(0),
    };
    let _ = r::file_age(&out);
    let mut found = r::candidates(&out, "scout");
    r::fill_exes(&mut found, &out);
    snapshot(&mut st, NOW + 1000);
}

/// Syncthing's REST answers and a Docker inspect JSON.
pub fn services(data: &[u8]) {
    use crate::parse::syncthing as s;
    let t = text(data);
    let _ = s::parse_connections(&t, "ME");
    let _ = s::parse_my_id(&t);
    let _ = s::parse_folders(&t);
    if let Ok(f) = s::parse_status(&t) {
        let c = f.completion();
        assert!((0.0..=100.0).contains(&c) || c.is_nan(), "{c}");
    }
    let _ = s::parse_errors(&t);
    let _ = s::is_conflict(&t);
    let _ = crate::sources::services::docker::docker_time(&t);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&t) {
        let row = crate::sources::services::docker::container_row("local", &v);
        let mut st = store();
        let scope = crate::sources::services::docker::scope("local");
        st.apply(Update::Services(ServiceUpdate::Set { scope, rows: vec![row] }), NOW);
        snapshot(&mut st, NOW + 1000);
    }
}

/// A `[[services.metric]]` body (a Prometheus page or JSON, then after 0xFF
/// a selector or path and a second body), read, judged, and its rows
/// through the store into the snapshot: a value is finite or text that is
/// clean, and the history stays bounded.
pub fn metric(data: &[u8]) {
    use crate::metric::{JsonPath, Pick, Rules, Selector, Value};
    use crate::update::metric::{HISTORY, MetricInfo};
    use crate::update::services::{Health, Kind, Row};
    let [body, pick, second] = parts::<3>(data);
    let mut picks = vec![
        Pick::Prometheus {
            selector: Selector::parse(r#"rag_queue_depth{queue="bookstack"}"#).unwrap_or_else(|e| panic!("{e}")),
            sum: true,
        },
        Pick::Json(JsonPath::parse("queue.depth").unwrap_or_else(|e| panic!("{e}"))),
    ];
    if let Ok(s) = Selector::parse(&pick) {
        picks.push(Pick::Prometheus {
            selector: s,
            sum: false,
        });
    }
    if let Ok(p) = JsonPath::parse(&pick) {
        picks.push(Pick::Json(p));
    }
    let rules = Rules {
        warn_above: Some(500.0),
        critical_above: Some(900.0),
        frozen_after_ms: Some(1000),
        ..Rules::default()
    };
    let mut st = store();
    for (i, b) in [body, second].iter().cycle().take(HISTORY + 3).enumerate() {
        for p in &picks {
            let value = parse::metric::read(p, b.as_bytes()).ok();
            match &value {
                Some(Value::Number(n)) => assert!(n.is_finite(), "{n}"),
                Some(Value::Text(t)) => assert_eq!(t, &sanitize(t)),
                _ => {}
            }
            if let Some(v) = &value {
                let _ = rules.judge(v, i as i64 * 1000);
            }
            let mut r = Row::new("metric:f", Kind::Metric, "f", Health::Ok, "");
            r.metric = Some(Box::new(MetricInfo {
                value,
                rules: rules.clone(),
                ..MetricInfo::default()
            }));
            st.apply(
                Update::Services(ServiceUpdate::Result(Box::new(r))),
                NOW + i as i64 * 1000,
            );
        }
    }
    let kept = st
        .services
        .get("metric:f")
        .and_then(|s| s.row.metric.as_ref())
        .map_or(0, |m| m.history.len());
    assert!(kept <= HISTORY, "{kept}");
    snapshot(&mut st, NOW + 10_000_000);
}

/// A Mac's probe output made of the parts of `data` (`ps` numbers, `ps`
/// names, `df`, `netstat -ib`, `sysctl`, `vm_stat`, `top`, `pmset`),
/// through the tracker, the store and the snapshot; and the framing of
/// `ps`: no name pass adds, drops or reorders a process of the numbers
/// pass.
pub fn darwin(data: &[u8]) {
    let [numbers, names, df, netstat, sysctl, vm_stat, top, pmset] = parts::<8>(data);
    let pids = |p: &parse::Parsed<Vec<parse::darwin_table::DarwinProc>>| -> Vec<u32> {
        p.value.iter().map(|q| q.pid).collect()
    };
    let framed = parse::darwin_table::processes(&numbers, &names);
    counted(&framed);
    let alone = parse::darwin_table::processes(&numbers, "");
    assert_eq!(pids(&framed), pids(&alone), "a name changed the processes");
    let m = FIXTURE_MARKER;
    let out = format!(
        "{m} uname\nDarwin\n23.1.0\n{m} sysctl\n{sysctl}\n{m} now\n1800000000\n{m} vm_stat\n{vm_stat}\n\
         {m} top\n{top}\n{m} netstat\n{netstat}\n{m} df\n{df}\n{m} ps\n{numbers}\n{m} comm\n{names}\n\
         {m} pmset\n{pmset}\n{m} end\n"
    );
    let p = parse::probe::parse(&out, m);
    counted(&p);
    let mut st = store();
    let result = Tracker::new(vec!["claude".into()])
        .sample(p.value, p.errors, NOW, false)
        .map(Box::new);
    st.apply(
        Update::Host {
            name: "box".into(),
            result,
        },
        NOW,
    );
    snapshot(&mut st, NOW + 10_000);
}

/// The state directory's quiet file (acknowledged, silenced): what is read
/// back is bounded, and written and read again it is the same.
pub fn quiet_file(data: &[u8]) {
    use crate::store::Quiet;
    let Ok(q) = Quiet::parse(data) else { return };
    assert!(q.acknowledged.len() <= crate::store::quiet::MAX_ENTRIES);
    assert!(q.silenced.len() <= crate::store::quiet::MAX_ENTRIES);
    assert_eq!(Quiet::parse(&q.to_bytes()).as_ref(), Ok(&q));
}

/// A server certificate's notAfter: any bytes give nothing or a time
/// between year 0 and the end of year 9999.
pub fn der(data: &[u8]) {
    if let Some(t) = parse::der::not_after(data) {
        assert!((-62_167_219_200_000..=253_402_300_799_000).contains(&t), "{t}");
    }
}
