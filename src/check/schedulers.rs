//! Shuttle schedulers of our own: one that records the choices of another (so a failure
//! can be replayed without shuttle's opaque schedule strings), one that replays them, and
//! one that follows a script written in trace steps ("A takes the next step").

use crate::runtime::context;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::sync::{Arc, Mutex};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Without other instructions, keep running the current task (no needless switches),
/// unless it yields and another can run.
fn default_choice(runnable: &[&Task], current: Option<TaskId>, yielding: bool) -> TaskId {
    let other = runnable
        .iter()
        .map(|t| t.id())
        .find(|id| Some(*id) != current);
    match (yielding, other) {
        (true, Some(other)) => other,
        _ => current
            .filter(|c| runnable.iter().any(|t| t.id() == *c))
            .unwrap_or_else(|| runnable[0].id()),
    }
}

/// A scheduler that runs one execution: the first call starts it, the next ends the run.
fn once(started: &mut bool) -> Option<Schedule> {
    (!std::mem::replace(started, true)).then(|| Schedule::new(0))
}

/// The name a task has in traces (see `rt::thread_name`).
pub(super) fn trace_name(task: &Task) -> String {
    match task.name().as_deref() {
        None | Some("main-thread") => "main".to_owned(),
        Some(n) => n.to_owned(),
    }
}

/// Records the task chosen at each scheduling point of the current execution.
pub struct Recording<S> {
    inner: S,
    current: Arc<Mutex<Vec<usize>>>,
}

impl<S: Scheduler> Recording<S> {
    pub fn new(inner: S) -> Recording<S> {
        Recording {
            inner,
            current: Arc::default(),
        }
    }

    /// The choices of the execution in progress (or the last one).
    pub fn schedule(&self) -> Arc<Mutex<Vec<usize>>> {
        self.current.clone()
    }
}

impl<S: Scheduler> Scheduler for Recording<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        lock(&self.current).clear();
        self.inner.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        yielding: bool,
    ) -> Option<TaskId> {
        let choice = self.inner.next_task(runnable, current, yielding)?;
        lock(&self.current).push(usize::from(choice));
        Some(choice)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// Replays recorded choices once; past their end it keeps the current task running, or
/// (`stopping`) stops the execution there.
pub struct Replaying {
    tasks: Vec<usize>,
    started: bool,
    stop_at_end: bool,
    progress: Arc<Mutex<ReplayProgress>>,
}

/// How far a replay followed its choices, to tell afterwards whether the schedule fit the
/// model: a choice of a task that cannot run, or choices left over when the execution
/// ended, mean the schedule is not one of this model's executions.
#[derive(Clone, Debug, Default)]
pub struct ReplayProgress {
    /// Choices followed so far.
    pub followed: usize,
    /// The first choice that named a task that could not run: (its index, the task, the
    /// tasks that could).
    pub unrunnable: Option<(usize, usize, Vec<usize>)>,
}

impl Replaying {
    pub fn new(tasks: Vec<usize>) -> Replaying {
        Replaying {
            tasks,
            started: false,
            stop_at_end: false,
            progress: Arc::default(),
        }
    }

    /// What the replay followed, readable after the run.
    pub fn progress(&self) -> Arc<Mutex<ReplayProgress>> {
        self.progress.clone()
    }

    /// Replays the choices and stops where they end (a lasso's cycle ends there).
    pub fn stopping(tasks: Vec<usize>) -> Replaying {
        Replaying {
            stop_at_end: true,
            ..Replaying::new(tasks)
        }
    }
}

impl Scheduler for Replaying {
    fn new_execution(&mut self) -> Option<Schedule> {
        once(&mut self.started)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        yielding: bool,
    ) -> Option<TaskId> {
        let mut progress = lock(&self.progress);
        let Some(&want) = self.tasks.get(progress.followed) else {
            if self.stop_at_end {
                return None;
            }
            return Some(default_choice(runnable, current, yielding));
        };
        let found = runnable
            .iter()
            .map(|t| t.id())
            .find(|id| usize::from(*id) == want);
        // A task that cannot run here means the schedule is not this model's: stop.
        match found {
            Some(_) => progress.followed += 1,
            None => {
                let ids = runnable.iter().map(|t| usize::from(t.id())).collect();
                progress.unrunnable = Some((progress.followed, want, ids));
            }
        }
        found
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// Follows a script of trace steps: entry k names the thread that takes step k+1. When
/// that thread cannot run (it waits for one that takes no trace step, say to finish), or
/// the script has ended, the current thread keeps running. Whether the execution really
/// followed the script is checked against its trace afterwards.
pub struct Scripted {
    script: Vec<String>,
    started: bool,
    deviation: Arc<Mutex<Option<String>>>,
}

impl Scripted {
    pub fn new(script: Vec<String>) -> Scripted {
        Scripted {
            script,
            started: false,
            deviation: Arc::default(),
        }
    }

    /// Set, after the run, if the execution left the script.
    pub fn deviation(&self) -> Arc<Mutex<Option<String>>> {
        self.deviation.clone()
    }

    fn check_followed(&self) {
        let Some(exec) = context::try_current() else {
            return;
        };
        let trace = exec.trace();
        let failed = exec.violation().is_some();
        let mut deviation = lock(&self.deviation);
        for (i, want) in self.script.iter().enumerate() {
            match trace.events.get(i) {
                Some(e) if &e.thread == want => {}
                Some(e) => {
                    *deviation = Some(format!(
                        "the script wants {want} to take step {}, but {} took it ({})",
                        i + 1,
                        e.thread,
                        e.action
                    ));
                    return;
                }
                None if failed => return,
                None => {
                    *deviation = Some(format!(
                        "the script has {} steps but the execution ended after {}",
                        self.script.len(),
                        trace.len()
                    ));
                    return;
                }
            }
        }
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.check_followed();
    }
}

impl Scheduler for Scripted {
    fn new_execution(&mut self) -> Option<Schedule> {
        once(&mut self.started)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        yielding: bool,
    ) -> Option<TaskId> {
        let step = context::try_current().map_or(0, |e| e.steps());
        let wanted = self
            .script
            .get(step)
            .and_then(|want| runnable.iter().find(|t| &trace_name(t) == want));
        Some(wanted.map_or_else(|| default_choice(runnable, current, yielding), |t| t.id()))
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}
