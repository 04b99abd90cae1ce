//! # What the GIL does not protect: a Python-level read-modify-write
//!
//! **Question.** The GIL makes each bytecode atomic, not each statement. `x += 1` on a
//! global compiles to `LOAD_GLOBAL x; LOAD_CONST 1; BINARY_OP +=; STORE_GLOBAL x` (3.11+;
//! `INPLACE_ADD` before). Can two
//! threads incrementing `x` once each lose an update (seed claim G5)?
//!
//! **Steps.** Each thread holds the GIL and runs the bytecodes of one loop iteration. At
//! an eval-breaker check point it may have to hand the GIL over (Python/ceval.c,
//! `eval_frame_handle_pending`; `_Py_HandlePending` in Python/ceval_gil.c from 3.12); here a check point releases the GIL and takes it again, which is
//! where the checkers may let another thread run. Where the check points are is the whole
//! difference between the three models:
//! - `bytecode-rmw-every-op`: before every bytecode, as CPython up to 3.9 (the old
//!   "ticks", and the 3.2–3.9 eval loop checked the eval breaker at almost every opcode).
//! - `bytecode-rmw-310`: only at backward jumps and calls, as 3.10+ (bpo-29988, PR
//!   #18334): `x += 1` in a loop has one, after the store.
//! - `bytecode-rmw-call`: `x = x + f()`: the call to `f` is a check point between the
//!   load and the store.
//!
//! **An interleaving that breaks it** (every-op, or call): A loads 0; the GIL passes to B,
//! which loads 0 and stores 1; A stores 1. Two increments, `x` = 1.
//!
//! **Abstracts**: the GIL is a mutex and a check point is a release and re-take of it (the
//! handoff itself is `gil-handoff`); `x` is one shared slot (a dict entry in CPython).
//! The same three programs run on real CPython 3.11 in `docs/bytecode.md`.

use super::lost_update::{KEPT, LOST, PROPERTIES, ensure_all_kept};
use crate::prelude::*;

/// Where a thread's eval breaker is checked, and the opcodes' names in the versions the
/// model stands for (CPython 3.11 renamed `INPLACE_ADD` and `BINARY_ADD` to `BINARY_OP`
/// and `JUMP_ABSOLUTE` to `JUMP_BACKWARD`).
#[derive(Clone, Copy)]
struct CheckPoints {
    every_op: bool,
    call_in_rmw: bool,
    add: &'static str,
    back_edge: &'static str,
}

struct Interpreter {
    gil: Mutex<()>,
    x: Var,
}

impl Interpreter {
    /// An eval-breaker check point: the GIL may pass to another thread here.
    fn check_point<'a>(&'a self, held: MutexGuard<'a, ()>, what: &str) -> MutexGuard<'a, ()> {
        drop(held);
        self.gil
            .lock(&format!("{what}: eval breaker, take the GIL back"))
    }

    fn increment(&self, at: CheckPoints) {
        let mut held = self.gil.lock("thread start: take the GIL");
        let x = self.x.read("LOAD_GLOBAL x");
        if at.every_op {
            held = self.check_point(held, "LOAD_CONST 1");
        }
        if at.call_in_rmw {
            held = self.check_point(held, "CALL f");
        }
        rt::step(at.add);
        if at.every_op {
            held = self.check_point(held, "STORE_GLOBAL x");
        }
        self.x.write("STORE_GLOBAL x", x + 1);
        let held = self.check_point(held, at.back_edge); // 3.10+: a check point
        drop(held);
    }
}

fn run(threads: usize, at: CheckPoints) {
    let interp = Shared::new(Interpreter {
        gil: Mutex::new("GIL", ()),
        x: Var::new("x", 0),
    });
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let i = interp.clone();
            rt::spawn(WORKERS[t], move || i.increment(at))
        })
        .collect();
    for h in handles {
        h.join();
    }
    let x = {
        let _held = interp.gil.lock("main: take the GIL");
        interp.x.read("main: LOAD_GLOBAL x")
    };
    ensure_all_kept(x, threads);
}

fn every_op(p: Params) {
    run(
        p.threads,
        CheckPoints {
            every_op: true,
            call_in_rmw: false,
            add: "INPLACE_ADD",
            back_edge: "JUMP_ABSOLUTE",
        },
    ); // BUG: a switch between load and store
}

fn py310(p: Params) {
    run(
        p.threads,
        CheckPoints {
            every_op: false,
            call_in_rmw: false,
            add: "BINARY_OP += (INPLACE_ADD in 3.10)",
            back_edge: "JUMP_BACKWARD (JUMP_ABSOLUTE in 3.10)",
        },
    );
}

fn call(p: Params) {
    run(
        p.threads,
        CheckPoints {
            every_op: false,
            call_in_rmw: true,
            add: "BINARY_OP + (BINARY_ADD before 3.11)",
            back_edge: "JUMP_BACKWARD (JUMP_ABSOLUTE before 3.11)",
        },
    ); // BUG: the call is a check point
}

const SOURCES: &[&str] = &[
    "Python/ceval.c#_PyEval_EvalFrameDefault",
    "Python/ceval.c#eval_frame_handle_pending (up to 3.11; Python/ceval_gil.c#_Py_HandlePending from 3.12)",
    "bpo-29988",
];

const ABSTRACTS: &str =
    "The GIL is a mutex and a check point releases and re-takes it; x is one shared slot.";

pub const EVERY_OP: Model = Model {
    id: "bytecode-rmw-every-op",
    title: "x += 1 with a switch point before every bytecode (CPython ≤ 3.9)",
    question: "With a possible GIL switch between any two bytecodes, do two threads' `x += 1` both count?",
    claims: &[SeedClaim {
        id: "G5",
        stance: Stance::Confirms,
        why: "the GIL does not make a Python-level read-modify-write atomic",
    }],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: LOST,
    twin: Some("bytecode-rmw-310"),
    body: every_op,
    ..Model::DEFAULT
};

pub const PY310: Model = Model {
    id: "bytecode-rmw-310",
    title: "x += 1 with switch points only at back edges and calls (CPython 3.10+)",
    question: "With check points only at backward jumps and calls, do two threads' `x += 1` in a loop both count?",
    claims: &[SeedClaim {
        id: "G5",
        stance: Stance::Qualifies,
        why: "on 3.10+ a plain `x += 1` happens to be atomic under the GIL; nothing promises it",
    }],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: KEPT,
    twin: Some("bytecode-rmw-call"),
    body: py310,
    ..Model::DEFAULT
};

pub const CALL: Model = Model {
    id: "bytecode-rmw-call",
    title: "x = x + f(): a call between the load and the store",
    question: "On 3.10+, does `x = x + f()` lose updates, the call being a check point?",
    claims: &[SeedClaim {
        id: "G5",
        stance: Stance::Confirms,
        why: "a call inside the read-modify-write gives the GIL a chance to move",
    }],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: LOST,
    twin: Some("bytecode-rmw-310"),
    body: call,
    ..Model::DEFAULT
};
