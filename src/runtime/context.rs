//! The context of one checker run: which backend the primitives use, which property is
//! armed, and the ghost state (trace, heap, last written values) of the current execution.
//!
//! Loom and shuttle run every model thread as a coroutine on the OS thread that called the
//! checker, so a std thread-local reaches all of them; the std backend copies the context
//! into each thread it spawns. Ghost state sits behind a std mutex the checkers never see.

use super::heap::Heap;
use super::history::{Hash128, History, hash128};
use super::race::{AtomicAccess, Clocks};
use crate::trace::{Access, Event, Trace};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// Which implementation the runtime primitives dispatch to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Loom,
    Shuttle,
    Std,
}

/// Properties the machinery itself checks; models add their own.
pub mod builtin {
    /// Checked by the heap on every access to an object's fields.
    pub const NO_USE_AFTER_FREE: &str = "no_use_after_free";
    /// Checked by the heap on every free.
    pub const NO_DOUBLE_FREE: &str = "no_double_free";
    /// Checked by the heap when an execution ends.
    pub const NO_LEAK: &str = "no_leak";
    /// Checked on every `Var` access: by loom's causality checker under loom, by
    /// `race::Clocks` under shuttle.
    pub const NO_DATA_RACE: &str = "no_data_race";
    /// Checked by the checkers: some thread can always run.
    pub const NO_DEADLOCK: &str = "no_deadlock";
    /// Arms every property at once (the first violation of any stops the execution).
    pub const ANY: &str = "*";
    /// Not a property a model declares: an execution that stops making progress (it runs
    /// past the step budget, or every thread waits and some wait with a timeout, which
    /// only sends them round their loop again) ends in the verdict `livelock`, whichever
    /// property is under check.
    pub const PROGRESS: &str = "progress";
}

/// A property that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub property: String,
    pub message: String,
}

/// The panic payload that stops an execution when the armed property fails.
pub(crate) const VIOLATION_PANIC: &str = "gilspec: armed property violated";

#[derive(Default)]
pub(crate) struct ExecState {
    pub trace: Vec<Event>,
    pub heap: Heap,
    /// Last value written to each named shared variable, for "before → after".
    pub values: BTreeMap<String, i64>,
    pub violation: Option<Violation>,
    pub executions: u64,
    /// Waits so far that could end in an explored event (an early timeout, a spurious wakeup).
    pub eligible_waits: usize,
    /// Whether each of those was a timed wait (its event is a timeout) or an untimed one
    /// (a spurious wakeup), for `gilspec explore` to name the choice.
    pub eligible_timed: Vec<bool>,
    /// The most eligible waits any execution of this run made.
    pub max_eligible_waits: usize,
    /// Which of this execution's eligible waits ended in an event.
    pub fired: Vec<usize>,
    /// Threads asleep in a timed wait.
    pub sleepers: Vec<Sleeper>,
    /// Threads started and not yet finished (main included), and those of them inside a
    /// join or a condition-variable wait.
    pub live: BTreeSet<String>,
    /// What each blocked thread waits for ("joins B", "waits on gil.cond").
    pub blocked: BTreeMap<String, String>,
    /// Which thread holds each mutex, and which mutex each thread is trying to take.
    pub lock_holders: BTreeMap<String, String>,
    pub lock_wanted: BTreeMap<String, String>,
    /// In a collecting run: this execution's first violation of the armed property.
    pub caught: Option<Caught>,
    /// In a collecting run: the violation with the fewest steps so far (kept across
    /// executions).
    pub shortest: Option<Caught>,
    /// What each thread has observed, hashed (see `History`): with the shared state below,
    /// it fixes the state of the whole model for the stateful search (`explore`).
    pub histories: BTreeMap<String, History>,
    /// The values of the model's `Ghost` cells, in the order they were made.
    pub ghosts: Vec<i64>,
    /// The threads asleep on each condition variable, oldest first.
    pub cv_waiters: BTreeMap<String, Vec<Sleeper>>,
    /// Sleepers claimed by a waker and not yet awake: whether by their deadline.
    pub pending_wakes: BTreeMap<String, bool>,
    /// Shuttle: the scheduling points each task (by id) has passed since its last step or
    /// mark, or since it last blocked. A lock that is taken after one switch or after two
    /// is at different points inside shuttle, and the search must tell them apart.
    pub switches: BTreeMap<usize, u32>,
    /// Steps taken so far (the trace's length, also when the trace is not kept).
    pub steps: usize,
    /// Shuttle: a task whose next scheduling point the stateful search need not branch
    /// at (a Lipton mover: right after it took a lock, right before it lets one go or
    /// wakes a sleeper; `docs/reduction.md`).
    pub mover: Option<usize>,
    /// Shuttle: a task whose next scheduling point is a lock, join or sleep that may block:
    /// taking a lock is a right mover only when what follows cannot block.
    pub blocking: Option<usize>,
    /// Happens-before, when this run looks for data races itself (`Exec::tracks_races`).
    pub races: Clocks,
    /// The states this execution was in at loop heads: after how many steps, and who
    /// could not run there (see `find_cycle`).
    pub loop_states: std::collections::HashMap<Hash128, (usize, Waiting)>,
    /// How many times each mutex has been let go in this execution.
    pub lock_releases: BTreeMap<String, u64>,
}

/// Who cannot run at a point of an execution, for a cycle's fairness: the threads blocked
/// in a wait or a join, and those that want a mutex another thread holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Waiting {
    blocked: BTreeSet<String>,
    /// The held mutex each such thread wants.
    for_lock: BTreeMap<String, String>,
    /// How many times each mutex had been let go.
    releases: BTreeMap<String, u64>,
}

impl Waiting {
    fn now(s: &ExecState) -> Waiting {
        let mut w = Waiting {
            releases: s.lock_releases.clone(),
            ..Waiting::default()
        };
        for t in &s.live {
            if s.blocked.contains_key(t) {
                w.blocked.insert(t.clone());
            } else if let Some(m) = s.lock_wanted.get(t)
                && s.lock_holders.get(m).is_some_and(|h| h != t)
            {
                w.for_lock.insert(t.clone(), m.clone());
            }
        }
        w
    }

    /// `thread` cannot run where a cycle starts (`start`) or where it ends (`end`): it is
    /// blocked in a wait or a join there, or it wants a mutex another thread holds and the
    /// cycle never lets that mutex go (the checkers wake a mutex's waiters when it is let
    /// go, and those can run until they try again).
    fn held_back(thread: &str, start: &Waiting, end: &Waiting) -> bool {
        let released = |w: &Waiting, m: &String| w.releases.get(m).copied().unwrap_or(0);
        [start, end].iter().any(|w| {
            w.blocked.contains(thread)
                || w.for_lock
                    .get(thread)
                    .is_some_and(|m| released(start, m) == released(end, m))
        })
    }
}

/// A thread asleep in a wait, as the context sees it (the condition variable's `Sleep`
/// is one): it can be claimed by one waker, then sent its wakeup.
pub(crate) trait Sleeping: Send + Sync {
    fn thread(&self) -> &str;
    /// Claim the sleeper for waking (only one waker may): false if already claimed.
    /// `deadline` says whether its time ran out (or a signal came).
    fn claim(&self, deadline: bool) -> bool;
    /// Send the wakeup a claim promised. It is a scheduling point: never call it holding
    /// the context's lock.
    fn send(&self, deadline: bool);
    /// Wake the sleeper, once.
    fn wake(&self, deadline: bool) {
        if self.claim(deadline) {
            self.send(deadline);
        }
    }
}

/// A thread asleep on its channel. Only the sleeping thread owns the channel: dropping a
/// shuttle sender outside its execution (when the next execution resets this state)
/// would fail, so the state keeps a weak reference.
#[derive(Clone)]
pub(crate) struct Sleeper {
    pub thread: String,
    sleep: std::sync::Weak<dyn Sleeping>,
}

impl Sleeper {
    fn new(sleep: &Arc<dyn Sleeping>) -> Sleeper {
        Sleeper {
            thread: sleep.thread().to_owned(),
            sleep: Arc::downgrade(sleep),
        }
    }
}

/// A violation a collecting run noted without stopping: how it read, and how to get there.
#[derive(Clone, Debug)]
pub(crate) struct Caught {
    pub violation: Violation,
    /// The trace up to and including the violation.
    pub trace: Vec<Event>,
    pub fired: Vec<usize>,
    /// Shuttle: the task chosen at each scheduling point up to the violation.
    pub tasks: Vec<usize>,
    /// 1-based, within the run.
    pub execution: u64,
}

/// Which eligible waits end in an explored event instead of blocking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitEvents {
    /// Exactly these (by the order of eligible waits in the execution): loom and shuttle
    /// DFS enumerate every such set up to the budget, and replays name one.
    Fixed(BTreeSet<usize>),
    /// Each eligible wait with probability 1/4, from a seed (shuttle PCT and random), at
    /// most `WaitConfig::budget` of them.
    Random { seed: u64 },
    /// Each eligible wait is a choice of the stateful search, both ways, without a budget.
    Explore(SearchHandle),
}

/// What makes the decisions of a run that explores them (the stateful search): it is
/// asked at each one, and told of each violation of the armed property.
pub(crate) trait Chooser: Send + Sync {
    /// One of `options` choices (numbered from 0) at the current state of `exec`.
    fn choose(&self, exec: &Exec, options: usize) -> usize;
    fn violation(&self, exec: &Exec, violation: Violation);
}

/// The stateful search a run belongs to (compared by identity).
#[derive(Clone)]
pub struct SearchHandle(pub(crate) Arc<dyn Chooser>);

impl PartialEq for SearchHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for SearchHandle {}
impl std::fmt::Debug for SearchHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SearchHandle")
    }
}

/// How condition variables behave in a run: POSIX lets a wait return without a signal and
/// a timed wait return whenever its deadline passes; neither checker does either, so the
/// runtime makes both explored events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitConfig {
    /// Untimed waits may wake spuriously.
    pub spurious: bool,
    /// Timed waits may time out. Off, a timed wait is a plain wait, as under loom and
    /// shuttle themselves.
    pub timeouts: bool,
    /// At most this many early timeouts and spurious wakeups in one execution.
    pub budget: usize,
    pub events: WaitEvents,
    /// An execution longer than this many trace steps is not making progress.
    pub max_steps: usize,
}

/// One checker run of one model: many executions.
pub struct Exec {
    pub backend: Backend,
    /// The property whose violation stops the execution; others are only noted.
    pub armed: Option<String>,
    pub waits: WaitConfig,
    /// A violation of the armed property is noted and the execution goes on (loom then
    /// explores past it), so a run can look for the violating execution with the fewest
    /// steps; without it, the first violation stops the run.
    pub collect: bool,
    /// Keep no trace (see `untraced`).
    untraced: bool,
    /// Replaying a lasso the stateful search found (see `replaying_lasso`).
    lasso: bool,
    /// Shuttle: where a recording scheduler keeps the current execution's choices, so
    /// that a collected violation can say how to get there again.
    tasks: Mutex<Option<Arc<Mutex<Vec<usize>>>>>,
    state: Mutex<ExecState>,
}

thread_local! {
    /// The situations (`rt::reach`) the model runs on this thread have reached since the
    /// last `take_reached`. Loom and shuttle run a model's threads on the thread that
    /// checks it.
    static REACHED: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
    static CURRENT: RefCell<Option<Arc<Exec>>> = const { RefCell::new(None) };
}

impl Exec {
    pub fn new(backend: Backend, armed: Option<&str>, waits: WaitConfig) -> Arc<Exec> {
        Exec::build(backend, armed, waits, false, false, false)
    }

    /// A run that notes violations of the armed property and goes on (see `collect`).
    pub fn collecting(backend: Backend, armed: &str, waits: WaitConfig) -> Arc<Exec> {
        Exec::build(backend, Some(armed), waits, true, false, false)
    }

    /// A run that keeps no trace (timing model code natively, `cost`): its steps are
    /// counted and observed, but not stored.
    pub fn untraced(backend: Backend, waits: WaitConfig) -> Arc<Exec> {
        Exec::build(backend, None, waits, false, true, false)
    }

    /// A replay of a lasso the stateful search found: it stops where the schedule does,
    /// and looks for no cycle of its own on the way.
    pub fn replaying_lasso(backend: Backend, waits: WaitConfig) -> Arc<Exec> {
        Exec::build(backend, Some(builtin::PROGRESS), waits, false, false, true)
    }

    fn build(
        backend: Backend,
        armed: Option<&str>,
        waits: WaitConfig,
        collect: bool,
        untraced: bool,
        lasso: bool,
    ) -> Arc<Exec> {
        Arc::new(Exec {
            backend,
            armed: armed.map(str::to_owned),
            waits,
            collect,
            untraced,
            lasso,
            tasks: Mutex::new(None),
            state: Mutex::new(ExecState::default()),
        })
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, ExecState> {
        // A model thread may panic while we hold nothing; poisoning carries no meaning here.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_armed(&self, property: &str) -> bool {
        matches!(self.armed.as_deref(), Some(a) if a == property || a == builtin::ANY)
    }

    /// Loom's race detector is on only while `no_data_race` is the armed property: any
    /// other property is checked past the first race, with `Var`s behaving like relaxed
    /// word-sized accesses (what the hardware does) so the race's outcome can be observed.
    pub fn race_detection(&self) -> bool {
        self.backend == Backend::Loom && self.armed.as_deref() == Some(builtin::NO_DATA_RACE)
    }

    /// The runtime's own race detector (`race`) is on under shuttle while `no_data_race`
    /// is armed (alone, or with every property in the stateful search).
    pub fn tracks_races(&self) -> bool {
        self.backend == Backend::Shuttle
            && matches!(
                self.armed.as_deref(),
                Some(builtin::NO_DATA_RACE | builtin::ANY)
            )
    }

    /// Run `f` with this context installed on the current OS thread.
    pub fn enter<R>(self: &Arc<Self>, f: impl FnOnce() -> R) -> R {
        let previous = CURRENT.with(|c| c.replace(Some(self.clone())));
        struct Restore(Option<Arc<Exec>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0.take();
                CURRENT.with(|c| *c.borrow_mut() = prev);
            }
        }
        let _restore = Restore(previous);
        f()
    }

    /// Called at the start of each execution: forget the previous one's ghost state.
    pub(crate) fn begin_execution(&self) {
        self.clear_execution(1);
    }

    /// Forget the last execution's ghost state before the next one makes its first
    /// decision (the stateful search looks at the state there).
    pub(crate) fn clear_execution(&self, count: u64) {
        let mut s = self.state();
        *s = ExecState {
            executions: s.executions + count,
            max_eligible_waits: s.max_eligible_waits,
            shortest: s.shortest.take(),
            live: BTreeSet::from(["main".to_owned()]),
            ..ExecState::default()
        };
    }

    /// The most eligible waits one execution made (to enumerate event sets over).
    pub fn max_eligible_waits(&self) -> usize {
        self.state().max_eligible_waits
    }

    /// The eligible waits of the current (or failed) execution that ended in an event.
    pub fn fired(&self) -> Vec<usize> {
        self.state().fired.clone()
    }

    /// Called when the model's main thread returns: end-of-execution checks.
    pub(crate) fn end_execution(&self) {
        let leaks = self.state().heap.leaks();
        for message in leaks {
            report(builtin::NO_LEAK, message);
        }
    }

    pub fn executions(&self) -> u64 {
        self.state().executions
    }

    pub fn trace(&self) -> Trace {
        Trace {
            events: self.state().trace.clone(),
        }
    }

    /// Steps recorded so far in the current execution.
    pub fn steps(&self) -> usize {
        self.state().steps
    }

    /// The stateful search keeps no traces: it replays the one it reports.
    fn keeps_trace(&self) -> bool {
        !self.untraced && !matches!(self.waits.events, WaitEvents::Explore(_))
    }

    pub fn violation(&self) -> Option<Violation> {
        self.state().violation.clone()
    }

    /// A collecting run: the current (or last) execution's first violation.
    pub(crate) fn caught(&self) -> Option<Caught> {
        self.state().caught.clone()
    }

    /// A collecting run: the violation with the fewest steps of all executions so far.
    pub(crate) fn shortest(&self) -> Option<Caught> {
        self.state().shortest.clone()
    }

    /// Shuttle: the recording scheduler's log of choices (see `tasks`).
    pub(crate) fn record_tasks(&self, log: Arc<Mutex<Vec<usize>>>) {
        *self.tasks.lock().unwrap_or_else(|e| e.into_inner()) = Some(log);
    }

    /// A collecting run: note the execution's first violation, and keep it if it is the
    /// shortest yet.
    fn catch(&self, violation: Violation) {
        let tasks = match &*self.tasks.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(log) => log.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            None => Vec::new(),
        };
        let mut s = self.state();
        if s.caught.is_some() {
            return;
        }
        let caught = Caught {
            violation,
            trace: s.trace.clone(),
            fired: s.fired.clone(),
            tasks,
            execution: s.executions,
        };
        if s.shortest
            .as_ref()
            .is_none_or(|best| caught.trace.len() < best.trace.len())
        {
            s.shortest = Some(caught.clone());
        }
        s.caught = Some(caught);
    }

    pub(crate) fn set_violation(&self, v: Violation) {
        let mut s = self.state();
        if s.violation.is_none() {
            s.violation = Some(v);
        }
    }
}

/// The backend of the run this thread belongs to.
pub(crate) fn backend() -> Backend {
    current().backend
}

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

/// The context of the run this thread belongs to.
pub(crate) fn current() -> Arc<Exec> {
    CURRENT
        .with(|c| c.borrow().clone())
        .expect("gilspec primitives can only be used inside a model run (see gilspec::check)")
}

pub(crate) fn try_current() -> Option<Arc<Exec>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// A model thread got to `situation` (see `runtime::reach`).
pub(crate) fn reach(situation: &'static str) {
    if try_current().is_some() {
        REACHED.with(|r| r.borrow_mut().insert(situation));
    }
}

/// The situations reached since the last call, and start afresh.
pub(crate) fn take_reached() -> BTreeSet<&'static str> {
    REACHED.with(|r| std::mem::take(&mut *r.borrow_mut()))
}

pub(crate) fn reached_so_far() -> BTreeSet<&'static str> {
    REACHED.with(|r| r.borrow().clone())
}

/// Count `situations` as reached (by a search done before and kept).
pub(crate) fn add_reached(situations: &BTreeSet<&'static str>) {
    REACHED.with(|r| r.borrow_mut().extend(situations.iter().copied()));
}

/// Whether the current run keeps a trace: a step's note need not be written otherwise
/// (the stateful search keeps none; it replays a route when it needs one).
pub(crate) fn tracing() -> bool {
    try_current().is_some_and(|exec| exec.keeps_trace())
}

/// Record one step of the current thread that touches no shared value, with a note for
/// the trace ("holds gil.mutex"), written only when the run keeps a trace.
pub(crate) fn record_noted(action: &str, note: impl FnOnce() -> String) {
    record(action, vec![], tracing().then(note));
}

/// Record one step of the current thread.
pub(crate) fn record(action: &str, accesses: Vec<Access>, note: Option<String>) {
    let exec = current();
    let thread = thread_name();
    let mut s = exec.state();
    for a in &accesses {
        if let Access::Write { var, after, .. } = a {
            match s.values.get_mut(var) {
                Some(v) => *v = *after,
                None => {
                    s.values.insert(var.clone(), *after);
                }
            }
        }
    }
    s.steps += 1;
    let step = s.steps;
    observe(&exec, &mut s, &thread, hash128(&(action, &accesses)));
    if exec.keeps_trace() {
        s.trace.push(Event {
            step,
            thread,
            action: action.to_owned(),
            accesses,
            note,
        });
    }
    if step > exec.waits.max_steps && s.violation.is_none() && !std::thread::panicking() {
        s.violation = Some(Violation {
            property: builtin::PROGRESS.to_owned(),
            message: format!("no progress within {} steps", exec.waits.max_steps),
        });
        drop(s);
        std::panic::panic_any(VIOLATION_PANIC);
    }
}

/// The calling thread passed a scheduling point that takes no trace step (`what` says
/// which, and what it returned): part of its history all the same.
pub(crate) fn mark(what: &str) {
    let Some(exec) = try_current() else { return };
    let thread = thread_name();
    observe(&exec, &mut exec.state(), &thread, hash128(&("mark", what)));
}

/// The calling `thread` took a step or passed a scheduling point (`seen`): its history
/// grows, and its count of switches since its last step starts again.
fn observe(exec: &Exec, s: &mut ExecState, thread: &str, seen: Hash128) {
    history_of(s, thread).observe(seen);
    if exec.backend == Backend::Shuttle {
        s.switches.remove(&usize::from(shuttle::current::me()));
    }
}

/// `thread`'s history (without allocating its name again at every step).
fn history_of<'a>(s: &'a mut ExecState, thread: &str) -> &'a mut History {
    if !s.histories.contains_key(thread) {
        s.histories.insert(thread.to_owned(), History::default());
    }
    s.histories.get_mut(thread).expect("just inserted")
}

/// The calling thread's next scheduling point is a Lipton mover (see `ExecState::mover`).
pub(crate) fn next_is_mover() {
    if let Some(exec) = try_current()
        && exec.backend == Backend::Shuttle
    {
        exec.state().mover = Some(usize::from(shuttle::current::me()));
    }
}

/// The calling thread's next scheduling point may block (see `ExecState::blocking`).
pub(crate) fn next_may_block() {
    if let Some(exec) = try_current()
        && exec.backend == Backend::Shuttle
    {
        exec.state().blocking = Some(usize::from(shuttle::current::me()));
    }
}

/// Shuttle: task `task` passed a scheduling point; `blocked` if it blocks there.
pub(crate) fn switched(exec: &Exec, task: usize, blocked: bool) {
    let mut s = exec.state();
    if blocked {
        s.switches.remove(&task);
    } else {
        *s.switches.entry(task).or_default() += 1;
    }
}

/// The calling thread read ghost cell `index` (see `rt::Ghost::get`).
pub(crate) fn observe_ghost(index: Option<usize>, value: i64) {
    let Some(exec) = try_current() else { return };
    let thread = thread_name();
    let seen = hash128(&("ghost", index, value));
    exec.state()
        .histories
        .entry(thread)
        .or_default()
        .observe(seen);
}

/// The calling thread's history so far (see `rt::each`).
pub(crate) fn history() -> Hash128 {
    let Some(exec) = try_current() else {
        return (0, 0);
    };
    let thread = thread_name();
    exec.state()
        .histories
        .get(&thread)
        .map_or((0, 0), |h| h.hash)
}

/// The calling thread's local state is `local` and nothing else: what it observed before
/// is forgotten (see `rt::each`).
pub(crate) fn forget_history(local: Hash128) {
    let Some(exec) = try_current() else { return };
    let thread = thread_name();
    let mut s = exec.state();
    s.histories.entry(thread).or_default().forget(local);
}

/// The calling thread is at the head of a loop (see `History`).
pub(crate) fn loop_head(label: &str) {
    let Some(exec) = try_current() else { return };
    let thread = thread_name();
    exec.state()
        .histories
        .entry(thread)
        .or_default()
        .loop_head(label);
    if exec.backend != Backend::Std && exec.keeps_trace() && !exec.lasso {
        find_cycle(&exec);
    }
}

/// A livelock as a cycle within one execution (loom, PCT, random; the stateful search
/// finds cycles in its graph of states): the execution is at a loop head, in a state it
/// was in before, at an earlier loop head. The steps since then can repeat forever: the
/// state (every shared value, lock, waiter, and each thread's history with repeated loop
/// rounds folded) is the one they started from, and the threads' code is deterministic.
/// The cycle counts under weak fairness when every thread that takes no step in it is held
/// back (`Waiting::held_back`), so it is not able to run all along it.
fn find_cycle(exec: &Arc<Exec>) {
    let here = fingerprint(exec, &"loop head");
    let mut s = exec.state();
    if s.violation.is_some() || std::thread::panicking() {
        return;
    }
    let here_waiting = Waiting::now(&s);
    let steps = s.steps;
    let Some((from, before)) = s.loop_states.get(&here).cloned() else {
        s.loop_states.insert(here, (steps, here_waiting));
        return;
    };
    let moved: BTreeSet<&str> = s.trace[from..steps]
        .iter()
        .map(|e| e.thread.as_str())
        .collect();
    let left_out = s
        .live
        .iter()
        .any(|t| !moved.contains(t.as_str()) && !Waiting::held_back(t, &before, &here_waiting));
    if steps == from || left_out {
        return;
    }
    let message = crate::trace::close_lasso(
        &mut s.trace,
        from,
        "weak fairness: every thread left out of it is blocked where it starts or ends, or wants a mutex the cycle never lets go",
    );
    s.violation = Some(Violation {
        property: builtin::PROGRESS.to_owned(),
        message,
    });
    drop(s);
    std::panic::panic_any(VIOLATION_PANIC);
}

/// A model's ghost cell was made (returns its index) or changed.
pub(crate) fn ghost_new(value: i64) -> Option<usize> {
    let exec = try_current()?;
    let mut s = exec.state();
    s.ghosts.push(value);
    Some(s.ghosts.len() - 1)
}

pub(crate) fn ghost_set(index: usize, value: i64) {
    if let Some(exec) = try_current()
        && let Some(g) = exec.state().ghosts.get_mut(index)
    {
        *g = value;
    }
}

/// The whole state of the current execution as the stateful search sees it, hashed:
/// each thread's history and what it waits for, every shared value, lock, waiter queue,
/// pending wakeup, ghost cell and heap object. `extra` is the decision being made there.
pub(crate) fn fingerprint(exec: &Exec, extra: &impl std::hash::Hash) -> Hash128 {
    let s = exec.state();
    let histories: Vec<(&String, Hash128)> = s.histories.iter().map(|(t, h)| (t, h.hash)).collect();
    let sleepers: Vec<&str> = s.sleepers.iter().map(|x| x.thread.as_str()).collect();
    let waiters: Vec<(&String, Vec<&str>)> = s
        .cv_waiters
        .iter()
        .map(|(cv, ws)| (cv, ws.iter().map(|w| w.thread.as_str()).collect()))
        .collect();
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    s.heap.hash_state(&mut h);
    let heap = h.digest128();
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    s.races.hash_state(&mut h);
    let races = h.digest128();
    hash128(&(
        (
            extra,
            histories,
            &s.live,
            &s.blocked,
            &s.switches,
            &s.mover,
            &s.blocking,
        ),
        (&s.lock_holders, &s.lock_wanted, &s.values, &s.ghosts),
        (&s.pending_wakes, sleepers, waiters, heap, races),
    ))
}

/// A thread is about to wait on a condition variable: should this wait end in an explored
/// event (`timed`: an early timeout; otherwise a spurious wakeup) instead of blocking?
pub(crate) fn wait_event(timed: bool) -> bool {
    let exec = current();
    if (timed && !exec.waits.timeouts) || (!timed && !exec.waits.spurious) {
        return false;
    }
    let mut s = exec.state();
    let ordinal = s.eligible_waits;
    s.eligible_waits += 1;
    s.eligible_timed.push(timed);
    s.max_eligible_waits = s.max_eligible_waits.max(s.eligible_waits);
    let fire = match &exec.waits.events {
        WaitEvents::Fixed(set) => set.contains(&ordinal),
        WaitEvents::Random { .. } if s.fired.len() >= exec.waits.budget => false,
        WaitEvents::Random { seed } => mix(*seed, s.executions, ordinal as u64).is_multiple_of(4),
        WaitEvents::Explore(search) => {
            let search = search.clone();
            drop(s);
            let fire = search.0.choose(&exec, 2) == 1;
            s = exec.state();
            fire
        }
    };
    if fire {
        s.fired.push(ordinal);
    }
    fire
}

/// The calling thread is about to sleep in a timed wait. Returns false if its deadline
/// passes at once instead: every other live thread already waits, so nothing else could
/// happen before it.
pub(crate) fn sleep_timed(sleep: &Arc<dyn Sleeping>, what: &str) -> bool {
    let exec = current();
    let thread = thread_name();
    let mut s = exec.state();
    if s.live
        .iter()
        .all(|t| *t == thread || s.blocked.contains_key(t))
    {
        return false;
    }
    s.sleepers.push(Sleeper::new(sleep));
    s.blocked.insert(thread, format!("{what} with a timeout"));
    true
}

/// The calling thread starts waiting in a join or a condvar wait (`Some(what)`), or stops.
pub(crate) fn set_blocked(what: Option<String>) {
    let exec = current();
    let thread = thread_name();
    let mut s = exec.state();
    match what {
        Some(what) => s.blocked.insert(thread, what),
        None => s.blocked.remove(&thread),
    };
}

/// Ghost bookkeeping of mutexes, for deadlock reports: the calling thread wants `mutex`
/// (`Want`), has taken it (`Take`), or has let it go (`Release`).
pub(crate) enum LockEvent {
    Want,
    Take,
    Release,
}

pub(crate) fn lock_event(mutex: &str, event: LockEvent) {
    let Some(exec) = try_current() else { return };
    let thread = thread_name();
    let mut s = exec.state();
    match event {
        LockEvent::Want => {
            s.lock_wanted.insert(thread, mutex.to_owned());
        }
        LockEvent::Take => {
            s.lock_wanted.remove(&thread);
            if exec.tracks_races() {
                s.races.lock_taken(&thread, mutex);
            }
            s.lock_holders.insert(mutex.to_owned(), thread);
        }
        LockEvent::Release => {
            *s.lock_releases.entry(mutex.to_owned()).or_default() += 1;
            if exec.tracks_races() {
                s.races.lock_released(&thread, mutex);
            }
            s.lock_holders.remove(mutex);
        }
    }
}

/// Happens-before for the runtime's race detector (see `race`): the calling thread made
/// an atomic access, a fence, or started or joined `child`. No-ops unless it is on.
pub(crate) fn race_atomic(atomic: &str, access: AtomicAccess) {
    with_races(|c, t| c.atomic(t, atomic, access));
}

pub(crate) fn race_fence(order: super::Ordering) {
    with_races(|c, t| c.fence(t, order));
}

pub(crate) fn race_spawn(child: &str) {
    with_races(|c, t| c.spawn(t, child));
}

pub(crate) fn race_join(child: &str) {
    with_races(|c, t| c.join(t, child));
}

/// The calling thread read or wrote `var` (after its step is recorded): a race it is in
/// is a violation of `no_data_race`.
pub(crate) fn race_var(var: &str, write: bool) {
    if let Some(race) = with_races(|c, t| c.var(t, var, write)).flatten() {
        report(builtin::NO_DATA_RACE, race);
    }
}

fn with_races<R>(f: impl FnOnce(&mut Clocks, &str) -> R) -> Option<R> {
    let exec = try_current().filter(|e| e.tracks_races())?;
    let thread = thread_name();
    let mut s = exec.state();
    Some(f(&mut s.races, &thread))
}

/// Who waits for what, for a deadlock report: the mutexes each unfinished thread holds,
/// and the join, wait or mutex it is stuck in.
pub(crate) fn who_waits(exec: &Exec) -> String {
    let s = exec.state();
    s.live
        .iter()
        .map(|t| {
            let held: Vec<&str> = s
                .lock_holders
                .iter()
                .filter(|(_, h)| *h == t)
                .map(|(m, _)| m.as_str())
                .collect();
            let holds = if held.is_empty() {
                String::new()
            } else {
                format!(" holds {} and", held.join(", "))
            };
            let waits = match (s.blocked.get(t), s.lock_wanted.get(t)) {
                (Some(what), _) => what.clone(),
                (None, Some(m)) => match s.lock_holders.get(m) {
                    Some(h) => format!("waits for {m} (held by {h})"),
                    None => format!("waits for {m}"),
                },
                (None, None) => "waits".to_owned(),
            };
            format!("{t}{holds} {waits}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A thread starts (`true`, named) or finishes (`false`, the calling one).
pub(crate) fn set_live(name: &str, live: bool) {
    let exec = current();
    let mut s = exec.state();
    if live {
        s.live.insert(name.to_owned());
    } else {
        s.live.remove(name);
    }
}

/// The calling thread woke from a sleep on its channel (see `rt::Condvar`).
pub(crate) fn woke() {
    let exec = current();
    let thread = thread_name();
    let mut s = exec.state();
    s.sleepers.retain(|sleep| sleep.thread != thread);
    s.blocked.remove(&thread);
    s.pending_wakes.remove(&thread);
}

/// A wakeup is on its way to `thread`: `deadline` says whether by its deadline.
pub(crate) fn pending_wake(thread: &str, deadline: bool) {
    if let Some(exec) = try_current() {
        exec.state()
            .pending_wakes
            .insert(thread.to_owned(), deadline);
    }
}

/// The calling thread goes to sleep on condition variable `cv`.
pub(crate) fn cv_wait(cv: &str, sleep: &Arc<dyn Sleeping>) {
    current()
        .state()
        .cv_waiters
        .entry(cv.to_owned())
        .or_default()
        .push(Sleeper::new(sleep));
}

/// Take the oldest sleeper on `cv` that nobody has woken yet (`all`: every one) and claim
/// it for a signal.
pub(crate) fn cv_claim(cv: &str, all: bool) -> Vec<Arc<dyn Sleeping>> {
    let exec = current();
    let mut taken = Vec::new();
    while all || taken.is_empty() {
        let next = {
            let mut s = exec.state();
            match s.cv_waiters.get_mut(cv) {
                Some(waiters) if !waiters.is_empty() => waiters.remove(0),
                _ => break,
            }
        };
        // A sleeper whose deadline already woke it is only dropped from the queue.
        if let Some(next) = next.sleep.upgrade()
            && next.claim(false)
        {
            taken.push(next);
        }
    }
    taken
}

/// Time passes: the calling thread is about to block (a wait, a join) or to exit, so the
/// threads asleep in a timed wait reach their deadlines. Time is not modelled otherwise;
/// the explored early timeouts cover deadlines that pass while others are busy.
pub(crate) fn time_passes() {
    let Some(exec) = try_current() else { return };
    let asleep = std::mem::take(&mut exec.state().sleepers);
    for sleep in asleep.iter().filter_map(|s| s.sleep.upgrade()) {
        sleep.wake(true);
    }
}

/// Threads asleep in a timed wait right now.
pub(crate) fn timed_sleepers(exec: &Exec) -> Vec<String> {
    exec.state()
        .sleepers
        .iter()
        .map(|s| s.thread.clone())
        .collect()
}

/// A deterministic hash of three numbers (splitmix64 steps), for seeded choices.
fn mix(a: u64, b: u64, c: u64) -> u64 {
    let mut x = a ^ b.rotate_left(21) ^ c.rotate_left(42);
    for _ in 0..2 {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
    }
    x
}

/// The value last written to `var` in this execution, for the "before" of a write.
pub(crate) fn last_value(var: &str) -> Option<i64> {
    current().state().values.get(var).copied()
}

/// A property failed. If it is the armed one, the execution stops here (a collecting run
/// notes it and goes on); otherwise the failure is only noted in the trace and the
/// execution goes on, so that the armed property can still be checked past it.
pub fn report(property: &str, message: String) {
    let exec = current();
    let armed = exec.is_armed(property);
    record(
        &format!("violation: {property}"),
        vec![],
        Some(format!(
            "{message}{}",
            if armed {
                ""
            } else {
                " (not the property under check)"
            }
        )),
    );
    if armed {
        let violation = Violation {
            property: property.to_owned(),
            message,
        };
        if let WaitEvents::Explore(search) = &exec.waits.events {
            search.0.violation(&exec, violation);
            return;
        }
        if exec.collect {
            exec.catch(violation);
            return;
        }
        exec.set_violation(violation);
        std::panic::panic_any(VIOLATION_PANIC);
    }
}

/// Check a model property: `report` it when `holds` is false.
pub fn ensure(property: &str, holds: bool, message: impl FnOnce() -> String) {
    if !holds {
        report(property, message());
    }
}
