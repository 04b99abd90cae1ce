//! `Mutex`: a lock whose taking and release are trace steps.

use super::access::{field_name, touch, touch_before};
use super::context;
use super::object::Obj;
use super::{Backed, backed, dispatch};
use std::ops::{Deref, DerefMut};

/// A mutex. Locking it and releasing it are trace steps ("holds gil", "releases gil").
pub struct Mutex<T> {
    pub(super) name: String,
    obj: Option<Obj>,
    inner: Backed<loom::sync::Mutex<T>, shuttle::sync::Mutex<T>, std::sync::Mutex<T>>,
}

/// Holds a `Mutex` until dropped.
pub struct MutexGuard<'a, T> {
    pub(super) mutex: &'a Mutex<T>,
    pub(super) inner: Option<GuardInner<'a, T>>,
    /// The protocol function that took the lock (`take_gil`), to name the release step.
    function: String,
}

pub(super) type GuardInner<'a, T> = Backed<
    loom::sync::MutexGuard<'a, T>,
    shuttle::sync::MutexGuard<'a, T>,
    std::sync::MutexGuard<'a, T>,
>;

impl<T> Mutex<T> {
    pub fn new(name: &str, value: T) -> Mutex<T> {
        Mutex::build(None, name, value)
    }

    /// A mutex inside a heap object (`ob_mutex`): locking a freed object is a use after free.
    pub fn field(obj: Obj, field: &str, value: T) -> Mutex<T> {
        Mutex::build(Some(obj), field, value)
    }

    fn build(obj: Option<Obj>, field: &str, value: T) -> Mutex<T> {
        let inner = backed!(
            loom: loom::sync::Mutex::new(value),
            shuttle: shuttle::sync::Mutex::new(value),
            std: std::sync::Mutex::new(value),
        );
        Mutex {
            name: field_name(obj, field),
            obj,
            inner,
        }
    }

    /// Block until the mutex is ours; the step is recorded once it is.
    pub fn lock(&self, action: &str) -> MutexGuard<'_, T> {
        touch_before(self.obj, action);
        let guard = MutexGuard {
            mutex: self,
            inner: Some(self.acquire()),
            function: action.split(':').next().unwrap_or(action).to_owned(),
        };
        context::record_noted(action, || format!("holds {}", self.name));
        touch(self.obj, action);
        guard
    }

    /// Take the mutex if it is free; `None` (and no step) if another thread holds it.
    pub fn try_lock(&self, action: &str) -> Option<MutexGuard<'_, T>> {
        touch_before(self.obj, action);
        let Some(inner) = (match &self.inner {
            Backed::Loom(m) => m.try_lock().ok().map(Backed::Loom),
            Backed::Shuttle(m) => m.try_lock().ok().map(Backed::Shuttle),
            Backed::Std(m) => m.try_lock().ok().map(Backed::Std),
        }) else {
            context::mark(&format!("try_lock {}: busy", self.name));
            return None;
        };
        context::lock_event(&self.name, context::LockEvent::Take);
        context::record_noted(action, || format!("holds {}", self.name));
        touch(self.obj, action);
        Some(MutexGuard {
            mutex: self,
            inner: Some(inner),
            function: action.split(':').next().unwrap_or(action).to_owned(),
        })
    }

    pub(super) fn acquire(&self) -> GuardInner<'_, T> {
        context::lock_event(&self.name, context::LockEvent::Want);
        context::next_may_block();
        let inner = self.acquire_inner();
        context::lock_event(&self.name, context::LockEvent::Take);
        // Taking a lock is a right mover: nobody else's step needs to come right after
        // it, unless what follows may block (then a deadlock could hide behind it).
        context::next_is_mover();
        inner
    }

    fn acquire_inner(&self) -> GuardInner<'_, T> {
        match &self.inner {
            Backed::Loom(m) => Backed::Loom(m.lock().unwrap_or_else(|e| e.into_inner())),
            Backed::Shuttle(m) => Backed::Shuttle(m.lock().unwrap_or_else(|e| e.into_inner())),
            Backed::Std(m) => Backed::Std(m.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        dispatch!(self.inner.as_ref().expect("guard is held"), g => g)
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        dispatch!(self.inner.as_mut().expect("guard is held"), g => g)
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // Recorded while still held, so the next holder's step comes after it. Unwinding
        // from a violation drops guards too; those releases are not part of the story.
        if self.inner.is_some() && !std::thread::panicking() {
            context::record_noted(
                &format!("{}: release {}", self.function, self.mutex.name),
                || format!("releases {}", self.mutex.name),
            );
            context::lock_event(&self.mutex.name, context::LockEvent::Release);
            // Letting a lock go is a left mover: nobody else's step needs to come first.
            context::next_is_mover();
            drop(self.inner.take());
            context::mark(&format!("unlocked {}", self.mutex.name));
        }
    }
}
