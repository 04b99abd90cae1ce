//! The commands behind the command line (`main.rs` holds only its clap types): what
//! each command was asked for, resolved into `Options`, and what the commands share.

mod explore;
mod measure;
mod progress;
mod traces;
mod verdicts;

pub(crate) use explore::explore;
pub(crate) use measure::{bench, stress};
pub(crate) use traces::{replay, trace};
pub(crate) use verdicts::{check_models, docs, html_report, list, merge};

use gilspec::check::Limits;
use gilspec::model::{Checker, Model, Params};
use gilspec::models;
use gilspec::report::{self, Row, TableRow};
use gilspec::shard::{PlannedRow, Selection, Shard};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How a trace is printed.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Markdown,
    Mermaid,
    Json,
}

/// A command-line mistake: one line, exit code 2.
pub(crate) struct Usage(pub(crate) String);

/// What a command was asked for, resolved: the rows, the limits and the output.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) positional: Vec<String>,
    pub(crate) checkers: Option<Vec<Checker>>,
    pub(crate) property: Option<String>,
    pub(crate) scenario: Option<String>,
    pub(crate) format: Option<Format>,
    pub(crate) json: bool,
    /// `check` and `merge`: the full table instead of a line per model.
    pub(crate) table: bool,
    /// Show every step of a trace instead of grouping a thread's consecutive steps.
    pub(crate) all_steps: bool,
    pub(crate) deep: bool,
    /// Spurious wakeups on or off; both (for models with condvars) when not given.
    pub(crate) spurious: Option<bool>,
    /// The share of the rows to check.
    pub(crate) shard: Shard,
    pub(crate) limits: Limits,
}

pub(crate) fn find_model(id: &str) -> Result<&'static Model, Usage> {
    models::find(id).ok_or_else(|| {
        let near = models::ids()
            .into_iter()
            .map(|m| (strsim::damerau_levenshtein(id, m), m))
            .min()
            .filter(|&(d, _)| d <= 3)
            .map_or(String::new(), |(_, m)| format!("did you mean {m}? "));
        Usage(format!(
            "unknown model {id:?}; {near}choose one of: {}",
            models::ids().join(", ")
        ))
    })
}

pub(crate) fn find_property(model: &Model, id: &str) -> Result<(), Usage> {
    match model.property(id) {
        Some(_) => Ok(()),
        None => Err(Usage(format!(
            "model {} has no property {id:?}; choose one of: {}",
            model.id,
            ids(model.properties.iter().map(|p| p.id))
        ))),
    }
}

/// Valid choices, for a message: `a, b, c`.
pub(crate) fn ids<'a>(choices: impl IntoIterator<Item = &'a str>) -> String {
    choices.into_iter().collect::<Vec<_>>().join(", ")
}

pub(crate) fn params(opts: &Options) -> Params {
    let base = if opts.deep {
        Params::DEEP
    } else {
        Params::DEFAULT
    };
    base.with_spurious(opts.spurious == Some(true))
}

/// The rows the options choose among `models` and `checkers`.
pub(crate) fn selection<'a>(
    opts: &'a Options,
    models: &'a [&'static Model],
    checkers: &'a [Checker],
) -> Selection<'a> {
    Selection {
        models,
        spurious: opts.spurious,
        property: opts.property.as_deref(),
        checkers,
    }
}

/// The models the options name (every model when they name none), each with the chosen
/// property.
pub(crate) fn selected_models(opts: &Options) -> Result<Vec<&'static Model>, Usage> {
    let models: Vec<&'static Model> = if opts.positional.is_empty() {
        models::ALL.to_vec()
    } else {
        opts.positional
            .iter()
            .map(|id| find_model(id))
            .collect::<Result<_, _>>()?
    };
    if let Some(p) = &opts.property {
        for m in &models {
            find_property(m, p)?;
        }
    }
    Ok(models)
}

/// Check the models, properties and checkers the options select (the share `--shard`
/// names), with progress on a terminal. A model at one spurious-wakeup setting is one
/// piece of work (its rows share one stateful search); the pieces are checked side by
/// side, one per core, and the rows come out in the selection's order.
pub(crate) fn check_rows(opts: &Options) -> Result<Vec<Row>, Usage> {
    let models = selected_models(opts)?;
    let checkers = opts
        .checkers
        .clone()
        .unwrap_or_else(|| Checker::ALL.to_vec());
    let planned = selection(opts, &models, &checkers).rows(opts.shard);
    let units: Vec<&[PlannedRow]> = planned
        .chunk_by(|a, b| a.model.id == b.model.id && a.spurious == b.spurious)
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, units.len().max(1));
    let progress = (!opts.json && std::io::stderr().is_terminal())
        .then(|| progress::Progress::start(planned.len(), workers));
    let next = AtomicUsize::new(0);
    let done: Vec<Mutex<Vec<Row>>> = units.iter().map(|_| Mutex::new(Vec::new())).collect();
    let check_units = |worker: usize| loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(unit) = units.get(i) else { break };
        for row in *unit {
            if let Some(progress) = &progress {
                let s = if row.spurious { " (spurious on)" } else { "" };
                let label = format!("{} {}{s} under {}", row.model.id, row.property, row.checker);
                progress.started(worker, label);
            }
            let params = params(opts).with_spurious(row.spurious);
            let checked =
                report::check_row(row.model, row.property, row.checker, params, &opts.limits);
            done[i].lock().expect("no worker panicked").push(checked);
        }
    };
    std::thread::scope(|scope| {
        for worker in 0..workers {
            std::thread::Builder::new()
                // Room for the checkers' own recursion; model threads have their own stacks.
                .stack_size(64 << 20)
                .spawn_scoped(scope, move || check_units(worker))
                .expect("a worker thread");
        }
    });
    Ok(done
        .into_iter()
        .flat_map(|rows| rows.into_inner().expect("no worker panicked"))
        .collect())
}

pub(crate) fn print_json(rows: Vec<serde_json::Value>) {
    let array = serde_json::Value::Array(rows);
    println!("{}", serde_json::to_string_pretty(&array).expect("json"));
}

/// What `check` (and `merge`) print: a line per model grouped by family, or with `table`
/// a row per model, property and checker; then the summary line.
pub(crate) fn print_rows(rows: &[TableRow], table: bool) {
    if table {
        print!("{}", report::table(rows));
    } else {
        // On a terminal, no line wider than it; piped, whole lines.
        let width = console::Term::stdout()
            .size_checked()
            .map_or(usize::MAX, |(_, columns)| usize::from(columns));
        print!("{}", report::overview(rows, width));
    }
    println!("\n{}", report::summary(rows));
}

/// 0 when every verdict equals its expectation, 1 when one does not.
pub(crate) fn verdicts_exit_code(rows: &[TableRow]) -> ExitCode {
    if rows.iter().all(|r| r.as_expected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
