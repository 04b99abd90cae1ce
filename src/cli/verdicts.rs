//! The commands that check rows and show verdicts: list, check, merge, report, docs.

use super::{
    Options, Usage, check_rows, params, print_json, print_rows, selected_models, verdicts_exit_code,
};
use gilspec::model::Checker;
use gilspec::models;
use gilspec::report::{self, Row, TableRow};
use std::process::ExitCode;

pub(crate) fn list(opts: &Options) -> Result<ExitCode, Usage> {
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

pub(crate) fn check_models(opts: &Options) -> Result<ExitCode, Usage> {
    let rows = check_rows(opts)?;
    let table: Vec<TableRow> = rows.iter().map(Row::table_row).collect();
    if opts.json {
        print_json(rows.iter().map(Row::to_json).collect());
    } else {
        print_rows(&table, opts.table);
    }
    Ok(verdicts_exit_code(&table))
}

/// Join the rows that sharded checks wrote with `--json` (a file per share) into what one
/// check would have printed, exit code included.
pub(crate) fn merge(opts: &Options) -> Result<ExitCode, Usage> {
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
        print_rows(&table, opts.table);
    }
    Ok(verdicts_exit_code(&table))
}

/// Where a row comes in the catalogue: by model as `gilspec list` orders them, then size,
/// spurious wakeups off before on, property as the model lists them, checker as `--checker
/// all` runs them. This is the order of an unsharded check of every model (or of models
/// named in the catalogue's order). Rows this build does not know (written by another
/// version) come after the ones it knows, by name.
pub(crate) fn catalogue_order(r: &TableRow) -> impl Ord + use<> {
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
pub(crate) fn html_report(dir: &str, opts: &Options) -> Result<ExitCode, Usage> {
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
pub(crate) fn docs() -> Result<ExitCode, Usage> {
    // Where it will write, before a minute of checking: the book's directory, with its
    // chapters, writable.
    let chapters = gilspec::book::chapters("docs").map_err(Usage)?;
    let probe = std::path::Path::new("docs/verdicts.md");
    std::fs::OpenOptions::new()
        .append(true)
        .open(probe)
        .map_err(|e| {
            Usage(format!(
                "cannot write {}: {e} (run gilspec docs from the repository's top)",
                probe.display()
            ))
        })?;
    let rows = check_rows(&Options::default())?;
    let scenarios = report::scenario_runs(models::ALL);
    let mut pages = vec![
        ("docs/verdicts.md".to_owned(), report::markdown_table(&rows)),
        (
            "docs/seed-claims.md".to_owned(),
            gilspec::claims::page(models::ALL),
        ),
        // The convoy plot, from the figures `cargo bench` wrote (docs/cost.json).
        (
            gilspec::cost::SVG_PATH.to_owned(),
            gilspec::cost::convoy_svg(&gilspec::cost::data()),
        ),
    ];
    // The chapters: prose by hand, with generated blocks (see src/book.rs).
    for path in chapters {
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
