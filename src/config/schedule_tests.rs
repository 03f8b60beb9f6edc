use super::*;

fn ms(s: &str) -> Millis {
    s.parse::<Timestamp>().unwrap().as_millisecond()
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

fn next(s: &str, after: &str, tz: &TimeZone) -> String {
    let sched = Schedule::parse(s).unwrap();
    let t = sched.next_after(ms(after), tz).unwrap();
    let t = Timestamp::from_millisecond(t).unwrap();
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

#[test]
fn next_runs_in_utc() {
    let z = TimeZone::UTC;
    assert_eq!(next("*/15 * * * *", "2026-12-01T10:07:00Z", &z), "2026-12-01 10:15 UTC");
    assert_eq!(next("*/15 * * * *", "2026-12-01T10:15:00Z", &z), "2026-12-01 10:30 UTC");
    assert_eq!(next("0 7 * * *", "2026-12-01T07:00:30Z", &z), "2026-12-02 07:00 UTC");
    assert_eq!(
        next("30 2 * * mon-fri", "2026-12-04T03:00:00Z", &z),
        "2026-12-07 02:30 UTC"
    );
    assert_eq!(next("0 0 1 jan *", "2026-12-01T00:00:00Z", &z), "2027-01-01 00:00 UTC");
    assert_eq!(next("@hourly", "2026-12-01T23:59:59Z", &z), "2026-12-02 00:00 UTC");
    assert_eq!(next("@daily", "2026-12-01T23:59:59Z", &z), "2026-12-02 00:00 UTC");
    assert_eq!(next("@weekly", "2026-12-01T00:00:00Z", &z), "2026-12-06 00:00 UTC");
    assert_eq!(next("@monthly", "2026-12-01T00:00:00Z", &z), "2027-01-01 00:00 UTC");
    assert_eq!(next("0 12 29 2 *", "2026-03-01T00:00:00Z", &z), "2028-02-29 12:00 UTC");
    // Sunday as 7, and as a name.
    assert_eq!(next("0 9 * * 7", "2026-12-01T00:00:00Z", &z), "2026-12-06 09:00 UTC");
    assert_eq!(next("0 9 * * SUN", "2026-12-01T00:00:00Z", &z), "2026-12-06 09:00 UTC");
    assert_eq!(
        next("0 9 * nov,dec *", "2026-11-30T10:00:00Z", &z),
        "2026-12-01 09:00 UTC"
    );
    assert_eq!(next("every 5m", "2026-12-01T10:07:30Z", &z), "2026-12-01 10:12 UTC");
}

#[test]
fn day_of_month_and_day_of_week_both_given_either_matches() {
    let z = TimeZone::UTC;
    // 2026-12-04 is a Friday, before the 13th.
    assert_eq!(next("0 0 13 * fri", "2026-12-01T00:00:00Z", &z), "2026-12-04 00:00 UTC");
    assert_eq!(next("0 0 13 * fri", "2026-12-11T01:00:00Z", &z), "2026-12-13 00:00 UTC");
    // One of them `*`: the other alone decides.
    assert_eq!(next("0 0 13 * *", "2026-12-01T00:00:00Z", &z), "2026-12-13 00:00 UTC");
    assert_eq!(next("0 0 * * fri", "2026-12-05T00:00:00Z", &z), "2026-12-11 00:00 UTC");
    // `*/2` in day of month is still restricted by a weekday given... as cron reads it: starts with `*`.
    assert_eq!(
        next("0 0 */2 * mon", "2026-12-01T12:00:00Z", &z),
        "2026-12-07 00:00 UTC"
    );
}

#[test]
fn steps_ranges_and_lists() {
    let z = TimeZone::UTC;
    assert_eq!(next("5/20 * * * *", "2026-12-01T10:06:00Z", &z), "2026-12-01 10:25 UTC");
    assert_eq!(
        next("10-50/20 * * * *", "2026-12-01T10:31:00Z", &z),
        "2026-12-01 10:50 UTC"
    );
    assert_eq!(
        next("10-50/20 * * * *", "2026-12-01T10:51:00Z", &z),
        "2026-12-01 11:10 UTC"
    );
    assert_eq!(
        next("0,30 8-9 * * *", "2026-12-01T09:31:00Z", &z),
        "2026-12-02 08:00 UTC"
    );
    assert_eq!(next("0 */6 * * *", "2026-12-01T13:00:00Z", &z), "2026-12-01 18:00 UTC");
}

#[test]
fn berlin_across_daylight_saving() {
    let berlin = zone("Europe/Berlin");
    // 07:00 in Berlin in winter is 06:00 UTC.
    assert_eq!(
        next("0 7 * * *", "2026-12-01T06:30:00Z", &berlin),
        "2026-12-02 07:00 CET"
    );
    // 2027-03-28: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist and
    // the job runs at 03:30.
    assert_eq!(
        next("30 2 * * *", "2027-03-27T12:00:00Z", &berlin),
        "2027-03-28 03:30 CEST"
    );
    // Just after the jump (03:10 CEST) the skipped 02:30 is still ahead.
    assert_eq!(
        next("30 2 * * *", "2027-03-28T01:10:00Z", &berlin),
        "2027-03-28 03:30 CEST"
    );
    // 2026-10-25: 02:30 happens twice; it runs once.
    let s = Schedule::parse("30 2 * * *").unwrap();
    let n = s.missed(ms("2026-10-24T12:00:00Z"), ms("2026-10-25T12:00:00Z"), &berlin, 10);
    assert_eq!(n, 1);
    // Hourly from midnight to 23:59 that day (25 hours long): the wall
    // hours 01:00..=23:00, the repeated 02:00 once.
    let h = Schedule::parse("0 * * * *").unwrap();
    let n = h.missed(ms("2026-10-24T22:00:00Z"), ms("2026-10-25T22:59:00Z"), &berlin, 100);
    assert_eq!(n, 23);
    // `every` is elapsed time, not wall time: one run per hour of the 25.
    let e = Schedule::parse("every 1h").unwrap();
    let n = e.missed(ms("2026-10-24T22:00:00Z"), ms("2026-10-25T22:59:00Z"), &berlin, 100);
    assert_eq!(n, 24);
}

#[test]
fn new_york_across_daylight_saving() {
    let ny = zone("America/New_York");
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT.
    assert_eq!(next("15 2 * * *", "2027-03-13T12:00:00Z", &ny), "2027-03-14 03:15 EDT");
    assert_eq!(next("0 9 * * *", "2027-03-13T15:00:00Z", &ny), "2027-03-14 09:00 EDT");
    // 09:00 EDT is 13:00 UTC, 09:00 EST 14:00 UTC.
    assert_eq!(next("0 9 * * *", "2027-03-14T12:59:00Z", &ny), "2027-03-14 09:00 EDT");
    // 2026-11-01: 01:30 happens twice; the first is taken, once.
    let s = Schedule::parse("30 1 * * *").unwrap();
    assert_eq!(next("30 1 * * *", "2026-11-01T04:00:00Z", &ny), "2026-11-01 01:30 EDT");
    let n = s.missed(ms("2026-10-31T12:00:00Z"), ms("2026-11-01T12:00:00Z"), &ny, 10);
    assert_eq!(n, 1);
}

#[test]
fn missed_runs_are_counted_up_to_a_cap() {
    let z = TimeZone::UTC;
    let s = Schedule::parse("*/5 * * * *").unwrap();
    let last = ms("2026-12-01T10:00:00Z");
    assert_eq!(s.missed(last, ms("2026-12-01T10:04:59Z"), &z, 3), 0);
    assert_eq!(s.missed(last, ms("2026-12-01T10:05:00Z"), &z, 3), 1);
    assert_eq!(s.missed(last, ms("2026-12-01T10:12:00Z"), &z, 3), 2);
    assert_eq!(s.missed(last, ms("2026-12-01T11:00:00Z"), &z, 3), 3);
    let e = Schedule::parse("every 5m").unwrap();
    assert_eq!(e.missed(last, ms("2026-12-01T10:11:00Z"), &z, 3), 2);
    let ev = Schedule::parse("event:fleet.>").unwrap();
    assert!(ev.is_event());
    assert_eq!(ev.missed(last, ms("2030-01-01T00:00:00Z"), &z, 3), 0);
    // A day that never comes: no next run, nothing missed.
    let never = Schedule::parse("0 0 30 2 *").unwrap();
    assert_eq!(never.next_after(last, &z), None);
    assert_eq!(never.missed(last, ms("2030-01-01T00:00:00Z"), &z, 3), 0);
}

#[test]
fn runs_per_hour() {
    let p = |s: &str| Schedule::parse(s).unwrap().per_hour();
    assert_eq!(p("*/15 * * * *"), Some(4.0));
    assert_eq!(p("every 5m"), Some(12.0));
    assert_eq!(p("0 3 * * *"), Some(1.0 / 24.0));
    assert_eq!(p("0 9-17 * * mon-fri"), Some(45.0 / 168.0));
    assert_eq!(p("event:x"), None);
}

#[test]
fn bad_schedules_say_what_is_wrong() {
    for (s, words) in [
        ("*/0 * * * *", "step"),
        ("61 * * * *", "\"61\" is not in 0-59"),
        ("0 24 * * *", "hour"),
        ("0 0 0 * *", "day of month"),
        ("0 0 * 13 *", "month"),
        ("0 0 * * funday", "funday"),
        ("0 5-1 * * *", "low to high"),
        ("0 9 * dec-feb *", "low to high"),
        ("daily", "five cron fields"),
        ("* * * *", "five cron fields"),
        ("* * * * * *", "five cron fields"),
        ("every soon", "soon"),
        ("every 0s", "at least"),
    ] {
        let e = Schedule::parse(s).unwrap_err();
        assert!(e.contains(words), "{s}: {e}");
    }
}

#[test]
fn no_field_text_panics() {
    for s in [
        "-",
        "/",
        "*/",
        "1-",
        "-1",
        ",",
        "255",
        "99999999999",
        "*/256",
        "jan-*",
        "\u{0}",
        "1,,2",
        "é",
    ] {
        for line in [format!("{s} * * * *"), format!("* * * * {s}"), format!("* * {s} * *")] {
            let _ = Schedule::parse(&line);
        }
    }
}

#[test]
fn far_times_do_not_panic() {
    let s = Schedule::parse("*/5 * * * *").unwrap();
    let e = Schedule::parse("every 1000000h").unwrap();
    for t in [i64::MIN, -1, i64::MAX, 253_402_300_799_000] {
        let _ = s.next_after(t, &TimeZone::UTC);
        let _ = e.next_after(t, &TimeZone::UTC);
        let _ = s.missed(t, t.saturating_add(3_600_000), &TimeZone::UTC, 5);
    }
}

#[test]
fn zones_are_read_from_the_tzdb() {
    let z: Zone = Zone::try_from("Europe/Berlin".to_string()).unwrap();
    assert_eq!(z.name(), Some("Europe/Berlin"));
    let e = Zone::try_from("Mars/Olympus".to_string()).unwrap_err();
    assert!(e.contains("Mars/Olympus"), "{e}");
}

#[test]
fn hourly_in_berlin_is_on_the_utc_hour() {
    let b = zone("Europe/Berlin");
    assert_eq!(next("@hourly", "2026-05-09T17:00:00Z", &b), "2026-05-09 20:00 CEST");
    assert_eq!(next("@hourly", "2026-05-09T18:00:00Z", &b), "2026-05-09 21:00 CEST");
}
