//! The registry's models are well formed: every field a model must give is there, every
//! expectation names one of its properties, and every property has an expectation under
//! every checker (a missing one would otherwise surface only as a failed catalogue row).

use gilspec::model::{Checker, Expect, HOLDS, Model, Params, Property};
use gilspec::models;

#[test]
fn every_registered_model_is_well_formed() {
    let mut problems: Vec<String> = models::ALL.iter().flat_map(|m| m.problems()).collect();
    for m in models::ALL {
        if let Some(t) = m.twin.filter(|t| models::find(t).is_none()) {
            problems.push(format!("{}: unknown twin {t}", m.id));
        }
        if models::ALL.iter().filter(|o| o.id == m.id).count() > 1 {
            problems.push(format!("{}: registered twice", m.id));
        }
    }
    // Families follow ALL's order, each from its first model, the first from the start.
    let firsts: Vec<Option<usize>> = models::FAMILIES
        .iter()
        .map(|f| models::ALL.iter().position(|m| m.id == f.first))
        .collect();
    if firsts.first() != Some(&Some(0))
        || firsts.contains(&None)
        || firsts.windows(2).any(|w| w[0] >= w[1])
    {
        problems.push(format!(
            "models::FAMILIES' first models are not in ALL's order, from its start: {firsts:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn body(_: Params) {}

const P: Property = Property {
    id: "p",
    claim: "a claim",
};

/// The check is not vacuous itself: a model that leaves out a required field, names an
/// unknown property or forgets a checker is told so.
#[test]
fn a_model_missing_its_question_and_a_checker_is_refused() {
    const EXPECT: &[Expect] = &[
        Expect {
            property: "p",
            checkers: Checker::SHUTTLE,
            default: HOLDS,
            deep: HOLDS,
        },
        Expect {
            property: "typo",
            checkers: Checker::LOOM,
            default: HOLDS,
            deep: HOLDS,
        },
    ];
    let model = Model {
        id: "incomplete",
        title: "Incomplete",
        sources: &["Python/ceval_gil.c#take_gil"],
        abstracts: "everything",
        properties: &[P],
        expect: EXPECT,
        body,
        ..Model::DEFAULT
    };
    let problems = model.problems();
    assert!(
        problems.contains(&"incomplete: no `question`".to_owned()),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("\"typo\"")),
        "{problems:?}"
    );
    assert!(
        problems.contains(&"incomplete: no expectation for p under loom".to_owned()),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 3, "{problems:?}");
}

/// A data race that shuttle is expected to find and loom is not is refused: shuttle's
/// executions are some of loom's, under the same happens-before.
#[test]
fn a_race_only_shuttle_finds_is_refused() {
    use gilspec::model::FOUND;
    const RACE: Property = Property {
        id: "no_data_race",
        claim: "no race",
    };
    const EXPECT: &[Expect] = &[
        Expect {
            property: "no_data_race",
            checkers: Checker::LOOM,
            default: HOLDS,
            deep: HOLDS,
        },
        Expect {
            property: "no_data_race",
            checkers: Checker::SHUTTLE,
            default: FOUND,
            deep: HOLDS,
        },
    ];
    let model = Model {
        id: "racy",
        title: "a model",
        question: "a question",
        sources: &["nowhere"],
        abstracts: "everything",
        properties: &[RACE],
        expect: EXPECT,
        body,
        ..Model::DEFAULT
    };
    let problems = model.problems();
    let expected: Vec<String> = ["shuttle-pct", "shuttle-random", "shuttle-dfs"]
        .iter()
        .map(|c| format!("racy: a data race expected under {c} but not under loom"))
        .collect();
    assert_eq!(problems, expected);
}
