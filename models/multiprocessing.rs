//! # multiprocessing's shared Value and Manager dict: two locked halves of one update
//!
//! (And, last in this file, `mp-queue`: the same count kept by passing messages instead
//! of sharing memory. It is `mp-value`'s twin in the other direction: `mp-value` shares
//! the counter and loses updates, `mp-queue` shares nothing and loses none.)
//!
//! **Question.** Seed claims A3 and A4 show `v.value += 1` on a `multiprocessing.Value`
//! and `d['count'] += 1` on a `Manager().dict()` from several processes as if they were
//! correct. Are they?
//!
//! **Steps.** `Value` wraps shared memory with a lock: the `value` getter takes the lock,
//! reads, releases it; the setter takes it, writes, releases it
//! (Lib/multiprocessing/sharedctypes.py, `make_property`; bpo-16998). A manager's dict
//! proxy turns `d[k] += 1` into a `__getitem__` call and a `__setitem__` call to the
//! manager's server, each atomic there, the pair not (Lib/multiprocessing/managers.py;
//! issue #137233). Either way `+= 1` is a locked read and then a locked write.
//!
//! **An interleaving that breaks it**: P1 gets 0; P2 gets 0 and sets 1; P1 sets 1. Two
//! increments, one kept.
//!
//! **The fixes**: `with v.get_lock(): v.value += 1` (`get_lock()` returns the very RLock
//! the getter and setter take, so inside they re-enter it), and a manager `Lock` around
//! the pair.
//!
//! **Abstracts**: processes are threads sharing the value; re-entering the RLock its
//! owner holds is a step that never waits (its count is not kept); the proxy's RPC is
//! elided: the server's get and set each run under the server's lock.
//!
//! **Seed claim A2** (processes run in parallel, one interpreter and one GIL each):
//! `mp-value` shows it from the other side. No lock is common to the processes' whole
//! read-modify-writes (each has its own GIL; only `v._lock` is shared, and only per half),
//! so their steps interleave freely, which is exactly how the update is lost.
//! `docs/python/cpu_processes.py` measures the speed-up on real CPython.

use super::lost_update::{KEPT, LOST, NO_LOST_UPDATE, PROPERTIES, ensure_all_kept};
use crate::prelude::*;

/// The names of the two halves and of the lock, in the API's own words.
struct Api {
    get: &'static str,
    set: &'static str,
    lock: &'static str,
    outer: &'static str,
    /// The outer lock is the halves' own lock, recursive (`Value.get_lock()` returns
    /// `v._lock`, an RLock: Lib/multiprocessing/sharedctypes.py, `synchronized`).
    outer_is_lock: bool,
}

const VALUE: Api = Api {
    get: "v.value (getter)",
    set: "v.value = (setter)",
    lock: "v._lock",
    outer: "with v.get_lock()",
    outer_is_lock: true,
};

const MANAGER: Api = Api {
    get: "d.__getitem__ (server)",
    set: "d.__setitem__ (server)",
    lock: "server",
    outer: "with manager_lock",
    outer_is_lock: false,
};

struct Store {
    lock: Mutex<()>,
    outer: Mutex<()>,
    value: Var,
}

fn increment(s: &Store, api: &Api, locked_pair: bool) {
    let outer_lock = if api.outer_is_lock { &s.lock } else { &s.outer };
    let outer = locked_pair.then(|| outer_lock.lock(&format!("{}: acquire", api.outer)));
    // Each half takes the lock, or re-enters it when this thread holds it already.
    let half = |what: &str| {
        if api.outer_is_lock && outer.is_some() {
            rt::step(&format!(
                "{what}: re-enter {} (an RLock this thread holds)",
                api.lock
            ));
            None
        } else {
            Some(s.lock.lock(&format!("{what}: lock")))
        }
    };
    let v = {
        let _held = half(api.get);
        s.value.read(&format!("{}: read", api.get))
    };
    // BUG when not `locked_pair`: another process may set the value here
    {
        let _held = half(api.set);
        s.value.write(&format!("{}: write", api.set), v + 1);
    }
    drop(outer);
}

fn run(threads: usize, api: &'static Api, locked_pair: bool) {
    let shared = Shared::new(Store {
        lock: Mutex::new(api.lock, ()),
        outer: Mutex::new(api.outer.trim_start_matches("with "), ()),
        value: Var::new("value", 0),
    });
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let s = shared.clone();
            rt::spawn(WORKERS[t], move || increment(&s, api, locked_pair))
        })
        .collect();
    for h in handles {
        h.join();
    }
    let v = shared.value.read("main: read value");
    ensure_all_kept(v, threads);
}

fn value(p: Params) {
    run(p.threads, &VALUE, false);
}
fn value_get_lock(p: Params) {
    run(p.threads, &VALUE, true);
}
fn manager(p: Params) {
    run(p.threads, &MANAGER, false);
}
fn manager_lock(p: Params) {
    run(p.threads, &MANAGER, true);
}

const VALUE_SOURCES: &[&str] = &[
    "Lib/multiprocessing/sharedctypes.py#make_property",
    "bpo-16998",
];
const MANAGER_SOURCES: &[&str] = &[
    "Lib/multiprocessing/managers.py#DictProxy",
    "python/cpython#137233",
];
const ABSTRACTS: &str =
    "Processes are threads sharing the value; RLock recursion and proxy RPCs are elided.";

pub const MP_VALUE: Model = Model {
    id: "mp-value",
    title: "multiprocessing.Value: v.value += 1",
    question: "Does `v.value += 1` from several processes keep every increment, when the getter and setter each lock separately?",
    claims: &[
        SeedClaim {
            id: "A3",
            stance: Stance::Refutes,
            why: "without get_lock() updates are lost; the seed's output of 2000 is luck",
        },
        SeedClaim {
            id: "A2",
            stance: Stance::Confirms,
            why: "nothing serialises the processes' read-modify-writes (a GIL each, no common lock): they interleave, which is why the update is lost",
        },
    ],
    sources: VALUE_SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: LOST,
    twin: Some("mp-value-get-lock"),
    body: value,
    ..Model::DEFAULT
};

pub const MP_VALUE_GET_LOCK: Model = Model {
    id: "mp-value-get-lock",
    title: "multiprocessing.Value under get_lock()",
    question: "With `with v.get_lock(): v.value += 1`, is every increment kept?",
    claims: &[SeedClaim {
        id: "A3",
        stance: Stance::Confirms,
        why: "the seed's remark that a lock is needed is right",
    }],
    sources: VALUE_SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: KEPT,
    twin: Some("mp-value"),
    body: value_get_lock,
    ..Model::DEFAULT
};

pub const MP_MANAGER_DICT: Model = Model {
    id: "mp-manager-dict",
    title: "Manager().dict(): d['count'] += 1",
    question: "Does `d['count'] += 1` on a manager dict proxy keep every increment?",
    claims: &[SeedClaim {
        id: "A4",
        stance: Stance::Refutes,
        why: "the get and the set are separate server calls; updates are lost",
    }],
    sources: MANAGER_SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: LOST,
    twin: Some("mp-manager-dict-lock"),
    body: manager,
    ..Model::DEFAULT
};

pub const MP_MANAGER_DICT_LOCK: Model = Model {
    id: "mp-manager-dict-lock",
    title: "Manager().dict() under a manager Lock",
    question: "With a manager Lock around `d['count'] += 1`, is every increment kept?",
    claims: &[SeedClaim {
        id: "A4",
        stance: Stance::Qualifies,
        why: "correct only with a lock around the pair",
    }],
    sources: MANAGER_SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: KEPT,
    twin: Some("mp-manager-dict"),
    body: manager_lock,
    ..Model::DEFAULT
};

// ---------------------------------------------------------------------------------------
// mp-queue: message passing

/// # mp-queue: every process sends its `+1` to main on a `multiprocessing.Queue`
///
/// **Question.** Seed claim A5: Queue and Pipe pass messages instead of sharing memory.
/// If each process sends its increment as a message and only main keeps the counter, is
/// every increment kept?
///
/// **Steps** (Lib/multiprocessing/queues.py). `Queue.put(obj)` appends to the process's
/// buffer under `_notempty` and wakes its feeder thread, which pickles the object and
/// writes it to the pipe under `_wlock` (`Queue._feed`). `Queue.get()` takes `_rlock` and
/// blocks in `_recv_bytes()` until a whole message can be read
/// (Lib/multiprocessing/connection.py, `Connection.recv_bytes`). Here the pipe is a ring
/// of message slots behind a mutex, and the blocking read a wait on a condition variable,
/// in a loop:
/// - worker (a process): lock the pipe; read `tail`; write its message (`1`) into slot
///   `tail`; `tail` += 1; signal `pipe.readable`; unlock.
/// - main, once per worker: lock the pipe; while `tail` equals its own `head`, wait on
///   `pipe.readable`; read slot `head`; unlock; `head` += 1 and `total` += the message, in
///   main's own memory.
///
/// **Why no interleaving breaks it**: the only shared state is the pipe, changed only
/// under its lock, and main's loop re-tests `tail` after every wakeup (so a spurious one
/// only sends it round again). The counter has one writer. Were the pipe unlocked, two
/// writers could fill one slot and main would add a message twice, or read an empty slot.
/// Its twin `mp-value` shares the counter instead, and loses updates.
///
/// **Abstracts**: processes are threads; the per-process buffer and feeder thread are
/// elided (a worker writes to the pipe itself, as its feeder does under `_wlock`); one
/// getter, so `_rlock` is elided and `head` is main's; a message is one `+1`, written and
/// read whole (a pipe write of at most PIPE_BUF bytes is atomic).
fn queue(p: Params) {
    let shared = Shared::new(Pipe {
        lock: Mutex::new("pipe", ()),
        readable: Condvar::new("pipe.readable"),
        tail: Var::new("pipe.tail", 0),
        slots: (0..p.threads)
            .map(|i| Var::new(&format!("pipe.slot[{i}]"), 0))
            .collect(),
    });
    let handles: Vec<_> = (0..p.threads)
        .map(|t| {
            let s = shared.clone();
            rt::spawn(WORKERS[t], move || {
                let _held = s.lock.lock("q.put(1): lock pipe");
                let tail = s.tail.read("q.put(1): read tail");
                s.slots[tail as usize].write("q.put(1): write message", 1);
                s.tail.write("q.put(1): tail += 1", tail + 1);
                s.readable.notify_one("q.put(1): signal pipe.readable");
            })
        })
        .collect();
    // Main's own memory: no other process sees it.
    let mut total = 0;
    for head in 0..p.threads as i64 {
        let mut held = shared.lock.lock("q.get(): lock pipe");
        while shared.tail.read("q.get(): test tail") == head {
            held = shared.readable.wait("q.get(): wait", held);
        }
        total += shared.slots[head as usize].read("q.get(): read message");
        drop(held);
        rt::step(&format!("main: total += message (now {total})"));
    }
    for h in handles {
        h.join();
    }
    ensure_all_kept(total, p.threads);
}

struct Pipe {
    lock: Mutex<()>,
    readable: Condvar,
    tail: Var,
    slots: Vec<Var>,
}

const QUEUE_PROPERTIES: &[Property] = &[
    PROPERTIES[0],
    Property {
        id: NO_DEADLOCK,
        claim: "main never waits forever for a message",
    },
];

/// Expected verdicts, spurious wakeups off or on (main waits in a loop): property,
/// checkers, 2 workers, 3 workers.
#[rustfmt::skip]
const QUEUE_EXPECT: &[Expect] = &[
    Expect { property: NO_LOST_UPDATE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LOST_UPDATE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DEADLOCK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

pub const MP_QUEUE: Model = Model {
    id: "mp-queue",
    title: "multiprocessing.Queue: each process sends +1, main adds",
    question: "If every process sends its increment as a message on a Queue and only main keeps the counter, is every increment kept?",
    claims: &[SeedClaim {
        id: "A5",
        stance: Stance::Confirms,
        why: "nothing but the pipe is shared, and it is changed only under its lock: every message arrives and no update is lost",
    }],
    sources: &[
        "Lib/multiprocessing/queues.py#Queue.put",
        "Lib/multiprocessing/queues.py#Queue._feed",
        "Lib/multiprocessing/queues.py#Queue.get",
        "Lib/multiprocessing/connection.py#Connection.recv_bytes",
    ],
    abstracts: "Processes are threads; the pipe is a ring of message slots behind a mutex with a condition variable; feeder threads and _rlock are elided; a message is one +1, written and read whole.",
    properties: QUEUE_PROPERTIES,
    expect: QUEUE_EXPECT,
    expect_spurious: QUEUE_EXPECT,
    // With three workers and spurious wakeups, bound 3 runs past loom's budget of 500,000
    // executions; bound 2 takes about 110,000.
    loom_bound: LoomBound {
        default: None,
        deep: Some(2),
    },
    twin: Some("mp-value"),
    body: queue,
    ..Model::DEFAULT
};
