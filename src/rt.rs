//! The primitives models are written against. Each one dispatches, at run time, to loom,
//! shuttle or std, whichever backend the current run uses, so one model source runs under
//! every checker. Every operation on shared state records a trace step named by the model
//! (`incref: load`) with the values it read and wrote.
//!
//! Models use only this module and `heap`; they never name loom or shuttle.

use crate::exec::{self, Backend};
use crate::heap::{self, Obj};
use crate::trace::Access;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

pub use std::sync::atomic::Ordering;

fn backend() -> Backend {
    exec::current().backend
}

// ---------------------------------------------------------------------------------------
// Threads

/// The name of the calling model thread, as given to `spawn`; the model's root is "main".
pub fn thread_name() -> String {
    fn model_name(name: Option<&str>) -> String {
        match name {
            None | Some("main-thread") => "main".to_owned(),
            Some(n) => n.to_owned(),
        }
    }
    // Called at every step: one allocation, not three.
    match backend() {
        Backend::Loom => model_name(loom::thread::current().name()),
        Backend::Shuttle => model_name(shuttle::thread::current().name()),
        Backend::Std => model_name(std::thread::current().name()),
    }
}

/// A model thread that can be joined.
pub struct JoinHandle {
    name: String,
    inner: JoinInner,
}

enum JoinInner {
    Loom(loom::thread::JoinHandle<()>),
    Shuttle(shuttle::thread::JoinHandle<()>),
    Std(std::thread::JoinHandle<()>),
}

/// The calling model thread finishes: time passes for the timed waiters.
fn exit_thread() {
    exec::set_live(&thread_name(), false);
    exec::time_passes();
}

/// Start a model thread named `name` (the name appears in every trace step it takes).
pub fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle {
    exec::set_live(name, true);
    // Real threads may take steps before `spawn` returns: record the spawn first. Under
    // the checkers the child runs only at a later scheduling point, and recording after
    // the spawn keeps a script's steps in line with the checker's scheduling points.
    let spawn_step = format!("spawn {name}");
    if backend() == Backend::Std {
        exec::record(&spawn_step, vec![], None);
    }
    let inner = match backend() {
        Backend::Loom => JoinInner::Loom(
            loom::thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || {
                    // Running up to its first operation is a move of its own.
                    exec::mark("start");
                    f();
                    exit_thread();
                })
                .expect("loom spawn"),
        ),
        Backend::Shuttle => JoinInner::Shuttle(
            shuttle::thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || {
                    // Running up to its first operation is a move of its own.
                    exec::mark("start");
                    f();
                    exit_thread();
                })
                .expect("shuttle spawn"),
        ),
        Backend::Std => {
            let exec = exec::current();
            JoinInner::Std(
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || exec.enter(f))
                    .expect("std spawn"),
            )
        }
    };
    if !matches!(inner, JoinInner::Std(_)) {
        exec::record(&spawn_step, vec![], None);
    }
    JoinHandle {
        name: name.to_owned(),
        inner,
    }
}

impl JoinHandle {
    /// Wait for the thread to finish. A panic in it (a violated property) carries on here.
    pub fn join(self) {
        exec::time_passes();
        exec::next_may_block();
        exec::set_blocked(Some(format!("joins {}", self.name)));
        let result = match self.inner {
            JoinInner::Loom(h) => h.join(),
            JoinInner::Shuttle(h) => h.join(),
            JoinInner::Std(h) => h.join(),
        };
        exec::set_blocked(None);
        if let Err(payload) = result {
            std::panic::resume_unwind(payload);
        }
        exec::record(&format!("join {}", self.name), vec![], None);
    }
}

/// A scheduling point with no effect: lets the checkers switch threads here. Retry and spin
/// loops must call it, or loom's unfair scheduler runs one thread forever.
pub fn yield_now() {
    match backend() {
        Backend::Loom => loom::thread::yield_now(),
        Backend::Shuttle => shuttle::thread::yield_now(),
        Backend::Std => std::thread::yield_now(),
    }
    exec::mark("yield");
    exec::loop_head("yield");
}

/// This thread got to `situation`, one of those its model's properties are about (see
/// `model::Situation`). Not a step and not a scheduling point: only a note that the
/// checker got here, so that a "holds" can say it was not vacuous.
pub fn reach(situation: crate::model::Situation) {
    exec::reach(situation.0);
}

/// Run `body` on each of `items` in turn: a thread's outermost loop, such as a worker
/// running its program.
///
/// The stateful search knows a thread's local state only by the history of what it
/// observed. Here it can know more: `body` is `Fn`, so nothing carries over from one item
/// to the next except shared state, which the search sees anyway. At the start of item
/// `i` the thread's local state is determined by its state when `each` began and by `i`;
/// after the last item, by that state alone. So the history is set to exactly that, and
/// two paths that ran the earlier items differently meet again (`docs/reduction.md`).
/// A body must not smuggle state from one item to the next in a `Cell` or a `RefCell`.
pub fn each<T: Copy>(label: &str, items: &[T], body: impl Fn(T)) {
    let entry = exec::history();
    for (i, &item) in items.iter().enumerate() {
        exec::forget_history(exec::hash128(&("each", label, entry, i)));
        body(item);
    }
    exec::forget_history(exec::hash128(&("each done", label, entry)));
}

// ---------------------------------------------------------------------------------------
// Shared values

/// The name a field of an object has in traces: `foo.ob_refcnt`.
fn field_name(obj: Option<Obj>, field: &str) -> String {
    match obj {
        Some(o) => format!("{}.{field}", heap::name(o)),
        None => field.to_owned(),
    }
}

fn record_init(var: &str, value: i64) {
    // The initial value is not a step of its own: it is part of the step that created the
    // object or the shared state, and later writes show it as their "before".
    let exec = exec::current();
    exec.state().values.insert(var.to_owned(), value);
}

fn record_read(action: &str, var: &str, value: i64) {
    // Under loom's memory model a load may return an older store than the latest one (the
    // threads run in parallel); say so, or the trace would look impossible.
    let note = exec::tracing()
        .then(|| exec::last_value(var))
        .flatten()
        .filter(|&latest| latest != value)
        .map(|latest| format!("stale read: the latest store to {var} is {latest}"));
    exec::record(
        action,
        vec![Access::Read {
            var: var.to_owned(),
            value,
        }],
        note,
    );
}

fn record_write(action: &str, var: &str, before: Option<i64>, after: i64) {
    exec::record(
        action,
        vec![Access::Write {
            var: var.to_owned(),
            before,
            after,
        }],
        None,
    );
}

fn record_rmw(action: &str, var: &str, read: i64, written: Option<i64>) {
    let mut accesses = vec![Access::Read {
        var: var.to_owned(),
        value: read,
    }];
    if let Some(after) = written {
        accesses.push(Access::Write {
            var: var.to_owned(),
            before: Some(read),
            after,
        });
    }
    exec::record(action, accesses, None);
}

/// Use-after-free checks. Under the checkers, after the access: the scheduling point
/// that precedes it may let another thread free the object first. On real threads,
/// before it: the access and its bookkeeping are not one step there, and checking after
/// could blame an access that really came before the free.
fn touch(obj: Option<Obj>, action: &str) {
    if let Some(o) = obj.filter(|_| backend() != Backend::Std) {
        heap::touch(o, action);
    }
}

fn touch_before(obj: Option<Obj>, action: &str) {
    if let Some(o) = obj.filter(|_| backend() == Backend::Std) {
        heap::touch(o, action);
    }
}

/// Deliberately non-atomic shared memory: a C `Py_ssize_t` field such as `ob_refcnt`.
///
/// Every read and every write is a separate step, so the checkers can switch threads between
/// the load and the store of an increment. Under loom, while `no_data_race` is under check,
/// it is a `loom::cell::UnsafeCell` and an unsynchronised access is a causality violation;
/// otherwise it behaves like a relaxed word access, so the race's outcome can be seen.
/// Shuttle has no race detector: there it is a scheduling point before each access.
pub struct Var {
    name: String,
    obj: Option<Obj>,
    inner: Arc<VarInner>,
}

enum VarInner {
    LoomRaceChecked(loom::cell::UnsafeCell<i64>),
    Loom(loom::sync::atomic::AtomicI64),
    Shuttle(shuttle::sync::atomic::AtomicI64),
    Std(std::sync::atomic::AtomicI64),
}

// SAFETY: every variant but `LoomRaceChecked` is an atomic. That one exists only under
// loom, whose model threads are coroutines on one OS thread, and loom's causality checker
// reports every unsynchronised access to it as a failure: sharing it is the point.
unsafe impl Sync for VarInner {}
// SAFETY: as above; the loom cell is only touched from loom's own coroutines.
unsafe impl Send for VarInner {}

impl VarInner {
    /// What freeing the object does to this field: a write of its own value (the
    /// allocator reuses the memory), which the checkers see conflict with any access.
    fn overwrite(&self) {
        match self {
            // A mutable access: loom reports it if it races with another.
            VarInner::LoomRaceChecked(c) => c.with_mut(|_| {}),
            VarInner::Loom(a) => {
                a.fetch_add(0, Ordering::Relaxed);
            }
            VarInner::Shuttle(a) => {
                a.fetch_add(0, Ordering::Relaxed);
            }
            VarInner::Std(_) => {}
        }
        exec::mark("freed memory overwritten");
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
        let exec = exec::current();
        let inner = match exec.backend {
            Backend::Loom if exec.race_detection() => {
                VarInner::LoomRaceChecked(loom::cell::UnsafeCell::new(init))
            }
            Backend::Loom => VarInner::Loom(loom::sync::atomic::AtomicI64::new(init)),
            Backend::Shuttle => VarInner::Shuttle(shuttle::sync::atomic::AtomicI64::new(init)),
            Backend::Std => VarInner::Std(std::sync::atomic::AtomicI64::new(init)),
        };
        record_init(&name, init);
        let inner = Arc::new(inner);
        if let Some(o) = obj {
            let field = inner.clone();
            heap::on_free(o, Arc::new(move || field.overwrite()));
        }
        Var { name, obj, inner }
    }

    pub fn read(&self, action: &str) -> i64 {
        touch_before(self.obj, action);
        let value = match &*self.inner {
            // SAFETY: loom checks this access against every other one and panics on a race.
            VarInner::LoomRaceChecked(c) => c.with(|p| unsafe { *p }),
            VarInner::Loom(a) => a.load(Ordering::Relaxed),
            VarInner::Shuttle(a) => a.load(Ordering::Relaxed),
            VarInner::Std(a) => a.load(Ordering::Relaxed),
        };
        record_read(action, &self.name, value);
        touch(self.obj, action);
        value
    }

    pub fn write(&self, action: &str, value: i64) {
        touch_before(self.obj, action);
        match &*self.inner {
            // SAFETY: as in `read`.
            VarInner::LoomRaceChecked(c) => c.with_mut(|p| unsafe { *p = value }),
            VarInner::Loom(a) => a.store(value, Ordering::Relaxed),
            VarInner::Shuttle(a) => a.store(value, Ordering::Relaxed),
            VarInner::Std(a) => a.store(value, Ordering::Relaxed),
        }
        // Read after the store: the checkers may switch threads inside it, and no thread
        // runs between its return and this line.
        let before = exec::last_value(&self.name);
        record_write(action, &self.name, before, value);
        touch(self.obj, action);
    }
}

/// An atomic integer with explicit orderings. Loom honours the orderings (C11 model);
/// shuttle treats every access as SeqCst.
pub struct Atomic {
    name: String,
    obj: Option<Obj>,
    inner: Arc<AtomicInner>,
    /// Reading it after the object is freed is allowed (see `field_readable_after_free`).
    readable_after_free: bool,
}

enum AtomicInner {
    Loom(loom::sync::atomic::AtomicI64),
    Shuttle(shuttle::sync::atomic::AtomicI64),
    Std(std::sync::atomic::AtomicI64),
}

impl AtomicInner {
    /// What freeing the object does to this field (see `VarInner::overwrite`).
    fn overwrite(&self) {
        match self {
            AtomicInner::Loom(a) => {
                a.fetch_add(0, Ordering::Relaxed);
            }
            AtomicInner::Shuttle(a) => {
                a.fetch_add(0, Ordering::Relaxed);
            }
            AtomicInner::Std(_) => {}
        }
        exec::mark("freed memory overwritten");
    }
}

macro_rules! on_atomic {
    ($self:expr, $a:ident => $e:expr) => {
        match &*$self.inner {
            AtomicInner::Loom($a) => $e,
            AtomicInner::Shuttle($a) => $e,
            AtomicInner::Std($a) => $e,
        }
    };
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
        let inner = match backend() {
            Backend::Loom => AtomicInner::Loom(loom::sync::atomic::AtomicI64::new(init)),
            Backend::Shuttle => AtomicInner::Shuttle(shuttle::sync::atomic::AtomicI64::new(init)),
            Backend::Std => AtomicInner::Std(std::sync::atomic::AtomicI64::new(init)),
        };
        record_init(&name, init);
        let inner = Arc::new(inner);
        if let Some(o) = obj {
            let field = inner.clone();
            heap::on_free(o, Arc::new(move || field.overwrite()));
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
        let v = on_atomic!(self, a => a.load(order));
        record_read(action, &self.name, v);
        touch(self.read_obj(), action);
        v
    }

    pub fn store(&self, action: &str, value: i64, order: Ordering) {
        touch_before(self.obj, action);
        on_atomic!(self, a => a.store(value, order));
        let before = exec::last_value(&self.name); // after the store, as in `Var::write`
        record_write(action, &self.name, before, value);
        touch(self.obj, action);
    }

    /// Returns the previous value.
    pub fn fetch_add(&self, action: &str, delta: i64, order: Ordering) -> i64 {
        touch_before(self.obj, action);
        let prev = on_atomic!(self, a => a.fetch_add(delta, order));
        record_rmw(action, &self.name, prev, Some(prev + delta));
        touch(self.obj, action);
        prev
    }

    /// Returns the previous value.
    pub fn fetch_sub(&self, action: &str, delta: i64, order: Ordering) -> i64 {
        touch_before(self.obj, action);
        let prev = on_atomic!(self, a => a.fetch_sub(delta, order));
        record_rmw(action, &self.name, prev, Some(prev - delta));
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
        let r = on_atomic!(self, a => a.compare_exchange(current, new, success, failure));
        match r {
            Ok(prev) => record_rmw(action, &self.name, prev, Some(new)),
            Err(actual) => record_rmw(action, &self.name, actual, None),
        }
        // A failed exchange only read the field.
        touch(if r.is_ok() { self.obj } else { self.read_obj() }, action);
        r
    }
}

/// A memory fence (loom models it; shuttle and std are sequentially consistent enough).
pub fn fence(order: Ordering) {
    match backend() {
        Backend::Loom => loom::sync::atomic::fence(order),
        Backend::Shuttle => shuttle::sync::atomic::fence(order),
        Backend::Std => std::sync::atomic::fence(order),
    }
    exec::mark("fence");
}

// ---------------------------------------------------------------------------------------
// Locks

/// A mutex. Locking it and releasing it are trace steps ("holds gil", "releases gil").
pub struct Mutex<T> {
    name: String,
    obj: Option<Obj>,
    inner: MutexInner<T>,
}

enum MutexInner<T> {
    Loom(loom::sync::Mutex<T>),
    Shuttle(shuttle::sync::Mutex<T>),
    Std(std::sync::Mutex<T>),
}

/// Holds a `Mutex` until dropped.
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    inner: Option<GuardInner<'a, T>>,
    /// The protocol function that took the lock (`take_gil`), to name the release step.
    function: String,
}

enum GuardInner<'a, T> {
    Loom(loom::sync::MutexGuard<'a, T>),
    Shuttle(shuttle::sync::MutexGuard<'a, T>),
    Std(std::sync::MutexGuard<'a, T>),
}

impl<T> Mutex<T> {
    pub fn new(name: &str, value: T) -> Mutex<T> {
        Mutex::build(None, name, value)
    }

    /// A mutex inside a heap object (`ob_mutex`): locking a freed object is a use after free.
    pub fn field(obj: Obj, field: &str, value: T) -> Mutex<T> {
        Mutex::build(Some(obj), field, value)
    }

    fn build(obj: Option<Obj>, field: &str, value: T) -> Mutex<T> {
        let inner = match backend() {
            Backend::Loom => MutexInner::Loom(loom::sync::Mutex::new(value)),
            Backend::Shuttle => MutexInner::Shuttle(shuttle::sync::Mutex::new(value)),
            Backend::Std => MutexInner::Std(std::sync::Mutex::new(value)),
        };
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
        exec::record_noted(action, || format!("holds {}", self.name));
        touch(self.obj, action);
        guard
    }

    /// Take the mutex if it is free; `None` (and no step) if another thread holds it.
    pub fn try_lock(&self, action: &str) -> Option<MutexGuard<'_, T>> {
        touch_before(self.obj, action);
        let Some(inner) = (match &self.inner {
            MutexInner::Loom(m) => m.try_lock().ok().map(GuardInner::Loom),
            MutexInner::Shuttle(m) => m.try_lock().ok().map(GuardInner::Shuttle),
            MutexInner::Std(m) => m.try_lock().ok().map(GuardInner::Std),
        }) else {
            exec::mark(&format!("try_lock {}: busy", self.name));
            return None;
        };
        exec::lock_event(&self.name, exec::LockEvent::Take);
        exec::record_noted(action, || format!("holds {}", self.name));
        touch(self.obj, action);
        Some(MutexGuard {
            mutex: self,
            inner: Some(inner),
            function: action.split(':').next().unwrap_or(action).to_owned(),
        })
    }

    fn acquire(&self) -> GuardInner<'_, T> {
        exec::lock_event(&self.name, exec::LockEvent::Want);
        exec::next_may_block();
        let inner = self.acquire_inner();
        exec::lock_event(&self.name, exec::LockEvent::Take);
        // Taking a lock is a right mover: nobody else's step needs to come right after
        // it, unless what follows may block (then a deadlock could hide behind it).
        exec::next_is_mover();
        inner
    }

    fn acquire_inner(&self) -> GuardInner<'_, T> {
        match &self.inner {
            MutexInner::Loom(m) => GuardInner::Loom(m.lock().unwrap_or_else(|e| e.into_inner())),
            MutexInner::Shuttle(m) => {
                GuardInner::Shuttle(m.lock().unwrap_or_else(|e| e.into_inner()))
            }
            MutexInner::Std(m) => GuardInner::Std(m.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self.inner.as_ref().expect("guard is held") {
            GuardInner::Loom(g) => g,
            GuardInner::Shuttle(g) => g,
            GuardInner::Std(g) => g,
        }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        match self.inner.as_mut().expect("guard is held") {
            GuardInner::Loom(g) => g,
            GuardInner::Shuttle(g) => g,
            GuardInner::Std(g) => g,
        }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // Recorded while still held, so the next holder's step comes after it. Unwinding
        // from a violation drops guards too; those releases are not part of the story.
        if self.inner.is_some() && !std::thread::panicking() {
            exec::record_noted(
                &format!("{}: release {}", self.function, self.mutex.name),
                || format!("releases {}", self.mutex.name),
            );
            exec::lock_event(&self.mutex.name, exec::LockEvent::Release);
            // Letting a lock go is a left mover: nobody else's step needs to come first.
            exec::next_is_mover();
            drop(self.inner.take());
            exec::mark(&format!("unlocked {}", self.mutex.name));
        }
    }
}

/// A thread asleep in a timed wait. It sleeps on a channel of its own rather than on the
/// condition variable, so that neither a signal nor its deadline can be lost in the
/// moment between its letting go of the mutex and its falling asleep.
pub(crate) struct Sleep {
    pub(crate) thread: String,
    woken: std::sync::atomic::AtomicBool,
    tx: SleepTx,
}

enum SleepTx {
    Loom(loom::sync::mpsc::Sender<bool>),
    Shuttle(shuttle::sync::mpsc::Sender<bool>),
}

enum SleepRx {
    Loom(loom::sync::mpsc::Receiver<bool>),
    Shuttle(shuttle::sync::mpsc::Receiver<bool>),
}

impl Sleep {
    fn new() -> (Arc<Sleep>, SleepRx) {
        let (tx, rx) = match backend() {
            Backend::Loom => {
                let (tx, rx) = loom::sync::mpsc::channel();
                (SleepTx::Loom(tx), SleepRx::Loom(rx))
            }
            _ => {
                let (tx, rx) = shuttle::sync::mpsc::channel();
                (SleepTx::Shuttle(tx), SleepRx::Shuttle(rx))
            }
        };
        let sleep = Sleep {
            thread: thread_name(),
            woken: std::sync::atomic::AtomicBool::new(false),
            tx,
        };
        (Arc::new(sleep), rx)
    }

    /// Claim the sleeper for waking (only one waker may): false if already claimed.
    /// `deadline` says whether its time ran out (or a signal came); the wakeup it will get
    /// is state from now on.
    fn claim(&self, deadline: bool) -> bool {
        let claimed = !self.woken.swap(true, std::sync::atomic::Ordering::Relaxed);
        if claimed {
            exec::pending_wake(&self.thread, deadline);
        }
        claimed
    }

    /// Claim the sleeper for a signal (see `claim`).
    pub(crate) fn claim_signal(&self) -> bool {
        self.claim(false)
    }

    /// Wake the sleeper, once. Sending is a scheduling point: never call it holding a std
    /// lock.
    pub(crate) fn wake(&self, deadline: bool) {
        if self.claim(deadline) {
            self.send(deadline);
        }
    }

    fn send(&self, deadline: bool) {
        // A send to a sleeper's own channel is a left mover, as letting a lock go is.
        exec::next_is_mover();
        match &self.tx {
            SleepTx::Loom(tx) => tx.send(deadline).expect("the sleeper waits"),
            SleepTx::Shuttle(tx) => tx.send(deadline).expect("the sleeper waits"),
        }
        exec::mark(&format!("woke {}", self.thread));
    }
}

impl SleepRx {
    /// Sleep until woken; true if by the deadline.
    fn sleep(self) -> bool {
        match self {
            SleepRx::Loom(rx) => rx.recv().expect("a waker"),
            SleepRx::Shuttle(rx) => rx.recv().expect("a waker"),
        }
    }
}

/// A condition variable as POSIX defines it: `wait` may return without a notification
/// (a spurious wakeup, when the run allows them: an explored event, since neither checker
/// produces one) and `wait_timeout` may time out (see there).
///
/// Under shuttle every waiter sleeps on a channel of its own (a `Sleep`) and the queue of
/// waiters is ghost state the runtime keeps, oldest first: `notify_one` wakes the oldest,
/// as loom's condition variable does. Shuttle's own condition variable keeps state we
/// cannot see (which waiter holds which signal), and the stateful search must see it all.
pub struct Condvar {
    name: String,
    inner: CondvarInner,
}

enum CondvarInner {
    Loom(loom::sync::Condvar),
    Shuttle,
    Std(std::sync::Condvar),
}

impl Condvar {
    pub fn new(name: &str) -> Condvar {
        let inner = match backend() {
            Backend::Loom => CondvarInner::Loom(loom::sync::Condvar::new()),
            Backend::Shuttle => CondvarInner::Shuttle,
            Backend::Std => CondvarInner::Std(std::sync::Condvar::new()),
        };
        Condvar {
            name: name.to_owned(),
            inner,
        }
    }

    /// Release the guard's mutex, wait for a notification (or a spurious wakeup, when the
    /// run allows them), re-take the mutex. Callers must re-check their predicate.
    pub fn wait<'a, T>(&self, action: &str, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        exec::loop_head(action);
        self.wait_untimed(action, guard)
    }

    fn wait_untimed<'a, T>(&self, action: &str, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let event = exec::wait_event(false);
        if event {
            return self.wait_or_event(action, guard, Some("spurious wakeup"));
        }
        exec::time_passes();
        exec::set_blocked(Some(format!("waits on {}", self.name)));
        let guard = match self.inner {
            CondvarInner::Shuttle => self.sleep(action, guard, false).0,
            _ => self.wait_or_event(action, guard, None),
        };
        exec::set_blocked(None);
        guard
    }

    /// As `wait`, but the wait may also end because its deadline passed: the second value
    /// says whether it timed out. There is no clock. A deadline passes early (before the
    /// thread even sleeps) at the waits the checkers choose, up to the run's budget; and it
    /// passes for every sleeping timed waiter whenever another thread blocks or exits
    /// (`exec::time_passes`). So a timed wait never sleeps forever while others are stuck.
    pub fn wait_timeout<'a, T>(
        &self,
        action: &str,
        mut guard: MutexGuard<'a, T>,
    ) -> (MutexGuard<'a, T>, bool) {
        if let (CondvarInner::Std(c), Some(GuardInner::Std(_))) = (&self.inner, &guard.inner) {
            // Real threads, real time: a millisecond stands for CPython's 5 ms interval.
            let Some(GuardInner::Std(g)) = guard.inner.take() else {
                unreachable!()
            };
            let (g, result) = c
                .wait_timeout(g, std::time::Duration::from_millis(1))
                .unwrap_or_else(|e| e.into_inner());
            guard.inner = Some(GuardInner::Std(g));
            return (guard, result.timed_out());
        }
        exec::loop_head(action);
        if exec::wait_event(true) {
            return (self.wait_or_event(action, guard, Some("timed out")), true);
        }
        if !exec::current().waits.timeouts {
            // No deadlines: a plain wait, as loom's and shuttle's own timed waits are.
            return (self.wait_untimed(action, guard), false);
        }
        self.sleep(action, guard, true)
    }

    /// Sleep on a channel of one's own until a signal (or, `timed`, the deadline) wakes
    /// us; the second value says whether the deadline did.
    fn sleep<'a, T>(
        &self,
        action: &str,
        mut guard: MutexGuard<'a, T>,
        timed: bool,
    ) -> (MutexGuard<'a, T>, bool) {
        let (sleep, rx) = Sleep::new();
        let what = format!("waits on {}", self.name);
        if timed && !exec::sleep_timed(&sleep, &what) {
            return (self.wait_or_event(action, guard, Some("timed out")), true);
        }
        exec::cv_wait(&self.name, &sleep);
        let mutex = guard.mutex;
        let how = if timed { " with a timeout" } else { "" };
        exec::record_noted(action, || format!("{what}{how}, releasing {}", mutex.name));
        exec::lock_event(&mutex.name, exec::LockEvent::Release);
        exec::next_is_mover();
        drop(guard.inner.take());
        exec::mark(&format!("released {}", mutex.name));
        exec::next_may_block();
        let timed_out = rx.sleep();
        drop(sleep); // only now: the channel is ours (see `exec::Sleeper`)
        exec::mark(if timed_out { "deadline" } else { "signalled" });
        exec::woke();
        guard.inner = Some(mutex.acquire());
        let outcome = if timed_out { "timed out" } else { "woken" };
        exec::record_noted(&format!("{action}: {outcome}"), || {
            format!("holds {}", mutex.name)
        });
        (guard, timed_out)
    }

    /// Wait on loom's or std's condition variable, unless `event` (an explored early
    /// timeout or spurious wakeup) says to let go of the mutex and take it again without
    /// waiting.
    fn wait_or_event<'a, T>(
        &self,
        action: &str,
        mut guard: MutexGuard<'a, T>,
        event: Option<&str>,
    ) -> MutexGuard<'a, T> {
        let mutex = guard.mutex;
        exec::record_noted(action, || {
            format!("waits on {}, releasing {}", self.name, mutex.name)
        });
        let inner = guard.inner.take().expect("guard is held");
        exec::lock_event(&mutex.name, exec::LockEvent::Release);
        let inner = match event {
            Some(_) => {
                // No notification: let go of the mutex, then contend for it like anyone.
                exec::next_is_mover();
                drop(inner);
                exec::mark(&format!("released {}", mutex.name));
                mutex.acquire()
            }
            None => match (&self.inner, inner) {
                (CondvarInner::Loom(c), GuardInner::Loom(g)) => {
                    GuardInner::Loom(c.wait(g).unwrap_or_else(|e| e.into_inner()))
                }
                (CondvarInner::Std(c), GuardInner::Std(g)) => {
                    GuardInner::Std(c.wait(g).unwrap_or_else(|e| e.into_inner()))
                }
                _ => unreachable!("shuttle waits sleep on a channel (see `sleep`)"),
            },
        };
        if event.is_none() {
            exec::lock_event(&mutex.name, exec::LockEvent::Take);
        }
        let outcome = event.unwrap_or("woken");
        exec::record_noted(&format!("{action}: {outcome}"), || {
            format!("holds {}", mutex.name)
        });
        guard.inner = Some(inner);
        guard
    }

    /// Wake the sleepers on this condition variable with a signal: the oldest one (`all`:
    /// every one). Returns whether any woke.
    fn wake_sleepers(&self, all: bool) -> bool {
        // Claim under the ghost lock, send after it: a send may switch threads.
        let claimed = exec::cv_claim(&self.name, all);
        for sleep in &claimed {
            sleep.send(false);
        }
        !claimed.is_empty()
    }

    pub fn notify_one(&self, action: &str) {
        if !self.wake_sleepers(false) {
            match &self.inner {
                CondvarInner::Loom(c) => c.notify_one(),
                CondvarInner::Shuttle => {}
                CondvarInner::Std(c) => c.notify_one(),
            }
        }
        exec::record_noted(action, || format!("signals {}", self.name));
    }

    pub fn notify_all(&self, action: &str) {
        self.wake_sleepers(true);
        match &self.inner {
            CondvarInner::Loom(c) => c.notify_all(),
            CondvarInner::Shuttle => {}
            CondvarInner::Std(c) => c.notify_all(),
        }
        exec::record_noted(action, || format!("broadcasts {}", self.name));
    }
}

/// Ghost state: bookkeeping a model keeps to state its properties (who holds the GIL,
/// who was passed over), invisible to the checkers, so it never changes what they explore.
/// Create it inside the model body: it then starts afresh with every execution.
pub struct Ghost {
    value: std::sync::Mutex<i64>,
    /// Its index among the execution's ghost cells, which the stateful search counts as
    /// state (a property can depend on it).
    index: Option<usize>,
}

impl Ghost {
    pub fn new(value: i64) -> Ghost {
        Ghost {
            value: std::sync::Mutex::new(value),
            index: exec::ghost_new(value),
        }
    }

    /// The value. Reading it is an observation like any other: the thread's history
    /// records it (a thread that read 0 and one that read 1 are in different states).
    pub fn get(&self) -> i64 {
        let v = *self.value.lock().unwrap_or_else(|e| e.into_inner());
        exec::observe_ghost(self.index, v);
        v
    }

    pub fn set(&self, value: i64) {
        *self.value.lock().unwrap_or_else(|e| e.into_inner()) = value;
        if let Some(i) = self.index {
            exec::ghost_set(i, value);
        }
    }

    /// Add `delta` and return the new value.
    pub fn add(&self, delta: i64) -> i64 {
        let mut v = self.value.lock().unwrap_or_else(|e| e.into_inner());
        *v += delta;
        if let Some(i) = self.index {
            exec::ghost_set(i, *v);
        }
        exec::observe_ghost(self.index, *v);
        *v
    }
}

/// A step with no shared access (a bytecode that touches only the thread's own frame, a
/// blocking call): recorded in the trace, invisible to the checkers.
pub fn step(action: &str) {
    exec::record(action, vec![], None);
}

/// Shared state for model threads: a std `Arc`, never loom's, whose drop during a failure's
/// unwinding would call back into loom and abort the process (checkers brief §1.4).
pub type Shared<T> = Arc<T>;
