//! The JSON gilspec writes, as serde types: one schema, versioned, documented in
//! `docs/json.md`. `check --json` and `report` write `Row`s, `merge` reads them back, and
//! `trace --format json` and `replay --format json` write a `Counterexample`.
//!
//! A change that removes or renames a field, or changes what one means, raises
//! `VERSION`; adding an optional field does not.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema's version, written in every row and counterexample as `schema`.
pub const VERSION: u32 = 1;

/// One verdict: a model at one size and setting, one property, one checker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub schema: u32,
    pub model: String,
    /// Worker threads besides main: 2, or 3 in the deep suite.
    pub threads: usize,
    /// Condition variables could wake spuriously.
    pub spurious: bool,
    /// Timed waits could time out.
    pub timeouts: bool,
    pub property: String,
    pub checker: String,
    /// holds, violated, livelock, inconclusive, error or vacuous.
    pub verdict: String,
    /// The verdict the model's data expects (none: the model names no expectation).
    pub expected: Option<String>,
    /// loom: the fewest preemptions the expected violation needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_preemptions: Option<usize>,
    pub as_expected: bool,
    /// The verdict in words, as the table shows it (`merge` prints it again).
    pub verdict_text: String,
    /// Executions explored, the searches for the fewest steps included.
    pub executions: u64,
    /// The limit the search ran under, in words: "exhaustive" (loom with no preemption
    /// bound that explored everything), "no preemption bound" (loom stopped before the
    /// end, at a violation or its budget), "preemption bound 2", "1000 iterations, seed 0",
    /// "exhaustive (sequentially consistent), N states".
    pub bound: String,
    /// Every execution of the space was explored: a "holds" is a proof at this size.
    pub exhaustive: bool,
    pub millis: u64,
    /// The model's situations some explored execution reached (`rt::reach`).
    pub reached: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The counterexample of a violated row (or a livelock's lasso).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
}

/// A failing execution (or a scenario's): what broke, how strongly it is shown, how to
/// replay it, and every step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    pub schema: u32,
    pub model: String,
    pub property: String,
    /// The property that broke (the row's, or `progress` for a livelock); none for a
    /// scenario that breaks nothing.
    pub violated: Option<String>,
    pub message: Option<String>,
    /// `gilspec replay MODEL REPLAY` runs this execution again.
    pub replay: Option<String>,
    /// 1-based, within the run that found it.
    pub found_at_execution: u64,
    pub context_switches: usize,
    /// loom: the preemptions it needs; `preemptions_minimal`: no execution with fewer
    /// violates the property.
    pub preemptions: Option<usize>,
    pub preemptions_minimal: bool,
    /// No violating execution has fewer steps (at that many preemptions, under loom).
    pub steps_minimal: bool,
    /// Shuttle PCT and random: the shortest violation among this many executions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortest_among: Option<u64>,
    /// A lasso: the steps after this many repeat forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle_from: Option<usize>,
    pub steps: Vec<Step>,
}

/// One step: the thread, the action named after CPython's code, and the shared values it
/// read and changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub step: usize,
    pub thread: String,
    pub action: String,
    /// The values it read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub read: BTreeMap<String, i64>,
    /// Each value it wrote, before (if it had one) ...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub before: BTreeMap<String, i64>,
    /// ... and after.
    pub state: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
