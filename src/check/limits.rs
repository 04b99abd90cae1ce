//! How far a checker may go, and the wait rules a run is given.

use super::explore::Fairness;
use crate::runtime::context::{WaitConfig, WaitEvents};

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

pub(super) fn wait_config(limits: &Limits, events: WaitEvents) -> WaitConfig {
    WaitConfig {
        spurious: limits.spurious,
        timeouts: limits.timeouts,
        budget: limits.wait_events,
        events,
        max_steps: limits.max_steps,
    }
}
