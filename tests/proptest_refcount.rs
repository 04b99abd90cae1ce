//! Generated programs for the reference-count family: 2–3 threads, each a short list of
//! increfs, decrefs and uses of 1–2 objects, every thread releasing what it takes. The
//! safe counting schemes hold for every program under loom and shuttle; for the plain
//! count, proptest finds a failing program and shrinks it to a minimal one.

use gilspec::check::{self, Body, Limits, Verdict};
use gilspec::model::Checker;
use gilspec::models::refcount::{
    self, Counting, Op, Program, Setup, atomic::AtomicCount, gil::Gil, object_mutex::ObjectMutex,
    plain::Plain,
};
use gilspec::runtime::builtin::ANY;
use proptest::prelude::*;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestError, TestRng, TestRunner,
};
use std::sync::Arc;

fn op(objects: usize) -> impl Strategy<Value = Op> {
    (0..objects)
        .prop_flat_map(|o| prop_oneof![Just(Op::Use(o)), Just(Op::IncRef(o)), Just(Op::DecRef(o))])
}

fn setup(name: &'static str, threads: usize) -> impl Strategy<Value = Setup> {
    (
        any::<bool>(),
        proptest::sample::subsequence((0..threads).collect::<Vec<_>>(), 0..=threads),
    )
        .prop_map(move |(main_keeps, given_to)| Setup {
            name: name.to_owned(),
            main_keeps,
            given_to,
        })
}

fn program() -> impl Strategy<Value = Program> {
    (2..=3usize, 1..=2usize)
        .prop_flat_map(|(threads, objects)| {
            let setups: Vec<_> = ["foo", "bar"][..objects]
                .iter()
                .map(|n| setup(n, threads))
                .collect();
            (
                setups,
                prop::collection::vec(prop::collection::vec(op(objects), 0..=3), threads),
            )
        })
        .prop_map(|(setups, raw)| Program::normalized(setups, raw))
}

fn body<C: Counting>(program: &Program) -> Body {
    let program = program.clone();
    Arc::new(move || refcount::run::<C>(&program))
}

/// Every heap property at once, under one checker: the verdict and its failure, if any.
fn verdict<C: Counting>(
    program: &Program,
    checker: Checker,
    seed: u64,
) -> (Verdict, Option<String>) {
    let limits = Limits {
        preemption_bound: Some(2),
        iterations: 200,
        seed,
        minimize: false,
        ..Limits::default()
    };
    let o = check::check(&body::<C>(program), ANY, checker, &limits);
    let message = o
        .failure
        .map(|f| format!("{}: {}", f.violation.property, f.violation.message));
    (o.verdict, message.or(o.note))
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/proptest_refcount.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn safe_schemes_hold_for_every_program_under_loom(p in program()) {
        for (name, v) in [
            ("gil", verdict::<Gil>(&p, Checker::Loom, 0)),
            ("atomic", verdict::<AtomicCount>(&p, Checker::Loom, 0)),
            ("object-mutex", verdict::<ObjectMutex>(&p, Checker::Loom, 0)),
        ] {
            prop_assert_eq!(v.0, Verdict::Holds, "{} on {:?}: {:?}", name, p, v.1);
        }
    }

    #[test]
    fn safe_schemes_hold_for_every_program_under_shuttle(p in program(), seed in any::<u64>().no_shrink()) {
        for (name, v) in [
            ("gil", verdict::<Gil>(&p, Checker::ShuttlePct, seed)),
            ("atomic", verdict::<AtomicCount>(&p, Checker::ShuttlePct, seed)),
            ("object-mutex", verdict::<ObjectMutex>(&p, Checker::ShuttlePct, seed)),
        ] {
            prop_assert_eq!(v.0, Verdict::Holds, "{} on {:?}: {:?}", name, p, v.1);
        }
    }
}

/// The smallest program proptest shrinks a failure of `C` to, under `checker`.
fn minimal_failing<C: Counting>(checker: Checker) -> Program {
    let config = Config {
        cases: 256,
        // The failing seeds are kept and tried first on the next run.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/plain_minimal.txt",
        ))),
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&(program(), any::<u64>().no_shrink()), |(p, seed)| {
        let (v, why) = verdict::<C>(&p, checker, seed);
        prop_assert_eq!(v, Verdict::Holds, "{:?}", why);
        Ok(())
    });
    match result {
        Err(TestError::Fail(_, (p, _))) => p,
        other => panic!("expected a failing program, got {other:?}"),
    }
}

fn size(p: &Program) -> usize {
    p.threads.iter().map(Vec::len).sum()
}

/// Every program one operation smaller than `p` (before the releases are re-added).
fn one_smaller(p: &Program) -> Vec<Program> {
    let mut smaller = Vec::new();
    for t in 0..p.threads.len() {
        for i in 0..p.threads[t].len() {
            let mut threads = p.threads.clone();
            threads[t].remove(i);
            let q = Program::normalized(p.objects.clone(), threads);
            if size(&q) < size(p) {
                smaller.push(q);
            }
        }
    }
    smaller
}

/// The plain count fails, and proptest shrinks its failures to a program of two threads
/// with at most two operations each, from which no operation can be dropped.
#[test]
fn plain_count_failures_shrink_to_a_minimal_program() {
    for checker in [Checker::Loom, Checker::ShuttlePct] {
        let p = minimal_failing::<Plain>(checker);
        eprintln!("{checker}: minimal failing program {p:?}");
        assert_eq!(p.threads.len(), 2, "{checker}: {p:?}");
        assert!(size(&p) <= 4, "{checker}: {p:?}");
        // Minimal: the program fails, under loom exhaustively, and nothing smaller does.
        let exhaustive = |q: &Program| {
            let limits = Limits {
                minimize: false,
                ..Limits::default()
            };
            check::check(&body::<Plain>(q), ANY, Checker::Loom, &limits).verdict
        };
        assert_eq!(exhaustive(&p), Verdict::Violated);
        for q in one_smaller(&p) {
            assert_eq!(
                exhaustive(&q),
                Verdict::Holds,
                "{q:?} is smaller than {p:?} and fails too"
            );
        }
    }
}
