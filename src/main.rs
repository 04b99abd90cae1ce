//! `gilspec`: check the models, show their counterexamples, replay them.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use gilspec::check::{self, Fairness, Limits};
use gilspec::model::{Checker, Model, Params};
use gilspec::models;
use gilspec::report::{self, Replay, Row, TableRow};
use gilspec::shard::{Selection, Shard};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

const ABOUT: &str = "model-checked specifications of CPython's GIL and its alternatives";

const EXIT_STATUS: &str = "\
With no command, gilspec checks every model under every checker (= gilspec check).
Checkers: loom, shuttle-pct, shuttle-random, shuttle-dfs (the stateful search, see
docs/reduction.md), all (the default).

Exit status: 0 when every verdict equals its expectation, 1 when one does not, 2 on bad
input. replay: 0 when it reproduces the violation, 1 when the schedule is one of the
model's executions but violates nothing (or something else), 2 when it is not one.";

#[derive(Parser)]
#[command(name = "gilspec", version, about = ABOUT, after_help = EXIT_STATUS)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_value_name = "COMMAND"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckOptions,
}

#[derive(Subcommand)]
enum Command {
    /// The models, their questions, expected verdicts and scenarios
    #[command(after_help = EXIT_STATUS)]
    List {
        /// Models to list (all when none)
        models: Vec<String>,
        /// Expectations with 3 worker threads (the deep suite)
        #[arg(long)]
        deep: bool,
        /// Expectations with spurious wakeups on
        #[arg(long, value_name = "on|off")]
        spurious: Option<OnOff>,
    },
    /// Check models: one row per model, property and checker, and a summary
    #[command(after_help = EXIT_STATUS)]
    Check {
        /// Models to check (all when none)
        models: Vec<String>,
        #[command(flatten)]
        options: CheckOptions,
    },
    /// Join the --json output of sharded checks into one table, summary and exit code
    #[command(after_help = EXIT_STATUS)]
    Merge {
        /// Files written by `gilspec check --json`, one per share
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
        /// Print the joined rows as JSON instead of the table
        #[arg(long)]
        json: bool,
    },
    /// The verdicts as DIR/index.html: a matrix, and each counterexample to step through
    #[command(after_help = EXIT_STATUS)]
    Report {
        /// The directory to write index.html into
        #[arg(long, value_name = "DIR", required = true)]
        html: String,
        /// Models to check (all when none)
        models: Vec<String>,
        #[command(flatten)]
        rows: RowOptions,
    },
    /// A model's counterexample, or a scenario from the literature, step by step
    #[command(after_help = EXIT_STATUS)]
    Trace {
        model: String,
        /// The property (default: the scenario's, or the model's first)
        #[arg(long)]
        property: Option<String>,
        /// The checker whose counterexample to show (default: loom)
        #[arg(long, value_name = "CHECKER")]
        checker: Option<CheckerChoice>,
        /// Replay one of the model's named scenarios instead
        #[arg(long)]
        scenario: Option<String>,
        #[command(flatten)]
        show: Show,
        #[command(flatten)]
        search: Search,
    },
    /// Replay one execution from the replay string a check printed
    #[command(after_help = EXIT_STATUS)]
    Replay {
        model: String,
        /// PROPERTY:tN[s]:SCHEDULE, as `check` prints it
        replay: String,
        #[command(flatten)]
        show: Show,
        #[command(flatten)]
        search: Search,
    },
    /// The seed claims page (docs/seed-claims.md), from the models' data
    #[command(after_help = EXIT_STATUS)]
    Claims,
    /// Regenerate the book's generated pages and blocks (docs/), every one of them
    #[command(after_help = EXIT_STATUS)]
    Docs,
    /// Run a model on real threads: a stress test, not a proof; no run finishing for
    /// 10 s is a deadlock (exit 1)
    #[command(after_help = EXIT_STATUS)]
    Stress {
        model: String,
        #[arg(long)]
        property: Option<String>,
        /// Runs
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        iterations: Option<u64>,
        /// 3 worker threads instead of 2
        #[arg(long)]
        deep: bool,
    },
    /// The stateful search with and without its reductions: a Markdown table
    #[command(after_help = EXIT_STATUS)]
    Bench {
        models: Vec<String>,
        /// 3 worker threads instead of 2
        #[arg(long)]
        deep: bool,
        /// Timed waits may time out
        #[arg(long, value_name = "on|off")]
        timeouts: Option<OnOff>,
        /// At most N executions for the unreduced search
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        budget: Option<u64>,
        /// Spurious wakeups on or off (both, for models with condvars, when not given)
        #[arg(long, value_name = "on|off")]
        spurious: Option<OnOff>,
    },
}

/// Which rows to check, and how.
#[derive(Args, Clone, Default)]
struct RowOptions {
    /// Which checker (default: all)
    #[arg(long, value_name = "CHECKER")]
    checker: Option<CheckerChoice>,
    /// Only this property
    #[arg(long)]
    property: Option<String>,
    /// Spurious wakeups on or off (both, for models with condvars, when not given)
    #[arg(long, value_name = "on|off")]
    spurious: Option<OnOff>,
    /// Check the I-th of N shares of the rows, the same share every time (give every share
    /// the same options; `merge` joins their --json output)
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    #[command(flatten)]
    search: Search,
}

/// `check`'s options: the rows, and the output.
#[derive(Args, Clone, Default)]
struct CheckOptions {
    #[command(flatten)]
    rows: RowOptions,
    /// The rows as JSON (a documented row per model, property and checker)
    #[arg(long)]
    json: bool,
}

/// How far the checkers go.
#[derive(Args, Clone, Default)]
struct Search {
    /// 3 worker threads instead of 2, PCT depth 4, a state budget of 100,000
    #[arg(long)]
    deep: bool,
    /// Loom's preemption bound, 0 to 20, or none (every execution); default: each model's
    #[arg(long, value_name = "N|none", value_parser = parse_bound)]
    preemption_bound: Option<Bound>,
    /// shuttle PCT and random: executions to try
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    iterations: Option<u64>,
    /// shuttle PCT and random: the seed
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// shuttle PCT: the bug depth it targets
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=20))]
    pct_depth: Option<u64>,
    /// One cap for the exhaustive searches: loom's executions, shuttle DFS's states
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    budget: Option<u64>,
    /// Timed waits may time out
    #[arg(long, value_name = "on|off")]
    timeouts: Option<OnOff>,
    /// The stateful search: which cycles are livelocks
    #[arg(long, value_name = "strong|weak|none")]
    fairness: Option<FairnessChoice>,
    /// The stateful search: off searches every path of decisions instead
    #[arg(long, value_name = "on|off")]
    reduction: Option<OnOff>,
    /// The stateful search: check that every replay reaches the states it recorded
    #[arg(long)]
    verify_search: bool,
}

/// How a trace is shown.
#[derive(Args, Clone, Default)]
struct Show {
    #[arg(long, value_name = "FORMAT")]
    format: Option<Format>,
    /// grouped: a thread's consecutive steps in one function share a row
    #[arg(long, value_name = "grouped|all")]
    steps: Option<Steps>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckerChoice {
    Loom,
    ShuttlePct,
    ShuttleRandom,
    ShuttleDfs,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
enum FairnessChoice {
    Strong,
    Weak,
    None,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Mermaid,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Steps {
    Grouped,
    All,
}

/// A preemption bound: a number, or none at all.
#[derive(Clone, Copy)]
struct Bound(Option<usize>);

fn parse_bound(s: &str) -> Result<Bound, String> {
    match s {
        "none" => Ok(Bound(None)),
        _ => match s.parse::<usize>() {
            Ok(n) if n <= 20 => Ok(Bound(Some(n))),
            _ => Err("takes a number from 0 to 20, or none".to_owned()),
        },
    }
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    Shard::parse(s).ok_or_else(|| "takes I/N, the I-th of N shares with 1 <= I <= N".to_owned())
}

/// A command-line mistake: one line, exit code 2.
struct Usage(String);

fn main() -> ExitCode {
    // Piped into `head`, end quietly like any Unix tool instead of panicking on EPIPE.
    // SAFETY: restoring the default disposition of a signal, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            eprintln!("gilspec: {}", one_line(&e));
            return ExitCode::from(2);
        }
        Err(e) => {
            // Help and version, asked for: output, not an error.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    check::silence_checker_stderr();
    match run(cli) {
        Ok(code) => code,
        Err(Usage(msg)) => {
            eprintln!("gilspec: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Clap's error in one line: the message, the valid choices and clap's tip, without the
/// usage block.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut line = String::new();
    for part in text.lines().map(str::trim) {
        let usage = part.starts_with("Usage:") || part.starts_with("gilspec ");
        let noise = part.starts_with("For more") || part.contains("as a value, use '--");
        if part.is_empty() || usage || noise {
            continue;
        }
        let part = part.trim_start_matches("error: ");
        let part = match part.strip_prefix("[possible values: ") {
            Some(values) => format!("possible values: {}", values.trim_end_matches(']')),
            None => part.to_owned(),
        };
        if !line.is_empty() {
            line += if line.ends_with(':') { " " } else { "; " };
        }
        line += &part;
    }
    if e.kind() == clap::error::ErrorKind::InvalidSubcommand {
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        line += &format!("; choose one of: {}", names.join(", "));
    }
    line
}

/// What a command was asked for, resolved: the rows, the limits and the output.
#[derive(Default)]
struct Options {
    positional: Vec<String>,
    checkers: Option<Vec<Checker>>,
    property: Option<String>,
    scenario: Option<String>,
    format: Option<Format>,
    json: bool,
    /// Show every step of a trace instead of grouping a thread's consecutive steps.
    all_steps: bool,
    deep: bool,
    /// Spurious wakeups on or off; both (for models with condvars) when not given.
    spurious: Option<bool>,
    /// The share of the rows to check.
    shard: Shard,
    limits: Limits,
}

impl Search {
    /// The limits: the deep suite's when asked for, then each option given on top.
    fn limits(&self) -> Limits {
        let mut l = if self.deep {
            Limits::deep()
        } else {
            Limits::default()
        };
        if let Some(Bound(b)) = self.preemption_bound {
            l.model_bound = false;
            l.preemption_bound = b;
        }
        if let Some(n) = self.iterations {
            l.iterations = n as usize;
        }
        if let Some(n) = self.seed {
            l.seed = n;
        }
        if let Some(n) = self.pct_depth {
            l.pct_depth = n as usize;
        }
        if let Some(n) = self.budget {
            // One cap for the exhaustive searches: loom's, shuttle DFS's, and loom's
            // search for the fewest steps.
            l.loom_budget = n;
            l.dfs_budget = n as usize;
            l.state_budget = n as usize;
            l.steps_budget = l.steps_budget.min(n);
        }
        if let Some(t) = self.timeouts {
            l.timeouts = t == OnOff::On;
        }
        if let Some(f) = self.fairness {
            l.fairness = match f {
                FairnessChoice::Strong => Fairness::Strong,
                FairnessChoice::Weak => Fairness::Weak,
                FairnessChoice::None => Fairness::None,
            };
        }
        if let Some(r) = self.reduction {
            l.reduction = r == OnOff::On;
        }
        l.verify_search |= self.verify_search;
        l
    }

    fn options(&self) -> Options {
        Options {
            deep: self.deep,
            limits: self.limits(),
            ..Options::default()
        }
    }
}

fn checkers(choice: Option<CheckerChoice>) -> Option<Vec<Checker>> {
    choice.map(|c| match c {
        CheckerChoice::Loom => vec![Checker::Loom],
        CheckerChoice::ShuttlePct => vec![Checker::ShuttlePct],
        CheckerChoice::ShuttleRandom => vec![Checker::ShuttleRandom],
        CheckerChoice::ShuttleDfs => vec![Checker::ShuttleDfs],
        CheckerChoice::All => Checker::ALL.to_vec(),
    })
}

fn on(choice: Option<OnOff>) -> Option<bool> {
    choice.map(|c| c == OnOff::On)
}

impl RowOptions {
    fn options(&self, models: Vec<String>) -> Options {
        Options {
            positional: models,
            checkers: checkers(self.checker),
            property: self.property.clone(),
            spurious: on(self.spurious),
            shard: self.shard.unwrap_or(Shard::WHOLE),
            ..self.search.options()
        }
    }
}

impl Show {
    fn apply(&self, o: Options) -> Options {
        Options {
            format: self.format,
            all_steps: self.steps == Some(Steps::All),
            ..o
        }
    }
}

fn find_model(id: &str) -> Result<&'static Model, Usage> {
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

fn find_property(model: &Model, id: &str) -> Result<(), Usage> {
    match model.property(id) {
        Some(_) => Ok(()),
        None => Err(Usage(format!(
            "model {} has no property {id:?}; choose one of: {}",
            model.id,
            model
                .properties
                .iter()
                .map(|p| p.id)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Usage> {
    let Some(command) = cli.command else {
        return check_models(&check_options(Vec::new(), &cli.check));
    };
    match command {
        Command::List {
            models,
            deep,
            spurious,
        } => list(&Options {
            positional: models,
            deep,
            spurious: on(spurious),
            ..Options::default()
        }),
        Command::Check { models, options } => check_models(&check_options(models, &options)),
        Command::Merge { files, json } => merge(&Options {
            positional: files,
            json,
            ..Options::default()
        }),
        Command::Report { html, models, rows } => html_report(&html, &rows.options(models)),
        Command::Trace {
            model,
            property,
            checker,
            scenario,
            show,
            search,
        } => trace(&show.apply(Options {
            positional: vec![model],
            property,
            checkers: checkers(checker),
            scenario,
            ..search.options()
        })),
        Command::Replay {
            model,
            replay: r,
            show,
            search,
        } => replay(&show.apply(Options {
            positional: vec![model, r],
            ..search.options()
        })),
        Command::Claims => {
            print!("{}", gilspec::claims::page(models::ALL));
            Ok(ExitCode::SUCCESS)
        }
        Command::Docs => docs(),
        Command::Stress {
            model,
            property,
            iterations,
            deep,
        } => {
            let search = Search {
                deep,
                iterations,
                ..Search::default()
            };
            stress(&Options {
                positional: vec![model],
                property,
                ..search.options()
            })
        }
        Command::Bench {
            models,
            deep,
            timeouts,
            budget,
            spurious,
        } => {
            let search = Search {
                deep,
                timeouts,
                budget,
                ..Search::default()
            };
            bench(&Options {
                positional: models,
                spurious: on(spurious),
                ..search.options()
            })
        }
    }
}

fn check_options(models: Vec<String>, options: &CheckOptions) -> Options {
    Options {
        json: options.json,
        ..options.rows.options(models)
    }
}

fn bench(opts: &Options) -> Result<ExitCode, Usage> {
    let mut rows = Vec::new();
    let (budget, limits) = (opts.limits.dfs_budget, &opts.limits);
    let models = selected_models(opts)?;
    for unit in selection(opts, &models, &[]).units(Shard::WHOLE) {
        let p = params(opts).with_spurious(unit.spurious);
        let row = gilspec::bench::row(unit.model, p, limits, budget);
        eprintln!(
            "{} ({} workers, spurious {}): unreduced {} ms, reduced {} ms",
            unit.model.id,
            p.threads,
            if unit.spurious { "on" } else { "off" },
            row.unreduced.millis,
            row.reduced.millis
        );
        rows.push(row);
    }
    print!("{}", gilspec::bench::markdown(&rows));
    Ok(ExitCode::SUCCESS)
}

fn params(opts: &Options) -> Params {
    let base = if opts.deep {
        Params::DEEP
    } else {
        Params::DEFAULT
    };
    base.with_spurious(opts.spurious == Some(true))
}

/// The rows the options choose among `models` and `checkers`.
fn selection<'a>(
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

fn list(opts: &Options) -> Result<ExitCode, Usage> {
    let mut out = String::new();
    for m in selected_models(opts)? {
        let bound = |b: Option<usize>| {
            b.map_or("exhaustive".to_owned(), |k| format!("preemption bound {k}"))
        };
        out += &format!(
            "{}: {}\n  {}\n  loom: {} (deep suite: {})\n",
            m.id,
            m.title,
            m.question,
            bound(m.loom_bound.default),
            bound(m.loom_bound.deep)
        );
        for p in m.properties {
            let expect: Vec<String> = Checker::ALL
                .iter()
                .filter_map(|&c| {
                    m.expected(p.id, c, params(opts))
                        .map(|e| format!("{c} {}", report::expected_id(e)))
                })
                .collect();
            out += &format!(
                "  - {}: {}\n      expected: {}\n",
                p.id,
                p.claim,
                expect.join(", ")
            );
        }
        for s in m.scenarios {
            out += &format!(
                "  scenario {}: {} (gilspec trace {} --scenario {})\n",
                s.id, s.title, m.id, s.id
            );
        }
        if let Some(twin) = m.twin {
            out += &format!("  twin: {twin}\n");
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn check_models(opts: &Options) -> Result<ExitCode, Usage> {
    let rows = check_rows(opts)?;
    let table: Vec<TableRow> = rows.iter().map(Row::table_row).collect();
    if opts.json {
        print_json(rows.iter().map(Row::to_json).collect());
    } else {
        print_table(&table);
    }
    Ok(verdicts_exit_code(&table))
}

fn print_json(rows: Vec<serde_json::Value>) {
    let array = serde_json::Value::Array(rows);
    println!("{}", serde_json::to_string_pretty(&array).expect("json"));
}

/// The table of `check` (and of `merge`), with its summary line.
fn print_table(rows: &[TableRow]) {
    print!("{}", report::table(rows));
    println!("\n{}", report::summary(rows));
}

/// 0 when every verdict equals its expectation, 1 when one does not.
fn verdicts_exit_code(rows: &[TableRow]) -> ExitCode {
    if rows.iter().all(|r| r.as_expected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Join the rows that sharded checks wrote with `--json` (a file per share) into what one
/// check would have printed, exit code included.
fn merge(opts: &Options) -> Result<ExitCode, Usage> {
    if opts.positional.is_empty() {
        return Err(Usage(
            "merge takes one or more files written by gilspec check --json".into(),
        ));
    }
    // Each row with the file it came from.
    let mut rows: Vec<(TableRow, serde_json::Value, &str)> = Vec::new();
    for (i, path) in opts.positional.iter().enumerate() {
        if opts.positional[..i].contains(path) {
            return Err(Usage(format!(
                "{path} is named twice: merge each share once"
            )));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| Usage(format!("cannot read {path}: {e}")))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Usage(format!("{path} is not JSON: {e}")))?;
        let serde_json::Value::Array(items) = json else {
            return Err(Usage(format!(
                "{path} is not a JSON array of rows, as gilspec check --json writes"
            )));
        };
        for (i, item) in items.into_iter().enumerate() {
            let row = TableRow::from_json(&item).map_err(|why| {
                Usage(format!(
                    "{path}: item {} is not a row of gilspec check --json: {why}",
                    i + 1
                ))
            })?;
            let same = |(r, _, _): &&(TableRow, _, _)| {
                (&r.model, r.params, &r.property, &r.checker)
                    == (&row.model, row.params, &row.property, &row.checker)
            };
            if let Some((_, _, first)) = rows.iter().find(same) {
                let place = if first == path {
                    format!("twice in {path}")
                } else {
                    format!("in both {first} and {path}")
                };
                return Err(Usage(format!(
                    "the row {} {} under {} is {place}: merge the shares of one check, each once",
                    row.name(),
                    row.property,
                    row.checker
                )));
            }
            rows.push((row, item, path));
        }
    }
    rows.sort_by_cached_key(|(r, _, _)| catalogue_order(r));
    let (table, json): (Vec<TableRow>, Vec<serde_json::Value>) =
        rows.into_iter().map(|(r, v, _)| (r, v)).unzip();
    if opts.json {
        print_json(json);
    } else {
        print_table(&table);
    }
    Ok(verdicts_exit_code(&table))
}

/// Where a row comes in the catalogue: by model as `gilspec list` orders them, then size,
/// spurious wakeups off before on, property as the model lists them, checker as `--checker
/// all` runs them. This is the order of an unsharded check of every model (or of models
/// named in the catalogue's order). Rows this build does not know (written by another
/// version) come after the ones it knows, by name.
fn catalogue_order(r: &TableRow) -> impl Ord + use<> {
    let position = |found: Option<usize>| found.unwrap_or(usize::MAX);
    let model = models::ALL.iter().position(|m| m.id == r.model);
    let property =
        models::find(&r.model).and_then(|m| m.properties.iter().position(|p| p.id == r.property));
    let checker = Checker::ALL.iter().position(|c| c.id() == r.checker);
    (
        (position(model), r.model.clone()),
        (r.params.threads, r.params.spurious),
        (position(property), r.property.clone()),
        (position(checker), r.checker.clone()),
    )
}

/// The rows of `check`, as a page to open in a browser: `DIR/index.html`.
fn html_report(dir: &str, opts: &Options) -> Result<ExitCode, Usage> {
    let dir = std::path::Path::new(dir);
    let cannot = |e: std::io::Error| Usage(format!("cannot write {}: {e}", dir.display()));
    // Reject bad input, then an unusable directory, before spending the checkers' time
    // (and without leaving a directory behind for a mistyped model).
    selected_models(opts)?;
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let rows = check_rows(opts)?;
    let json = serde_json::Value::Array(rows.iter().map(Row::to_json).collect());
    let path = dir.join("index.html");
    std::fs::write(&path, gilspec::html::page("gilspec verdicts", &json)).map_err(cannot)?;
    println!("{}", path.display());
    Ok(if rows.iter().all(Row::as_expected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Regenerate the generated pages of `docs/`.
fn docs() -> Result<ExitCode, Usage> {
    let rows = check_rows(&Options::default())?;
    let scenarios = report::scenario_runs(models::ALL);
    let mut pages = vec![
        ("docs/verdicts.md".to_owned(), report::markdown_table(&rows)),
        (
            "docs/seed-claims.md".to_owned(),
            gilspec::claims::page(models::ALL),
        ),
    ];
    // The chapters: prose by hand, with generated blocks (see src/book.rs).
    for path in gilspec::book::chapters("docs").map_err(Usage)? {
        let page = std::fs::read_to_string(&path)
            .map_err(|e| Usage(format!("cannot read {path}: {e}")))?;
        let filled = gilspec::book::fill(&page, models::ALL, &rows, &scenarios)
            .map_err(|e| Usage(format!("{path}: {e}")))?;
        pages.push((path, filled));
    }
    for (path, text) in pages {
        std::fs::write(&path, text).map_err(|e| {
            Usage(format!(
                "cannot write {path}: {e} (run gilspec docs from the repository's top)"
            ))
        })?;
        println!("wrote {path}");
    }
    Ok(if rows.iter().all(Row::as_expected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The models the options name (every model when they name none), each with the chosen
/// property.
fn selected_models(opts: &Options) -> Result<Vec<&'static Model>, Usage> {
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
/// names), with progress on a terminal.
fn check_rows(opts: &Options) -> Result<Vec<Row>, Usage> {
    let models = selected_models(opts)?;
    let checkers = opts
        .checkers
        .clone()
        .unwrap_or_else(|| Checker::ALL.to_vec());
    let planned = selection(opts, &models, &checkers).rows(opts.shard);
    let progress = (!opts.json && std::io::stderr().is_terminal()).then(Progress::start);
    let mut rows: Vec<Row> = Vec::new();
    for row in &planned {
        if let Some(progress) = &progress {
            let s = if row.spurious { " (spurious on)" } else { "" };
            progress.now(format!(
                "[{}/{}] {} {}{s} under {}",
                rows.len() + 1,
                planned.len(),
                row.model.id,
                row.property,
                row.checker
            ));
        }
        let params = params(opts).with_spurious(row.spurious);
        rows.push(report::check_row(
            row.model,
            row.property,
            row.checker,
            params,
            &opts.limits,
        ));
    }
    Ok(rows)
}

/// A status line on a terminal: which row is being checked and how many executions it
/// has explored so far, redrawn four times a second by a thread of its own (the checkers
/// run on this one).
struct Progress {
    line: std::sync::Arc<std::sync::Mutex<Line>>,
    painter: Option<std::thread::JoinHandle<()>>,
}

/// What the status line shows, shared with the thread that redraws it.
#[derive(Default)]
struct Line {
    label: String,
    /// `check::executions_started()` when the row began.
    base: u64,
    done: bool,
}

impl Line {
    /// Draw it (with the line locked, so the two threads never interleave).
    fn paint(&self) {
        let executions = check::executions_started() - self.base;
        eprint!("\r\x1b[2Kchecking {}: {executions} executions", self.label);
        let _ = std::io::stderr().flush();
    }
}

impl Progress {
    fn start() -> Progress {
        let line = std::sync::Arc::new(std::sync::Mutex::new(Line::default()));
        let shared = line.clone();
        let painter = std::thread::spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_millis(250));
                let Ok(line) = shared.lock() else { return };
                if line.done {
                    return;
                }
                line.paint();
            }
        });
        Progress {
            line,
            painter: Some(painter),
        }
    }

    /// A new row starts: show its label and count its executions from zero.
    fn now(&self, label: String) {
        if let Ok(mut line) = self.line.lock() {
            *line = Line {
                label,
                base: check::executions_started(),
                done: false,
            };
            line.paint();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Ok(mut line) = self.line.lock() {
            line.done = true;
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
        if let Some(p) = self.painter.take() {
            let _ = p.join();
        }
    }
}

fn print_trace(opts: &Options, header: &str, trace: &gilspec::trace::Trace) {
    let shown = if opts.all_steps {
        trace.clone()
    } else {
        trace.grouped()
    };
    let header = if shown.len() < trace.len() {
        format!(
            "{header}\n{} steps in {} rows: a thread's consecutive steps in one function share a row (--steps all shows each)",
            trace.len(),
            shown.len()
        )
    } else {
        header.to_owned()
    };
    match opts.format.unwrap_or(Format::Text) {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&trace.to_json()).expect("json")
        ),
        Format::Markdown => print!("{header}\n\n{}", shown.to_markdown()),
        Format::Mermaid => print!("{}", shown.to_mermaid()),
        Format::Text => print!("{header}\n\n{}", shown.to_text()),
    }
}

fn trace(opts: &Options) -> Result<ExitCode, Usage> {
    let [id] = opts.positional.as_slice() else {
        return Err(Usage("trace takes one model; see gilspec --help".into()));
    };
    let model = find_model(id)?;
    if let Some(s) = &opts.scenario {
        let scenario = model.scenario(s).ok_or_else(|| {
            Usage(format!(
                "model {} has no scenario {s:?}; choose one of: {}",
                model.id,
                model
                    .scenarios
                    .iter()
                    .map(|s| s.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        return Ok(show_scenario(opts, model, scenario));
    }
    // With nothing chosen, show the model's scenario from the literature first (if it has
    // one), then the checker's own counterexample for the same property. JSON and Mermaid
    // are one document each: they get the counterexample alone.
    let one_document = matches!(opts.format, Some(Format::Json | Format::Mermaid));
    if let (None, None, Some(scenario), false) = (
        &opts.property,
        &opts.checkers,
        model.scenarios.first(),
        one_document,
    ) {
        let code = show_scenario(opts, model, scenario);
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
        println!();
        return counterexample(opts, model, scenario.property);
    }
    let property = match &opts.property {
        Some(p) => {
            find_property(model, p)?;
            p.clone()
        }
        None => model.properties[0].id.to_owned(),
    };
    counterexample(opts, model, &property)
}

fn show_scenario(opts: &Options, model: &Model, scenario: &gilspec::model::Scenario) -> ExitCode {
    let (run, trace) = report::run_scenario(model, scenario, &opts.limits);
    if let Some(e) = run.error {
        eprintln!("gilspec: the scenario did not replay: {e}");
        return ExitCode::from(1);
    }
    let header = format!(
        "{} — scenario {}: {}\nsource: {}\nscript: the first {} steps are scripted; the rest run without preemption",
        model.id,
        scenario.id,
        scenario.title,
        scenario.source,
        scenario.steps().len()
    );
    print_trace(opts, &header, &trace);
    ExitCode::SUCCESS
}

/// The checker's counterexample for one property (loom's, with the fewest preemptions,
/// unless a checker is chosen).
fn counterexample(
    opts: &Options,
    model: &'static Model,
    property: &str,
) -> Result<ExitCode, Usage> {
    let checkers = opts.checkers.clone().unwrap_or_else(|| vec![Checker::Loom]);
    for c in checkers {
        let row = report::check_row(model, property, c, params(opts), &opts.limits);
        match report::failure(&row) {
            Some(f) => {
                let header = format!(
                    "{} — {}: {}\n{}\n{} steps, {} context switches; replay: gilspec replay {} {}",
                    model.id,
                    property,
                    f.violation.message,
                    row.verdict_text(),
                    f.trace.len(),
                    f.trace.context_switches(),
                    model.id,
                    row.replay().expect("violated rows replay")
                );
                print_trace(opts, &header, &f.trace);
                return Ok(ExitCode::SUCCESS);
            }
            None => println!(
                "{} — {property}: {} (no counterexample)",
                model.id,
                row.verdict_text()
            ),
        }
    }
    Ok(ExitCode::from(1))
}

fn replay(opts: &Options) -> Result<ExitCode, Usage> {
    let [id, replay] = opts.positional.as_slice() else {
        return Err(Usage(
            "replay takes a model and a replay string; see gilspec --help".into(),
        ));
    };
    let model = find_model(id)?;
    let replay = Replay::parse(replay).map_err(Usage)?;
    find_property(model, &replay.property)?;
    let limits = Limits {
        spurious: replay.params.spurious,
        ..opts.limits.clone()
    };
    let run = check::replay(
        &report::body(model, replay.params),
        &replay.property,
        &limits,
        &replay.schedule,
    )
    .map_err(|e| Usage(format!("replay {replay}: {e}")))?;
    if let Some(e) = run.error {
        eprintln!("gilspec: the replay failed: {e}");
        return Ok(ExitCode::from(1));
    }
    match run.failure {
        // A livelock is the verdict whichever property was under check.
        Some(f)
            if f.violation.property == replay.property
                || f.violation.property == gilspec::runtime::builtin::PROGRESS =>
        {
            let header = format!(
                "{} — {}: {}\nreplayed {}",
                model.id, replay.property, f.violation.message, replay
            );
            print_trace(opts, &header, &f.trace);
            Ok(ExitCode::SUCCESS)
        }
        Some(f) => {
            eprintln!(
                "gilspec: the replay stopped on another failure: {}: {}",
                f.violation.property, f.violation.message
            );
            Ok(ExitCode::from(1))
        }
        None => {
            eprintln!(
                "gilspec: the replay ran without violating {}",
                replay.property
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn stress(opts: &Options) -> Result<ExitCode, Usage> {
    use gilspec::runtime::builtin::NO_DEADLOCK;
    let [id] = opts.positional.as_slice() else {
        return Err(Usage("stress takes one model; see gilspec --help".into()));
    };
    let model = find_model(id)?;
    if let Some(p) = &opts.property {
        find_property(model, p)?;
    }
    let body = report::body(model, params(opts));
    let runs = opts.limits.iterations as u64;
    for p in model
        .properties
        .iter()
        .filter(|p| opts.property.as_deref().is_none_or(|q| q == p.id))
    {
        if p.id == gilspec::runtime::builtin::NO_DATA_RACE {
            println!(
                "{}: not applicable (real threads have no race detector)",
                p.id
            );
            continue;
        }
        let start = std::time::Instant::now();
        let run = check::run_std(&body, p.id, &opts.limits, runs);
        let millis = start.elapsed().as_millis();
        match (run.failure, run.error) {
            (_, Some(e)) => println!("{}: error: {e}", p.id),
            // A deadlock on real threads: its threads stay blocked and cannot be joined,
            // so report it and end the process here.
            (Some(f), _) if run.stalled => {
                let what = if p.id == NO_DEADLOCK {
                    "violated".to_owned()
                } else {
                    format!("stopped by {NO_DEADLOCK}")
                };
                println!(
                    "{}: {what} on real threads in run {} of {runs}: {}",
                    p.id, f.execution, f.violation.message
                );
                let _ = std::io::stdout().flush();
                std::process::exit(1);
            }
            (Some(f), _) if f.violation.property == p.id => println!(
                "{}: violated on real threads in run {} of {runs} ({millis} ms): {}",
                p.id, f.execution, f.violation.message
            ),
            (Some(f), _) => println!(
                "{}: stopped by {}: {}",
                p.id, f.violation.property, f.violation.message
            ),
            (None, None) => println!(
                "{}: no violation in {runs} runs on real threads ({millis} ms); luck, not a proof",
                p.id
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
