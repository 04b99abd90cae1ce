//! Models as data: what each model asks, what it claims, where its steps come from in
//! CPython, and what every checker is expected to find. One registry of these drives the
//! CLI, the tests and the docs.

use std::fmt;

/// A checker that explores a model's interleavings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Checker {
    /// loom: exhaustive DPOR under the C11 memory model, optionally preemption-bounded.
    Loom,
    /// shuttle's PCT scheduler (probabilistic concurrency testing), sequentially consistent.
    ShuttlePct,
    /// shuttle's uniformly random scheduler.
    ShuttleRandom,
    /// shuttle's depth-first search: exhaustive over schedules, no partial-order reduction.
    ShuttleDfs,
}

impl Checker {
    pub const ALL: [Checker; 4] = [
        Checker::Loom,
        Checker::ShuttlePct,
        Checker::ShuttleRandom,
        Checker::ShuttleDfs,
    ];
    /// Every shuttle scheduler, for expectations that hold for all of them.
    pub const SHUTTLE: &'static [Checker] = &[
        Checker::ShuttlePct,
        Checker::ShuttleRandom,
        Checker::ShuttleDfs,
    ];
    pub const LOOM: &'static [Checker] = &[Checker::Loom];
    pub const DFS: &'static [Checker] = &[Checker::ShuttleDfs];
    /// Every checker but shuttle DFS.
    pub const LOOM_AND_SAMPLING: &'static [Checker] =
        &[Checker::Loom, Checker::ShuttlePct, Checker::ShuttleRandom];
    /// The shuttle schedulers that sample schedules rather than enumerate them.
    pub const SAMPLING: &'static [Checker] = &[Checker::ShuttlePct, Checker::ShuttleRandom];

    pub fn id(self) -> &'static str {
        match self {
            Checker::Loom => "loom",
            Checker::ShuttlePct => "shuttle-pct",
            Checker::ShuttleRandom => "shuttle-random",
            Checker::ShuttleDfs => "shuttle-dfs",
        }
    }

    pub fn parse(s: &str) -> Option<Checker> {
        Checker::ALL.into_iter().find(|c| c.id() == s)
    }
}

impl fmt::Display for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A named claim about every execution of a model, readable as a sentence.
#[derive(Clone, Copy, Debug)]
pub struct Property {
    pub id: &'static str,
    pub claim: &'static str,
}

/// A situation a model's properties are about ("a waiter timed out and set a drop
/// request"). The model's code calls `rt::reach` where it happens; a "holds" from a run
/// that never got there says nothing about it, and reads `vacuous` (Stateright's
/// `sometimes`, TLC's coverage).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Situation(pub &'static str);

/// What a model shows about one of the seed documents' claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stance {
    Confirms,
    Refutes,
    Qualifies,
}

#[derive(Clone, Copy, Debug)]
pub struct SeedClaim {
    /// The claim's number in `shared/reference/seed-claims.md` (R3, G5, ...).
    pub id: &'static str,
    pub stance: Stance,
    pub why: &'static str,
}

/// What a checker is expected to conclude about a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// No execution the checker explores breaks the property.
    Holds,
    /// The checker finds a violation. Under loom, `preemptions` is the fewest preemptions
    /// a violating execution needs (found by raising loom's preemption bound from 0).
    Violated { preemptions: Option<usize> },
    /// The checker's budget runs out before it can decide (shuttle DFS, which has no
    /// partial-order reduction, on models with locks): use loom's verdict.
    Inconclusive,
    /// Some execution stops making progress (see `Verdict::Livelock`).
    Livelock,
    /// Holds, but the runs never reached one of the model's situations (a sampling
    /// checker that never drew it, say); the comment beside says why that is expected.
    Vacuous,
}

/// A loom violation that needs exactly `k` preemptions.
pub const fn violated(k: usize) -> Expected {
    Expected::Violated {
        preemptions: Some(k),
    }
}

/// A violation found by a checker that does not count preemptions (shuttle).
pub const FOUND: Expected = Expected::Violated { preemptions: None };
pub const HOLDS: Expected = Expected::Holds;
pub const BUDGET_SPENT: Expected = Expected::Inconclusive;
pub const LIVELOCK: Expected = Expected::Livelock;
pub const VACUOUS: Expected = Expected::Vacuous;

/// One row of a model's expectations: a property under some checkers, with the default
/// size (2 worker threads) and the deep suite's size (3 worker threads).
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    pub property: &'static str,
    pub checkers: &'static [Checker],
    pub default: Expected,
    pub deep: Expected,
}

/// A named interleaving from the literature, replayed step by step: each entry names the
/// thread that takes the next trace step.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    /// Where the interleaving comes from (a seed document, an issue, a paper).
    pub source: &'static str,
    /// The property the scenario breaks (or shows holding).
    pub property: &'static str,
    pub threads: usize,
    /// The thread of each step; `A*9` stands for nine steps of A.
    pub script: &'static [&'static str],
    /// Which eligible waits (in execution order) time out or wake spuriously.
    pub wait_events: &'static [usize],
}

impl Scenario {
    /// The script with its repetitions written out: the thread of each step.
    pub fn steps(&self) -> Vec<String> {
        self.script
            .iter()
            .flat_map(|entry| match entry.split_once('*') {
                Some((thread, n)) => {
                    let n = n
                        .parse()
                        .expect("a script repeats a thread a number of times");
                    vec![thread.to_owned(); n]
                }
                None => vec![entry.to_string()],
            })
            .collect()
    }
}

/// The preemption bound loom runs a model with: `None` explores every execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoomBound {
    /// With 2 worker threads.
    pub default: Option<usize>,
    /// With 3 (the deep suite).
    pub deep: Option<usize>,
}

impl LoomBound {
    /// Exhaustive with 2 workers; 3 preemptions with 3 (whose full space runs to hundreds of
    /// thousands of executions).
    pub const SMALL: LoomBound = LoomBound {
        default: None,
        deep: Some(3),
    };

    pub fn for_params(self, params: Params) -> Option<usize> {
        if params.is_deep() {
            self.deep
        } else {
            self.default
        }
    }
}

/// Run-time parameters of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Worker threads besides main: 2 by default, 3 in the deep suite.
    pub threads: usize,
    /// Condition variables may wake spuriously (POSIX allows it; the checkers never do).
    pub spurious: bool,
}

impl Params {
    pub const DEFAULT: Params = Params {
        threads: 2,
        spurious: false,
    };
    pub const DEEP: Params = Params {
        threads: 3,
        spurious: false,
    };

    pub fn with_spurious(self, spurious: bool) -> Params {
        Params { spurious, ..self }
    }

    pub fn is_deep(self) -> bool {
        self.threads > Params::DEFAULT.threads
    }
}

pub struct Model {
    pub id: &'static str,
    pub title: &'static str,
    /// The question the model answers, as a reviewer would ask it.
    pub question: &'static str,
    pub claims: &'static [SeedClaim],
    /// CPython sources the model's steps follow (`file#function`).
    pub sources: &'static [&'static str],
    /// What the model leaves out of CPython, and why that does not change the answer.
    pub abstracts: &'static str,
    pub properties: &'static [Property],
    /// Expected verdicts (with spurious wakeups off, for models that wait on a condvar).
    pub expect: &'static [Expect],
    /// Expected verdicts with spurious wakeups on; empty for models without a condvar.
    pub expect_spurious: &'static [Expect],
    /// The preemption bound each loom verdict needs (for "holds": how far it was checked).
    pub loom_bound: LoomBound,
    pub scenarios: &'static [Scenario],
    /// Its twin: the model a minimal diff away (bug ↔ fix).
    pub twin: Option<&'static str>,
    /// What the runs must reach for a "holds" to mean something (see `Situation`).
    pub situations: &'static [Situation],
    /// The model itself, run once per execution by every checker.
    pub body: fn(Params),
}

/// The body of `Model::DEFAULT`: a model must give its own. (Function pointers cannot be
/// compared reliably, so `Model::problems` cannot tell; the first run says it.)
fn no_body(_: Params) {
    panic!("this model gives no body (Model::DEFAULT has none)");
}

impl Model {
    /// The fields a model may leave out: `Model { id, title, .., body, ..Model::DEFAULT }`.
    /// No seed claims, no spurious wakeups (a model that waits on a condition variable
    /// must give `expect_spurious`), loom exhaustive with 2 workers and at 3 preemptions
    /// with 3, no scenarios, no twin, no situations. The rest must be given:
    /// `Model::problems` lists what is missing, and a model without a body panics.
    pub const DEFAULT: Model = Model {
        id: "",
        title: "",
        question: "",
        claims: &[],
        sources: &[],
        abstracts: "",
        properties: &[],
        expect: &[],
        expect_spurious: &[],
        loom_bound: LoomBound::SMALL,
        scenarios: &[],
        twin: None,
        situations: &[],
        body: no_body,
    };

    /// What is wrong with the model as registered: a field it must give and did not, an
    /// expectation for a property it does not declare, a property with no expectation
    /// under some checker. Empty for a well-formed model.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let required = [
            ("id", self.id.is_empty()),
            ("title", self.title.is_empty()),
            ("question", self.question.is_empty()),
            ("sources", self.sources.is_empty()),
            ("abstracts", self.abstracts.is_empty()),
            ("properties", self.properties.is_empty()),
            ("expect", self.expect.is_empty()),
            (
                "body",
                std::ptr::fn_addr_eq(self.body, no_body as fn(Params)),
            ),
        ];
        for (field, missing) in required {
            if missing {
                problems.push(format!("{}: no `{field}`", self.id));
            }
        }
        for (rows, spurious) in [(self.expect, false), (self.expect_spurious, true)] {
            for e in rows {
                if self.property(e.property).is_none() {
                    problems.push(format!(
                        "{}: an expectation for {:?}, which is not one of its properties",
                        self.id, e.property
                    ));
                }
            }
            if spurious && rows.is_empty() {
                continue;
            }
            for p in self.properties {
                for c in Checker::ALL {
                    if !rows
                        .iter()
                        .any(|e| e.property == p.id && e.checkers.contains(&c))
                    {
                        let with = if spurious {
                            " with spurious wakeups"
                        } else {
                            ""
                        };
                        problems.push(format!(
                            "{}: no expectation for {} under {c}{with}",
                            self.id, p.id
                        ));
                    }
                }
            }
            // Shuttle's executions are some of loom's (the sequentially consistent ones)
            // and both detectors order accesses by the same happens-before: a race that
            // shuttle finds and loom does not is a bug in one of them.
            let expects = |c: Checker, deep: bool| {
                rows.iter()
                    .find(|e| {
                        e.property == crate::runtime::builtin::NO_DATA_RACE
                            && e.checkers.contains(&c)
                    })
                    .map(|e| if deep { e.deep } else { e.default })
            };
            for deep in [false, true] {
                let loom_holds = expects(Checker::Loom, deep) == Some(Expected::Holds);
                for &c in Checker::SHUTTLE {
                    if loom_holds && matches!(expects(c, deep), Some(Expected::Violated { .. })) {
                        problems.push(format!(
                            "{}: a data race expected under {c} but not under loom",
                            self.id
                        ));
                    }
                }
            }
        }
        problems
    }

    pub fn property(&self, id: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.id == id)
    }

    /// The expectation for one property and checker at these parameters.
    pub fn expected(&self, property: &str, checker: Checker, params: Params) -> Option<Expected> {
        let rows = if params.spurious {
            self.expect_spurious
        } else {
            self.expect
        };
        rows.iter()
            .find(|e| e.property == property && e.checkers.contains(&checker))
            .map(|e| if params.is_deep() { e.deep } else { e.default })
    }

    /// The settings of spurious wakeups the model is checked with: both, if it waits on a
    /// condition variable.
    pub fn spurious_settings(&self) -> &'static [bool] {
        if self.expect_spurious.is_empty() {
            &[false]
        } else {
            &[false, true]
        }
    }

    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }
}
