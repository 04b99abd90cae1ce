//! The runtime models are written against, in loom's shape: a file per primitive, each
//! dispatching at run time to loom, shuttle or std (whichever backend the current run
//! uses), so one model source runs under every checker. Every operation on shared state
//! records a trace step named by the model (`incref: load`) with the values it read and
//! wrote.
//!
//! The arrows run one way: the primitives (`var`, `atomic`, `mutex`, `condvar`, `thread`,
//! `ghost`, `object`) use the `context` of the run; the context keeps the execution's
//! ghost state (`heap`, `history`, `race`, the trace) and knows the backend; nothing below calls
//! back up. Models use this module through `crate::prelude`; they never name loom or
//! shuttle.

mod access;
mod atomic;
mod condvar;
pub mod context;
mod ghost;
pub(crate) mod heap;
pub(crate) mod history;
mod mutex;
pub mod object;
pub(crate) mod race;
mod thread;
mod var;

pub use atomic::{Atomic, fence};
pub use condvar::Condvar;
pub use context::{Backend, builtin, ensure, report};
pub use ghost::Ghost;
pub use heap::Obj;
pub use mutex::{Mutex, MutexGuard};
pub use std::sync::atomic::Ordering;
pub use thread::{JoinHandle, Shared, each, reach, spawn, step, thread_name, yield_now};
pub use var::Var;

/// One primitive's implementation under each backend.
pub(crate) enum Backed<L, S, T> {
    Loom(L),
    Shuttle(S),
    Std(T),
}

/// Make a primitive for the current run's backend: `backed!(loom: .., shuttle: .., std: ..)`.
macro_rules! backed {
    (loom: $loom:expr, shuttle: $shuttle:expr, std: $std:expr $(,)?) => {
        match $crate::runtime::context::backend() {
            $crate::runtime::Backend::Loom => $crate::runtime::Backed::Loom($loom),
            $crate::runtime::Backend::Shuttle => $crate::runtime::Backed::Shuttle($shuttle),
            $crate::runtime::Backend::Std => $crate::runtime::Backed::Std($std),
        }
    };
}

/// Run the same code on whichever implementation a primitive has:
/// `dispatch!(&self.inner, a => a.load(order))`.
macro_rules! dispatch {
    ($backed:expr, $x:pat => $e:expr) => {
        match $backed {
            $crate::runtime::Backed::Loom($x) => $e,
            $crate::runtime::Backed::Shuttle($x) => $e,
            $crate::runtime::Backed::Std($x) => $e,
        }
    };
}

pub(crate) use {backed, dispatch};
