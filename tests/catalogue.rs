//! The catalogue: every model × property × checker verdict equals the model's expectation
//! (with spurious wakeups off and on, for models that wait on a condition variable), and
//! every counterexample replays to the same property and the same trace.

use gilspec::book;
use gilspec::check::{self, Limits};
use gilspec::model::{Checker, Expected, Model, Params};
use gilspec::models;
use gilspec::report::{self, Replay, Row};
use gilspec::shard::{Selection, Shard};

/// The rows of `shard`'s models, in the registry's order (as `gilspec check --shard`
/// deals them). Two threads check models side by side, a model and spurious-wakeup
/// setting at a time (each checker run stays on the thread that started it).
fn rows(base: Params, limits: &Limits, shard: Shard) -> Vec<Row> {
    let every_row = Selection {
        models: models::ALL,
        spurious: None,
        property: None,
        checkers: &Checker::ALL,
    };
    let work: Vec<(&'static Model, bool)> = every_row
        .units(shard)
        .iter()
        .map(|u| (u.model, u.spurious))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<Row>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(m, spurious)) = work.get(i) else {
                            return done;
                        };
                        done.push((i, setting_rows(m, base.with_spurious(spurious), limits)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a catalogue worker"))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().flat_map(|(_, rows)| rows).collect()
}

fn setting_rows(m: &'static Model, params: Params, limits: &Limits) -> Vec<Row> {
    let (mut rows, start) = (Vec::new(), std::time::Instant::now());
    for p in m.properties {
        for c in Checker::ALL {
            rows.push(report::check_row(m, p.id, c, params, limits));
        }
    }
    // Progress, for the long deep suite: cargo shows it with `-- --nocapture`.
    let executions: u64 = rows.iter().map(|r| r.outcome.executions).sum();
    eprintln!(
        "{} ({} workers, spurious {}): {} rows, {executions} executions, {:.1} s",
        m.id,
        params.threads,
        if params.spurious { "on" } else { "off" },
        rows.len(),
        start.elapsed().as_secs_f64()
    );
    rows
}

fn assert_catalogue(base: Params, limits: &Limits, shard: Shard) -> Vec<Row> {
    let rows = rows(base, limits, shard);
    let wrong: Vec<String> = rows
        .iter()
        .filter(|r| !r.as_expected())
        .map(|r| {
            format!(
                "{} {:?} {} {}: {} (expected {:?})",
                r.model,
                r.params,
                r.outcome.property,
                r.outcome.checker,
                r.verdict_text(),
                r.expected
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "verdicts differ from expectations:\n{}",
        wrong.join("\n")
    );

    for r in &rows {
        let Some(failure) = report::failure(r) else {
            continue;
        };
        // It reads in every format.
        let grouped = failure.trace.grouped();
        assert!(failure.trace.to_text().starts_with("step  thread"));
        assert!(grouped.to_markdown().starts_with("| step | "));
        assert!(grouped.to_mermaid().starts_with("sequenceDiagram\n"));
        assert_eq!(failure.trace.to_schema().len(), failure.trace.len());
        let replay = r.replay().expect("a counterexample replays");
        // The replay string survives printing and parsing.
        assert_eq!(Replay::parse(&replay.to_string()).as_ref(), Ok(&replay));
        let model = models::find(r.model).unwrap();
        let limits = Limits {
            spurious: replay.params.spurious,
            ..limits.clone()
        };
        let again = check::replay(
            &report::body(model, replay.params),
            &replay.property,
            &limits,
            &replay.schedule,
        )
        .unwrap_or_else(|e| panic!("{} {}: {e}", r.model, r.outcome.property));
        let again = again.failure.unwrap_or_else(|| {
            panic!(
                "{} {} {}: replay found nothing",
                r.model, r.outcome.property, r.outcome.checker
            )
        });
        assert_eq!(again.violation, failure.violation, "{} {}", r.model, replay);
        assert_eq!(
            again.trace, failure.trace,
            "{} {}: the replayed trace differs",
            r.model, replay
        );
    }
    rows
}

#[test]
fn every_verdict_matches_its_expectation_and_every_counterexample_replays() {
    let rows = assert_catalogue(Params::DEFAULT, &Limits::default(), Shard::WHOLE);
    // The generated verdict page is what the checkers compute today.
    let committed = std::fs::read_to_string("docs/verdicts.md").expect("docs/verdicts.md");
    assert!(
        committed == report::markdown_table(&rows),
        "docs/verdicts.md is stale: run `cargo run --release -- docs`"
    );
    // So are the generated blocks of every chapter.
    let chapters = book::chapters("docs").unwrap();
    assert!(
        chapters.len() >= 6,
        "the chapters have generated blocks: {chapters:?}"
    );
    let scenarios = report::scenario_runs(models::ALL);
    for path in chapters {
        let committed = std::fs::read_to_string(&path).unwrap();
        let now = book::fill(&committed, models::ALL, &rows, &scenarios).unwrap();
        assert!(
            committed == now,
            "{path} is stale: run `cargo run --release -- docs`"
        );
    }
}

/// Every counterexample of the catalogue (default size) is shown in some chapter.
#[test]
fn every_counterexample_is_in_the_book() {
    let mut pages = String::new();
    for path in book::chapters("docs").unwrap() {
        pages += &std::fs::read_to_string(&path).unwrap();
    }
    for m in models::ALL {
        for p in m.properties {
            let shows = |spurious: bool| {
                let heading = format!(
                    "### `{}` · `{}`{}",
                    m.id,
                    p.id,
                    if spurious {
                        " (spurious wakeups on)"
                    } else {
                        ""
                    }
                );
                pages.contains(&heading)
            };
            let expects_failure = |spurious: bool| {
                Checker::ALL.iter().any(|&c| {
                    matches!(
                        m.expected(p.id, c, Params::DEFAULT.with_spurious(spurious)),
                        Some(Expected::Violated { .. } | Expected::Livelock)
                    )
                })
            };
            if expects_failure(false) {
                assert!(shows(false), "no chapter shows {} {}", m.id, p.id);
            } else if m.spurious_settings().contains(&true) && expects_failure(true) {
                assert!(
                    shows(true),
                    "no chapter shows {} {} (spurious on)",
                    m.id,
                    p.id
                );
            }
        }
    }
}

/// The deep suite: 3 worker threads (`RUSTFLAGS="--cfg loom" cargo test --release`), in
/// three tests of a third of the models each, so that `cargo nextest run --partition` can
/// give them to different machines (README, "Splitting the work over machines").
#[cfg(loom)]
fn deep_part(index: usize) {
    let shard = Shard::new(index, 3).expect("a third");
    assert_catalogue(Params::DEEP, &Limits::deep(), shard);
}

#[cfg(loom)]
#[test]
fn deep_every_verdict_matches_its_expectation_part_1_of_3() {
    deep_part(1);
}

#[cfg(loom)]
#[test]
fn deep_every_verdict_matches_its_expectation_part_2_of_3() {
    deep_part(2);
}

#[cfg(loom)]
#[test]
fn deep_every_verdict_matches_its_expectation_part_3_of_3() {
    deep_part(3);
}
