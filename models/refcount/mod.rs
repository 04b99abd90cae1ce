//! The reference-count family: one program of increfs and decrefs, five ways of counting.
//!
//! CPython frees an object when its reference count reaches zero (Include/refcount.h,
//! `Py_INCREF`, `Py_DECREF` → `_Py_Dealloc`). The counting schemes differ only in how
//! `incref` and `decref` touch the count; everything else (the objects, the threads and
//! what they do, the ghost bookkeeping of who really holds a reference) lives here, so the
//! five models are twins a few lines apart.
//!
//! The standard program has two objects, for the two ways a count goes wrong:
//! - `foo` is kept alive by main; each worker borrows it: incref, use, decref (seed claim
//!   R3's setting: the count starts at 1 and two threads take and drop a reference).
//! - `bar` is handed to every worker at spawn (CPython increfs a thread's arguments); each
//!   worker drops its reference last, so the final decrefs race each other.

pub mod atomic;
pub mod atomic_split_test;
pub mod gil;
pub mod immortal;
pub mod object_mutex;
pub mod plain;
pub mod relaxed;

use crate::prelude::*;

/// One operation of a worker thread on object number `.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Take a new reference (`Py_INCREF`) through one the thread may use.
    IncRef(usize),
    /// Drop a reference the thread holds (`Py_DECREF`), freeing the object at zero.
    DecRef(usize),
    /// Read the object's payload through a reference the thread may use.
    Use(usize),
}

/// Who holds an object's references when the workers start.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    pub name: String,
    /// Main holds a reference for the whole run and drops it after joining the workers.
    pub main_keeps: bool,
    /// Workers (by index) handed a reference of their own at spawn.
    pub given_to: Vec<usize>,
}

/// A program: the objects and, for each worker thread, its operations in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Program {
    pub objects: Vec<Setup>,
    pub threads: Vec<Vec<Op>>,
}

impl Program {
    /// The family's standard program with `workers` worker threads (see the module docs).
    pub fn standard(workers: usize) -> Program {
        Program {
            objects: vec![
                Setup {
                    name: "foo".to_owned(),
                    main_keeps: true,
                    given_to: vec![],
                },
                Setup {
                    name: "bar".to_owned(),
                    main_keeps: false,
                    given_to: (0..workers).collect(),
                },
            ],
            threads: vec![vec![Op::IncRef(0), Op::Use(0), Op::DecRef(0), Op::DecRef(1)]; workers],
        }
    }
}

impl Program {
    /// Make a program valid, as a generator's raw output may not be: a thread touches an
    /// object only through a reference it holds or one main keeps alive, drops only
    /// references it holds, and drops whatever it still holds at its end. Objects nobody
    /// holds at the start are kept by main.
    pub fn normalized(mut objects: Vec<Setup>, raw: Vec<Vec<Op>>) -> Program {
        for o in &mut objects {
            o.given_to.retain(|&t| t < raw.len());
            o.given_to.sort_unstable();
            o.given_to.dedup();
            if o.given_to.is_empty() {
                o.main_keeps = true;
            }
        }
        let threads = raw
            .into_iter()
            .enumerate()
            .map(|(t, ops)| {
                let mut held: Vec<usize> = objects
                    .iter()
                    .map(|o| usize::from(o.given_to.contains(&t)))
                    .collect();
                let mut out = Vec::new();
                for op in ops {
                    let (Op::IncRef(i) | Op::DecRef(i) | Op::Use(i)) = op;
                    if i >= objects.len() {
                        continue;
                    }
                    let reachable = held[i] > 0 || objects[i].main_keeps;
                    match op {
                        Op::IncRef(_) if reachable => held[i] += 1,
                        Op::DecRef(_) if held[i] > 0 => held[i] -= 1,
                        Op::Use(_) if reachable => {}
                        _ => continue,
                    }
                    out.push(op);
                }
                for (i, n) in held.iter().enumerate() {
                    out.extend(std::iter::repeat_n(Op::DecRef(i), *n));
                }
                out
            })
            .collect();
        Program { objects, threads }
    }
}

/// How a model counts references. `incref` and `decref` are the only lines that differ
/// between the models of this family.
pub trait Counting: Send + Sync + 'static {
    /// The counts of new objects; `refs[i]` references point to object `i` already.
    fn new(objects: &[Obj], refs: &[i64]) -> Self;
    fn incref(&self, object: usize);
    /// Returns true when the caller must free the object (its count reached zero).
    fn decref(&self, object: usize) -> bool;
}

struct World<C> {
    objects: Vec<Obj>,
    payloads: Vec<Var>,
    counts: C,
}

impl<C: Counting> World<C> {
    fn incref(&self, i: usize) {
        self.counts.incref(i);
        object::take_ref(self.objects[i]);
    }

    fn decref(&self, i: usize) {
        object::drop_ref(self.objects[i]);
        if self.counts.decref(i) {
            object::free(self.objects[i], "decref: _Py_Dealloc");
        }
    }

    fn apply(&self, op: Op) {
        match op {
            Op::IncRef(i) => self.incref(i),
            Op::DecRef(i) => self.decref(i),
            Op::Use(i) => {
                self.payloads[i].read("use: read ob_type");
            }
        }
    }
}

/// Run `program` once with counting scheme `C`: the body of every model of the family.
pub fn run<C: Counting>(program: &Program) {
    let refs: Vec<i64> = program
        .objects
        .iter()
        .map(|s| i64::from(s.main_keeps) + s.given_to.len() as i64)
        .collect();
    let objects: Vec<Obj> = program
        .objects
        .iter()
        .zip(&refs)
        .map(|(s, &r)| object::alloc(&s.name, r))
        .collect();
    let payloads = objects
        .iter()
        .map(|&o| Var::field(o, "ob_type", 1))
        .collect();
    let counts = C::new(&objects, &refs);
    let world = Shared::new(World {
        objects,
        payloads,
        counts,
    });
    let handles: Vec<_> = program
        .threads
        .iter()
        .enumerate()
        .map(|(t, ops)| {
            let world = world.clone();
            let ops = ops.clone();
            rt::spawn(WORKERS[t], move || {
                rt::each("worker", &ops, |op| world.apply(op));
            })
        })
        .collect();
    for h in handles {
        h.join();
    }
    for (i, setup) in program.objects.iter().enumerate() {
        if setup.main_keeps {
            world.decref(i);
        }
    }
}

/// The properties every model of the family is checked against.
pub const PROPERTIES: &[Property] = &[
    Property {
        id: NO_LEAK,
        claim: "every object is freed once no thread holds a reference to it",
    },
    Property {
        id: NO_USE_AFTER_FREE,
        claim: "no thread touches an object after it was freed",
    },
    Property {
        id: NO_DOUBLE_FREE,
        claim: "no object is freed twice",
    },
];

/// The same, plus loom's data-race check, for the models whose count is a plain field.
pub const PROPERTIES_WITH_RACES: &[Property] = &[
    PROPERTIES[0],
    PROPERTIES[1],
    PROPERTIES[2],
    Property {
        id: NO_DATA_RACE,
        claim: "no two threads access a non-atomic field without synchronisation",
    },
];

/// The expectations of a model where every one of `PROPERTIES_WITH_RACES` holds, under
/// every checker.
#[rustfmt::skip]
pub const ALL_HOLD_WITH_RACES: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

/// Seed claim R3, step for step: the count starts at 1 (main's reference); A increfs
/// (1→2) and its decref loads 2; B increfs (2→3) and its decref loads 3; A stores 1; B
/// stores 2. Final count 2, true count 1: once main drops its reference, nobody holds foo
/// and the count says 1. The script names the thread of each trace step.
pub const R3_SCRIPT: &[&str] = &[
    "main", "main", "main", "main", // create foo, create bar, spawn A, spawn B
    "A", "A", "A", "A", // incref: load 1, store 2; use; decref: load 2
    "B", "B", "B", "B", // incref: load 2, store 3; use; decref: load 3
    "A", "B", // decref: store 1; decref: store 2
];

pub const R3: Scenario = Scenario {
    id: "r3",
    title: "Seed claim R3: two unlocked decrefs lose an update and foo leaks",
    source: "seed 003 (shared/seeds/003_4bc9fbe35442b951.txt); seed-claims.md R3",
    property: NO_LEAK,
    threads: 2,
    script: R3_SCRIPT,
    wait_events: &[],
};

pub const CLAIM_R1: SeedClaim = SeedClaim {
    id: "R1",
    stance: Stance::Confirms,
    why: "the object is freed exactly when its count reaches zero",
};
