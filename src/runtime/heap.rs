//! A ghost object heap, as plain data: which modelled objects are live, and how many
//! references really point to each (whatever the modelled count says): held by the
//! model's threads, or stored in another object's field. Its methods say what went wrong
//! (a double free, a use after free, a leak); `object` reports it as a property.
//!
//! Objects are never really freed: a freed object's fields stay readable so that an
//! execution can go on past a use after free when another property is under check.

use std::sync::Arc;

/// What freeing an object does to one of its fields (a write the checkers can see).
pub(crate) type Overwrite = Arc<dyn Fn() + Send + Sync>;

/// A handle to a modelled object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Obj(usize);

struct Object {
    name: String,
    freed: bool,
    /// What freeing does to each field (see `on_free`).
    on_free: Vec<Overwrite>,
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

/// An object just freed: what to tell the trace and the checkers.
pub(crate) struct Freed {
    pub name: String,
    /// It had been freed before.
    pub again: bool,
    /// References still held to it.
    pub refs: i64,
    pub overwrites: Vec<Overwrite>,
}

impl Heap {
    pub(crate) fn alloc(&mut self, name: &str, refs: i64) -> Obj {
        self.objects.push(Object {
            name: name.to_owned(),
            freed: false,
            on_free: Vec::new(),
            true_refs: refs,
            held_by: Vec::new(),
        });
        Obj(self.objects.len() - 1)
    }

    pub(crate) fn on_free(&mut self, obj: Obj, overwrite: Overwrite) {
        self.objects[obj.0].on_free.push(overwrite);
    }

    /// Every object so far: its name, whether it was freed, and the references that
    /// really point to it (for `gilspec explore`'s view of the state).
    pub(crate) fn objects(&self) -> Vec<(String, bool, i64)> {
        self.objects
            .iter()
            .map(|o| (o.name.clone(), o.freed, o.true_refs))
            .collect()
    }

    pub(crate) fn name(&self, obj: Obj) -> &str {
        &self.objects[obj.0].name
    }

    pub(crate) fn true_refs(&self, obj: Obj) -> i64 {
        self.objects[obj.0].true_refs
    }

    /// A thread took (`delta` 1) or gave up (-1) a reference.
    pub(crate) fn thread_ref(&mut self, obj: Obj, delta: i64) {
        self.objects[obj.0].true_refs += delta;
    }

    /// A field of `holder` now holds a reference to `obj`.
    pub(crate) fn store_ref(&mut self, holder: Obj, obj: Obj) {
        let o = &mut self.objects[obj.0];
        o.true_refs += 1;
        o.held_by.push(holder);
    }

    /// `holder` gave up a reference to `obj` it held in a field.
    pub(crate) fn clear_ref(&mut self, holder: Obj, obj: Obj) {
        let o = &mut self.objects[obj.0];
        let at = o
            .held_by
            .iter()
            .position(|&h| h == holder)
            .expect("clear_ref: the holder holds a reference to the object");
        o.held_by.remove(at);
        o.true_refs -= 1;
    }

    pub(crate) fn free(&mut self, obj: Obj) -> Freed {
        let o = &mut self.objects[obj.0];
        let again = std::mem::replace(&mut o.freed, true);
        Freed {
            name: o.name.clone(),
            again,
            refs: o.true_refs,
            overwrites: o.on_free.clone(),
        }
    }

    /// An access to one of the object's fields: what is wrong with it, if the object is
    /// gone.
    pub(crate) fn touch(&self, obj: Obj, what: &str) -> Option<String> {
        let o = &self.objects[obj.0];
        o.freed
            .then(|| format!("{what} touches {} after it was freed", o.name))
    }

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
