//! # multiprocessing's shared Value and Manager dict: two locked halves of one update
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
//! **The fixes**: `with v.get_lock(): v.value += 1` (the lock is recursive, so the getter
//! and setter inside take it again), and a manager `Lock` around the pair.
//!
//! **Abstracts**: processes are threads sharing the value; the RLock's recursion and the
//! proxy's RPC are elided: the inner get and set run under the outer lock.

use super::lost_update::{KEPT, LOST, PROPERTIES, ensure_all_kept};
use crate::model::*;
use crate::models::WORKERS;
use crate::rt::{self, Mutex, Shared, Var};

/// The names of the two halves and of the lock, in the API's own words.
struct Api {
    get: &'static str,
    set: &'static str,
    lock: &'static str,
    outer: &'static str,
}

const VALUE: Api = Api {
    get: "v.value (getter)",
    set: "v.value = (setter)",
    lock: "v._lock",
    outer: "with v.get_lock()",
};

const MANAGER: Api = Api {
    get: "d.__getitem__ (server)",
    set: "d.__setitem__ (server)",
    lock: "server",
    outer: "with manager_lock",
};

struct Store {
    lock: Mutex<()>,
    outer: Mutex<()>,
    value: Var,
}

fn increment(s: &Store, api: &Api, locked_pair: bool) {
    let outer = locked_pair.then(|| s.outer.lock(&format!("{}: acquire", api.outer)));
    let v = {
        let _held = s.lock.lock(&format!("{}: lock", api.get));
        s.value.read(&format!("{}: read", api.get))
    };
    // BUG when not `locked_pair`: another process may set the value here
    {
        let _held = s.lock.lock(&format!("{}: lock", api.set));
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
    claims: &[SeedClaim {
        id: "A3",
        stance: Stance::Refutes,
        why: "without get_lock() updates are lost; the seed's output of 2000 is luck",
    }],
    sources: VALUE_SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: LOST,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("mp-value-get-lock"),
    body: value,
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
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("mp-value"),
    body: value_get_lock,
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
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("mp-manager-dict-lock"),
    body: manager,
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
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("mp-manager-dict"),
    body: manager_lock,
};
