//! # cython-nogil-touches-object: a `with nogil:` block that touches a Python object
//!
//! **Question.** Seed claim A6 names Cython's `nogil` as a way around the GIL. Code inside
//! `with nogil:` runs beside the threads that hold the GIL; what if it touches a Python
//! object's reference count?
//!
//! **Steps.** Cython compiles `with nogil:` to `Py_BEGIN_ALLOW_THREADS` (Include/ceval.h:
//! `PyEval_SaveThread`, which drops the GIL) and `with gil:` to `PyGILState_Ensure` /
//! `PyGILState_Release` (Python/pystate.c), which take and drop it (Cython/Compiler/Nodes.py,
//! `GILStatNode`). Cython rejects Python-object operations inside `nogil` at compile time,
//! but it cannot see into C code reached through a raw `PyObject *`.
//! - main creates `obj` (count 1, main's reference), starts A and B, joins them, and drops
//!   its reference.
//! - A runs Python code, so it holds the GIL (a mutex, as in `refcount-gil`): `Py_INCREF`,
//!   read `ob_type`, `Py_DECREF` (Include/refcount.h: a load and a store each).
//! - B is inside `with nogil:` (it released the GIL on entry) and calls a C helper that
//!   does the same to `obj` through a raw pointer, without the GIL.
//! - Deep suite: C holds the GIL like A.
//!
//! **An interleaving that breaks it**: A and B share no lock, so their loads and stores of
//! `ob_refcnt` interleave as in `refcount-plain`: A loads 2 for its decref, B's incref loads
//! 2 and stores 3, A stores 1. The count says 1 while main's and B's references are live:
//! B's decref frees `obj`, and main's `del obj` reads freed memory (a use after free). The
//! mirror image loses a decrement and `obj` leaks. loom needs no preemption: B may run
//! after A and still load a count A has overwritten (a `stale read`), since nothing orders
//! A's stores before B's loads. With a third worker holding the GIL (the deep suite), two
//! decrefs can both reach zero: a double free.
//!
//! **The fix**, its twin `cython-nogil-with-gil`: B wraps the helper in `with gil:`, which
//! re-takes the GIL before touching the object. A `nogil` block is a way around the GIL
//! only for code that touches no Python object.
//!
//! **Abstracts**: B starts inside the block (its taking and dropping the GIL on entry
//! orders nothing it does later); the GIL is a mutex held for one thread's whole turn;
//! no check points, no drop requests (the gil-handoff models have them).

use crate::models::refcount::PROPERTIES_WITH_RACES;
use crate::prelude::*;

struct World {
    gil: Mutex<()>,
    obj: Obj,
    ob_refcnt: Var,
    ob_type: Var,
}

impl World {
    /// `Py_INCREF`, read `ob_type`, `Py_DECREF`: what the Python code of A and the C helper
    /// of B do to `obj`.
    fn borrow(&self, who: &str) {
        let n = self.ob_refcnt.read(&format!("{who}: Py_INCREF: load"));
        self.ob_refcnt
            .write(&format!("{who}: Py_INCREF: store"), n + 1);
        object::take_ref(self.obj);
        self.ob_type.read(&format!("{who}: read ob_type"));
        self.decref(who);
    }

    fn decref(&self, who: &str) {
        object::drop_ref(self.obj);
        let n = self.ob_refcnt.read(&format!("{who}: Py_DECREF: load"));
        self.ob_refcnt
            .write(&format!("{who}: Py_DECREF: store"), n - 1);
        if n - 1 == 0 {
            object::free(self.obj, &format!("{who}: _Py_Dealloc"));
        }
    }
}

/// A thread running Python code: it holds the GIL.
fn python_thread(w: &World) {
    let _gil = w.gil.lock("python: take GIL");
    w.borrow("python");
}

/// A thread inside `with nogil:`; `with_gil` says whether the helper is wrapped in
/// `with gil:`.
fn nogil_thread(w: &World, with_gil: bool) {
    rt::step("with nogil: Py_BEGIN_ALLOW_THREADS (GIL released)");
    if with_gil {
        let _gil = w.gil.lock("with gil: PyGILState_Ensure");
        w.borrow("helper");
    } else {
        w.borrow("helper"); // BUG: touches obj's count without the GIL
    }
}

fn run(threads: usize, with_gil: bool) {
    let obj = object::alloc("obj", 1);
    let world = Shared::new(World {
        gil: Mutex::new("GIL", ()),
        obj,
        ob_refcnt: Var::field(obj, "ob_refcnt", 1),
        ob_type: Var::field(obj, "ob_type", 1),
    });
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let w = world.clone();
            rt::spawn(WORKERS[t], move || {
                if t % 2 == 0 {
                    python_thread(&w);
                } else {
                    nogil_thread(&w, with_gil);
                }
            })
        })
        .collect();
    for h in handles {
        h.join();
    }
    let _gil = world.gil.lock("del obj: take GIL");
    world.decref("del obj");
}

fn touches_object(p: Params) {
    run(p.threads, false);
}

fn with_gil(p: Params) {
    run(p.threads, true);
}

/// Expected verdicts: property, checkers, with 2 workers, with 3 (the deep suite).
#[rustfmt::skip]
const TOUCHES_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_LEAK, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    // With two workers only B's decref can see zero; with three (A, B, C) two can.
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM, default: HOLDS, deep: violated(0) },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::SAMPLING, default: HOLDS, deep: FOUND },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: FOUND },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

#[rustfmt::skip]
const WITH_GIL_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

const SOURCES: &[&str] = &[
    "Cython/Compiler/Nodes.py#GILStatNode",
    "Include/ceval.h#Py_BEGIN_ALLOW_THREADS",
    "Python/pystate.c#PyGILState_Ensure",
    "Include/refcount.h#Py_INCREF",
    "Include/refcount.h#Py_DECREF",
];

const ABSTRACTS: &str = "The nogil thread starts inside its block; the GIL is a mutex held for a thread's whole turn, \
     with no check points or drop requests; PyPy and Jython are not modelled.";

pub const TOUCHES_OBJECT: Model = Model {
    id: "cython-nogil-touches-object",
    title: "Cython nogil: C code that touches a Python object without the GIL",
    question: "Can code inside Cython's `with nogil:` change a Python object's reference count safely while another thread holds the GIL?",
    claims: &[SeedClaim {
        id: "A6",
        stance: Stance::Qualifies,
        why: "nogil is a way around the GIL only for code that touches no Python object: a count changed inside it leaks or frees early; PyPy and Jython are not modelled (PyPy has a GIL of its own)",
    }],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES_WITH_RACES,
    expect: TOUCHES_EXPECT,
    twin: Some("cython-nogil-with-gil"),
    body: touches_object,
    ..Model::DEFAULT
};

pub const WITH_GIL: Model = Model {
    id: "cython-nogil-with-gil",
    title: "Cython nogil, the helper wrapped in `with gil:`",
    question: "If the nogil block re-takes the GIL (`with gil:`, PyGILState_Ensure) before touching the object, is the count safe?",
    claims: &[SeedClaim {
        id: "A6",
        stance: Stance::Qualifies,
        why: "safe once the block re-takes the GIL, but then that part runs under the GIL like any Python code",
    }],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES_WITH_RACES,
    expect: WITH_GIL_EXPECT,
    twin: Some("cython-nogil-touches-object"),
    body: with_gil,
    ..Model::DEFAULT
};
