//! # timed-wait-never-released: a timed wait on a lock whose holder never lets go
//!
//! **Question.** What does a checker report when a waiter with a timeout waits for a lock
//! that is never released? Not a deadlock: the waiter is never stuck, it wakes at every
//! deadline, finds the lock still held, and waits again, forever. That is a livelock.
//!
//! **Steps.** Holder H: lock `mutex`; `locked` = 1; unlock; exit without clearing it (the
//! bug). Waiter W: lock `mutex`; while `locked`, timed wait on `cond`; take the lock.
//! This is `take_gil`'s waiting loop (Python/ceval_gil.c) facing a holder that never
//! reaches `drop_gil`.
//!
//! **Verdict.** The checkers explore a bounded number of timeouts; when every thread then
//! waits and one of them only with a timeout, the run reports `livelock`, with the trace
//! of W timing out and re-waiting. Its twin `timed-wait-released` clears `locked` and
//! signals: it holds.

use crate::prelude::*;

struct Lock {
    mutex: Mutex<()>,
    cond: Condvar,
    locked: Var,
}

fn run(release: bool) {
    let s = Shared::new(Lock {
        mutex: Mutex::new("mutex", ()),
        cond: Condvar::new("cond"),
        locked: Var::new("locked", 0),
    });
    let h = s.clone();
    let holder = rt::spawn("H", move || {
        let held = h.mutex.lock("hold: lock mutex");
        h.locked.write("hold: set locked", 1);
        drop(held);
        if release {
            let _held = h.mutex.lock("release: lock mutex");
            h.locked.write("release: clear locked", 0);
            h.cond.notify_one("release: signal cond");
        }
    });
    let w = s.clone();
    let waiter = rt::spawn("W", move || {
        let mut held = w.mutex.lock("take: lock mutex");
        while w.locked.read("take: test locked") == 1 {
            held = w.cond.wait_timeout("take: timed wait", held).0;
        }
        w.locked.write("take: set locked", 1);
        drop(held);
    });
    holder.join();
    waiter.join();
}

fn never_released(_: Params) {
    run(false); // BUG: the holder exits holding the lock
}

fn released(_: Params) {
    run(true);
}

const PROPERTIES: &[Property] = &[Property {
    id: NO_DEADLOCK,
    claim: "some thread can always run until all have finished",
}];

#[rustfmt::skip]
const EXPECT_LIVELOCK: &[Expect] = &[
    Expect { property: NO_DEADLOCK, checkers: &Checker::ALL, default: LIVELOCK, deep: LIVELOCK },
];

#[rustfmt::skip]
const EXPECT_HOLDS: &[Expect] = &[
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

pub const NEVER_RELEASED: Model = Model {
    id: "timed-wait-never-released",
    title: "A timed wait on a lock that is never released",
    question: "Is a waiter with a timeout, facing a holder that never releases, reported as a livelock rather than a deadlock or a pass?",
    sources: &[
        "Python/ceval_gil.c#take_gil",
        "Python/condvar.h#PyCOND_TIMEDWAIT",
    ],
    abstracts: "The lock is a flag under a mutex; time is only the explored timeouts.",
    properties: PROPERTIES,
    expect: EXPECT_LIVELOCK,
    expect_spurious: EXPECT_LIVELOCK,
    twin: Some("timed-wait-released"),
    body: never_released,
    ..Model::DEFAULT
};

pub const RELEASED: Model = Model {
    id: "timed-wait-released",
    title: "A timed wait on a lock that is released",
    question: "When the holder clears the flag and signals, does the timed waiter always get the lock?",
    sources: &["Python/ceval_gil.c#take_gil", "Python/ceval_gil.c#drop_gil"],
    abstracts: "The lock is a flag under a mutex; time is only the explored timeouts.",
    properties: PROPERTIES,
    expect: EXPECT_HOLDS,
    expect_spurious: EXPECT_HOLDS,
    twin: Some("timed-wait-never-released"),
    body: released,
    ..Model::DEFAULT
};
