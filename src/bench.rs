//! What the stateful search's reductions buy: each model searched without them (every
//! path of decisions) and with them, in one run, so that the ratio holds on a noisy
//! machine. `gilspec bench` prints the table; `docs/reduction.md` keeps one.

use crate::check::{self, Limits};
use crate::model::{Model, Params};
use crate::report;
use std::time::Instant;

/// One search's size and time.
#[derive(Clone, Debug)]
pub struct Search {
    pub executions: u64,
    /// States: distinct ones for the reduced search, decision points for the unreduced.
    pub states: usize,
    pub millis: u128,
    /// It explored everything (no budget or step limit stopped it).
    pub finished: bool,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub model: &'static str,
    pub params: Params,
    pub unreduced: Search,
    pub reduced: Search,
}

fn search(model: &Model, params: Params, limits: &Limits) -> Search {
    let start = Instant::now();
    let explored = check::explore_states(&report::body(model, params), limits);
    Search {
        executions: explored.executions,
        states: explored.states,
        millis: start.elapsed().as_millis(),
        finished: !explored.budget_spent && explored.cut.is_none() && explored.error.is_none(),
    }
}

/// Search `model` both ways (`unreduced_budget` executions at most without the
/// reductions), under `limits`' wait settings.
pub fn row(model: &'static Model, params: Params, limits: &Limits, unreduced_budget: usize) -> Row {
    let limits = Limits {
        spurious: params.spurious,
        ..limits.clone()
    };
    let unreduced = Limits {
        reduction: false,
        dfs_budget: unreduced_budget,
        // Endless paths (a loop round after round) are cut early: the search stops.
        max_steps: 100,
        ..limits.clone()
    };
    Row {
        model: model.id,
        params,
        unreduced: search(model, params, &unreduced),
        reduced: search(
            model,
            params,
            &Limits {
                reduction: true,
                ..limits
            },
        ),
    }
}

fn cell(s: &Search, what: &str) -> String {
    let mark = if s.finished { "" } else { " (stopped)" };
    format!(
        "{} {what}, {} executions, {} ms{mark}",
        s.states, s.executions, s.millis
    )
}

/// The rows as a Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| model | workers | spurious | unreduced: every path | reduced: every state | time ratio |\n|---|---:|---|---|---|---:|\n",
    );
    for r in rows {
        let ratio = if r.unreduced.finished && r.reduced.millis > 0 {
            format!(
                "{:.1}×",
                r.unreduced.millis as f64 / r.reduced.millis as f64
            )
        } else if r.unreduced.finished {
            "–".to_owned()
        } else {
            "unreduced stopped".to_owned()
        };
        out += &format!(
            "| {} | {} | {} | {} | {} | {ratio} |\n",
            r.model,
            r.params.threads,
            if r.params.spurious { "on" } else { "off" },
            cell(&r.unreduced, "decision points"),
            cell(&r.reduced, "states"),
        );
    }
    out
}
