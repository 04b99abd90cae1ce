//! The models and their registry. A model is one file: its question, its steps with the
//! CPython function each comes from, its body written against `gilspec::rt`, and its
//! expected verdicts as data (see `refcount/plain.rs` for the shape).

pub mod condvar;
pub mod refcount;

use crate::model::Model;

/// Every model, in reading order. The CLI, the tests and the docs all start here.
pub const ALL: &[&Model] = &[
    &refcount::plain::MODEL,
    &refcount::gil::MODEL,
    &refcount::atomic::MODEL,
    &refcount::atomic_split_test::MODEL,
    &refcount::object_mutex::MODEL,
    &condvar::wait_loop::MODEL,
    &condvar::wait_once::MODEL,
    &condvar::timed_wait::NEVER_RELEASED,
    &condvar::timed_wait::RELEASED,
];

pub fn find(id: &str) -> Option<&'static Model> {
    ALL.iter().copied().find(|m| m.id == id)
}

pub fn ids() -> Vec<&'static str> {
    ALL.iter().map(|m| m.id).collect()
}
