//! The commands that run models for their figures: stress (real threads) and bench.

use super::{Options, Usage, find_model, find_property, params, selected_models, selection};
use gilspec::check::{self};
use gilspec::report::{self};
use gilspec::shard::Shard;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn stress(opts: &Options) -> Result<ExitCode, Usage> {
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

pub(crate) fn bench(opts: &Options) -> Result<ExitCode, Usage> {
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
