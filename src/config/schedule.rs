//! A daemon's schedule and time zone. A schedule is five-field cron (as
//! Vixie cron reads it, with `@daily` and friends), `every DURATION`, or
//! `event:SUBJECT` (runs on events: never overdue). Cron times are wall
//! times in the daemon's zone: a job at 02:30 on the night clocks skip
//! 02:00–03:00 fires at 03:30, and on the night they repeat it, once.

use crate::model::Millis;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::time::Duration;

/// A parsed schedule with the text it was written as.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct Schedule {
    pub text: String,
    rule: Rule,
}

#[derive(Debug, Clone, PartialEq)]
enum Rule {
    Cron(Cron),
    Every(Duration),
    /// Runs on events: no time it must have run by.
    Event,
}

/// Five cron fields as bit sets.
#[derive(Debug, Clone, PartialEq)]
struct Cron {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Day of month or day of week was `*`: then the other alone decides
    /// (both restricted: either matches, as in every cron).
    days_any: bool,
    weekdays_any: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
/// How far ahead a next run is looked for (a `0 12 29 2 *` job runs once in
/// four years; anything rarer is no time at all).
const SEARCH_DAYS: i32 = 366 * 8 + 2;

impl TryFrom<String> for Schedule {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Schedule::parse(&s)
    }
}

impl Schedule {
    /// Reads a schedule; the error says what is wrong, in words.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let s = text.trim();
        let rule = if s.starts_with("event:") {
            Rule::Event
        } else if let Some(every) = s.strip_prefix("every ") {
            let d = humantime::parse_duration(every.trim()).map_err(|e| format!("\"{}\": {e}", every.trim()))?;
            if d < Duration::from_secs(1) {
                return Err("an interval of at least 1s".into());
            }
            Rule::Every(d)
        } else {
            let expanded = match s {
                "@hourly" => "0 * * * *",
                "@daily" | "@midnight" => "0 0 * * *",
                "@weekly" => "0 0 * * 0",
                "@monthly" => "0 0 1 * *",
                "@yearly" | "@annually" => "0 0 1 1 *",
                other => other,
            };
            Rule::Cron(Cron::parse(expanded)?)
        };
        Ok(Schedule {
            text: s.to_string(),
            rule,
        })
    }

    /// Runs on events (`event:`): never due.
    pub fn is_event(&self) -> bool {
        self.rule == Rule::Event
    }

    /// The first time after `t` it should run (None for `event:`, or a cron
    /// that names no day within eight years, like `0 0 30 2 *`).
    pub fn next_after(&self, t: Millis, tz: &TimeZone) -> Option<Millis> {
        let ts = Timestamp::from_millisecond(t).ok()?;
        let next = match &self.rule {
            Rule::Event => return None,
            Rule::Every(d) => ts.checked_add(jiff::SignedDuration::try_from(*d).ok()?).ok()?,
            Rule::Cron(c) => c.next_after(ts, tz)?,
        };
        Some(next.as_millisecond())
    }

    /// Runs it should have started in `(last, until]`, counted up to `cap`.
    pub fn missed(&self, last: Millis, until: Millis, tz: &TimeZone, cap: u32) -> u32 {
        let (mut n, mut t) = (0, last);
        while n < cap {
            match self.next_after(t, tz) {
                Some(next) if next <= until => (n, t) = (n + 1, next),
                _ => break,
            }
        }
        n
    }

    /// Runs per hour it stands for, on average over a week (the runaway rule).
    pub fn per_hour(&self) -> Option<f64> {
        match &self.rule {
            Rule::Event => None,
            Rule::Every(d) => Some(3600.0 / d.as_secs_f64()),
            Rule::Cron(_) => {
                let week = 7 * 24 * 3_600_000;
                let n = self.missed(0, week, &TimeZone::UTC, 7 * 24 * 60 + 1);
                (n > 0).then(|| f64::from(n) / (24.0 * 7.0))
            }
        }
    }
}

impl Cron {
    fn parse(s: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = s.split_whitespace().collect();
        let [mi, h, dom, mo, dow] = fields[..] else {
            return Err(format!(
                "{s:?}: five cron fields (minute hour day month weekday), \"every 5m\", \"@daily\" or \"event:SUBJECT\""
            ));
        };
        let mut weekdays = field(dow, 0, 7, &WEEKDAYS, "day of week")?;
        if weekdays & (1 << 7) != 0 {
            // Sunday written as 7.
            weekdays = (weekdays | 1) & 0x7f;
        }
        Ok(Cron {
            minutes: field(mi, 0, 59, &[], "minute")?,
            hours: field(h, 0, 23, &[], "hour")? as u32,
            days: field(dom, 1, 31, &[], "day of month")? as u32,
            months: field(mo, 1, 12, &MONTHS, "month")? as u16,
            weekdays: weekdays as u8,
            days_any: dom.starts_with('*'),
            weekdays_any: dow.starts_with('*'),
        })
    }

    fn day_matches(&self, d: Date) -> bool {
        if self.months & (1 << d.month()) == 0 {
            return false;
        }
        let dom = self.days & (1 << d.day()) != 0;
        let dow = self.weekdays & (1 << d.weekday().to_sunday_zero_offset()) != 0;
        match (self.days_any, self.weekdays_any) {
            (false, false) => dom || dow,
            (true, false) => dow,
            (false, true) => dom,
            (true, true) => true,
        }
    }

    fn next_after(&self, t: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let start = tz.to_datetime(t);
        let mut day = start.date();
        // On the first day, hours well before `t` cannot be after it (two
        // hours of slack: a wall time in a gap is read later than written).
        let mut from_hour = (start.hour() - 2).max(0);
        for _ in 0..SEARCH_DAYS {
            if self.day_matches(day) {
                for h in (from_hour..24).filter(|h| self.hours & (1 << h) != 0) {
                    for m in (0..60).filter(|m| self.minutes & (1u64 << m) != 0) {
                        let dt = DateTime::new(day.year(), day.month(), day.day(), h, m, 0, 0).ok()?;
                        let at = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
                        if at > t {
                            return Some(at);
                        }
                    }
                }
            }
            from_hour = 0;
            day = day.tomorrow().ok()?;
        }
        None
    }
}

/// One cron field as a bit set of `lo..=hi`: `*`, `5`, `1-5`, `*/15`,
/// `10-50/10`, `5/10`, names (`mon`, `jan`), lists of those.
fn field(text: &str, lo: u8, hi: u8, names: &[&str], what: &str) -> Result<u64, String> {
    let bad = |why: &str| format!("{what} {text:?}: {why}");
    let value = |s: &str| -> Result<u8, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as u8 + lo);
        }
        match s.parse::<u8>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(v),
            _ => Err(bad(&format!("{s:?} is not in {lo}-{hi}"))),
        }
    };
    let mut set = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => match s.parse::<u8>() {
                Ok(n) if n > 0 => (r, n),
                _ => return Err(bad("a step is a number from 1")),
            },
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if part.contains('/') => (value(r)?, hi),
                None => {
                    let v = value(r)?;
                    (v, v)
                }
            },
        };
        if a > b {
            return Err(bad("a range runs low to high"));
        }
        for v in (a..=b).step_by(usize::from(step)) {
            set |= 1 << v;
        }
    }
    Ok(set)
}

/// A daemon's time zone: an IANA name from the system's tzdb, or the
/// viewer's own zone when none is given.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct Zone(pub TimeZone);

impl TryFrom<String> for Zone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        TimeZone::get(s.trim())
            .map(Zone)
            .map_err(|e| format!("unknown time zone {s:?} (write an IANA name like \"Europe/Berlin\"): {e}"))
    }
}

impl Zone {
    /// The viewer's zone (`TZ`, else the system's; UTC when neither reads).
    pub fn local() -> Zone {
        Zone(TimeZone::try_system().unwrap_or(TimeZone::UTC))
    }

    /// Its IANA name, where it has one.
    pub fn name(&self) -> Option<&str> {
        self.0.iana_name()
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
