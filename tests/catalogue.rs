//! The catalogue: every model × property × checker verdict equals the model's expectation,
//! and every violation replays to the same property and the same trace.

use gilspec::check::{self, Limits, Verdict};
use gilspec::model::{Checker, Params};
use gilspec::models;
use gilspec::report::{self, Replay, Row};

fn rows(params: Params, limits: &Limits) -> Vec<Row> {
    let mut rows = Vec::new();
    for m in models::ALL {
        for p in m.properties {
            for c in Checker::ALL {
                rows.push(report::check_row(m, p.id, c, params, limits));
            }
        }
    }
    rows
}

fn assert_catalogue(params: Params, limits: &Limits) {
    let rows = rows(params, limits);
    let wrong: Vec<String> = rows
        .iter()
        .filter(|r| !r.as_expected())
        .map(|r| {
            format!(
                "{} {} {}: {} (expected {:?})",
                r.model,
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

    for r in rows
        .iter()
        .filter(|r| r.outcome.verdict == Verdict::Violated)
    {
        let failure = report::failure(r).expect("a violated row has a failure");
        let replay = r.replay().expect("a violated row replays");
        // The replay string survives printing and parsing.
        assert_eq!(Replay::parse(&replay.to_string()).as_ref(), Ok(&replay));
        let model = models::find(r.model).unwrap();
        let again = check::replay(
            &report::body(model, replay.params),
            &replay.property,
            &replay.schedule,
        );
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
}

#[test]
fn every_verdict_matches_its_expectation_and_every_violation_replays() {
    assert_catalogue(Params::DEFAULT, &Limits::default());
}

#[test]
fn every_model_states_an_expectation_for_every_property_and_checker() {
    for m in models::ALL {
        for p in m.properties {
            for c in Checker::ALL {
                for deep in [false, true] {
                    assert!(
                        m.expected(p.id, c, deep).is_some(),
                        "{} {} {c} (deep: {deep}) has no expectation",
                        m.id,
                        p.id
                    );
                }
            }
        }
        for e in m.expect {
            assert!(
                m.property(e.property).is_some(),
                "{}: expectation for unknown property {}",
                m.id,
                e.property
            );
        }
        if let Some(t) = m.twin {
            assert!(models::find(t).is_some(), "{}: unknown twin {t}", m.id);
        }
    }
}

/// The deep suite: 3 worker threads (`RUSTFLAGS="--cfg loom" cargo test --release`).
#[cfg(loom)]
#[test]
fn deep_every_verdict_matches_its_expectation() {
    assert_catalogue(Params::DEEP, &Limits::deep());
}
