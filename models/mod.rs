//! The models and their registry. A model is one file: its question, its steps with the
//! CPython function each comes from, its body written against the runtime (`crate::prelude`), and its
//! expected verdicts as data (see `refcount/plain.rs` for the shape).

pub mod brc;
pub mod bytecode;
pub mod condvar;
pub mod critical_section;
pub mod cycle;
pub mod cython;
pub mod freethreaded;
pub mod gil;
mod lost_update;
pub mod multiprocessing;
pub mod objlock;
pub mod pymutex;
pub mod refcount;

/// Worker threads' names, in spawn order (main is "main").
pub const WORKERS: [&str; 4] = ["A", "B", "C", "D"];

use crate::model::Model;

/// Every model, in reading order. The CLI, the tests and the docs all start here.
pub const ALL: &[&Model] = &[
    &refcount::plain::MODEL,
    &refcount::gil::MODEL,
    &refcount::atomic::MODEL,
    &refcount::atomic_split_test::MODEL,
    &refcount::object_mutex::MODEL,
    &refcount::relaxed::RELAXED,
    &refcount::relaxed::FENCED,
    &refcount::immortal::IMMORTAL_MODEL,
    &refcount::immortal::MORTAL_MODEL,
    &cycle::CYCLE,
    &cycle::COLLECTED,
    &brc::BRC,
    &brc::BRC_NO_QUEUE,
    &brc::BRC_STORE_AFTER_MERGED,
    &brc::BRC_TRY_INCREF,
    &brc::BRC_TRY_INCREF_AT_ZERO,
    &brc::BRC_LAST_USE,
    &brc::BRC_RELAXED_MERGE_LOAD,
    &freethreaded::qsbr::QSBR,
    &freethreaded::qsbr::NO_SCAN_FENCE,
    &freethreaded::qsbr::GOAL_EARLY,
    &freethreaded::typecache::SEQLOCK,
    &freethreaded::typecache::SEQLOCK_NO_FENCE,
    &freethreaded::typecache::VERSION_LAST,
    &freethreaded::typecache::VERSION_FIRST,
    &freethreaded::c11::DICT_VALUE,
    &freethreaded::c11::DICT_VALUE_RELAXED,
    &freethreaded::c11::SHARED_KEYS,
    &freethreaded::c11::SHARED_KEYS_RELAXED,
    &freethreaded::c11::LIST_COPY,
    &freethreaded::c11::LIST_COPY_RELAXED,
    &pymutex::PYMUTEX,
    &pymutex::NO_RECHECK,
    &pymutex::HANDOFF_UNLOCKED,
    &pymutex::DETACH,
    &pymutex::NO_DETACH,
    &condvar::wait_loop::MODEL,
    &condvar::wait_once::MODEL,
    &condvar::timed_wait::NEVER_RELEASED,
    &condvar::timed_wait::RELEASED,
    &gil::handoff::HANDOFF,
    &gil::handoff::NO_FORCE_SWITCH,
    &gil::lost_wakeup::UNTIMED,
    &gil::lost_wakeup::TIMED,
    &gil::exit_request::UNFIXED,
    &gil::exit_request::FIXED,
    &gil::old_ticks::MODEL,
    &gil::extension_lock::HOLDING,
    &gil::extension_lock::RELEASED,
    &bytecode::EVERY_OP,
    &bytecode::PY310,
    &bytecode::CALL,
    &cython::TOUCHES_OBJECT,
    &cython::WITH_GIL,
    &objlock::ABBA,
    &objlock::ORDERED,
    &critical_section::MODEL,
    &multiprocessing::MP_VALUE,
    &multiprocessing::MP_VALUE_GET_LOCK,
    &multiprocessing::MP_MANAGER_DICT,
    &multiprocessing::MP_MANAGER_DICT_LOCK,
    &multiprocessing::MP_QUEUE,
];

/// A family of models: the book chapter that tells their story (`check` groups its
/// output by family). `ALL` is in reading order, a family at a time: a family is the run
/// of models from its `first` to the next family's.
pub struct Family {
    pub title: &'static str,
    pub chapter: &'static str,
    pub first: &'static str,
}

/// The families, in the order of `ALL` (`tests/registry.rs` checks it).
pub const FAMILIES: &[Family] = &[
    Family {
        title: "Reference counting: why the GIL exists",
        chapter: "docs/refcount.md",
        first: "refcount-plain",
    },
    Family {
        title: "Biased reference counting",
        chapter: "docs/brc.md",
        first: "brc",
    },
    Family {
        title: "The free-threaded build's lock-free reads",
        chapter: "docs/freethreaded.md",
        first: "qsbr",
    },
    Family {
        title: "PyMutex and the parking lot",
        chapter: "docs/pymutex.md",
        first: "pymutex",
    },
    Family {
        title: "Condition variables as POSIX defines them",
        chapter: "docs/condvar.md",
        first: "condvar-wait-loop",
    },
    Family {
        title: "The GIL handoff",
        chapter: "docs/handoff.md",
        first: "gil-handoff",
    },
    Family {
        title: "What the GIL does not protect",
        chapter: "docs/bytecode.md",
        first: "bytecode-rmw-every-op",
    },
    Family {
        title: "Per-object locks and critical sections",
        chapter: "docs/objlock.md",
        first: "objlock-abba",
    },
    Family {
        title: "multiprocessing",
        chapter: "docs/multiprocessing.md",
        first: "mp-value",
    },
];

/// The family `model` belongs to, by its index in `FAMILIES`: the last family whose first
/// model does not come after it.
pub fn family_of(model: &str) -> Option<usize> {
    let at = position(model)?;
    FAMILIES
        .iter()
        .rposition(|f| position(f.first).is_some_and(|p| p <= at))
}

fn position(model: &str) -> Option<usize> {
    ALL.iter().position(|m| m.id == model)
}

pub fn find(id: &str) -> Option<&'static Model> {
    ALL.iter().copied().find(|m| m.id == id)
}

pub fn ids() -> Vec<&'static str> {
    ALL.iter().map(|m| m.id).collect()
}
