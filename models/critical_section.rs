//! # objlock-critical-section: PEP 703 critical sections instead of nested locks
//!
//! **Question.** The free-threaded build locks objects through critical sections
//! (Include/internal/pycore_critical_section.h, Python/critical_section.c) rather than by
//! nesting their mutexes. Does that remove `objlock-abba`'s deadlock, and what does it cost?
//!
//! **Steps.** A thread keeps a stack of sections. `Py_BEGIN_CRITICAL_SECTION(op)` tries
//! `op`'s mutex; if it is taken, the thread will park, and parking detaches the thread,
//! which suspends all its sections (`_PyCriticalSection_SuspendAll`: unlock each active
//! section's mutex, mark it inactive); once it holds `op`'s mutex it goes on. At
//! `Py_END_CRITICAL_SECTION` it unlocks the top section and, if the one below is inactive,
//! re-locks it (`_PyCriticalSection_Resume`). A thread blocked in a section therefore holds
//! only the lock it is waiting for: no wait-for cycle.
//!
//! A updates object a in a section (`a.x` = 1, ..., `a.y` = 1: between the two, `a.x` and
//! `a.y` differ), and in the middle calls an operation on b in a nested section. B holds b
//! and opens a nested section on a, where it reads a.
//!
//! **The cost**: when A blocks on b, its section on a is suspended and a unlocked; B then
//! enters a and sees it half-updated (`a.x` = 1, `a.y` = 0). An outer section is not
//! atomic across a blocking inner operation (cpython-gil.md §5), just as the GIL is not
//! atomic across a blocking call. Its twin `objlock-abba` nests plain mutexes: atomic, but
//! it deadlocks.
//!
//! **Abstracts**: PyMutex's spinning and handoff; try-then-block stands for "would park";
//! one mutex per section (Begin2's two-mutex sections are `objlock-ordered`).

use crate::prelude::*;

pub const OUTER_ATOMIC: &str = "outer_section_is_atomic";

struct Objects {
    mutexes: [Mutex<()>; 2],
    a_x: Var,
    a_y: Var,
}

const NAMES: [&str; 2] = ["a", "b"];

/// What the model's properties are about: a thread that would park with a section open
/// suspends it (see `model::Situation`).
const SUSPENDED: Situation =
    Situation("a thread about to park suspended the critical section it had open");

/// One thread's stack of critical sections: the object and, while active, its lock.
struct Sections<'a> {
    objects: &'a Objects,
    stack: Vec<(usize, Option<MutexGuard<'a, ()>>)>,
}

impl<'a> Sections<'a> {
    fn begin(&mut self, obj: usize) {
        let m = &self.objects.mutexes[obj];
        let name = NAMES[obj];
        let guard = match m.try_lock(&format!("Py_BEGIN_CRITICAL_SECTION({name}): lock")) {
            Some(g) => g,
            None => {
                // The thread will park: it detaches, which suspends all its sections.
                rt::step(&format!(
                    "Py_BEGIN_CRITICAL_SECTION({name}): would park; _PyCriticalSection_SuspendAll"
                ));
                if !self.stack.is_empty() {
                    rt::reach(SUSPENDED);
                }
                for (_, guard) in self.stack.iter_mut().rev() {
                    drop(guard.take());
                }
                m.lock(&format!(
                    "Py_BEGIN_CRITICAL_SECTION({name}): lock after parking"
                ))
            }
        };
        self.stack.push((obj, Some(guard)));
    }

    fn end(&mut self) {
        let (obj, guard) = self.stack.pop().expect("a section to end");
        drop(guard);
        rt::step(&format!("Py_END_CRITICAL_SECTION({})", NAMES[obj]));
        if let Some((below, guard @ None)) = self.stack.last_mut() {
            *guard = Some(self.objects.mutexes[*below].lock(&format!(
                "_PyCriticalSection_Resume({}): lock",
                NAMES[*below]
            )));
        }
    }
}

/// How a thread locks the objects it works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locking {
    /// PEP 703 critical sections, suspended while the thread would park.
    Sections,
    /// Each object's mutex, held until the thread is done (`objlock-abba`'s way).
    NestedMutexes,
}

/// Each thread locks the objects in its list in that order (0 is a, 1 is b; innermost
/// last), then unlocks them in reverse. proptest generates these programs
/// (tests/proptest_sections.rs).
pub fn run_nested(locking: Locking, threads: &[Vec<usize>]) {
    let objects = Shared::new(Objects {
        mutexes: [Mutex::new("a.ob_mutex", ()), Mutex::new("b.ob_mutex", ())],
        a_x: Var::new("a.x", 0),
        a_y: Var::new("a.y", 0),
    });
    let handles: Vec<_> = threads
        .iter()
        .enumerate()
        .map(|(t, objs)| {
            let (o, objs) = (objects.clone(), objs.clone());
            rt::spawn(crate::models::WORKERS[t], move || match locking {
                Locking::Sections => {
                    let mut s = Sections {
                        objects: &o,
                        stack: Vec::new(),
                    };
                    for &obj in &objs {
                        s.begin(obj);
                    }
                    for _ in &objs {
                        s.end();
                    }
                }
                Locking::NestedMutexes => {
                    let held: Vec<_> = objs
                        .iter()
                        .map(|&obj| o.mutexes[obj].lock(&format!("lock {}.ob_mutex", NAMES[obj])))
                        .collect();
                    drop(held);
                }
            })
        })
        .collect();
    for h in handles {
        h.join();
    }
}

fn body(_: Params) {
    let objects = Shared::new(Objects {
        mutexes: [Mutex::new("a.ob_mutex", ()), Mutex::new("b.ob_mutex", ())],
        a_x: Var::new("a.x", 0),
        a_y: Var::new("a.y", 0),
    });
    let o = objects.clone();
    let a = rt::spawn("A", move || {
        let mut s = Sections {
            objects: &o,
            stack: Vec::new(),
        };
        s.begin(0);
        o.a_x.write("update a: x", 1);
        s.begin(1); // may block, suspending the section on a
        rt::step("operate on b");
        s.end();
        o.a_y.write("update a: y", 1);
        s.end();
    });
    let o = objects.clone();
    let b = rt::spawn("B", move || {
        let mut s = Sections {
            objects: &o,
            stack: Vec::new(),
        };
        s.begin(1);
        s.begin(0);
        let (x, y) = (o.a_x.read("read a: x"), o.a_y.read("read a: y"));
        ensure(OUTER_ATOMIC, x == y, || {
            format!(
                "B sees a half-updated (a.x = {x}, a.y = {y}): A's section on a was suspended while A waited for b"
            )
        });
        s.end();
        s.end();
    });
    a.join();
    b.join();
}

const PROPERTIES: &[Property] = &[
    Property {
        id: NO_DEADLOCK,
        claim: "some thread can always run until all have finished",
    },
    Property {
        id: OUTER_ATOMIC,
        claim: "no thread sees an object half-updated by another thread's critical section on it",
    },
];

#[rustfmt::skip]
const EXPECT: &[Expect] = &[
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: OUTER_ATOMIC, checkers: Checker::LOOM, default: violated(2), deep: violated(2) },
    Expect { property: OUTER_ATOMIC, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

pub const MODEL: Model = Model {
    id: "objlock-critical-section",
    title: "PEP 703 critical sections on two objects in opposite orders",
    question: "Do critical sections that suspend while blocked avoid the ABBA deadlock, and does the outer section stay atomic?",
    claims: &[SeedClaim {
        id: "A1",
        stance: Stance::Qualifies,
        why: "per-object locking without deadlock is possible, at the price of atomicity across blocking",
    }],
    sources: &[
        "Python/critical_section.c#_PyCriticalSection_BeginSlow",
        "Python/critical_section.c#_PyCriticalSection_SuspendAll",
        "Python/critical_section.c#_PyCriticalSection_Resume",
        "Include/internal/pycore_critical_section.h",
    ],
    abstracts: "PyMutex's spinning and handoff; try-then-block stands for 'would park'; one mutex per section.",
    properties: PROPERTIES,
    expect: EXPECT,
    twin: Some("objlock-abba"),
    situations: &[SUSPENDED],
    body,
    ..Model::DEFAULT
};
