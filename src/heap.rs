//! A ghost object heap: it knows which modelled objects are live, how many references really
//! point to each (whatever the modelled count says): held by the model's threads, or stored
//! in another object's field; and it reports use after free, double free and leaks as
//! properties.
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
    /// References that really point to the object (ghost state): the model's threads'
    /// and those stored in other objects' fields.
    true_refs: i64,
    /// Of those, the ones stored in other objects: the holder of each.
    held_by: Vec<Obj>,
}

#[derive(Default)]
pub(crate) struct Heap {
    objects: Vec<Object>,
}

impl Heap {
    /// Everything about the objects that can change, for the stateful search's fingerprint.
    pub(crate) fn hash_state(&self, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        for o in &self.objects {
            (&o.name, o.freed, o.true_refs, &o.held_by).hash(h);
        }
    }

    /// End-of-execution check: every object must be freed once nobody holds it.
    pub(crate) fn leaks(&self) -> Vec<String> {
        let garbage = self.garbage();
        self.objects
            .iter()
            .enumerate()
            .filter(|(_, o)| !o.freed)
            .map(|(i, o)| {
                if o.true_refs == 0 {
                    format!(
                        "{} is unreachable (no references left) but was never freed",
                        o.name
                    )
                } else if garbage.contains(&i) {
                    let holders: Vec<&str> = o
                        .held_by
                        .iter()
                        .map(|h| self.objects[h.0].name.as_str())
                        .collect();
                    let what = if self.on_cycle(i) {
                        "a reference cycle that no thread reaches"
                    } else {
                        "garbage that no thread reaches"
                    };
                    format!(
                        "{} is garbage: its only references are from {} (in {what}), but it was never freed",
                        o.name,
                        holders.join(" and ")
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

    /// Live objects that some reference points to, but none a thread holds: neither a
    /// thread nor anything a thread reaches (following references stored in objects)
    /// holds them. By index.
    fn garbage(&self) -> Vec<usize> {
        let live = |i: usize| !self.objects[i].freed;
        let mut reached: Vec<bool> = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| live(i) && o.true_refs > o.held_by.len() as i64)
            .collect();
        loop {
            let next = (0..self.objects.len()).find(|&i| {
                !reached[i]
                    && live(i)
                    && self.objects[i]
                        .held_by
                        .iter()
                        .any(|h| reached[h.0] && live(h.0))
            });
            match next {
                Some(i) => reached[i] = true,
                None => break,
            }
        }
        (0..self.objects.len())
            .filter(|&i| live(i) && !reached[i] && self.objects[i].true_refs > 0)
            .collect()
    }

    /// Whether object `i` reaches itself through references stored in objects.
    fn on_cycle(&self, i: usize) -> bool {
        let mut seen = vec![false; self.objects.len()];
        let mut todo: Vec<usize> = self.objects[i].held_by.iter().map(|h| h.0).collect();
        while let Some(h) = todo.pop() {
            if h == i {
                return true;
            }
            if !std::mem::replace(&mut seen[h], true) {
                todo.extend(self.objects[h].held_by.iter().map(|g| g.0));
            }
        }
        false
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
            held_by: Vec::new(),
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

/// Ghost bookkeeping: a field of `holder` now holds a reference to `obj` (`a.attr = b`: the
/// store takes a new reference that belongs to `a`, not to the thread that made it).
pub fn store_ref(holder: Obj, obj: Obj) {
    let exec = exec::current();
    let mut s = exec.state();
    let o = &mut s.heap.objects[obj.0];
    o.true_refs += 1;
    o.held_by.push(holder);
}

/// Ghost bookkeeping: `holder` gave up a reference to `obj` it held in a field.
pub fn clear_ref(holder: Obj, obj: Obj) {
    let exec = exec::current();
    let mut s = exec.state();
    let o = &mut s.heap.objects[obj.0];
    let at = o
        .held_by
        .iter()
        .position(|&h| h == holder)
        .expect("clear_ref: the holder holds a reference to the object");
    o.held_by.remove(at);
    o.true_refs -= 1;
}

/// How many references really point to the object (threads' and objects').
pub fn true_refs(obj: Obj) -> i64 {
    let refs = exec::current().state().heap.objects[obj.0].true_refs;
    exec::observe_ghost(None, refs);
    refs
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
