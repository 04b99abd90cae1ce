//! Running a model body under a checker, and turning what the checker did into an honest
//! verdict: how many executions, whether the search was exhaustive or bounded, and for a
//! violation the trace of the failing execution and a string that replays it.

pub use crate::explore::Fairness;
use crate::model::Checker;
use crate::runtime::context::{
    Backend, Exec, VIOLATION_PANIC, Violation, WaitConfig, WaitEvents, builtin,
};
use crate::schedulers::{Recording, Replaying, Scripted};
use crate::trace::Trace;
use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};
use std::any::Any;
use std::collections::BTreeSet;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Instant;

/// A model body: one execution of the model, started on the model's main thread.
pub type Body = Arc<dyn Fn() + Send + Sync + 'static>;

/// How far a checker may go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// loom: at most this many preemptions per execution; `None` explores them all.
    pub preemption_bound: Option<usize>,
    /// Let each model's data choose loom's preemption bound (its `loom_bound`) instead.
    pub model_bound: bool,
    /// loom: stop (and say "inconclusive") after this many executions.
    pub loom_budget: u64,
    /// shuttle PCT and random: executions to try.
    pub iterations: usize,
    /// The unreduced search: stop (and say "inconclusive") after this many executions.
    pub dfs_budget: usize,
    /// shuttle DFS: search every state once, merging equal states, folding repeated loop
    /// rounds and skipping Lipton movers (`docs/reduction.md`). Off, every path of
    /// decisions is searched (to compare: it finishes only on small models).
    pub reduction: bool,
    /// The stateful search: stop (and say "inconclusive") after this many states.
    pub state_budget: usize,
    /// The stateful search: which cycles count as livelocks.
    pub fairness: Fairness,
    /// The stateful search: check that every replay reaches the states it recorded.
    pub verify_search: bool,
    /// shuttle: the seed of the PCT and random schedulers, so verdicts reproduce.
    pub seed: u64,
    /// shuttle PCT: the bug depth it targets.
    pub pct_depth: usize,
    /// loom: after a violation, search for the one with the fewest preemptions, then
    /// among those for the one with the fewest steps.
    pub minimize: bool,
    /// loom: at most this many executions in the search for the fewest steps.
    pub steps_budget: u64,
    /// Condition variables may wake spuriously.
    pub spurious: bool,
    /// Timed waits may time out (off: they wait like untimed ones, as loom and shuttle do).
    pub timeouts: bool,
    /// At most this many spurious wakeups per execution.
    pub wait_events: usize,
    /// An execution longer than this many trace steps is a livelock.
    pub max_steps: usize,
}

impl Limits {
    /// The deep suite's limits: PCT looks for bugs of depth 4 (the 3-thread double free of
    /// refcount-plain needs it). Loom's bound comes from each model's data.
    pub fn deep() -> Limits {
        Limits {
            pct_depth: 4,
            // Three workers of the GIL family run to millions of states: the search says
            // "inconclusive" there, in a minute, rather than running for an hour.
            state_budget: 100_000,
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            preemption_bound: None,
            model_bound: true,
            loom_budget: 500_000,
            iterations: 1_000,
            dfs_budget: 20_000,
            reduction: true,
            state_budget: 2_000_000,
            fairness: Fairness::Strong,
            verify_search: false,
            seed: 0,
            pct_depth: 3,
            minimize: true,
            steps_budget: 50_000,
            spurious: false,
            timeouts: true,
            wait_events: 2,
            max_steps: 500,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Holds,
    Violated,
    /// An execution stopped making progress: it ran past the step budget (a thread waiting
    /// in vain with a timeout, again and again, does).
    Livelock,
    /// The search stopped before it could decide (budget spent, or another failure).
    Inconclusive,
    /// The checker cannot decide this property (for example: shuttle and data races).
    NotApplicable,
    /// The model itself crashed: a bug in the model, not a finding.
    Error,
    /// No violation, but the runs never reached a situation the property is about
    /// (`model::Situation`): the "holds" would say nothing.
    Vacuous,
}

impl Verdict {
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Livelock => "livelock",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotApplicable => "not applicable",
            Verdict::Error => "error",
            Verdict::Vacuous => "vacuous",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What replays one execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// The `execution`-th execution of a loom run with this preemption bound (loom's
    /// exploration order is deterministic, so re-running reaches the same one).
    Loom {
        bound: Option<usize>,
        execution: u64,
        events: Vec<usize>,
    },
    /// The shuttle task chosen at each scheduling point (0 is main, then in spawn order).
    /// With `cycle`, the execution stops where the tasks end: a lasso whose cycle starts
    /// after that many trace steps and leads back to the state there.
    Shuttle {
        tasks: Vec<usize>,
        events: Vec<usize>,
        cycle: Option<usize>,
    },
    /// The thread that takes each trace step, by name (a scripted scenario).
    Script {
        threads: Vec<String>,
        events: Vec<usize>,
    },
}

fn join<T: ToString>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(".")
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut cycle = None;
        let events = match self {
            Schedule::Loom {
                bound,
                execution,
                events,
            } => {
                let pb = bound.map_or("x".to_owned(), |b| b.to_string());
                write!(f, "loom:pb{pb}:e{execution}")?;
                events
            }
            Schedule::Shuttle {
                tasks,
                events,
                cycle: c,
            } => {
                write!(f, "shuttle:{}", join(tasks))?;
                cycle = *c;
                events
            }
            Schedule::Script { threads, events } => {
                write!(f, "script:{}", join(threads))?;
                events
            }
        };
        if !events.is_empty() {
            write!(f, ":w{}", join(events))?;
        }
        if let Some(c) = cycle {
            write!(f, ":c{c}")?;
        }
        Ok(())
    }
}

impl Schedule {
    /// The waits (by their order among the execution's eligible waits) that ended in a
    /// timeout or a spurious wakeup.
    pub fn events(&self) -> &[usize] {
        match self {
            Schedule::Loom { events, .. }
            | Schedule::Shuttle { events, .. }
            | Schedule::Script { events, .. } => events,
        }
    }

    /// Parse the `Display` form.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let malformed = |what: &str| format!("malformed {what} in schedule {s:?}");
        let mut parts: Vec<&str> = s.split(':').collect();
        let cycle = match parts.last() {
            Some(last) if parts.len() > 2 && last.starts_with('c') => {
                let n = &parts.pop().expect("checked")[1..];
                Some(n.parse::<usize>().map_err(|_| malformed("cycle start"))?)
            }
            _ => None,
        };
        if cycle.is_some() && parts.first() != Some(&"shuttle") {
            return Err(malformed("cycle (only a shuttle schedule has one)"));
        }
        let events = match parts.last() {
            Some(last) if parts.len() > 2 && last.starts_with('w') => {
                let list = &parts.pop().expect("checked")[1..];
                list.split('.')
                    .map(|n| n.parse::<usize>().map_err(|_| malformed("wait-event list")))
                    .collect::<Result<Vec<_>, _>>()?
            }
            _ => vec![],
        };
        match parts.as_slice() {
            ["loom", pb, e] => {
                let bound = match pb.strip_prefix("pb") {
                    Some("x") => None,
                    Some(n) => Some(n.parse().map_err(|_| malformed("preemption bound"))?),
                    None => return Err(malformed("preemption bound (expected pbN or pbx)")),
                };
                let execution = e
                    .strip_prefix('e')
                    .and_then(|n| n.parse().ok())
                    .filter(|&n: &u64| n >= 1)
                    .ok_or_else(|| malformed("execution number (expected eN)"))?;
                Ok(Schedule::Loom {
                    bound,
                    execution,
                    events,
                })
            }
            ["shuttle", tasks] => {
                let tasks = tasks
                    .split('.')
                    .map(|t| t.parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        malformed("shuttle schedule (expected task numbers separated by dots)")
                    })?;
                Ok(Schedule::Shuttle {
                    tasks,
                    events,
                    cycle,
                })
            }
            ["script", threads] => {
                let threads: Vec<String> = threads.split('.').map(str::to_owned).collect();
                if threads.iter().any(|t| t.is_empty()) {
                    return Err(malformed(
                        "script (expected thread names separated by dots)",
                    ));
                }
                Ok(Schedule::Script { threads, events })
            }
            [kind, ..] if !["loom", "shuttle", "script"].contains(kind) => Err(format!(
                "unknown schedule kind {kind:?} in {s:?}: expected loom, shuttle or script"
            )),
            _ => Err(format!(
                "malformed schedule {s:?}: expected loom:pbN:eM, shuttle:T.T.T or script:A.B, optionally followed by :wN.N"
            )),
        }
    }
}

/// A failing execution: which property broke, how, and how to get there again.
#[derive(Clone, Debug)]
pub struct Failure {
    pub violation: Violation,
    pub trace: Trace,
    pub schedule: Schedule,
    /// 1-based index of the failing execution within its run.
    pub execution: u64,
}

impl Failure {
    /// A lasso's cycle starts after this many steps.
    pub fn schedule_cycle(&self) -> Option<usize> {
        match self.schedule {
            Schedule::Shuttle { cycle, .. } => cycle,
            _ => None,
        }
    }
}

/// One run of one checker: how many executions it explored and the first failure.
#[derive(Clone, Debug)]
pub struct Run {
    pub executions: u64,
    pub failure: Option<Failure>,
    /// The run stopped on its budget before the search space was exhausted.
    pub budget_spent: bool,
    /// The model panicked on its own (a bug in the model) or the checker gave up.
    pub error: Option<String>,
    /// The most waits that could end in a timeout or spurious wakeup, in one execution.
    pub max_eligible_waits: usize,
    /// `run_std` only: no execution finished for `STALL_LIMIT`; its threads are blocked
    /// for good and cannot be joined.
    pub stalled: bool,
}

/// The verdict of one property under one checker.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub checker: Checker,
    pub property: String,
    pub verdict: Verdict,
    /// Every execution of the search space was explored (for "holds": a proof, within
    /// the checker's semantics).
    pub exhaustive: bool,
    /// How strong the verdict is, in words: "exhaustive", "preemption bound 2", ...
    pub bound: String,
    /// Executions explored, the minimisation runs included.
    pub executions: u64,
    pub millis: u128,
    pub failure: Option<Failure>,
    /// loom: the fewest preemptions a violating execution needs.
    pub preemptions: Option<usize>,
    /// The preemption count is proven minimal (every smaller bound was explored in full).
    pub preemptions_minimal: bool,
    /// No violating execution with that many preemptions has fewer steps (all of them
    /// were explored); otherwise the trace is only the shortest found.
    pub steps_minimal: bool,
    /// Shuttle PCT and random: the trace is the shortest violation among this many
    /// executions (all the run tried; none is a proof of minimality).
    pub shortest_among: Option<u64>,
    pub note: Option<String>,
    /// The model's situations (`rt::reach`) that some explored execution reached.
    pub reached: BTreeSet<&'static str>,
}

// ---------------------------------------------------------------------------------------
// Quiet failures

static SILENCE_STDERR: AtomicBool = AtomicBool::new(false);

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Ask the checkers' own failure chatter (shuttle prints to stderr on every failing
/// execution) to be dropped; the CLI does, tests need not.
pub fn silence_checker_stderr() {
    SILENCE_STDERR.store(true, Ordering::Relaxed);
}

pub(crate) fn set_quiet(on: bool) {
    QUIET.with(|q| q.set(on));
}

/// Expected failures are our verdicts, not crashes: keep the panic hook quiet for them.
fn install_quiet_hook() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Shuttle installs its own hook once, on its first run, and that hook assumes it
        // runs inside a shuttle execution. Let it install now, then replace it with ours,
        // which hands other panics to the hook that was there before.
        let previous = panic::take_hook();
        shuttle::Runner::new(RandomScheduler::new_from_seed(0, 1), shuttle_config(1_000))
            .run(|| {});
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
}

/// Points stderr at /dev/null while shuttle runs, when asked to (see above).
struct StderrSilencer(Option<libc::c_int>);

impl StderrSilencer {
    fn new() -> StderrSilencer {
        if !SILENCE_STDERR.load(Ordering::Relaxed) {
            return StderrSilencer(None);
        }
        // SAFETY: plain POSIX calls on file descriptors we own; failures leave stderr as is.
        unsafe {
            let saved = libc::dup(2);
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
            if saved < 0 || null < 0 {
                return StderrSilencer(None);
            }
            libc::dup2(null, 2);
            libc::close(null);
            StderrSilencer(Some(saved))
        }
    }
}

impl Drop for StderrSilencer {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            // SAFETY: restores the descriptor saved in `new`.
            unsafe {
                libc::dup2(saved, 2);
                libc::close(saved);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Running a body under one backend

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}

/// What a panic out of a checker means: a property violation, or an error.
fn classify(exec: &Exec, payload: &(dyn Any + Send)) -> Result<Violation, String> {
    if let Some(v) = exec.violation() {
        return Ok(v);
    }
    let text = payload_text(payload);
    if text.contains("deadlock") {
        let sleepers = crate::runtime::context::timed_sleepers(exec);
        if !sleepers.is_empty() {
            // Nothing else can run; a timeout would only send the sleepers round their
            // waiting loop again (they re-tested when the others last blocked or exited).
            return Ok(Violation {
                property: builtin::PROGRESS.to_owned(),
                message: format!(
                    "no progress: every thread waits ({}); {} would time out, find nothing changed and wait again, forever",
                    crate::runtime::context::who_waits(exec),
                    sleepers.join(", ")
                ),
            });
        }
        return Ok(Violation {
            property: builtin::NO_DEADLOCK.to_owned(),
            message: format!(
                "deadlock: no thread can run ({})",
                crate::runtime::context::who_waits(exec)
            ),
        });
    }
    if text.contains("Causality violation") {
        let thread = exec
            .trace()
            .events
            .last()
            .map(|e| e.thread.clone())
            .unwrap_or_default();
        return Ok(Violation {
            property: builtin::NO_DATA_RACE.to_owned(),
            message: format!(
                "data race: {thread}'s next access to a non-atomic field is not ordered after another thread's access to it (loom: {})",
                first_line(&text)
            ),
        });
    }
    if text.contains("exceeded max_steps") || text.contains("maximum number of branches") {
        return Ok(Violation {
            property: builtin::PROGRESS.to_owned(),
            message: format!("no progress: {}", first_line(&text)),
        });
    }
    if text == VIOLATION_PANIC {
        return Err("a violation was raised but not recorded".to_owned());
    }
    Err(first_line(&text))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_owned()
}

/// Executions started by every checker run in this process: a progress display samples
/// it from another thread while a long check runs.
static EXECUTIONS_STARTED: AtomicU64 = AtomicU64::new(0);

pub fn executions_started() -> u64 {
    EXECUTIONS_STARTED.load(Ordering::Relaxed)
}

/// The function a checker runs once per execution.
fn execution(exec: &Arc<Exec>, body: &Body) -> impl Fn() + Send + Sync + 'static {
    let exec = exec.clone();
    let body = body.clone();
    move || {
        EXECUTIONS_STARTED.fetch_add(1, Ordering::Relaxed);
        exec.begin_execution();
        body();
        exec.end_execution();
    }
}

fn finish(
    exec: &Exec,
    result: Result<(), Box<dyn Any + Send>>,
    schedule: impl FnOnce(Vec<usize>) -> Schedule,
) -> Run {
    let mut run = Run {
        executions: exec.executions(),
        failure: None,
        budget_spent: false,
        error: None,
        max_eligible_waits: exec.max_eligible_waits(),
        stalled: false,
    };
    if let Err(payload) = result {
        match classify(exec, payload.as_ref()) {
            Ok(violation) => {
                run.failure = Some(Failure {
                    violation,
                    trace: exec.trace(),
                    schedule: schedule(exec.fired()),
                    execution: run.executions,
                })
            }
            Err(error) => run.error = Some(error),
        }
    }
    run
}

fn wait_config(limits: &Limits, events: WaitEvents) -> WaitConfig {
    WaitConfig {
        spurious: limits.spurious,
        timeouts: limits.timeouts,
        budget: limits.wait_events,
        events,
        max_steps: limits.max_steps,
    }
}

/// Run loom over `exec`'s executions: at most `budget` of them, at this preemption bound.
fn loom_check(
    exec: &Arc<Exec>,
    body: &Body,
    limits: &Limits,
    bound: Option<usize>,
    budget: u64,
) -> Result<(), Box<dyn Any + Send>> {
    install_quiet_hook();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = bound;
    // Checked before every execution, so the budget is exact (loom returns silently
    // when it is spent; we count executions to tell that from an exhaustive pass).
    builder.checkpoint_interval = 1;
    builder.max_permutations = Some(budget as usize + 1);
    builder.max_duration = None;
    // Our own step budget (a livelock) should stop a runaway execution first.
    builder.max_branches = 20 * limits.max_steps.max(50);
    let f = execution(exec, body);
    set_quiet(true);
    let result = exec.enter(|| panic::catch_unwind(AssertUnwindSafe(|| builder.check(f))));
    set_quiet(false);
    result
}

/// One loom run with the given waits ending in events, stopping at the first violation
/// of `property` or after `budget` executions.
pub fn run_loom(
    body: &Body,
    property: &str,
    limits: &Limits,
    bound: Option<usize>,
    budget: u64,
    events: WaitEvents,
) -> Run {
    let exec = Exec::new(Backend::Loom, Some(property), wait_config(limits, events));
    let result = loom_check(&exec, body, limits, bound, budget);
    let mut run = finish(&exec, result, |events| Schedule::Loom {
        bound,
        execution: exec.executions(),
        events,
    });
    run.budget_spent = run.failure.is_none() && run.error.is_none() && run.executions >= budget;
    run
}

/// A loom run that goes on past violations of `property` (see `Exec::collecting`).
fn collecting_loom(
    body: &Body,
    property: &str,
    limits: &Limits,
    bound: Option<usize>,
    budget: u64,
    events: WaitEvents,
) -> (Arc<Exec>, Result<(), Box<dyn Any + Send>>) {
    let exec = Exec::collecting(Backend::Loom, property, wait_config(limits, events));
    let result = loom_check(&exec, body, limits, bound, budget);
    (exec, result)
}

/// What a collecting loom run found: its violation with the fewest steps, and whether it
/// explored every execution at its bound (`finished`: loom returned rather than stopping
/// at a deadlock, a data race or a livelock, which it cannot go past).
fn shortest_of(exec: &Exec, finished: bool, budget: u64, bound: Option<usize>) -> (Run, bool) {
    let run = Run {
        executions: exec.executions(),
        failure: exec
            .shortest()
            .map(|c| caught_failure(c, Backend::Loom, bound)),
        budget_spent: false,
        error: None,
        max_eligible_waits: exec.max_eligible_waits(),
        stalled: false,
    };
    let complete = finished && run.executions < budget;
    (run, complete)
}

/// A violation a collecting run noted, as a failure with the schedule that replays it:
/// loom's execution number at `bound`, or shuttle's task choices.
fn caught_failure(
    c: crate::runtime::context::Caught,
    backend: Backend,
    bound: Option<usize>,
) -> Failure {
    let schedule = match backend {
        Backend::Loom => Schedule::Loom {
            bound,
            execution: c.execution,
            events: c.fired,
        },
        _ => Schedule::Shuttle {
            tasks: c.tasks,
            events: c.fired,
            cycle: None,
        },
    };
    Failure {
        violation: c.violation,
        trace: Trace { events: c.trace },
        schedule,
        execution: c.execution,
    }
}

/// Every set of at most `max` of the first `waits` eligible waits, smallest first.
fn event_sets(waits: usize, max: usize) -> Vec<BTreeSet<usize>> {
    let mut sets = vec![BTreeSet::new()];
    let mut frontier = vec![BTreeSet::new()];
    for _ in 0..max {
        let mut next = Vec::new();
        for set in &frontier {
            let from = set.iter().next_back().map_or(0, |&m| m + 1);
            for w in from..waits {
                let mut bigger = set.clone();
                bigger.insert(w);
                next.push(bigger);
            }
        }
        sets.extend(next.iter().cloned());
        frontier = next;
    }
    sets
}

/// Run `run_one` once for every set of waits that may end in an event (a timeout or a
/// spurious wakeup), up to the budget of events per execution: an exhaustive checker stays
/// exhaustive over these choices too. The waits a model makes are found as it runs.
fn explore_events(
    limits: &Limits,
    budget: u64,
    mut run_one: impl FnMut(WaitEvents, u64) -> Run,
) -> Run {
    let mut tried: BTreeSet<BTreeSet<usize>> = BTreeSet::new();
    let mut total = Run {
        executions: 0,
        failure: None,
        budget_spent: false,
        error: None,
        max_eligible_waits: 0,
        stalled: false,
    };
    loop {
        let sets = event_sets(total.max_eligible_waits, limits.wait_events);
        let Some(set) = sets.into_iter().find(|s| !tried.contains(s)) else {
            return total;
        };
        tried.insert(set.clone());
        let run = run_one(WaitEvents::Fixed(set), budget - total.executions);
        total.executions += run.executions;
        total.max_eligible_waits = total.max_eligible_waits.max(run.max_eligible_waits);
        if run.failure.is_some()
            || run.error.is_some()
            || run.budget_spent
            || total.executions >= budget
        {
            total.failure = run.failure;
            total.error = run.error;
            total.budget_spent =
                run.budget_spent || (total.failure.is_none() && total.executions >= budget);
            return total;
        }
    }
}

/// Explore `body` with loom, over every schedule and every choice of wait events.
pub fn explore_loom(body: &Body, property: &str, limits: &Limits, bound: Option<usize>) -> Run {
    explore_events(limits, limits.loom_budget, |events, budget| {
        run_loom(body, property, limits, bound, budget, events)
    })
}

fn shuttle_config(max_steps: usize) -> shuttle::Config {
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    config.max_steps = shuttle::MaxSteps::FailAfter(max_steps);
    config
}

/// Run `body`'s executions under `scheduler` until it stops or an execution fails.
fn shuttle_runner<S: Scheduler + 'static>(
    exec: &Arc<Exec>,
    body: &Body,
    limits: &Limits,
    scheduler: S,
) -> Result<(), Box<dyn Any + Send>> {
    let f = execution(exec, body);
    set_quiet(true);
    let result = {
        let _silence = StderrSilencer::new();
        exec.enter(|| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                // Our own step budget (a livelock) should stop a runaway execution first.
                shuttle::Runner::new(scheduler, shuttle_config(50 * limits.max_steps.max(50)))
                    .run(f);
            }))
        })
    };
    set_quiet(false);
    result
}

/// Run `body` under a shuttle scheduler, stopping at the first violation of `property`.
pub fn run_shuttle<S: Scheduler + 'static>(
    body: &Body,
    property: &str,
    limits: &Limits,
    scheduler: S,
    events: WaitEvents,
) -> Run {
    install_quiet_hook();
    let exec = Exec::new(
        Backend::Shuttle,
        Some(property),
        wait_config(limits, events),
    );
    let recording = Recording::new(scheduler);
    let schedule = recording.schedule();
    let result = shuttle_runner(&exec, body, limits, recording);
    finish(&exec, result, |events| Schedule::Shuttle {
        tasks: schedule.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        events,
        cycle: None,
    })
}

/// Run `body` under a shuttle scheduler through all its executions, going on past
/// violations of `property`, and keep the one with the fewest steps. A failure shuttle
/// cannot go past (a deadlock, a livelock) stops the run as in `run_shuttle`; the second
/// value says whether the run went through all its executions.
pub fn shortest_shuttle<S: Scheduler + 'static>(
    body: &Body,
    property: &str,
    limits: &Limits,
    scheduler: S,
    events: WaitEvents,
) -> (Run, bool) {
    install_quiet_hook();
    let exec = Exec::collecting(Backend::Shuttle, property, wait_config(limits, events));
    let recording = Recording::new(scheduler);
    exec.record_tasks(recording.schedule());
    let schedule = recording.schedule();
    let result = shuttle_runner(&exec, body, limits, recording);
    let finished = result.is_ok();
    let mut run = finish(&exec, result, |events| Schedule::Shuttle {
        tasks: schedule.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        events,
        cycle: None,
    });
    // The armed property's shortest violation is the verdict, whatever stopped the run.
    if let Some(c) = exec.shortest() {
        run.failure = Some(caught_failure(c, Backend::Shuttle, None));
    }
    (run, finished)
}

/// How long `run_std` waits for an execution to finish before calling it a deadlock. One
/// execution of any model takes well under a millisecond (timed waits time out after
/// one), so ten seconds without one finishing is threads blocked for good, with a margin
/// of four orders of magnitude for a loaded machine; and it is short enough to wait for.
pub const STALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Run `body` on real threads `iterations` times: a stress test, not a proof. Timed waits
/// really time out (after a millisecond); nothing is explored. When no execution finishes
/// for `STALL_LIMIT`, the threads are deadlocked: the run returns a `no_deadlock`
/// violation and leaves them blocked (they cannot be joined), so the caller should end
/// the process once it has reported it.
pub fn run_std(body: &Body, property: &str, limits: &Limits, iterations: u64) -> Run {
    install_quiet_hook();
    let waits = WaitConfig {
        budget: 0,
        ..wait_config(limits, WaitEvents::Fixed(BTreeSet::new()))
    };
    let exec = Exec::new(Backend::Std, Some(property), waits);
    let f = execution(&exec, body);
    let runner = exec.clone();
    let finished = Arc::new(AtomicU64::new(0));
    let counter = finished.clone();
    let handle = std::thread::Builder::new()
        .name("main".to_owned())
        .spawn(move || {
            set_quiet(true);
            runner.enter(|| {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    for _ in 0..iterations {
                        f();
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }))
            })
        })
        .expect("spawn the std main thread");
    let (mut seen, mut since) = (0, Instant::now());
    while !handle.is_finished() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let now = finished.load(Ordering::Relaxed);
        if now != seen {
            (seen, since) = (now, Instant::now());
        } else if since.elapsed() >= STALL_LIMIT {
            // Not `exec.trace()`: the blocked threads may hold what it locks.
            return Run {
                executions: seen + 1,
                failure: Some(Failure {
                    violation: Violation {
                        property: builtin::NO_DEADLOCK.to_owned(),
                        message: format!("no thread made progress for {} s", STALL_LIMIT.as_secs()),
                    },
                    trace: Trace { events: vec![] },
                    schedule: Schedule::Shuttle {
                        tasks: vec![],
                        events: vec![],
                        cycle: None,
                    },
                    execution: seen + 1,
                }),
                budget_spent: false,
                error: None,
                max_eligible_waits: 0,
                stalled: true,
            };
        }
    }
    let result = handle.join().unwrap_or_else(Err);
    finish(&exec, result, |events| Schedule::Shuttle {
        tasks: vec![],
        events,
        cycle: None,
    })
}

/// Replay one recorded schedule with `property` armed. `Err` says why the schedule is not
/// one of this model's executions (bad input, not a finding): loom's exploration ends
/// before the execution it names, or a shuttle schedule chooses a task that cannot run or
/// has choices left over when the execution ends.
pub fn replay(
    body: &Body,
    property: &str,
    limits: &Limits,
    schedule: &Schedule,
) -> Result<Run, String> {
    let events = WaitEvents::Fixed(schedule.events().iter().copied().collect());
    match schedule {
        Schedule::Loom {
            bound, execution, ..
        } => {
            // Loom's order of exploration is deterministic: run up to that execution,
            // going on past violations as the search for the fewest steps did, so that
            // any execution it numbered is reached.
            let (bound, execution) = (*bound, *execution);
            // No check numbers an execution past its budget; going further could take
            // hours, so the replay stops there too.
            let budget = execution.min(limits.loom_budget);
            let (exec, result) = collecting_loom(body, property, limits, bound, budget, events);
            let mut run = finish(&exec, result, |events| Schedule::Loom {
                bound,
                execution: exec.executions(),
                events,
            });
            let reached = exec.executions();
            if reached < execution && run.error.is_none() {
                let at = bound.map_or("with no preemption bound".to_owned(), |b| {
                    format!("at preemption bound {b}")
                });
                // Loom ended (exhausted its space, or stopped at a failure it cannot go
                // past) before the execution the schedule names.
                return Err(match &run.failure {
                    Some(f) => format!(
                        "the schedule names execution {execution}, but loom {at} stops at execution {reached} ({}: {})",
                        f.violation.property, f.violation.message
                    ),
                    None if reached >= limits.loom_budget => format!(
                        "the schedule names execution {execution}, past loom's budget of {reached} executions, so no check numbered it (--budget N raises the budget)"
                    ),
                    None => format!(
                        "the schedule names execution {execution}, but loom {at} explores only {reached} executions of this model"
                    ),
                });
            }
            if run.failure.is_none() && run.error.is_none() && reached == execution {
                run.failure = exec
                    .caught()
                    .map(|c| caught_failure(c, Backend::Loom, bound));
            }
            Ok(run)
        }
        Schedule::Shuttle {
            tasks,
            cycle: Some(from),
            ..
        } => replay_lasso(body, limits, tasks, events, *from, schedule),
        Schedule::Shuttle { tasks, .. } => {
            let replaying = Replaying::new(tasks.clone());
            let progress = replaying.progress();
            let mut run = run_shuttle(body, property, limits, replaying, events);
            followed_all(&progress, tasks.len(), &run)?;
            if let Some(f) = &mut run.failure {
                f.schedule = schedule.clone();
            }
            Ok(run)
        }
        Schedule::Script { threads, .. } => {
            let (mut run, _) = run_script(body, property, limits, threads, events);
            // The script is the input here: an execution that leaves it is a bad string.
            if let Some(e) = run.error.take() {
                return Err(format!("the execution does not follow the script: {e}"));
            }
            if let Some(f) = &mut run.failure {
                f.schedule = schedule.clone();
            }
            Ok(run)
        }
    }
}

/// Whether a shuttle replay followed every choice of its schedule, as bad input if not.
fn followed_all(
    progress: &std::sync::Mutex<crate::schedulers::ReplayProgress>,
    choices: usize,
    run: &Run,
) -> Result<(), String> {
    let p = progress.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some((i, task, runnable)) = p.unrunnable {
        return Err(format!(
            "choice {} of the schedule is task {task}, which cannot run there (tasks that can: {})",
            i + 1,
            join(&runnable)
        ));
    }
    if p.followed < choices && run.error.is_none() {
        return Err(format!(
            "the schedule has {choices} choices, but the execution ended after {}",
            p.followed
        ));
    }
    Ok(())
}

/// Replay a lasso: follow `tasks` and stop where they end, which is where the cycle leads
/// back to the state after step `from`; the trace marks the cycle.
fn replay_lasso(
    body: &Body,
    limits: &Limits,
    tasks: &[usize],
    events: WaitEvents,
    from: usize,
    schedule: &Schedule,
) -> Result<Run, String> {
    install_quiet_hook();
    let exec = Exec::new(
        Backend::Shuttle,
        Some(builtin::PROGRESS),
        wait_config(limits, events),
    );
    let replaying = Replaying::stopping(tasks.to_vec());
    let progress = replaying.progress();
    let result = shuttle_runner(&exec, body, limits, replaying);
    let mut run = finish(&exec, result, |_| schedule.clone());
    followed_all(&progress, tasks.len(), &run)?;
    if run.failure.is_some() || run.error.is_some() {
        run.error
            .get_or_insert_with(|| "the lasso does not replay".to_owned());
        run.failure = None;
        return Ok(run);
    }
    let mut trace = exec.trace();
    let end = trace.events.len();
    if from >= end {
        return Err(format!(
            "the cycle starts after step {from}, but the replay has {end} steps"
        ));
    }
    let first = &mut trace.events[from];
    first.note = Some(match first.note.take() {
        Some(n) => format!("{}; {n}", crate::trace::CYCLE_STARTS),
        None => crate::trace::CYCLE_STARTS.to_owned(),
    });
    let thread = trace.events[end - 1].thread.clone();
    trace.events.push(crate::trace::Event {
        step: end + 1,
        thread,
        action: format!("cycle: back to the state before step {}", from + 1),
        accesses: vec![],
        note: Some(format!("steps {}–{end} repeat forever", from + 1)),
    });
    run.failure = Some(Failure {
        violation: Violation {
            property: builtin::PROGRESS.to_owned(),
            message: format!(
                "livelock: steps {}–{end} lead back to the state before step {} and can repeat forever ({}: {})",
                from + 1,
                from + 1,
                limits.fairness.id(),
                match limits.fairness {
                    Fairness::None => "a thread that could run may be left out",
                    Fairness::Weak => "every thread that can run all along takes part",
                    Fairness::Strong => "every thread that can run somewhere in it takes part",
                }
            ),
        },
        trace,
        schedule: schedule.clone(),
        execution: 1,
    });
    Ok(run)
}

/// Run a scripted schedule to its end and return the trace, violated or not.
pub fn run_script(
    body: &Body,
    property: &str,
    limits: &Limits,
    threads: &[String],
    events: WaitEvents,
) -> (Run, Trace) {
    install_quiet_hook();
    let exec = Exec::new(
        Backend::Shuttle,
        Some(property),
        wait_config(limits, events),
    );
    let scripted = Scripted::new(threads.to_vec());
    let deviation = scripted.deviation();
    let result = shuttle_runner(&exec, body, limits, scripted);
    let mut run = finish(&exec, result, |events| Schedule::Script {
        threads: threads.to_vec(),
        events,
    });
    if let Some(d) = deviation.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        run.error = Some(d);
    }
    (run, exec.trace())
}

// ---------------------------------------------------------------------------------------
// Verdicts

/// Decide one property of `body` under one checker.
pub fn check(body: &Body, property: &str, checker: Checker, limits: &Limits) -> Outcome {
    check_keyed(None, body, property, checker, limits)
}

thread_local! {
    /// The last stateful search on this thread, by the key of the model and size it
    /// searched: the search checks every property at once, so the rows of one model share
    /// it (and threads that check models side by side each keep their own).
    static LAST_SEARCH: std::cell::RefCell<Option<(String, Arc<Searched>)>> =
        const { std::cell::RefCell::new(None) };
}

/// A stateful search done, and the situations its executions reached.
struct Searched {
    explored: crate::explore::Explored,
    reached: BTreeSet<&'static str>,
}

/// As `check`; `key` names the model and its size (`body` is that model's), so that
/// the rows of one model can share its stateful search.
pub fn check_keyed(
    key: Option<&str>,
    body: &Body,
    property: &str,
    checker: Checker,
    limits: &Limits,
) -> Outcome {
    let start = Instant::now();
    crate::runtime::context::take_reached();
    if property == builtin::NO_DATA_RACE && checker != Checker::Loom {
        let mut o = base_outcome(checker, property, 0, "-".to_owned());
        o.verdict = Verdict::NotApplicable;
        o.note = Some("shuttle has no data-race detector".to_owned());
        return o;
    }
    let random = WaitEvents::Random { seed: limits.seed };
    let mut outcome = match checker {
        Checker::Loom => check_loom(body, property, limits),
        Checker::ShuttlePct => {
            let s = PctScheduler::new_from_seed(limits.seed, limits.pct_depth, limits.iterations);
            let bound = format!(
                "{} iterations, depth {}, seed {}",
                limits.iterations, limits.pct_depth, limits.seed
            );
            sampled(
                checker,
                property,
                bound,
                shortest_shuttle(body, property, limits, s, random),
            )
        }
        Checker::ShuttleRandom => {
            let s = RandomScheduler::new_from_seed(limits.seed, limits.iterations);
            let bound = format!("{} iterations, seed {}", limits.iterations, limits.seed);
            sampled(
                checker,
                property,
                bound,
                shortest_shuttle(body, property, limits, s, random),
            )
        }
        Checker::ShuttleDfs => check_states(key, body, property, limits),
    };
    outcome.millis = start.elapsed().as_millis();
    outcome.reached = crate::runtime::context::take_reached();
    outcome
}

/// Search every state of `body` once (`explore`), under shuttle's sequentially consistent
/// semantics, with every wait event both ways. Every property is checked in the one
/// search: a violation is noted and the execution goes on.
pub fn explore_states(body: &Body, limits: &Limits) -> crate::explore::Explored {
    install_quiet_hook();
    let search = if limits.reduction {
        crate::explore::explorer(limits.state_budget, limits.verify_search)
    } else {
        crate::explore::unreduced(limits.dfs_budget as u64)
    };
    let waits = WaitConfig {
        budget: usize::MAX,
        // A safety net only: folded loops end at a known state long before.
        max_steps: limits.max_steps * 4,
        ..wait_config(
            limits,
            WaitEvents::Explore(crate::runtime::context::SearchHandle(search.clone())),
        )
    };
    let exec = Exec::new(Backend::Shuttle, Some(builtin::ANY), waits);
    let limits = Limits {
        max_steps: limits.max_steps * 4,
        ..limits.clone()
    };
    crate::explore::search(&search, &exec, |search| {
        let driver = crate::explore::Driver(search.clone());
        match shuttle_runner(&exec, body, &limits, driver) {
            Ok(()) => crate::explore::Stop::Finished,
            Err(payload) => match classify(&exec, payload.as_ref()) {
                Ok(v)
                    if v.property == builtin::PROGRESS
                        && !crate::runtime::context::timed_sleepers(&exec).is_empty()
                        && exec.violation().is_none() =>
                {
                    crate::explore::Stop::Ended
                }
                Ok(v) => crate::explore::Stop::Failed(v),
                Err(e) => crate::explore::Stop::Error(e),
            },
        }
    })
}

/// The schedule that replays a route of the stateful search.
fn route_schedule(body: &Body, limits: &Limits, route: &crate::explore::Route) -> Schedule {
    let search = crate::explore::follow(route.decisions.clone(), limits.reduction);
    let waits = WaitConfig {
        budget: usize::MAX,
        ..wait_config(
            limits,
            WaitEvents::Explore(crate::runtime::context::SearchHandle(search.clone())),
        )
    };
    let exec = Exec::new(Backend::Shuttle, Some(builtin::ANY), waits);
    let _ = shuttle_runner(&exec, body, limits, crate::explore::Driver(search.clone()));
    let (tasks, steps_at) = search.followed();
    Schedule::Shuttle {
        tasks,
        events: exec.fired(),
        cycle: route.cycle_from.map(|i| steps_at[i]),
    }
}

/// The stateful search's verdict on `property`: a violation by the fewest steps, a
/// livelock (a fair cycle) for `no_deadlock`, or holds over every state.
fn check_states(key: Option<&str>, body: &Body, property: &str, limits: &Limits) -> Outcome {
    let key = key.map(|k| format!("{k} {limits:?}"));
    let cached = LAST_SEARCH.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|(k, _)| Some(k) == key.as_ref())
            .map(|(_, e)| e.clone())
    });
    let searched = cached.unwrap_or_else(|| {
        let explored = explore_states(body, limits);
        let searched = Arc::new(Searched {
            explored,
            reached: crate::runtime::context::reached_so_far(),
        });
        if let Some(k) = key {
            LAST_SEARCH.with(|last| *last.borrow_mut() = Some((k, searched.clone())));
        }
        searched
    });
    crate::runtime::context::add_reached(&searched.reached);
    let explored = &searched.explored;
    let bound = if limits.reduction {
        format!(
            "exhaustive (sequentially consistent), {} states",
            explored.states
        )
    } else {
        "every path, unreduced (sequentially consistent)".to_owned()
    };
    let mut o = base_outcome(Checker::ShuttleDfs, property, explored.executions, bound);
    if let Some(e) = &explored.error {
        o.verdict = Verdict::Error;
        o.note = Some(format!("the model panicked: {e}"));
        return o;
    }
    let livelock = [builtin::NO_DEADLOCK, builtin::ANY].contains(&property);
    let route = explored.shortest(property).or_else(|| {
        livelock
            .then(|| explored.fair_cycle(limits.fairness))
            .flatten()
    });
    let Some(route) = route else {
        if explored.budget_spent {
            o.verdict = Verdict::Inconclusive;
            o.note = Some(if limits.reduction {
                format!("budget spent: {} states", limits.state_budget)
            } else {
                format!("budget spent: {} executions", limits.dfs_budget)
            });
        } else if let Some(cut) = &explored.cut {
            o.verdict = Verdict::Inconclusive;
            o.note = Some(format!("a path was cut short: {cut}"));
        } else {
            o.exhaustive = true;
        }
        return o;
    };
    let schedule = route_schedule(body, limits, &route);
    // A route that does not fit the model is the search's own error here, not bad input.
    let (failure, why) = match replay(body, property, limits, &schedule) {
        Ok(run) => (run.failure, run.error.unwrap_or_default()),
        Err(e) => (None, e),
    };
    match failure {
        Some(f) => {
            o.verdict = if route.cycle_from.is_some() {
                o.note = Some(f.violation.message.clone());
                o.bound = format!("{}, {}", o.bound, limits.fairness.id());
                Verdict::Livelock
            } else {
                Verdict::Violated
            };
            o.steps_minimal = !explored.budget_spent && explored.cut.is_none();
            o.failure = Some(f);
        }
        None => {
            o.verdict = Verdict::Error;
            o.note = Some(format!(
                "the search found {} ({}), but its route {schedule} does not replay: {}",
                route.violation.property, route.violation.message, why
            ));
        }
    }
    o
}

fn base_outcome(checker: Checker, property: &str, executions: u64, bound: String) -> Outcome {
    Outcome {
        checker,
        property: property.to_owned(),
        verdict: Verdict::Holds,
        exhaustive: false,
        bound,
        executions,
        millis: 0,
        failure: None,
        preemptions: None,
        preemptions_minimal: false,
        steps_minimal: false,
        shortest_among: None,
        note: None,
        reached: BTreeSet::new(),
    }
}

/// The verdict of a sampling scheduler's run (PCT, random), which went on past violations
/// and kept the shortest: say among how many executions, when it got through them all.
fn sampled(
    checker: Checker,
    property: &str,
    bound: String,
    (run, finished): (Run, bool),
) -> Outcome {
    let executions = run.executions;
    let mut o = judged(checker, property, bound, run);
    if finished && o.verdict == Verdict::Violated {
        o.shortest_among = Some(executions);
    }
    o
}

fn counts_for(property: &str, failure: &Failure) -> bool {
    failure.violation.property == property || property == builtin::ANY
}

/// The verdict of one run: holds, violated (this property), livelock, inconclusive
/// (stopped by another failure) or error.
fn judged(checker: Checker, property: &str, bound: String, run: Run) -> Outcome {
    let mut o = base_outcome(checker, property, run.executions, bound);
    if let Some(e) = run.error {
        o.verdict = Verdict::Error;
        o.note = Some(format!("the model panicked: {e}"));
    } else if let Some(f) = run.failure {
        if f.violation.property == builtin::PROGRESS {
            o.verdict = Verdict::Livelock;
            o.note = Some(f.violation.message.clone());
        } else if counts_for(property, &f) {
            o.verdict = Verdict::Violated;
        } else {
            o.verdict = Verdict::Inconclusive;
            o.note = Some(format!(
                "exploration stopped by another failure ({}: {})",
                f.violation.property, f.violation.message
            ));
        }
        o.failure = Some(f);
    }
    o
}

fn check_loom(body: &Body, property: &str, limits: &Limits) -> Outcome {
    let bound = limits.preemption_bound;
    let bound_text =
        |b: Option<usize>| b.map_or("exhaustive".to_owned(), |k| format!("preemption bound {k}"));
    let run = explore_loom(body, property, limits, bound);
    let budget_spent = run.budget_spent;
    let mut o = judged(Checker::Loom, property, bound_text(bound), run);
    if o.verdict == Verdict::Holds {
        if budget_spent {
            o.verdict = Verdict::Inconclusive;
            o.note = Some(format!("budget spent: {} executions", limits.loom_budget));
        } else {
            o.exhaustive = bound.is_none();
        }
    }
    if o.verdict != Verdict::Violated {
        return o;
    }
    // The violation needs at most `bound` preemptions (all of them, if unbounded). Raise
    // the bound from 0 until one fails: the first that does gives the fewest preemptions,
    // proven when every smaller bound was explored in full.
    if !limits.minimize {
        o.preemptions = bound;
        o.preemptions_minimal = bound == Some(0);
        return o;
    }
    let ceiling = bound.unwrap_or(usize::MAX);
    let mut proven = true;
    for k in 0..ceiling {
        let r = explore_loom(body, property, limits, Some(k));
        o.executions += r.executions;
        proven &= !r.budget_spent;
        if let Some(f) = r.failure.filter(|f| counts_for(property, f)) {
            o.failure = Some(f);
            o.preemptions = Some(k);
            o.preemptions_minimal = proven;
            fewest_steps(body, property, limits, &mut o);
            return o;
        }
        if r.error.is_some() {
            break;
        }
    }
    o.preemptions = bound;
    o.preemptions_minimal = proven && bound.is_some();
    o
}

/// Among the violating executions with the fewest preemptions, find the one with the
/// fewest steps: explore that bound again, past every violation, and keep the shortest.
/// Deadlocks, data races and livelocks are loom's own panics, which it cannot go past:
/// for those the first one found stays.
fn fewest_steps(body: &Body, property: &str, limits: &Limits, o: &mut Outcome) {
    let Some(first) = &o.failure else { return };
    let stops_loom = [
        builtin::NO_DEADLOCK,
        builtin::NO_DATA_RACE,
        builtin::PROGRESS,
    ];
    if stops_loom.contains(&first.violation.property.as_str()) {
        return;
    }
    let mut shortest = first.clone();
    let mut complete = true;
    let run = explore_events(limits, limits.steps_budget, |events, budget| {
        let (exec, result) = collecting_loom(body, property, limits, o.preemptions, budget, events);
        let (mut run, done) = shortest_of(&exec, result.is_ok(), budget, o.preemptions);
        complete &= done;
        if let Some(f) = run.failure.take()
            && f.trace.len() < shortest.trace.len()
        {
            shortest = f;
        }
        // Stop at the first incomplete run: what it did not explore is not known.
        run.budget_spent = !done;
        run
    });
    o.executions += run.executions;
    o.steps_minimal = complete && !run.budget_spent;
    o.failure = Some(shortest);
}
