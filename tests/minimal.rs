//! Counterexamples are minimal: the fewest preemptions loom can establish, then among
//! those the fewest steps, and what is shown still replays.

use gilspec::check::{self, Body, Failure, Limits};
use gilspec::model::{Checker, Params};
use gilspec::models;
use gilspec::report;

const REQUESTER_FIRST: &str = "requester_gets_gil_before_dropper_retakes_it";

/// Loom's first violating execution at one preemption is not its shortest: the search
/// goes on past it and keeps the shortest, which replays to the same trace.
#[test]
fn the_fewest_steps_search_shortens_the_first_violation_found() {
    let model = models::find("gil-handoff-no-force-switch").unwrap();
    let body = report::body(model, Params::DEFAULT);
    let limits = Limits {
        preemption_bound: Some(3),
        ..Limits::default()
    };
    let first = check::explore_loom(&body, REQUESTER_FIRST, &limits, Some(1))
        .failure
        .expect("one preemption is enough");

    let outcome = check::check(&body, REQUESTER_FIRST, Checker::Loom, &limits);
    assert_eq!(outcome.preemptions, Some(1));
    assert!(outcome.preemptions_minimal && outcome.steps_minimal);
    let shortest = outcome.failure.expect("violated");
    assert_shorter_and_replays(&body, &limits, &shortest, &first);
}

/// `shortest` has fewer steps than `first`, and its schedule replays it step for step.
fn assert_shorter_and_replays(body: &Body, limits: &Limits, shortest: &Failure, first: &Failure) {
    assert!(
        shortest.trace.len() < first.trace.len(),
        "shortest {} steps, first {}",
        shortest.trace.len(),
        first.trace.len()
    );
    let replayed = check::replay(body, REQUESTER_FIRST, limits, &shortest.schedule)
        .expect("the schedule fits the model")
        .failure
        .expect("the shortest replays");
    assert_eq!(replayed.trace, shortest.trace);
    assert_eq!(replayed.violation, shortest.violation);
}

/// With a budget too small to explore every execution at that bound, the trace is only
/// the shortest found, and the outcome says so.
#[test]
fn a_spent_steps_budget_is_not_called_minimal() {
    let model = models::find("gil-handoff-no-force-switch").unwrap();
    let body = report::body(model, Params::DEFAULT);
    let limits = Limits {
        preemption_bound: Some(3),
        steps_budget: 20,
        ..Limits::default()
    };
    let outcome = check::check(&body, REQUESTER_FIRST, Checker::Loom, &limits);
    assert_eq!(outcome.preemptions, Some(1));
    assert!(!outcome.steps_minimal);
    assert!(outcome.failure.is_some());
}

/// Loom stops at a deadlock and cannot go past it, so a deadlock's trace is the first
/// found at the fewest preemptions, never called the shortest.
#[test]
fn a_deadlock_is_the_first_found_not_claimed_shortest() {
    let model = models::find("objlock-abba").unwrap();
    let body = report::body(model, Params::DEFAULT);
    let outcome = check::check(&body, "no_deadlock", Checker::Loom, &Limits::default());
    assert_eq!(outcome.preemptions, Some(1));
    assert!(outcome.preemptions_minimal);
    assert!(!outcome.steps_minimal);
}

/// PCT goes on past its first violation too and keeps the shortest of all its runs,
/// which replays; it says among how many, not that none is shorter.
#[test]
fn pct_keeps_the_shortest_of_its_runs() {
    use gilspec::runtime::context::WaitEvents;
    use shuttle::scheduler::PctScheduler;
    let model = models::find("gil-handoff-no-force-switch").unwrap();
    let body = report::body(model, Params::DEFAULT);
    let limits = Limits::default();
    let pct = || PctScheduler::new_from_seed(limits.seed, limits.pct_depth, limits.iterations);
    let random = WaitEvents::Random { seed: limits.seed };
    let first = check::run_shuttle(&body, REQUESTER_FIRST, &limits, pct(), random.clone())
        .failure
        .expect("PCT finds it");

    let outcome = check::check(&body, REQUESTER_FIRST, Checker::ShuttlePct, &limits);
    assert_eq!(outcome.shortest_among, Some(limits.iterations as u64));
    assert!(!outcome.steps_minimal, "a sample proves no minimum");
    let shortest = outcome.failure.expect("violated");
    assert_shorter_and_replays(&body, &limits, &shortest, &first);
}
