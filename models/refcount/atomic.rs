//! # refcount-atomic: one atomic read-modify-write per update
//!
//! **Question.** Is an atomic count, with no lock at all, enough?
//!
//! **Steps** (the free-threaded build's shared count, Include/refcount.h `_Py_atomic_add_ssize`
//! in `Py_INCREF`/`Py_DECREF` for objects a thread does not own; Rust's `Arc` does the same):
//! 1. incref: `fetch_add(1)`
//! 2. decref: `fetch_sub(1)` (release); if the value it *returned* was 1, this thread
//!    dropped the last reference: acquire fence, `_Py_Dealloc`.
//!
//! **Why no interleaving breaks it**: each update is indivisible, so exactly one decref
//! sees the count go from 1 to 0, and it is the one that frees.
//!
//! **Abstracts**: biased counting (the owner's non-atomic local count) is the `brc` model;
//! here every thread uses the shared atomic count.

use super::{Counting, PROPERTIES, Program};
use crate::prelude::*;

pub struct AtomicCount {
    counts: Vec<Atomic>,
}

impl Counting for AtomicCount {
    fn new(objects: &[Obj], refs: &[i64]) -> Self {
        let counts = objects
            .iter()
            .zip(refs)
            .map(|(&o, &r)| Atomic::field(o, "ob_refcnt", r))
            .collect();
        AtomicCount { counts }
    }

    fn incref(&self, i: usize) {
        self.counts[i].fetch_add("incref: fetch_add", 1, Ordering::Relaxed);
    }

    fn decref(&self, i: usize) -> bool {
        let before = self.counts[i].fetch_sub("decref: fetch_sub", 1, Ordering::Release);
        let last = before == 1; // the zero test uses the value this decrement returned
        if last {
            fence(Ordering::Acquire);
        }
        last
    }
}

fn body(p: Params) {
    super::run::<AtomicCount>(&Program::standard(p.threads));
}

/// Expected verdicts: property, checkers, with 2 worker threads, with 3 (the deep suite).
#[rustfmt::skip]
const EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

pub const MODEL: Model = Model {
    id: "refcount-atomic",
    title: "Atomic reference counting",
    question: "Is an atomic fetch_add/fetch_sub count, tested on the value the decrement returned, safe without any lock?",
    claims: &[
        SeedClaim {
            id: "R2",
            stance: Stance::Qualifies,
            why: "the updates need not share a lock: atomic read-modify-writes are enough",
        },
        SeedClaim {
            id: "A1",
            stance: Stance::Qualifies,
            why: "correct counts need neither a global nor a per-object lock",
        },
        super::CLAIM_R1,
    ],
    sources: &[
        "Include/refcount.h#Py_INCREF",
        "Include/refcount.h#Py_DECREF",
        "Objects/object.c#_Py_DecRefShared",
    ],
    abstracts: "One shared atomic count per object; no biased local count, no immortality.",
    properties: PROPERTIES,
    expect: EXPECT,
    twin: Some("refcount-atomic-split-test"),
    body,
    ..Model::DEFAULT
};
