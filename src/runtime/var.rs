//! `Var`: deliberately non-atomic shared memory, such as `ob_refcnt`.

use super::access::{field_name, record_init, record_read, record_write, touch, touch_before};
use super::context::{self, Backend};
use super::object::{self, Obj};
use super::{Backed, Ordering, backed, dispatch};
use std::sync::Arc;

/// Deliberately non-atomic shared memory: a C `Py_ssize_t` field such as `ob_refcnt`.
///
/// Every read and every write is a separate step, so the checkers can switch threads between
/// the load and the store of an increment. Under loom, while `no_data_race` is under check,
/// it is a `loom::cell::UnsafeCell` and an unsynchronised access is a causality violation;
/// otherwise it behaves like a relaxed word access, so the race's outcome can be seen.
/// Under shuttle it is a scheduling point before each access, and the runtime's own
/// detector (`race`) checks each access against happens-before.
pub struct Var {
    name: String,
    obj: Option<Obj>,
    inner: Arc<VarInner>,
}

pub(super) type Word = Backed<
    loom::sync::atomic::AtomicI64,
    shuttle::sync::atomic::AtomicI64,
    std::sync::atomic::AtomicI64,
>;

enum VarInner {
    RaceChecked(loom::cell::UnsafeCell<i64>),
    Word(Word),
}

// SAFETY: every variant but `RaceChecked` is an atomic. That one exists only under loom,
// whose model threads are coroutines on one OS thread, and loom's causality checker
// reports every unsynchronised access to it as a failure: sharing it is the point.
unsafe impl Sync for VarInner {}
// SAFETY: as above; the loom cell is only touched from loom's own coroutines.
unsafe impl Send for VarInner {}

/// What freeing an object does to a field of it: a write of its own value (the allocator
/// reuses the memory), which the checkers see conflict with any access. Real threads
/// need no such write.
pub(super) fn overwrite(word: &Word) {
    match word {
        Backed::Loom(a) => {
            a.fetch_add(0, Ordering::Relaxed);
        }
        Backed::Shuttle(a) => {
            a.fetch_add(0, Ordering::Relaxed);
        }
        Backed::Std(_) => {}
    }
    context::mark("freed memory overwritten");
}

pub(super) fn word(init: i64) -> Word {
    backed!(
        loom: loom::sync::atomic::AtomicI64::new(init),
        shuttle: shuttle::sync::atomic::AtomicI64::new(init),
        std: std::sync::atomic::AtomicI64::new(init),
    )
}

impl VarInner {
    fn overwrite(&self) {
        match self {
            // A mutable access: loom reports it if it races with another.
            VarInner::RaceChecked(c) => {
                c.with_mut(|_| {});
                context::mark("freed memory overwritten");
            }
            VarInner::Word(w) => overwrite(w),
        }
    }
}

impl Var {
    /// A free-standing shared variable.
    pub fn new(name: &str, init: i64) -> Var {
        Var::build(None, name, init)
    }

    /// A field of a heap object: accessing it after the object is freed is a use after free.
    pub fn field(obj: Obj, field: &str, init: i64) -> Var {
        Var::build(Some(obj), field, init)
    }

    fn build(obj: Option<Obj>, field: &str, init: i64) -> Var {
        let name = field_name(obj, field);
        let exec = context::current();
        let inner = if exec.backend == Backend::Loom && exec.race_detection() {
            VarInner::RaceChecked(loom::cell::UnsafeCell::new(init))
        } else {
            VarInner::Word(word(init))
        };
        record_init(&name, init);
        let inner = Arc::new(inner);
        if let Some(o) = obj {
            let (field, name) = (inner.clone(), name.clone());
            object::on_free(
                o,
                Arc::new(move || {
                    field.overwrite();
                    context::race_var(&name, true);
                }),
            );
        }
        Var { name, obj, inner }
    }

    pub fn read(&self, action: &str) -> i64 {
        touch_before(self.obj, action);
        let value = match &*self.inner {
            // SAFETY: loom checks this access against every other one and panics on a race.
            VarInner::RaceChecked(c) => c.with(|p| unsafe { *p }),
            VarInner::Word(w) => dispatch!(w, a => a.load(Ordering::Relaxed)),
        };
        record_read(action, &self.name, value);
        context::race_var(&self.name, false);
        touch(self.obj, action);
        value
    }

    pub fn write(&self, action: &str, value: i64) {
        touch_before(self.obj, action);
        match &*self.inner {
            // SAFETY: as in `read`.
            VarInner::RaceChecked(c) => c.with_mut(|p| unsafe { *p = value }),
            VarInner::Word(w) => dispatch!(w, a => a.store(value, Ordering::Relaxed)),
        }
        // Read after the store: the checkers may switch threads inside it, and no thread
        // runs between its return and this line.
        let before = context::last_value(&self.name);
        record_write(action, &self.name, before, value);
        context::race_var(&self.name, true);
        touch(self.obj, action);
    }
}
