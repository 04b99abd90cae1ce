//! `check::walk`, what `gilspec explore` runs: clicking through a model as a person would
//! reaches the checkers' counterexample and its violation; looking back at a point of a
//! path is walking to it; the state shown is the runtime's; a choice the model does not
//! allow is refused with a reason.

use gilspec::check::walk::{Choice, Path, Refusal, View, Walker};
use gilspec::check::{self, Limits, Schedule};
use gilspec::model::{Checker, Params};
use gilspec::report::{self, Replay};
use gilspec::trace::Event;
use gilspec::{models, runtime};
use std::sync::OnceLock;

const MODEL: &str = "gil-handoff-no-force-switch";
const PROPERTY: &str = "requester_gets_gil_before_dropper_retakes_it";

fn walker(model: &str, property: &str, spurious: bool) -> Walker {
    let model = models::find(model).expect("a model");
    Walker::new(
        report::body(model, Params::DEFAULT.with_spurious(spurious)),
        property,
        spurious,
    )
}

fn path(s: &str) -> Path {
    match Path::parse(s).expect("a schedule") {
        Schedule::Shuttle {
            tasks,
            events,
            cycle,
        } => Path {
            tasks,
            events,
            cycle,
        },
        other => panic!("{other} is not a shuttle schedule"),
    }
}

/// A checker's counterexample for PROPERTY: its replay string and its steps (the
/// stateful search's is searched for once: it takes a couple of seconds).
fn counterexample(checker: Checker) -> (Replay, Vec<Event>) {
    static DFS: OnceLock<(Replay, Vec<Event>)> = OnceLock::new();
    let search = || {
        let model = models::find(MODEL).unwrap();
        let row = report::check_row(
            model,
            PROPERTY,
            checker,
            Params::DEFAULT,
            &Limits::default(),
        );
        let failure = report::failure(&row).expect("the property is violated");
        (row.replay().unwrap(), failure.trace.events.clone())
    };
    match checker {
        Checker::ShuttleDfs => DFS.get_or_init(search).clone(),
        _ => search(),
    }
}

fn step_texts(events: &[Event]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| (e.thread.clone(), e.action.clone(), e.effect()))
        .collect()
}

fn view_texts(view: &View) -> Vec<(String, String, String)> {
    view.steps
        .iter()
        .filter(|s| s.click <= view.at)
        .map(|s| (s.thread.clone(), s.action.clone(), s.effect.clone()))
        .collect()
}

/// The click a person reproducing `want` by hand would make at `view`: the button of the
/// thread of the next step whose steps are the next ones.
fn button_for<'a>(view: &'a View, want: &[(String, String, String)]) -> Option<&'a Choice> {
    let n = view_texts(view).len();
    view.choices.iter().filter(|c| c.kind == "step").find(|c| {
        !c.steps.is_empty()
            && c.steps.iter().enumerate().all(|(i, (action, effect))| {
                want.get(n + i)
                    .is_none_or(|w| (&w.0, &w.1, &w.2) == (&c.thread, action, effect))
            })
    })
}

/// Walk to the end of `want` by hand, from the start: the paths after each click.
fn walk_by_hand(w: &Walker, want: &[(String, String, String)]) -> Vec<Path> {
    let mut paths = vec![Path::default()];
    loop {
        let here = paths.last().unwrap();
        let view = w.view(here, None).expect("the walk so far is the model's");
        if view.end.is_some() {
            return paths;
        }
        let n = view_texts(&view).len();
        assert!(
            n < want.len(),
            "walked all {n} steps of the counterexample and no violation"
        );
        let choice = button_for(&view, want).unwrap_or_else(|| {
            panic!(
                "no choice takes step {} ({:?}); offered: {:?}",
                n + 1,
                want[n],
                view.choices
            )
        });
        // The same click asked for by thread and wait event alone.
        let event = matches!(choice.wait, Some("times out" | "wakes spuriously"));
        let stepped = w
            .step(here, &choice.thread, event)
            .expect("an enabled choice");
        assert_eq!(stepped, path(&choice.path), "{choice:?}");
        paths.push(stepped);
    }
}

#[test]
fn clicking_a_counterexample_step_by_step_reproduces_its_violation() {
    let (replay, events) = counterexample(Checker::ShuttleDfs);
    let want = step_texts(&events);
    let w = walker(MODEL, "*", false);
    let paths = walk_by_hand(&w, &want);
    let last = paths.last().unwrap();
    let view = w.view(last, None).unwrap();

    // The same steps, the same violation, the page's words for it.
    assert_eq!(view_texts(&view), want);
    let end = view.end.as_ref().unwrap();
    assert_eq!(end.kind, "violation");
    assert_eq!(end.property.as_deref(), Some(PROPERTY));
    assert_eq!(
        end.message,
        "A dropped the GIL because another thread asked for it, then took it back first"
    );
    assert!(view.choices.is_empty(), "nothing moves after the end");
    let clicks = paths.len() - 1;
    assert_eq!(view.clicks.len(), clicks);
    assert!(
        clicks < want.len(),
        "{clicks} clicks for {} steps: a click takes a step and what no other thread needs to interleave with",
        want.len()
    );
    // One of B's waits timed out, as the checker's string says (`:w0`).
    assert_eq!(last.events, vec![0]);
    assert!(
        view.clicks
            .iter()
            .any(|c| c.thread == "B" && c.event == Some("timed out"))
    );

    // What the walk reached is one of the checker's executions: its schedule replays to
    // the same violation.
    let model = models::find(MODEL).unwrap();
    let schedule: Schedule = Path::parse(&last.to_string()).unwrap();
    let run = check::replay(
        &report::body(model, replay.params),
        PROPERTY,
        &Limits::default(),
        &schedule,
    )
    .expect("the walked path is a schedule of the model");
    let failure = run.failure.expect("it violates the property");
    assert_eq!(failure.violation.property, PROPERTY);
    assert_eq!(step_texts(&failure.trace.events), want);
}

#[test]
fn looking_back_at_a_point_of_a_path_is_walking_to_it() {
    let (_, events) = counterexample(Checker::ShuttleDfs);
    let w = walker(MODEL, "*", false);
    let paths = walk_by_hand(&w, &step_texts(&events));
    let whole = paths.last().unwrap();
    let end = w.view(whole, None).unwrap();
    for (k, walked) in paths.iter().enumerate() {
        let back = w.view(whole, Some(k)).unwrap();
        let there = w.view(walked, None).unwrap();
        assert_eq!(back.at, k);
        // The same, but that the whole path's later threads are there, not started yet.
        let mut later = back.state.clone();
        later.threads.retain(|t| {
            t.status != "not started" || there.state.threads.iter().any(|u| u.name == t.name)
        });
        assert_eq!(later, there.state, "the state after click {k}");
        assert_eq!(
            view_texts(&back),
            view_texts(&there),
            "the steps to click {k}"
        );
        assert_eq!(back.clicks, end.clicks, "the whole path stays in view");
        assert_eq!(back.steps, end.steps);
        // Going on from there along the path: exactly one choice does, the next click.
        let on: Vec<&Choice> = back
            .choices
            .iter()
            .filter(|c| c.on_path && c.kind == "step")
            .collect();
        match paths.get(k + 1) {
            Some(next) => {
                assert_eq!(on.len(), 1, "after click {k}: {on:?}");
                assert_eq!(path(&on[0].path), *next);
            }
            None => assert!(back.choices.is_empty()),
        }
    }
    assert!(
        w.view(whole, Some(paths.len())).is_err(),
        "no point after the last click"
    );
}

#[test]
fn the_state_shown_is_the_runtimes() {
    let (_, events) = counterexample(Checker::ShuttleDfs);
    let w = walker(MODEL, "*", false);
    let paths = walk_by_hand(&w, &step_texts(&events));

    // At the start only main exists, and it can run.
    let start = w.view(&paths[0], None).unwrap();
    assert_eq!(start.threads, ["main"]);
    assert_eq!(start.state.threads[0].status, "can run");
    assert!(start.choices.iter().all(|c| c.thread == "main"));

    // At every point of the walk the runtime's lock holder and values are what the trace
    // so far implies: the last thread that took gil.mutex and has not let it go, the last
    // value written to each variable.
    let mut took = [false, false];
    for p in &paths {
        let view = w.view(p, None).unwrap();
        let mut holder: Option<&str> = None;
        let mut values = std::collections::BTreeMap::new();
        for s in &view.steps {
            if s.effect.contains("holds gil.mutex") {
                holder = Some(&s.thread);
            }
            if s.effect.contains("releases gil.mutex") || s.effect.contains("releasing gil.mutex") {
                holder = None;
            }
            for part in s.effect.split("; ") {
                if let Some((var, change)) = part.split_once(' ')
                    && let Some((_, after)) = change.split_once(" → ")
                {
                    values.insert(var.to_owned(), after.parse::<i64>().unwrap());
                }
            }
        }
        let at = view.steps.len();
        assert_eq!(
            view.state.locks.get("gil.mutex").map(String::as_str),
            holder,
            "who holds gil.mutex after step {at}"
        );
        for t in &view.state.threads {
            let holds = holder == Some(t.name.as_str());
            assert_eq!(t.holds.contains(&"gil.mutex".to_owned()), holds, "{t:?}");
            if holds {
                took[usize::from(t.name == "B")] = true;
            }
        }
        for (var, value) in values {
            assert_eq!(
                view.state.values.get(&var),
                Some(&value),
                "{var} after step {at}"
            );
        }
    }
    assert_eq!(
        took,
        [true, true],
        "both workers held gil.mutex at some point"
    );

    // main waits for A to finish; at the end A holds the GIL it took back.
    let end = w.view(paths.last().unwrap(), None).unwrap();
    let main = &end.state.threads[0];
    assert_eq!(
        (main.status, main.waits.as_deref()),
        ("blocked", Some("joins A"))
    );
    assert_eq!(end.state.values["locked"], 1);
    assert_eq!(end.state.values["last_holder"], 1, "A, thread 1, holds it");
}

#[test]
fn a_wait_that_may_time_out_or_wake_spuriously_is_a_choice_both_ways() {
    let (_, events) = counterexample(Checker::ShuttleDfs);
    let w = walker(MODEL, "*", false);
    let paths = walk_by_hand(&w, &step_texts(&events));
    // Somewhere B's next click is its timed wait on gil.cond: two buttons.
    let pair: Vec<Choice> = paths
        .iter()
        .map(|p| w.view(p, None).unwrap())
        .flat_map(|v| v.choices)
        .filter(|c| c.thread == "B" && c.kind == "step" && c.wait.is_some())
        .take(2)
        .collect();
    let ways: Vec<Option<&str>> = pair.iter().map(|c| c.wait).collect();
    assert_eq!(ways, [Some("sleeps"), Some("times out")]);
    assert!(pair[1].path.ends_with(":w0"), "{}", pair[1].path);
    assert!(
        pair[0]
            .steps
            .iter()
            .any(|(_, effect)| effect.contains("with a timeout")),
        "the sleeping way sleeps with a timeout: {:?}",
        pair[0].steps
    );

    // With spurious wakeups on, an untimed wait wakes spuriously or sleeps.
    let w = walker("condvar-wait-once", "*", true);
    let mut p = Path::default();
    let found = loop {
        let v = w.view(&p, None).unwrap();
        if let Some(c) = v
            .choices
            .iter()
            .find(|c| c.wait == Some("wakes spuriously"))
        {
            break c.clone();
        }
        let c = v
            .choices
            .iter()
            .find(|c| c.kind == "step" && c.thread != "main")
            .or(v.choices.first())
            .expect("something can move before the wait");
        p = path(&c.path);
    };
    // The consumer that woke spuriously goes on and breaks the model's property.
    let mut p = path(&found.path);
    let end = loop {
        let v = w.view(&p, None).unwrap();
        if let Some(end) = v.end {
            break end;
        }
        p = path(
            &v.choices
                .iter()
                .find(|c| c.thread == "A")
                .unwrap_or(&v.choices[0])
                .path,
        );
    };
    assert_eq!(
        end.property.as_deref(),
        Some("consumer_sees_ready"),
        "{end:?}"
    );
}

#[test]
fn a_loom_counterexample_is_walked_under_shuttle() {
    let (replay, events) = counterexample(Checker::Loom);
    assert!(matches!(replay.schedule, Schedule::Loom { .. }));
    let w = walker(MODEL, PROPERTY, false);
    let walked = w
        .path_of(&replay.schedule)
        .expect("loom's execution is sequentially consistent");
    let view = w.view(&walked, None).unwrap();
    assert_eq!(view_texts(&view), step_texts(&events));
    assert_eq!(view.end.unwrap().property.as_deref(), Some(PROPERTY));
}

#[test]
fn a_choice_the_model_does_not_allow_is_refused() {
    let w = walker(MODEL, "*", false);
    let start = Path::default();
    let not = |r: Result<Path, Refusal>, mentions: &[&str]| match r {
        Err(Refusal::NotAnExecution(m)) => {
            for s in mentions {
                assert!(m.contains(s), "{m:?} should mention {s:?}");
            }
        }
        other => panic!("{other:?}: expected a refusal mentioning {mentions:?}"),
    };
    // Only main exists at the start.
    not(w.step(&start, "A", false), &["A cannot move here", "main"]);
    not(w.step(&start, "nobody", false), &["cannot move here"]);
    // main's first click makes no wait that could time out.
    not(w.step(&start, "main", true), &["no wait that may time out"]);

    // A path naming a task that does not exist, or cannot run there.
    let view = |p: &str, at: Option<usize>| w.view(&path(p), at).map(|v| v.path);
    not(
        view("shuttle:0.5", None).map(|s| path(&s)),
        &["choice 2", "task 5"],
    );
    let blocked = w.view(&start, None).unwrap();
    let run = blocked
        .choices
        .iter()
        .find(|c| c.kind == "run")
        .expect("main runs until it blocks");
    assert_eq!(run.then.as_deref(), Some("blocks: joins A"));
    let mut tasks = path(&run.path).tasks;
    tasks.push(0);
    let blocked_main = Path {
        tasks,
        ..Path::default()
    };
    not(
        w.view(&blocked_main, None).map(|v| path(&v.path)),
        &["task 0 (main), which cannot run there", "tasks that can"],
    );

    // The counterexample's path, longer than its execution (a recorded schedule may name
    // the scheduling points its violation passes as it unwinds, but not fifty); looked at
    // past its last click; with a wait event that never comes.
    let (replay, _) = counterexample(Checker::ShuttleDfs);
    let Schedule::Shuttle { tasks, events, .. } = replay.schedule else {
        unreachable!()
    };
    let mut longer = tasks.clone();
    longer.extend([1; 50]);
    let longer = Path {
        tasks: longer,
        events: events.clone(),
        cycle: None,
    };
    not(
        w.view(&longer, None).map(|v| path(&v.path)),
        &["makes", "but the execution ends after"],
    );
    let exact = Path {
        tasks: tasks.clone(),
        events: events.clone(),
        cycle: None,
    };
    let clicks = w.view(&exact, None).unwrap().clicks.len();
    not(
        w.view(&exact, Some(clicks + 1)).map(|v| path(&v.path)),
        &[&format!("has {clicks} clicks")],
    );
    let never = Path {
        tasks,
        events: vec![0, 7],
        cycle: None,
    };
    not(
        w.view(&never, None).map(|v| path(&v.path)),
        &["wait event 7 never comes"],
    );

    // Longer than shuttle lets any execution run: refused before running.
    let huge = Path {
        tasks: vec![0; w.max_choices() + 1],
        ..Path::default()
    };
    assert!(matches!(w.view(&huge, None), Err(Refusal::Malformed(_))));

    // A loom execution that does not exist.
    let missing = Schedule::parse("loom:pb0:e999999").unwrap();
    assert!(matches!(
        walker(MODEL, PROPERTY, false).path_of(&missing),
        Err(Refusal::NotAnExecution(_))
    ));
    assert_eq!(
        runtime::builtin::ANY,
        "*",
        "a walk arms every property with *"
    );
}
