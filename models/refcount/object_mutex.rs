//! # refcount-object-mutex: one mutex per object
//!
//! **Question.** Seed claim A1 proposes a lock per object instead of one global lock. Are
//! the counts then correct?
//!
//! **Steps.** As `refcount-plain`, but each object carries its own mutex (like the
//! free-threaded build's `ob_mutex`, Include/object.h, locked by `PyMutex_Lock`,
//! Python/lock.c) and each update holds the mutex of the object it changes.
//!
//! **Why no interleaving breaks it**: updates of one count are serialised by that object's
//! mutex; updates of different objects never touch the same count. The cost (a lock per
//! update) and the deadlock risk when two objects' locks are nested are other models
//! (objlock-abba).
//!
//! **Abstracts**: PyMutex's parking and handoff; the mutex is a plain one.

use super::{Counting, PROPERTIES_WITH_RACES, Program};
use crate::prelude::*;

pub struct ObjectMutex {
    objects: Vec<(Mutex<()>, Var)>,
}

impl Counting for ObjectMutex {
    fn new(objects: &[Obj], refs: &[i64]) -> Self {
        let objects = objects
            .iter()
            .zip(refs)
            .map(|(&o, &r)| {
                (
                    Mutex::field(o, "ob_mutex", ()),
                    Var::field(o, "ob_refcnt", r),
                )
            })
            .collect();
        ObjectMutex { objects }
    }

    fn incref(&self, i: usize) {
        let (mutex, count) = &self.objects[i];
        let _locked = mutex.lock("incref: lock ob_mutex");
        let n = count.read("incref: load");
        count.write("incref: store", n + 1);
    }

    fn decref(&self, i: usize) -> bool {
        let (mutex, count) = &self.objects[i];
        let _locked = mutex.lock("decref: lock ob_mutex");
        let n = count.read("decref: load");
        count.write("decref: store", n - 1);
        n - 1 == 0
    }
}

fn body(p: Params) {
    super::run::<ObjectMutex>(&Program::standard(p.threads));
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
    id: "refcount-object-mutex",
    title: "Reference counting under a per-object mutex",
    question: "Does a mutex in each object, held around each update of that object's count, keep the counts correct?",
    claims: &[SeedClaim {
        id: "A1",
        stance: Stance::Confirms,
        why: "a mutex per object keeps the counts correct (its cost and deadlocks are other models)",
    }],
    sources: &[
        "Include/object.h#PyObject (ob_mutex)",
        "Python/lock.c#PyMutex_Lock",
        "Include/refcount.h#Py_DECREF",
    ],
    abstracts: "PyMutex is a plain mutex here: no spinning, parking or handoff.",
    properties: PROPERTIES_WITH_RACES,
    expect: EXPECT,
    body,
    ..Model::DEFAULT
};
