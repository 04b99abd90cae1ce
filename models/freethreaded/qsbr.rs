//! # qsbr: freeing memory that lock-free readers may still hold (Python/qsbr.c)
//!
//! **Question.** In the free-threaded build a list's item array is read without the list's
//! lock (Objects/listobject.c#list_get_item_ref) while its owner may resize the list and
//! drop the old array. The old array is not freed at once: `_PyMem_FreeDelayed` tags it
//! with a goal of the write sequence, and it is freed only once `_Py_qsbr_poll` says every
//! attached thread has reported a quiescent state at or past that goal. Does that keep
//! every reader off freed memory, and is the array still freed in the end?
//!
//! **Steps** (Include/internal/pycore_qsbr.h, Python/qsbr.c; sequences start at 1 and go
//! up by 2, and 0 marks a detached thread):
//! - `_Py_qsbr_attach`: load `wr_seq` (acquire), store it in the thread's `seq` (seq_cst).
//! - `_Py_qsbr_quiescent_state`: the thread holds no pointer to shared memory that is not
//!   protected by a lock or a reference; load `wr_seq` (acquire), store it in `seq`
//!   (release).
//! - `_Py_qsbr_detach`: store 0 in `seq` (release).
//! - `_Py_qsbr_advance`: `wr_seq` += 2 (seq_cst fetch_add); the new value is the goal.
//! - `_Py_qsbr_poll(goal)`: `_Py_qbsr_goal_reached` loads `rd_seq`; if it is below the
//!   goal, `qsbr_poll_scan`: a seq_cst fence ("synchronise with the store in attach"),
//!   then the minimum of `wr_seq` and of every attached thread's `seq`, stored in `rd_seq`
//!   by a compare-exchange if it is larger; the goal is reached if it is at most `rd_seq`.
//!
//! **Program.** `list.ob_item` points to `items1`. The writer W (the list's owner,
//! `list_resize`) attaches, stores `items2` in `ob_item` (release), and hands `items1`
//! to `_PyMem_FreeDelayed` (Objects/obmalloc.c): advance, report its own quiescent
//! state, poll; freed now if the goal is reached, otherwise left in the queue with its
//! goal. W detaches and exits, abandoning what is left to the interpreter's queue
//! (`_PyMem_AbandonDelayed`). Each reader (R1; R2 in the deep suite) attaches, loads
//! `ob_item` (seq_cst, `_Py_atomic_load_ptr`), reads the array's first item, reports a
//! quiescent state and detaches. Main joins them all, attaches, processes the
//! interpreter's queue (`_PyMem_ProcessDelayed`: poll, free) and frees the list.
//!
//! **Why it holds.** A reader that holds `items1` either attached before W's scan, and
//! then W's scan sees its `seq` below the goal until it reports a quiescent state (whose
//! release store, read by the scan, orders its read of `items1` before the free); or W's
//! scan sees it detached, and then the two seq_cst fences (W's in the scan, the reader's
//! after attaching) make the reader's load of `ob_item` see `items2`.
//!
//! **Twins.**
//! - `qsbr-no-scan-fence`: `qsbr_poll_scan` without its fence. Nothing then orders W's
//!   scan against R1's attach: W's scan may read R1's `seq` as 0 (detached) while R1's
//!   load of `ob_item` returns `items1` (store buffering, which C11 allows unless both
//!   sides have a seq_cst fence). W frees `items1` and R1 reads it. loom finds it with no
//!   preemption: its shortest trace runs W to the end, then lets R1 attach with the stale
//!   `wr_seq` 1 and load the stale `items1` (and loom reports the data race on the freed
//!   array too). Shuttle is sequentially consistent: a load returns the latest store, so
//!   a reader that attaches after W's store of `items2` loads `items2`, and one that
//!   attached before W's scan is seen by it. Its rows hold.
//! - `qsbr-goal-early`: the poll accepts `rd_seq` one step short of the goal. R1 attached
//!   at 1 and holding `items1` no longer holds W back after its advance to 3: every
//!   checker finds the use after free.
//!
//! **Abstracts**: one list, one slot; the item array is a heap object whose first item is
//! a field; W is the only writer (the list's lock is left out). `_PyMem_FreeDelayed`
//! advances at every call (`_Py_qsbr_deferred_advance` does so only every tenth time and
//! otherwise sets a goal one step ahead). The seq_cst store in `_Py_qsbr_attach` and the
//! reader's seq_cst load of `ob_item` are written with a seq_cst fence between them:
//! loom models seq_cst accesses as acquire/release (the checkers brief, §1.3), and C11
//! forbids the store buffering outcome here for the pair of seq_cst accesses just as for
//! the fence. The steps are those of CPython's main branch; QSBR exists since 3.13, the
//! first release with the free-threaded build.

use crate::prelude::*;
use Ordering::*;

const OFFLINE: i64 = 0;
const INITIAL: i64 = 1;
const INCR: i64 = 2;

/// The slot's values: which item array `list.ob_item` points to.
const ITEMS1: i64 = 1;
const ITEMS2: i64 = 2;

const WAITED: Situation =
    Situation("W's poll found the goal not reached while a reader held items1");
const FREED_PAST_READER: Situation =
    Situation("W freed items1 at once, its scan having seen an attached reader past the goal");
const FREED_LATER: Situation =
    Situation("items1 waited in the queue and main freed it after the threads detached");

#[derive(Clone, Copy)]
struct Variant {
    /// `qsbr_poll_scan` begins with a seq_cst fence.
    scan_fence: bool,
    /// The poll accepts a read sequence one step short of the goal.
    goal_early: bool,
}

const CPYTHON: Variant = Variant {
    scan_fence: true,
    goal_early: false,
};

struct Qsbr {
    wr_seq: Atomic,
    rd_seq: Atomic,
    /// Each thread's `seq`, with the thread's name: W, the readers, then main.
    seqs: Vec<(String, Atomic)>,
    variant: Variant,
}

impl Qsbr {
    fn slot(&self, me: usize) -> &Atomic {
        &self.seqs[me].1
    }

    /// Python/qsbr.c#_Py_qsbr_attach
    fn attach(&self, me: usize) {
        let seq = self.wr_seq.load("_Py_qsbr_attach: load wr_seq", Acquire);
        self.slot(me)
            .store("_Py_qsbr_attach: store seq", seq, SeqCst);
        // The seq_cst store above and the seq_cst loads that follow it: loom models both
        // as acquire/release, so C11's ordering of the pair against the scan's fence is
        // written as the fence it implies here. (Without it loom reports a use after free
        // that C11 forbids: a reader's load of ob_item passing its own attach.)
        fence(SeqCst);
    }

    /// Include/internal/pycore_qsbr.h#_Py_qsbr_quiescent_state
    fn quiescent_state(&self, me: usize) {
        let seq = self
            .wr_seq
            .load("_Py_qsbr_quiescent_state: load wr_seq", Acquire);
        self.slot(me)
            .store("_Py_qsbr_quiescent_state: store seq", seq, Release);
    }

    /// Python/qsbr.c#_Py_qsbr_detach
    fn detach(&self, me: usize) {
        self.slot(me)
            .store("_Py_qsbr_detach: seq = OFFLINE", OFFLINE, Release);
    }

    /// Python/qsbr.c#_Py_qsbr_advance: the new write sequence is the goal.
    fn advance(&self) -> i64 {
        self.wr_seq
            .fetch_add("_Py_qsbr_advance: wr_seq += 2", INCR, SeqCst)
            + INCR
    }

    fn reached(&self, goal: i64, rd_seq: i64) -> bool {
        let short = if self.variant.goal_early { INCR } else { 0 }; // BUG (qsbr-goal-early) when INCR
        goal <= rd_seq + short
    }

    /// Python/qsbr.c#_Py_qsbr_poll. Returns whether the goal is reached, and whether the
    /// scan saw a reader (not W, not main) attached at or past the goal.
    fn poll(&self, goal: i64) -> (bool, bool) {
        let rd_seq = self
            .rd_seq
            .load("_Py_qbsr_goal_reached: load rd_seq", SeqCst);
        if self.reached(goal, rd_seq) {
            return (true, false);
        }
        // qsbr_poll_scan
        if self.variant.scan_fence {
            fence(SeqCst);
        } // BUG (qsbr-no-scan-fence) without it: a scan may miss a thread that has attached
        let mut min = self.wr_seq.load("qsbr_poll_scan: load wr_seq", SeqCst);
        let mut reader_past = false;
        let last = self.seqs.len() - 1;
        for (i, (name, seq)) in self.seqs.iter().enumerate() {
            // A row of its own in grouped traces: what the scan saw of each thread.
            let s = seq.load(&format!("qsbr_poll_scan ({name}): load seq"), SeqCst);
            if s != OFFLINE && s < min {
                min = s;
            }
            if s != OFFLINE && s >= goal && i != 0 && i != last {
                reader_past = true;
            }
        }
        let mut rd_seq = self.rd_seq.load("qsbr_poll_scan: load rd_seq", SeqCst);
        if rd_seq < min {
            // A failed exchange means another thread raised it: fine.
            let _ = self.rd_seq.compare_exchange(
                "qsbr_poll_scan: CAS rd_seq",
                rd_seq,
                min,
                SeqCst,
                SeqCst,
            );
            rd_seq = min;
        }
        let reached = self.reached(goal, rd_seq);
        (reached, reached && reader_past)
    }
}

struct List {
    qsbr: Qsbr,
    /// `list.ob_item`: ITEMS1 or ITEMS2.
    ob_item: Atomic,
    items1: Obj,
    items1_item: Var,
    items2: Obj,
    items2_item: Var,
    /// The interpreter's queue of delayed frees: the goal of items1, or 0 if empty.
    queue: Var,
    /// Ghost: how many readers hold a pointer to items1 (loaded, not yet quiescent).
    holding: Ghost,
}

impl List {
    /// Objects/listobject.c#list_resize on the writer's side, then
    /// Objects/obmalloc.c#_PyMem_FreeDelayed and `_PyMem_ProcessDelayed` for items1.
    fn writer(&self) {
        let q = &self.qsbr;
        q.attach(0);
        // W is the only writer: it finds items1.
        self.ob_item.load("list_resize: load ob_item", Relaxed);
        self.ob_item
            .store("list_resize: store ob_item = items2", ITEMS2, Release);
        object::drop_ref(self.items1); // the list no longer holds it
        let goal = q.advance();
        q.quiescent_state(0);
        let (reached, past_reader) = q.poll(goal);
        if reached {
            object::free(self.items1, "_PyMem_ProcessDelayed: free items1");
            if past_reader {
                rt::reach(FREED_PAST_READER);
            }
        } else {
            if self.holding.get() > 0 {
                rt::reach(WAITED);
            }
            self.queue
                .write("_PyMem_AbandonDelayed: queue items1 with its goal", goal);
        }
        q.detach(0);
    }

    /// Objects/listobject.c#list_get_item_ref from a thread that is not the list's owner.
    fn reader(&self, me: usize) {
        let q = &self.qsbr;
        q.attach(me);
        let items = self.ob_item.load("list_get_item_ref: load ob_item", SeqCst);
        if items == ITEMS1 {
            self.holding.add(1);
            self.items1_item.read("list_get_item_ref: read items1[0]");
        } else {
            self.items2_item.read("list_get_item_ref: read items2[0]");
        }
        q.quiescent_state(me);
        if items == ITEMS1 {
            self.holding.add(-1);
        }
        q.detach(me);
    }
}

fn run(p: Params, variant: Variant) {
    let readers = p.threads - 1;
    let items1 = object::alloc("items1", 1);
    let items2 = object::alloc("items2", 1);
    // Each thread's `_qsbr_thread_state.seq`, named after its thread.
    let mut seqs = vec![("W".to_owned(), Atomic::new("qsbr_W.seq", OFFLINE))];
    for r in 1..=readers {
        seqs.push((
            format!("R{r}"),
            Atomic::new(&format!("qsbr_R{r}.seq"), OFFLINE),
        ));
    }
    seqs.push(("main".to_owned(), Atomic::new("qsbr_main.seq", OFFLINE)));
    let list = Shared::new(List {
        qsbr: Qsbr {
            wr_seq: Atomic::new("wr_seq", INITIAL),
            rd_seq: Atomic::new("rd_seq", INITIAL),
            seqs,
            variant,
        },
        ob_item: Atomic::new("list.ob_item", ITEMS1),
        items1,
        items1_item: Var::field(items1, "item0", 7),
        items2,
        items2_item: Var::field(items2, "item0", 7),
        queue: Var::new("interp.mem_free_queue", 0),
        holding: Ghost::new(0),
    });
    let w = list.clone();
    let mut handles = vec![rt::spawn("W", move || w.writer())];
    for r in 1..=readers {
        let l = list.clone();
        handles.push(rt::spawn(&format!("R{r}"), move || l.reader(r)));
    }
    for h in handles {
        h.join();
    }
    // Objects/obmalloc.c#_PyMem_ProcessDelayed on the interpreter's queue, from main.
    let q = &list.qsbr;
    let me = q.seqs.len() - 1;
    let goal = list.queue.read("_PyMem_ProcessDelayed: load the queue");
    if goal != 0 {
        q.attach(me);
        // Every other thread has detached: the goal is reached.
        if q.poll(goal).0 {
            list.queue.write("_PyMem_ProcessDelayed: pop items1", 0);
            object::free(list.items1, "_PyMem_ProcessDelayed: free items1");
            rt::reach(FREED_LATER);
        }
        q.detach(me);
    }
    object::drop_ref(list.items2);
    object::free(list.items2, "list_dealloc: free items2");
}

fn qsbr(p: Params) {
    run(p, CPYTHON);
}

fn no_scan_fence(p: Params) {
    run(
        p,
        Variant {
            scan_fence: false,
            ..CPYTHON
        },
    );
}

fn goal_early(p: Params) {
    run(
        p,
        Variant {
            goal_early: true,
            ..CPYTHON
        },
    );
}

const PROPERTIES: &[Property] = crate::models::refcount::PROPERTIES_WITH_RACES;

const SOURCES: &[&str] = &[
    "Python/qsbr.c#_Py_qsbr_attach",
    "Python/qsbr.c#_Py_qsbr_detach",
    "Python/qsbr.c#_Py_qsbr_advance",
    "Python/qsbr.c#_Py_qsbr_poll",
    "Python/qsbr.c#qsbr_poll_scan",
    "Include/internal/pycore_qsbr.h#_Py_qsbr_quiescent_state",
    "Include/internal/pycore_qsbr.h#_Py_qbsr_goal_reached",
    "Objects/obmalloc.c#_PyMem_FreeDelayed",
    "Objects/obmalloc.c#_PyMem_ProcessDelayed",
    "Objects/listobject.c#list_resize",
    "Objects/listobject.c#list_get_item_ref",
    "colesbury/c11-model-checker test/qsbr.c",
];

const ABSTRACTS: &str = "One list whose item array W replaces; the array's first item is a field; W is the only writer (the list's lock is left out); every delayed free advances the write sequence; the seq_cst store of attach and the reader's seq_cst load are written with a seq_cst fence between them (loom models seq_cst accesses as acquire/release).";

/// Exhaustive with two workers (1,170 executions for `qsbr`, 3,174 for the twin without
/// the fence). With three (two readers), 3 preemptions take 99,779 executions and 40 s a
/// row on `qsbr-no-scan-fence` (19,538 on `qsbr`); 2 take 13,282 and 2,594. The stateful
/// search beside decides every row under sequential consistency (36,274 states).
const DEEP_BOUND_2: LoomBound = LoomBound {
    default: None,
    deep: Some(2),
};

pub const QSBR: Model = Model {
    id: "qsbr",
    title: "QSBR: an item array freed once every attached reader has passed the goal",
    question: "If a list's owner replaces its item array while other threads read it without a lock, and frees the old array only when _Py_qsbr_poll says every attached thread has passed the goal, can a reader touch freed memory, and is the old array always freed?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: crate::models::refcount::ALL_HOLD_WITH_RACES,
    expect_spurious: &[],
    loom_bound: DEEP_BOUND_2,
    scenarios: &[],
    twin: Some("qsbr-no-scan-fence"),
    situations: &[WAITED, FREED_PAST_READER, FREED_LATER],
    body: qsbr,
};

pub const NO_SCAN_FENCE: Model = Model {
    id: "qsbr-no-scan-fence",
    title: "QSBR without the seq_cst fence in qsbr_poll_scan",
    question: "Without the fence at the start of qsbr_poll_scan, can the writer's scan miss a reader that has attached and loaded the old array, and free it under the reader?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: NO_SCAN_FENCE_EXPECT,
    expect_spurious: &[],
    loom_bound: DEEP_BOUND_2,
    scenarios: &[],
    twin: Some("qsbr"),
    // Shuttle's rows hold (see the header): these show its runs got where the bug is.
    situations: &[WAITED, FREED_PAST_READER, FREED_LATER],
    body: no_scan_fence,
};

pub const GOAL_EARLY: Model = Model {
    id: "qsbr-goal-early",
    title: "QSBR with a poll that accepts a read sequence one step short of the goal",
    question: "If _Py_qsbr_poll reported the goal reached one step early, would a reader still holding the old array see it freed?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: GOAL_EARLY_EXPECT,
    expect_spurious: &[],
    loom_bound: DEEP_BOUND_2,
    scenarios: &[],
    twin: Some("qsbr"),
    situations: &[],
    body: goal_early,
};

#[rustfmt::skip]
const NO_SCAN_FENCE_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    // Sequentially consistent: a scan after a reader's attach sees its seq, so the bug
    // is out of shuttle's reach.
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SHUTTLE, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    // The race needs the same stale read as the use after free: out of shuttle's reach.
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const GOAL_EARLY_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];
