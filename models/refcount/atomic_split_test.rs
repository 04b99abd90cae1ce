//! # refcount-atomic-split-test: an atomic decrement, then a separate zero test
//!
//! **Question.** Is an atomic decrement enough if the zero test reads the count again?
//!
//! **Steps.** As `refcount-atomic`, except decref is
//! 1. decref: `fetch_sub(1)`
//! 2. decref: load the count; if it is 0, `_Py_Dealloc`.
//!
//! **An interleaving that breaks it** (cpython-gil.md §3): bar's count is 2; A decrements
//! to 1, B decrements to 0; both load 0 and both free: a double free.
//!
//! **Abstracts**: as `refcount-atomic`, of which this is the twin (one line differs).

use super::{Counting, PROPERTIES, Program};
use crate::prelude::*;

pub struct SplitTest {
    counts: Vec<Atomic>,
}

impl Counting for SplitTest {
    fn new(objects: &[Obj], refs: &[i64]) -> Self {
        let counts = objects
            .iter()
            .zip(refs)
            .map(|(&o, &r)| Atomic::field(o, "ob_refcnt", r))
            .collect();
        SplitTest { counts }
    }

    fn incref(&self, i: usize) {
        self.counts[i].fetch_add("incref: fetch_add", 1, Ordering::Relaxed);
    }

    fn decref(&self, i: usize) -> bool {
        self.counts[i].fetch_sub("decref: fetch_sub", 1, Ordering::Release);
        let last = self.counts[i].load("decref: load", Ordering::Acquire) == 0; // BUG: another decrement may have come in between
        if last {
            fence(Ordering::Acquire);
        }
        last
    }
}

fn body(p: Params) {
    super::run::<SplitTest>(&Program::standard(p.threads));
}

/// Expected verdicts: property, checkers, with 2 worker threads, with 3 (the deep suite).
#[rustfmt::skip]
const EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(1), deep: violated(1) },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM, default: violated(1), deep: violated(1) },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

pub const MODEL: Model = Model {
    id: "refcount-atomic-split-test",
    title: "Atomic decrement with a separate zero test",
    question: "Is an atomic decrement safe when the zero test loads the count again instead of using the decrement's result?",
    claims: &[SeedClaim {
        id: "R4",
        stance: Stance::Confirms,
        why: "the object dies twice: two threads both see zero and free it",
    }],
    sources: &[
        "Include/refcount.h#Py_DECREF",
        "Objects/object.c#_Py_Dealloc",
    ],
    abstracts: "As refcount-atomic.",
    properties: PROPERTIES,
    expect: EXPECT,
    twin: Some("refcount-atomic"),
    body,
    ..Model::DEFAULT
};
