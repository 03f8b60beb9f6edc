//! A rate budget per NATS subject: one token bucket for each subject
//! messages arrive on, so one noisy subject cannot starve the others. The
//! map of buckets is bounded; past its size, subjects that have not been
//! heard from lately share one bucket.

use std::collections::HashMap;
use std::time::Instant;

/// Buckets kept at most; one more is shared by the subjects over it.
pub const MAX_SUBJECTS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: f64, at: Instant) -> Self {
        Bucket { tokens: burst, at }
    }

    fn refill(&mut self, now: Instant, rate: f64, burst: f64) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * rate).min(burst);
        self.at = now;
    }

    fn take(&mut self, now: Instant, rate: f64, burst: f64) -> bool {
        self.refill(now, rate, burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// `rate` messages per second per subject, bursts of `burst`.
#[derive(Debug)]
pub struct SubjectBudget {
    rate: f64,
    burst: f64,
    cap: usize,
    buckets: HashMap<String, Bucket>,
    shared: Bucket,
    /// When full buckets were last forgotten (at most once a second: a
    /// flood of new names must not sweep the map per message).
    swept: Option<Instant>,
    /// Messages over budget, dropped.
    pub dropped: u64,
}

impl SubjectBudget {
    pub fn new(rate: f64, burst: f64) -> Self {
        Self::with_cap(rate, burst, MAX_SUBJECTS)
    }

    pub(crate) fn with_cap(rate: f64, burst: f64, cap: usize) -> Self {
        let burst = burst.max(1.0);
        SubjectBudget {
            rate: rate.max(0.0),
            burst,
            cap: cap.max(1),
            buckets: HashMap::new(),
            shared: Bucket::full(burst, Instant::now()),
            swept: None,
            dropped: 0,
        }
    }

    /// Whether a message on `subject` may pass now; if not, it is counted.
    pub fn allow(&mut self, subject: &str, now: Instant) -> bool {
        let (rate, burst) = (self.rate, self.burst);
        let sweep = self
            .swept
            .is_none_or(|t| now.saturating_duration_since(t).as_secs() >= 1);
        if sweep && !self.buckets.contains_key(subject) && self.buckets.len() >= self.cap {
            self.swept = Some(now);
            // A full bucket is the same as none: forget those.
            self.buckets.retain(|_, b| {
                b.refill(now, rate, burst);
                b.tokens < burst
            });
        }
        let ok = if let Some(b) = self.buckets.get_mut(subject) {
            b.take(now, rate, burst)
        } else if self.buckets.len() < self.cap {
            let mut b = Bucket::full(burst, now);
            let ok = b.take(now, rate, burst);
            self.buckets.insert(subject.to_string(), b);
            ok
        } else {
            self.shared.take(now, rate, burst)
        };
        if !ok {
            self.dropped += 1;
        }
        ok
    }

    pub fn subjects(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_noisy_subject_does_not_starve_the_others() {
        let mut b = SubjectBudget::new(10.0, 20.0);
        let t = Instant::now();
        let noisy = (0..1000).filter(|_| b.allow("fleet.noisy", t)).count();
        assert_eq!(noisy, 20, "a burst, then nothing");
        assert!(b.allow("fleet.quiet", t), "another subject has its own budget");
        assert_eq!(b.dropped, 980);
        // It refills at its rate.
        let later = t + Duration::from_millis(500);
        let refilled = (0..100).filter(|_| b.allow("fleet.noisy", later)).count();
        assert_eq!(refilled, 5);
    }

    #[test]
    fn the_map_of_subjects_is_bounded() {
        let mut b = SubjectBudget::with_cap(1.0, 2.0, 100);
        let t = Instant::now();
        for i in 0..10_000 {
            b.allow(&format!("s.{i}"), t);
            b.allow(&format!("s.{i}"), t);
        }
        assert!(b.subjects() <= 100);
        // Over the cap, new subjects share one bucket: a flood of new names
        // is one budget, not one each.
        assert!(b.dropped >= 10_000);
        // Idle buckets refill and are forgotten, making room again.
        let later = t + Duration::from_secs(10);
        assert!(b.allow("fresh", later));
        assert!(b.subjects() <= 100);
    }
}
