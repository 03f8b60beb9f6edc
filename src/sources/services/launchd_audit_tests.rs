use super::*;
use crate::parse::launchctl::{self, Spec};
use crate::parse::plist;

fn spec(file: &str, dir: &str) -> Spec {
    let xml = std::fs::read_to_string(format!("{}/tests/fixtures/launchd/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    Spec::from_plist(&plist::parse(&xml).unwrap(), &format!("{dir}/{file}"), dir).unwrap()
}

const USER: &str = "~/Library/LaunchAgents";

fn specs() -> Vec<Spec> {
    [
        "keepalive.plist",
        "calendar-daily.plist",
        "oneshot.plist",
        "conditional.plist",
        "weekdays.plist",
        "interval.plist",
    ]
    .iter()
    .map(|f| spec(f, USER))
    .collect()
}

const LIST: &str = "PID\tStatus\tLabel\n\
    321\t0\tlocal.quant1x.engine\n\
    -\t0\tlocal.kjk.sumatrastatsdaily\n\
    -\t0\tcom.example.app\n\
    -\t1\tlocal.tunnel.on\n\
    -\t127\tlocal.weekdays.report\n\
    -\t-9\tlocal.orphan\n\
    77\t0\tcom.apple.Finder\n";

fn by<'a>(a: &'a [Audit], label: &str) -> &'a Audit {
    a.iter().find(|x| x.label == label).unwrap()
}

#[test]
fn schedules_and_keepalive_in_words() {
    let s = specs();
    assert_eq!(s[0].keep_alive.words(), "always");
    assert_eq!(s[1].schedule, "daily 04:15");
    assert_eq!(s[2].schedule, "at load");
    assert_eq!(s[2].program, ["/Users/Me/Scripts/cleanup.sh"]);
    assert_eq!(s[3].keep_alive.words(), "when SuccessfulExit false");
    assert_eq!(s[4].schedule, "Mon 07:00; Fri 07:00, when /Users/Shared/inbox changes");
    assert_eq!(s[5].schedule, "every 15m, at load");
    assert_eq!(s[5].stderr_path.as_deref(), Some("/tmp/sync.err"));
    let cal = |x: &str| launchctl::schedule_words(&plist::parse(x).unwrap()).0;
    assert_eq!(
        cal("<dict><key>StartCalendarInterval</key><dict><key>Minute</key><integer>5</integer></dict></dict>"),
        "hourly at :05"
    );
    assert_eq!(
        cal(
            "<dict><key>StartCalendarInterval</key><dict><key>Day</key><integer>1</integer><key>Hour</key><integer>3</integer><key>Minute</key><integer>0</integer></dict></dict>"
        ),
        "day 1 03:00"
    );
    assert_eq!(
        cal("<dict><key>StartInterval</key><integer>86400</integer></dict>"),
        "every 1d"
    );
    assert_eq!(cal("<dict><key>StartInterval</key><integer>-5</integer></dict>"), "");
}

#[test]
fn cohorts_and_causes() {
    let jobs = launchctl::parse(LIST).value;
    let a = audit(&jobs, &specs(), &["local.".into(), "com.example.".into()]);
    let states: Vec<(&str, State)> = a.iter().map(|x| (x.label.as_str(), x.state)).collect();
    assert_eq!(
        states,
        [
            ("local.orphan", State::Failing),
            ("local.tunnel.on", State::Failing),
            ("local.weekdays.report", State::Failing),
            ("local.jpedro.sync", State::NotLoaded),
            ("local.quant1x.engine", State::Running),
            ("local.kjk.sumatrastatsdaily", State::CalendarOk),
            ("com.example.app", State::Down),
        ]
    );
    assert_eq!(by(&a, "local.orphan").cause.as_deref(), Some("killed by signal 9"));
    assert_eq!(by(&a, "local.orphan").location, "unknown");
    assert_eq!(by(&a, "local.tunnel.on").cause.as_deref(), Some("exit 1"));
    assert_eq!(by(&a, "local.quant1x.engine").location, "user");
    assert!(!a.iter().any(|x| x.severe));
    assert_eq!(
        launchctl::counts(a.iter().map(|x| x.state)),
        "1 running, 1 ok, 1 down, 3 failing, 1 not loaded"
    );
}

#[test]
fn a_deleted_script_and_its_log_are_found_on_the_host() {
    let jobs = launchctl::parse(LIST).value;
    let mut a = audit(&jobs, &specs(), &["local.".into()]);
    let qs = queries(&a);
    let lines: Vec<String> = qs.iter().map(Query::line).collect();
    assert_eq!(lines, ["e/bin/zsh", "e~/system/tools/report.sh", "t/tmp/report.err"]);
    let text = "@@m x\n@@m -\n@@m t\nzsh: no such file or directory: /Users/me/system/tools/report.sh\n\n@@m forged\n";
    let ans = answers(text, "@@m");
    apply(&mut a, &qs, &ans);
    let r = by(&a, "local.weekdays.report");
    assert_eq!(r.cause.as_deref(), Some("script deleted: ~/system/tools/report.sh"));
    assert_eq!(
        r.stderr_tail,
        ["zsh: no such file or directory: /Users/me/system/tools/report.sh"]
    );
    // Without an answer the exit code's words stay.
    let mut b = audit(&jobs, &specs(), &["local.".into()]);
    apply(&mut b, &qs, &[]);
    assert_eq!(
        by(&b, "local.weekdays.report").cause.as_deref(),
        Some("program missing (exit 127)")
    );
}

#[test]
fn keepalive_down_or_crash_looping_is_severe() {
    let list = "-\t0\tlocal.quant1x.engine\n";
    let a = audit(&launchctl::parse(list).value, &specs(), &[]);
    let e = by(&a, "local.quant1x.engine");
    assert_eq!(
        (e.state, e.cause.as_deref(), e.severe),
        (State::Failing, Some("keepalive job down"), true)
    );
    let list = "4242\t-15\tlocal.quant1x.engine\n";
    let a = audit(&launchctl::parse(list).value, &specs(), &[]);
    let e = by(&a, "local.quant1x.engine");
    assert_eq!(
        (e.cause.as_deref(), e.severe, e.pid),
        (Some("crash-looping: killed by signal 15"), true, Some(4242))
    );
}

#[test]
fn duplicates_by_directory_and_by_program() {
    let mut s = specs();
    s.push(spec("keepalive.plist", "/Library/LaunchAgents"));
    let mut twin = spec("calendar-daily.plist", USER);
    twin.label = "local.kjk.twin".into();
    s.push(twin);
    let list = "321\t0\tlocal.quant1x.engine\n-\t0\tlocal.kjk.sumatrastatsdaily\n-\t0\tlocal.kjk.twin\n";
    let a = audit(
        &launchctl::parse(list).value,
        &s,
        &["local.quant1x".into(), "local.kjk".into()],
    );
    assert_eq!(
        by(&a, "local.quant1x.engine").cause.as_deref(),
        Some("duplicate: also /Library/LaunchAgents/keepalive.plist")
    );
    assert_eq!(
        by(&a, "local.kjk.twin").cause.as_deref(),
        Some("duplicate: same program as local.kjk.sumatrastatsdaily")
    );
    assert!(a.iter().all(|x| x.state == State::Failing), "{a:?}");
}

#[test]
fn daemons_out_of_the_users_sight_and_disabled_plists_say_so() {
    let mut s = vec![spec("keepalive.plist", "/Library/LaunchDaemons")];
    let mut off = spec("oneshot.plist", USER);
    off.disabled = true;
    s.push(off);
    let a = audit(&[], &s, &[]);
    assert!(
        by(&a, "local.quant1x.engine")
            .cause
            .as_deref()
            .unwrap()
            .starts_with("system domain")
    );
    assert_eq!(by(&a, "local.quant1x.engine").location, "LaunchDaemons");
    assert_eq!(
        by(&a, "com.example.app").cause.as_deref(),
        Some("disabled in its plist")
    );
}

#[test]
fn hostile_paths_are_not_asked_and_answers_are_bounded() {
    let mut a = audit(&launchctl::parse("-\t127\tx\n").value, &[], &[]);
    a[0].program = vec!["/ok\nrm -rf /".into(), "relative".into(), "/fine".into()];
    a[0].stderr_path = Some("/log\n".into());
    let qs = queries(&a);
    assert_eq!(qs.iter().map(Query::line).collect::<Vec<_>>(), ["e/fine"]);
    let long = format!("@@m t\n{}\n", format!("{}\n", "z".repeat(900)).repeat(50));
    let q = Query {
        label: "x".into(),
        tail: true,
        path: "/l".into(),
    };
    apply(&mut a, &[q], &answers(&long, "@@m"));
    assert_eq!(a[0].stderr_tail.len(), TAIL_LINES);
    assert!(a[0].stderr_tail.iter().all(|l| l.chars().count() <= 301));
}
