//! `brc-try-incref` is not vacuous: its reader really takes a reference in some executions.
//!
//! The model's verdicts say no execution frees `o` early or twice. That would hold just as
//! well if N never got a reference (an earlier version of the model: `ob_ref_shared` was 0
//! whenever N tried, so `_Py_TryIncRefShared` refused every time). Here each way N's
//! lock-free read can end is a property of its own that the run reports when N ends that
//! way; the checkers find every one of them, so each ending happens in some execution
//! (stateright's `sometimes`, checked as a violation of "never").

use gilspec::check::{self, Body, Limits, Verdict};
use gilspec::model::Checker;
use gilspec::models;
use gilspec::models::brc::{Mutant, Read, run_try_incref};
use gilspec::report;
use gilspec::runtime;
use gilspec::trace::{Access, Trace};
use std::sync::Arc;

/// The property that N's read ended in `read`: "n_read_took" and so on.
fn ending(read: Read) -> String {
    format!("n_read_{}", format!("{read:?}").to_lowercase())
}

/// Report how N's read ended; only the property under check stops the execution.
fn report(read: Read) {
    runtime::report(&ending(read), format!("N's read ended: {read:?}"));
}

fn body(mutant: Mutant) -> Body {
    Arc::new(move || run_try_incref(mutant, report))
}

/// An execution in which N's read ends in `read`, found by `checker`, or a panic.
fn an_execution_ending(checker: Checker, read: Read) -> Trace {
    // Every execution reports an ending, and shuttle would print each one.
    check::silence_checker_stderr();
    let limits = Limits {
        minimize: false,
        ..Limits::default()
    };
    let o = check::check(&body(Mutant::None), &ending(read), checker, &limits);
    assert_eq!(
        o.verdict,
        Verdict::Violated,
        "{checker} finds no execution in which N's read ends {read:?}: {}",
        o.bound
    );
    o.failure.expect("a violation has a trace").trace
}

/// What `thread` did to `var`, in order: ("read", value) or ("write", value after).
fn accesses(trace: &Trace, thread: &str, var: &str) -> Vec<(&'static str, i64)> {
    trace
        .events
        .iter()
        .filter(|e| e.thread == thread)
        .flat_map(|e| &e.accesses)
        .filter_map(|a| match a {
            Access::Read { var: v, value } if v == var => Some(("read", *value)),
            Access::Write { var: v, after, .. } if v == var => Some(("write", *after)),
            _ => None,
        })
        .collect()
}

/// N finds `o` in the list, increments the marked count (MAYBE_WEAKREF, 0b01) by 4, finds
/// `o` still in the list and uses it; under loom (every execution, C11) and the stateful
/// search (every state, sequentially consistent).
#[test]
fn the_reader_takes_a_reference_and_uses_o_in_some_execution() {
    for checker in [Checker::Loom, Checker::ShuttleDfs] {
        let trace = an_execution_ending(checker, Read::Took);
        assert_eq!(
            accesses(&trace, "N", "list[0]"),
            [("read", 1), ("read", 1)],
            "{checker}: N loads the slot twice and finds o both times\n{}",
            trace.to_text()
        );
        let shared = accesses(&trace, "N", "o.ob_ref_shared");
        assert!(
            shared.contains(&("write", 5)),
            "{checker}: N's CAS takes the marked count 1 to 5: {shared:?}\n{}",
            trace.to_text()
        );
        assert!(
            trace
                .events
                .iter()
                .any(|e| e.thread == "N" && e.action == "use o"),
            "{checker}: N uses o\n{}",
            trace.to_text()
        );
    }
}

/// Every ending happens: the slot is already empty; the count is refused (MERGED: the owner
/// has merged and freed `o`); the reference is taken and given back (the slot was cleared
/// between N's two loads); the reference is taken and `o` used.
#[test]
fn every_ending_of_the_readers_read_happens() {
    for read in [Read::Empty, Read::Refused, Read::GaveBack, Read::Took] {
        an_execution_ending(Checker::ShuttleDfs, read);
    }
}

/// The model's scenario `merge-race`: N's increment lands between the owner's load of
/// `ob_ref_shared` and its merging CAS. The CAS fails, retries and merges a count of 1
/// (7 = 1 << 2 | MERGED), so the owner does not free `o`; N, finding the slot empty, gives
/// its reference back, takes the count to exactly MERGED and frees `o` itself.
#[test]
fn in_the_merge_race_the_owner_retries_and_the_reader_frees_o() {
    let model = models::find("brc-try-incref").unwrap();
    let scenario = model.scenario("merge-race").unwrap();
    let (run, trace) = report::run_scenario(model, scenario, &Limits::default());
    assert_eq!(run.error, None);
    assert!(run.failure.is_none(), "{}", trace.to_text());
    let (read, write) = ("read", "write");
    assert_eq!(
        accesses(&trace, "main", "o.ob_ref_shared"),
        [
            (read, 0),  // _PyObject_SetMaybeWeakref: load
            (read, 0),  // CAS
            (write, 1), // 0 → MAYBE_WEAKREF
            (read, 1),  // _Py_MergeZeroLocalRefcount: load
            (read, 5),  // CAS fails: N's increment is there
            (read, 5),  // CAS again
            (write, 7), // 5 → 7: a merged count of 1, no free
        ],
        "{}",
        trace.to_text()
    );
    assert_eq!(
        accesses(&trace, "N", "o.ob_ref_shared"),
        [
            (read, 1),
            (read, 1),
            (write, 5),
            (read, 7),
            (read, 7),
            (write, 3)
        ],
        "{}",
        trace.to_text()
    );
    let freed_by: Vec<&str> = trace
        .events
        .iter()
        .filter(|e| e.action == "_Py_Dealloc")
        .map(|e| e.thread.as_str())
        .collect();
    assert_eq!(freed_by, ["N"], "{}", trace.to_text());
}
