//! Scripted scenarios from the literature replay step for step.

use gilspec::check::{self, Limits};
use gilspec::exec::WaitEvents;
use gilspec::model::Params;
use gilspec::models;
use gilspec::models::refcount::R3_SCRIPT;
use gilspec::report;
use gilspec::trace::Access;

/// Seed claim R3 as the core issue states it: the count starts at 1; A increfs (1→2) and
/// its decref loads 2; B increfs (2→3) and its decref loads 3; A stores 1; B stores 2.
#[test]
fn seed_claim_r3_replays_and_leaks_foo() {
    let model = models::find("refcount-plain").unwrap();
    let scenario = model.scenario("r3").unwrap();
    let (run, trace) = report::run_scenario(model, scenario, &Limits::default());
    assert_eq!(run.error, None);
    let failure = run.failure.expect("the scenario leaks");
    assert_eq!(failure.violation.property, "no_leak");
    assert!(
        failure.violation.message.starts_with("foo "),
        "{}",
        failure.violation.message
    );

    let foo: Vec<(String, &str, Option<i64>, i64)> = trace.events[..R3_SCRIPT.len()]
        .iter()
        .flat_map(|e| e.accesses.iter().map(move |a| (e, a)))
        .filter_map(|(e, a)| match a {
            Access::Read { var, value } if var == "foo.ob_refcnt" => {
                Some((e.thread.clone(), "read", None, *value))
            }
            Access::Write { var, before, after } if var == "foo.ob_refcnt" => {
                Some((e.thread.clone(), "write", *before, *after))
            }
            _ => None,
        })
        .collect();
    let expect = [
        ("A", "read", None, 1),
        ("A", "write", Some(1), 2),
        ("A", "read", None, 2),
        ("B", "read", None, 2),
        ("B", "write", Some(2), 3),
        ("B", "read", None, 3),
        ("A", "write", Some(3), 1), // B's increment to 3 is overwritten
        ("B", "write", Some(1), 2), // and so is A's decrement: the count is 2, one reference is held
    ];
    let got: Vec<(&str, &str, Option<i64>, i64)> = foo
        .iter()
        .map(|(t, k, b, a)| (t.as_str(), *k, *b, *a))
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn a_script_the_model_cannot_follow_is_reported() {
    let model = models::find("refcount-plain").unwrap();
    // B cannot take the first step: main has not spawned it yet.
    let script = vec!["B".to_owned(), "A".to_owned()];
    let events = WaitEvents::Fixed(Default::default());
    let (run, _) = check::run_script(
        &report::body(model, Params::DEFAULT),
        "no_leak",
        &Limits::default(),
        &script,
        events,
    );
    let error = run.error.expect("a deviation is an error");
    assert!(
        error.contains("the script wants B to take step 1"),
        "{error}"
    );
}
