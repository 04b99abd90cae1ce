//! # condvar-wait-loop: `while (!ready) wait(cond)`
//!
//! **Question.** Does a consumer that re-checks its predicate after every wakeup survive
//! spurious wakeups?
//!
//! **Steps.** Consumer: lock; while `ready` is 0, wait on `cond`; read `ready`; unlock.
//! Producer: lock; `ready` = 1; notify all; unlock.
//!
//! **Why nothing breaks it**: a wakeup, spurious or not, only sends the consumer back to
//! the test; it leaves the loop only with `ready` = 1 read under the mutex. CPython's
//! `take_gil` waits the same way (`while (_Py_atomic_load_int_relaxed(&gil->locked))`).

use super::{PROPERTIES, Ready, consumed};
use crate::prelude::*;

/// What the verdicts are about: the consumer had to wait, and its wait ended (see
/// `model::Situation`).
const WAITED: Situation = Situation("the consumer found ready = 0, waited, and woke");

fn consume(s: &Ready) {
    let mut held = s.mutex.lock("consume: lock");
    while s.ready.read("consume: test ready") == 0 {
        held = s.cond.wait("consume: wait", held);
        rt::reach(WAITED);
    }
    consumed(s);
    drop(held);
}

fn body(p: Params) {
    super::run(p.threads, consume);
}

/// Expected verdicts: property, checkers, with 2 threads, with 3 (the deep suite).
#[rustfmt::skip]
const EXPECT: &[Expect] = &[
    Expect { property: super::CONSUMER_SEES_READY, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: super::CONSUMER_SEES_READY, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

pub const MODEL: Model = Model {
    id: "condvar-wait-loop",
    title: "Waiting in a loop on the predicate",
    question: "Does `while (!ready) wait(cond)` stay correct when the condition variable wakes spuriously?",
    sources: &[
        "Python/condvar.h#PyCOND_WAIT",
        "Python/ceval_gil.c#take_gil",
    ],
    abstracts: "One mutex, one condition variable, one flag.",
    properties: PROPERTIES,
    expect: EXPECT,
    expect_spurious: EXPECT,
    twin: Some("condvar-wait-once"),
    situations: &[WAITED],
    body,
    ..Model::DEFAULT
};
