//! The commands that show one execution: trace and replay.

use super::{Format, Options, Usage, find_model, find_property, ids, params};
use gilspec::check::{self, Limits};
use gilspec::model::{Checker, Model};
use gilspec::report::{self, Replay};
use gilspec::schema;
use gilspec::trace::Trace;
use std::process::ExitCode;

/// Print `trace` in the chosen format: for JSON, `document` (the verdict, the message and
/// the replay string with the steps).
pub(crate) fn print_trace(
    opts: &Options,
    header: &str,
    trace: &Trace,
    document: impl FnOnce() -> schema::Counterexample,
) {
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
            serde_json::to_string_pretty(&document()).expect("a counterexample is JSON")
        ),
        Format::Markdown => print!("{header}\n\n{}", shown.to_markdown()),
        Format::Mermaid => print!("{}", shown.to_mermaid()),
        Format::Text => print!("{header}\n\n{}", shown.to_text()),
    }
}

pub(crate) fn trace(opts: &Options) -> Result<ExitCode, Usage> {
    let [id] = opts.positional.as_slice() else {
        return Err(Usage("trace takes one model; see gilspec --help".into()));
    };
    let model = find_model(id)?;
    if let Some(s) = &opts.scenario {
        let scenario = model.scenario(s).ok_or_else(|| {
            Usage(format!(
                "model {} has no scenario {s:?}; choose one of: {}",
                model.id,
                ids(model.scenarios.iter().map(|s| s.id))
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

pub(crate) fn show_scenario(
    opts: &Options,
    model: &Model,
    scenario: &gilspec::model::Scenario,
) -> ExitCode {
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
    let replay = Replay {
        property: scenario.property.to_owned(),
        params: gilspec::model::Params {
            threads: scenario.threads,
            spurious: false,
        },
        schedule: check::Schedule::Script {
            threads: scenario.steps(),
            events: scenario.wait_events.to_vec(),
        },
    };
    print_trace(opts, &header, &trace, || {
        report::counterexample(
            model.id,
            scenario.property,
            run.failure.as_ref(),
            &trace,
            Some(replay.to_string()),
        )
    });
    ExitCode::SUCCESS
}

/// The checker's counterexample for one property (loom's, with the fewest preemptions,
/// unless a checker is chosen).
pub(crate) fn counterexample(
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
                    "{} — {}: {}\n{}\n{} steps, {}; replay: gilspec replay {} {}",
                    model.id,
                    property,
                    f.violation.message,
                    row.verdict_text(),
                    f.trace.len(),
                    f.trace.context_switches_text(),
                    model.id,
                    row.replay().expect("violated rows replay")
                );
                print_trace(opts, &header, &f.trace, || {
                    row.counterexample().expect("a row with a failure")
                });
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

pub(crate) fn replay(opts: &Options) -> Result<ExitCode, Usage> {
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
            print_trace(opts, &header, &f.trace, || {
                report::counterexample(
                    model.id,
                    &replay.property,
                    Some(&f),
                    &f.trace,
                    Some(replay.to_string()),
                )
            });
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
