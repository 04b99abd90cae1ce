//! `Condvar`: a condition variable as POSIX defines it, with spurious wakeups and timed
//! waits as explored events.

use super::context::{self, Backend, Sleeping};
use super::mutex::MutexGuard;
use super::{Backed, backed};
use std::sync::Arc;

/// A thread asleep in a timed wait. It sleeps on a channel of its own rather than on the
/// condition variable, so that neither a signal nor its deadline can be lost in the
/// moment between its letting go of the mutex and its falling asleep.
struct Sleep {
    thread: String,
    woken: std::sync::atomic::AtomicBool,
    tx: SleepTx,
}

enum SleepTx {
    Loom(loom::sync::mpsc::Sender<bool>),
    Shuttle(shuttle::sync::mpsc::Sender<bool>),
}

enum SleepRx {
    Loom(loom::sync::mpsc::Receiver<bool>),
    Shuttle(shuttle::sync::mpsc::Receiver<bool>),
}

impl Sleep {
    fn new() -> (Arc<Sleep>, SleepRx) {
        let (tx, rx) = match context::backend() {
            Backend::Loom => {
                let (tx, rx) = loom::sync::mpsc::channel();
                (SleepTx::Loom(tx), SleepRx::Loom(rx))
            }
            _ => {
                let (tx, rx) = shuttle::sync::mpsc::channel();
                (SleepTx::Shuttle(tx), SleepRx::Shuttle(rx))
            }
        };
        let sleep = Sleep {
            thread: context::thread_name(),
            woken: std::sync::atomic::AtomicBool::new(false),
            tx,
        };
        (Arc::new(sleep), rx)
    }
}

impl Sleeping for Sleep {
    fn thread(&self) -> &str {
        &self.thread
    }

    fn claim(&self, deadline: bool) -> bool {
        let claimed = !self.woken.swap(true, std::sync::atomic::Ordering::Relaxed);
        if claimed {
            context::pending_wake(&self.thread, deadline);
        }
        claimed
    }

    fn send(&self, deadline: bool) {
        // A send to a sleeper's own channel is a left mover, as letting a lock go is.
        context::next_is_mover();
        match &self.tx {
            SleepTx::Loom(tx) => tx.send(deadline).expect("the sleeper waits"),
            SleepTx::Shuttle(tx) => tx.send(deadline).expect("the sleeper waits"),
        }
        context::mark(&format!("woke {}", self.thread));
    }
}

impl SleepRx {
    /// Sleep until woken; true if by the deadline.
    fn sleep(self) -> bool {
        match self {
            SleepRx::Loom(rx) => rx.recv().expect("a waker"),
            SleepRx::Shuttle(rx) => rx.recv().expect("a waker"),
        }
    }
}

/// A condition variable as POSIX defines it: `wait` may return without a notification
/// (a spurious wakeup, when the run allows them: an explored event, since neither checker
/// produces one) and `wait_timeout` may time out (see there).
///
/// Under shuttle every waiter sleeps on a channel of its own (a `Sleep`) and the queue of
/// waiters is ghost state the runtime keeps, oldest first: `notify_one` wakes the oldest,
/// as loom's condition variable does. Shuttle's own condition variable keeps state we
/// cannot see (which waiter holds which signal), and the stateful search must see it all.
pub struct Condvar {
    name: String,
    /// Shuttle's is not used (see above).
    inner: Backed<loom::sync::Condvar, (), std::sync::Condvar>,
}

impl Condvar {
    pub fn new(name: &str) -> Condvar {
        let inner = backed!(
            loom: loom::sync::Condvar::new(),
            shuttle: (),
            std: std::sync::Condvar::new(),
        );
        Condvar {
            name: name.to_owned(),
            inner,
        }
    }

    /// Release the guard's mutex, wait for a notification (or a spurious wakeup, when the
    /// run allows them), re-take the mutex. Callers must re-check their predicate.
    pub fn wait<'a, T>(&self, action: &str, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        context::loop_head(action);
        self.wait_untimed(action, guard)
    }

    fn wait_untimed<'a, T>(&self, action: &str, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let event = context::wait_event(false);
        if event {
            return self.wait_or_event(action, guard, Some("spurious wakeup"));
        }
        context::time_passes();
        context::set_blocked(Some(format!("waits on {}", self.name)));
        let guard = match self.inner {
            Backed::Shuttle(()) => self.sleep(action, guard, false).0,
            _ => self.wait_or_event(action, guard, None),
        };
        context::set_blocked(None);
        guard
    }

    /// As `wait`, but the wait may also end because its deadline passed: the second value
    /// says whether it timed out. There is no clock. A deadline passes early (before the
    /// thread even sleeps) at the waits the checkers choose, up to the run's budget; and it
    /// passes for every sleeping timed waiter whenever another thread blocks or exits
    /// (`context::time_passes`). So a timed wait never sleeps forever while others are stuck.
    pub fn wait_timeout<'a, T>(
        &self,
        action: &str,
        mut guard: MutexGuard<'a, T>,
    ) -> (MutexGuard<'a, T>, bool) {
        if let (Backed::Std(c), Some(Backed::Std(_))) = (&self.inner, &guard.inner) {
            // Real threads, real time: a millisecond stands for CPython's 5 ms interval.
            let Some(Backed::Std(g)) = guard.inner.take() else {
                unreachable!()
            };
            let (g, result) = c
                .wait_timeout(g, std::time::Duration::from_millis(1))
                .unwrap_or_else(|e| e.into_inner());
            guard.inner = Some(Backed::Std(g));
            return (guard, result.timed_out());
        }
        context::loop_head(action);
        if context::wait_event(true) {
            return (self.wait_or_event(action, guard, Some("timed out")), true);
        }
        if !context::current().waits.timeouts {
            // No deadlines: a plain wait, as loom's and shuttle's own timed waits are.
            return (self.wait_untimed(action, guard), false);
        }
        self.sleep(action, guard, true)
    }

    /// Sleep on a channel of one's own until a signal (or, `timed`, the deadline) wakes
    /// us; the second value says whether the deadline did.
    fn sleep<'a, T>(
        &self,
        action: &str,
        mut guard: MutexGuard<'a, T>,
        timed: bool,
    ) -> (MutexGuard<'a, T>, bool) {
        let (sleep, rx) = Sleep::new();
        let sleep: Arc<dyn Sleeping> = sleep;
        let what = format!("waits on {}", self.name);
        if timed && !context::sleep_timed(&sleep, &what) {
            return (self.wait_or_event(action, guard, Some("timed out")), true);
        }
        context::cv_wait(&self.name, &sleep);
        let mutex = guard.mutex;
        let how = if timed { " with a timeout" } else { "" };
        context::record_noted(action, || format!("{what}{how}, releasing {}", mutex.name));
        context::lock_event(&mutex.name, context::LockEvent::Release);
        context::next_is_mover();
        drop(guard.inner.take());
        context::mark(&format!("released {}", mutex.name));
        context::next_may_block();
        let timed_out = rx.sleep();
        drop(sleep); // only now: the channel is ours (see `context::Sleeper`)
        context::mark(if timed_out { "deadline" } else { "signalled" });
        context::woke();
        guard.inner = Some(mutex.acquire());
        let outcome = if timed_out { "timed out" } else { "woken" };
        context::record_noted(&format!("{action}: {outcome}"), || {
            format!("holds {}", mutex.name)
        });
        (guard, timed_out)
    }

    /// Wait on loom's or std's condition variable, unless `event` (an explored early
    /// timeout or spurious wakeup) says to let go of the mutex and take it again without
    /// waiting.
    fn wait_or_event<'a, T>(
        &self,
        action: &str,
        mut guard: MutexGuard<'a, T>,
        event: Option<&str>,
    ) -> MutexGuard<'a, T> {
        let mutex = guard.mutex;
        context::record_noted(action, || {
            format!("waits on {}, releasing {}", self.name, mutex.name)
        });
        let inner = guard.inner.take().expect("guard is held");
        context::lock_event(&mutex.name, context::LockEvent::Release);
        let inner = match event {
            Some(_) => {
                // No notification: let go of the mutex, then contend for it like anyone.
                context::next_is_mover();
                drop(inner);
                context::mark(&format!("released {}", mutex.name));
                mutex.acquire()
            }
            None => match (&self.inner, inner) {
                (Backed::Loom(c), Backed::Loom(g)) => {
                    Backed::Loom(c.wait(g).unwrap_or_else(|e| e.into_inner()))
                }
                (Backed::Std(c), Backed::Std(g)) => {
                    Backed::Std(c.wait(g).unwrap_or_else(|e| e.into_inner()))
                }
                _ => unreachable!("shuttle waits sleep on a channel (see `sleep`)"),
            },
        };
        if event.is_none() {
            context::lock_event(&mutex.name, context::LockEvent::Take);
        }
        let outcome = event.unwrap_or("woken");
        context::record_noted(&format!("{action}: {outcome}"), || {
            format!("holds {}", mutex.name)
        });
        guard.inner = Some(inner);
        guard
    }

    /// Wake the sleepers on this condition variable with a signal: the oldest one (`all`:
    /// every one). Returns whether any woke.
    fn wake_sleepers(&self, all: bool) -> bool {
        // Claim under the ghost lock, send after it: a send may switch threads.
        let claimed = context::cv_claim(&self.name, all);
        for sleep in &claimed {
            sleep.send(false);
        }
        !claimed.is_empty()
    }

    pub fn notify_one(&self, action: &str) {
        if !self.wake_sleepers(false) {
            match &self.inner {
                Backed::Loom(c) => c.notify_one(),
                Backed::Shuttle(()) => {}
                Backed::Std(c) => c.notify_one(),
            }
        }
        context::record_noted(action, || format!("signals {}", self.name));
    }

    pub fn notify_all(&self, action: &str) {
        self.wake_sleepers(true);
        match &self.inner {
            Backed::Loom(c) => c.notify_all(),
            Backed::Shuttle(()) => {}
            Backed::Std(c) => c.notify_all(),
        }
        context::record_noted(action, || format!("broadcasts {}", self.name));
    }
}
