//! # condvar-wait-once: `if (!ready) wait(cond)`
//!
//! **Question.** Is testing the predicate once before waiting enough?
//!
//! **Steps.** As `condvar-wait-loop`, but the consumer tests `ready` once: if it is 0 it
//! waits, and whatever woke it, it goes on.
//!
//! **An interleaving that breaks it** (with spurious wakeups on): the consumer finds
//! `ready` = 0 and waits; the wait returns spuriously before the producer runs; the
//! consumer goes on with `ready` still 0. Without spurious wakeups the only way out of
//! the wait is the producer's notification, after `ready` = 1: the protocol holds, but
//! only because the checkers never wake a waiter spuriously. POSIX allows it, so this is a
//! finding: the guarantee rests on the absence of spurious wakeups.

use super::{PROPERTIES, Ready, consumed};
use crate::prelude::*;

fn consume(s: &Ready) {
    let mut held = s.mutex.lock("consume: lock");
    if s.ready.read("consume: test ready") == 0 {
        held = s.cond.wait("consume: wait", held); // BUG: a wakeup does not mean ready
    }
    consumed(s);
    drop(held);
}

fn body(p: Params) {
    super::run(p.threads, consume);
}

/// Expected verdicts with spurious wakeups off: property, checkers, 2 threads, 3 threads.
#[rustfmt::skip]
const EXPECT: &[Expect] = &[
    Expect { property: super::CONSUMER_SEES_READY, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: super::CONSUMER_SEES_READY, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

/// With spurious wakeups on.
#[rustfmt::skip]
const EXPECT_SPURIOUS: &[Expect] = &[
    Expect { property: super::CONSUMER_SEES_READY, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: super::CONSUMER_SEES_READY, checkers: Checker::SAMPLING, default: FOUND, deep: FOUND },
    Expect { property: super::CONSUMER_SEES_READY, checkers: Checker::DFS, default: FOUND, deep: FOUND },
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

pub const MODEL: Model = Model {
    id: "condvar-wait-once",
    title: "Waiting once, without re-checking the predicate",
    question: "Is `if (!ready) wait(cond)` correct, or does it rely on the condition variable never waking spuriously?",
    sources: &["Python/condvar.h#PyCOND_WAIT"],
    abstracts: "One mutex, one condition variable, one flag.",
    properties: PROPERTIES,
    expect: EXPECT,
    expect_spurious: EXPECT_SPURIOUS,
    twin: Some("condvar-wait-loop"),
    body,
    ..Model::DEFAULT
};
