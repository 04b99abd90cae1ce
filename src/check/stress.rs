//! Real threads: a stress test, not a proof, with a watchdog for deadlocks.

use super::limits::wait_config;
use super::run::{execution, finish, install_quiet_hook, set_quiet};
use super::schedule::Schedule;
use super::verdict::{Failure, Run};
use super::{Body, Limits};
use crate::runtime::context::{Backend, Exec, Violation, WaitConfig, WaitEvents, builtin};
use crate::trace::Trace;
use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// How long `run_std` waits for an execution to finish before calling it a deadlock. One
/// execution of any model takes well under a millisecond (timed waits time out after
/// one), tens of milliseconds on a loaded machine, so a second without one finishing is
/// threads blocked for good; and a person waits no longer than that for the verdict.
pub const STALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Run `body` on real threads `iterations` times: a stress test, not a proof. Timed waits
/// really time out (after a millisecond); nothing is explored. When no execution finishes
/// for `STALL_LIMIT`, the threads are deadlocked: the run returns a `no_deadlock`
/// violation and leaves them blocked (they cannot be joined), so the caller should end
/// the process once it has reported it.
pub fn run_std(body: &Body, property: &str, limits: &Limits, iterations: u64) -> Run {
    install_quiet_hook();
    let waits = WaitConfig {
        budget: 0,
        ..wait_config(limits, WaitEvents::Fixed(BTreeSet::new()))
    };
    let exec = Exec::new(Backend::Std, Some(property), waits);
    let f = execution(&exec, body);
    let runner = exec.clone();
    let finished = Arc::new(AtomicU64::new(0));
    let counter = finished.clone();
    let handle = std::thread::Builder::new()
        .name("main".to_owned())
        .spawn(move || {
            set_quiet(true);
            runner.enter(|| {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    for _ in 0..iterations {
                        f();
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }))
            })
        })
        .expect("spawn the std main thread");
    let (mut seen, mut since) = (0, Instant::now());
    while !handle.is_finished() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let now = finished.load(Ordering::Relaxed);
        if now != seen {
            (seen, since) = (now, Instant::now());
        } else if since.elapsed() >= STALL_LIMIT {
            // Not `exec.trace()`: the blocked threads may hold what it locks.
            return Run {
                executions: seen + 1,
                failure: Some(Failure {
                    violation: Violation {
                        property: builtin::NO_DEADLOCK.to_owned(),
                        message: format!("no thread made progress for {} s", STALL_LIMIT.as_secs()),
                    },
                    trace: Trace { events: vec![] },
                    schedule: Schedule::Shuttle {
                        tasks: vec![],
                        events: vec![],
                        cycle: None,
                    },
                    execution: seen + 1,
                }),
                budget_spent: false,
                error: None,
                max_eligible_waits: 0,
                stalled: true,
            };
        }
    }
    let result = handle.join().unwrap_or_else(Err);
    finish(&exec, result, |events| Schedule::Shuttle {
        tasks: vec![],
        events,
        cycle: None,
    })
}
