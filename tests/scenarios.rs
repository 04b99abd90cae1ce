//! Scripted scenarios from the literature replay step for step.

use gilspec::check::{self, Limits};
use gilspec::model::Params;
use gilspec::models;
use gilspec::models::refcount::R3_SCRIPT;
use gilspec::report;
use gilspec::runtime::context::WaitEvents;
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

/// Every model's scenarios follow their scripts to the end (a script that no longer fits
/// its model, after the model changed, fails here).
#[test]
fn every_scenario_replays_as_scripted() {
    for m in models::ALL {
        for s in m.scenarios {
            let (run, trace) = report::run_scenario(m, s, &Limits::default());
            assert_eq!(run.error, None, "{} scenario {}", m.id, s.id);
            assert!(trace.len() >= s.steps().len(), "{} {}", m.id, s.id);
        }
    }
}

/// The steps of one thread, as (action, what it touched) in words.
fn steps_of<'a>(trace: &'a gilspec::trace::Trace, thread: &str) -> Vec<(&'a str, String)> {
    trace
        .events
        .iter()
        .filter(|e| e.thread == thread)
        .map(|e| (e.action.as_str(), e.effect()))
        .collect()
}

/// Beazley's convoy: back from its blocking call, B finds A holding the GIL and can only
/// ask for it after its timed wait times out; A drops it at its next check point and B
/// gets it (the requester first, as FORCE_SWITCHING promises).
#[test]
fn the_convoy_makes_the_io_thread_wait_out_an_interval() {
    let model = models::find("gil-handoff").unwrap();
    let (run, trace) =
        report::run_scenario(model, model.scenario("convoy").unwrap(), &Limits::default());
    assert_eq!(run.error, None);
    assert!(run.failure.is_none(), "{:?}", run.failure);
    let b = steps_of(&trace, "B");
    let after_io = b
        .iter()
        .position(|(a, _)| *a == "blocking call, GIL released")
        .expect("B makes its blocking call");
    let back: Vec<&str> = b[after_io..].iter().map(|(a, _)| *a).collect();
    let timed_out = back
        .iter()
        .position(|a| *a == "take_gil: COND_TIMED_WAIT(cond): timed out")
        .expect("B's wait for the GIL times out");
    let request = back
        .iter()
        .position(|a| *a == "take_gil: SET_GIL_DROP_REQUEST")
        .expect("then B asks A to drop it");
    let taken = back
        .iter()
        .position(|a| *a == "take_gil: locked = 1")
        .expect("and B takes the GIL");
    assert!(timed_out < request && request < taken, "{back:?}");
    // Meanwhile A held the GIL: it took it while B was in its blocking call.
    let a = steps_of(&trace, "A");
    assert!(
        a.iter()
            .any(|(act, eff)| *act == "_Py_HandlePending: test drop request"
                && eff == "read drop_request[A] = 1")
    );
}

/// gh-96387: the daemon's request outlives it and the holder waits on switch_cond for
/// nobody; with the fix, the same interleaving finishes.
#[test]
fn gh_96387_hangs_the_holder_and_its_fix_does_not_in_the_same_interleaving() {
    let unfixed = models::find("gil-exit-with-drop-request").unwrap();
    let (run, trace) = report::run_scenario(
        unfixed,
        unfixed.scenario("gh-96387").unwrap(),
        &Limits::default(),
    );
    assert_eq!(run.error, None);
    let failure = run.failure.expect("the holder hangs");
    assert_eq!(failure.violation.property, "no_deadlock");
    assert!(
        failure.violation.message.contains("switch_cond"),
        "{}",
        failure.violation.message
    );
    assert!(
        trace
            .events
            .iter()
            .any(|e| e.thread == "B" && e.action == "take_gil: must exit (finalizing)")
    );

    let fixed = models::find("gil-exit-resets-drop-request").unwrap();
    let (run, _) = report::run_scenario(
        fixed,
        fixed.scenario("gh-96387").unwrap(),
        &Limits::default(),
    );
    assert_eq!(run.error, None);
    assert!(run.failure.is_none(), "{:?}", run.failure);
}
