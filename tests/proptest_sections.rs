//! Generated lock-nesting programs: 2–3 threads, each working on one or two distinct
//! objects in some order. With PEP 703 critical sections no program deadlocks, under loom
//! and shuttle; with nested plain mutexes some do, and the failures shrink to the ABBA
//! pair.

use gilspec::check::{self, Body, Limits, Verdict};
use gilspec::model::Checker;
use gilspec::models::critical_section::{Locking, run_nested};
use gilspec::runtime::builtin::NO_DEADLOCK;
use proptest::prelude::*;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestError, TestRng, TestRunner,
};
use std::sync::Arc;

fn thread() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        Just(vec![0]),
        Just(vec![1]),
        Just(vec![0, 1]),
        Just(vec![1, 0])
    ]
}

fn program() -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(thread(), 2..=3)
}

fn verdict(locking: Locking, program: &[Vec<usize>], checker: Checker, seed: u64) -> Verdict {
    let program = program.to_vec();
    let body: Body = Arc::new(move || run_nested(locking, &program));
    let limits = Limits {
        preemption_bound: Some(2),
        iterations: 300,
        seed,
        minimize: false,
        ..Limits::default()
    };
    check::check(&body, NO_DEADLOCK, checker, &limits).verdict
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/proptest-regressions/proptest_sections.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn critical_sections_never_deadlock(p in program(), seed in any::<u64>().no_shrink()) {
        for checker in [Checker::Loom, Checker::ShuttlePct] {
            prop_assert_eq!(verdict(Locking::Sections, &p, checker, seed), Verdict::Holds, "{} on {:?}", checker, p);
        }
    }
}

#[test]
fn nested_mutexes_deadlock_and_shrink_to_abba() {
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&program(), |p| {
        prop_assert_eq!(
            verdict(Locking::NestedMutexes, &p, Checker::Loom, 0),
            Verdict::Holds
        );
        Ok(())
    });
    match result {
        Err(TestError::Fail(_, p)) => {
            eprintln!("nested mutexes: minimal deadlocking program {p:?}");
            assert_eq!(p, vec![vec![0, 1], vec![1, 0]]);
        }
        other => panic!("expected a deadlock, got {other:?}"),
    }
}
