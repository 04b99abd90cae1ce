//! # refcount-gil: the same count, every change under one global lock
//!
//! **Question.** Does one interpreter-wide lock make the unlocked count of
//! `refcount-plain` correct?
//!
//! **Steps.** As in `refcount-plain`, but a thread holds the GIL around each incref and
//! decref, as every CPython thread running bytecode does (Python/ceval_gil.c#take_gil,
//! #drop_gil; the handoff itself is modelled by the gil-handoff models). The load and the
//! store of one update can no longer be separated by another thread's update.
//!
//! **Why no interleaving breaks it**: all updates of all counts are serialised by one
//! mutex, so each load sees the previous store (seed claims G1, G2).
//!
//! **Abstracts**: the GIL is a plain mutex taken per operation; the real GIL is held for
//! many bytecodes and handed over on request, which only makes the critical sections longer.

use super::{Counting, PROPERTIES_WITH_RACES, Program};
use crate::prelude::*;

pub struct Gil {
    gil: Mutex<()>,
    counts: Vec<Var>,
}

impl Counting for Gil {
    fn new(objects: &[Obj], refs: &[i64]) -> Self {
        let counts = objects
            .iter()
            .zip(refs)
            .map(|(&o, &r)| Var::field(o, "ob_refcnt", r))
            .collect();
        Gil {
            gil: Mutex::new("GIL", ()),
            counts,
        }
    }

    fn incref(&self, i: usize) {
        let _gil = self.gil.lock("incref: take GIL");
        let count = &self.counts[i];
        let n = count.read("incref: load");
        count.write("incref: store", n + 1);
    }

    fn decref(&self, i: usize) -> bool {
        let _gil = self.gil.lock("decref: take GIL");
        let count = &self.counts[i];
        let n = count.read("decref: load");
        count.write("decref: store", n - 1);
        n - 1 == 0
    }
}

fn body(p: Params) {
    super::run::<Gil>(&Program::standard(p.threads));
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
    Expect { property: NO_DATA_RACE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

pub const MODEL: Model = Model {
    id: "refcount-gil",
    title: "Reference counting under the GIL",
    question: "Does holding one global lock around every count update make plain reference counting safe?",
    claims: &[
        SeedClaim {
            id: "R2",
            stance: Stance::Confirms,
            why: "with the updates serialised, no update is lost",
        },
        SeedClaim {
            id: "G2",
            stance: Stance::Confirms,
            why: "the global lock is enough to make the count thread-safe",
        },
        super::CLAIM_R1,
    ],
    sources: &[
        "Include/refcount.h#Py_INCREF",
        "Include/refcount.h#Py_DECREF",
        "Python/ceval_gil.c#take_gil",
        "Python/ceval_gil.c#drop_gil",
    ],
    abstracts: "The GIL is a mutex held for exactly one count update; the real one is held across many bytecodes.",
    properties: PROPERTIES_WITH_RACES,
    expect: EXPECT,
    twin: Some("refcount-plain"),
    body,
    ..Model::DEFAULT
};
