//! Which hosts keep their whole process table, and which processes the
//! others keep.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// How many processes by CPU, and how many by memory, a host keeps when its
/// whole table is not wanted.
pub const TOP_PROCESSES: usize = 32;

/// Which remote hosts keep their whole process table. All of them until
/// [`Tables::show`] is first called (headless, tests); in the TUI, where only
/// a host's drill-down shows the table, the host whose drill-down is open.
/// Every other host keeps its [`TOP_PROCESSES`] by CPU and by memory: what
/// its tile, the grid and a snapshot show (session chips are counted before,
/// over every process) — hundreds of hosts must not each hold hundreds of rows.
/// A handle in [`Handles`](crate::sources::Handles): clones share it.
#[derive(Clone, Default)]
pub struct Tables(Arc<Wanted>);

#[derive(Default)]
struct Wanted {
    trim: AtomicBool,
    open: Mutex<Option<String>>,
    changed: tokio::sync::Notify,
}

impl Tables {
    /// From now on only `open`'s table is whole.
    pub fn show(&self, open: Option<&str>) {
        let was_trimming = self.0.trim.swap(true, Relaxed);
        let mut cur = self.0.open.lock().unwrap_or_else(|e| e.into_inner());
        if !was_trimming || cur.as_deref() != open {
            *cur = open.map(str::to_string);
            drop(cur);
            self.0.changed.notify_waiters();
        }
    }

    pub fn whole(&self, host: &str) -> bool {
        !self.0.trim.load(Relaxed) || self.0.open.lock().unwrap_or_else(|e| e.into_inner()).as_deref() == Some(host)
    }

    /// Returns when `host`'s table becomes wanted whole.
    pub(super) async fn until_whole(&self, host: &str) {
        loop {
            let changed = self.0.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.whole(host) {
                return;
            }
            changed.await;
        }
    }
}

/// Which of the processes with these (CPU %, memory) to keep: the `n`
/// busiest by CPU and the `n` largest by memory (fewer when they overlap).
/// Ties (most processes use no CPU) go by the other measure, then by the
/// list's order (the table's: oldest pid first), so the same table always
/// keeps the same rows.
pub fn top(use_of: &[(f32, u64)], n: usize) -> Vec<bool> {
    if use_of.len() <= n {
        return vec![true; use_of.len()];
    }
    let mut keep = vec![false; use_of.len()];
    let mut order: Vec<usize> = (0..use_of.len()).collect();
    let (cpu, mem) = (|i: &usize| use_of[*i].0, |i: &usize| use_of[*i].1);
    order.sort_by(|a, b| cpu(b).total_cmp(&cpu(a)).then(mem(b).cmp(&mem(a))));
    order.iter().take(n).for_each(|i| keep[*i] = true);
    order.sort_by(|a, b| mem(b).cmp(&mem(a)).then(cpu(b).total_cmp(&cpu(a))).then(a.cmp(b)));
    order.iter().take(n).for_each(|i| keep[*i] = true);
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_keeps_the_busiest_and_the_largest() {
        let use_of = [(0.0, 10), (90.0, 1), (5.0, 500), (50.0, 2), (0.0, 400), (1.0, 3)];
        let keep = top(&use_of, 2);
        let kept: Vec<usize> = (0..use_of.len()).filter(|i| keep[*i]).collect();
        assert_eq!(kept, [1, 2, 3, 4], "two by CPU (1, 3), two by memory (2, 4)");
        assert_eq!(top(&use_of[..2], 2), [true, true]);
    }

    #[test]
    fn ties_go_by_the_other_measure_then_the_oldest() {
        // Nothing uses CPU: by CPU the largest come first, then list order.
        let use_of = [(0.0, 7), (0.0, 7), (0.0, 9), (0.0, 7), (0.0, 7)];
        let keep = top(&use_of, 2);
        let kept: Vec<usize> = (0..use_of.len()).filter(|i| keep[*i]).collect();
        assert_eq!(kept, [0, 2], "the largest, then the first of the equal ones");
    }
}
