//! # gil-extension-lock: the GIL and an extension's own lock, taken in opposite orders
//!
//! **Question.** Thread A holds the GIL and calls C code that blocks on a pthread mutex L.
//! Thread B, a C thread, holds L and calls back into Python (`PyGILState_Ensure`, which
//! takes the GIL). Does the GIL's drop request rescue them?
//!
//! **An interleaving that breaks it**: A takes the GIL; B takes L; A blocks on L; B waits
//! for the GIL, times out and sets A's drop request, but A never reaches a check point: it
//! is blocked in C. B wakes at every interval, finds the GIL still held, and waits again.
//! No thread makes progress. CPython's reports call this a deadlock (ceph PR 46302,
//! DearPyGui PR 2581, gh-119369); strictly B keeps waking, so the checker reports a
//! livelock: every thread waits, and B only with a timeout.
//!
//! Twin `gil-extension-lock-released`: A releases the GIL around the blocking call
//! (`Py_BEGIN_ALLOW_THREADS`), so it never holds the GIL while waiting for L: it holds.
//!
//! **Abstracts**: as `gil-handoff`; `PyGILState_Ensure`/`Release` are `take_gil` and
//! `drop_gil` for a thread that already has a thread state.

use super::{CPYTHON, Gil, NO_DEADLOCK};
use crate::prelude::*;
use crate::runtime::builtin::NO_DEADLOCK as DEADLOCK;

struct World {
    gil: Gil,
    l: Mutex<()>,
}

fn run(release_gil_around_lock: bool) {
    let w = Shared::new(World {
        gil: Gil::new(CPYTHON, 2),
        l: Mutex::new("L", ()),
    });
    let a = w.clone();
    let python = rt::spawn("A", move || {
        a.gil.take_gil(1, false);
        a.gil.bytecode(1);
        if release_gil_around_lock {
            a.gil.drop_gil(1, false); // Py_BEGIN_ALLOW_THREADS
        }
        let held = a.l.lock("C extension: lock L"); // BUG when the GIL is still held
        if release_gil_around_lock {
            a.gil.take_gil(1, false); // Py_END_ALLOW_THREADS
        }
        a.gil.bytecode(1);
        drop(held);
        a.gil.drop_gil(1, true);
    });
    let b = w.clone();
    let c_thread = rt::spawn("B", move || {
        let held = b.l.lock("C thread: lock L");
        b.gil.take_gil(2, false); // PyGILState_Ensure
        b.gil.bytecode(2);
        b.gil.drop_gil(2, true); // PyGILState_Release
        drop(held);
    });
    python.join();
    c_thread.join();
}

fn holding(_: Params) {
    run(false);
}

fn released(_: Params) {
    run(true);
}

const PROPERTIES: &[Property] = &[NO_DEADLOCK];

#[rustfmt::skip]
const HOLDING_EXPECT: &[Expect] = &[
    Expect { property: DEADLOCK, checkers: &Checker::ALL, default: LIVELOCK, deep: LIVELOCK },
];

#[rustfmt::skip]
const RELEASED_EXPECT: &[Expect] = &[
    Expect { property: DEADLOCK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

const SOURCES: &[&str] = &[
    "Python/ceval_gil.c#take_gil",
    "Python/pystate.c#PyGILState_Ensure",
    "Python/pystate.c#_PyThreadState_Detach",
];

/// Loom explores every execution with two workers (41,307 with spurious wakeups off,
/// 49,938 on: about 5 s each) and 2 preemptions with three, as the other GIL models.
const LOOM_BOUND: LoomBound = LoomBound {
    default: None,
    deep: super::LOOM_BOUND.deep,
};

pub const HOLDING: Model = Model {
    id: "gil-extension-lock",
    title: "An extension lock taken while holding the GIL",
    question: "If a thread blocks on an extension's lock while holding the GIL, and the lock's holder needs the GIL, does anything make progress?",
    sources: SOURCES,
    abstracts: "As gil-handoff; PyGILState_Ensure/Release are take_gil/drop_gil.",
    properties: PROPERTIES,
    expect: HOLDING_EXPECT,
    expect_spurious: HOLDING_EXPECT,
    loom_bound: LOOM_BOUND,
    twin: Some("gil-extension-lock-released"),
    body: holding,
    ..Model::DEFAULT
};

pub const RELEASED: Model = Model {
    id: "gil-extension-lock-released",
    title: "An extension lock taken with the GIL released",
    question: "If the thread releases the GIL before blocking on the extension's lock, does every thread finish?",
    sources: SOURCES,
    abstracts: "As gil-handoff; PyGILState_Ensure/Release are take_gil/drop_gil.",
    properties: PROPERTIES,
    expect: RELEASED_EXPECT,
    expect_spurious: RELEASED_EXPECT,
    loom_bound: LOOM_BOUND,
    twin: Some("gil-extension-lock"),
    body: released,
    ..Model::DEFAULT
};
