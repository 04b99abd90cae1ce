//! Generated hand-off programs for biased reference counting: how many references the
//! owner hands to a non-owner (1–3), whether it uses the object first, how many check
//! points the owner reaches before joining it (0–2). The protocol frees the object exactly
//! once and never uses it after, for every program, under loom and shuttle; each mutant's
//! failures shrink to a minimal program.

use gilspec::check::{self, Body, Limits, Verdict};
use gilspec::model::Checker;
use gilspec::models::brc::{HandOff, Mutant, run_hand_off};
use gilspec::runtime::builtin::ANY;
use proptest::prelude::*;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestError, TestRng, TestRunner,
};
use std::sync::Arc;

fn hand_off() -> impl Strategy<Value = HandOff> {
    (1..=3usize, any::<bool>(), 0..=2usize).prop_map(
        |(handed, use_first, check_points_before_join)| HandOff {
            handed,
            use_first,
            check_points_before_join,
        },
    )
}

fn verdict(
    mutant: Mutant,
    program: HandOff,
    checker: Checker,
    bound: Option<usize>,
    seed: u64,
) -> (Verdict, Option<String>) {
    let body: Body = Arc::new(move || run_hand_off(mutant, program));
    let limits = Limits {
        preemption_bound: bound,
        iterations: 300,
        seed,
        minimize: false,
        ..Limits::default()
    };
    let o = check::check(&body, ANY, checker, &limits);
    let why = o
        .failure
        .map(|f| format!("{}: {}", f.violation.property, f.violation.message));
    (o.verdict, why.or(o.note))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/proptest-regressions/proptest_brc.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_protocol_frees_exactly_once_for_every_program(p in hand_off(), seed in any::<u64>().no_shrink()) {
        for checker in [Checker::Loom, Checker::ShuttlePct] {
            let (v, why) = verdict(Mutant::None, p, checker, Some(2), seed);
            prop_assert_eq!(v, Verdict::Holds, "{} on {:?}: {:?}", checker, p, why);
        }
    }
}

/// The smallest program proptest shrinks a mutant's failure to, under loom (exhaustive:
/// gh-119999's race needs 3 preemptions).
fn minimal_failing(mutant: Mutant) -> (HandOff, String) {
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&hand_off(), |p| {
        let (v, why) = verdict(mutant, p, Checker::Loom, None, 0);
        prop_assert_eq!(v, Verdict::Holds, "{:?}", why);
        Ok(())
    });
    match result {
        Err(TestError::Fail(why, p)) => (p, why.to_string()),
        other => panic!("expected {mutant:?} to fail, got {other:?}"),
    }
}

#[test]
fn the_no_queue_mutant_shrinks_to_one_handed_reference() {
    let (p, why) = minimal_failing(Mutant::NoQueue);
    eprintln!("brc-no-queue: minimal failing program {p:?}: {why}");
    assert_eq!(
        p,
        HandOff {
            handed: 1,
            use_first: false,
            check_points_before_join: 0
        },
        "{why}"
    );
    assert!(why.contains("no_leak"), "{why}");
}

#[test]
fn the_store_after_merged_mutant_shrinks_to_two_handed_references() {
    let (p, why) = minimal_failing(Mutant::StoreAfterMerged);
    eprintln!("brc-store-after-merged: minimal failing program {p:?}: {why}");
    // One reference to queue, one to free the object between the merge's CAS and its
    // late stores, and a check point to merge at while N still runs.
    let minimal = HandOff {
        handed: 2,
        use_first: false,
        check_points_before_join: 1,
    };
    assert_eq!(p, minimal, "{why}");
    assert!(why.contains("no_use_after_free"), "{why}");
}
