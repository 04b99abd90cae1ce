//! Condition variables as POSIX defines them (`pthread_cond_wait`,
//! `pthread_cond_timedwait`), the primitives under CPython's GIL (Python/condvar.h,
//! `PyCOND_WAIT`, `PyCOND_TIMEDWAIT`). A wait may return without a signal (a spurious
//! wakeup) and a timed wait whenever its deadline passes. These small models pin down
//! what that means for a protocol, before the GIL models rely on it.
//!
//! The ready/notify family: consumers wait on `cond` until a producer sets `ready`. Their
//! twins differ in one line: whether a consumer re-checks `ready` after waking.

pub mod timed_wait;
pub mod wait_loop;
pub mod wait_once;

use crate::prelude::*;

pub struct Ready {
    pub mutex: Mutex<()>,
    pub cond: Condvar,
    pub ready: Var,
}

pub const CONSUMER_SEES_READY: &str = "consumer_sees_ready";

pub const PROPERTIES: &[Property] = &[
    Property {
        id: CONSUMER_SEES_READY,
        claim: "a consumer goes on only once the producer has set ready",
    },
    Property {
        id: NO_DEADLOCK,
        claim: "some thread can always run until all have finished",
    },
];

/// `threads - 1` consumers run `consume`; one producer sets `ready` and broadcasts.
pub fn run(threads: usize, consume: fn(&Ready)) {
    let shared = Shared::new(Ready {
        mutex: Mutex::new("mutex", ()),
        cond: Condvar::new("cond"),
        ready: Var::new("ready", 0),
    });
    let mut handles = Vec::new();
    for t in 0..threads.saturating_sub(1) {
        let s = shared.clone();
        handles.push(rt::spawn(crate::models::WORKERS[t], move || consume(&s)));
    }
    let s = shared.clone();
    handles.push(rt::spawn("P", move || {
        let _held = s.mutex.lock("produce: lock");
        s.ready.write("produce: set ready", 1);
        s.cond.notify_all("produce: notify_all");
    }));
    for h in handles {
        h.join();
    }
}

/// What a consumer checks once it goes on.
pub fn consumed(s: &Ready) {
    let ready = s.ready.read("consume: read ready");
    ensure(CONSUMER_SEES_READY, ready == 1, || {
        "a consumer went on while ready was still 0".to_owned()
    });
}
