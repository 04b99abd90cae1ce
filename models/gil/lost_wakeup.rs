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
//! Its twin is `gil-handoff`'s protocol, which clears and signals under `mutex` (and
//! whose waits are timed). A twin that keeps the bug but waits with a timeout is left for
//! later: with `locked` cleared outside `mutex`, loom lets the waiter read the stale 1 for
//! ever (C11 only recommends that stores become visible), and shuttle can lose the
//! runtime's "time passes" wakeup in the window before the waiter is registered on the
//! condition variable, so neither checker can yet give that twin an honest verdict.
//!
//! **Abstracts**: as `gil-handoff`; the workers only run bytecodes (no check points), so
//! the GIL changes hands only when a thread finishes.

use super::{CPYTHON, Gil, NO_DEADLOCK, Op, Variant};
use crate::exec::builtin::NO_DEADLOCK as DEADLOCK;
use crate::model::*;
use crate::rt::Shared;

const RUN: &[Op] = &[Op::Bytecode];

fn run(variant: Variant, p: Params) {
    super::run_workers(
        Shared::new(Gil::new(variant, p.threads)),
        &vec![RUN; p.threads],
    );
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
    claims: &[],
    sources: SOURCES,
    abstracts: "As gil-handoff; workers only run bytecodes.",
    properties: PROPERTIES,
    expect: UNTIMED_EXPECT,
    expect_spurious: UNTIMED_EXPECT,
    loom_bound: super::LOOM_BOUND,
    scenarios: &[],
    twin: Some("gil-handoff"),
    body: untimed,
};
