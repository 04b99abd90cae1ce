//! `Atomic`: an atomic integer with explicit orderings, and `fence`.

use super::access::{
    field_name, record_init, record_read, record_rmw, record_write, touch, touch_before,
};
use super::context::{self, Backend};
use super::object::{self, Obj};
use super::race::AtomicAccess;
use super::var::{Word, overwrite, word};
use super::{Ordering, dispatch};
use std::sync::Arc;

/// An atomic integer with explicit orderings. Loom honours the orderings (C11 model);
/// shuttle treats every access as SeqCst.
pub struct Atomic {
    name: String,
    obj: Option<Obj>,
    inner: Arc<Word>,
    /// Reading it after the object is freed is allowed (see `field_readable_after_free`).
    readable_after_free: bool,
}

impl Atomic {
    pub fn new(name: &str, init: i64) -> Atomic {
        Atomic::build(None, name, init)
    }

    /// A field of a heap object: accessing it after the object is freed is a use after free.
    pub fn field(obj: Obj, field: &str, init: i64) -> Atomic {
        Atomic::build(Some(obj), field, init)
    }

    fn build(obj: Option<Obj>, field: &str, init: i64) -> Atomic {
        let name = field_name(obj, field);
        record_init(&name, init);
        let inner = Arc::new(word(init));
        if let Some(o) = obj {
            let field = inner.clone();
            object::on_free(o, Arc::new(move || overwrite(&field)));
        }
        Atomic {
            name,
            obj,
            inner,
            readable_after_free: false,
        }
    }

    /// A field that stays readable after its object is freed, as the free-threaded
    /// build's `ob_ref_shared` does for lock-free readers (freed memory keeps a reference
    /// count at that offset until QSBR says every reader has passed; PEP 703, mimalloc
    /// page reuse). Loads, and compare-exchanges that fail, may touch it after the free;
    /// any write is still a use after free.
    pub fn field_readable_after_free(obj: Obj, field: &str, init: i64) -> Atomic {
        Atomic {
            readable_after_free: true,
            ..Atomic::build(Some(obj), field, init)
        }
    }

    /// The object, for the use-after-free check of a read (none if reads are allowed).
    fn read_obj(&self) -> Option<Obj> {
        self.obj.filter(|_| !self.readable_after_free)
    }

    pub fn load(&self, action: &str, order: Ordering) -> i64 {
        touch_before(self.read_obj(), action);
        let v = dispatch!(&*self.inner, a => a.load(order));
        record_read(action, &self.name, v);
        context::race_atomic(&self.name, AtomicAccess::Load(order));
        touch(self.read_obj(), action);
        v
    }

    pub fn store(&self, action: &str, value: i64, order: Ordering) {
        touch_before(self.obj, action);
        dispatch!(&*self.inner, a => a.store(value, order));
        let before = context::last_value(&self.name); // after the store, as in `Var::write`
        record_write(action, &self.name, before, value);
        context::race_atomic(&self.name, AtomicAccess::Store(order));
        touch(self.obj, action);
    }

    /// Returns the previous value.
    pub fn fetch_add(&self, action: &str, delta: i64, order: Ordering) -> i64 {
        touch_before(self.obj, action);
        let prev = dispatch!(&*self.inner, a => a.fetch_add(delta, order));
        record_rmw(action, &self.name, prev, Some(prev + delta));
        context::race_atomic(&self.name, AtomicAccess::Rmw(order));
        touch(self.obj, action);
        prev
    }

    /// Returns the previous value.
    pub fn fetch_sub(&self, action: &str, delta: i64, order: Ordering) -> i64 {
        touch_before(self.obj, action);
        let prev = dispatch!(&*self.inner, a => a.fetch_sub(delta, order));
        record_rmw(action, &self.name, prev, Some(prev - delta));
        context::race_atomic(&self.name, AtomicAccess::Rmw(order));
        touch(self.obj, action);
        prev
    }

    /// `Ok(previous)` if the value was `current` and is now `new`, else `Err(actual)`.
    pub fn compare_exchange(
        &self,
        action: &str,
        current: i64,
        new: i64,
        success: Ordering,
        failure: Ordering,
    ) -> Result<i64, i64> {
        touch_before(self.read_obj(), action);
        let r = dispatch!(&*self.inner, a => a.compare_exchange(current, new, success, failure));
        match r {
            Ok(prev) => {
                record_rmw(action, &self.name, prev, Some(new));
                context::race_atomic(&self.name, AtomicAccess::Rmw(success));
            }
            Err(actual) => {
                record_rmw(action, &self.name, actual, None);
                context::race_atomic(&self.name, AtomicAccess::Load(failure));
            }
        }
        // A failed exchange only read the field.
        touch(if r.is_ok() { self.obj } else { self.read_obj() }, action);
        r
    }
}

/// A memory fence (loom models it; shuttle and std are sequentially consistent enough).
pub fn fence(order: Ordering) {
    match context::backend() {
        Backend::Loom => loom::sync::atomic::fence(order),
        Backend::Shuttle => shuttle::sync::atomic::fence(order),
        Backend::Std => std::sync::atomic::fence(order),
    }
    context::mark("fence");
    context::race_fence(order);
}
