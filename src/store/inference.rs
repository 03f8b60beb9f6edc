//! An inference server's last 15 minutes, a point per sample: generated
//! tokens per second, requests waiting (the queue) and failed requests per
//! minute. Bounded by time ([`WINDOW_MS`]) and by count ([`MAX_POINTS`]).

use crate::model::Millis;
use crate::parse::push::InferenceHistorySnap;
use std::collections::VecDeque;

/// How far back the history reaches.
pub const WINDOW_MS: Millis = 15 * 60 * 1000;
/// Points kept at most, whatever the interval (a 250 ms host would have 3600).
pub(crate) const MAX_POINTS: usize = 1024;

/// One sample's numbers; `None` where the server does not export the
/// counter, or where a rate cannot be had (first sample, counter reset).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    pub at: Millis,
    pub tokens_per_s: Option<f64>,
    pub waiting: Option<f64>,
    pub errors_per_min: Option<f64>,
}

/// Which number of a [`Point`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    TokensPerS,
    Waiting,
    ErrorsPerMin,
}

impl Series {
    fn of(self, p: &Point) -> Option<f64> {
        match self {
            Series::TokensPerS => p.tokens_per_s,
            Series::Waiting => p.waiting,
            Series::ErrorsPerMin => p.errors_per_min,
        }
        .filter(|v| v.is_finite() && *v >= 0.0)
    }
}

/// The latest value, the average and the peak over the window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    pub current: f64,
    pub avg: f64,
    pub peak: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InferenceHistory {
    points: VecDeque<Point>,
}

impl InferenceHistory {
    /// Adds a point; one older than the newest is dropped (the newest is
    /// what the rates were taken against), and so is what fell out of the
    /// window or past the count.
    pub(crate) fn push(&mut self, p: Point) {
        if self.points.back().is_some_and(|last| p.at < last.at) {
            return;
        }
        while self
            .points
            .front()
            .is_some_and(|f| f.at < p.at.saturating_sub(WINDOW_MS))
            || self.points.len() >= MAX_POINTS
        {
            self.points.pop_front();
        }
        self.points.push_back(p);
    }

    fn recent(&self, now: Millis) -> impl Iterator<Item = &Point> {
        let from = now.saturating_sub(WINDOW_MS);
        self.points.iter().filter(move |p| p.at >= from && p.at <= now)
    }

    /// Current (the newest point that has the value), average and peak of a
    /// series over the window; `None` when no point in it has the value.
    pub fn stats(&self, s: Series, now: Millis) -> Option<Stats> {
        let vals: Vec<f64> = self.recent(now).filter_map(|p| s.of(p)).collect();
        let current = *vals.last()?;
        Some(Stats {
            current,
            avg: vals.iter().sum::<f64>() / vals.len() as f64,
            peak: vals.iter().copied().fold(0.0, f64::max),
        })
    }

    /// The window cut into `n` equal slices of time, oldest first, each the
    /// average of its points (0 where it has none): what a sparkline of `n`
    /// cells draws.
    pub fn slices(&self, s: Series, now: Millis, n: usize) -> Vec<f64> {
        let mut sum = vec![0.0; n];
        let mut count = vec![0u32; n];
        if n == 0 {
            return sum;
        }
        let from = now.saturating_sub(WINDOW_MS);
        for p in self.recent(now) {
            let Some(v) = s.of(p) else { continue };
            let i = (((p.at - from) as f64 / WINDOW_MS as f64) * n as f64) as usize;
            let i = i.min(n - 1);
            sum[i] += v;
            count[i] += 1;
        }
        sum.iter()
            .zip(&count)
            .map(|(s, c)| if *c > 0 { s / f64::from(*c) } else { 0.0 })
            .collect()
    }

    /// How long the points in the window reach back from `now`.
    pub fn span_ms(&self, now: Millis) -> Millis {
        self.recent(now).next().map_or(0, |p| now - p.at)
    }

    /// Failed requests over the window, from the per-minute rates and the
    /// time between points.
    pub fn failed_in_window(&self, now: Millis) -> Option<f64> {
        let pts: Vec<&Point> = self.recent(now).collect();
        let mut total: Option<f64> = None;
        for w in pts.windows(2) {
            if let Some(r) = Series::ErrorsPerMin.of(w[1]) {
                let minutes = (w[1].at - w[0].at) as f64 / 60_000.0;
                total = Some(total.unwrap_or(0.0) + r * minutes);
            }
        }
        total
    }

    pub(super) fn shift_clock(&mut self, d: Millis) {
        for p in &mut self.points {
            p.at = p.at.saturating_add(d);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The window in numbers, for the snapshot JSON; `None` while empty.
    pub(crate) fn snap(&self, now: Millis) -> Option<InferenceHistorySnap> {
        self.recent(now).next()?;
        let t = self.stats(Series::TokensPerS, now);
        let w = self.stats(Series::Waiting, now);
        Some(InferenceHistorySnap {
            span_s: u64::try_from(self.span_ms(now) / 1000).unwrap_or(0),
            tokens_per_s_avg: t.map(|s| s.avg),
            tokens_per_s_peak: t.map(|s| s.peak),
            waiting_avg: w.map(|s| s.avg),
            waiting_peak: w.map(|s| s.peak),
            errors_per_min_avg: self.stats(Series::ErrorsPerMin, now).map(|s| s.avg),
            failed: self.failed_in_window(now),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(at: Millis, tps: f64) -> Point {
        Point {
            at,
            tokens_per_s: Some(tps),
            waiting: Some(tps / 10.0),
            errors_per_min: None,
        }
    }

    #[test]
    fn stats_over_the_window_only() {
        let mut h = InferenceHistory::default();
        h.push(pt(0, 1000.0));
        for i in 1..=10 {
            h.push(pt(WINDOW_MS + i * 1000, f64::from(i as u32) * 10.0));
        }
        let now = WINDOW_MS + 10_000;
        let s = h.stats(Series::TokensPerS, now).unwrap();
        assert_eq!((s.current, s.peak), (100.0, 100.0), "the point at 0 is out");
        assert!((s.avg - 55.0).abs() < 1e-9, "{s:?}");
        assert_eq!(h.stats(Series::ErrorsPerMin, now), None);
        assert_eq!(h.span_ms(now), 9_000);
        // Later, everything is out of the window.
        assert_eq!(h.stats(Series::TokensPerS, now + WINDOW_MS + 1), None);
    }

    #[test]
    fn bounded_by_count_and_out_of_order_points_dropped() {
        let mut h = InferenceHistory::default();
        for i in 0..5000 {
            h.push(pt(i, 1.0));
        }
        assert_eq!(h.points.len(), MAX_POINTS);
        h.push(pt(10, 99.0));
        assert_eq!(h.points.back().unwrap().at, 4999);
    }

    #[test]
    fn slices_average_per_cell_and_skip_bad_values() {
        let mut h = InferenceHistory::default();
        let now = WINDOW_MS;
        h.push(pt(0, 10.0));
        h.push(pt(1, 30.0));
        h.push(pt(now - 1, 50.0));
        h.push(Point {
            at: now,
            tokens_per_s: Some(f64::NAN),
            ..Point::default()
        });
        let s = h.slices(Series::TokensPerS, now, 3);
        assert_eq!(s, vec![20.0, 0.0, 50.0]);
        assert!(h.slices(Series::TokensPerS, now, 0).is_empty());
    }

    #[test]
    fn failed_requests_add_up_from_the_rates() {
        let mut h = InferenceHistory::default();
        for (at, r) in [(0, None), (60_000, Some(2.0)), (120_000, None), (150_000, Some(4.0))] {
            h.push(Point {
                at,
                errors_per_min: r,
                ..Point::default()
            });
        }
        assert_eq!(h.failed_in_window(150_000), Some(4.0));
        assert_eq!(InferenceHistory::default().failed_in_window(0), None);
    }
}
