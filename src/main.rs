//! `gilspec`: check the models, show their counterexamples, replay them.

use gilspec::check::{self, Fairness, Limits};
use gilspec::model::{Checker, Model, Params};
use gilspec::models;
use gilspec::report::{self, Replay, Row, TableRow};
use gilspec::shard::{Selection, Shard};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

const USAGE: &str = "\
gilspec: model-checked specifications of CPython's GIL and its alternatives

usage:
  gilspec                         check every model under every checker (= gilspec check)
  gilspec list [MODEL...]         the models, their questions, expected verdicts and scenarios
  gilspec check [MODEL...] [--checker C] [--property P] [--preemption-bound N|none]
                [--iterations N] [--seed N] [--pct-depth N] [--budget N]
                [--spurious on|off] [--timeouts on|off] [--deep] [--json]
                [--fairness strong|weak|none] [--reduction on|off] [--verify-search]
                [--shard I/N]
  gilspec merge [--json] FILE...  join the --json output of sharded checks into one table
  gilspec report --html DIR [MODEL...] [the options of check]
                                  the verdicts as DIR/index.html: a matrix, and each
                                  counterexample to step through in a browser
  gilspec trace MODEL [--property P] [--checker C] [--scenario S] [--deep]
                [--format text|markdown|mermaid|json] [--steps grouped|all]
  gilspec replay MODEL REPLAY [--format text|markdown|mermaid|json]
  gilspec claims                  the seed claims page (docs/seed-claims.md), from the models' data
  gilspec docs                    regenerate the book's generated pages and blocks (docs/)
  gilspec stress MODEL [--property P] [--iterations N] [--deep]
                                  run on real threads: a stress test, not a proof;
                                  no run finishing for 10 s is a deadlock (exit 1)
  gilspec bench [MODEL...] [--deep] [--timeouts on|off] [--budget N]
                                  the stateful search with and without its reductions
                                  (at most N executions unreduced): a Markdown table

checkers: loom, shuttle-pct, shuttle-random, shuttle-dfs, all (default)
--deep runs each model with 3 worker threads instead of 2, and PCT with depth 4.
shuttle-dfs is the stateful search (docs/reduction.md): --fairness names which cycles are
livelocks, --reduction off searches every path instead, --verify-search checks replays.
--shard I/N checks the I-th of N shares of the rows, the same share every time (give every
share the same options); a model at one spurious-wakeup setting is the unit dealt out, so
a row, with all of shuttle's seeds, is never split. merge joins the shares' --json output
and prints and exits as one check would have, the rows in the catalogue's order.
Loom's preemption bound is each model's own (see `list`); --preemption-bound N (0 to 20)
or none (every execution) overrides it.
Exit status: 0 when every verdict equals its expectation, 1 when one does not,
2 on bad input. replay: 0 when it reproduces the violation, 1 when the schedule is one of
the model's executions but violates nothing (or something else), 2 when it is not one
(loom ends before its execution, a task cannot run, choices are left over).";

/// A command-line mistake: one line, exit code 2.
struct Usage(String);

fn main() -> ExitCode {
    // Piped into `head`, end quietly like any Unix tool instead of panicking on EPIPE.
    // SAFETY: restoring the default disposition of a signal, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    check::silence_checker_stderr();
    match run(&args) {
        Ok(code) => code,
        Err(Usage(msg)) => {
            eprintln!("gilspec: {msg}");
            ExitCode::from(2)
        }
    }
}

#[derive(Default)]
struct Options {
    positional: Vec<String>,
    checkers: Option<Vec<Checker>>,
    property: Option<String>,
    scenario: Option<String>,
    format: Option<String>,
    json: bool,
    /// The directory `report` writes its page into.
    html: Option<String>,
    /// Show every step of a trace instead of grouping a thread's consecutive steps.
    all_steps: bool,
    deep: bool,
    /// `-h` or `--help`: print the usage and nothing else.
    help: bool,
    /// Spurious wakeups on or off; both (for models with condvars) when not given.
    spurious: Option<bool>,
    /// The share of the rows to check.
    shard: Shard,
    limits: Limits,
}

fn number<T>(
    flag: &str,
    value: Option<&String>,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, Usage>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let value = value.ok_or_else(|| Usage(format!("{flag} needs a number")))?;
    let n: T = value.parse().map_err(|_| {
        Usage(format!(
            "{flag} takes a number from {} to {}, not {value:?}",
            range.start(),
            range.end()
        ))
    })?;
    if !range.contains(&n) {
        return Err(Usage(format!(
            "{flag} takes a number from {} to {}, not {n}",
            range.start(),
            range.end()
        )));
    }
    Ok(n)
}

/// The value of a two-way option such as `--spurious on|off`.
fn choice(flag: &str, value: Option<&String>, yes: &str, no: &str) -> Result<bool, Usage> {
    match value.map(String::as_str) {
        Some(v) if v == yes => Ok(true),
        Some(v) if v == no => Ok(false),
        other => Err(Usage(format!(
            "{flag} takes {yes} or {no}, not {}",
            other.map_or("nothing".to_owned(), |v| format!("{v:?}"))
        ))),
    }
}

fn parse(args: &[String]) -> Result<Options, Usage> {
    let mut o = Options::default();
    if args.iter().any(|a| a == "--deep") {
        o.limits = Limits::deep();
    }
    // Later options override what --deep chose.
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--checker" => {
                let c = it
                    .next()
                    .ok_or_else(|| Usage("--checker needs a value".into()))?;
                o.checkers = Some(if c == "all" {
                    Checker::ALL.to_vec()
                } else {
                    vec![Checker::parse(c).ok_or_else(|| {
                        Usage(format!(
                            "unknown checker {c:?}; choose one of: loom, shuttle-pct, shuttle-random, shuttle-dfs, all"
                        ))
                    })?]
                });
            }
            "--property" => {
                o.property = Some(
                    it.next()
                        .ok_or_else(|| Usage("--property needs a value".into()))?
                        .clone(),
                )
            }
            "--scenario" => {
                o.scenario = Some(
                    it.next()
                        .ok_or_else(|| Usage("--scenario needs a value".into()))?
                        .clone(),
                )
            }
            "--format" => {
                let f = it
                    .next()
                    .ok_or_else(|| Usage("--format needs a value".into()))?;
                if !["text", "markdown", "mermaid", "json"].contains(&f.as_str()) {
                    return Err(Usage(format!(
                        "unknown format {f:?}; choose one of: text, markdown, mermaid, json"
                    )));
                }
                o.format = Some(f.clone());
            }
            "--preemption-bound" => {
                o.limits.model_bound = false;
                o.limits.preemption_bound = match it.next() {
                    Some(v) if v == "none" => None,
                    v => Some(number(a, v, 0..=20)?),
                };
            }
            "--iterations" => o.limits.iterations = number(a, it.next(), 1..=10_000_000)?,
            "--seed" => o.limits.seed = number(a, it.next(), 0..=u64::MAX)?,
            "--pct-depth" => o.limits.pct_depth = number(a, it.next(), 1..=20)?,
            "--budget" => {
                // One cap for the exhaustive searches: loom's, shuttle DFS's, and loom's
                // search for the fewest steps.
                let n: u64 = number(a, it.next(), 1..=100_000_000)?;
                o.limits.loom_budget = n;
                o.limits.dfs_budget = n as usize;
                o.limits.state_budget = n as usize;
                o.limits.steps_budget = o.limits.steps_budget.min(n);
            }
            "--json" => o.json = true,
            "--html" => {
                o.html = Some(
                    it.next()
                        .ok_or_else(|| Usage("--html needs a directory".into()))?
                        .clone(),
                )
            }
            "--timeouts" => o.limits.timeouts = choice(a, it.next(), "on", "off")?,
            "--verify-search" => o.limits.verify_search = true,
            "--reduction" => o.limits.reduction = choice(a, it.next(), "on", "off")?,
            "--fairness" => {
                o.limits.fairness = match it.next().map(String::as_str) {
                    Some("none") => Fairness::None,
                    Some("weak") => Fairness::Weak,
                    Some("strong") => Fairness::Strong,
                    other => {
                        return Err(Usage(format!(
                            "--fairness takes none, weak or strong, not {}",
                            other.map_or("nothing".to_owned(), |o| format!("{o:?}"))
                        )));
                    }
                }
            }
            "--spurious" => o.spurious = Some(choice(a, it.next(), "on", "off")?),
            "--shard" => {
                let value = it.next();
                o.shard = value.and_then(|v| Shard::parse(v)).ok_or_else(|| {
                    Usage(format!(
                        "--shard takes I/N, the I-th of N shares with 1 <= I <= N, not {}",
                        value.map_or("nothing".to_owned(), |v| format!("{v:?}"))
                    ))
                })?;
            }
            "--steps" => o.all_steps = choice(a, it.next(), "all", "grouped")?,
            "--deep" => o.deep = true,
            // Asked for, the usage is output (stdout, exit 0), not a mistake.
            "-h" | "--help" => {
                o.help = true;
                return Ok(o);
            }
            s if s.starts_with('-') => {
                return Err(Usage(format!("unknown option {s:?}; see gilspec --help")));
            }
            _ => o.positional.push(a.clone()),
        }
    }
    Ok(o)
}

fn find_model(id: &str) -> Result<&'static Model, Usage> {
    models::find(id).ok_or_else(|| {
        Usage(format!(
            "unknown model {id:?}; choose one of: {}",
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

fn run(args: &[String]) -> Result<ExitCode, Usage> {
    let (command, rest) = match args.first().map(String::as_str) {
        None => ("check", &args[..0]),
        Some(c) if !c.starts_with('-') => (c, &args[1..]),
        Some(_) => ("check", args),
    };
    let opts = parse(rest)?;
    if opts.help {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    match command {
        "list" => list(&opts),
        "check" => check_models(&opts),
        "merge" => merge(&opts),
        "report" => html_report(&opts),
        "trace" => trace(&opts),
        "replay" => replay(&opts),
        "stress" => stress(&opts),
        "bench" => bench(&opts),
        "docs" => docs(&opts),
        "claims" => {
            print!("{}", gilspec::claims::page(models::ALL));
            Ok(ExitCode::SUCCESS)
        }
        "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(Usage(format!(
            "unknown command {other:?}; choose one of: list, check, merge, report, trace, replay, stress, bench, claims, docs, help"
        ))),
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
fn html_report(opts: &Options) -> Result<ExitCode, Usage> {
    let dir = opts.html.as_deref().ok_or_else(|| {
        Usage("report needs --html DIR, the directory to write index.html into".into())
    })?;
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
fn docs(opts: &Options) -> Result<ExitCode, Usage> {
    if !opts.positional.is_empty() || opts.deep || opts.shard != Shard::WHOLE {
        return Err(Usage(
            "docs takes no models, sizes or shards: it regenerates every generated page".into(),
        ));
    }
    let rows = check_rows(opts)?;
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
    match opts.format.as_deref().unwrap_or("text") {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&trace.to_json()).expect("json")
        ),
        "markdown" => print!("{header}\n\n{}", shown.to_markdown()),
        "mermaid" => print!("{}", shown.to_mermaid()),
        _ => print!("{header}\n\n{}", shown.to_text()),
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
    let one_document = matches!(opts.format.as_deref(), Some("json" | "mermaid"));
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
