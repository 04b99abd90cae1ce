//! Model threads: spawning and joining them, yielding, and the calls that shape a
//! thread's run (`each`, `reach`, `step`).

use super::context::{self, Backend};
use super::history::hash128;
use super::{Backed, dispatch};
use std::sync::Arc;

pub use super::context::thread_name;

/// A model thread that can be joined.
pub struct JoinHandle {
    name: String,
    inner: Backed<
        loom::thread::JoinHandle<()>,
        shuttle::thread::JoinHandle<()>,
        std::thread::JoinHandle<()>,
    >,
}

/// The calling model thread finishes: time passes for the timed waiters.
fn exit_thread() {
    context::set_live(&context::thread_name(), false);
    context::time_passes();
}

/// A model thread's body under a checker: running up to its first operation is a move of
/// its own, and time passes for the timed waiters when it finishes.
fn checked_thread(f: impl FnOnce() + Send + 'static) -> impl FnOnce() + Send + 'static {
    move || {
        context::mark("start");
        f();
        exit_thread();
    }
}

/// Start a model thread named `name` (the name appears in every trace step it takes).
pub fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle {
    context::set_live(name, true);
    // Real threads may take steps before `spawn` returns: record the spawn first. Under
    // the checkers the child runs only at a later scheduling point, and recording after
    // the spawn keeps a script's steps in line with the checker's scheduling points.
    context::race_spawn(name);
    let spawn_step = format!("spawn {name}");
    let backend = context::backend();
    if backend == Backend::Std {
        context::record(&spawn_step, vec![], None);
    }
    let inner = match backend {
        Backend::Loom => Backed::Loom(
            loom::thread::Builder::new()
                .name(name.to_owned())
                .spawn(checked_thread(f))
                .expect("loom spawn"),
        ),
        Backend::Shuttle => Backed::Shuttle(
            shuttle::thread::Builder::new()
                .name(name.to_owned())
                .spawn(checked_thread(f))
                .expect("shuttle spawn"),
        ),
        Backend::Std => {
            let exec = context::current();
            Backed::Std(
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || exec.enter(f))
                    .expect("std spawn"),
            )
        }
    };
    if backend != Backend::Std {
        context::record(&spawn_step, vec![], None);
    }
    JoinHandle {
        name: name.to_owned(),
        inner,
    }
}

impl JoinHandle {
    /// Wait for the thread to finish. A panic in it (a violated property) carries on here.
    pub fn join(self) {
        context::time_passes();
        context::next_may_block();
        context::set_blocked(Some(format!("joins {}", self.name)));
        let result = dispatch!(self.inner, h => h.join());
        context::set_blocked(None);
        if let Err(payload) = result {
            std::panic::resume_unwind(payload);
        }
        context::race_join(&self.name);
        context::record(&format!("join {}", self.name), vec![], None);
    }
}

/// A scheduling point with no effect: lets the checkers switch threads here. Retry and spin
/// loops must call it, or loom's unfair scheduler runs one thread forever.
pub fn yield_now() {
    match context::backend() {
        Backend::Loom => loom::thread::yield_now(),
        Backend::Shuttle => shuttle::thread::yield_now(),
        Backend::Std => std::thread::yield_now(),
    }
    context::mark("yield");
    context::loop_head("yield");
}

/// This thread got to `situation`, one of those its model's properties are about (see
/// `model::Situation`). Not a step and not a scheduling point: only a note that the
/// checker got here, so that a "holds" can say it was not vacuous.
pub fn reach(situation: crate::model::Situation) {
    context::reach(situation.0);
}

/// Run `body` on each of `items` in turn: a thread's outermost loop, such as a worker
/// running its program.
///
/// The stateful search knows a thread's local state only by the history of what it
/// observed. Here it can know more: `body` is `Fn`, so nothing carries over from one item
/// to the next except shared state, which the search sees anyway. At the start of item
/// `i` the thread's local state is determined by its state when `each` began and by `i`;
/// after the last item, by that state alone. So the history is set to exactly that, and
/// two paths that ran the earlier items differently meet again (`docs/reduction.md`).
/// A body must not smuggle state from one item to the next in a `Cell` or a `RefCell`.
pub fn each<T: Copy>(label: &str, items: &[T], body: impl Fn(T)) {
    let entry = context::history();
    for (i, &item) in items.iter().enumerate() {
        context::forget_history(hash128(&("each", label, entry, i)));
        body(item);
    }
    context::forget_history(hash128(&("each done", label, entry)));
}

/// A step with no shared access (a bytecode that touches only the thread's own frame, a
/// blocking call): recorded in the trace, invisible to the checkers.
pub fn step(action: &str) {
    context::record(action, vec![], None);
}

/// Shared state for model threads: a std `Arc`, never loom's, whose drop during a failure's
/// unwinding would call back into loom and abort the process.
pub type Shared<T> = Arc<T>;
