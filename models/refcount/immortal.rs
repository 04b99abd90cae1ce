//! # refcount-immortal and subinterp-shared-mortal: sharing objects without a common GIL
//!
//! **Question.** PEP 684 gives each subinterpreter its own GIL; PEP 683's immortal objects
//! (`None`, small ints, ...) are shared between them. Two interpreters' threads change the
//! counts of shared objects under *different* locks. Is that safe?
//!
//! **Steps** (Include/refcount.h, 3.12+): `Py_INCREF` and `Py_DECREF` first test whether
//! the object is immortal (its count at or above the immortal value) and then do nothing.
//! - `refcount-immortal`: the shared object is immortal. Each thread increfs, uses and
//!   decrefs it under its own interpreter's GIL: every operation only reads the count.
//! - `subinterp-shared-mortal`: the same program on a mortal object: each thread's
//!   load/store of the count is under its own GIL, which orders nothing with the other's.
//!
//! **Findings.** Immortal: nothing ever writes the count, so nothing can race or be lost
//! (holds). Mortal: the updates race like `refcount-plain`'s (the per-interpreter GILs are
//! no common lock), so isolation is the invariant: only immortal objects may be shared
//! (cpython-gil.md §3).
//!
//! **Abstracts**: the immortal value is a large sentinel; the deep suite's third thread
//! runs in the first interpreter.

use super::{Counting, PROPERTIES_WITH_RACES, Program};
use crate::prelude::*;

/// A count at or above this is immortal (`_Py_IMMORTAL_REFCNT`, reduced to a sentinel).
pub const IMMORTAL: i64 = 1 << 32;

/// One GIL per interpreter: worker B runs in a subinterpreter; main, A and C in the main
/// interpreter. `IS_IMMORTAL` says whether the shared object is immortal.
pub struct PerInterpreterGil<const IS_IMMORTAL: bool> {
    gils: [Mutex<()>; 2],
    counts: Vec<Var>,
}

pub type Immortal = PerInterpreterGil<true>;
pub type Mortal = PerInterpreterGil<false>;

impl<const IS_IMMORTAL: bool> PerInterpreterGil<IS_IMMORTAL> {
    fn gil(&self) -> &Mutex<()> {
        &self.gils[usize::from(rt::thread_name() == "B")]
    }
}

impl<const IS_IMMORTAL: bool> Counting for PerInterpreterGil<IS_IMMORTAL> {
    fn new(objects: &[Obj], refs: &[i64]) -> Self {
        let counts = objects
            .iter()
            .zip(refs)
            .map(|(&o, &r)| Var::field(o, "ob_refcnt", if IS_IMMORTAL { IMMORTAL } else { r }))
            .collect();
        PerInterpreterGil {
            gils: [
                Mutex::new("main interpreter's GIL", ()),
                Mutex::new("subinterpreter's GIL", ()),
            ],
            counts,
        }
    }

    fn incref(&self, i: usize) {
        let _gil = self.gil().lock("incref: take own GIL");
        let n = self.counts[i].read("incref: load");
        if n >= IMMORTAL {
            return; // _Py_IsImmortal: leave the count alone
        }
        self.counts[i].write("incref: store", n + 1);
    }

    fn decref(&self, i: usize) -> bool {
        let _gil = self.gil().lock("decref: take own GIL");
        let n = self.counts[i].read("decref: load");
        if n >= IMMORTAL {
            return false;
        }
        self.counts[i].write("decref: store", n - 1);
        n - 1 == 0
    }
}

/// Only `foo`, kept alive by main: an immortal object is never freed, so there is no
/// handed-over `bar` whose last reference would free it.
fn program(threads: usize) -> Program {
    let mut p = Program::standard(threads);
    p.objects.truncate(1);
    for ops in &mut p.threads {
        ops.retain(|op| *op != super::Op::DecRef(1));
    }
    p
}

fn immortal(p: Params) {
    super::run::<Immortal>(&program(p.threads));
}

fn mortal(p: Params) {
    super::run::<Mortal>(&program(p.threads));
}

const IMMORTAL_PROPERTIES: &[Property] = &[
    PROPERTIES_WITH_RACES[1],
    PROPERTIES_WITH_RACES[2],
    PROPERTIES_WITH_RACES[3],
];

#[rustfmt::skip]
const IMMORTAL_EXPECT: &[Expect] = &[
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const MORTAL_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_LEAK, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    // As in refcount-plain: a double free takes a third thread.
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM, default: HOLDS, deep: violated(0) },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::SAMPLING, default: HOLDS, deep: FOUND },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: FOUND },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

const SOURCES: &[&str] = &[
    "Include/refcount.h#_Py_IsImmortal",
    "Python/ceval_gil.c#init_own_gil",
    "PEP 683",
    "PEP 684",
];

pub const IMMORTAL_MODEL: Model = Model {
    id: "refcount-immortal",
    title: "An immortal object shared by two interpreters with their own GILs",
    question: "Can threads of two interpreters, each under its own GIL, corrupt the count of a shared immortal object?",
    claims: &[SeedClaim {
        id: "R2",
        stance: Stance::Qualifies,
        why: "an immortal object's count is never written, so sharing it needs no common lock",
    }],
    sources: SOURCES,
    abstracts: "The immortal value is a sentinel; an immortal object is never freed, so no_leak does not apply.",
    properties: IMMORTAL_PROPERTIES,
    expect: IMMORTAL_EXPECT,
    twin: Some("subinterp-shared-mortal"),
    body: immortal,
    ..Model::DEFAULT
};

pub const MORTAL_MODEL: Model = Model {
    id: "subinterp-shared-mortal",
    title: "A mortal object shared by two interpreters with their own GILs",
    question: "If two interpreters with their own GILs share a mortal object, are its count updates safe?",
    claims: &[SeedClaim {
        id: "G2",
        stance: Stance::Qualifies,
        why: "the GIL protects counts only because it is one lock for every thread that touches them",
    }],
    sources: SOURCES,
    abstracts: "Two GILs are two mutexes; the program is refcount-plain's with foo only.",
    properties: PROPERTIES_WITH_RACES,
    expect: MORTAL_EXPECT,
    twin: Some("refcount-immortal"),
    body: mortal,
    ..Model::DEFAULT
};
