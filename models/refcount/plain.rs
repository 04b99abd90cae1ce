//! # refcount-plain: a reference count with no lock
//!
//! **Question.** What happens to an object when two threads change its reference count at
//! the same time and nothing orders their updates?
//!
//! **Steps** (Include/refcount.h, GIL build): `Py_INCREF` is `ob_refcnt++` and `Py_DECREF`
//! is `if (--ob_refcnt == 0) _Py_Dealloc(op)`. Compiled, each is a load and a store of a
//! plain `Py_ssize_t`:
//! 1. incref: load `ob_refcnt`          2. incref: store load+1
//! 3. decref: load `ob_refcnt`          4. decref: store load−1; if it is 0, `_Py_Dealloc`
//!
//! **An interleaving that breaks it** (seed claim R3): A loads 2 for its decref, B increfs
//! to 3 and loads 3 for its decref; A stores 1, B stores 2. One decrement is lost, the count
//! never reaches zero, the object leaks. The mirror image loses an increment: the count
//! reaches zero while a reference is still held, and the holder's next access is a use
//! after free (seed claim R4).
//!
//! **What the checkers find.** loom needs no preemption at all: the threads run in
//! parallel, so a load may return a store another thread has already overwritten (the
//! trace marks it `stale read`). With two workers the lost updates leak or free early, but
//! no object is freed twice; with three (the deep suite), a doubly lost increment lets two
//! decrefs both reach zero: a double free.
//!
//! **Abstracts**: the count is an `i64` field; immortality (PEP 683) and the free-threaded
//! build's split fields are other models. `_Py_Dealloc` is one step.

use super::{Counting, PROPERTIES_WITH_RACES, Program, R3};
use crate::prelude::*;

pub struct Plain {
    counts: Vec<Var>,
}

impl Counting for Plain {
    fn new(objects: &[Obj], refs: &[i64]) -> Self {
        let counts = objects
            .iter()
            .zip(refs)
            .map(|(&o, &r)| Var::field(o, "ob_refcnt", r))
            .collect();
        Plain { counts }
    }

    fn incref(&self, i: usize) {
        let count = &self.counts[i];
        let n = count.read("incref: load");
        count.write("incref: store", n + 1); // BUG: another thread may have stored since the load
    }

    fn decref(&self, i: usize) -> bool {
        let count = &self.counts[i];
        let n = count.read("decref: load");
        count.write("decref: store", n - 1); // BUG: likewise
        n - 1 == 0
    }
}

fn body(p: Params) {
    super::run::<Plain>(&Program::standard(p.threads));
}

/// Expected verdicts: property, checkers, with 2 worker threads, with 3 (the deep suite).
#[rustfmt::skip]
const EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_LEAK, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    // Two workers cannot double-free foo or bar: it takes a third (see the header).
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM, default: HOLDS, deep: violated(0) },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::SAMPLING, default: HOLDS, deep: FOUND },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: FOUND },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

pub const MODEL: Model = Model {
    id: "refcount-plain",
    title: "Reference counting with no lock",
    question: "Can two threads that incref and decref an object without a common lock corrupt its count?",
    claims: &[
        SeedClaim {
            id: "R2",
            stance: Stance::Confirms,
            why: "unlocked increments and decrements lose updates",
        },
        SeedClaim {
            id: "R3",
            stance: Stance::Confirms,
            why: "the seed's interleaving replays step for step and leaks foo",
        },
        SeedClaim {
            id: "R4",
            stance: Stance::Confirms,
            why: "a lost increment frees an object still in use",
        },
    ],
    sources: &[
        "Include/refcount.h#Py_INCREF",
        "Include/refcount.h#Py_DECREF",
        "Objects/object.c#_Py_Dealloc",
    ],
    abstracts: "The count is one machine word read and written separately; no immortal objects, no free-threaded split count.",
    properties: PROPERTIES_WITH_RACES,
    expect: EXPECT,
    scenarios: &[R3],
    twin: Some("refcount-gil"),
    body,
    ..Model::DEFAULT
};
