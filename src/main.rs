//! `gilspec`: check the models, show their counterexamples, replay them.

mod cli;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use cli::{Format, Options, Usage};
use gilspec::check::{self, Fairness, Limits};
use gilspec::model::Checker;
use gilspec::models;
use gilspec::shard::Shard;
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
        /// Print the joined rows as JSON
        #[arg(long, conflicts_with = "table")]
        json: bool,
        /// A row per model, property and checker instead of a line per model
        #[arg(long)]
        table: bool,
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
    /// Walk a model's executions by hand in a browser (a local web server)
    #[command(after_help = EXIT_STATUS)]
    Explore {
        /// The model to open (the page lists every model)
        model: Option<String>,
        /// The port on 127.0.0.1 to listen on; 0 picks a free one (the address is printed)
        #[arg(long, value_name = "N", default_value_t = 7700)]
        port: u16,
    },
    /// The seed claims page (docs/seed-claims.md), from the models' data
    #[command(after_help = EXIT_STATUS)]
    Claims,
    /// Regenerate the book's generated pages and blocks (docs/), every one of them
    #[command(after_help = EXIT_STATUS)]
    Docs,
    /// Run a model on real threads: a stress test, not a proof; no run finishing for
    /// a second is a deadlock (exit 1)
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
    #[arg(long, conflicts_with = "table")]
    json: bool,
    /// A row per model, property and checker instead of a line per model
    #[arg(long)]
    table: bool,
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

fn run(cli: Cli) -> Result<ExitCode, Usage> {
    let Some(command) = cli.command else {
        return cli::check_models(&check_options(Vec::new(), &cli.check));
    };
    match command {
        Command::List {
            models,
            deep,
            spurious,
        } => cli::list(&Options {
            positional: models,
            deep,
            spurious: on(spurious),
            ..Options::default()
        }),
        Command::Check { models, options } => cli::check_models(&check_options(models, &options)),
        Command::Merge { files, json, table } => cli::merge(&Options {
            positional: files,
            json,
            table,
            ..Options::default()
        }),
        Command::Report { html, models, rows } => cli::html_report(&html, &rows.options(models)),
        Command::Trace {
            model,
            property,
            checker,
            scenario,
            show,
            search,
        } => cli::trace(&show.apply(Options {
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
        } => cli::replay(&show.apply(Options {
            positional: vec![model, r],
            ..search.options()
        })),
        Command::Explore { model, port } => cli::explore(model.as_deref(), port),
        Command::Claims => {
            print!("{}", gilspec::claims::page(models::ALL));
            Ok(ExitCode::SUCCESS)
        }
        Command::Docs => cli::docs(),
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
            cli::stress(&Options {
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
            cli::bench(&Options {
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
        table: options.table,
        ..options.rows.options(models)
    }
}
