//! Modelled objects: allocating, freeing and touching them, and the ghost bookkeeping of
//! who really holds a reference. The heap (`heap`) keeps the data; this is what models
//! call, and where its findings become property violations.

use super::context::{self, builtin};
pub use super::heap::Obj;
use super::heap::Overwrite;

/// Allocate an object that `refs` references point to from the start.
pub fn alloc(name: &str, refs: i64) -> Obj {
    let obj = context::current().state().heap.alloc(name, refs);
    context::record(&format!("create {name}"), vec![], None);
    obj
}

/// Register what freeing `obj` does to one of its fields: a write the checkers can see.
/// A free and a later access to any field then conflict, so loom's partial-order
/// reduction tries the order in which the access hits freed memory (a free is ghost
/// state, which it cannot see).
pub(crate) fn on_free(obj: Obj, overwrite: Overwrite) {
    context::current().state().heap.on_free(obj, overwrite);
}

pub fn name(obj: Obj) -> String {
    context::current().state().heap.name(obj).to_owned()
}

/// Ghost bookkeeping: the calling thread now holds one more reference.
pub fn take_ref(obj: Obj) {
    context::current().state().heap.thread_ref(obj, 1);
}

/// Ghost bookkeeping: the calling thread gave up one reference.
pub fn drop_ref(obj: Obj) {
    context::current().state().heap.thread_ref(obj, -1);
}

/// Ghost bookkeeping: a field of `holder` now holds a reference to `obj` (`a.attr = b`: the
/// store takes a new reference that belongs to `a`, not to the thread that made it).
pub fn store_ref(holder: Obj, obj: Obj) {
    context::current().state().heap.store_ref(holder, obj);
}

/// Ghost bookkeeping: `holder` gave up a reference to `obj` it held in a field.
pub fn clear_ref(holder: Obj, obj: Obj) {
    context::current().state().heap.clear_ref(holder, obj);
}

/// How many references really point to the object (threads' and objects').
pub fn true_refs(obj: Obj) -> i64 {
    let refs = context::current().state().heap.true_refs(obj);
    context::observe_ghost(None, refs);
    refs
}

/// Free an object: a step of its own in the trace.
pub fn free(obj: Obj, action: &str) {
    let freed = context::current().state().heap.free(obj);
    // Freed first (in the ghost), then the writes, each a scheduling point: an access
    // scheduled between them already finds the object freed.
    for overwrite in &freed.overwrites {
        overwrite();
    }
    let note = (freed.refs > 0).then(|| {
        format!(
            "{} reference(s) to {} are still held",
            freed.refs, freed.name
        )
    });
    context::record(action, vec![], note);
    if freed.again {
        context::report(
            builtin::NO_DOUBLE_FREE,
            format!("{} is freed a second time", freed.name),
        );
    }
}

/// An access to one of the object's fields: a use after free if the object is gone.
pub fn touch(obj: Obj, what: &str) {
    let wrong = context::current().state().heap.touch(obj, what);
    if let Some(message) = wrong {
        context::report(builtin::NO_USE_AFTER_FREE, message);
    }
}
