//! Running a model body under a checker, and turning what the checker did into an honest
//! verdict: how many executions, whether the search was exhaustive or bounded, and for a
//! violation the trace of the failing execution and a string that replays it.

use crate::exec::{Backend, Exec, VIOLATION_PANIC, Violation, builtin};
use crate::model::Checker;
use crate::schedulers::{Recording, Replaying, Scripted};
use crate::trace::Trace;
use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler, Scheduler};
use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::Instant;

/// A model body: one execution of the model, started on the model's main thread.
pub type Body = Arc<dyn Fn() + Send + Sync + 'static>;

/// How far a checker may go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// loom: at most this many preemptions per execution; `None` explores them all.
    pub preemption_bound: Option<usize>,
    /// loom: stop (and say "inconclusive") after this many executions.
    pub loom_budget: u64,
    /// shuttle PCT and random: executions to try.
    pub iterations: usize,
    /// shuttle DFS: stop (and say "inconclusive") after this many executions.
    pub dfs_budget: usize,
    /// shuttle: the seed of the PCT and random schedulers, so verdicts reproduce.
    pub seed: u64,
    /// shuttle PCT: the bug depth it targets.
    pub pct_depth: usize,
    /// loom: after a violation, search for the one with the fewest preemptions.
    pub minimize: bool,
}

impl Limits {
    /// The deep suite's limits: with 3 worker threads, loom's full space runs to hundreds
    /// of thousands of executions, so loom is bounded to 3 preemptions; and PCT looks for
    /// bugs of depth 4 (the 3-thread double free of refcount-plain needs it).
    pub fn deep() -> Limits {
        Limits {
            preemption_bound: Some(3),
            pct_depth: 4,
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            preemption_bound: None,
            loom_budget: 500_000,
            iterations: 1_000,
            dfs_budget: 20_000,
            seed: 0,
            pct_depth: 3,
            minimize: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Holds,
    Violated,
    /// The search stopped before it could decide (budget spent, or another failure).
    Inconclusive,
    /// The checker cannot decide this property (for example: shuttle and data races).
    NotApplicable,
    /// The model itself crashed: a bug in the model, not a finding.
    Error,
}

impl Verdict {
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotApplicable => "not applicable",
            Verdict::Error => "error",
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
    },
    /// The shuttle task chosen at each scheduling point (0 is main, then in spawn order).
    Shuttle(Vec<usize>),
    /// The thread that takes each trace step, by name (a scripted scenario).
    Script(Vec<String>),
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Loom { bound, execution } => {
                let pb = bound.map_or("x".to_owned(), |b| b.to_string());
                write!(f, "loom:pb{pb}:e{execution}")
            }
            Schedule::Shuttle(tasks) => {
                let s: Vec<String> = tasks.iter().map(|t| t.to_string()).collect();
                write!(f, "shuttle:{}", s.join("."))
            }
            Schedule::Script(threads) => write!(f, "script:{}", threads.join(".")),
        }
    }
}

impl Schedule {
    /// Parse the `Display` form.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let (kind, rest) = s.split_once(':').ok_or_else(|| {
            format!("malformed schedule {s:?}: expected loom:…, shuttle:… or script:…")
        })?;
        match kind {
            "loom" => {
                let (pb, e) = rest.split_once(':').ok_or_else(|| {
                    format!("malformed loom schedule {s:?}: expected loom:pbN:eM")
                })?;
                let bound = match pb.strip_prefix("pb") {
                    Some("x") => None,
                    Some(n) => Some(
                        n.parse()
                            .map_err(|_| format!("malformed preemption bound {pb:?} in {s:?}"))?,
                    ),
                    None => {
                        return Err(format!(
                            "malformed loom schedule {s:?}: expected loom:pbN:eM"
                        ));
                    }
                };
                let execution = e
                    .strip_prefix('e')
                    .and_then(|n| n.parse().ok())
                    .filter(|&n: &u64| n >= 1)
                    .ok_or_else(|| format!("malformed execution number {e:?} in {s:?}"))?;
                Ok(Schedule::Loom { bound, execution })
            }
            "shuttle" => {
                let tasks = rest
                    .split('.')
                    .map(|t| t.parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| format!("malformed shuttle schedule {s:?}: expected task numbers separated by dots"))?;
                Ok(Schedule::Shuttle(tasks))
            }
            "script" => {
                let threads: Vec<String> = rest.split('.').map(str::to_owned).collect();
                if threads.iter().any(|t| t.is_empty()) {
                    return Err(format!(
                        "malformed script {s:?}: expected thread names separated by dots"
                    ));
                }
                Ok(Schedule::Script(threads))
            }
            other => Err(format!(
                "unknown schedule kind {other:?} in {s:?}: expected loom, shuttle or script"
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

/// One run of one checker: how many executions it explored and the first failure.
#[derive(Clone, Debug)]
pub struct Run {
    pub executions: u64,
    pub failure: Option<Failure>,
    /// The run stopped on its budget before the search space was exhausted.
    pub budget_spent: bool,
    /// The model panicked on its own (a bug in the model) or the checker gave up.
    pub error: Option<String>,
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
    pub note: Option<String>,
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
        return Ok(Violation {
            property: builtin::NO_DEADLOCK.to_owned(),
            message: first_line(&text),
        });
    }
    if text.contains("Causality violation") {
        return Ok(Violation {
            property: builtin::NO_DATA_RACE.to_owned(),
            message: first_line(&text),
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

/// The function a checker runs once per execution.
fn execution(exec: &Arc<Exec>, body: &Body) -> impl Fn() + Send + Sync + 'static {
    let exec = exec.clone();
    let body = body.clone();
    move || {
        exec.begin_execution();
        body();
        exec.end_execution();
    }
}

fn finish(
    exec: &Exec,
    result: Result<(), Box<dyn Any + Send>>,
    schedule: impl FnOnce() -> Schedule,
) -> Run {
    let executions = exec.executions();
    match result {
        Ok(()) => Run {
            executions,
            failure: None,
            budget_spent: false,
            error: None,
        },
        Err(payload) => match classify(exec, payload.as_ref()) {
            Ok(violation) => Run {
                executions,
                failure: Some(Failure {
                    violation,
                    trace: exec.trace(),
                    schedule: schedule(),
                    execution: executions,
                }),
                budget_spent: false,
                error: None,
            },
            Err(error) => Run {
                executions,
                failure: None,
                budget_spent: false,
                error: Some(error),
            },
        },
    }
}

/// Explore `body` with loom, stopping at the first violation of `property`.
pub fn run_loom(body: &Body, property: &str, bound: Option<usize>, budget: u64) -> Run {
    install_quiet_hook();
    let exec = Exec::new(Backend::Loom, Some(property));
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = bound;
    // Checked before every execution, so the budget is exact (loom returns silently
    // when it is spent; we count executions to tell that from an exhaustive pass).
    builder.checkpoint_interval = 1;
    builder.max_permutations = Some(budget as usize + 1);
    builder.max_duration = None;
    let f = execution(&exec, body);
    set_quiet(true);
    let result = exec.enter(|| panic::catch_unwind(AssertUnwindSafe(|| builder.check(f))));
    set_quiet(false);
    let mut run = finish(&exec, result, || Schedule::Loom {
        bound,
        execution: exec.executions(),
    });
    run.budget_spent = run.failure.is_none() && run.error.is_none() && run.executions >= budget;
    run
}

fn shuttle_config(max_steps: usize) -> shuttle::Config {
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    config.max_steps = shuttle::MaxSteps::FailAfter(max_steps);
    config
}

/// Run `body` under a shuttle scheduler, stopping at the first violation of `property`.
pub fn run_shuttle<S: Scheduler + 'static>(body: &Body, property: &str, scheduler: S) -> Run {
    install_quiet_hook();
    let exec = Exec::new(Backend::Shuttle, Some(property));
    let recording = Recording::new(scheduler);
    let schedule = recording.schedule();
    let f = execution(&exec, body);
    set_quiet(true);
    let result = {
        let _silence = StderrSilencer::new();
        exec.enter(|| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                shuttle::Runner::new(recording, shuttle_config(100_000)).run(f);
            }))
        })
    };
    set_quiet(false);
    finish(&exec, result, || {
        Schedule::Shuttle(schedule.lock().unwrap_or_else(|e| e.into_inner()).clone())
    })
}

/// Run `body` on real threads `iterations` times: a stress test, not a proof.
pub fn run_std(body: &Body, property: &str, iterations: u64) -> Run {
    install_quiet_hook();
    let exec = Exec::new(Backend::Std, Some(property));
    let f = execution(&exec, body);
    let runner = exec.clone();
    let result = std::thread::Builder::new()
        .name("main".to_owned())
        .spawn(move || {
            set_quiet(true);
            runner.enter(|| {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    for _ in 0..iterations {
                        f();
                    }
                }))
            })
        })
        .expect("spawn the std main thread")
        .join()
        .unwrap_or_else(Err);
    finish(&exec, result, || Schedule::Shuttle(vec![]))
}

/// Replay one recorded schedule with `property` armed.
pub fn replay(body: &Body, property: &str, schedule: &Schedule) -> Run {
    match schedule {
        Schedule::Loom { bound, execution } => {
            // Loom's order of exploration is deterministic: run up to that execution.
            run_loom(body, property, *bound, *execution)
        }
        Schedule::Shuttle(tasks) => {
            let mut run = run_shuttle(body, property, Replaying::new(tasks.clone()));
            if let Some(f) = &mut run.failure {
                f.schedule = schedule.clone();
            }
            run
        }
        Schedule::Script(threads) => {
            let exec_threads = threads.clone();
            let scripted = Scripted::new(exec_threads);
            let deviation = scripted.deviation();
            let mut run = run_shuttle(body, property, scripted);
            if let Some(f) = &mut run.failure {
                f.schedule = schedule.clone();
            }
            if let Some(d) = deviation.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                run.error = Some(d);
            }
            run
        }
    }
}

/// Run a scripted schedule to its end and return the trace, violated or not.
pub fn run_script(body: &Body, property: &str, threads: &[String]) -> (Run, Trace) {
    install_quiet_hook();
    let exec = Exec::new(Backend::Shuttle, Some(property));
    let scripted = Scripted::new(threads.to_vec());
    let deviation = scripted.deviation();
    let f = execution(&exec, body);
    set_quiet(true);
    let result = {
        let _silence = StderrSilencer::new();
        exec.enter(|| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                shuttle::Runner::new(scripted, shuttle_config(100_000)).run(f);
            }))
        })
    };
    set_quiet(false);
    let mut run = finish(&exec, result, || Schedule::Script(threads.to_vec()));
    if let Some(d) = deviation.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        run.error = Some(d);
    }
    (run, exec.trace())
}

// ---------------------------------------------------------------------------------------
// Verdicts

/// Decide one property of `body` under one checker.
pub fn check(body: &Body, property: &str, checker: Checker, limits: &Limits) -> Outcome {
    let start = Instant::now();
    if property == builtin::NO_DATA_RACE && checker != Checker::Loom {
        let mut o = base_outcome(checker, property, 0, "-".to_owned());
        o.verdict = Verdict::NotApplicable;
        o.note = Some("shuttle has no data-race detector".to_owned());
        return o;
    }
    let mut outcome = match checker {
        Checker::Loom => check_loom(body, property, limits),
        Checker::ShuttlePct => {
            let s = PctScheduler::new_from_seed(limits.seed, limits.pct_depth, limits.iterations);
            shuttle_outcome(
                run_shuttle(body, property, s),
                checker,
                property,
                format!(
                    "{} iterations, depth {}, seed {}",
                    limits.iterations, limits.pct_depth, limits.seed
                ),
                limits.iterations as u64,
            )
        }
        Checker::ShuttleRandom => {
            let s = RandomScheduler::new_from_seed(limits.seed, limits.iterations);
            shuttle_outcome(
                run_shuttle(body, property, s),
                checker,
                property,
                format!("{} iterations, seed {}", limits.iterations, limits.seed),
                limits.iterations as u64,
            )
        }
        Checker::ShuttleDfs => {
            let s = DfsScheduler::new(Some(limits.dfs_budget), false);
            let run = run_shuttle(body, property, s);
            let complete = run.failure.is_none()
                && run.error.is_none()
                && (run.executions as usize) < limits.dfs_budget;
            let mut o = shuttle_outcome(
                run,
                checker,
                property,
                "exhaustive (sequentially consistent)".to_owned(),
                limits.dfs_budget as u64,
            );
            o.exhaustive = complete;
            if o.verdict == Verdict::Holds && !complete {
                o.verdict = Verdict::Inconclusive;
                o.note = Some(format!("budget spent: {} executions", limits.dfs_budget));
            }
            o
        }
    };
    outcome.millis = start.elapsed().as_millis();
    outcome
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
        note: None,
    }
}

/// Turn a run into a verdict: violated (of this property), inconclusive (stopped by
/// something else) or error.
fn judge(outcome: &mut Outcome, run: Run) -> bool {
    if let Some(e) = run.error {
        outcome.verdict = Verdict::Error;
        outcome.note = Some(format!("the model panicked: {e}"));
        return true;
    }
    if let Some(f) = run.failure {
        if f.violation.property == outcome.property || outcome.property == builtin::ANY {
            outcome.verdict = Verdict::Violated;
            outcome.failure = Some(f);
        } else {
            outcome.verdict = Verdict::Inconclusive;
            outcome.note = Some(format!(
                "exploration stopped by another failure ({}: {})",
                f.violation.property, f.violation.message
            ));
            outcome.failure = Some(f);
        }
        return true;
    }
    false
}

fn shuttle_outcome(
    run: Run,
    checker: Checker,
    property: &str,
    bound: String,
    _budget: u64,
) -> Outcome {
    let mut o = base_outcome(checker, property, run.executions, bound);
    judge(&mut o, run);
    o
}

fn check_loom(body: &Body, property: &str, limits: &Limits) -> Outcome {
    let bound = limits.preemption_bound;
    let bound_text =
        |b: Option<usize>| b.map_or("exhaustive".to_owned(), |k| format!("preemption bound {k}"));
    let run = run_loom(body, property, bound, limits.loom_budget);
    let mut o = base_outcome(Checker::Loom, property, run.executions, bound_text(bound));
    let budget_spent = run.budget_spent;
    if !judge(&mut o, run) {
        if budget_spent {
            o.verdict = Verdict::Inconclusive;
            o.note = Some(format!("budget spent: {} executions", limits.loom_budget));
        } else {
            o.exhaustive = bound.is_none();
        }
        return o;
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
        let r = run_loom(body, property, Some(k), limits.loom_budget);
        o.executions += r.executions;
        proven &= !r.budget_spent;
        if let Some(f) = r
            .failure
            .filter(|f| f.violation.property == property || property == builtin::ANY)
        {
            o.failure = Some(f);
            o.preemptions = Some(k);
            o.preemptions_minimal = proven;
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
