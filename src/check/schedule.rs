//! The strings that replay one execution (`loom:pb2:e17`, `shuttle:0.1.1.2:w0`).

use std::fmt;

/// What replays one execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// The `execution`-th execution of a loom run with this preemption bound (loom's
    /// exploration order is deterministic, so re-running reaches the same one).
    Loom {
        bound: Option<usize>,
        execution: u64,
        events: Vec<usize>,
    },
    /// The shuttle task chosen at each scheduling point (0 is main, then in spawn order).
    /// With `cycle`, the execution stops where the tasks end: a lasso whose cycle starts
    /// after that many trace steps and leads back to the state there.
    Shuttle {
        tasks: Vec<usize>,
        events: Vec<usize>,
        cycle: Option<usize>,
    },
    /// The thread that takes each trace step, by name (a scripted scenario).
    Script {
        threads: Vec<String>,
        events: Vec<usize>,
    },
}

pub(super) fn join<T: ToString>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(".")
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut cycle = None;
        let events = match self {
            Schedule::Loom {
                bound,
                execution,
                events,
            } => {
                let pb = bound.map_or("x".to_owned(), |b| b.to_string());
                write!(f, "loom:pb{pb}:e{execution}")?;
                events
            }
            Schedule::Shuttle {
                tasks,
                events,
                cycle: c,
            } => {
                write!(f, "shuttle:{}", join(tasks))?;
                cycle = *c;
                events
            }
            Schedule::Script { threads, events } => {
                write!(f, "script:{}", join(threads))?;
                events
            }
        };
        if !events.is_empty() {
            write!(f, ":w{}", join(events))?;
        }
        if let Some(c) = cycle {
            write!(f, ":c{c}")?;
        }
        Ok(())
    }
}

impl Schedule {
    /// The waits (by their order among the execution's eligible waits) that ended in a
    /// timeout or a spurious wakeup.
    pub fn events(&self) -> &[usize] {
        match self {
            Schedule::Loom { events, .. }
            | Schedule::Shuttle { events, .. }
            | Schedule::Script { events, .. } => events,
        }
    }

    /// Parse the `Display` form.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let malformed = |what: &str| format!("malformed {what} in schedule {s:?}");
        let mut parts: Vec<&str> = s.split(':').collect();
        let cycle = match parts.last() {
            Some(last) if parts.len() > 2 && last.starts_with('c') => {
                let n = &parts.pop().expect("checked")[1..];
                Some(n.parse::<usize>().map_err(|_| malformed("cycle start"))?)
            }
            _ => None,
        };
        if cycle.is_some() && parts.first() != Some(&"shuttle") {
            return Err(malformed("cycle (only a shuttle schedule has one)"));
        }
        let events = match parts.last() {
            Some(last) if parts.len() > 2 && last.starts_with('w') => {
                let list = &parts.pop().expect("checked")[1..];
                list.split('.')
                    .map(|n| n.parse::<usize>().map_err(|_| malformed("wait-event list")))
                    .collect::<Result<Vec<_>, _>>()?
            }
            _ => vec![],
        };
        match parts.as_slice() {
            ["loom", pb, e] => {
                let bound = match pb.strip_prefix("pb") {
                    Some("x") => None,
                    Some(n) => Some(n.parse().map_err(|_| malformed("preemption bound"))?),
                    None => return Err(malformed("preemption bound (expected pbN or pbx)")),
                };
                let execution = e
                    .strip_prefix('e')
                    .and_then(|n| n.parse().ok())
                    .filter(|&n: &u64| n >= 1)
                    .ok_or_else(|| malformed("execution number (expected eN)"))?;
                Ok(Schedule::Loom {
                    bound,
                    execution,
                    events,
                })
            }
            ["shuttle", tasks] => {
                let tasks = tasks
                    .split('.')
                    .map(|t| t.parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        malformed("shuttle schedule (expected task numbers separated by dots)")
                    })?;
                Ok(Schedule::Shuttle {
                    tasks,
                    events,
                    cycle,
                })
            }
            ["script", threads] => {
                let threads: Vec<String> = threads.split('.').map(str::to_owned).collect();
                if threads.iter().any(|t| t.is_empty()) {
                    return Err(malformed(
                        "script (expected thread names separated by dots)",
                    ));
                }
                Ok(Schedule::Script { threads, events })
            }
            [kind, ..] if !["loom", "shuttle", "script"].contains(kind) => Err(format!(
                "unknown schedule kind {kind:?} in {s:?}: expected loom, shuttle or script"
            )),
            _ => Err(format!(
                "malformed schedule {s:?}: expected loom:pbN:eM, shuttle:T.T.T or script:A.B, optionally followed by :wN.N"
            )),
        }
    }
}
