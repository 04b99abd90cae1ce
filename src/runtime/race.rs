//! Happens-before, for the data-race detector of the sequentially consistent checkers.
//!
//! Loom has a detector of its own (a `Var` is a `loom::cell::UnsafeCell` while
//! `no_data_race` is under check); shuttle has none. This one follows the C11 model's
//! synchronisation with vector clocks, as loom and ThreadSanitizer do: a lock taken
//! after its release, an acquire load of a release store (or of a read-modify-write that
//! continues its release sequence), release and acquire fences around relaxed accesses,
//! spawn and join. SeqCst counts as acquire plus release, as in loom. Two accesses to a
//! `Var` race when one is a write, they come from different threads, and neither
//! happens before the other. Under shuttle every load reads the latest store, so the
//! executions checked are the sequentially consistent ones: a race that needs a stale
//! read to be reached is loom's to find.
//!
//! Plain data, like the heap: the context calls it and reports what it returns.

use super::Ordering;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// A vector clock: for each thread (by index), how many of its release points are known.
#[derive(Clone, Debug, Default)]
struct Clock(Vec<u32>);

impl Clock {
    fn get(&self, thread: usize) -> u32 {
        self.0.get(thread).copied().unwrap_or(0)
    }

    fn join(&mut self, other: &Clock) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(*theirs);
        }
    }

    fn tick(&mut self, thread: usize) {
        if self.0.len() <= thread {
            self.0.resize(thread + 1, 0);
        }
        self.0[thread] += 1;
    }

    fn covers(&self, access: &Access) -> bool {
        self.get(access.thread) >= access.clock
    }
}

/// One access to a `Var`: by which thread, at which of its clock values.
#[derive(Clone, Copy, Debug)]
struct Access {
    thread: usize,
    clock: u32,
}

/// The accesses a new one must be ordered after: the last write, and each thread's last
/// read since it.
#[derive(Debug, Default)]
struct Location {
    write: Option<Access>,
    reads: Vec<Access>,
}

#[derive(Debug, Default)]
struct Thread {
    now: Clock,
    /// The clock at the thread's last release fence: what its relaxed stores publish.
    fenced: Option<Clock>,
    /// What its relaxed loads read, for its next acquire fence.
    to_acquire: Clock,
}

/// What an atomic access does to happens-before.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AtomicAccess {
    Load(Ordering),
    Store(Ordering),
    /// A read-modify-write that wrote (a failed compare-exchange is a `Load`).
    Rmw(Ordering),
}

fn acquires(order: Ordering) -> bool {
    matches!(
        order,
        Ordering::Acquire | Ordering::AcqRel | Ordering::SeqCst
    )
}

fn releases(order: Ordering) -> bool {
    matches!(
        order,
        Ordering::Release | Ordering::AcqRel | Ordering::SeqCst
    )
}

/// Happens-before in one execution.
#[derive(Debug, Default)]
pub(crate) struct Clocks {
    names: Vec<String>,
    threads: Vec<Thread>,
    /// What each mutex's last release published.
    locks: BTreeMap<String, Clock>,
    /// What an acquire load of each atomic's current value gets (its release sequence).
    atomics: BTreeMap<String, Clock>,
    vars: BTreeMap<String, Location>,
}

impl Clocks {
    fn index(&mut self, name: &str) -> usize {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return i;
        }
        let i = self.names.len();
        self.names.push(name.to_owned());
        let mut now = Clock::default();
        now.tick(i);
        self.threads.push(Thread {
            now,
            ..Thread::default()
        });
        i
    }

    /// `parent` starts `child`: all the parent did so far happens before the child.
    pub(crate) fn spawn(&mut self, parent: &str, child: &str) {
        let p = self.index(parent);
        let c = self.index(child);
        let published = self.threads[p].now.clone();
        self.threads[c].now.join(&published);
        self.threads[p].now.tick(p);
    }

    /// `parent` joined `child`: all the child did happens before what follows.
    pub(crate) fn join(&mut self, parent: &str, child: &str) {
        let p = self.index(parent);
        let c = self.index(child);
        let done = self.threads[c].now.clone();
        self.threads[p].now.join(&done);
    }

    pub(crate) fn lock_taken(&mut self, thread: &str, mutex: &str) {
        let t = self.index(thread);
        if let Some(released) = self.locks.get(mutex) {
            self.threads[t].now.join(released);
        }
    }

    pub(crate) fn lock_released(&mut self, thread: &str, mutex: &str) {
        let t = self.index(thread);
        self.locks
            .insert(mutex.to_owned(), self.threads[t].now.clone());
        self.threads[t].now.tick(t);
    }

    pub(crate) fn fence(&mut self, thread: &str, order: Ordering) {
        let t = self.index(thread);
        let th = &mut self.threads[t];
        if acquires(order) {
            let read = th.to_acquire.clone();
            th.now.join(&read);
        }
        if releases(order) {
            th.fenced = Some(th.now.clone());
            th.now.tick(t);
        }
    }

    pub(crate) fn atomic(&mut self, thread: &str, atomic: &str, access: AtomicAccess) {
        let t = self.index(thread);
        let order = match access {
            AtomicAccess::Load(o) | AtomicAccess::Store(o) | AtomicAccess::Rmw(o) => o,
        };
        if !matches!(access, AtomicAccess::Store(_)) {
            let sync = self.atomics.get(atomic).cloned().unwrap_or_default();
            let th = &mut self.threads[t];
            if acquires(order) {
                th.now.join(&sync);
            } else {
                th.to_acquire.join(&sync);
            }
        }
        if matches!(access, AtomicAccess::Load(_)) {
            return;
        }
        let th = &mut self.threads[t];
        let published = if releases(order) {
            th.now.clone()
        } else {
            th.fenced.clone().unwrap_or_default()
        };
        if releases(order) {
            th.now.tick(t);
        }
        match access {
            // A read-modify-write continues the release sequence it read from.
            AtomicAccess::Rmw(_) => self
                .atomics
                .entry(atomic.to_owned())
                .or_default()
                .join(&published),
            _ => {
                self.atomics.insert(atomic.to_owned(), published);
            }
        }
    }

    /// `thread` read (`write` false) or wrote a `Var`: the race it is in, if any, in words.
    pub(crate) fn var(&mut self, thread: &str, var: &str, write: bool) -> Option<String> {
        let t = self.index(thread);
        let now = &self.threads[t].now;
        let access = Access {
            thread: t,
            clock: now.get(t),
        };
        let location = self.vars.entry(var.to_owned()).or_default();
        let unordered = |a: &Access| a.thread != t && !now.covers(a);
        let conflict = match location.write.filter(unordered) {
            Some(w) => Some((w, "write")),
            None if write => location
                .reads
                .iter()
                .find(|r| unordered(r))
                .map(|r| (*r, "read")),
            None => None,
        };
        if write {
            location.write = Some(access);
            location.reads.clear();
        } else {
            location.reads.retain(|r| r.thread != t);
            location.reads.push(access);
        }
        conflict.map(|(other, what)| {
            format!(
                "data race: {thread} {} {var}, and {}'s {what} of it is not ordered before (no lock, release/acquire pair, fence, spawn or join orders them)",
                if write { "writes" } else { "reads" },
                self.names[other.thread]
            )
        })
    }

    /// Everything about happens-before that can decide a later race, for the stateful
    /// search's fingerprint: for each access a later one must be ordered after, which
    /// threads, locks, atomics and fence clocks already know of it. Clock values
    /// themselves grow with every release and would keep equal states apart; which
    /// holders cover an access is all that a later check or join can use.
    pub(crate) fn hash_state(&self, h: &mut impl Hasher) {
        let holders = |a: &Access| -> Vec<String> {
            let mut known = Vec::new();
            for (name, th) in self.names.iter().zip(&self.threads) {
                if th.now.covers(a) {
                    known.push(format!("t {name}"));
                }
                if th.fenced.as_ref().is_some_and(|c| c.covers(a)) {
                    known.push(format!("f {name}"));
                }
                if th.to_acquire.covers(a) {
                    known.push(format!("r {name}"));
                }
            }
            for (name, c) in &self.locks {
                if c.covers(a) {
                    known.push(format!("l {name}"));
                }
            }
            for (name, c) in &self.atomics {
                if c.covers(a) {
                    known.push(format!("a {name}"));
                }
            }
            known
        };
        for (var, location) in &self.vars {
            var.hash(h);
            location
                .write
                .map(|w| (&self.names[w.thread], holders(&w)))
                .hash(h);
            let mut reads: Vec<(&String, Vec<String>)> = location
                .reads
                .iter()
                .map(|r| (&self.names[r.thread], holders(r)))
                .collect();
            reads.sort();
            reads.hash(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Acquire, Relaxed, Release};

    fn two_threads() -> Clocks {
        let mut c = Clocks::default();
        c.spawn("main", "A");
        c.spawn("main", "B");
        c
    }

    #[test]
    fn unordered_writes_race_and_a_lock_orders_them() {
        let mut c = two_threads();
        assert_eq!(c.var("A", "x", true), None);
        assert!(c.var("B", "x", true).is_some());

        let mut c = two_threads();
        c.lock_taken("A", "m");
        assert_eq!(c.var("A", "x", true), None);
        c.lock_released("A", "m");
        c.lock_taken("B", "m");
        assert_eq!(c.var("B", "x", false), None);
        assert_eq!(c.var("B", "x", true), None);
    }

    #[test]
    fn reads_do_not_race_with_reads_but_with_a_later_write() {
        let mut c = two_threads();
        assert_eq!(c.var("A", "x", false), None);
        assert_eq!(c.var("B", "x", false), None);
        let race = c
            .var("B", "x", true)
            .expect("A's read is not ordered before");
        assert!(race.contains("A's read"), "{race}");
    }

    #[test]
    fn release_acquire_orders_and_relaxed_does_not() {
        for (store, load, ordered) in [
            (Release, Acquire, true),
            (Relaxed, Acquire, false),
            (Release, Relaxed, false),
        ] {
            let mut c = two_threads();
            c.var("A", "x", true);
            c.atomic("A", "flag", AtomicAccess::Store(store));
            c.atomic("B", "flag", AtomicAccess::Load(load));
            assert_eq!(
                c.var("B", "x", false).is_none(),
                ordered,
                "{store:?} {load:?}"
            );
        }
    }

    #[test]
    fn fences_order_relaxed_accesses() {
        let mut c = two_threads();
        c.var("A", "x", true);
        c.fence("A", Release);
        c.atomic("A", "flag", AtomicAccess::Store(Relaxed));
        c.atomic("B", "flag", AtomicAccess::Load(Relaxed));
        assert!(c.clone_var_race("B"), "no acquire fence yet");
        c.fence("B", Acquire);
        assert_eq!(c.var("B", "x", false), None);
    }

    #[test]
    fn a_relaxed_rmw_continues_the_release_sequence() {
        let mut c = Clocks::default();
        for t in ["A", "B", "C"] {
            c.spawn("main", t);
        }
        c.var("A", "x", true);
        c.atomic("A", "count", AtomicAccess::Store(Release));
        c.atomic("B", "count", AtomicAccess::Rmw(Relaxed));
        c.atomic("C", "count", AtomicAccess::Load(Acquire));
        assert_eq!(c.var("C", "x", false), None);
    }

    #[test]
    fn spawn_and_join_order() {
        let mut c = Clocks::default();
        c.var("main", "x", true);
        c.spawn("main", "A");
        assert_eq!(c.var("A", "x", true), None);
        c.join("main", "A");
        assert_eq!(c.var("main", "x", false), None);
    }

    impl Clocks {
        /// Whether a read of `x` by `thread` would race now (without recording it).
        fn clone_var_race(&self, thread: &str) -> bool {
            let t = self.names.iter().position(|n| n == thread).expect("known");
            let now = &self.threads[t].now;
            self.vars["x"]
                .write
                .is_some_and(|w| w.thread != t && !now.covers(&w))
        }
    }
}
