//! No vacuous verdict: a "holds" from runs that never reached a situation the model's
//! properties are about reads `vacuous`, and the rows that hold name what they reached.

use gilspec::check::{Limits, Verdict};
use gilspec::model::{Checker, Params};
use gilspec::models;
use gilspec::report;

const AT_MOST_ONE: &str = "at_most_one_gil_holder";

/// With timed waits that never time out, nobody asks the holder to drop the GIL: the
/// handoff's forced switching is never exercised, and its "holds" says so.
#[test]
fn the_handoff_without_timeouts_holds_vacuously() {
    let model = models::find("gil-handoff").unwrap();
    assert_eq!(model.situations.len(), 3);
    let limits = Limits {
        timeouts: false,
        ..Limits::default()
    };
    for checker in [Checker::Loom, Checker::ShuttleDfs] {
        let row = report::check_row(model, AT_MOST_ONE, checker, Params::DEFAULT, &limits);
        assert_eq!(row.outcome.verdict, Verdict::Vacuous, "{checker}");
        let note = row.outcome.note.as_deref().unwrap_or("");
        for s in model.situations {
            assert!(note.contains(s.0), "{checker}: {note}");
        }
        assert!(row.verdict_text().starts_with("vacuous: no violation"));
    }
}

/// With timeouts, every checker's runs reach all three situations, and the verdict is a
/// plain "holds" that says what it reached.
#[test]
fn the_handoff_with_timeouts_reaches_what_its_properties_are_about() {
    let model = models::find("gil-handoff").unwrap();
    let limits = Limits::default();
    for checker in Checker::ALL {
        let row = report::check_row(model, AT_MOST_ONE, checker, Params::DEFAULT, &limits);
        assert_eq!(row.outcome.verdict, Verdict::Holds, "{checker}");
        let mut named: Vec<&str> = model.situations.iter().map(|s| s.0).collect();
        named.sort();
        let reached: Vec<&str> = row.outcome.reached.iter().copied().collect();
        assert_eq!(reached, named, "{checker}");
        let json = row.to_json();
        assert_eq!(json["reached"].as_array().map(Vec::len), Some(3));
    }
}

/// Every situation a model names is reached by its own default run under the stateful
/// search, which explores every state: a situation no execution can reach is a modelling
/// error, caught here rather than as a puzzling `vacuous` row.
#[test]
fn every_named_situation_is_reachable() {
    for model in models::ALL.iter().filter(|m| !m.situations.is_empty()) {
        let p = model.properties[0].id;
        let row = report::check_row(
            model,
            p,
            Checker::ShuttleDfs,
            Params::DEFAULT,
            &Limits::default(),
        );
        for s in model.situations {
            assert!(
                row.outcome.reached.contains(s.0),
                "{}: never reached {:?}",
                model.id,
                s.0
            );
        }
    }
}
