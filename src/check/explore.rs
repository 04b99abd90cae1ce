//! The stateful search: every reachable state of a model once, under shuttle's
//! sequentially consistent semantics, as an explicit-state checker does it.
//!
//! Model threads are Rust code, so a state cannot be saved and restored: each execution
//! starts from the beginning, follows the decisions that lead to a state on the frontier,
//! takes one alternative there, and then goes on through new states until it reaches one
//! it has seen before. A state is known by its fingerprint (`context::fingerprint`): every
//! shared value, lock, waiter queue, ghost cell and heap object, and each thread's history
//! of what it observed, with repeated loop rounds folded (`runtime::history`). Decisions are
//! which runnable thread takes the next step, and whether a wait ends in an explored event
//! (a timeout, a spurious wakeup): both ways, with no budget, since folding makes the
//! space finite. `docs/reduction.md` argues why this is sound and what it assumes.
//!
//! The search keeps the graph it explored, so that afterwards it can answer: which
//! violations are reachable, by the fewest steps (Dijkstra over the steps each transition
//! records), and whether some cycle of states is fair under weak fairness (a livelock,
//! shown as a lasso).

use crate::runtime::context::{self, Chooser, Exec, Violation};
use crate::runtime::history::Hash128;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// One state: a decision point.
struct Node {
    /// How the search first got here: the state before and the alternative taken.
    parent: Option<(usize, usize)>,
    /// A scheduling decision: the runnable tasks, one alternative each. Empty for a data
    /// decision (a wait that may end in an event), whose alternatives are 0 and 1.
    runnable: Vec<usize>,
    /// For a data decision: the task making it.
    chooser: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Node(usize),
    /// The execution ended there (normally, or in a deadlock).
    End,
}

struct Edge {
    from: usize,
    alt: usize,
    to: Target,
    /// Trace steps taken between the two decisions.
    steps: usize,
    /// The scheduling points passed on the way without a decision (Lipton movers): the
    /// tasks runnable at any of them, and at all of them (`None`: there were none). A
    /// livelock's fairness must count them, though the search makes no state of them.
    skipped: Option<Skipped>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Skipped {
    any: BTreeSet<usize>,
    all: BTreeSet<usize>,
}

/// A violation found on the way: after which decision, and how many steps into it.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub violation: Violation,
    from: usize,
    alt: usize,
    steps: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Explore the frontier until it is empty.
    Explore,
    /// Follow one list of decisions once, then stop.
    Follow,
}

struct Inner {
    mode: Mode,
    index: HashMap<Hash128, usize>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    frontier: Vec<(usize, usize)>,
    /// The alternatives of each state not explored yet (the frontier's entries for it):
    /// an execution that comes back to a known state takes one of them from there,
    /// instead of a later execution replaying its way to it.
    pending: Vec<Vec<usize>>,
    found: Vec<Found>,
    /// Stop after this many states (a safety net: the search then says so).
    budget: usize,
    budget_spent: bool,
    /// Check, while replaying, that each decision is at the state the search expects.
    verify: bool,
    /// Merge equal states and skip movers' scheduling points (the reduced search);
    /// without, every path of decisions is its own (the unreduced search, to compare).
    reduce: bool,
    /// The unreduced search: stop after this many executions.
    max_executions: u64,
    /// Some path ran past the step limit before reaching a known state.
    cut: Option<String>,
    error: Option<String>,
    executions: u64,
    started: bool,
    // The execution in progress.
    /// The decisions to follow first: at which state (if known) and which alternative.
    plan: Vec<(Option<usize>, usize)>,
    pos: usize,
    /// The last decision taken: its state, alternative, and the trace's length then.
    last: Option<(usize, usize, usize)>,
    /// The execution reached a known state: nothing after it counts.
    stopped: bool,
    /// The movers' scheduling points passed since the last decision.
    skipped: Option<Skipped>,
    /// Follow mode: the task chosen at each scheduling point, and the trace's length at
    /// each decision.
    tasks: Vec<usize>,
    steps_at: Vec<usize>,
}

/// A stateful search in progress (or finished), shared by the shuttle scheduler that
/// drives it and the runtime, which asks it for data decisions and reports violations.
pub(crate) struct Search {
    inner: Mutex<Inner>,
}

impl Inner {
    fn new(mode: Mode, budget: usize, plan: Vec<usize>) -> Inner {
        Inner {
            mode,
            index: HashMap::new(),
            nodes: Vec::new(),
            edges: Vec::new(),
            frontier: Vec::new(),
            pending: Vec::new(),
            found: Vec::new(),
            budget,
            budget_spent: false,
            verify: false,
            reduce: true,
            max_executions: u64::MAX,
            cut: None,
            error: None,
            executions: 0,
            started: false,
            plan: plan.into_iter().map(|alt| (None, alt)).collect(),
            pos: 0,
            last: None,
            stopped: false,
            skipped: None,
            tasks: Vec::new(),
            steps_at: Vec::new(),
        }
    }
}

impl Search {
    fn new(mode: Mode, budget: usize, plan: Vec<usize>) -> Arc<Search> {
        Arc::new(Search {
            inner: Mutex::new(Inner::new(mode, budget, plan)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The execution ended in a failure the checker raised itself (a deadlock): it ends
    /// there.
    pub(crate) fn failed(&self, exec: &Exec, violation: Violation) {
        self.violation(exec, violation);
        self.finish_execution(exec);
    }

    fn error(&self, error: String) {
        self.lock().error = Some(error);
    }

    /// The execution in progress ended: its last transition leads nowhere further.
    fn finish_execution(&self, exec: &Exec) {
        let steps = exec.steps();
        let mut s = self.lock();
        if !s.stopped
            && let Some((from, alt, at)) = s.last.take()
        {
            let skipped = s.skipped.take();
            s.edges.push(Edge {
                from,
                alt,
                to: Target::End,
                steps: steps - at,
                skipped,
            });
        }
        s.stopped = true;
    }

    /// A mover's scheduling point, passed without a decision: `runnable` could run there.
    fn skip(&self, runnable: &[usize]) {
        let mut s = self.lock();
        let here: BTreeSet<usize> = runnable.iter().copied().collect();
        s.skipped = Some(match s.skipped.take() {
            None => Skipped {
                any: here.clone(),
                all: here,
            },
            Some(k) => Skipped {
                any: k.any.union(&here).copied().collect(),
                all: k.all.intersection(&here).copied().collect(),
            },
        });
    }

    fn new_execution(&self) -> Option<Schedule> {
        let mut s = self.lock();
        if s.error.is_some() {
            return None;
        }
        if s.mode == Mode::Follow || !s.started {
            if std::mem::replace(&mut s.started, true) {
                return None;
            }
        } else {
            if s.executions >= s.max_executions {
                s.budget_spent = !s.frontier.is_empty();
                return None;
            }
            let (node, alt) = loop {
                let (node, alt) = s.frontier.pop()?;
                // Taken already by an execution that came back to the state.
                if let Some(i) = s.pending[node].iter().position(|&a| a == alt) {
                    s.pending[node].swap_remove(i);
                    break (node, alt);
                }
            };
            let mut plan: Vec<(Option<usize>, usize)> = path_to(&s.nodes, node)
                .into_iter()
                .map(|(n, a)| (Some(n), a))
                .collect();
            plan.push((Some(node), alt));
            s.plan = plan;
        }
        s.pos = 0;
        s.last = None;
        s.stopped = false;
        s.skipped = None;
        s.tasks.clear();
        s.steps_at.clear();
        s.executions += 1;
        Some(Schedule::new(0))
    }

    /// Make a decision: follow the plan, or, past it, look the state up and either stop
    /// (known) or take its first alternative and leave the others on the frontier.
    fn decide(&self, exec: &Exec, decision: Decision) -> Option<usize> {
        let steps = exec.steps();
        let mut s = self.lock();
        if s.stopped {
            return None;
        }
        if s.pos < s.plan.len() {
            s.skipped = None;
            let (node, alt) = s.plan[s.pos];
            if let Some(n) = node
                && s.verify
            {
                drop(s);
                let print = context::fingerprint(exec, &decision);
                s = self.lock();
                let known = s.index.get(&print).copied();
                if known != Some(n) {
                    s.error = Some(format!(
                        "replaying decision {} reached another state than the search had seen there: the fingerprint misses part of the state",
                        s.pos
                    ));
                    s.stopped = true;
                    return None;
                }
            }
            s.pos += 1;
            s.steps_at.push(steps);
            if let Some(node) = node {
                s.last = Some((node, alt, steps));
            }
            if alt >= decision.alternatives() {
                s.error = Some(format!(
                    "the model is not deterministic: decision {} has {} alternatives, not {}",
                    s.pos,
                    decision.alternatives(),
                    alt + 1
                ));
                s.stopped = true;
                return None;
            }
            return Some(alt);
        }
        if s.mode == Mode::Follow {
            s.stopped = true;
            return None;
        }
        let print = if s.reduce {
            drop(s);
            let print = context::fingerprint(exec, &decision);
            s = self.lock();
            Some(print)
        } else {
            None
        };
        let (id, new) = match print.and_then(|p| s.index.get(&p)) {
            Some(&id) => (id, false),
            None => {
                if s.nodes.len() >= s.budget {
                    s.budget_spent = true;
                    s.stopped = true;
                    return None;
                }
                let id = s.nodes.len();
                let (runnable, chooser) = match &decision {
                    Decision::Task(r) => (r.clone(), 0),
                    Decision::Data { chooser, .. } => (Vec::new(), *chooser),
                };
                let parent = s.last.map(|(n, a, _)| (n, a));
                s.nodes.push(Node {
                    parent,
                    runnable,
                    chooser,
                });
                if let Some(p) = print {
                    s.index.insert(p, id);
                }
                (id, true)
            }
        };
        if let Some((from, alt, at)) = s.last {
            let skipped = s.skipped.take();
            s.edges.push(Edge {
                from,
                alt,
                to: Target::Node(id),
                steps: steps - at,
                skipped,
            });
        }
        if !new {
            // A known state: take one of its alternatives still unexplored, if any
            // (cheaper than a later execution replaying its way there from the start).
            if let Some(alt) = s.pending[id].pop() {
                s.last = Some((id, alt, steps));
                return Some(alt);
            }
            s.stopped = true;
            return None;
        }
        // Depth first: the frontier is a stack, so push the later alternatives first.
        for alt in (1..decision.alternatives()).rev() {
            s.frontier.push((id, alt));
        }
        s.pending.push((1..decision.alternatives()).collect());
        s.last = Some((id, 0, steps));
        Some(0)
    }
}

#[derive(Clone, Debug, Hash)]
enum Decision {
    Task(Vec<usize>),
    Data { chooser: usize, n: usize },
}

impl Decision {
    fn alternatives(&self) -> usize {
        match self {
            Decision::Task(r) => r.len(),
            Decision::Data { n, .. } => *n,
        }
    }
}

/// The decisions from the first state to `node`, by the way the search first got there.
fn path_to(nodes: &[Node], node: usize) -> Vec<(usize, usize)> {
    let mut path = Vec::new();
    let mut at = node;
    while let Some((parent, alt)) = nodes[at].parent {
        path.push((parent, alt));
        at = parent;
    }
    path.reverse();
    path
}

/// The shuttle scheduler that drives a search.
pub(crate) struct Driver(pub(crate) Arc<Search>);

impl Scheduler for Driver {
    fn new_execution(&mut self) -> Option<Schedule> {
        // The previous execution (if any) ended normally: its last transition ends there.
        let exec = context::try_current();
        if let Some(exec) = &exec
            && self.0.lock().started
        {
            self.0.finish_execution(exec);
        }
        let next = self.0.new_execution();
        if let Some(exec) = &exec
            && next.is_some()
        {
            exec.clear_execution(0);
        }
        next
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _yielding: bool,
    ) -> Option<TaskId> {
        let ids: Vec<usize> = runnable.iter().map(|t| usize::from(t.id())).collect();
        let exec = context::try_current()?;
        if self.0.lock().stopped {
            return drain(runnable, current);
        }
        if let Some(c) = current.map(usize::from) {
            context::switched(&exec, c, !ids.contains(&c));
            // A Lipton mover: no decision, the task goes on.
            let (mover, blocking) = {
                let mut s = exec.state();
                (s.mover.take(), s.blocking.take())
            };
            let reduce = self.0.lock().reduce;
            if reduce
                && mover == Some(c)
                && blocking != Some(c)
                && let Some(t) = runnable.iter().find(|t| usize::from(t.id()) == c)
            {
                self.0.skip(&ids);
                self.0.lock().tasks.push(c);
                return Some(t.id());
            }
        }
        let Some(alt) = self.0.decide(&exec, Decision::Task(ids)) else {
            return drain(runnable, current);
        };
        let chosen = runnable[alt].id();
        self.0.lock().tasks.push(usize::from(chosen));
        Some(chosen)
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// Once the search has what it wants from an execution, the execution still runs to its
/// end (round robin, so that spinning threads let the others on): shuttle reuses the
/// stacks of threads that finished, and must allocate new ones for threads it abandoned.
fn drain(runnable: &[&Task], current: Option<TaskId>) -> Option<TaskId> {
    let next = current
        .map(usize::from)
        .and_then(|c| runnable.iter().find(|t| usize::from(t.id()) > c))
        .or(runnable.first())?;
    Some(next.id())
}

// ---------------------------------------------------------------------------------------
// Running a search, and reading the graph

/// What a finished search knows.
pub struct Explored {
    pub states: usize,
    pub transitions: usize,
    pub executions: u64,
    /// The state budget ran out before the frontier did.
    pub budget_spent: bool,
    /// Some path ran past the step limit (see `Limits::max_steps`): not explored further.
    pub cut: Option<String>,
    pub error: Option<String>,
    pub(crate) found: Vec<Found>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

/// The decisions that reach a violation or a cycle, ready to follow.
pub(crate) struct Route {
    pub decisions: Vec<usize>,
    /// For a cycle: the decision at which it starts.
    pub cycle_from: Option<usize>,
    pub violation: Violation,
}

/// How one shuttle run under the driver ended.
pub(crate) enum Stop {
    /// The driver had no execution left.
    Finished,
    /// The execution in progress ended with nothing to report (every thread waits, and a
    /// timed waiter's deadline would pass: that path's timeout is explored as an early one).
    Ended,
    /// An execution failed in a way the checker raised itself (a deadlock, the step limit).
    Failed(Violation),
    /// The model crashed.
    Error(String),
}

/// Run the stateful search to its end. `run` runs the driver under shuttle (until a panic,
/// or until the driver has no execution left) with `exec` as the context.
pub(crate) fn search(
    search: &Arc<Search>,
    exec: &Exec,
    mut run: impl FnMut(&Arc<Search>) -> Stop,
) -> Explored {
    loop {
        match run(search) {
            Stop::Finished => break,
            Stop::Ended => search.finish_execution(exec),
            Stop::Failed(violation) if violation.property == context::builtin::PROGRESS => {
                // The step limit: this path is not explored to its end.
                let mut s = search.lock();
                s.cut.get_or_insert(violation.message);
                s.stopped = true;
            }
            Stop::Failed(violation) => search.failed(exec, violation),
            Stop::Error(error) => {
                search.error(error);
                break;
            }
        }
    }
    let s = std::mem::replace(
        &mut *search.lock(),
        Inner::new(Mode::Explore, 0, Vec::new()),
    );
    Explored {
        states: s.nodes.len(),
        transitions: s.edges.len(),
        executions: s.executions,
        budget_spent: s.budget_spent,
        cut: s.cut,
        error: s.error,
        found: s.found,
        nodes: s.nodes,
        edges: s.edges,
    }
}

/// A search of every state, at most `budget` of them; `verify` checks that replays reach
/// the states the search recorded (a test of the fingerprint, at the cost of hashing
/// every replayed state).
pub(crate) fn explorer(budget: usize, verify: bool) -> Arc<Search> {
    let search = Search::new(Mode::Explore, budget, Vec::new());
    search.lock().verify = verify;
    search
}

/// The unreduced search: every path of decisions, no state merged, at most
/// `executions` executions. Only for comparing with the reduced one.
pub(crate) fn unreduced(executions: u64) -> Arc<Search> {
    let search = Search::new(Mode::Explore, usize::MAX, Vec::new());
    let mut s = search.lock();
    s.reduce = false;
    s.max_executions = executions;
    drop(s);
    search
}

/// Follow `decisions` once under the driver: the shuttle task chosen at every scheduling
/// point, and the trace's length at each decision.
pub(crate) fn follow(decisions: Vec<usize>, reduce: bool) -> Arc<Search> {
    let search = Search::new(Mode::Follow, usize::MAX, decisions);
    search.lock().reduce = reduce;
    search
}

impl Search {
    /// After following: the tasks chosen, and the trace's length at each decision.
    pub(crate) fn followed(&self) -> (Vec<usize>, Vec<usize>) {
        let s = self.lock();
        (s.tasks.clone(), s.steps_at.clone())
    }
}

impl Explored {
    /// Every violation found, as (property, message): a description of the state each
    /// happened in, to compare two searches.
    pub fn violations(&self) -> BTreeSet<(String, String)> {
        self.found
            .iter()
            .map(|f| (f.violation.property.clone(), f.violation.message.clone()))
            .collect()
    }

    /// The fewest steps from the first state to each state, and how each is reached.
    fn distances(&self) -> (Vec<usize>, Vec<Option<(usize, usize)>>) {
        let mut out: Vec<Vec<&Edge>> = vec![Vec::new(); self.nodes.len()];
        for e in &self.edges {
            out[e.from].push(e);
        }
        let mut dist = vec![usize::MAX; self.nodes.len()];
        let mut via = vec![None; self.nodes.len()];
        if self.nodes.is_empty() {
            return (dist, via);
        }
        dist[0] = 0;
        let mut heap = BinaryHeap::from([std::cmp::Reverse((0usize, 0usize))]);
        while let Some(std::cmp::Reverse((d, n))) = heap.pop() {
            if d > dist[n] {
                continue;
            }
            for e in &out[n] {
                if let Target::Node(m) = e.to
                    && d + e.steps < dist[m]
                {
                    dist[m] = d + e.steps;
                    via[m] = Some((n, e.alt));
                    heap.push(std::cmp::Reverse((dist[m], m)));
                }
            }
        }
        (dist, via)
    }

    fn route(via: &[Option<(usize, usize)>], node: usize) -> Vec<usize> {
        let mut alts = Vec::new();
        let mut at = node;
        while let Some((prev, alt)) = via[at] {
            alts.push(alt);
            at = prev;
        }
        alts.reverse();
        alts
    }

    /// The violation of `property` (`*`: of any) reached in the fewest steps.
    pub(crate) fn shortest(&self, property: &str) -> Option<Route> {
        let (dist, via) = self.distances();
        let best = self
            .found
            .iter()
            .filter(|f| property == context::builtin::ANY || f.violation.property == property)
            .filter(|f| dist[f.from] != usize::MAX)
            .min_by_key(|f| (dist[f.from] + f.steps, f.from, f.alt))?;
        let mut decisions = Explored::route(&via, best.from);
        decisions.push(best.alt);
        Some(Route {
            decisions,
            cycle_from: None,
            violation: best.violation.clone(),
        })
    }

    /// A cycle of states that an execution can go round forever, fair as `fairness`
    /// asks, reached by the fewest steps: as a lasso, the route to its first state, then
    /// the cycle.
    pub(crate) fn fair_cycle(&self, fairness: Fairness) -> Option<Route> {
        let n = self.nodes.len();
        let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for e in &self.edges {
            if let Target::Node(m) = e.to
                && !out[e.from].contains(&(m, e.alt))
            {
                out[e.from].push((m, e.alt));
            }
        }
        let (dist, via) = self.distances();
        let everything: BTreeSet<usize> = (0..n).filter(|&u| dist[u] != usize::MAX).collect();
        let skipped = self.skipped();
        let inside = self
            .fair_components(&out, &skipped, everything, fairness)
            .into_iter()
            .min_by_key(|c| c.iter().map(|&u| dist[u]).min())?;
        let entry = *inside.iter().min_by_key(|&&u| (dist[u], u))?;
        // Go round: for each thread that can run somewhere in the cycle, a step of it (or,
        // under weak fairness, a state where it cannot run); then back to the entry.
        let mut need = self.enabled_in(&out, &skipped, &inside);
        if fairness == Fairness::None {
            need.clear();
        }
        // Under weak fairness a thread is also satisfied by a point where it cannot run:
        // a state of the cycle, or a mover's point on a transition of it.
        let disabled_at = |t: usize, u: usize, a: usize, m: usize| {
            let r = &self.nodes[m].runnable;
            fairness == Fairness::Weak
                && ((!r.is_empty() && !r.contains(&t))
                    || skipped.get(&(u, a)).is_some_and(|k| !k.all.contains(&t)))
        };
        let mut at = entry;
        let mut cycle: Vec<usize> = Vec::new();
        {
            let r = &self.nodes[at].runnable;
            if fairness == Fairness::Weak && !r.is_empty() {
                need.retain(|t| r.contains(t));
            }
        }
        while let Some(&t) = need.iter().next() {
            let walk = bfs(&out, &inside, at, |u, a, m| {
                self.mover(u, a) == t || disabled_at(t, u, a, m)
            })?;
            for &(u, a, m) in &walk {
                need.remove(&self.mover(u, a));
                need.retain(|&x| !disabled_at(x, u, a, m));
                cycle.push(a);
                at = m;
            }
            need.remove(&t);
        }
        if at != entry || cycle.is_empty() {
            let back = bfs(&out, &inside, at, |_, _, m| m == entry)?;
            cycle.extend(back.iter().map(|&(_, a, _)| a));
        }
        let mut decisions = Explored::route(&via, entry);
        let cycle_from = decisions.len();
        decisions.extend(cycle);
        Some(Route {
            decisions,
            cycle_from: Some(cycle_from),
            violation: Violation {
                property: context::builtin::PROGRESS.to_owned(),
                message: String::new(),
            },
        })
    }

    /// The movers' points on each transition (by state and alternative).
    fn skipped(&self) -> HashMap<(usize, usize), Skipped> {
        self.edges
            .iter()
            .filter_map(|e| e.skipped.clone().map(|k| ((e.from, e.alt), k)))
            .collect()
    }

    /// The threads able to run somewhere in `c`: at its states or at the movers' points
    /// on its transitions.
    fn enabled_in(
        &self,
        out: &[Vec<(usize, usize)>],
        skipped: &HashMap<(usize, usize), Skipped>,
        c: &BTreeSet<usize>,
    ) -> BTreeSet<usize> {
        let mut enabled: BTreeSet<usize> = c
            .iter()
            .flat_map(|&u| self.nodes[u].runnable.iter().copied())
            .collect();
        for &u in c {
            for &(m, a) in &out[u] {
                if c.contains(&m)
                    && let Some(k) = skipped.get(&(u, a))
                {
                    enabled.extend(k.any.iter().copied());
                }
            }
        }
        enabled
    }

    /// The task that moves when the search takes alternative `alt` at state `u`.
    fn mover(&self, u: usize, alt: usize) -> usize {
        let node = &self.nodes[u];
        if node.runnable.is_empty() {
            node.chooser
        } else {
            node.runnable[alt]
        }
    }

    /// The strongly connected parts of the states in `within` that hold a cycle fair as
    /// `fairness` asks (Emerson and Lei's refinement for strong fairness: drop the states
    /// where a thread that never moves inside could run, and look again).
    fn fair_components(
        &self,
        out: &[Vec<(usize, usize)>],
        skipped: &HashMap<(usize, usize), Skipped>,
        within: BTreeSet<usize>,
        fairness: Fairness,
    ) -> Vec<BTreeSet<usize>> {
        let mut fair = Vec::new();
        let mut todo = vec![within];
        while let Some(set) = todo.pop() {
            for c in components(out, &set) {
                let internal: Vec<(usize, usize)> = c
                    .iter()
                    .flat_map(|&u| {
                        out[u]
                            .iter()
                            .filter(|(m, _)| c.contains(m))
                            .map(move |&(_, a)| (u, a))
                    })
                    .collect();
                if internal.is_empty() {
                    continue;
                }
                let moved: BTreeSet<usize> =
                    internal.iter().map(|&(u, a)| self.mover(u, a)).collect();
                let enabled = self.enabled_in(out, skipped, &c);
                let starved: BTreeSet<usize> = enabled.difference(&moved).copied().collect();
                match fairness {
                    Fairness::None => fair.push(c),
                    Fairness::Weak => {
                        // Each starved thread must be unable to run somewhere in the cycle.
                        let ok = starved.iter().all(|t| {
                            c.iter().any(|&u| {
                                let r = &self.nodes[u].runnable;
                                !r.is_empty() && !r.contains(t)
                            }) || internal
                                .iter()
                                .any(|at| skipped.get(at).is_some_and(|k| !k.all.contains(t)))
                        });
                        if ok {
                            fair.push(c);
                        }
                    }
                    Fairness::Strong if starved.is_empty() => fair.push(c),
                    Fairness::Strong => {
                        let rest: BTreeSet<usize> = c
                            .iter()
                            .copied()
                            .filter(|&u| {
                                !self.nodes[u].runnable.iter().any(|t| starved.contains(t))
                                    && !out[u].iter().any(|&(_, a)| {
                                        skipped.get(&(u, a)).is_some_and(|k| {
                                            k.any.iter().any(|t| starved.contains(t))
                                        })
                                    })
                            })
                            .collect();
                        if !rest.is_empty() {
                            todo.push(rest);
                        }
                    }
                }
            }
        }
        fair
    }
}

/// Which infinite executions count (SPIN's `-f` is weak fairness).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fairness {
    /// Any cycle: a thread that could run may be left out forever.
    None,
    /// A thread that can run all along the cycle takes a step in it.
    Weak,
    /// A thread that can run somewhere in the cycle takes a step in it.
    Strong,
}

impl Fairness {
    pub fn id(self) -> &'static str {
        match self {
            Fairness::None => "no fairness",
            Fairness::Weak => "weak fairness",
            Fairness::Strong => "strong fairness",
        }
    }
}

/// The strongly connected components of the graph restricted to `set`.
fn components(out: &[Vec<(usize, usize)>], set: &BTreeSet<usize>) -> Vec<BTreeSet<usize>> {
    let nodes: Vec<usize> = set.iter().copied().collect();
    let local: HashMap<usize, usize> = nodes.iter().enumerate().map(|(i, &u)| (u, i)).collect();
    let sub: Vec<Vec<(usize, usize)>> = nodes
        .iter()
        .map(|u| {
            out[*u]
                .iter()
                .filter_map(|&(m, a)| local.get(&m).map(|&lm| (lm, a)))
                .collect()
        })
        .collect();
    let component = strongly_connected(&sub);
    let mut groups: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    for (i, &c) in component.iter().enumerate() {
        groups.entry(c).or_default().insert(nodes[i]);
    }
    let mut groups: Vec<BTreeSet<usize>> = groups.into_values().collect();
    groups.sort();
    groups
}

/// The shortest walk inside `inside` from `from` whose last transition satisfies `done`:
/// each transition as (state, alternative, next state). At least one transition.
fn bfs(
    out: &[Vec<(usize, usize)>],
    inside: &BTreeSet<usize>,
    from: usize,
    done: impl Fn(usize, usize, usize) -> bool,
) -> Option<Vec<(usize, usize, usize)>> {
    let mut prev: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = BTreeSet::from([from]);
    while let Some(u) = queue.pop_front() {
        for &(m, a) in &out[u] {
            if !inside.contains(&m) {
                continue;
            }
            if done(u, a, m) {
                let mut walk = vec![(u, a, m)];
                let mut at = u;
                while at != from {
                    let (p, pa) = prev[&at];
                    walk.push((p, pa, at));
                    at = p;
                }
                walk.reverse();
                return Some(walk);
            }
            if seen.insert(m) {
                prev.insert(m, (u, a));
                queue.push_back(m);
            }
        }
    }
    None
}

/// Tarjan's strongly connected components, without recursion: the component of each node.
fn strongly_connected(out: &[Vec<(usize, usize)>]) -> Vec<usize> {
    let n = out.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut component = vec![usize::MAX; n];
    let mut next = 0;
    let mut count = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (u, ref mut i)) = calls.last_mut() {
            if *i < out[u].len() {
                let (m, _) = out[u][*i];
                *i += 1;
                if index[m] == usize::MAX {
                    index[m] = next;
                    low[m] = next;
                    next += 1;
                    stack.push(m);
                    on_stack[m] = true;
                    calls.push((m, 0));
                } else if on_stack[m] {
                    low[u] = low[u].min(index[m]);
                }
            } else {
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    low[parent] = low[parent].min(low[u]);
                }
                if low[u] == index[u] {
                    loop {
                        let w = stack.pop().expect("on the stack");
                        on_stack[w] = false;
                        component[w] = count;
                        if w == u {
                            break;
                        }
                    }
                    count += 1;
                }
            }
        }
    }
    component
}

impl Chooser for Search {
    /// A data decision with `n` alternatives, made by the calling model thread.
    fn choose(&self, exec: &Exec, n: usize) -> usize {
        let me = usize::from(shuttle::current::me());
        self.decide(exec, Decision::Data { chooser: me, n })
            .unwrap_or(0)
    }

    /// A violation the runtime noted: keep it, and let the execution go on.
    fn violation(&self, exec: &Exec, violation: Violation) {
        let steps = exec.steps();
        let mut s = self.lock();
        if s.stopped || s.mode == Mode::Follow {
            return;
        }
        if let Some((from, alt, at)) = s.last {
            s.found.push(Found {
                violation,
                from,
                alt,
                steps: steps - at,
            });
        }
    }
}
