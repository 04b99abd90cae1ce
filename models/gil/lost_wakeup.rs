//! # gil-lost-wakeup: `locked` cleared and `cond` signalled outside `mutex`
//!
//! **Question.** `take_gil` tests `locked` and then sleeps on `cond`, both under `mutex`.
//! What if `drop_gil` clears `locked` and signals `cond` without taking `mutex`, and the
//! waiter's wait has no timeout?
//!
//! **An interleaving that breaks it**: B takes `mutex` and reads `locked` = 1. A, not
//! taking `mutex`, stores `locked` = 0 and signals `cond`, but nobody waits yet: the
//! signal is lost. B now waits on `cond`, and nothing will ever signal it again: deadlock.
//! CPython does both under `mutex` (Python/ceval_gil.c#drop_gil_impl) and its wait is
//! timed (COND_TIMED_WAIT), so a missed signal would cost one interval at most
//! (cpython-gil.md §1, invariant I3).
//!
//! Twin `gil-lost-wakeup-timed` keeps the bug but waits with a timeout, as CPython does.
//! Under sequential consistency (shuttle) the waiter wakes at the deadline, sees `locked`
//! = 0 and takes the GIL: every thread finishes. Under loom's C11 model it need not: the
//! relaxed store of 0 outside `mutex` is ordered before nothing the waiter does, so the
//! waiter may read the stale 1 at every wakeup (the trace marks each `stale read`), and
//! loom reports a livelock. C11 only recommends that a store become visible "within a
//! reasonable amount of time"; the timed wait's rescue rests on the hardware's cache
//! coherence, not on the language's memory model.
//!
//! **Abstracts**: as `gil-handoff`; the workers only run bytecodes (no check points), so
//! the GIL changes hands only when a thread finishes.

use super::{CPYTHON, Gil, NO_DEADLOCK, Op, Variant};
use crate::prelude::*;
use crate::runtime::builtin::NO_DEADLOCK as DEADLOCK;

const RUN: &[Op] = &[Op::Bytecode];

fn run(variant: Variant, p: Params) {
    super::run_workers(
        Shared::new(Gil::new(variant, p.threads)),
        &vec![RUN; p.threads],
    );
}

fn timed(p: Params) {
    run(
        Variant {
            drop_under_mutex: false,
            ..CPYTHON
        },
        p,
    ); // BUG: outside mutex, but a timed wait
}

fn untimed(p: Params) {
    run(
        Variant {
            drop_under_mutex: false,
            timed_wait: false,
            ..CPYTHON
        },
        p,
    ); // BUG: both
}

// Only the hang: a run stops at its first deadlock, so other properties could not be
// decided past it.
const PROPERTIES: &[Property] = &[NO_DEADLOCK];

#[rustfmt::skip]
const UNTIMED_EXPECT: &[Expect] = &[
    Expect { property: DEADLOCK, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: DEADLOCK, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

const SOURCES: &[&str] = &[
    "Python/ceval_gil.c#take_gil",
    "Python/ceval_gil.c#drop_gil_impl",
    "Python/condvar.h#PyCOND_TIMEDWAIT",
];

pub const UNTIMED: Model = Model {
    id: "gil-lost-wakeup",
    title: "A GIL whose drop signals outside the mutex, waited for without a timeout",
    question: "If drop_gil clears locked and signals cond outside mutex, and take_gil waits without a timeout, can a waiter sleep forever?",
    sources: SOURCES,
    abstracts: "As gil-handoff; workers only run bytecodes.",
    properties: PROPERTIES,
    expect: UNTIMED_EXPECT,
    expect_spurious: UNTIMED_EXPECT,
    loom_bound: super::LOOM_BOUND,
    twin: Some("gil-lost-wakeup-timed"),
    body: untimed,
    ..Model::DEFAULT
};

#[rustfmt::skip]
const TIMED_EXPECT: &[Expect] = &[
    // C11 lets the waiter read the stale `locked` = 1 for ever (see the header).
    Expect { property: DEADLOCK, checkers: Checker::LOOM, default: LIVELOCK, deep: LIVELOCK },
    Expect { property: DEADLOCK, checkers: Checker::SAMPLING, default: HOLDS, deep: HOLDS },
    // Under sequential consistency the timeouts rescue the lost wakeup: the stateful
    // search finds no deadlock and no fair cycle with 2 workers; with 3 it passes the deep
    // suite's budget of 100,000 states.
    Expect { property: DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: BUDGET_SPENT },
];

pub const TIMED: Model = Model {
    id: "gil-lost-wakeup-timed",
    title: "The same lost signal, waited for with a timeout",
    question: "With the same lost signal, does take_gil's timed wait still let every thread finish?",
    sources: SOURCES,
    abstracts: "As gil-handoff; workers only run bytecodes.",
    properties: PROPERTIES,
    expect: TIMED_EXPECT,
    expect_spurious: TIMED_EXPECT,
    loom_bound: super::LOOM_BOUND,
    twin: Some("gil-lost-wakeup"),
    body: timed,
    ..Model::DEFAULT
};
