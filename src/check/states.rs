//! The stateful search (shuttle DFS): every state once, every property in one search.

use super::limits::wait_config;
use super::replay::replay;
use super::run::{classify, install_quiet_hook};
use super::sampling::shuttle_runner;
use super::schedule::Schedule;
use super::verdict::{Outcome, Verdict, base_outcome};
use super::{Body, Limits};
use crate::model::Checker;
use crate::runtime::context::{Backend, Exec, WaitConfig, WaitEvents, builtin};
use std::collections::BTreeSet;
use std::sync::Arc;

thread_local! {
    /// The last stateful search on this thread, by the key of the model and size it
    /// searched: the search checks every property at once, so the rows of one model share
    /// it (and threads that check models side by side each keep their own).
    static LAST_SEARCH: std::cell::RefCell<Option<(String, Arc<Searched>)>> =
        const { std::cell::RefCell::new(None) };
}

/// A stateful search done, and the situations its executions reached.
struct Searched {
    explored: crate::check::explore::Explored,
    reached: BTreeSet<&'static str>,
}

/// Search every state of `body` once (`explore`), under shuttle's sequentially consistent
/// semantics, with every wait event both ways. Every property is checked in the one
/// search: a violation is noted and the execution goes on.
pub fn explore_states(body: &Body, limits: &Limits) -> crate::check::explore::Explored {
    install_quiet_hook();
    let search = if limits.reduction {
        crate::check::explore::explorer(limits.state_budget, limits.verify_search)
    } else {
        crate::check::explore::unreduced(limits.dfs_budget as u64)
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
    crate::check::explore::search(&search, &exec, |search| {
        let driver = crate::check::explore::Driver(search.clone());
        match shuttle_runner(&exec, body, &limits, driver) {
            Ok(()) => crate::check::explore::Stop::Finished,
            Err(payload) => match classify(&exec, payload.as_ref()) {
                Ok(v)
                    if v.property == builtin::PROGRESS
                        && !crate::runtime::context::timed_sleepers(&exec).is_empty()
                        && exec.violation().is_none() =>
                {
                    crate::check::explore::Stop::Ended
                }
                Ok(v) => crate::check::explore::Stop::Failed(v),
                Err(e) => crate::check::explore::Stop::Error(e),
            },
        }
    })
}

/// The schedule that replays a route of the stateful search.
fn route_schedule(body: &Body, limits: &Limits, route: &crate::check::explore::Route) -> Schedule {
    let search = crate::check::explore::follow(route.decisions.clone(), limits.reduction);
    let waits = WaitConfig {
        budget: usize::MAX,
        ..wait_config(
            limits,
            WaitEvents::Explore(crate::runtime::context::SearchHandle(search.clone())),
        )
    };
    let exec = Exec::new(Backend::Shuttle, Some(builtin::ANY), waits);
    let _ = shuttle_runner(
        &exec,
        body,
        limits,
        crate::check::explore::Driver(search.clone()),
    );
    let (tasks, steps_at) = search.followed();
    Schedule::Shuttle {
        tasks,
        events: exec.fired(),
        cycle: route.cycle_from.map(|i| steps_at[i]),
    }
}

/// The stateful search's verdict on `property`: a violation by the fewest steps, a
/// livelock (a fair cycle) for `no_deadlock`, or holds over every state.
pub(super) fn check_states(
    key: Option<&str>,
    body: &Body,
    property: &str,
    limits: &Limits,
) -> Outcome {
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
