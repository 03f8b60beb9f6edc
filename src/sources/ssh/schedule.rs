//! When a host is polled: its own turns, and backoff after a failure.

use std::time::Duration;

const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Exponential backoff with jitter: `base`, 2·`base`, 4·`base` … up to
/// `MAX_BACKOFF`, each ±20 %.
#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    failures: u32,
    seed: u64,
}

impl Backoff {
    pub fn new(base: Duration, seed: u64) -> Self {
        Backoff {
            base,
            failures: 0,
            seed: seed | 1,
        }
    }
    pub fn reset(&mut self) {
        self.failures = 0;
    }
    pub(crate) fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.failures.min(16)).min(MAX_BACKOFF);
        self.failures = self.failures.saturating_add(1);
        // xorshift: jitter without a random crate.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let jitter = 0.8 + (self.seed % 1000) as f64 / 2500.0;
        exp.mul_f64(jitter)
    }
}

/// When a host's next poll is due: the first at once, the second at a
/// phase of the host's own between 1 s and one interval later (so hundreds
/// of hosts do not all poll, and all answer, in the same instant: fleettop
/// holds a few probe outputs at a time, not hundreds), then every interval
/// from there — a slow poll does not push the later ones back, and one that
/// overran skips the turns it missed.
#[derive(Debug)]
pub struct Schedule {
    interval: Duration,
    phase: Duration,
    due: Option<tokio::time::Instant>,
}

impl Schedule {
    pub fn new(interval: Duration, seed: u64) -> Self {
        let interval = interval.max(Duration::from_millis(10));
        let floor = Duration::from_secs(1);
        let phase = match interval.checked_sub(floor) {
            Some(spread) if !spread.is_zero() => floor + spread.mul_f64((seed % 1000) as f64 / 1000.0),
            _ => interval,
        };
        Schedule {
            interval,
            phase,
            due: None,
        }
    }

    /// How long to wait after a poll that answered, ending at `now`.
    pub(crate) fn after_poll(&mut self, now: tokio::time::Instant) -> Duration {
        let next = match self.due {
            None => now + self.phase,
            // Polled before its turn (a refresh): the turn stays.
            Some(due) if due > now => due,
            Some(due) => {
                let missed = (now - due).as_nanos() / self.interval.as_nanos();
                due + self.interval * (u32::try_from(missed).unwrap_or(u32::MAX - 1) + 1)
            }
        };
        self.due = Some(next);
        next - now
    }

    /// After a failure: `delay` from now, and the turns go on from there.
    pub(crate) fn retry_in(&mut self, now: tokio::time::Instant, delay: Duration) -> Duration {
        self.due = Some(now + delay);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), 42);
        let d: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(d[0] >= Duration::from_millis(800) && d[0] <= Duration::from_millis(1200));
        assert!(d[3] >= Duration::from_millis(6400) && d[3] <= Duration::from_millis(9600));
        assert!(d.iter().all(|x| *x <= MAX_BACKOFF.mul_f64(1.2)));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(1200));
    }

    #[test]
    fn polls_are_spread_over_the_interval_and_keep_their_turn() {
        let five = Duration::from_secs(5);
        let t0 = tokio::time::Instant::now();
        let phases: Vec<Duration> = (0..200u64)
            .map(|seed| Schedule::new(five, seed.wrapping_mul(2654435761)).after_poll(t0))
            .collect();
        assert!(phases.iter().all(|p| *p >= Duration::from_secs(1) && *p < five));
        let early = phases.iter().filter(|p| **p < Duration::from_secs(3)).count();
        assert!(
            (60..140).contains(&early),
            "spread, not bunched: {early} of 200 in the first half"
        );

        let mut s = Schedule::new(five, 7);
        let first = s.after_poll(t0);
        let due = t0 + first;
        // A poll that took 300 ms: the next turn is still one interval on.
        assert_eq!(
            s.after_poll(due + Duration::from_millis(300)),
            five - Duration::from_millis(300)
        );
        // A refresh before the turn: the turn stays.
        let turn = due + five;
        assert_eq!(s.after_poll(turn - Duration::from_secs(2)), Duration::from_secs(2));
        // A poll that overran two turns: the missed ones are skipped.
        assert_eq!(s.after_poll(turn + Duration::from_secs(11)), Duration::from_secs(4));
        // A failure: retried after the backoff, turns from there.
        let now = turn + Duration::from_secs(20);
        assert_eq!(s.retry_in(now, Duration::from_secs(8)), Duration::from_secs(8));
        assert_eq!(s.after_poll(now + Duration::from_secs(9)), Duration::from_secs(4));
        // Shorter than a second: every interval.
        assert_eq!(
            Schedule::new(Duration::from_millis(500), 3).after_poll(t0),
            Duration::from_millis(500)
        );
    }
}
