//! # gil-exit-with-drop-request: gh-96387, a requester that exits
//!
//! **Question.** During finalization a daemon thread waiting in `take_gil` must exit
//! instead of taking the GIL. If it had already asked the holder to drop the GIL, can the
//! holder hang?
//!
//! **Steps** (Python/ceval_gil.c#take_gil, the `_PyThreadState_MustExit` branch): daemon
//! D waits for the GIL; on a timeout it sets the holder's drop request; on its next
//! timeout it finds it must exit (finalization has begun): it unlocks `mutex`, resets the
//! request it made (the gh-96387 fix) and exits. Holder H runs bytecodes and check points;
//! at a check point with the request set it drops the GIL and, with FORCE_SWITCHING, waits
//! on `switch_cond` for the taker that asked.
//!
//! **An interleaving that breaks it** (without the fix): D sets the request and exits; H
//! drops the GIL and waits on `switch_cond` for a taker that is gone: H hangs.
//!
//! **Finding.** The fix resets the request after unlocking `mutex`. If H reads the request
//! before D resets it, H drops the GIL and re-reads the request in `drop_gil` inside that
//! window, it still waits on `switch_cond` for nobody. The checkers find this narrow race
//! in the fixed twin too (see the expectations): the reset narrows the window without
//! closing it. (3.14 hangs the exiting thread instead of exiting it, gh-87135, which does
//! not change the race.)
//!
//! **Abstracts**: finalization is only "D must exit at its second timeout"; H is the
//! finalizing thread, which keeps running bytecode with check points.

use super::{CPU_BOUND, CPYTHON, Gil, NO_DEADLOCK, Variant};
use crate::prelude::*;
use crate::runtime::builtin::NO_DEADLOCK as DEADLOCK;

fn run(variant: Variant, _: Params) {
    let gil = Shared::new(Gil::new(variant, 2));
    let g = gil.clone();
    let holder = rt::spawn("A", move || g.run(1, CPU_BOUND));
    let g = gil.clone();
    let daemon = rt::spawn("B", move || {
        if g.take_gil(2, true) {
            g.drop_gil(2, true);
        }
    });
    holder.join();
    daemon.join();
}

fn unfixed(p: Params) {
    run(
        Variant {
            exit_resets_request: false,
            ..CPYTHON
        },
        p,
    ); // BUG: the request outlives its maker
}

fn fixed(p: Params) {
    run(CPYTHON, p);
}

// Only the hang: a run stops at its first deadlock, so other properties could not be
// decided past it.
const PROPERTIES: &[Property] = &[NO_DEADLOCK];

#[rustfmt::skip]
const UNFIXED_EXPECT: &[Expect] = &[
    Expect { property: DEADLOCK, checkers: Checker::LOOM, default: violated(1), deep: violated(1) },
    Expect { property: DEADLOCK, checkers: &[Checker::ShuttlePct], default: FOUND, deep: FOUND },
    // Random misses the window within its 1,000 executions; the stateful search finds it.
    Expect { property: DEADLOCK, checkers: &[Checker::ShuttleRandom], default: HOLDS, deep: HOLDS },
    Expect { property: DEADLOCK, checkers: Checker::DFS, default: FOUND, deep: FOUND },
];

#[rustfmt::skip]
const FIXED_EXPECT: &[Expect] = &[
    Expect { property: DEADLOCK, checkers: Checker::LOOM, default: violated(1), deep: violated(1) },
    Expect { property: DEADLOCK, checkers: &[Checker::ShuttlePct], default: FOUND, deep: FOUND },
    // Random misses the window within its 1,000 executions; the stateful search finds it.
    Expect { property: DEADLOCK, checkers: &[Checker::ShuttleRandom], default: HOLDS, deep: HOLDS },
    Expect { property: DEADLOCK, checkers: Checker::DFS, default: FOUND, deep: FOUND },
];

/// gh-96387 as reported: the daemon asks the holder to drop the GIL, then finds at its
/// next timeout that it must exit, and exits; the holder, at its next check point, drops
/// the GIL and waits on `switch_cond` for a taker that is gone.
pub const EXIT_AFTER_REQUEST: Scenario = Scenario {
    id: "gh-96387",
    title: "gh-96387: the daemon asks for the GIL, then exits; the holder waits for it",
    source: "gh-96387 (Python/ceval_gil.c#take_gil, _PyThreadState_MustExit)",
    property: DEADLOCK,
    threads: 2,
    // A takes the GIL and runs a bytecode; B times out twice (a request, then exit).
    script: &["main*2", "A*13", "B*18"],
    wait_events: &[0, 1],
};

/// The same interleaving with the fix: the daemon resets its request before it exits (one
/// step more), and the holder's check point finds nothing to do.
pub const EXIT_AFTER_REQUEST_FIXED: Scenario = Scenario {
    id: "gh-96387",
    title: "gh-96387's interleaving with the fix: the daemon resets its request before it exits",
    script: &["main*2", "A*13", "B*19"],
    ..EXIT_AFTER_REQUEST
};

const SOURCES: &[&str] = &[
    "Python/ceval_gil.c#take_gil (_PyThreadState_MustExit)",
    "Python/ceval_gil.c#drop_gil (FORCE_SWITCHING)",
    "gh-96387",
    "gh-87135",
];

pub const UNFIXED: Model = Model {
    id: "gil-exit-with-drop-request",
    title: "gh-96387: a drop request whose maker exits",
    question: "If a daemon thread asks for the GIL and then must exit, does the holder wait forever for it on switch_cond?",
    sources: SOURCES,
    abstracts: "Finalization is only the daemon's must-exit at its second timeout.",
    properties: PROPERTIES,
    expect: UNFIXED_EXPECT,
    expect_spurious: UNFIXED_EXPECT,
    loom_bound: super::LOOM_BOUND,
    scenarios: &[EXIT_AFTER_REQUEST],
    twin: Some("gil-exit-resets-drop-request"),
    body: unfixed,
    ..Model::DEFAULT
};

pub const FIXED: Model = Model {
    id: "gil-exit-resets-drop-request",
    title: "gh-96387's fix: the exiting thread resets its drop request",
    question: "With the exiting daemon resetting its request after unlocking mutex, can the holder still hang?",
    sources: SOURCES,
    abstracts: "Finalization is only the daemon's must-exit at its second timeout.",
    properties: PROPERTIES,
    expect: FIXED_EXPECT,
    expect_spurious: FIXED_EXPECT,
    loom_bound: super::LOOM_BOUND,
    scenarios: &[EXIT_AFTER_REQUEST_FIXED],
    twin: Some("gil-exit-with-drop-request"),
    body: fixed,
    ..Model::DEFAULT
};
