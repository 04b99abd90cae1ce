//! What a checker concluded: the verdict, the failing execution, the run and the row's outcome.

use super::schedule::Schedule;
use crate::model::Checker;
use crate::runtime::context::{Violation, builtin};
use crate::trace::Trace;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Holds,
    Violated,
    /// An execution stopped making progress: it ran past the step budget (a thread waiting
    /// in vain with a timeout, again and again, does).
    Livelock,
    /// The search stopped before it could decide (budget spent, or another failure).
    Inconclusive,
    /// The model itself crashed: a bug in the model, not a finding.
    Error,
    /// No violation, but the runs never reached a situation the property is about
    /// (`model::Situation`): the "holds" would say nothing.
    Vacuous,
}

impl Verdict {
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Livelock => "livelock",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Error => "error",
            Verdict::Vacuous => "vacuous",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
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
    /// The most waits that could end in a timeout or spurious wakeup, in one execution.
    pub max_eligible_waits: usize,
    /// `run_std` only: no execution finished for `STALL_LIMIT`; its threads are blocked
    /// for good and cannot be joined.
    pub stalled: bool,
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
    /// No violating execution with that many preemptions has fewer steps (all of them
    /// were explored); otherwise the trace is only the shortest found.
    pub steps_minimal: bool,
    /// Shuttle PCT and random: the trace is the shortest violation among this many
    /// executions (all the run tried; none is a proof of minimality).
    pub shortest_among: Option<u64>,
    pub note: Option<String>,
    /// The model's situations (`rt::reach`) that some explored execution reached.
    pub reached: BTreeSet<&'static str>,
}

pub(super) fn base_outcome(
    checker: Checker,
    property: &str,
    executions: u64,
    bound: String,
) -> Outcome {
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
        steps_minimal: false,
        shortest_among: None,
        note: None,
        reached: BTreeSet::new(),
    }
}

/// The verdict of a sampling scheduler's run (PCT, random), which went on past violations
/// and kept the shortest: say among how many executions, when it got through them all.
pub(super) fn sampled(
    checker: Checker,
    property: &str,
    bound: String,
    (run, finished): (Run, bool),
) -> Outcome {
    let executions = run.executions;
    let mut o = judged(checker, property, bound, run);
    if finished && o.verdict == Verdict::Violated {
        o.shortest_among = Some(executions);
    }
    o
}

pub(super) fn counts_for(property: &str, failure: &Failure) -> bool {
    failure.violation.property == property || property == builtin::ANY
}

/// The verdict of one run: holds, violated (this property), livelock, inconclusive
/// (stopped by another failure) or error.
pub(super) fn judged(checker: Checker, property: &str, bound: String, run: Run) -> Outcome {
    let mut o = base_outcome(checker, property, run.executions, bound);
    if let Some(e) = run.error {
        o.verdict = Verdict::Error;
        o.note = Some(format!("the model panicked: {e}"));
    } else if let Some(f) = run.failure {
        if f.violation.property == builtin::PROGRESS {
            o.verdict = Verdict::Livelock;
            o.note = Some(f.violation.message.clone());
        } else if counts_for(property, &f) {
            o.verdict = Verdict::Violated;
        } else {
            o.verdict = Verdict::Inconclusive;
            o.note = Some(format!(
                "exploration stopped by another failure ({}: {})",
                f.violation.property, f.violation.message
            ));
        }
        o.failure = Some(f);
    }
    o
}
