//! What the designs cost, beside whether they are correct: the models' own code run
//! natively on real threads (the std backend of `gilspec::runtime`, keeping no trace),
//! each operation beside the same operation written in bare Rust, so a table shows both a
//! design's ratio to a plain word and what gilspec's runtime layer adds (at every shared
//! access it does a step's bookkeeping, the values and the thread's history, under a lock
//! on the run's state: microseconds, where the bare operations take nanoseconds).
//!
//! `cargo bench` (benches/cost.rs) times every [`catalogue`] entry with criterion, runs the
//! convoys and the CPython programs, and writes `docs/cost.json`, which this module turns
//! into the book's cost tables (`<!-- gilspec: cost FAMILY -->` blocks, see `book.rs`), the
//! convoy plot `docs/cost-convoy.svg` and the seed-claims page's measured figures. The
//! numbers are this machine's on that day; the rows are this module's, and a test fails when
//! the committed file's rows are not the catalogue's.

use crate::models::gil::{self as gilmodel, CPYTHON};
use crate::models::refcount::{self, Counting};
use crate::runtime as rt;
use crate::runtime::context::{Backend, Exec, WaitConfig, WaitEvents};
use crate::runtime::object;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicIsize, AtomicU64, Ordering::*};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

/// The measured data the book shows, as `cargo bench` last wrote it.
pub const MEASURED: &str = include_str!("../docs/cost.json");

/// Where the bench harness writes it, and the plot, relative to the repository's top.
pub const JSON_PATH: &str = "docs/cost.json";
pub const SVG_PATH: &str = "docs/cost-convoy.svg";

// ---------------------------------------------------------------------------------------
// The catalogue

/// How an operation is run: written in bare Rust on std types, or through the model's own
/// code and `gilspec::runtime` on the std backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Bare,
    Model,
}

impl Via {
    pub fn key(self) -> &'static str {
        match self {
            Via::Bare => "bare",
            Via::Model => "model",
        }
    }
}

/// A reference-counting design: one incref+decref pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counts {
    Plain,
    Gil,
    Atomic,
    ObjectMutex,
    BrcOwner,
    BrcShared,
    Immortal,
}

impl Counts {
    pub const ALL: [Counts; 7] = [
        Counts::Plain,
        Counts::Gil,
        Counts::Atomic,
        Counts::ObjectMutex,
        Counts::BrcOwner,
        Counts::BrcShared,
        Counts::Immortal,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Counts::Plain => "plain",
            Counts::Gil => "gil",
            Counts::Atomic => "atomic",
            Counts::ObjectMutex => "object-mutex",
            Counts::BrcOwner => "brc-owner",
            Counts::BrcShared => "brc-shared",
            Counts::Immortal => "immortal",
        }
    }

    /// The model whose code runs, and what its bare mirror does.
    pub fn model_and_mirror(self) -> (&'static str, &'static str) {
        match self {
            Counts::Plain => (
                "refcount-plain",
                "relaxed load, store ±1 (a plain `mov`, as `ob_refcnt++` compiles)",
            ),
            Counts::Gil => (
                "refcount-gil",
                "the same under one `std::sync::Mutex` taken per update",
            ),
            Counts::Atomic => (
                "refcount-atomic",
                "`AtomicIsize::fetch_add` (relaxed), `fetch_sub` (release)",
            ),
            Counts::ObjectMutex => (
                "refcount-object-mutex",
                "load, store ±1 under the object's own `Mutex`",
            ),
            Counts::BrcOwner => (
                "brc",
                "owner: `ob_tid` test, plain load, store of `ob_ref_local`",
            ),
            Counts::BrcShared => (
                "brc",
                "non-owner: load and compare-exchange of `ob_ref_shared`, twice",
            ),
            Counts::Immortal => (
                "refcount-immortal",
                "own interpreter's `Mutex`, load, immortal test, no store",
            ),
        }
    }
}

/// Several objects, each operation updating two of them: one lock for everything, or a
/// lock per object taken in address order (`objlock-ordered`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locking {
    OneLock,
    PerObject,
}

impl Locking {
    pub const ALL: [Locking; 2] = [Locking::OneLock, Locking::PerObject];
    pub fn key(self) -> &'static str {
        match self {
            Locking::OneLock => "one-lock",
            Locking::PerObject => "per-object",
        }
    }
}

/// Who runs the object workload: one thread, two on disjoint pairs of objects, two on the
/// same pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    Alone,
    Disjoint,
    Same,
}

impl Sharing {
    pub const ALL: [Sharing; 3] = [Sharing::Alone, Sharing::Disjoint, Sharing::Same];
    pub fn key(self) -> &'static str {
        match self {
            Sharing::Alone => "1",
            Sharing::Disjoint => "2-disjoint",
            Sharing::Same => "2-same",
        }
    }
}

/// A GIL operation timed by criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GilOp {
    /// `take_gil` then `drop_gil` by the only thread.
    TakeDrop,
    /// From the holder's `drop_gil` to the return of `take_gil` in the thread waiting for it.
    Handoff,
}

impl GilOp {
    pub const ALL: [GilOp; 2] = [GilOp::TakeDrop, GilOp::Handoff];
    pub fn key(self) -> &'static str {
        match self {
            GilOp::TakeDrop => "take-drop",
            GilOp::Handoff => "handoff",
        }
    }
}

/// One criterion benchmark: its id (`family/design/via/case`) and what it times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bench {
    Refcount(Counts, Via, usize),
    Gil(GilOp, Via),
    Objects(Locking, Via, Sharing),
}

impl Bench {
    pub fn id(self) -> String {
        match self {
            Bench::Refcount(c, via, threads) => {
                format!("refcount/{}/{}/{threads}", c.key(), via.key())
            }
            Bench::Gil(op, via) => format!("gil/{}/{}", op.key(), via.key()),
            Bench::Objects(l, via, s) => format!("objlock/{}/{}/{}", l.key(), via.key(), s.key()),
        }
    }

    /// Run `iters` operations; the time they took (for a handoff, the sum of the handoffs'
    /// latencies; with two threads, the wall time until both finished `iters` each).
    pub fn run(self, iters: u64) -> Duration {
        match self {
            Bench::Refcount(c, via, threads) => refcount_pairs(c, via, threads, iters),
            Bench::Gil(GilOp::TakeDrop, via) => take_drop(via, iters),
            Bench::Gil(GilOp::Handoff, via) => handoff(via, iters),
            Bench::Objects(l, via, s) => object_ops(l, via, s, iters),
        }
    }
}

/// Every criterion benchmark, in the tables' order.
pub fn catalogue() -> Vec<Bench> {
    let mut all = Vec::new();
    for c in Counts::ALL {
        for threads in [1, 2] {
            for via in [Via::Bare, Via::Model] {
                all.push(Bench::Refcount(c, via, threads));
            }
        }
    }
    for op in GilOp::ALL {
        for via in [Via::Bare, Via::Model] {
            all.push(Bench::Gil(op, via));
        }
    }
    for l in Locking::ALL {
        for s in Sharing::ALL {
            for via in [Via::Bare, Via::Model] {
                all.push(Bench::Objects(l, via, s));
            }
        }
    }
    all
}

/// A GIL for the convoy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GilKind {
    /// CPython 3.2+: drop requests after a switch interval, FORCE_SWITCHING.
    New,
    /// The same without FORCE_SWITCHING (`gil-handoff-no-force-switch`).
    NoForceSwitch,
    /// Before 3.2: a lock released and taken straight back every 100 ticks (`gil-old-ticks`).
    OldTicks,
}

impl GilKind {
    pub const ALL: [GilKind; 3] = [GilKind::New, GilKind::NoForceSwitch, GilKind::OldTicks];
    pub fn key(self) -> &'static str {
        match self {
            GilKind::New => "new",
            GilKind::NoForceSwitch => "no-force-switch",
            GilKind::OldTicks => "old-ticks",
        }
    }
    pub fn model(self) -> &'static str {
        match self {
            GilKind::New => "gil-handoff",
            GilKind::NoForceSwitch => "gil-handoff-no-force-switch",
            GilKind::OldTicks => "gil-old-ticks",
        }
    }
}

/// One convoy run: the I/O-bound thread's operations, alone or beside a CPU-bound thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Convoy {
    pub kind: GilKind,
    pub via: Via,
    pub beside_cpu: bool,
}

impl Convoy {
    pub fn id(self) -> String {
        format!(
            "convoy/{}/{}/{}",
            self.kind.key(),
            self.via.key(),
            if self.beside_cpu { "beside" } else { "alone" }
        )
    }
}

/// Every convoy run, in the table's order.
pub fn convoys() -> Vec<Convoy> {
    let mut all = Vec::new();
    for kind in GilKind::ALL {
        for via in [Via::Bare, Via::Model] {
            for beside_cpu in [false, true] {
                all.push(Convoy {
                    kind,
                    via,
                    beside_cpu,
                });
            }
        }
    }
    all
}

/// Seed claim G6 natively: the same CPU-bound work (bytecodes with eval-breaker checks
/// under the bare mirror of the new GIL) by one thread, or split over two.
pub const G6_IDS: [&str; 3] = ["g6/1-thread", "g6/2-threads-gil", "g6/2-threads-no-gil"];

/// The Python programs `cargo bench` runs (when `python3` is there), their output kept
/// verbatim.
pub const PYTHON_PROGRAMS: [&str; 3] = [
    "docs/python/convoy.py",
    "docs/python/cpu_processes.py",
    "docs/python/mp_value_cost.py",
];

// ---------------------------------------------------------------------------------------
// Running the models natively

/// A run of model code on real threads: no property armed, no step limit, no trace kept.
pub fn native() -> Arc<Exec> {
    Exec::untraced(
        Backend::Std,
        WaitConfig {
            spurious: false,
            timeouts: false,
            budget: 0,
            events: WaitEvents::Fixed(BTreeSet::new()),
            max_steps: usize::MAX,
        },
    )
}

/// Run `body(thread, iters)` on `threads` threads started together; the wall time from
/// the first one's start until the last one's end. Under `exec`, the threads are model threads.
fn timed_threads(
    threads: usize,
    iters: u64,
    body: impl Fn(usize, u64) + Send + Sync + 'static,
) -> Duration {
    let body = Arc::new(body);
    let start = Arc::new(Barrier::new(threads + 1));
    let finished = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (body, start, finished) = (body.clone(), start.clone(), finished.clone());
            rt::spawn(crate::models::WORKERS[t], move || {
                start.wait();
                let t0 = Instant::now();
                body(t, iters);
                finished.lock().unwrap().push((t0, Instant::now()));
            })
        })
        .collect();
    start.wait();
    for h in handles {
        h.join();
    }
    let spans = finished.lock().unwrap();
    let first = spans.iter().map(|s| s.0).min().unwrap();
    let last = spans.iter().map(|s| s.1).max().unwrap();
    last - first
}

fn in_exec<R>(f: impl FnOnce() -> R) -> R {
    let exec = native();
    exec.enter(f)
}

// ---------------------------------------------------------------------------------------
// Reference counting

fn refcount_pairs(c: Counts, via: Via, threads: usize, iters: u64) -> Duration {
    in_exec(|| match via {
        Via::Model => model_pairs(c, threads, iters),
        Via::Bare => bare_pairs(c, threads, iters),
    })
}

fn model_pairs(c: Counts, threads: usize, iters: u64) -> Duration {
    fn with<C: Counting>(threads: usize, iters: u64) -> Duration {
        let obj = object::alloc("o", 1);
        let counts = Arc::new(C::new(&[obj], &[1]));
        let pairs = move |_t: usize, iters: u64| {
            for _ in 0..iters {
                counts.incref(0);
                counts.decref(0);
            }
        };
        timed(threads, iters, pairs)
    }
    match c {
        Counts::Plain => with::<refcount::plain::Plain>(threads, iters),
        Counts::Gil => with::<refcount::gil::Gil>(threads, iters),
        Counts::Atomic => with::<refcount::atomic::AtomicCount>(threads, iters),
        Counts::ObjectMutex => with::<refcount::object_mutex::ObjectMutex>(threads, iters),
        Counts::Immortal => with::<refcount::immortal::Immortal>(threads, iters),
        Counts::BrcOwner | Counts::BrcShared => {
            let paths = Arc::new(crate::models::brc::Paths::new());
            // With two threads, the owner's pairs race a non-owner's (thread 1's).
            let owner = c == Counts::BrcOwner;
            timed(threads, iters, move |t, iters| {
                for _ in 0..iters {
                    if owner && t == 0 {
                        paths.owner_pair();
                    } else {
                        paths.shared_pair();
                    }
                }
            })
        }
    }
}

/// One thread: on the calling thread (no spawn in the timing); more: `timed_threads`.
fn timed(
    threads: usize,
    iters: u64,
    body: impl Fn(usize, u64) + Send + Sync + 'static,
) -> Duration {
    if threads == 1 {
        let t0 = Instant::now();
        body(0, iters);
        t0.elapsed()
    } else {
        timed_threads(threads, iters, body)
    }
}

#[repr(align(128))]
struct Padded<T>(T);

/// The bare mirrors' object: the count words CPython's `PyObject` has, adjacent as there.
#[repr(C)]
struct BareObject {
    ob_tid: AtomicI64,
    ob_ref_local: AtomicI64,
    ob_ref_shared: AtomicI64,
    ob_refcnt: AtomicIsize,
    ob_mutex: Mutex<()>,
}

/// A non-owner's pair: `_Py_TryIncRefShared` and `_Py_DecRefShared`, a load and a
/// compare-exchange loop each.
fn brc_shared_pair(o: &BareObject) {
    let mut s = o.ob_ref_shared.load(Relaxed);
    while let Err(now) = o.ob_ref_shared.compare_exchange(s, s + 4, AcqRel, Relaxed) {
        s = now;
    }
    let mut s = o.ob_ref_shared.load(Relaxed);
    while let Err(now) = o.ob_ref_shared.compare_exchange(s, s - 4, AcqRel, Relaxed) {
        s = now;
    }
}

fn bare_pairs(c: Counts, threads: usize, iters: u64) -> Duration {
    let o = Arc::new(BareObject {
        ob_tid: AtomicI64::new(1),
        ob_ref_local: AtomicI64::new(1),
        ob_ref_shared: AtomicI64::new(4),
        ob_refcnt: AtomicIsize::new(if c == Counts::Immortal {
            refcount::immortal::IMMORTAL as isize
        } else {
            1
        }),
        ob_mutex: Mutex::new(()),
    });
    let gil = Arc::new(Mutex::new(()));
    // Per-interpreter GILs (refcount-immortal): one per thread, each on a cache line of
    // its own, as two interpreters' states are.
    let own_gils = Arc::new([Padded(Mutex::new(())), Padded(Mutex::new(()))]);
    timed(threads, iters, move |t, iters| {
        let o = &*o;
        for _ in 0..iters {
            match c {
                Counts::Plain => {
                    let n = o.ob_refcnt.load(Relaxed);
                    o.ob_refcnt.store(n + 1, Relaxed);
                    let n = o.ob_refcnt.load(Relaxed);
                    o.ob_refcnt.store(n - 1, Relaxed);
                    black_box(n - 1 == 0);
                }
                Counts::Gil | Counts::ObjectMutex => {
                    let lock = if c == Counts::Gil { &*gil } else { &o.ob_mutex };
                    {
                        let _held = lock.lock().unwrap();
                        let n = o.ob_refcnt.load(Relaxed);
                        o.ob_refcnt.store(n + 1, Relaxed);
                    }
                    let _held = lock.lock().unwrap();
                    let n = o.ob_refcnt.load(Relaxed);
                    o.ob_refcnt.store(n - 1, Relaxed);
                    black_box(n - 1 == 0);
                }
                Counts::Atomic => {
                    o.ob_refcnt.fetch_add(1, Relaxed);
                    let before = o.ob_refcnt.fetch_sub(1, Release);
                    if black_box(before == 1) {
                        std::sync::atomic::fence(Acquire);
                    }
                }
                Counts::BrcOwner if t > 0 => brc_shared_pair(o),
                Counts::BrcShared => brc_shared_pair(o),
                Counts::BrcOwner => {
                    // _Py_IsOwnedByCurrentThread, then the plain local update.
                    if o.ob_tid.load(Relaxed) == black_box(1) {
                        let n = o.ob_ref_local.load(Relaxed);
                        o.ob_ref_local.store(n + 1, Relaxed);
                    }
                    if o.ob_tid.load(Relaxed) == black_box(1) {
                        let n = o.ob_ref_local.load(Relaxed) - 1;
                        o.ob_ref_local.store(n, Relaxed);
                        black_box(n == 0);
                    }
                }
                Counts::Immortal => {
                    for _ in 0..2 {
                        let _own = own_gils[t].0.lock().unwrap();
                        let n = o.ob_refcnt.load(Relaxed);
                        black_box(n >= refcount::immortal::IMMORTAL as isize);
                    }
                }
            }
        }
    })
}

// ---------------------------------------------------------------------------------------
// The GIL

/// A pthread mutex, as CPython's `PyMUTEX_T` (Python/condvar.h): std's own mutex would
/// do, but its condition variable makes a system call at every signal, waiter or not,
/// where glibc's `pthread_cond_signal` returns at once when nobody waits.
struct PMutex(Box<std::cell::UnsafeCell<libc::pthread_mutex_t>>);

// SAFETY: pthread mutexes and condition variables are made to be shared by threads; the
// Box keeps their addresses fixed.
unsafe impl Sync for PMutex {}
// SAFETY: as above.
unsafe impl Send for PMutex {}

impl PMutex {
    fn new() -> PMutex {
        PMutex(Box::new(std::cell::UnsafeCell::new(
            libc::PTHREAD_MUTEX_INITIALIZER,
        )))
    }
    fn lock(&self) {
        // SAFETY: an initialised mutex; CPython ignores the result too.
        unsafe { libc::pthread_mutex_lock(self.0.get()) };
    }
    fn unlock(&self) {
        // SAFETY: locked by this thread.
        unsafe { libc::pthread_mutex_unlock(self.0.get()) };
    }
}

/// A pthread condition variable on the monotonic clock, as CPython's `PyCOND_T`
/// (Python/thread_pthread.h, `_PyThread_cond_init`).
struct PCond(Box<std::cell::UnsafeCell<libc::pthread_cond_t>>);

// SAFETY: as for `PMutex`.
unsafe impl Sync for PCond {}
// SAFETY: as above.
unsafe impl Send for PCond {}

impl PCond {
    fn new() -> PCond {
        let c = PCond(Box::new(std::cell::UnsafeCell::new(
            libc::PTHREAD_COND_INITIALIZER,
        )));
        // SAFETY: a fresh attribute object and condition variable, not yet shared.
        unsafe {
            let mut attr: libc::pthread_condattr_t = std::mem::zeroed();
            libc::pthread_condattr_init(&mut attr);
            libc::pthread_condattr_setclock(&mut attr, libc::CLOCK_MONOTONIC);
            libc::pthread_cond_init(c.0.get(), &attr);
            libc::pthread_condattr_destroy(&mut attr);
        }
        c
    }
    fn wait(&self, m: &PMutex) {
        // SAFETY: `m` is locked by this thread.
        unsafe { libc::pthread_cond_wait(self.0.get(), m.0.get()) };
    }
    /// True if the wait timed out (`COND_TIMED_WAIT`, Python/ceval_gil.c).
    fn timed_wait(&self, m: &PMutex, d: Duration) -> bool {
        // SAFETY: plain calls on initialised objects; `m` is locked by this thread.
        unsafe {
            let mut ts: libc::timespec = std::mem::zeroed();
            libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
            let nanos = ts.tv_nsec as i64 + d.as_nanos() as i64;
            ts.tv_sec += (nanos / 1_000_000_000) as libc::time_t;
            ts.tv_nsec = (nanos % 1_000_000_000) as _;
            libc::pthread_cond_timedwait(self.0.get(), m.0.get(), &ts) == libc::ETIMEDOUT
        }
    }
    fn signal(&self) {
        // SAFETY: an initialised condition variable.
        unsafe { libc::pthread_cond_signal(self.0.get()) };
    }
}

/// `models/gil/mod.rs`'s take_gil and drop_gil (Python/ceval_gil.c) on pthreads and std
/// atomics, without the trace: the bare mirror of the model.
pub struct BareGil {
    force_switching: bool,
    interval: Duration,
    mutex: PMutex,
    cond: PCond,
    locked: AtomicBool,
    last_holder: AtomicU64,
    switch_number: AtomicU64,
    switch_mutex: PMutex,
    switch_cond: PCond,
    drop_request: [AtomicBool; 3],
}

/// CPython's default switch interval (`sys.getswitchinterval()`, Python/ceval_gil.c
/// `DEFAULT_INTERVAL` 5000 µs).
pub const CPYTHON_INTERVAL: Duration = Duration::from_micros(5000);

impl BareGil {
    pub fn new(force_switching: bool, interval: Duration) -> BareGil {
        BareGil {
            force_switching,
            interval,
            mutex: PMutex::new(),
            cond: PCond::new(),
            locked: AtomicBool::new(false),
            last_holder: AtomicU64::new(0),
            switch_number: AtomicU64::new(0),
            switch_mutex: PMutex::new(),
            switch_cond: PCond::new(),
            drop_request: Default::default(),
        }
    }

    pub fn take_gil(&self, me: usize) {
        self.mutex.lock();
        while self.locked.load(Relaxed) {
            let saved = self.switch_number.load(Relaxed);
            let timed_out = self.cond.timed_wait(&self.mutex, self.interval);
            if timed_out && self.locked.load(Relaxed) && self.switch_number.load(Relaxed) == saved {
                let holder = self.last_holder.load(Relaxed) as usize;
                self.drop_request[holder].store(true, Relaxed);
            }
        }
        if self.force_switching {
            self.switch_mutex.lock();
        }
        self.locked.store(true, Relaxed);
        if self.last_holder.load(Relaxed) != me as u64 {
            self.last_holder.store(me as u64, Relaxed);
            self.switch_number.fetch_add(1, Relaxed);
        }
        if self.force_switching {
            self.switch_cond.signal();
            self.switch_mutex.unlock();
        }
        self.drop_request[me].store(false, Relaxed);
        self.mutex.unlock();
    }

    pub fn drop_gil(&self, me: usize, final_release: bool) {
        if !final_release {
            self.last_holder.store(me as u64, Relaxed);
        }
        self.mutex.lock();
        self.locked.store(false, Relaxed);
        self.cond.signal();
        self.mutex.unlock();
        if self.force_switching && !final_release && self.drop_request[me].load(Relaxed) {
            self.switch_mutex.lock();
            if self.last_holder.load(Relaxed) == me as u64 {
                self.drop_request[me].store(false, Relaxed);
                self.switch_cond.wait(&self.switch_mutex);
            }
            self.switch_mutex.unlock();
        }
    }

    /// `_Py_HandlePending` at an eval-breaker check point.
    pub fn check_point(&self, me: usize) {
        if self.drop_request[me].load(Relaxed) {
            self.drop_gil(me, false);
            self.take_gil(me);
        }
    }
}

/// A bytecode's worth of work for the bare CPU-bound thread (a few nanoseconds).
fn bytecode_work() {
    let mut x = 0u64;
    for i in 0..16 {
        x = black_box(x.wrapping_add(i));
    }
    black_box(x);
}

fn take_drop(via: Via, iters: u64) -> Duration {
    in_exec(|| match via {
        Via::Bare => {
            let gil = BareGil::new(true, CPYTHON_INTERVAL);
            let t0 = Instant::now();
            for _ in 0..iters {
                gil.take_gil(1);
                gil.drop_gil(1, false);
            }
            t0.elapsed()
        }
        Via::Model => {
            let gil = gilmodel::Gil::new(CPYTHON, 2);
            let t0 = Instant::now();
            for _ in 0..iters {
                gil.take_gil(1, false);
                gil.drop_gil(1, false);
            }
            t0.elapsed()
        }
    })
}

/// A GIL as the convoy and the handoff use it.
trait Gil: Send + Sync {
    fn take(&self, me: usize);
    /// Let go for a blocking call (`Py_BEGIN_ALLOW_THREADS`).
    fn release(&self, me: usize);
    /// Let go for good: the thread exits.
    fn exit(&self, me: usize);
    /// The CPU-bound thread's `tick`-th bytecode and the check point after it.
    fn tick(&self, me: usize, tick: u64);
}

impl Gil for BareGil {
    fn take(&self, me: usize) {
        self.take_gil(me);
    }
    fn release(&self, me: usize) {
        self.drop_gil(me, false);
    }
    fn exit(&self, me: usize) {
        self.drop_gil(me, true);
    }
    fn tick(&self, me: usize, _tick: u64) {
        bytecode_work();
        self.check_point(me);
    }
}

impl Gil for gilmodel::Gil {
    fn take(&self, me: usize) {
        self.take_gil(me, false);
    }
    fn release(&self, me: usize) {
        self.drop_gil(me, false);
    }
    fn exit(&self, me: usize) {
        self.drop_gil(me, true);
    }
    fn tick(&self, me: usize, _tick: u64) {
        self.bytecode(me);
        self.check_point(me);
    }
}

/// Ticks between the old GIL's periodic release and re-take (`sys.setcheckinterval`'s
/// default in Python 2, `_Py_CheckInterval` = 100).
pub const CHECK_INTERVAL: u64 = 100;

/// The pre-3.2 GIL as Python 2 on Linux had it: a POSIX semaphore
/// (Python/thread_pthread.h#PyThread_acquire_lock, `USE_SEMAPHORES`), released and taken
/// straight back every `CHECK_INTERVAL` ticks (Python/ceval.c 2.x).
struct BareOldGil {
    sem: Box<std::cell::UnsafeCell<libc::sem_t>>,
}

// SAFETY: a POSIX semaphore is made to be used from several threads at once.
unsafe impl Sync for BareOldGil {}
// SAFETY: as above; the Box keeps its address fixed.
unsafe impl Send for BareOldGil {}

impl BareOldGil {
    fn new() -> BareOldGil {
        // SAFETY: a zeroed sem_t is initialised by sem_init before any use.
        let sem = Box::new(std::cell::UnsafeCell::new(unsafe { std::mem::zeroed() }));
        // SAFETY: the pointer is valid and the semaphore not yet in use.
        let rc = unsafe { libc::sem_init(sem.get(), 0, 1) };
        assert_eq!(rc, 0, "sem_init");
        BareOldGil { sem }
    }
}

impl Drop for BareOldGil {
    fn drop(&mut self) {
        // SAFETY: no thread uses the semaphore any more.
        unsafe { libc::sem_destroy(self.sem.get()) };
    }
}

impl Gil for BareOldGil {
    fn take(&self, _me: usize) {
        // SAFETY: the semaphore is initialised; EINTR retries.
        while unsafe { libc::sem_wait(self.sem.get()) } != 0 {}
    }
    fn release(&self, _me: usize) {
        // SAFETY: as above.
        unsafe { libc::sem_post(self.sem.get()) };
    }
    fn exit(&self, me: usize) {
        self.release(me);
    }
    fn tick(&self, me: usize, tick: u64) {
        bytecode_work();
        if tick % CHECK_INTERVAL == CHECK_INTERVAL - 1 {
            self.release(me);
            self.take(me);
        }
    }
}

/// `gil-old-ticks` through `gilspec::runtime`: the model's `interpreter_lock`, a runtime
/// `Mutex`, whose guard the thread that holds it keeps (the model's threads keep it in a
/// local; here it crosses calls, so it sits in a thread-local).
struct ModelOldGil {
    lock: &'static rt::Mutex<()>,
}

thread_local! {
    static OLD_GIL_HELD: std::cell::RefCell<Option<rt::MutexGuard<'static, ()>>> =
        const { std::cell::RefCell::new(None) };
}

impl Gil for ModelOldGil {
    fn take(&self, _me: usize) {
        let guard = self.lock.lock("PyThread_acquire_lock");
        OLD_GIL_HELD.with(|h| *h.borrow_mut() = Some(guard));
    }
    fn release(&self, _me: usize) {
        OLD_GIL_HELD.with(|h| drop(h.borrow_mut().take()));
    }
    fn exit(&self, me: usize) {
        self.release(me);
    }
    fn tick(&self, me: usize, tick: u64) {
        rt::step("bytecode");
        if tick % CHECK_INTERVAL == CHECK_INTERVAL - 1 {
            self.release(me);
            self.take(me);
        }
    }
}

fn make_gil(kind: GilKind, via: Via) -> Arc<dyn Gil> {
    match (kind, via) {
        (GilKind::OldTicks, Via::Bare) => Arc::new(BareOldGil::new()),
        (GilKind::OldTicks, Via::Model) => Arc::new(ModelOldGil {
            // One small mutex per run, leaked: its guard must be 'static to cross calls.
            lock: Box::leak(Box::new(rt::Mutex::new("interpreter_lock", ()))),
        }),
        (kind, Via::Bare) => Arc::new(BareGil::new(kind == GilKind::New, CPYTHON_INTERVAL)),
        (kind, Via::Model) => Arc::new(gilmodel::Gil::new(
            gilmodel::Variant {
                force_switching: kind == GilKind::New,
                ..CPYTHON
            },
            2,
        )),
    }
}

fn handoff(via: Via, iters: u64) -> Duration {
    in_exec(|| {
        let gil = make_gil(GilKind::New, via);
        let base = Instant::now();
        let now = move || base.elapsed().as_nanos() as u64;
        // Handoff k goes from thread 1 (k even) or 2 (k odd) to the other. `ready`: thread
        // 1 holds the GIL; `waiting` = k + 1: the taker of handoff k is about to wait for
        // it; `handed` = k + 1: it has it; `dropped_at`: when the holder began to drop it.
        let ready = Arc::new(AtomicBool::new(false));
        let waiting = Arc::new(AtomicU64::new(0));
        let handed = Arc::new(AtomicU64::new(0));
        let dropped_at = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = [1usize, 2]
            .into_iter()
            .map(|me| {
                let gil = gil.clone();
                let (ready, waiting, handed, dropped_at, total) = (
                    ready.clone(),
                    waiting.clone(),
                    handed.clone(),
                    dropped_at.clone(),
                    total.clone(),
                );
                rt::spawn(crate::models::WORKERS[me - 1], move || {
                    let mut held = me == 1;
                    if held {
                        gil.take(me);
                        ready.store(true, Release);
                    }
                    for k in 0..iters {
                        let holder = if k % 2 == 0 { 1 } else { 2 };
                        if holder == me {
                            while waiting.load(Acquire) != k + 1 {
                                std::hint::spin_loop();
                            }
                            // Give the taker time to fall asleep in take_gil.
                            let spin = Instant::now();
                            while spin.elapsed() < Duration::from_micros(50) {
                                std::hint::spin_loop();
                            }
                            dropped_at.store(now(), Release);
                            gil.release(me);
                            held = false;
                            while handed.load(Acquire) != k + 1 {
                                std::hint::spin_loop();
                            }
                        } else {
                            while !ready.load(Acquire) || handed.load(Acquire) != k {
                                std::hint::spin_loop();
                            }
                            waiting.store(k + 1, Release);
                            gil.take(me);
                            total.fetch_add(now() - dropped_at.load(Acquire), Relaxed);
                            held = true;
                            handed.store(k + 1, Release);
                        }
                    }
                    if held {
                        gil.exit(me);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join();
        }
        Duration::from_nanos(total.load(Relaxed))
    })
}

/// Bytecodes the I/O-bound thread runs between two operations (the loop, the clock, the
/// list append of `docs/python/convoy.py`'s loop).
pub const IO_BYTECODES: u64 = 20;

/// One operation of the I/O-bound thread, as `docs/python/convoy.py` does it:
/// `os.write(w, b"x")` then `os.read(r, 1)`, each releasing the GIL around its system call
/// (Modules/posixmodule.c, `os_write_impl`/`_Py_write` and `_Py_read`).
fn io_op(gil: &dyn Gil, fds: [i32; 2]) {
    let mut byte = [b'x'];
    gil.release(2);
    // SAFETY: a valid pipe and a one-byte buffer.
    let n = unsafe { libc::write(fds[1], byte.as_ptr().cast(), 1) };
    gil.take(2);
    assert_eq!(n, 1, "write to the pipe");
    gil.release(2);
    // SAFETY: as above.
    let n = unsafe { libc::read(fds[0], byte.as_mut_ptr().cast(), 1) };
    gil.take(2);
    assert_eq!(n, 1, "read from the pipe");
}

/// The I/O-bound thread's latencies (nanoseconds per operation), `ops` of them or as many
/// as fit in `cap`, alone or beside a CPU-bound thread that runs bytecodes until it ends.
pub fn convoy(c: Convoy, ops: usize, cap: Duration) -> Vec<u64> {
    in_exec(|| {
        let gil = make_gil(c.kind, c.via);
        let mut fds = [0i32; 2];
        // SAFETY: fds has room for the two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
        let stop = Arc::new(AtomicBool::new(false));
        let holding = Arc::new(AtomicBool::new(false));
        let cpu = c.beside_cpu.then(|| {
            let (gil, stop, holding) = (gil.clone(), stop.clone(), holding.clone());
            rt::spawn("A", move || {
                gil.take(1);
                holding.store(true, Release);
                let deadline = Instant::now() + cap;
                let mut tick = 0u64;
                while !stop.load(Relaxed)
                    && (!tick.is_multiple_of(1024) || Instant::now() < deadline)
                {
                    gil.tick(1, tick);
                    tick += 1;
                }
                gil.exit(1);
            })
        });
        while c.beside_cpu && !holding.load(Acquire) {
            std::thread::yield_now();
        }
        let io = {
            let (gil, stop) = (gil.clone(), stop.clone());
            let (tx, rx) = std::sync::mpsc::channel();
            let h = rt::spawn("B", move || {
                gil.take(2);
                let start = Instant::now();
                let mut latencies = Vec::with_capacity(ops.min(1 << 20));
                let mut tick = 0u64;
                while latencies.len() < ops && start.elapsed() < cap {
                    let t0 = Instant::now();
                    io_op(&*gil, fds);
                    latencies.push(t0.elapsed().as_nanos() as u64);
                    // The Python loop's own bytecodes, with their check points: where a
                    // drop request reaches this thread.
                    for _ in 0..IO_BYTECODES {
                        gil.tick(2, tick);
                        tick += 1;
                    }
                }
                gil.exit(2);
                stop.store(true, Relaxed);
                tx.send(latencies).unwrap();
            });
            (h, rx)
        };
        io.0.join();
        if let Some(cpu) = cpu {
            cpu.join();
        }
        // SAFETY: the descriptors are ours and no longer used.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        io.1.recv().unwrap()
    })
}

/// Seed claim G6 on the bare mirror: wall time for `2 * n` bytecodes (with their check
/// points) by one thread, by two threads under the GIL, and by two threads with no GIL.
pub fn g6(n: u64) -> [Duration; 3] {
    let one = {
        let gil = BareGil::new(true, CPYTHON_INTERVAL);
        let t0 = Instant::now();
        gil.take_gil(1);
        for _ in 0..2 * n {
            bytecode_work();
            gil.check_point(1);
        }
        gil.drop_gil(1, true);
        t0.elapsed()
    };
    let two = |with_gil: bool| {
        let gil = Arc::new(BareGil::new(true, CPYTHON_INTERVAL));
        let start = Arc::new(Barrier::new(3));
        let hs: Vec<_> = [1usize, 2]
            .into_iter()
            .map(|me| {
                let (gil, start) = (gil.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    if with_gil {
                        gil.take_gil(me);
                    }
                    for _ in 0..n {
                        bytecode_work();
                        if with_gil {
                            gil.check_point(me);
                        }
                    }
                    if with_gil {
                        gil.drop_gil(me, true);
                    }
                })
            })
            .collect();
        start.wait();
        let t0 = Instant::now();
        for h in hs {
            h.join().unwrap();
        }
        t0.elapsed()
    };
    [one, two(true), two(false)]
}

// ---------------------------------------------------------------------------------------
// Objects under one lock or a lock each

fn object_ops(l: Locking, via: Via, s: Sharing, iters: u64) -> Duration {
    let threads = if s == Sharing::Alone { 1 } else { 2 };
    // Thread t updates objects pair(t) and pair(t) + 1.
    let pair = move |t: usize| if s == Sharing::Disjoint { 2 * t } else { 0 };
    in_exec(|| match via {
        Via::Bare => {
            let one = Arc::new(Mutex::new([0i64; 4]));
            let each: Arc<[Mutex<i64>; 4]> = Arc::new(Default::default());
            timed(threads, iters, move |t, iters| {
                let (a, b) = (pair(t), pair(t) + 1);
                for _ in 0..iters {
                    match l {
                        Locking::OneLock => {
                            let mut all = one.lock().unwrap();
                            all[a] += 1;
                            all[b] += 1;
                        }
                        Locking::PerObject => {
                            let mut x = each[a].lock().unwrap();
                            let mut y = each[b].lock().unwrap();
                            *x += 1;
                            *y += 1;
                        }
                    }
                }
            })
        }
        Via::Model => {
            // objlock-ordered's `operate` (address order) and refcount-gil's one lock.
            let one = Arc::new(rt::Mutex::new("GIL", ()));
            let each = Arc::new(
                ["a", "b", "c", "d"].map(|n| rt::Mutex::new(&format!("{n}.ob_mutex"), ())),
            );
            timed(threads, iters, move |t, iters| {
                let (a, b) = (pair(t), pair(t) + 1);
                for _ in 0..iters {
                    match l {
                        Locking::OneLock => {
                            let _all = one.lock("op: take GIL");
                            rt::step("op: update both");
                        }
                        Locking::PerObject => {
                            let _x = each[a].lock("op: lock first ob_mutex");
                            let _y = each[b].lock("op: lock second ob_mutex");
                            rt::step("op: update both");
                        }
                    }
                }
            })
        }
    })
}

// ---------------------------------------------------------------------------------------
// The measured data: reading it and showing it

/// The measured data, parsed (`MEASURED` unless given).
pub fn data() -> Value {
    serde_json::from_str(MEASURED).expect("docs/cost.json is JSON")
}

/// The nanoseconds per operation measured for a benchmark id.
pub fn ns(data: &Value, id: &str) -> Option<f64> {
    data["ops"][id]["ns"].as_f64()
}

/// A duration in nanoseconds, to three significant digits at most, in a unit that suits.
pub fn human(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if v < 10.0 {
        format!("{v:.2} {unit}")
    } else if v < 100.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => {
            let r = a / b;
            if r < 10.0 {
                format!("{r:.1}×")
            } else {
                format!("{r:.0}×")
            }
        }
        _ => "–".to_owned(),
    }
}

fn cell(v: Option<f64>) -> String {
    v.map_or("–".to_owned(), human)
}

/// Where and when the data was measured, for the top of every table.
pub fn machine_line(data: &Value) -> String {
    let m = &data["machine"];
    let load: Vec<String> = data["load_average"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .map(|l| format!("{l:.1}"))
        .collect();
    format!(
        "Measured by `{}` on {} ({}, {} cores, {}), {}. The machine's load average was {} \
         at the start and the end of the run (another build was running beside it): the \
         figures are noisy, and the two-thread ones most of all (see below).",
        data["command"].as_str().unwrap_or("?"),
        m["date"].as_str().unwrap_or("?"),
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"].as_u64().unwrap_or(0),
        m["os"].as_str().unwrap_or("?"),
        m["rustc"].as_str().unwrap_or("?"),
        if load.is_empty() {
            "not recorded".to_owned()
        } else {
            load.join(" and ")
        },
    )
}

/// The reference-counting table: each design's pair, bare and through the model's code.
pub fn refcount_table(data: &Value) -> String {
    let plain = ns(data, "refcount/plain/bare/1");
    let mut out = String::from(
        "| design | model | bare Rust mirror | 1 thread, bare | × plain | 1 thread, model code | layer adds | 2 threads on one object, bare | 2 threads, model code |\n\
         |---|---|---|--:|--:|--:|--:|--:|--:|\n",
    );
    for c in Counts::ALL {
        let get = |via: Via, t: usize| ns(data, &Bench::Refcount(c, via, t).id());
        let (model, mirror) = c.model_and_mirror();
        let _ = writeln!(
            out,
            "| {} | `{model}` | {mirror} | {} | {} | {} | {} | {} | {} |",
            c.key(),
            cell(get(Via::Bare, 1)),
            ratio(get(Via::Bare, 1), plain),
            cell(get(Via::Model, 1)),
            ratio(get(Via::Model, 1), get(Via::Bare, 1)),
            cell(get(Via::Bare, 2)),
            cell(get(Via::Model, 2)),
        );
    }
    out.push_str(
        "\nOne incref+decref pair on one object. \"2 threads\": both threads do pairs on the \
         same object at once (for brc-owner, the owner's pairs beside a non-owner's shared \
         pairs); the time is the wall time per pair of each thread. \"layer \
         adds\" is model code over its bare mirror: `gilspec::runtime` does a step's bookkeeping \
         (its values, the thread's history, under a lock on the run's state) at every access, which swamps these \
         nanosecond operations: read the design's cost in the bare columns, which mirror the \
         model's steps one for one. The plain count is wrong with two threads (it loses \
         updates, `refcount-plain`); it is timed all the same.\n",
    );
    out
}

/// The GIL table: take+drop and a handoff, bare and through the model's code.
pub fn gil_table(data: &Value) -> String {
    let mut out = String::from(
        "| operation | bare Rust mirror of `models/gil` | model code (`gil-handoff`) | layer adds |\n|---|--:|--:|--:|\n",
    );
    for (op, what) in [
        (GilOp::TakeDrop, "take_gil + drop_gil, uncontended"),
        (
            GilOp::Handoff,
            "handoff: drop_gil to the waiting thread's take_gil returning",
        ),
    ] {
        let b = ns(data, &Bench::Gil(op, Via::Bare).id());
        let m = ns(data, &Bench::Gil(op, Via::Model).id());
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {} |",
            cell(b),
            cell(m),
            ratio(m, b)
        );
    }
    out
}

/// The per-object locks table.
pub fn objlock_table(data: &Value) -> String {
    let mut out = String::from(
        "| locking | threads | bare Rust (`std::sync::Mutex`) | model code (`gilspec::runtime::Mutex`) | layer adds |\n|---|---|--:|--:|--:|\n",
    );
    for l in Locking::ALL {
        for s in Sharing::ALL {
            let b = ns(data, &Bench::Objects(l, Via::Bare, s).id());
            let m = ns(data, &Bench::Objects(l, Via::Model, s).id());
            let who = match s {
                Sharing::Alone => "1",
                Sharing::Disjoint => "2, disjoint objects",
                Sharing::Same => "2, the same two objects",
            };
            let how = match l {
                Locking::OneLock => "one lock for all objects (`refcount-gil`)",
                Locking::PerObject => "a lock per object, address order (`objlock-ordered`)",
            };
            let _ = writeln!(
                out,
                "| {how} | {who} | {} | {} | {} |",
                cell(b),
                cell(m),
                ratio(m, b)
            );
        }
    }
    out.push_str(
        "\nOne operation updates two of four objects, locking what it needs. Two threads: \
         wall time per operation of each thread.\n",
    );
    out
}

fn stat(v: &Value, key: &str) -> Option<f64> {
    v[key].as_f64()
}

/// The convoy table: the I/O-bound thread's latency per operation.
pub fn convoy_table(data: &Value) -> String {
    let mut out = String::from(
        "| GIL | run as | switch interval | alone: median | alone: mean | beside a CPU-bound thread: median | p90 | p99 | mean | operations |\n\
         |---|---|---|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for kind in GilKind::ALL {
        for via in [Via::Bare, Via::Model] {
            let alone = &data["convoy"][Convoy {
                kind,
                via,
                beside_cpu: false,
            }
            .id()];
            let beside = &data["convoy"][Convoy {
                kind,
                via,
                beside_cpu: true,
            }
            .id()];
            let interval = match (kind, via) {
                (GilKind::OldTicks, _) => "100 ticks".to_owned(),
                (_, Via::Bare) => "5 ms".to_owned(),
                (_, Via::Model) => "1 ms (rt's timed wait)".to_owned(),
            };
            let run_as = match via {
                Via::Bare => "bare mirror".to_owned(),
                Via::Model => format!("`{}`", kind.model()),
            };
            let _ = writeln!(
                out,
                "| {} | {run_as} | {interval} | {} | {} | {} | {} | {} | {} | {} |",
                kind.key(),
                cell(stat(alone, "p50")),
                cell(stat(alone, "mean")),
                cell(stat(beside, "p50")),
                cell(stat(beside, "p90")),
                cell(stat(beside, "p99")),
                cell(stat(beside, "mean")),
                beside["ops"].as_u64().unwrap_or(0),
            );
        }
    }
    let cp = &data["cpython"]["convoy"];
    if cp.is_object() {
        let _ = writeln!(
            out,
            "| CPython {} | `docs/python/convoy.py` | 5 ms | {} | {} | {} | {} | {} | {} | {} |",
            data["cpython"]["version"].as_str().unwrap_or("?"),
            cell(stat(&cp["alone"], "p50")),
            cell(stat(&cp["alone"], "mean")),
            cell(stat(&cp["beside"], "p50")),
            cell(stat(&cp["beside"], "p90")),
            cell(stat(&cp["beside"], "p99")),
            cell(stat(&cp["beside"], "mean")),
            cp["beside"]["ops"].as_u64().unwrap_or(0),
        );
    }
    out.push_str(
        "\nOne operation: release the GIL, write a byte to a pipe, take the GIL; release it, \
         read the byte back, take it (what `os.write` and `os.read` do). Beside the CPU-bound \
         thread, each take races a thread that wants the GIL back: it mostly wins (the \
         other thread is still waking up), and when it loses it waits for a switch interval \
         (the new GIL) or until the semaphore happens to favour it (the old one). The median \
         hides that; the mean and the tail show it. Beside the CPU-bound thread each run lasts \
         a second, as many operations as fit.\n",
    );
    out
}

/// Seed claim G6 natively.
pub fn g6_table(data: &Value) -> String {
    let get = |id: &str| data["g6"][id].as_f64();
    let one = get(G6_IDS[0]);
    let mut out = String::from(
        "| the same CPU-bound work (bare mirror, bytecodes with check points) | wall time | speed-up |\n|---|--:|--:|\n",
    );
    for (id, what) in G6_IDS.iter().zip([
        "one thread holding the GIL",
        "split over two threads under the GIL",
        "split over two threads, no GIL",
    ]) {
        let _ = writeln!(
            out,
            "| {what} | {} | {} |",
            cell(get(id)),
            ratio(one, get(id))
        );
    }
    out
}

/// The CPython programs' output, verbatim.
pub fn cpython_lines(data: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "CPython {}, run by `cargo bench` beside the Rust measurements:\n",
        data["cpython"]["version"].as_str().unwrap_or("(not run)")
    );
    for p in PYTHON_PROGRAMS {
        out.push_str(&format!("`{p}`:\n\n```text\n"));
        for line in data["cpython"]["programs"][p]
            .as_array()
            .into_iter()
            .flatten()
        {
            let _ = writeln!(out, "{}", line.as_str().unwrap_or(""));
        }
        out.push_str("```\n\n");
    }
    out
}

/// A generated block of the book: `cost refcount|gil|convoy|g6|objlock|cpython|machine|plot`.
pub fn block(what: &str) -> Result<String, String> {
    let data = data();
    Ok(match what {
        "machine" => machine_line(&data) + "\n",
        "refcount" => refcount_table(&data),
        "gil" => gil_table(&data),
        "convoy" => convoy_table(&data),
        "g6" => g6_table(&data),
        "objlock" => objlock_table(&data),
        "cpython" => cpython_lines(&data),
        "plot" => format!(
            "![The I/O-bound thread's latency per operation, alone and beside a CPU-bound \
             thread (log scale)](cost-convoy.svg)\n\n{}\n",
            machine_line(&data)
        ),
        other => {
            return Err(format!(
                "unknown cost table {other:?}: expected refcount, gil, convoy, g6, objlock, cpython, machine or plot"
            ));
        }
    })
}

/// The measured figures that speak to a seed claim, one line each (the seed-claims page).
pub fn claim_figures(claim: &str) -> Vec<String> {
    let data = data();
    let f = |id: &str| cell(ns(&data, id));
    let plain = ns(&data, "refcount/plain/bare/1");
    let conv = |id: &str, key: &str| cell(stat(&data["convoy"][id], key));
    let py = |program: &str, needle: &str| -> Option<String> {
        data["cpython"]["programs"][program]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .find(|l| l.contains(needle))
            .map(|l| format!("`{program}`: `{l}`"))
    };
    match claim {
        "A1" => vec![
            format!(
                "an incref+decref pair under a per-object mutex {} ({} a plain word's {}); \
                 with 2 threads on one object {}, atomic {} (`cargo bench`, bare mirrors)",
                f("refcount/object-mutex/bare/1"),
                ratio(ns(&data, "refcount/object-mutex/bare/1"), plain),
                f("refcount/plain/bare/1"),
                f("refcount/object-mutex/bare/2"),
                f("refcount/atomic/bare/2"),
            ),
            format!(
                "two threads on disjoint objects: per-object locks {} per operation, one lock {}",
                f("objlock/per-object/bare/2-disjoint"),
                f("objlock/one-lock/bare/2-disjoint"),
            ),
        ],
        "G6" => {
            let g = |id: &str| data["g6"][id].as_f64();
            let mut lines = vec![format!(
                "the same bytecodes on 2 threads under the GIL: {} speed-up; with no GIL {} \
                 (`cargo bench`, bare mirror of `gil-handoff`)",
                ratio(g(G6_IDS[0]), g(G6_IDS[1])),
                ratio(g(G6_IDS[0]), g(G6_IDS[2])),
            )];
            lines.extend(py("docs/python/cpu_processes.py", "serially"));
            lines.extend(py("docs/python/cpu_processes.py", "threads"));
            lines.extend(py("docs/python/cpu_processes.py", "Pool"));
            lines
        }
        "G3" => {
            let mut lines = vec![format!(
                "an I/O call's latency, bare mirror of the new GIL: {} mean alone, {} mean \
                 (median {}, slowest {}) beside a CPU-bound thread (`cargo bench`)",
                conv("convoy/new/bare/alone", "mean"),
                conv("convoy/new/bare/beside", "mean"),
                conv("convoy/new/bare/beside", "p50"),
                conv("convoy/new/bare/beside", "max"),
            )];
            lines.extend(py("docs/python/convoy.py", "beside"));
            lines
        }
        "G4" => vec![format!(
            "the old tick GIL: an I/O call beside a CPU-bound thread {} mean over the {} \
             calls of a second (`cargo bench`, bare mirror of `gil-old-ticks`)",
            conv("convoy/old-ticks/bare/beside", "mean"),
            data["convoy"]["convoy/old-ticks/bare/beside"]["ops"]
                .as_u64()
                .unwrap_or(0),
        )],
        "A3" => py("docs/python/mp_value_cost.py", "get_lock")
            .into_iter()
            .chain(py("docs/python/mp_value_cost.py", "no lock"))
            .collect(),
        _ => Vec::new(),
    }
}

/// Percentiles and mean of latencies in nanoseconds, as the JSON keeps them.
pub fn latency_stats(latencies: &[u64]) -> Value {
    let mut v = latencies.to_vec();
    v.sort_unstable();
    let at = |q: f64| -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        v[((v.len() - 1) as f64 * q).round() as usize] as f64
    };
    let mean = if v.is_empty() {
        0.0
    } else {
        v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
    };
    json!({
        "ops": v.len(),
        "p50": at(0.5),
        "p90": at(0.9),
        "p99": at(0.99),
        "max": at(1.0),
        "mean": mean,
    })
}

/// Every id the data must have: the catalogue's, the convoys', G6's. A committed file
/// whose ids differ is stale in structure (a test says so).
pub fn expected_ids() -> BTreeSet<String> {
    catalogue()
        .iter()
        .map(|b| b.id())
        .chain(convoys().iter().map(|c| c.id()))
        .chain(G6_IDS.iter().map(|s| s.to_string()))
        .collect()
}

/// The ids the data has.
pub fn measured_ids(data: &Value) -> BTreeSet<String> {
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    keys(&data["ops"])
        .into_iter()
        .chain(keys(&data["convoy"]))
        .chain(keys(&data["g6"]))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The convoy plot

/// The convoy's latencies as an SVG plot (log scale), drawn from the data alone.
pub fn convoy_svg(data: &Value) -> String {
    let mut rows: Vec<(String, Value)> = Vec::new();
    for c in convoys() {
        let label = format!(
            "{}, {}, {}",
            c.kind.key(),
            match c.via {
                Via::Bare => "bare".to_owned(),
                Via::Model => "model code".to_owned(),
            },
            if c.beside_cpu {
                "beside CPU thread"
            } else {
                "alone"
            }
        );
        rows.push((label, data["convoy"][c.id()].clone()));
    }
    for (k, what) in [("alone", "alone"), ("beside", "beside CPU thread")] {
        let v = &data["cpython"]["convoy"][k];
        if v.is_object() {
            rows.push((format!("CPython convoy.py, {what}"), v.clone()));
        }
    }
    let (left, width, top, row_h) = (340.0, 520.0, 40.0, 22.0);
    let plot_h = row_h * rows.len() as f64;
    let height = top + plot_h + 70.0;
    let (lo, hi) = (2.0f64, 9.0f64); // 100 ns .. 1 s, log10 of nanoseconds
    let x = |ns: f64| left + width * ((ns.max(1.0).log10() - lo) / (hi - lo)).clamp(0.0, 1.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" viewBox="0 0 {w} {height}" font-family="sans-serif" font-size="12">"##,
        w = left + width + 30.0
    );
    let _ = writeln!(
        s,
        r##"<rect width="100%" height="100%" fill="white"/><text x="10" y="20" font-size="14" font-weight="bold">Convoy: an I/O-bound thread's latency per operation (log scale)</text>"##
    );
    for p in 2..=9 {
        let xp = x(10f64.powi(p));
        let label = human(10f64.powi(p));
        let _ = writeln!(
            s,
            r##"<line x1="{xp:.1}" y1="{top}" x2="{xp:.1}" y2="{y2:.1}" stroke="#ddd"/><text x="{xp:.1}" y="{ty:.1}" text-anchor="middle" fill="#444">{label}</text>"##,
            y2 = top + plot_h,
            ty = top + plot_h + 15.0
        );
    }
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let _ = writeln!(
            s,
            r##"<text x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text>"##,
            tx = left - 8.0,
            ty = y + 4.0
        );
        let (Some(p50), Some(p99), Some(max), Some(mean)) = (
            stat(v, "p50"),
            stat(v, "p99"),
            stat(v, "max"),
            stat(v, "mean"),
        ) else {
            continue;
        };
        let colour = if label.contains("beside") {
            "#c0392b"
        } else {
            "#2471a3"
        };
        let _ = writeln!(
            s,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="1" stroke-dasharray="2 3"/><line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="2"/><circle cx="{:.1}" cy="{y:.1}" r="4" fill="{colour}"/><path d="M {xm:.1} {a:.1} l 6 6 m 0 -6 l -6 6" stroke="{colour}"/><path d="M {mx:.1} {b:.1} l 5 5 l -5 5 l -5 -5 z" fill="none" stroke="black"/>"##,
            x(p99),
            x(max),
            x(p50),
            x(p99),
            x(p50),
            xm = x(max) - 3.0,
            a = y - 3.0,
            mx = x(mean),
            b = y - 5.0
        );
    }
    let ly = top + plot_h + 38.0;
    let _ = writeln!(
        s,
        r##"<circle cx="{l}" cy="{c:.1}" r="4" fill="#555"/><line x1="{l}" y1="{c:.1}" x2="{l2}" y2="{c:.1}" stroke="#555" stroke-width="2"/><text x="{t1}" y="{ly:.1}">median, solid line to the 99th percentile, dotted to the slowest (×)</text><path d="M {m} {d:.1} l 5 5 l -5 5 l -5 -5 z" fill="none" stroke="black"/><text x="{t2}" y="{ly:.1}">mean</text>"##,
        l = left,
        l2 = left + 25.0,
        c = ly - 4.0,
        t1 = left + 32.0,
        m = left + 460.0,
        d = ly - 9.0,
        t2 = left + 470.0,
    );
    let _ = writeln!(
        s,
        r##"<text x="{l}" y="{y:.1}"><tspan fill="#2471a3">blue: the I/O-bound thread alone</tspan>; <tspan fill="#c0392b">red: beside a CPU-bound thread</tspan></text>"##,
        l = left,
        y = ly + 18.0
    );
    s.push_str("</svg>\n");
    s
}
