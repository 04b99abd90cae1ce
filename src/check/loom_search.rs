//! loom: exhaustive (or preemption-bounded) over the C11 memory model, with every choice
//! of wait events; the fewest preemptions, then the fewest steps.

use super::limits::wait_config;
use super::run::{execution, finish, install_quiet_hook, set_quiet};
use super::schedule::Schedule;
use super::verdict::{Failure, Outcome, Run, Verdict, counts_for, judged};
use super::{Body, Limits};
use crate::model::Checker;
use crate::runtime::context::{Backend, Exec, WaitEvents, builtin};
use crate::trace::Trace;
use std::any::Any;
use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

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
pub(super) fn collecting_loom(
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
pub(super) fn caught_failure(
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

pub(super) fn check_loom(body: &Body, property: &str, limits: &Limits) -> Outcome {
    let bound = limits.preemption_bound;
    // "exhaustive" only for a search that explored everything; one that stopped (at a
    // violation, or its budget) ran with no preemption bound.
    let bound_text = |b: Option<usize>| {
        b.map_or("no preemption bound".to_owned(), |k| {
            format!("preemption bound {k}")
        })
    };
    let run = explore_loom(body, property, limits, bound);
    let budget_spent = run.budget_spent;
    // Some execution had more waits that could end early than the run lets end early:
    // the sets of events past that cap were not tried, so the search is bounded there too.
    let events_capped = run.max_eligible_waits > limits.wait_events;
    let mut o = judged(Checker::Loom, property, bound_text(bound), run);
    if o.verdict == Verdict::Holds {
        if budget_spent {
            o.verdict = Verdict::Inconclusive;
            o.note = Some(format!("budget spent: {} executions", limits.loom_budget));
        } else if events_capped {
            let schedules = match bound {
                Some(_) => bound_text(bound),
                None => "exhaustive over schedules".to_owned(),
            };
            o.bound = format!(
                "{schedules}, at most {} early timeouts or spurious wakeups per execution",
                limits.wait_events
            );
        } else if bound.is_none() {
            o.exhaustive = true;
            o.bound = "exhaustive".to_owned();
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
