//! Replaying one recorded schedule, a lasso, or a scripted scenario.

use super::explore::Fairness;
use super::limits::wait_config;
use super::loom_search::{caught_failure, collecting_loom};
use super::run::{finish, install_quiet_hook};
use super::sampling::{run_shuttle, shuttle_runner};
use super::schedule::{Schedule, join};
use super::schedulers::{Replaying, Scripted};
use super::verdict::{Failure, Run};
use super::{Body, Limits};
use crate::runtime::context::{Backend, Exec, Violation, WaitEvents, builtin};
use crate::trace::Trace;

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
    progress: &std::sync::Mutex<crate::check::schedulers::ReplayProgress>,
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
    let exec = Exec::replaying_lasso(Backend::Shuttle, wait_config(limits, events));
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
    let why = format!(
        "{}: {}",
        limits.fairness.id(),
        match limits.fairness {
            Fairness::None => "a thread that could run may be left out",
            Fairness::Weak => "every thread that can run all along takes part",
            Fairness::Strong => "every thread that can run somewhere in it takes part",
        }
    );
    let message = crate::trace::close_lasso(&mut trace.events, from, &why);
    run.failure = Some(Failure {
        violation: Violation {
            property: builtin::PROGRESS.to_owned(),
            message,
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
