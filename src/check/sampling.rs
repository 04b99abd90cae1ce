//! shuttle's sampling schedulers (PCT, random): stop at the first violation, or go on
//! and keep the shortest.

use super::limits::wait_config;
use super::loom_search::caught_failure;
use super::run::{StderrSilencer, execution, finish, install_quiet_hook, set_quiet};
use super::schedule::Schedule;
use super::schedulers::Recording;
use super::verdict::Run;
use super::{Body, Limits};
use crate::runtime::context::{Backend, Exec, WaitEvents};
use shuttle::scheduler::Scheduler;
use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

pub(super) fn shuttle_config(max_steps: usize) -> shuttle::Config {
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    config.max_steps = shuttle::MaxSteps::FailAfter(max_steps);
    config
}

/// The most scheduling points one shuttle execution may pass before shuttle fails it: our
/// own step budget (a livelock) should stop a runaway execution first.
pub(super) fn scheduling_bound(limits: &Limits) -> usize {
    50 * limits.max_steps.max(50)
}

/// Run `body`'s executions under `scheduler` until it stops or an execution fails.
pub(super) fn shuttle_runner<S: Scheduler + 'static>(
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
                shuttle::Runner::new(scheduler, shuttle_config(scheduling_bound(limits))).run(f);
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
