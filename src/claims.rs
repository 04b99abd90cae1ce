//! The seed claims page: every claim of the documents the project comes from
//! (`shared/reference/seed-claims.md`), with what the models say of it. Generated from
//! the models' data, so it cannot drift from them; a test compares it with the committed
//! `docs/seed-claims.md`.

use crate::model::{Model, Stance};
use std::fmt::Write as _;

/// Every seed claim, numbered as in seed-claims.md, in a few words of our own.
pub const SEED_CLAIMS: &[(&str, &str)] = &[
    (
        "R1",
        "every object carries a reference count and is freed when it reaches zero",
    ),
    (
        "R2",
        "changing the count is a critical section: two threads at once corrupt it",
    ),
    (
        "R3",
        "the exact interleaving: two threads read 2 and 3, store 1 and 2; the object leaks",
    ),
    (
        "R4",
        "the other outcome: the object dies while still in use",
    ),
    (
        "R5",
        "reference cycles never reach zero; a cycle collector is needed",
    ),
    (
        "G1",
        "one lock over the interpreter; only its holder runs bytecode",
    ),
    (
        "G2",
        "the GIL exists to make reference counting thread-safe",
    ),
    (
        "G3",
        "CPU-bound threads keep the GIL; I/O-bound threads give it back while they wait",
    ),
    (
        "G4",
        "the GIL is a phone booth with no queue: a waiting thread can starve",
    ),
    (
        "G5",
        "shared state is still a race hazard under the GIL (x = x + f() is not atomic)",
    ),
    ("G6", "CPU-bound work split over threads gets no speed-up"),
    (
        "A1",
        "a mutex per object: correct counts, but slow and deadlock-prone",
    ),
    (
        "A2",
        "multiprocessing gives real parallelism: one interpreter and GIL per process",
    ),
    (
        "A3",
        "multiprocessing.Value: v.value += 1 from two processes gives the full count",
    ),
    (
        "A4",
        "Manager().dict(): d['count'] += 1 from several processes gives the full count",
    ),
    (
        "A5",
        "Queue and Pipe pass messages instead of sharing memory",
    ),
    (
        "A6",
        "Cython nogil, PyPy and Jython are ways around the GIL",
    ),
];

/// What real CPython printed, where a program in `docs/python/` speaks to a claim: the
/// claim, the program, and one line of its output, verbatim (CPython 3.11.7 on a machine
/// with 2 cores). Kept by hand: the programs are run by hand, not by the tests.
pub const REAL_CPYTHON: &[(&str, &str, &str)] = &[
    (
        "G5",
        "docs/python/rmw_every_op.py",
        "x += 1, a check point before every bytecode: expected 100000, got 68786",
    ),
    (
        "G5",
        "docs/python/rmw_310.py",
        "x += 1: expected 400000, got 400000",
    ),
    (
        "G5",
        "docs/python/rmw_call.py",
        "x = x + one(): expected 400000, got 307411",
    ),
    (
        "G6",
        "docs/python/cpu_processes.py",
        "4 x count(20_000_000), serially: 1.74 s",
    ),
    (
        "G6",
        "docs/python/cpu_processes.py",
        "4 x count(20_000_000), 4 threads: 1.62 s",
    ),
    (
        "G6",
        "docs/python/cpu_threads.py",
        "4 x sha256 of 1 GiB, serially: 2.31 s",
    ),
    (
        "G6",
        "docs/python/cpu_threads.py",
        "4 x sha256 of 1 GiB, 4 threads: 1.15 s",
    ),
    (
        "A2",
        "docs/python/cpu_processes.py",
        "4 x count(20_000_000), serially: 1.74 s",
    ),
    (
        "A2",
        "docs/python/cpu_processes.py",
        "4 x count(20_000_000), Pool(2): 0.91 s",
    ),
    (
        "A3",
        "docs/python/mp_value.py",
        "v.value += 1: expected 40000, got 38464",
    ),
    (
        "A3",
        "docs/python/mp_value.py",
        "v.value += 1 under get_lock(): expected 40000, got 40000",
    ),
    (
        "A4",
        "docs/python/mp_manager.py",
        "d['count'] += 1: expected 4000, got 2393",
    ),
    (
        "A4",
        "docs/python/mp_manager.py",
        "d['count'] += 1 under a manager Lock: expected 4000, got 4000",
    ),
    (
        "A5",
        "docs/python/mp_queue.py",
        "q.put(1) from 2 processes, main adds: expected 40000, got 40000",
    ),
];

/// The "real CPython" cell of one claim: each program once, then the lines it printed.
fn real_cpython(id: &str) -> String {
    let mut programs: Vec<(&str, Vec<&str>)> = Vec::new();
    for &(claim, program, line) in REAL_CPYTHON {
        if claim != id {
            continue;
        }
        match programs.iter_mut().find(|(p, _)| *p == program) {
            Some((_, lines)) => lines.push(line),
            None => programs.push((program, vec![line])),
        }
    }
    programs
        .iter()
        .map(|(program, lines)| {
            let lines: Vec<String> = lines
                .iter()
                .map(|l| format!("`{}`", l.replace('|', "\\|")))
                .collect();
            format!("`{program}`: {}", lines.join("; "))
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn stance_word(s: Stance) -> &'static str {
    match s {
        Stance::Confirms => "confirms",
        Stance::Refutes => "refutes",
        Stance::Qualifies => "qualifies",
    }
}

/// The page, in Markdown.
pub fn page(models: &[&Model]) -> String {
    let mut out = format!(
        "# The seed claims and what the models say of them\n\n\
         Generated by `gilspec claims` from the models' data (each model names the claims it\n\
         confirms, refutes or qualifies; its verdicts are checked by `cargo test`). A claim is\n\
         *confirmed* when every model that speaks to it confirms it, *refuted* when one refutes\n\
         it, and *qualified* otherwise. The real CPython column is what CPython 3.11.7 printed\n\
         where a program in `docs/python/` shows the claim (run by hand on 2 cores, not by the\n\
         tests). The chapters tell each story: [reference counting](refcount.md),\n\
         [the GIL handoff](handoff.md), [what the GIL does not protect](bytecode.md),\n\
         [per-object locks](objlock.md), [biased reference counting](brc.md),\n\
         [multiprocessing](multiprocessing.md), [condition variables](condvar.md).\n\n\
         The cost column is what `cargo bench` measured on one machine (`docs/cost.json`, see\n\
         [what the designs cost](cost.md) for the full tables). {}\n\n\
         | claim | what the seed says | verdict | models | real CPython | measured cost |\n|---|---|---|---|---|---|\n",
        crate::cost::machine_line(&crate::cost::data())
    );
    for (id, text) in SEED_CLAIMS {
        let speaking: Vec<(&Model, Stance, &str)> = models
            .iter()
            .flat_map(|m| {
                m.claims
                    .iter()
                    .filter(|c| c.id == *id)
                    .map(move |c| (*m, c.stance, c.why))
            })
            .collect();
        let verdict = if speaking.is_empty() {
            "not modelled yet"
        } else if speaking.iter().any(|(_, s, _)| *s == Stance::Refutes) {
            "refuted"
        } else if speaking.iter().all(|(_, s, _)| *s == Stance::Confirms) {
            "confirmed"
        } else {
            "qualified"
        };
        let evidence: Vec<String> = speaking
            .iter()
            .map(|(m, s, why)| format!("`{}` {}: {}", m.id, stance_word(*s), why))
            .collect();
        let cost: Vec<String> = crate::cost::claim_figures(id)
            .iter()
            .map(|l| l.replace('|', "\\|"))
            .collect();
        let _ = writeln!(
            out,
            "| {id} | {text} | {verdict} | {} | {} | {} |",
            evidence.join("<br>"),
            real_cpython(id),
            cost.join("<br>")
        );
    }
    out
}
