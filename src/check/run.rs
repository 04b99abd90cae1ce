//! Running a body under one backend: the per-execution function, and what a panic out
//! of a checker means (a violation, or an error); keeping expected failures quiet.

use super::Body;
use super::sampling::shuttle_config;
use super::schedule::Schedule;
use super::verdict::{Failure, Run};
use crate::runtime::context::{Exec, VIOLATION_PANIC, Violation, builtin};
use shuttle::scheduler::RandomScheduler;
use std::any::Any;
use std::panic::{self};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once};

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
pub(super) fn install_quiet_hook() {
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

/// Points stderr at /dev/null while shuttle runs, when asked to (see above). Rows are
/// checked on several threads at once and descriptor 2 is the process's: the first
/// silencer points it away and keeps the real one, the last restores it.
pub(super) struct StderrSilencer(bool);

/// How many silencers are alive, and the real stderr they keep.
static SILENCED: std::sync::Mutex<(usize, libc::c_int)> = std::sync::Mutex::new((0, -1));

impl StderrSilencer {
    pub(super) fn new() -> StderrSilencer {
        if !SILENCE_STDERR.load(Ordering::Relaxed) {
            return StderrSilencer(false);
        }
        let mut silenced = SILENCED.lock().unwrap_or_else(|e| e.into_inner());
        if silenced.0 == 0 {
            // SAFETY: plain POSIX calls on file descriptors we own; failures leave stderr
            // as is.
            unsafe {
                let saved = libc::dup(2);
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
                if saved < 0 || null < 0 {
                    return StderrSilencer(false);
                }
                libc::dup2(null, 2);
                libc::close(null);
                silenced.1 = saved;
            }
        }
        silenced.0 += 1;
        StderrSilencer(true)
    }
}

impl Drop for StderrSilencer {
    fn drop(&mut self) {
        if !self.0 {
            return;
        }
        let mut silenced = SILENCED.lock().unwrap_or_else(|e| e.into_inner());
        silenced.0 -= 1;
        if silenced.0 == 0 {
            // SAFETY: restores the descriptor saved by the first silencer.
            unsafe {
                libc::dup2(silenced.1, 2);
                libc::close(silenced.1);
            }
        }
    }
}

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
pub(super) fn classify(exec: &Exec, payload: &(dyn Any + Send)) -> Result<Violation, String> {
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
pub(super) fn execution(exec: &Arc<Exec>, body: &Body) -> impl Fn() + Send + Sync + 'static {
    let exec = exec.clone();
    let body = body.clone();
    move || {
        EXECUTIONS_STARTED.fetch_add(1, Ordering::Relaxed);
        exec.begin_execution();
        body();
        exec.end_execution();
    }
}

pub(super) fn finish(
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
