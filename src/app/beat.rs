//! A beat: one wake-up per period. The ticker steps to one, and the
//! loop's once-a-second housekeeping runs on another.
//!
//! tokio's timer wheel keeps a deadline more than 64 ms away on a coarser
//! level and wakes once to move it down before waking for it, so a step
//! every 83 ms (12 fps) cost two wake-ups of the process, the first for
//! nothing. On Linux the beat is a periodic `timerfd`, which the kernel
//! fires on time and the runtime sees as one readable file; elsewhere, or
//! if the timer cannot be made, a tokio sleep.

use std::time::Duration;
use tokio::time::Instant;

pub(super) struct Beat {
    /// The period it beats at; `None`: still.
    period: Option<Duration>,
    #[cfg(target_os = "linux")]
    timer: Option<tokio::io::unix::AsyncFd<rustix::fd::OwnedFd>>,
    /// The next beat, where there is no timer.
    next: Instant,
}

impl Beat {
    pub(super) fn new() -> Beat {
        Beat {
            period: None,
            #[cfg(target_os = "linux")]
            timer: linux::timer(),
            next: Instant::now(),
        }
    }

    /// Beats every `period`, the first one `period` from now; or stops
    /// (`None`). Nothing changes when the period is the one it beats at.
    pub(super) fn set(&mut self, period: Option<Duration>) {
        if period == self.period {
            return;
        }
        self.period = period;
        self.next = Instant::now() + period.unwrap_or_default();
        #[cfg(target_os = "linux")]
        if let Some(t) = &self.timer
            && linux::arm(t.get_ref(), period).is_err()
        {
            self.timer = None;
        }
    }

    /// The next beat; never, while still. Beats missed while the loop was
    /// busy make one beat, not a burst.
    pub(super) async fn next(&mut self) {
        let Some(period) = self.period else {
            return std::future::pending().await;
        };
        #[cfg(target_os = "linux")]
        if let Some(t) = &self.timer {
            if linux::wait(t).await.is_ok() {
                return;
            }
            self.timer = None;
        }
        tokio::time::sleep_until(self.next).await;
        self.next += period;
        if self.next < Instant::now() {
            self.next = Instant::now() + period;
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use rustix::fd::OwnedFd;
    use rustix::time::{Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec};
    use std::time::Duration;
    use tokio::io::unix::AsyncFd;

    pub(super) fn timer() -> Option<AsyncFd<OwnedFd>> {
        let flags = TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC;
        let fd = rustix::time::timerfd_create(TimerfdClockId::Monotonic, flags).ok()?;
        // SAFETY: the OwnedFd is open and stays so, the same descriptor,
        // for as long as the AsyncFd owns it.
        unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }.ok()
    }

    /// Fires every `period` from now, or never.
    pub(super) fn arm(fd: &OwnedFd, period: Option<Duration>) -> std::io::Result<()> {
        let every = period.map_or(Timespec { tv_sec: 0, tv_nsec: 0 }, |p| Timespec {
            tv_sec: i64::try_from(p.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(p.subsec_nanos()),
        });
        let spec = Itimerspec {
            it_interval: every,
            it_value: every,
        };
        rustix::time::timerfd_settime(fd, TimerfdTimerFlags::empty(), &spec)?;
        Ok(())
    }

    /// Until the timer has fired (once or more since last asked).
    pub(super) async fn wait(t: &AsyncFd<OwnedFd>) -> std::io::Result<()> {
        loop {
            let mut ready = t.readable().await?;
            let mut count = [0u8; 8];
            match rustix::io::read(t.get_ref(), &mut count) {
                Ok(_) => {
                    // Read, the timer is not readable until it fires again
                    // (which a later edge would say): no read to find that.
                    ready.clear_ready();
                    return Ok(());
                }
                Err(rustix::io::Errno::AGAIN) => ready.clear_ready(),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn it_beats_at_its_period_and_stops() {
        let mut b = Beat::new();
        #[cfg(target_os = "linux")]
        assert!(b.timer.is_some(), "a timerfd on Linux");
        let t0 = std::time::Instant::now();
        b.set(Some(Duration::from_millis(20)));
        for _ in 0..5 {
            b.next().await;
        }
        let took = t0.elapsed();
        assert!(took >= Duration::from_millis(100), "five beats of 20 ms took {took:?}");
        b.set(None);
        let still = tokio::time::timeout(Duration::from_millis(60), b.next()).await;
        assert!(still.is_err(), "a still beat does not fire");
        // Missed beats make one, then the period again: no second one ready.
        b.set(Some(Duration::from_millis(10)));
        std::thread::sleep(Duration::from_millis(45));
        b.next().await;
        let burst = tokio::select! {
            biased;
            () = b.next() => true,
            () = std::future::ready(()) => false,
        };
        assert!(!burst, "no burst after a busy spell");
    }
}
