//! Walking a model's executions by hand (`gilspec explore`): a person chooses which thread
//! moves next, and whether a wait that may time out or wake spuriously does.
//!
//! A walk is a path of the same decisions every shuttle checker makes and every shuttle
//! replay string names: the task chosen at each scheduling point, and which of the
//! execution's eligible waits end in an event (`shuttle:0.0.1.2:w0`). Model threads are
//! Rust code, so a state cannot be kept: each look at the state re-runs the model from
//! the start under a scheduler that follows the path and stops where it ends, and each
//! choice offered is found by running the path one choice further. What a person walks is
//! exactly what the checkers explore.
//!
//! A *click* is what a person chooses: one thread moves from one scheduling point until it
//! has taken a trace step and reached a point where another thread may need to run (a
//! thread's steps between two scheduling points are atomic, so one click may take
//! several), or until it cannot go on (it blocks, or finishes). Like the stateful search,
//! a click does not stop at a Lipton mover's point (right after taking a lock, right
//! before letting one go or waking a sleeper: `docs/reduction.md`); nothing another thread
//! does there changes what can happen. A path the checkers made may switch threads
//! anywhere, between two steps of one thread or before its first; such a switch ends a
//! click there too, one with no step.

use super::limits::wait_config;
use super::replay::replay;
use super::run::{classify, install_quiet_hook};
use super::sampling::{scheduling_bound, shuttle_runner};
use super::schedule::Schedule;
use super::schedulers::{Recording, Scripted, trace_name};
use super::{Body, Limits};
use crate::runtime::context::{self, Backend, Exec, Violation, WaitEvents, builtin};
use crate::trace::Event;
use serde::Serialize;
use shuttle::scheduler::{Schedule as Seed, Scheduler, Task, TaskId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// The most choices one click, or one "run until it blocks", may make: a thread that
/// spins that long without a step or a block is stopped where it is.
const MAX_RUN: usize = 10_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A path through a model's executions: a shuttle schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path {
    /// The task chosen at each scheduling point (0 is main, then in spawn order).
    pub tasks: Vec<usize>,
    /// The eligible waits (by their order in the execution) that end in an event.
    pub events: Vec<usize>,
    /// A lasso from the stateful search: the cycle starts after this many steps.
    pub cycle: Option<usize>,
}

impl Path {
    /// Parse a shuttle schedule (`shuttle:0.1.1:w0`); `shuttle:` alone is the empty path.
    /// Other schedules (loom's, a script's) are not paths: see `Walker::path_of`.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        if s == "shuttle" || s == "shuttle:" {
            return Ok(Schedule::Shuttle {
                tasks: Vec::new(),
                events: Vec::new(),
                cycle: None,
            });
        }
        Schedule::parse(s)
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.tasks.is_empty() && self.events.is_empty() {
            return f.write_str("shuttle:");
        }
        let schedule = Schedule::Shuttle {
            tasks: self.tasks.clone(),
            events: self.events.clone(),
            cycle: self.cycle,
        };
        write!(f, "{schedule}")
    }
}

/// Why a walk cannot go where it was asked to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a path at all: a malformed string, a number out of range.
    Malformed(String),
    /// A path, but not one of this model's executions: a choice of a thread that cannot
    /// run there, more choices than the execution makes, a click past its end.
    NotAnExecution(String),
    /// The model crashed: a bug in the model, not in the request.
    Model(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Malformed(m) | Refusal::NotAnExecution(m) => f.write_str(m),
            Refusal::Model(m) => write!(f, "the model panicked: {m}"),
        }
    }
}

/// One thread at one point of a walk, as the runtime keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThreadState {
    pub name: String,
    /// `can run`, `blocked`, `finished`, `not started`, or `stopped` (where the execution
    /// ended: a violation stopped it).
    pub status: &'static str,
    /// What it waits for ("waits on gil.cond with a timeout", "joins A", "waits for
    /// gil.mutex (held by A)"); for a thread that can run, what its next move waits for
    /// ("next: waits for gil.mutex (held by A)": it blocks unless another gets in first).
    pub waits: Option<String>,
    /// The mutexes it holds.
    pub holds: Vec<String>,
    /// A wakeup on its way to it: "a signal", "its deadline".
    pub woken: Option<&'static str>,
}

/// A modelled object of the ghost heap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectState {
    pub name: String,
    pub freed: bool,
    /// References that really point to it (whatever its modelled count says).
    pub refs: i64,
}

/// The state at one point of a walk: what the runtime keeps of the execution there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct State {
    /// Every thread of the walk, in spawn order (main first).
    pub threads: Vec<ThreadState>,
    /// Every shared value, as it stands (shuttle is sequentially consistent).
    pub values: BTreeMap<String, i64>,
    /// Each held mutex, and its holder.
    pub locks: BTreeMap<String, String>,
    /// The threads asleep on each condition variable, oldest first.
    pub waiters: BTreeMap<String, Vec<String>>,
    pub objects: Vec<ObjectState>,
}

/// How an execution ended, or why it stops here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct End {
    /// `finished` (every thread ran to its end, nothing violated), `violation` (of
    /// `property`) or `livelock` (a lasso's cycle, which can repeat forever).
    pub kind: &'static str,
    pub property: Option<String>,
    pub message: String,
}

impl End {
    fn violation(v: Violation) -> End {
        End {
            kind: if v.property == builtin::PROGRESS {
                "livelock"
            } else {
                "violation"
            },
            property: Some(v.property),
            message: v.message,
        }
    }
}

/// One trace step of the walked path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub step: usize,
    pub thread: String,
    pub action: String,
    /// What it read and changed, and its note (`read locked = 1`, `locked 0 → 1`).
    pub effect: String,
    /// The click (from 1) that took it.
    pub click: usize,
}

/// One click of the walked path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Click {
    pub thread: String,
    /// Its trace steps: from `first_step` (1-based), `steps` of them (0: it moved to its
    /// next scheduling point without a step, or blocked).
    pub first_step: usize,
    pub steps: usize,
    /// A wait in it ended in an event: "timed out", "woke spuriously".
    pub event: Option<&'static str>,
    /// Afterwards the thread could not run: "blocks: waits on gil.cond", "finishes".
    pub then: Option<String>,
}

/// A choice at the current point: a thread moves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub thread: String,
    /// `step`: one click; `run`: the thread runs until it blocks or finishes.
    pub kind: &'static str,
    /// The first step it takes, in the model's words ("take_gil: COND_TIMED_WAIT(cond)");
    /// none when it takes none.
    pub action: Option<String>,
    /// What that step reads and changes, or what the move does ("blocks: waits for
    /// gil.mutex (held by A)").
    pub effect: String,
    /// Every step it takes: its action and effect.
    pub steps: Vec<(String, String)>,
    /// For a wait that may end in an explored event, which way this choice takes it:
    /// "times out", "wakes spuriously", or "sleeps" (no event).
    pub wait: Option<&'static str>,
    /// Afterwards: "blocks: ...", "finishes".
    pub then: Option<String>,
    /// The execution ends in the move.
    pub ends: Option<End>,
    /// The path it leads to.
    pub path: String,
    /// The walked path goes on this way.
    pub on_path: bool,
}

/// What a person sees at one point of a walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct View {
    /// The whole path walked (past `at` too), normalized.
    pub path: String,
    /// The walk's threads, in spawn order: a column each.
    pub threads: Vec<String>,
    /// Every step of the whole path.
    pub steps: Vec<Step>,
    pub clicks: Vec<Click>,
    /// The point looked at: after this many clicks.
    pub at: usize,
    pub state: State,
    /// What can happen next (none once the execution ended).
    pub choices: Vec<Choice>,
    /// The execution ended at `at` (a violation, or the end of every thread), or a lasso's
    /// cycle closes there.
    pub end: Option<End>,
}

/// A point between two clicks.
#[derive(Clone, Debug)]
struct Point {
    /// Choices made before it.
    choice: usize,
    /// Trace steps taken before it.
    steps: usize,
    /// Eligible waits made before it.
    eligible: usize,
    /// The tasks that can run there.
    runnable: Vec<usize>,
    /// The thread that moved last could not go on: what it does.
    then: Option<String>,
}

/// What the run does once the path's choices are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    /// Stop there.
    Stop,
    /// One click of this task.
    Step(usize),
    /// This task runs until it cannot.
    Run(usize),
}

#[derive(Default)]
struct Log {
    /// Choices made so far.
    pos: usize,
    /// The click in progress: its task, and the steps taken before it began.
    click: Option<(usize, usize)>,
    points: Vec<Point>,
    names: BTreeMap<usize, String>,
    state: Option<State>,
    /// The first choice of a task that could not run: (its index, the task, those that could).
    unrunnable: Option<(usize, usize, Vec<usize>)>,
    /// The run stopped where the guide wanted, not at the execution's end.
    stopped: bool,
}

/// The shuttle scheduler of a walk: follows the path, then does what `then` says.
struct Guide {
    tasks: Vec<usize>,
    then: Then,
    /// Look at the state at this point (by index); `None`: where the run stops or ends.
    look_at: Option<usize>,
    started: bool,
    log: Arc<Mutex<Log>>,
}

impl Scheduler for Guide {
    fn new_execution(&mut self) -> Option<Seed> {
        (!std::mem::replace(&mut self.started, true)).then(|| Seed::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _yielding: bool,
    ) -> Option<TaskId> {
        let exec = context::try_current()?;
        let ids: Vec<usize> = runnable.iter().map(|t| usize::from(t.id())).collect();
        let (steps, eligible, mover, blocking) = {
            let mut s = exec.state();
            (s.steps, s.eligible_waits, s.mover.take(), s.blocking.take())
        };
        // A Lipton mover's point (right after it took a lock, right before it lets one go
        // or wakes a sleeper, and what follows cannot block): the stateful search does not
        // branch there, and a click goes on through it (`docs/reduction.md`).
        let at_mover = current
            .map(usize::from)
            .filter(|c| mover == Some(*c) && blocking != Some(*c) && ids.contains(c));
        let mut log = lock(&self.log);
        if exec.violation().is_some() {
            // The execution is over: the armed property failed and its thread unwinds,
            // passing scheduling points on the way. They are no points of the walk, but a
            // recorded schedule may name them: follow it while it does.
            let named = self
                .tasks
                .get(log.pos)
                .and_then(|&want| runnable.iter().find(|t| usize::from(t.id()) == want));
            if let Some(t) = named {
                log.pos += 1;
                return Some(t.id());
            }
            return runnable
                .iter()
                .find(|t| Some(t.id()) == current)
                .or(runnable.first())
                .map(|t| t.id());
        }
        for t in runnable {
            log.names
                .entry(usize::from(t.id()))
                .or_insert_with(|| trace_name(t));
        }
        let pos = log.pos;
        let end = self.tasks.len();
        // The click in progress is over: its thread took a step and is not at a mover's
        // point, or it cannot go on.
        let moved = log.click.is_some_and(|(task, from)| {
            (steps > from && at_mover != Some(task)) || !ids.contains(&task)
        });
        let (want, stop) = if pos < end {
            (Some(self.tasks[pos]), false)
        } else {
            let ran = pos - end;
            match self.then {
                Then::Stop => (None, true),
                Then::Step(t) => (Some(t), ran > 0 && (moved || ran >= MAX_RUN)),
                Then::Run(t) => (Some(t), ran > 0 && (!ids.contains(&t) || ran >= MAX_RUN)),
            }
        };
        let boundary = stop
            || pos == end
            || moved
            || match log.click {
                None => true,
                Some((task, _)) => want != Some(task),
            };
        if boundary {
            let then = log
                .click
                .filter(|(task, _)| !ids.contains(task))
                .map(|(task, _)| cannot_go_on(&exec, &log.names[&task]));
            let index = log.points.len();
            log.points.push(Point {
                choice: pos,
                steps,
                eligible,
                runnable: ids.clone(),
                then,
            });
            if self.look_at == Some(index) || (self.look_at.is_none() && stop) {
                log.state = Some(look(&exec, &log.names, &ids, false));
            }
        }
        if stop {
            log.stopped = true;
            return None;
        }
        let want = want.expect("a choice unless the run stops");
        let Some(task) = runnable.iter().find(|t| usize::from(t.id()) == want) else {
            log.unrunnable = Some((pos, want, ids));
            return None;
        };
        if boundary {
            log.click = Some((want, steps));
        }
        log.pos += 1;
        Some(task.id())
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// What a thread that cannot run any more does: it blocks (on what), or it finished.
fn cannot_go_on(exec: &Exec, thread: &str) -> String {
    let s = exec.state();
    if !s.live.contains(thread) {
        return "finishes".to_owned();
    }
    match waits(&s, thread) {
        Some(what) => format!("blocks: {what}"),
        None => "blocks".to_owned(),
    }
}

/// What `thread` waits for, or the lock it is about to take.
fn waits(s: &context::ExecState, thread: &str) -> Option<String> {
    if let Some(what) = s.blocked.get(thread) {
        return Some(what.clone());
    }
    let mutex = s.lock_wanted.get(thread)?;
    Some(match s.lock_holders.get(mutex) {
        Some(holder) => format!("waits for {mutex} (held by {holder})"),
        None => format!("waits for {mutex}"),
    })
}

/// The state of the execution in progress, as the runtime keeps it.
/// `ended`: the execution ended there (no thread runs any more).
fn look(exec: &Exec, names: &BTreeMap<usize, String>, runnable: &[usize], ended: bool) -> State {
    let s = exec.state();
    let mut threads: Vec<ThreadState> = Vec::new();
    let known = names.values().chain(s.live.iter());
    let mut seen = BTreeSet::new();
    for name in known {
        if !seen.insert(name.clone()) {
            continue;
        }
        let task = names.iter().find(|(_, n)| *n == name).map(|(id, _)| *id);
        let woken = s
            .pending_wakes
            .get(name)
            .map(|&by_deadline| match by_deadline {
                true => "its deadline",
                false => "a signal",
            });
        let (status, waits) = match task {
            // Being spawned: the runtime knows it, shuttle does not run it yet.
            None => ("not started", None),
            Some(t) if runnable.contains(&t) => (
                "can run",
                // Its next move blocks, unless another thread gets in first.
                waits(&s, name)
                    .filter(|_| woken.is_none())
                    .map(|w| format!("next: {w}")),
            ),
            Some(_) if s.live.contains(name) => match waits(&s, name) {
                None if ended => ("stopped", None),
                w => ("blocked", w),
            },
            Some(_) => ("finished", None),
        };
        threads.push(ThreadState {
            name: name.clone(),
            status,
            waits,
            holds: s
                .lock_holders
                .iter()
                .filter(|(_, h)| *h == name)
                .map(|(m, _)| m.clone())
                .collect(),
            woken,
        });
    }
    State {
        threads,
        values: s.values.clone(),
        locks: s.lock_holders.clone(),
        waiters: s
            .cv_waiters
            .iter()
            .map(|(cv, ws)| {
                let asleep = ws
                    .iter()
                    .map(|w| w.thread.clone())
                    .filter(|t| s.blocked.contains_key(t) && !s.pending_wakes.contains_key(t))
                    .collect::<Vec<_>>();
                (cv.clone(), asleep)
            })
            .filter(|(_, ws)| !ws.is_empty())
            .collect(),
        objects: s
            .heap
            .objects()
            .into_iter()
            .map(|(name, freed, refs)| ObjectState { name, freed, refs })
            .collect(),
    }
}

/// One run of the model along a path.
struct Ran {
    points: Vec<Point>,
    names: BTreeMap<usize, String>,
    /// The state looked at.
    state: State,
    trace: Vec<Event>,
    /// Choices made in all (the path's and the move's).
    choices: usize,
    /// The execution ended in the run (it did not stop where the guide wanted).
    end: Option<End>,
    /// Whether each eligible wait of the run was a timed one.
    timed: Vec<bool>,
}

/// Walks one model at one size, with one property armed.
pub struct Walker {
    body: Body,
    property: String,
    limits: Limits,
}

impl Walker {
    /// A walker of `body` with `property` armed (`*`: every property, the first violation
    /// of any ends the execution; otherwise the others are only noted in the trace, as in
    /// a checker's run), spurious wakeups on or off. Timed waits may time out.
    pub fn new(body: Body, property: &str, spurious: bool) -> Walker {
        Walker {
            body,
            property: property.to_owned(),
            limits: Limits {
                spurious,
                ..Limits::default()
            },
        }
    }

    /// The most choices a path may make: shuttle fails an execution past them.
    pub fn max_choices(&self) -> usize {
        scheduling_bound(&self.limits)
    }

    fn run(
        &self,
        tasks: &[usize],
        events: &[usize],
        then: Then,
        look_at: Option<usize>,
    ) -> Result<Ran, Refusal> {
        if tasks.len() > self.max_choices() {
            return Err(Refusal::Malformed(format!(
                "the path makes {} choices; no execution makes more than {} (shuttle's bound)",
                tasks.len(),
                self.max_choices()
            )));
        }
        install_quiet_hook();
        let events = WaitEvents::Fixed(events.iter().copied().collect());
        let exec = Exec::new(
            Backend::Shuttle,
            Some(&self.property),
            wait_config(&self.limits, events),
        );
        let log = Arc::new(Mutex::new(Log::default()));
        let guide = Guide {
            tasks: tasks.to_vec(),
            then,
            look_at,
            started: false,
            log: log.clone(),
        };
        let result = shuttle_runner(&exec, &self.body, &self.limits, guide);
        let mut log = std::mem::take(&mut *lock(&log));
        if let Some((i, task, can)) = log.unrunnable {
            let name = log.names.get(&task).cloned();
            let can: Vec<String> = can
                .iter()
                .map(|t| match log.names.get(t) {
                    Some(n) => format!("{t} ({n})"),
                    None => t.to_string(),
                })
                .collect();
            return Err(Refusal::NotAnExecution(match (i < tasks.len(), name) {
                (true, Some(n)) => format!(
                    "choice {} of the path is task {task} ({n}), which cannot run there; tasks that can: {}",
                    i + 1,
                    can.join(", ")
                ),
                (true, None) => format!(
                    "choice {} of the path is task {task}, which does not exist there; tasks that can run: {}",
                    i + 1,
                    can.join(", ")
                ),
                (false, n) => format!(
                    "{} cannot move here; threads that can: {}",
                    n.unwrap_or_else(|| format!("task {task}")),
                    can.join(", ")
                ),
            }));
        }
        let end = match result {
            Ok(()) if log.stopped => None,
            Ok(()) => Some(End {
                kind: "finished",
                property: None,
                message: "every thread ran to its end".to_owned(),
            }),
            Err(payload) => match classify(&exec, payload.as_ref()) {
                Ok(v) => Some(End::violation(v)),
                Err(e) => return Err(Refusal::Model(e)),
            },
        };
        if end.is_some() && log.pos < tasks.len() {
            return Err(Refusal::NotAnExecution(format!(
                "the path makes {} choices, but the execution ends after {}",
                tasks.len(),
                log.pos
            )));
        }
        let (steps, eligible, timed) = {
            let s = exec.state();
            (s.steps, s.eligible_waits, s.eligible_timed.clone())
        };
        if end.is_some() {
            let index = log.points.len();
            log.points.push(Point {
                choice: log.pos,
                steps,
                eligible,
                runnable: Vec::new(),
                then: None,
            });
            if look_at.is_none_or(|at| at == index) {
                let mut state = look(&exec, &log.names, &[], true);
                if end.as_ref().is_some_and(|e| e.kind == "finished") {
                    // main too, which the runtime never marks finished: the body returned.
                    for t in &mut state.threads {
                        t.status = "finished";
                    }
                }
                log.state = Some(state);
            }
        }
        let mut trace = exec.trace().events;
        // Only what happened before the run stopped (not the teardown of its threads).
        if let Some(last) = log.points.last() {
            trace.truncate(last.steps);
        }
        Ok(Ran {
            state: log.state.take().unwrap_or_default(),
            points: log.points,
            names: log.names,
            trace,
            choices: log.pos,
            end,
            timed,
        })
    }

    /// The path a schedule names. A shuttle schedule is one; a loom or script schedule is
    /// replayed, and its trace followed step by step under shuttle: that works unless
    /// loom's execution reads a value that no sequentially consistent run can.
    pub fn path_of(&self, schedule: &Schedule) -> Result<Path, Refusal> {
        if let Schedule::Shuttle {
            tasks,
            events,
            cycle,
        } = schedule
        {
            return Ok(Path {
                tasks: tasks.clone(),
                events: events.clone(),
                cycle: *cycle,
            });
        }
        let run = replay(&self.body, &self.property, &self.limits, schedule)
            .map_err(Refusal::NotAnExecution)?;
        if let Some(e) = run.error {
            return Err(Refusal::NotAnExecution(format!(
                "{schedule} does not replay: {e}"
            )));
        }
        let Some(failure) = run.failure else {
            return Err(Refusal::NotAnExecution(format!(
                "{schedule} violates nothing, and only a counterexample's steps are kept; paste a shuttle schedule instead"
            )));
        };
        let wanted = failure.trace.events;
        let threads: Vec<String> = wanted.iter().map(|e| e.thread.clone()).collect();
        install_quiet_hook();
        let events: Vec<usize> = schedule.events().to_vec();
        let exec = Exec::new(
            Backend::Shuttle,
            Some(&self.property),
            wait_config(
                &self.limits,
                WaitEvents::Fixed(events.iter().copied().collect()),
            ),
        );
        let recording = Recording::new(Scripted::new(threads));
        let tasks = recording.schedule();
        let _ = shuttle_runner(&exec, &self.body, &self.limits, recording);
        let got = exec.trace().events;
        let same = |a: &Event, b: &Event| {
            a.thread == b.thread && a.action == b.action && a.accesses == b.accesses
        };
        if let Some(i) =
            (0..wanted.len()).find(|&i| got.get(i).is_none_or(|g| !same(g, &wanted[i])))
        {
            let w = &wanted[i];
            let shown = match got.get(i) {
                Some(g) => format!("{}: {} ({})", g.thread, g.action, g.effect()),
                None => "nothing".to_owned(),
            };
            return Err(Refusal::NotAnExecution(format!(
                "{schedule} cannot be walked under shuttle: at step {} its execution has {}: {} ({}), a sequentially consistent run {shown}",
                i + 1,
                w.thread,
                w.action,
                w.effect()
            )));
        }
        let tasks = lock(&tasks).clone();
        Ok(Path {
            tasks,
            events,
            cycle: None,
        })
    }

    /// Follow `path` and look at the point after `at` clicks (`None`: its end): the state
    /// there, and the choices.
    pub fn view(&self, path: &Path, at: Option<usize>) -> Result<View, Refusal> {
        let ran = self.run(&path.tasks, &path.events, Then::Stop, at)?;
        let Some(clicks) = ran.points.len().checked_sub(1) else {
            return Err(Refusal::Model(
                "the execution passed no scheduling point".into(),
            ));
        };
        if let Some(at) = at.filter(|&a| a > clicks) {
            return Err(Refusal::NotAnExecution(format!(
                "the path has {clicks} clicks; there is no point after {at}"
            )));
        }
        let made = ran.points.last().map_or(0, |p| p.eligible);
        if let Some(e) = path.events.iter().find(|&&e| e >= made) {
            return Err(Refusal::NotAnExecution(format!(
                "the path's wait event {e} never comes: it makes {made} waits that may time out or wake spuriously ({})",
                self.events_allowed()
            )));
        }
        let at = at.unwrap_or(clicks);
        let here = &ran.points[at];
        let threads = columns(&ran);
        let mut state = ran.state.clone();
        for name in &threads {
            if !state.threads.iter().any(|t| &t.name == name) {
                state.threads.push(ThreadState {
                    name: name.clone(),
                    status: "not started",
                    waits: None,
                    holds: Vec::new(),
                    woken: None,
                });
            }
        }
        state.threads.sort_by_key(|t| {
            threads
                .iter()
                .position(|n| n == &t.name)
                .unwrap_or(usize::MAX)
        });
        let ended = at == clicks && ran.end.is_some();
        let mut end = if ended { ran.end.clone() } else { None };
        if let (Some(from), true, None) = (path.cycle, at == clicks, &end) {
            let n = here.steps;
            end = Some(End {
                kind: "livelock",
                property: Some(builtin::PROGRESS.to_owned()),
                message: format!(
                    "livelock: steps {}–{n} lead back to the state before step {} and can repeat forever",
                    from + 1,
                    from + 1
                ),
            });
        }
        let choices = if ended {
            Vec::new()
        } else {
            self.choices(path, here, &ran)?
        };
        Ok(View {
            path: path.to_string(),
            steps: steps(&ran),
            clicks: clicks_of(&ran, &path.tasks, &path.events),
            threads,
            at,
            state,
            choices,
            end,
        })
    }

    fn events_allowed(&self) -> &'static str {
        match (self.limits.timeouts, self.limits.spurious) {
            (true, true) => "timed waits may time out, and waits may wake spuriously",
            (true, false) => "timed waits may time out; spurious wakeups are off",
            (false, true) => "waits may wake spuriously; timeouts are off",
            (false, false) => "timeouts and spurious wakeups are off",
        }
    }

    /// Every choice at `here`: each thread that can run takes a click (both ways, where
    /// its first wait may end in an event), or runs until it blocks.
    fn choices(&self, path: &Path, here: &Point, ran: &Ran) -> Result<Vec<Choice>, Refusal> {
        let tasks = &path.tasks[..here.choice];
        let events: Vec<usize> = path
            .events
            .iter()
            .copied()
            .filter(|&e| e < here.eligible)
            .collect();
        let mut choices = Vec::new();
        for &task in &here.runnable {
            let thread = ran.names[&task].clone();
            let step = self.run(tasks, &events, Then::Step(task), None)?;
            let waited = step
                .points
                .last()
                .is_some_and(|p| p.eligible > here.eligible);
            let mut ways = vec![(step, events.clone(), None)];
            if waited {
                let e = here.eligible;
                let fired: Vec<usize> = events.iter().copied().chain([e]).collect();
                let other = self.run(tasks, &fired, Then::Step(task), None)?;
                let event = if other.timed.get(e) == Some(&true) {
                    "times out"
                } else {
                    "wakes spuriously"
                };
                ways[0].2 = Some("sleeps");
                ways.push((other, fired, Some(event)));
            }
            for (r, evs, wait) in ways {
                choices.push(choice(path, here, &thread, task, "step", r, evs, wait));
            }
            let run = self.run(tasks, &events, Then::Run(task), None)?;
            choices.push(choice(
                path,
                here,
                &thread,
                task,
                "run",
                run,
                events.clone(),
                None,
            ));
        }
        Ok(choices)
    }
}

/// The choice a run one move past `here` shows.
#[allow(clippy::too_many_arguments)]
fn choice(
    path: &Path,
    here: &Point,
    thread: &str,
    task: usize,
    kind: &'static str,
    r: Ran,
    events: Vec<usize>,
    wait: Option<&'static str>,
) -> Choice {
    let new = &r.trace[here.steps.min(r.trace.len())..];
    let mover = r.state.threads.iter().find(|t| t.name == thread);
    let then = match mover.map(|t| t.status) {
        Some("finished") => Some("finishes".to_owned()),
        Some("blocked") => Some(match mover.and_then(|t| t.waits.clone()) {
            Some(what) => format!("blocks: {what}"),
            None => "blocks".to_owned(),
        }),
        _ => None,
    };
    let (action, effect) = match new.first() {
        Some(e) => (Some(e.action.clone()), e.effect()),
        None => (
            None,
            then.clone()
                .unwrap_or_else(|| "moves to its next scheduling point".to_owned()),
        ),
    };
    let made = r.points.last().map_or(0, |p| p.eligible);
    let tasks: Vec<usize> = path.tasks[..here.choice]
        .iter()
        .copied()
        .chain(std::iter::repeat_n(task, r.choices - here.choice))
        .collect();
    let on_path = path.tasks.starts_with(&tasks)
        && path
            .events
            .iter()
            .copied()
            .filter(|&e| e < made)
            .eq(events.iter().copied());
    Choice {
        thread: thread.to_owned(),
        kind,
        action,
        effect,
        steps: new.iter().map(|e| (e.action.clone(), e.effect())).collect(),
        wait,
        then,
        ends: r.end,
        path: Path {
            tasks,
            events,
            cycle: None,
        }
        .to_string(),
        on_path,
    }
}

impl Walker {
    /// One click at the end of `path`: `thread` moves until it has taken a step, and
    /// (`event`) the first wait it makes that may time out or wake spuriously does. The
    /// path it leads to; refused when the thread cannot run there, or makes no such wait.
    pub fn step(&self, path: &Path, thread: &str, event: bool) -> Result<Path, Refusal> {
        let view = self.view(path, None)?;
        let mine: Vec<&Choice> = view
            .choices
            .iter()
            .filter(|c| c.thread == thread && c.kind == "step")
            .collect();
        if mine.is_empty() {
            let can: BTreeSet<&str> = view.choices.iter().map(|c| c.thread.as_str()).collect();
            return Err(Refusal::NotAnExecution(format!(
                "{thread} cannot move here; threads that can: {}",
                can.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        let found = mine
            .iter()
            .find(|c| matches!(c.wait, Some("times out" | "wakes spuriously")) == event)
            .ok_or_else(|| {
                Refusal::NotAnExecution(format!(
                    "{thread}'s next move makes no wait that may time out or wake spuriously ({})",
                    self.events_allowed()
                ))
            })?;
        match Path::parse(&found.path).map_err(Refusal::Malformed)? {
            Schedule::Shuttle { tasks, events, .. } => Ok(Path {
                tasks,
                events,
                cycle: None,
            }),
            _ => unreachable!("a choice's path is a shuttle schedule"),
        }
    }
}

/// The walk's threads in spawn order: main first, then the workers.
fn columns(ran: &Ran) -> Vec<String> {
    let mut threads: Vec<String> = Vec::new();
    let named = ran.names.values().cloned();
    let traced = ran.trace.iter().map(|e| e.thread.clone());
    let spawning = ran.state.threads.iter().map(|t| t.name.clone());
    for name in named.chain(traced).chain(spawning) {
        if !threads.contains(&name) {
            threads.push(name);
        }
    }
    threads
}

fn steps(ran: &Ran) -> Vec<Step> {
    ran.trace
        .iter()
        .map(|e| Step {
            step: e.step,
            thread: e.thread.clone(),
            action: e.action.clone(),
            effect: e.effect(),
            click: ran
                .points
                .iter()
                .position(|p| p.steps >= e.step)
                .unwrap_or(ran.points.len()),
        })
        .collect()
}

fn clicks_of(ran: &Ran, tasks: &[usize], events: &[usize]) -> Vec<Click> {
    ran.points
        .windows(2)
        .map(|w| {
            let (from, to) = (&w[0], &w[1]);
            let task = tasks[from.choice];
            let fired = events
                .iter()
                .find(|&&e| e >= from.eligible && e < to.eligible);
            Click {
                thread: ran
                    .names
                    .get(&task)
                    .cloned()
                    .unwrap_or_else(|| format!("task {task}")),
                first_step: from.steps + 1,
                steps: to.steps - from.steps,
                event: fired.map(|&e| {
                    if ran.timed.get(e) == Some(&true) {
                        "timed out"
                    } else {
                        "woke spuriously"
                    }
                }),
                then: to.then.clone(),
            }
        })
        .collect()
}
