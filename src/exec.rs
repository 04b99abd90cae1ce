//! The context of one checker run: which backend the primitives use, which property is
//! armed, and the ghost state (trace, heap, last written values) of the current execution.
//!
//! Loom and shuttle run every model thread as a coroutine on the OS thread that called the
//! checker, so a std thread-local reaches all of them; the std backend copies the context
//! into each thread it spawns. Ghost state sits behind a std mutex the checkers never see.

use crate::heap::Heap;
use crate::trace::{Access, Event, Trace};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Which implementation the runtime primitives dispatch to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Loom,
    Shuttle,
    Std,
}

/// Properties the machinery itself checks; models add their own.
pub mod builtin {
    /// Checked by the heap on every access to an object's fields.
    pub const NO_USE_AFTER_FREE: &str = "no_use_after_free";
    /// Checked by the heap on every free.
    pub const NO_DOUBLE_FREE: &str = "no_double_free";
    /// Checked by the heap when an execution ends.
    pub const NO_LEAK: &str = "no_leak";
    /// Checked by loom's causality checker on `Var`s (loom only).
    pub const NO_DATA_RACE: &str = "no_data_race";
    /// Checked by the checkers: some thread can always run.
    pub const NO_DEADLOCK: &str = "no_deadlock";
    /// Arms every property at once (the first violation of any stops the execution).
    pub const ANY: &str = "*";
}

/// A property that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub property: String,
    pub message: String,
}

/// The panic payload that stops an execution when the armed property fails.
pub(crate) const VIOLATION_PANIC: &str = "gilspec: armed property violated";

#[derive(Default)]
pub(crate) struct ExecState {
    pub trace: Vec<Event>,
    pub heap: Heap,
    /// Last value written to each named shared variable, for "before → after".
    pub values: BTreeMap<String, i64>,
    pub violation: Option<Violation>,
    pub executions: u64,
}

/// One checker run of one model: many executions.
pub struct Exec {
    pub backend: Backend,
    /// The property whose violation stops the execution; others are only noted.
    pub armed: Option<String>,
    state: Mutex<ExecState>,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Exec>>> = const { RefCell::new(None) };
}

impl Exec {
    pub fn new(backend: Backend, armed: Option<&str>) -> Arc<Exec> {
        Arc::new(Exec {
            backend,
            armed: armed.map(str::to_owned),
            state: Mutex::new(ExecState::default()),
        })
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, ExecState> {
        // A model thread may panic while we hold nothing; poisoning carries no meaning here.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_armed(&self, property: &str) -> bool {
        matches!(self.armed.as_deref(), Some(a) if a == property || a == builtin::ANY)
    }

    /// Loom's race detector is on only while `no_data_race` is the armed property: any
    /// other property is checked past the first race, with `Var`s behaving like relaxed
    /// word-sized accesses (what the hardware does) so the race's outcome can be observed.
    pub fn race_detection(&self) -> bool {
        self.backend == Backend::Loom && self.armed.as_deref() == Some(builtin::NO_DATA_RACE)
    }

    /// Run `f` with this context installed on the current OS thread.
    pub fn enter<R>(self: &Arc<Self>, f: impl FnOnce() -> R) -> R {
        let previous = CURRENT.with(|c| c.replace(Some(self.clone())));
        struct Restore(Option<Arc<Exec>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0.take();
                CURRENT.with(|c| *c.borrow_mut() = prev);
            }
        }
        let _restore = Restore(previous);
        f()
    }

    /// Called at the start of each execution: forget the previous one's ghost state.
    pub(crate) fn begin_execution(&self) {
        let mut s = self.state();
        let executions = s.executions + 1;
        *s = ExecState {
            executions,
            ..ExecState::default()
        };
    }

    /// Called when the model's main thread returns: end-of-execution checks.
    pub(crate) fn end_execution(&self) {
        let leaks = self.state().heap.leaks();
        for message in leaks {
            report(builtin::NO_LEAK, message);
        }
    }

    pub fn executions(&self) -> u64 {
        self.state().executions
    }

    pub fn trace(&self) -> Trace {
        Trace {
            events: self.state().trace.clone(),
        }
    }

    /// Steps recorded so far in the current execution.
    pub fn steps(&self) -> usize {
        self.state().trace.len()
    }

    pub fn violation(&self) -> Option<Violation> {
        self.state().violation.clone()
    }

    pub(crate) fn set_violation(&self, v: Violation) {
        let mut s = self.state();
        if s.violation.is_none() {
            s.violation = Some(v);
        }
    }
}

/// The context of the run this thread belongs to.
pub(crate) fn current() -> Arc<Exec> {
    CURRENT
        .with(|c| c.borrow().clone())
        .expect("gilspec primitives can only be used inside a model run (see gilspec::check)")
}

pub(crate) fn try_current() -> Option<Arc<Exec>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Record one step of the current thread.
pub(crate) fn record(action: &str, accesses: Vec<Access>, note: Option<String>) {
    let exec = current();
    let thread = crate::rt::thread_name();
    let mut s = exec.state();
    for a in &accesses {
        if let Access::Write { var, after, .. } = a {
            s.values.insert(var.clone(), *after);
        }
    }
    let step = s.trace.len() + 1;
    s.trace.push(Event {
        step,
        thread,
        action: action.to_owned(),
        accesses,
        note,
    });
}

/// The value last written to `var` in this execution, for the "before" of a write.
pub(crate) fn last_value(var: &str) -> Option<i64> {
    current().state().values.get(var).copied()
}

/// A property failed. If it is the armed one, the execution stops here; otherwise the
/// failure is only noted in the trace and the execution goes on, so that the armed
/// property can still be checked past it.
pub fn report(property: &str, message: String) {
    let exec = current();
    let armed = exec.is_armed(property);
    record(
        &format!("violation: {property}"),
        vec![],
        Some(format!(
            "{message}{}",
            if armed {
                ""
            } else {
                " (not the property under check)"
            }
        )),
    );
    if armed {
        exec.set_violation(Violation {
            property: property.to_owned(),
            message,
        });
        std::panic::panic_any(VIOLATION_PANIC);
    }
}

/// Check a model property: `report` it when `holds` is false.
pub fn ensure(property: &str, holds: bool, message: impl FnOnce() -> String) {
    if !holds {
        report(property, message());
    }
}
