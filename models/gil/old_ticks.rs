//! # gil-old-ticks: the GIL before 3.2, released and re-taken every N ticks
//!
//! **Question.** Up to Python 3.1 the GIL was a plain lock. Every 100 "ticks" (about
//! bytecodes) the running thread released it and at once acquired it again, to give
//! others a chance (Python/ceval.c 2.x, `PyThread_release_lock(interpreter_lock)` then
//! `PyThread_acquire_lock(interpreter_lock, 1)`). Does a waiting thread get it?
//!
//! **An interleaving that breaks it** (seed claim G4's phone booth): B waits for the lock;
//! A releases it, which makes B runnable, but A keeps running and takes the lock back
//! before B is scheduled. B is passed over, and can be at every release ("GIL battle",
//! Beazley 2009–2010). No preemption is needed: the holder simply keeps the CPU.
//!
//! The new GIL (`gil-handoff`) answers this with drop requests and FORCE_SWITCHING.
//!
//! **Abstracts**: ticks are bytecodes; the check interval is one tick; the lock is a
//! mutex (pthreads builds used a mutex and condition variable with the same unfairness).

use crate::prelude::*;

pub const PASSED_OVER: &str = "waiter_gets_gil_at_next_release";

struct OldGil {
    lock: Mutex<()>,
    /// Ghost: the waiter has asked for the lock and not got it yet.
    waiting: Ghost,
}

fn body(p: Params) {
    let gil = Shared::new(OldGil {
        lock: Mutex::new("interpreter_lock", ()),
        waiting: Ghost::new(0),
    });
    let g = gil.clone();
    let holder = rt::spawn(WORKERS[0], move || {
        let mut held = g.lock.lock("PyThread_acquire_lock");
        for _ in 0..2 {
            rt::step("bytecode");
            drop(held); // every check interval: release ...
            let waited = g.waiting.get() == 1;
            held = g.lock.lock("periodic check: PyThread_acquire_lock"); // ... and take it straight back
            ensure(PASSED_OVER, !(waited && g.waiting.get() == 1), || {
                "A released the GIL while B waited for it, then took it back first".to_owned()
            });
        }
        drop(held);
    });
    let waiters: Vec<_> = (1..p.threads)
        .map(|t| {
            let g = gil.clone();
            rt::spawn(WORKERS[t], move || {
                g.waiting.set(1);
                rt::step("wants the GIL: PyThread_acquire_lock blocks");
                let held = g.lock.lock("PyThread_acquire_lock");
                g.waiting.set(0);
                rt::step("bytecode");
                drop(held);
            })
        })
        .collect();
    holder.join();
    for w in waiters {
        w.join();
    }
}

const PROPERTIES: &[Property] = &[
    Property {
        id: PASSED_OVER,
        claim: "a thread waiting for the GIL gets it at the holder's next periodic release",
    },
    Property {
        id: NO_DEADLOCK,
        claim: "some thread can always run until all have finished",
    },
];

#[rustfmt::skip]
const EXPECT: &[Expect] = &[
    Expect { property: PASSED_OVER, checkers: Checker::LOOM, default: violated(2), deep: violated(2) },
    Expect { property: PASSED_OVER, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

pub const MODEL: Model = Model {
    id: "gil-old-ticks",
    title: "The pre-3.2 GIL: release and re-acquire every N ticks",
    question: "When the holder releases the old GIL and immediately re-acquires it, does a waiting thread get it?",
    claims: &[SeedClaim {
        id: "G4",
        stance: Stance::Confirms,
        why: "no queue: the releasing thread takes the lock back before the waiter runs",
    }],
    sources: &[
        "Python/ceval.c (2.x) PyEval_EvalFrameEx periodic check",
        "Python/thread_pthread.h#PyThread_acquire_lock",
    ],
    abstracts: "Ticks are bytecodes and the check interval is one; the lock is a plain mutex.",
    properties: PROPERTIES,
    expect: EXPECT,
    twin: Some("gil-handoff"),
    body,
    ..Model::DEFAULT
};
