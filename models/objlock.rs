//! # Per-object locks: two objects, two threads, opposite orders
//!
//! **Question.** Seed claim A1 says a mutex per object instead of one global lock brings
//! deadlock risk. When an operation needs two objects (a list and the item it inserts, a
//! dict and its key), does locking them one after the other deadlock?
//!
//! **Steps.** Each object has its own mutex (the free-threaded build's `ob_mutex`,
//! Include/object.h, taken by `PyMutex_Lock`, Python/lock.c). Thread A operates on (a, b),
//! thread B on (b, a); each locks its first object, then its second.
//!
//! **An interleaving that breaks it** (`objlock-abba`): A locks a; B locks b; A waits for
//! b, held by B; B waits for a, held by A. Deadlock.
//!
//! **The fix** (`objlock-ordered`): lock the two in one global order (by address, as
//! `Py_BEGIN_CRITICAL_SECTION2` does, Include/internal/pycore_critical_section.h): no
//! wait-for cycle can form.
//!
//! **Abstracts**: PyMutex's spinning, parking and handoff; the operation on the objects is
//! one step.

use crate::prelude::*;

struct Objects {
    /// `[a, b]`, in address order.
    mutexes: [Mutex<()>; 2],
}

fn operate(objects: &Objects, first: usize, second: usize) {
    let names = ["a", "b"];
    let _one = objects.mutexes[first].lock(&format!(
        "op({}, {}): lock {}.ob_mutex",
        names[first], names[second], names[first]
    ));
    let _two = objects.mutexes[second].lock(&format!(
        "op({}, {}): lock {}.ob_mutex",
        names[first], names[second], names[second]
    ));
    rt::step(&format!(
        "op({}, {}): update both",
        names[first], names[second]
    ));
}

fn run(threads: usize, ordered: bool) {
    let objects = Shared::new(Objects {
        mutexes: [Mutex::new("a.ob_mutex", ()), Mutex::new("b.ob_mutex", ())],
    });
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let o = objects.clone();
            // Even threads operate on (a, b), odd ones on (b, a).
            let (first, second) = if t % 2 == 0 { (0, 1) } else { (1, 0) };
            rt::spawn(WORKERS[t], move || {
                if ordered {
                    operate(&o, first.min(second), first.max(second));
                } else {
                    operate(&o, first, second); // BUG: the argument order is the lock order
                }
            })
        })
        .collect();
    for h in handles {
        h.join();
    }
}

fn abba(p: Params) {
    run(p.threads, false);
}

fn ordered(p: Params) {
    run(p.threads, true);
}

const PROPERTIES: &[Property] = &[Property {
    id: NO_DEADLOCK,
    claim: "some thread can always run until all have finished",
}];

#[rustfmt::skip]
const ABBA_EXPECT: &[Expect] = &[
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM, default: violated(1), deep: violated(1) },
    Expect { property: NO_DEADLOCK, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

#[rustfmt::skip]
const ORDERED_EXPECT: &[Expect] = &[
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

const SOURCES: &[&str] = &[
    "Python/lock.c#PyMutex_Lock",
    "Include/internal/pycore_critical_section.h#Py_BEGIN_CRITICAL_SECTION2",
];

pub const ABBA: Model = Model {
    id: "objlock-abba",
    title: "Two per-object locks taken in opposite orders",
    question: "If one thread locks object a then b and another b then a, can they deadlock?",
    claims: &[SeedClaim {
        id: "A1",
        stance: Stance::Confirms,
        why: "per-object locks taken in different orders deadlock",
    }],
    sources: SOURCES,
    abstracts: "PyMutex is a plain mutex; the operation is one step.",
    properties: PROPERTIES,
    expect: ABBA_EXPECT,
    twin: Some("objlock-ordered"),
    body: abba,
    ..Model::DEFAULT
};

pub const ORDERED: Model = Model {
    id: "objlock-ordered",
    title: "Two per-object locks taken in address order",
    question: "If every thread locks the two objects in the same (address) order, can they deadlock?",
    claims: &[SeedClaim {
        id: "A1",
        stance: Stance::Qualifies,
        why: "one global lock order removes the deadlock",
    }],
    sources: SOURCES,
    abstracts: "PyMutex is a plain mutex; the operation is one step.",
    properties: PROPERTIES,
    expect: ORDERED_EXPECT,
    twin: Some("objlock-abba"),
    body: ordered,
    ..Model::DEFAULT
};
