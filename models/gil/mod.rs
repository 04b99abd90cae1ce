//! The GIL as CPython 3.2+ implements it (Antoine Pitrou's "new GIL",
//! Python/ceval_gil.c), step for step, with switches for the variants whose bugs the
//! models of this family show.
//!
//! State (`struct _gil_runtime_state`, Include/internal/pycore_gil.h):
//! - `locked`: 1 while some thread holds the GIL; written under `mutex`, read racily.
//! - `mutex` and `cond`: a waiter sleeps on `cond` until `locked` is 0.
//! - `last_holder`, `switch_number`: who held it last, how often it changed hands.
//! - `switch_mutex`, `switch_cond`: FORCE_SWITCHING, the handshake that stops a thread
//!   asked to drop the GIL from taking it straight back.
//! - per thread, the eval breaker's drop-request bit (`_PY_GIL_DROP_REQUEST_BIT`; per
//!   thread since 3.13, a per-interpreter flag before).
//!
//! What is abstracted: a thread is its id (1, 2, ...), not a `PyThreadState`; the eval
//! breaker has only the drop-request bit; `holds_gil` and the thread's attach state are
//! ghost state; time exists only as the timed waits' explored timeouts (CPython's 5 ms
//! interval); finalization is only the gh-96387 path ("this thread must exit").

use crate::prelude::*;
use Ordering::Relaxed;

pub mod exit_request;
pub mod extension_lock;
pub mod handoff;
pub mod lost_wakeup;
pub mod old_ticks;

/// Which of CPython's steps a model keeps; each `false` is a bug some model shows.
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    /// `drop_gil` waits on `switch_cond` after a requested drop (FORCE_SWITCHING).
    pub force_switching: bool,
    /// `take_gil` waits on `cond` with a timeout, after which it asks for a drop.
    pub timed_wait: bool,
    /// `drop_gil` clears `locked` and signals `cond` while holding `mutex`.
    pub drop_under_mutex: bool,
    /// A thread that must exit resets the drop request it made (gh-96387's fix).
    pub exit_resets_request: bool,
}

/// The protocol as CPython 3.14 has it.
pub const CPYTHON: Variant = Variant {
    force_switching: true,
    timed_wait: true,
    drop_under_mutex: true,
    exit_resets_request: true,
};

/// Loom explores the GIL models up to 3 preemptions with 2 workers (about 5,500
/// executions) and 2 with 3 workers: the full spaces run past 500,000 executions.
pub const LOOM_BOUND: crate::model::LoomBound = crate::model::LoomBound {
    default: Some(3),
    deep: Some(2),
};

pub const AT_MOST_ONE_HOLDER: &str = "at_most_one_gil_holder";
pub const REQUESTER_FIRST: &str = "requester_gets_gil_before_dropper_retakes_it";

pub const AT_MOST_ONE: Property = Property {
    id: AT_MOST_ONE_HOLDER,
    claim: "at most one thread holds the GIL, and only a holder runs bytecode",
};
pub const NO_DEADLOCK: Property = Property {
    id: crate::runtime::builtin::NO_DEADLOCK,
    claim: "some thread can always run until all have finished",
};
pub const FORCED_SWITCH: Property = Property {
    id: REQUESTER_FIRST,
    claim: "a thread that drops the GIL because another asked for it does not take it back before another thread has had it",
};

/// What the GIL models' properties are about, for a "holds" to mean something (see
/// `model::Situation`).
pub const TIMED_OUT_AND_ASKED: Situation = Situation(
    "a waiter's timed wait timed out with no switch meanwhile, and it set the holder's drop request",
);
pub const DROPPED_ON_REQUEST: Situation =
    Situation("a holder asked to drop the GIL dropped it at a check point");
pub const WAITED_FOR_SWITCH: Situation = Situation(
    "a thread that dropped the GIL on request waited on switch_cond for another to take it",
);

/// One step of a worker's program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A bytecode: runs only with the GIL held.
    Bytecode,
    /// An eval-breaker check point (a backward jump, a call): drop the GIL if asked to.
    CheckPoint,
    /// A blocking call wrapped in `Py_BEGIN_ALLOW_THREADS` / `Py_END_ALLOW_THREADS`.
    Blocking,
}

/// A CPU-bound loop: two iterations, a check point at each back edge.
pub const CPU_BOUND: &[Op] = &[Op::Bytecode, Op::CheckPoint, Op::Bytecode, Op::CheckPoint];
/// An I/O-bound thread: a bytecode, a blocking call, a bytecode.
pub const IO_BOUND: &[Op] = &[Op::Bytecode, Op::Blocking, Op::Bytecode];

pub struct Gil {
    variant: Variant,
    mutex: Mutex<()>,
    cond: Condvar,
    locked: Atomic,
    last_holder: Atomic,
    switch_number: Var,
    switch_mutex: Mutex<()>,
    switch_cond: Condvar,
    /// `drop_request[t]`: thread t's drop-request bit (index 0 unused).
    drop_request: Vec<Atomic>,
    /// Ghost: how many threads hold the GIL, and which one.
    holders: Ghost,
    holder: Ghost,
    /// Ghost: a thread that dropped the GIL because it was asked to, until someone takes it.
    forced_dropper: Ghost,
}

/// A worker's name in traces.
pub fn name(t: usize) -> &'static str {
    WORKERS[t - 1]
}

impl Gil {
    /// A free GIL for threads 1..=threads (Python/ceval_gil.c#create_gil).
    pub fn new(variant: Variant, threads: usize) -> Gil {
        Gil {
            variant,
            mutex: Mutex::new("gil.mutex", ()),
            cond: Condvar::new("gil.cond"),
            locked: Atomic::new("locked", 0),
            last_holder: Atomic::new("last_holder", 0),
            switch_number: Var::new("switch_number", 0),
            switch_mutex: Mutex::new("gil.switch_mutex", ()),
            switch_cond: Condvar::new("gil.switch_cond"),
            drop_request: (0..=threads)
                .map(|t| {
                    Atomic::new(
                        &format!("drop_request[{}]", if t == 0 { "-" } else { name(t) }),
                        0,
                    )
                })
                .collect(),
            holders: Ghost::new(0),
            holder: Ghost::new(0),
            forced_dropper: Ghost::new(0),
        }
    }

    /// Python/ceval_gil.c#take_gil. Returns false if the thread had to exit instead
    /// (`must_exit`: finalization has begun, after this thread asked for a drop).
    pub fn take_gil(&self, me: usize, must_exit_after_request: bool) -> bool {
        let mut held = self.mutex.lock("take_gil: lock mutex");
        let mut drop_requested = false;
        while self.locked.load("take_gil: test locked", Relaxed) == 1 {
            let saved = self.switch_number.read("take_gil: save switch_number");
            let timed_out = if self.variant.timed_wait {
                let (h, timed_out) = self
                    .cond
                    .wait_timeout("take_gil: COND_TIMED_WAIT(cond)", held);
                held = h;
                timed_out
            } else {
                held = self.cond.wait("take_gil: COND_WAIT(cond)", held); // BUG (gil-lost-wakeup): no timeout
                false
            };
            if timed_out
                && self
                    .locked
                    .load("take_gil: timed out; test locked", Relaxed)
                    == 1
                && self.switch_number.read("take_gil: test switch_number") == saved
            {
                let holder = self.last_holder.load("take_gil: load last_holder", Relaxed) as usize;
                if must_exit_after_request && drop_requested {
                    drop(held); // MUTEX_UNLOCK(gil->mutex)
                    if self.variant.exit_resets_request {
                        self.drop_request[holder].store(
                            "take_gil: must exit; reset drop request",
                            0,
                            Relaxed,
                        );
                    }
                    rt::step("take_gil: must exit (finalizing)");
                    return false;
                }
                self.drop_request[holder].store("take_gil: SET_GIL_DROP_REQUEST", 1, Relaxed);
                rt::reach(TIMED_OUT_AND_ASKED);
                drop_requested = true;
            }
        }
        let switch = self
            .variant
            .force_switching
            .then(|| self.switch_mutex.lock("take_gil: lock switch_mutex"));
        self.locked.store("take_gil: locked = 1", 1, Relaxed);
        self.became_holder(me);
        if self.last_holder.load("take_gil: load last_holder", Relaxed) != me as i64 {
            self.last_holder
                .store("take_gil: last_holder = me", me as i64, Relaxed);
            let n = self.switch_number.read("take_gil: load switch_number");
            self.switch_number.write("take_gil: ++switch_number", n + 1);
        }
        if let Some(switch) = switch {
            self.switch_cond
                .notify_one("take_gil: COND_SIGNAL(switch_cond)");
            drop(switch);
        }
        self.drop_request[me].store("take_gil: reset own drop request", 0, Relaxed);
        drop(held);
        true
    }

    /// Python/ceval_gil.c#drop_gil (with drop_gil_impl). `final_release` on thread exit.
    pub fn drop_gil(&self, me: usize, final_release: bool) {
        if !final_release {
            self.last_holder
                .store("drop_gil: last_holder = me", me as i64, Relaxed);
        }
        self.left_holder(me);
        if self.variant.drop_under_mutex {
            let _held = self.mutex.lock("drop_gil: lock mutex");
            self.locked.store("drop_gil: locked = 0", 0, Relaxed);
            self.cond.notify_one("drop_gil: COND_SIGNAL(cond)");
        } else {
            self.locked.store("drop_gil: locked = 0", 0, Relaxed); // BUG (gil-lost-wakeup): outside mutex
            self.cond.notify_one("drop_gil: COND_SIGNAL(cond)");
        }
        if self.variant.force_switching
            && !final_release
            && self.drop_request[me].load("drop_gil: test own drop request", Relaxed) == 1
        {
            let mut switch = self.switch_mutex.lock("drop_gil: lock switch_mutex");
            if self.last_holder.load("drop_gil: test last_holder", Relaxed) == me as i64 {
                self.drop_request[me].store("drop_gil: reset own drop request", 0, Relaxed);
                // One wait, no predicate loop: only a spurious wakeup ends it early.
                rt::reach(WAITED_FOR_SWITCH);
                switch = self
                    .switch_cond
                    .wait("drop_gil: COND_WAIT(switch_cond)", switch);
            }
            drop(switch);
        }
    }

    /// Python/ceval_gil.c#_Py_HandlePending (3.12+) at an eval-breaker check point: if asked to,
    /// drop the GIL and take it again.
    pub fn check_point(&self, me: usize) {
        if self.drop_request[me].load("_Py_HandlePending: test drop request", Relaxed) == 1 {
            rt::reach(DROPPED_ON_REQUEST);
            self.forced_dropper.set(me as i64);
            self.drop_gil(me, false);
            self.take_gil(me, false);
        }
    }

    /// A bytecode of thread `me`: it must hold the GIL.
    pub fn bytecode(&self, me: usize) {
        rt::step("bytecode");
        ensure(AT_MOST_ONE_HOLDER, self.holder.get() == me as i64, || {
            format!("{} runs a bytecode without holding the GIL", name(me))
        });
    }

    fn became_holder(&self, me: usize) {
        let holders = self.holders.add(1);
        ensure(AT_MOST_ONE_HOLDER, holders == 1, || {
            format!("{} takes the GIL while another thread holds it", name(me))
        });
        self.holder.set(me as i64);
        let dropper = self.forced_dropper.get();
        ensure(REQUESTER_FIRST, dropper != me as i64, || {
            format!(
                "{} dropped the GIL because another thread asked for it, then took it back first",
                name(me)
            )
        });
        self.forced_dropper.set(0);
    }

    fn left_holder(&self, _me: usize) {
        self.holders.add(-1);
        self.holder.set(0);
    }

    /// Run a worker's program: take the GIL, run, drop it for good. Each part is a step of
    /// `rt::each`, so the search forgets how the earlier parts went.
    pub fn run(&self, me: usize, program: &[Op]) {
        #[derive(Clone, Copy)]
        enum Part {
            Start,
            Op(Op),
            Exit,
        }
        let parts: Vec<Part> = std::iter::once(Part::Start)
            .chain(program.iter().map(|&op| Part::Op(op)))
            .chain(std::iter::once(Part::Exit))
            .collect();
        rt::each("Gil::run", &parts, |part| match part {
            Part::Start => {
                self.take_gil(me, false);
            }
            Part::Op(Op::Bytecode) => self.bytecode(me),
            Part::Op(Op::CheckPoint) => self.check_point(me),
            Part::Op(Op::Blocking) => {
                self.drop_gil(me, false); // Py_BEGIN_ALLOW_THREADS
                rt::step("blocking call, GIL released");
                self.take_gil(me, false); // Py_END_ALLOW_THREADS
            }
            Part::Exit => self.drop_gil(me, true),
        });
    }
}

/// Spawn one worker per program and join them all.
pub fn run_workers(gil: rt::Shared<Gil>, programs: &[&'static [Op]]) {
    let handles: Vec<_> = programs
        .iter()
        .enumerate()
        .map(|(i, &program)| {
            let gil = gil.clone();
            rt::spawn(name(i + 1), move || gil.run(i + 1, program))
        })
        .collect();
    for h in handles {
        h.join();
    }
}
