//! The machinery on its own: the ghost heap and the primitives behave the same under
//! every backend (loom, shuttle, real threads).

use gilspec::check::{self, Body, Limits, Run};
use gilspec::model::Params;
use gilspec::models;
use gilspec::report;
use gilspec::runtime::builtin::*;
use gilspec::runtime::context::WaitEvents;
use gilspec::runtime::object;
use gilspec::runtime::{self as rt, Var};
use shuttle::scheduler::RandomScheduler;
use std::sync::Arc;

fn backends(body: &Body, property: &str) -> Vec<(&'static str, Run)> {
    let limits = Limits::default();
    let shuttle = RandomScheduler::new_from_seed(0, 10);
    vec![
        ("loom", check::explore_loom(body, property, &limits, None)),
        (
            "shuttle",
            check::run_shuttle(
                body,
                property,
                &limits,
                shuttle,
                WaitEvents::Random { seed: 0 },
            ),
        ),
        ("std", check::run_std(body, property, &limits, 10)),
    ]
}

fn assert_violates(body: Body, property: &str, message: &str) {
    for (backend, run) in backends(&body, property) {
        assert_eq!(run.error, None, "{backend}");
        let f = run
            .failure
            .unwrap_or_else(|| panic!("{backend}: no violation of {property}"));
        assert_eq!(f.violation.property, property, "{backend}");
        assert!(
            f.violation.message.contains(message),
            "{backend}: {}",
            f.violation.message
        );
        assert_eq!(f.execution, 1, "{backend}: the first execution fails");
        let last = f.trace.events.last().unwrap();
        assert_eq!(last.action, format!("violation: {property}"), "{backend}");
    }
}

#[test]
fn the_heap_reports_double_free_use_after_free_and_leaks_under_every_backend() {
    assert_violates(
        Arc::new(|| {
            let o = object::alloc("x", 1);
            object::free(o, "free");
            object::free(o, "free again");
        }),
        NO_DOUBLE_FREE,
        "x is freed a second time",
    );
    assert_violates(
        Arc::new(|| {
            let o = object::alloc("x", 1);
            let field = Var::field(o, "f", 0);
            object::free(o, "free");
            field.read("read f");
        }),
        NO_USE_AFTER_FREE,
        "read f touches x after it was freed",
    );
    assert_violates(
        Arc::new(|| {
            let o = object::alloc("x", 1);
            object::drop_ref(o);
        }),
        NO_LEAK,
        "x is unreachable",
    );
}

#[test]
fn a_violation_of_another_property_is_noted_and_the_execution_goes_on() {
    let body: Body = Arc::new(|| {
        let o = object::alloc("x", 1);
        object::free(o, "free");
        object::free(o, "free again");
    });
    for (backend, run) in backends(&body, NO_LEAK) {
        assert!(
            run.failure.is_none() && run.error.is_none(),
            "{backend}: {run:?}"
        );
    }
}

#[test]
fn threads_and_values_appear_in_the_trace_under_every_backend() {
    let body: Body = Arc::new(|| {
        let v = Arc::new(Var::new("v", 1));
        let w = v.clone();
        rt::spawn("A", move || w.write("set v", 2)).join();
        let n = v.read("get v");
        gilspec::runtime::context::ensure(NO_LEAK, n != 2, || {
            "stop here to see the trace".to_owned()
        });
    });
    for (backend, run) in backends(&body, NO_LEAK) {
        let f = run.failure.unwrap_or_else(|| panic!("{backend}"));
        let steps: Vec<(String, String, String)> = f
            .trace
            .events
            .iter()
            .map(|e| (e.thread.clone(), e.action.clone(), e.effect()))
            .collect();
        let expect = [
            ("main", "spawn A", ""),
            ("A", "set v", "v 1 → 2"),
            ("main", "join A", ""),
            ("main", "get v", "read v = 2"),
            ("main", "violation: no_leak", "stop here to see the trace"),
        ];
        let got: Vec<(&str, &str, &str)> = steps
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        assert_eq!(got, expect, "{backend}");
    }
}

/// The safe models hold on real threads too (a smoke test of the std backend: its runs
/// are luck, the checkers' are proofs).
#[test]
fn safe_refcount_models_hold_on_real_threads() {
    for id in ["refcount-gil", "refcount-atomic", "refcount-object-mutex"] {
        let model = models::find(id).unwrap();
        let body = report::body(model, Params::DEFAULT);
        for p in [NO_LEAK, NO_USE_AFTER_FREE, NO_DOUBLE_FREE] {
            let run = check::run_std(&body, p, &Limits::default(), 200);
            assert!(
                run.failure.is_none() && run.error.is_none(),
                "{id} {p}: {run:?}"
            );
            assert_eq!(run.executions, 200);
        }
    }
}
