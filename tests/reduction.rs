//! The reduced stateful search against the unreduced one (every path of decisions, no
//! state merged, no loop round folded, no Lipton mover skipped): wherever the unreduced
//! search finishes, both give the same verdict on every property and find the same
//! violations (`docs/reduction.md`).

use gilspec::check::{self, Limits};
use gilspec::model::{Checker, Params};
use gilspec::models;
use gilspec::report;

/// Executions the unreduced search may spend on one model and setting.
const UNREDUCED_BUDGET: usize = 15_000;

#[test]
fn the_reduced_search_agrees_with_the_unreduced_one_wherever_that_finishes() {
    check::silence_checker_stderr();
    let mut compared = Vec::new();
    let mut skipped = Vec::new();
    for m in models::ALL {
        // Timeouts matter only to models that wait on a condition variable.
        let waits = m.spurious_settings().contains(&true);
        for &spurious in m.spurious_settings() {
            for timeouts in [false, true].into_iter().filter(|&t| waits || !t) {
                let params = Params::DEFAULT.with_spurious(spurious);
                let body = report::body(m, params);
                let reduced_limits = Limits {
                    spurious,
                    timeouts,
                    verify_search: true,
                    ..Limits::default()
                };
                let unreduced_limits = Limits {
                    reduction: false,
                    dfs_budget: UNREDUCED_BUDGET,
                    // Cut endless paths (a loop round after round) early: that search
                    // is abandoned anyway.
                    max_steps: 100,
                    ..reduced_limits.clone()
                };
                let setting = format!("{} spurious {spurious} timeouts {timeouts}", m.id);
                let unreduced = check::explore_states(&body, &unreduced_limits);
                if unreduced.budget_spent || unreduced.cut.is_some() {
                    skipped.push(setting);
                    continue;
                }
                let reduced = check::explore_states(&body, &reduced_limits);
                assert_eq!(reduced.error, None, "{setting}: the reduced search failed");
                assert_eq!(
                    unreduced.error, None,
                    "{setting}: the unreduced search failed"
                );
                assert!(
                    !reduced.budget_spent && reduced.cut.is_none(),
                    "{setting}: the reduced search did not finish where the unreduced one did"
                );
                assert_eq!(
                    reduced.violations(),
                    unreduced.violations(),
                    "{setting}: the two searches found different violations"
                );
                for p in m.properties {
                    let verdict = |limits: &Limits| {
                        check::check(&body, p.id, Checker::ShuttleDfs, limits).verdict
                    };
                    assert_eq!(
                        verdict(&reduced_limits),
                        verdict(&unreduced_limits),
                        "{setting}: {} differs",
                        p.id
                    );
                }
                assert!(
                    reduced.states <= unreduced.states,
                    "{setting}: {} states reduced, {} unreduced",
                    reduced.states,
                    unreduced.states
                );
                compared.push(format!(
                    "{setting}: {} states reduced, {} unreduced",
                    reduced.states, unreduced.states
                ));
            }
        }
    }
    eprintln!(
        "compared {} settings:\n  {}\nthe unreduced search did not finish on {}:\n  {}",
        compared.len(),
        compared.join("\n  "),
        skipped.len(),
        skipped.join("\n  ")
    );
    // Not a vacuous comparison: most models finish unreduced with timeouts off.
    assert!(
        compared.len() >= 20,
        "only {} settings compared",
        compared.len()
    );
}

/// A consumer woken spuriously again and again while the producer, woken by the mutex's
/// release, never gets to run: a cycle that counts only when no fairness is assumed (the
/// producer can run all along it and never does).
#[test]
fn fairness_decides_which_cycles_are_livelocks() {
    check::silence_checker_stderr();
    let model = models::find("condvar-wait-loop").expect("the model");
    let body = report::body(model, Params::DEFAULT.with_spurious(true));
    let verdict = |fairness| {
        let limits = Limits {
            spurious: true,
            fairness,
            ..Limits::default()
        };
        let o = check::check(&body, "no_deadlock", Checker::ShuttleDfs, &limits);
        (o.verdict, o.failure.and_then(|f| f.trace.cycle_from()))
    };
    use gilspec::check::{Fairness, Verdict};
    let (none, cycle) = verdict(Fairness::None);
    assert_eq!(none, Verdict::Livelock);
    assert!(cycle.is_some(), "a livelock is a lasso");
    assert_eq!(verdict(Fairness::Weak).0, Verdict::Holds);
    assert_eq!(verdict(Fairness::Strong).0, Verdict::Holds);
}
