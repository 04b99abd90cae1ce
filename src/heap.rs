//! A ghost object heap: it knows which modelled objects are live, how many references the
//! model's threads really hold (whatever the modelled count says), and reports use after
//! free, double free and leaks as properties.
//!
//! Objects are never really freed: a freed object's fields stay readable so that an
//! execution can go on past a use after free when another property is under check.

use crate::exec::{self, builtin};

/// A handle to a modelled object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Obj(usize);

struct Object {
    name: String,
    freed: bool,
    /// What freeing does to each field (see `on_free`).
    on_free: Vec<std::sync::Arc<dyn Fn() + Send + Sync>>,
    /// References the model's threads really hold (ghost state).
    true_refs: i64,
}

#[derive(Default)]
pub(crate) struct Heap {
    objects: Vec<Object>,
}

impl Heap {
    /// End-of-execution check: every object must be freed once nobody holds it.
    pub(crate) fn leaks(&self) -> Vec<String> {
        self.objects
            .iter()
            .filter(|o| !o.freed)
            .map(|o| {
                if o.true_refs == 0 {
                    format!(
                        "{} is unreachable (no references left) but was never freed",
                        o.name
                    )
                } else {
                    format!(
                        "{} is still held by {} reference(s) when the execution ends",
                        o.name, o.true_refs
                    )
                }
            })
            .collect()
    }
}

/// Allocate an object that `refs` references point to from the start.
pub fn alloc(name: &str, refs: i64) -> Obj {
    let exec = exec::current();
    let obj = {
        let mut s = exec.state();
        s.heap.objects.push(Object {
            name: name.to_owned(),
            freed: false,
            on_free: Vec::new(),
            true_refs: refs,
        });
        Obj(s.heap.objects.len() - 1)
    };
    exec::record(&format!("create {name}"), vec![], None);
    obj
}

/// Register what freeing `obj` does to one of its fields: a write the checkers can see.
/// A free and a later access to any field then conflict, so loom's partial-order
/// reduction tries the order in which the access hits freed memory (a free is ghost
/// state, which it cannot see).
pub(crate) fn on_free(obj: Obj, overwrite: std::sync::Arc<dyn Fn() + Send + Sync>) {
    exec::current().state().heap.objects[obj.0]
        .on_free
        .push(overwrite);
}

pub fn name(obj: Obj) -> String {
    exec::current().state().heap.objects[obj.0].name.clone()
}

/// Ghost bookkeeping: the calling thread now holds one more reference.
pub fn take_ref(obj: Obj) {
    exec::current().state().heap.objects[obj.0].true_refs += 1;
}

/// Ghost bookkeeping: the calling thread gave up one reference.
pub fn drop_ref(obj: Obj) {
    exec::current().state().heap.objects[obj.0].true_refs -= 1;
}

/// How many references the model's threads really hold.
pub fn true_refs(obj: Obj) -> i64 {
    exec::current().state().heap.objects[obj.0].true_refs
}

/// Free an object: a step of its own in the trace.
pub fn free(obj: Obj, action: &str) {
    let (name, already, refs) = {
        let exec = exec::current();
        let mut s = exec.state();
        let o = &mut s.heap.objects[obj.0];
        let already = o.freed;
        o.freed = true;
        (o.name.clone(), already, o.true_refs)
    };
    // Freed first (in the ghost), then the writes, each a scheduling point: an access
    // scheduled between them already finds the object freed.
    let overwrites = exec::current().state().heap.objects[obj.0].on_free.clone();
    for overwrite in overwrites {
        overwrite();
    }
    let note = (refs > 0).then(|| format!("{refs} reference(s) to {name} are still held"));
    exec::record(action, vec![], note);
    if already {
        exec::report(
            builtin::NO_DOUBLE_FREE,
            format!("{name} is freed a second time"),
        );
    }
}

/// An access to one of the object's fields: a use after free if the object is gone.
pub fn touch(obj: Obj, what: &str) {
    let (name, freed) = {
        let exec = exec::current();
        let s = exec.state();
        let o = &s.heap.objects[obj.0];
        (o.name.clone(), o.freed)
    };
    if freed {
        exec::report(
            builtin::NO_USE_AFTER_FREE,
            format!("{what} touches {name} after it was freed"),
        );
    }
}
