//! Traces: what each model thread did to shared state, step by step.
//!
//! Events are recorded by the runtime primitives (every read and write of a shared value)
//! and by the heap (allocation, free, violations). They live in plain std memory that the
//! checkers cannot see, so recording never changes what loom or shuttle explore.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One access to a named shared value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// The step read `value` from `var`.
    Read { var: String, value: i64 },
    /// The step changed `var` from `before` (if it existed) to `after`.
    Write {
        var: String,
        before: Option<i64>,
        after: i64,
    },
}

/// One step of an execution: the acting thread, a protocol-level action, what it touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub step: usize,
    pub thread: String,
    pub action: String,
    pub accesses: Vec<Access>,
    /// A remark from the heap or a property check ("use after free: ...").
    pub note: Option<String>,
}

impl Event {
    /// The accesses in words: `read foo.ob_refcnt = 2`, `foo.ob_refcnt 2 → 3`.
    pub fn effect(&self) -> String {
        let mut parts: Vec<String> = self
            .accesses
            .iter()
            .map(|a| match a {
                Access::Read { var, value } => format!("read {var} = {value}"),
                Access::Write {
                    var,
                    before: Some(b),
                    after,
                } => format!("{var} {b} → {after}"),
                Access::Write {
                    var,
                    before: None,
                    after,
                } => format!("{var} = {after}"),
            })
            .collect();
        if let Some(note) = &self.note {
            parts.push(note.clone());
        }
        parts.join("; ")
    }

    /// The step in the JSON schema (`schema::Step`).
    pub fn to_schema(&self) -> crate::schema::Step {
        let mut step = crate::schema::Step {
            step: self.step,
            thread: self.thread.clone(),
            action: self.action.clone(),
            read: BTreeMap::new(),
            before: BTreeMap::new(),
            state: BTreeMap::new(),
            note: self.note.clone(),
        };
        for a in &self.accesses {
            match a {
                Access::Read { var, value } => {
                    step.read.insert(var.clone(), *value);
                }
                Access::Write { var, before, after } => {
                    if let Some(b) = before {
                        step.before.insert(var.clone(), *b);
                    }
                    step.state.insert(var.clone(), *after);
                }
            }
        }
        step
    }
}

/// The protocol function an action belongs to: `take_gil` for `take_gil: lock mutex`.
fn function_of(action: &str) -> &str {
    action.split(':').next().unwrap_or(action)
}

/// One row for a run of steps: the writes' net effect (first value before, last after;
/// writes that changed nothing are left out), then the events worth a reader's eye.
fn summarise(run: &[Event], function: &str) -> Event {
    let mut accesses: Vec<Access> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for e in run {
        for a in &e.accesses {
            if let Access::Write { var, before, after } = a {
                match accesses
                    .iter_mut()
                    .find(|w| matches!(w, Access::Write { var: v, .. } if v == var))
                {
                    Some(Access::Write { after: last, .. }) => *last = *after,
                    _ => accesses.push(Access::Write {
                        var: var.clone(),
                        before: *before,
                        after: *after,
                    }),
                }
            }
        }
        let sub = e.action.rsplit(": ").next().unwrap_or("");
        if ["timed out", "spurious wakeup"].contains(&sub) {
            notes.push(sub.to_owned());
        } else if e.accesses.is_empty() && e.note.is_none() && e.action.contains(": ") {
            // A step with no shared access and no remark is an event in its own right
            // (`decref: _Py_Dealloc`, `take_gil: must exit`): name it.
            notes.push(sub.to_owned());
        }
        if let Some(note) = &e.note {
            let keep = note.starts_with("signals")
                || note.starts_with(CYCLE_STARTS)
                || note.starts_with("broadcasts")
                || note.starts_with("stale read")
                || note.contains("after it was freed")
                || note.contains("still held");
            if keep {
                notes.push(note.clone());
            } else if let Some(waits) = note.strip_prefix("waits on ") {
                notes.push(format!(
                    "waits on {}",
                    waits.split(',').next().unwrap_or(waits)
                ));
            }
        }
    }
    accesses.retain(|a| !matches!(a, Access::Write { before: Some(b), after, .. } if b == after));
    if accesses.is_empty() && notes.is_empty() {
        // A run that only read: what it read is the story.
        accesses = run
            .iter()
            .flat_map(|e| e.accesses.iter().cloned())
            .collect();
    }
    // A wait that ended is not news: keep only the last one, if the run ends waiting.
    let last_wait = notes.iter().rposition(|n| n.starts_with("waits on"));
    let ends_waiting = run
        .last()
        .is_some_and(|e| e.note.as_deref().is_some_and(|n| n.starts_with("waits on")));
    let notes: Vec<String> = notes
        .into_iter()
        .enumerate()
        .filter(|(i, n)| !n.starts_with("waits on") || (ends_waiting && Some(*i) == last_wait))
        .map(|(_, n)| n)
        .collect();
    // A livelock repeats itself: say each remark once, with how often it happened.
    let mut counted: Vec<(String, usize)> = Vec::new();
    for n in notes {
        match counted.iter_mut().find(|(m, _)| *m == n) {
            Some((_, count)) => *count += 1,
            None => counted.push((n, 1)),
        }
    }
    let notes: Vec<String> = counted
        .into_iter()
        .map(|(n, count)| {
            if count == 1 {
                n
            } else {
                format!("{n} (×{count})")
            }
        })
        .collect();
    Event {
        step: run[0].step,
        thread: run[0].thread.clone(),
        action: format!("{function} ({} steps)", run.len()),
        accesses,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// A whole execution, in the order the steps happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    pub events: Vec<Event>,
}

impl Trace {
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How often the acting thread changes from one step to the next.
    pub fn context_switches(&self) -> usize {
        self.events
            .windows(2)
            .filter(|w| w[0].thread != w[1].thread)
            .count()
    }

    /// A lasso's cycle: how many steps it has (the last event only says where it leads
    /// back to), if the trace ends in one.
    pub fn cycle_steps(&self) -> Option<usize> {
        Some(self.events.len() - 1 - self.cycle_from()?)
    }

    /// A lasso's cycle starts after this many steps, if the trace ends in one.
    pub fn cycle_from(&self) -> Option<usize> {
        self.events.iter().position(|e| {
            e.note
                .as_deref()
                .is_some_and(|n| n.starts_with(CYCLE_STARTS))
        })
    }

    /// "1 context switch", "3 context switches".
    pub fn context_switches_text(&self) -> String {
        match self.context_switches() {
            1 => "1 context switch".to_owned(),
            n => format!("{n} context switches"),
        }
    }

    /// The acting thread of each step, the form a scripted schedule takes.
    pub fn thread_sequence(&self) -> Vec<String> {
        self.events.iter().map(|e| e.thread.clone()).collect()
    }

    /// The steps grouped: a run of consecutive steps by one thread in one protocol
    /// function (the action before its first `:`) becomes one row, which shows what the
    /// run changed and what it waited for or signalled. Interleavings stay visible: a
    /// group ends wherever another thread steps in, and a lasso's cycle starts a row of
    /// its own, so that its mark stays visible.
    pub fn grouped(&self) -> Trace {
        let mut rows: Vec<Event> = Vec::new();
        let mut start = 0;
        while start < self.events.len() {
            let first = &self.events[start];
            let function = function_of(&first.action);
            let mut end = start + 1;
            while end < self.events.len()
                && self.events[end].thread == first.thread
                && function_of(&self.events[end].action) == function
                && !self.events[end].action.starts_with("violation")
                && !starts_cycle(&self.events[end])
            {
                end += 1;
            }
            let run = &self.events[start..end];
            let mut row = if run.len() == 1 {
                first.clone()
            } else {
                summarise(run, function)
            };
            row.step = rows.len() + 1;
            rows.push(row);
            start = end;
        }
        Trace { events: rows }
    }

    /// A numbered table for a terminal.
    pub fn to_text(&self) -> String {
        let tw = self.column_width(|e| e.thread.chars().count(), "thread");
        let aw = self.column_width(|e| e.action.chars().count(), "action");
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:>4}  {:<tw$}  {:<aw$}  shared values",
            "step", "thread", "action"
        );
        for e in &self.events {
            let _ = writeln!(
                out,
                "{:>4}  {:<tw$}  {:<aw$}  {}",
                e.step,
                e.thread,
                e.action,
                e.effect()
            );
        }
        out
    }

    /// The threads that act: main first, then the workers by name (A, B, C), so that
    /// every table and diagram lays them out alike.
    pub fn threads(&self) -> Vec<&str> {
        let mut threads: Vec<&str> = self.events.iter().map(|e| e.thread.as_str()).collect();
        threads.sort_by_key(|t| (*t != "main", *t));
        threads.dedup();
        threads
    }

    /// The same table in Markdown, with one column per thread: each step's action sits
    /// in its thread's column, so the interleaving reads top to bottom.
    pub fn to_markdown(&self) -> String {
        let threads = self.threads();
        let mut out = format!("| step | {} | shared values |\n", threads.join(" | "));
        let _ = writeln!(out, "|---:|{}---|", "---|".repeat(threads.len()));
        for e in &self.events {
            let cells: Vec<String> = threads
                .iter()
                .map(|t| {
                    if *t == e.thread {
                        format!("`{}`", e.action.replace('|', "\\|"))
                    } else {
                        String::new()
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                e.step,
                cells.join(" | "),
                e.effect().replace('|', "\\|")
            );
        }
        out
    }

    /// The steps in the JSON schema (`schema::Step`).
    pub fn to_schema(&self) -> Vec<crate::schema::Step> {
        self.events.iter().map(Event::to_schema).collect()
    }

    /// A Mermaid sequence diagram (it renders on GitHub): one lifeline per thread and one
    /// per shared object (`foo` for `foo.ob_refcnt`; a value with no object, such as the
    /// GIL's `locked`, is its own), an arrow per read and write naming the field, a note
    /// for steps without one.
    pub fn to_mermaid(&self) -> String {
        let id = |name: &str| -> String {
            name.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        };
        let text = |s: &str| s.replace([';', '#'], ",");
        // `foo.ob_refcnt` is field `ob_refcnt` of object `foo`.
        let split = |var: &str| -> (String, String) {
            match var.split_once('.') {
                Some((object, field)) => (object.to_owned(), field.to_owned()),
                None => (var.to_owned(), var.to_owned()),
            }
        };
        let mut out = String::from("sequenceDiagram\n");
        let threads = self.threads();
        let mut objects: Vec<String> = Vec::new();
        for e in &self.events {
            for a in &e.accesses {
                let (Access::Read { var, .. } | Access::Write { var, .. }) = a;
                let (object, _) = split(var);
                if !objects.contains(&object) {
                    objects.push(object);
                }
            }
        }
        for t in &threads {
            let _ = writeln!(out, "    participant {} as {t}", id(t));
        }
        for o in &objects {
            let _ = writeln!(out, "    participant v_{} as {o}", id(o));
        }
        for e in &self.events {
            let t = id(&e.thread);
            let action = text(&e.action);
            if e.accesses.is_empty() {
                let note = e
                    .note
                    .as_deref()
                    .map(|n| format!(": {}", text(n)))
                    .unwrap_or_default();
                let _ = writeln!(out, "    Note over {t}: {}. {action}{note}", e.step);
            }
            if let (false, Some(note)) = (e.accesses.is_empty(), &e.note) {
                let _ = writeln!(out, "    Note over {t}: {}. {}", e.step, text(note));
            }
            for a in &e.accesses {
                match a {
                    Access::Read { var, value } => {
                        let (object, field) = split(var);
                        let _ = writeln!(
                            out,
                            "    v_{}-->>{t}: {}. {action}: {} = {value}",
                            id(&object),
                            e.step,
                            text(&field)
                        );
                    }
                    Access::Write { var, before, after } => {
                        let (object, field) = split(var);
                        let from = before.map(|b| format!("{b} → ")).unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "    {t}->>v_{}: {}. {action}: {} {from}{after}",
                            id(&object),
                            e.step,
                            text(&field)
                        );
                    }
                }
            }
        }
        out
    }

    fn column_width(&self, width: impl Fn(&Event) -> usize, header: &str) -> usize {
        self.events
            .iter()
            .map(width)
            .max()
            .unwrap_or(0)
            .max(header.len())
    }
}

/// The first step of a lasso's cycle (see `check::replay`).
pub const CYCLE_STARTS: &str = "the cycle starts here";

/// Make `events` a lasso whose cycle is the steps after the first `from`: mark the
/// cycle's first step, and close it with a step that says where it leads back to. Returns
/// the livelock's message, `why` saying which fairness the cycle meets.
pub fn close_lasso(events: &mut Vec<Event>, from: usize, why: &str) -> String {
    let end = events.len();
    let first = &mut events[from];
    first.note = Some(match first.note.take() {
        Some(n) => format!("{CYCLE_STARTS}; {n}"),
        None => CYCLE_STARTS.to_owned(),
    });
    let thread = events[end - 1].thread.clone();
    events.push(Event {
        step: end + 1,
        thread,
        action: format!("cycle: back to the state before step {}", from + 1),
        accesses: vec![],
        note: Some(format!("steps {}–{end} repeat forever", from + 1)),
    });
    format!(
        "livelock: steps {}–{end} lead back to the state before step {} and can repeat forever ({why})",
        from + 1,
        from + 1
    )
}

fn starts_cycle(e: &Event) -> bool {
    e.note
        .as_deref()
        .is_some_and(|n| n.starts_with(CYCLE_STARTS))
}
