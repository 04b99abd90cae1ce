//! Running a model body under a checker, and turning what the checker did into an honest
//! verdict: how many executions, whether the search was exhaustive or bounded, and for a
//! violation the trace of the failing execution and a string that replays it.

pub(crate) mod explore;
mod limits;
mod loom_search;
mod replay;
mod run;
mod sampling;
mod schedule;
pub(crate) mod schedulers;
mod states;
mod stress;
mod verdict;
pub mod walk;

pub use explore::{Explored, Fairness};
pub use limits::Limits;
pub use loom_search::{explore_loom, run_loom};
pub use replay::{replay, run_script};
pub use run::{executions_started, silence_checker_stderr};
pub use sampling::{run_shuttle, shortest_shuttle};
pub use schedule::Schedule;
pub use states::explore_states;
pub use stress::{STALL_LIMIT, run_std};
pub use verdict::{Failure, Outcome, Run, Verdict};

use loom_search::check_loom;
use states::check_states;
use verdict::sampled;

use crate::model::Checker;
use crate::runtime::context::WaitEvents;
use shuttle::scheduler::{PctScheduler, RandomScheduler};
use std::sync::Arc;
use std::time::Instant;

/// A model body: one execution of the model, started on the model's main thread.
pub type Body = Arc<dyn Fn() + Send + Sync + 'static>;

/// Decide one property of `body` under one checker.
pub fn check(body: &Body, property: &str, checker: Checker, limits: &Limits) -> Outcome {
    check_keyed(None, body, property, checker, limits)
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
