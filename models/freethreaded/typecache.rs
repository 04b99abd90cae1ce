//! # typecache: the type attribute cache read without a lock (Objects/typeobject.c)
//!
//! **Question.** In the free-threaded build `_PyType_Lookup` reads the interpreter's type
//! cache without a lock. An entry is a version, a name and a borrowed value, guarded by a
//! sequence lock (Python/lock.c): a writer makes the sequence odd, stores the fields and
//! makes it even again; a reader notes an even sequence, reads the fields and checks the
//! sequence has not moved. Two bugs of this code were memory-ordering bugs, each fixed by
//! one line. Does the cache as CPython has it return only consistent entries, and what
//! did each line prevent?
//!
//! **Steps** (Python/lock.c, Objects/typeobject.c):
//! - `_PySeqLock_LockWrite`: load the sequence (relaxed); compare-exchange it to odd
//!   (seq_cst); a release fence. `_PySeqLock_UnlockWrite`: store the sequence + 1
//!   (seq_cst).
//! - `update_cache` (under the lock, `update_cache_gil_disabled`): store the value and
//!   the name (relaxed), then the version last (release).
//! - `_PySeqLock_BeginRead`: load the sequence (acquire). `_PySeqLock_EndRead`: an
//!   acquire fence, then load the sequence (relaxed): the read is good if it is unchanged.
//! - the lookup (`_PyType_LookupStackRefAndVersion`): BeginRead; load the entry's
//!   version (acquire) and the type's `tp_version_tag` (acquire); if they match and the
//!   name is the one looked up, load the value (relaxed) and take a reference to it
//!   (`_Py_TryXGetStackRef`); EndRead; a changed sequence discards it.
//!
//! **Two programs.** `typecache-seqlock`: the entry caches `v1` for `n1` at version 100.
//! W modifies the type (`tp_version_tag` = 101, relaxed) and, under the sequence lock,
//! fills the entry with `v2` for `n2` at 101; R looks up `n1`. The answer is `v1` or a
//! miss, never `v2`. `typecache-version-last`: the type's attribute was replaced (version
//! 2), its old value `O` deallocated, and the entry still holds `O` at version 1; W fills
//! it with `N` at version 2; R looks the name up. R must never operate on `O`.
//!
//! **Twins.**
//! - `typecache-seqlock-no-fence` (gh-121368, seen on arm64): EndRead without its acquire
//!   fence. Its relaxed load of the sequence is ordered after nothing: R can read W's `v2`
//!   with the stale version and name of the old entry, and then the stale sequence 0, and
//!   return `v2` for `n1`. loom finds it with no preemption; shuttle (sequentially
//!   consistent) cannot: a reader that has read `v2` reads the sequence W made odd.
//! - `typecache-version-first` (gh-132942): `update_cache` stores the version first. R
//!   matches the new version 2 with the type's and loads the stale value `O`, which is
//!   deallocated; `_Py_TryXGetStackRef` operates on it before EndRead can discard it.
//!   Sequentially consistent too: every checker finds it.
//!
//! **Abstracts**: one cache entry; names and values are numbers, except that in the
//! second program `O` and `N` are heap objects and `_Py_TryXGetStackRef` is one read of
//! the value's `ob_gc_bits` (it tests for a deferred count before any increment): an
//! access to deallocated memory is the failure (the fix's report: a crash in
//! `PyStackRef_XCLOSE`), and QSBR's delay of memory reuse is left out. A reader that finds
//! the sequence odd, or whose EndRead fails, takes the slow path (a miss here; CPython
//! spins, then retries the cache once before locking). The free-threaded build, 3.13+:
//! the fence is there since gh-121368 (filed July 2024), the version order since
//! gh-132942 (April 2025; its fix was backported to 3.13, PR 133114).

use crate::prelude::*;
use Ordering::*;

#[derive(Clone, Copy)]
struct Variant {
    /// `_PySeqLock_EndRead` begins with an acquire fence (gh-121368).
    end_read_fence: bool,
    /// `update_cache` stores the version after the value (gh-132942).
    version_last: bool,
}

const CPYTHON: Variant = Variant {
    end_read_fence: true,
    version_last: true,
};

/// Python/lock.c: the sequence lock of one cache entry.
struct SeqLock {
    sequence: Atomic,
    variant: Variant,
}

impl SeqLock {
    /// Python/lock.c#_PySeqLock_LockWrite (W is the only writer: it finds the sequence
    /// even, and its compare-exchange succeeds).
    fn lock_write(&self) {
        let s = self
            .sequence
            .load("_PySeqLock_LockWrite: load sequence", Relaxed);
        let _ = self.sequence.compare_exchange(
            "_PySeqLock_LockWrite: CAS sequence to odd",
            s,
            s + 1,
            SeqCst,
            Relaxed,
        );
        fence(Release);
    }

    /// Python/lock.c#_PySeqLock_UnlockWrite
    fn unlock_write(&self) {
        let s = self
            .sequence
            .load("_PySeqLock_UnlockWrite: load sequence", Relaxed);
        self.sequence
            .store("_PySeqLock_UnlockWrite: store sequence + 1", s + 1, SeqCst);
    }

    /// Python/lock.c#_PySeqLock_BeginRead: the sequence, or None if a write is under way.
    fn begin_read(&self) -> Option<i64> {
        let s = self
            .sequence
            .load("_PySeqLock_BeginRead: load sequence", Acquire);
        (s % 2 == 0).then_some(s)
    }

    /// Python/lock.c#_PySeqLock_EndRead: whether what was read since BeginRead is good.
    fn end_read(&self, previous: i64) -> bool {
        if self.variant.end_read_fence {
            fence(Acquire);
        } // BUG (typecache-seqlock-no-fence) without it: the load below may see an old sequence
        self.sequence
            .load("_PySeqLock_EndRead: load sequence", Relaxed)
            == previous
    }
}

/// One entry of the interpreter's type cache and the type it caches.
struct Cache {
    lock: SeqLock,
    version: Atomic,
    name: Atomic,
    value: Atomic,
    tp_version_tag: Atomic,
}

impl Cache {
    fn new(variant: Variant, version: i64, name: i64, value: i64, type_version: i64) -> Cache {
        Cache {
            lock: SeqLock {
                sequence: Atomic::new("entry.sequence", 0),
                variant,
            },
            version: Atomic::new("entry.version", version),
            name: Atomic::new("entry.name", name),
            value: Atomic::new("entry.value", value),
            tp_version_tag: Atomic::new("T.tp_version_tag", type_version),
        }
    }

    /// Objects/typeobject.c#update_cache_gil_disabled and `update_cache`.
    fn fill(&self, version: i64, name: i64, value: i64) {
        let v = self.lock.variant;
        self.lock.lock_write();
        let store_version = || {
            self.version
                .store("update_cache: store entry.version", version, Release)
        };
        if !v.version_last {
            store_version(); // BUG (typecache-version-first): a reader may pair it with the old value
        }
        self.value
            .store("update_cache: store entry.value", value, Relaxed);
        self.name
            .store("update_cache: store entry.name", name, Relaxed);
        if v.version_last {
            store_version();
        }
        self.lock.unlock_write();
    }

    /// Objects/typeobject.c#_PyType_LookupStackRefAndVersion, the cached path. `take` is
    /// `_Py_TryXGetStackRef` on the value read, before EndRead.
    fn lookup(&self, name: i64, take: impl Fn(i64)) -> Lookup {
        let miss = |read, why: &str| {
            rt::step(&format!("_PyType_Lookup: {why}, slow path"));
            Lookup { read, result: None }
        };
        let Some(sequence) = self.lock.begin_read() else {
            return miss(None, "write under way");
        };
        let entry_version = self
            .version
            .load("_PyType_Lookup: load entry.version", Acquire);
        let type_version = self
            .tp_version_tag
            .load("_PyType_Lookup: load T.tp_version_tag", Acquire);
        if entry_version != type_version
            || self.name.load("_PyType_Lookup: load entry.name", Relaxed) != name
        {
            return miss(None, "miss");
        }
        let value = self.value.load("_PyType_Lookup: load entry.value", Relaxed);
        take(value);
        if self.lock.end_read(sequence) {
            Lookup {
                read: Some(value),
                result: Some(value),
            }
        } else {
            miss(Some(value), "sequence changed")
        }
    }
}

/// What a lookup read from the entry's value (if it got that far) and what it returned
/// (None: a miss, answered by the slow path).
struct Lookup {
    read: Option<i64>,
    result: Option<i64>,
}

// ---------------------------------------------------------------------------------------
// typecache-seqlock and its twin

pub const CONSISTENT: &str = "lookup_consistent";

const N1: i64 = 1;
const N2: i64 = 2;
const V1: i64 = 1;
const V2: i64 = 2;

const HIT: Situation = Situation("R's lookup of n1 hit and returned v1");
const DISCARDED: Situation =
    Situation("R read W's new value v2 and EndRead made it discard what it read");

fn seqlock(variant: Variant) {
    let cache = Shared::new(Cache::new(variant, 100, N1, V1, 100));
    let c = cache.clone();
    let reader = rt::spawn("R", move || {
        let lookup = c.lookup(N1, |_| {});
        match (lookup.read, lookup.result) {
            (_, Some(V1)) => rt::reach(HIT),
            (Some(V2), None) => rt::reach(DISCARDED),
            _ => {}
        }
        let result = lookup.result;
        ensure(CONSISTENT, result.is_none() || result == Some(V1), || {
            format!(
                "the lookup of n1 returned v{}, which the entry caches for n2 at version 101",
                result.unwrap_or(0)
            )
        });
    });
    let c = cache.clone();
    let writer = rt::spawn("W", move || {
        // type_modified, then a lookup of n2 that missed and fills the entry.
        c.tp_version_tag
            .store("type_modified: T.tp_version_tag = 101", 101, Relaxed);
        c.fill(101, N2, V2);
    });
    reader.join();
    writer.join();
}

fn seqlock_cpython(_: Params) {
    seqlock(CPYTHON);
}

fn seqlock_no_fence(_: Params) {
    seqlock(Variant {
        end_read_fence: false,
        ..CPYTHON
    });
}

// ---------------------------------------------------------------------------------------
// typecache-version-last and its twin

const NAME: i64 = 1;
/// The values' numbers in `entry.value`.
const O: i64 = 1;
const N: i64 = 2;

const STALE_MISS: Situation =
    Situation("R found the entry's stale version 1 and missed without touching O");
const NEW_HIT: Situation = Situation("R matched the new version 2 and took N");

struct Values {
    o_gc_bits: Var,
    n: Obj,
    n_gc_bits: Var,
}

fn version_order(variant: Variant) {
    // The type's attribute was replaced: its version went from 1 to 2 and the old value
    // O was deallocated; the cache entry still holds O at version 1.
    let o = object::alloc("O", 1);
    let n = object::alloc("N", 1);
    let values = Values {
        o_gc_bits: Var::field(o, "ob_gc_bits", 0),
        n,
        n_gc_bits: Var::field(n, "ob_gc_bits", 0),
    };
    object::drop_ref(o);
    object::free(o, "type_setattro: O deallocated");
    let state = Shared::new((Cache::new(variant, 1, NAME, O, 2), values));
    let s = state.clone();
    let reader = rt::spawn("R", move || {
        let (cache, values) = &*s;
        let lookup = cache.lookup(NAME, |value| {
            let gc_bits = if value == O {
                &values.o_gc_bits
            } else {
                &values.n_gc_bits
            };
            gc_bits.read("_Py_TryXGetStackRef: test for a deferred count");
        });
        match lookup.read {
            None => rt::reach(STALE_MISS),
            Some(N) => rt::reach(NEW_HIT),
            Some(_) => {}
        }
    });
    let s = state.clone();
    let writer = rt::spawn("W", move || {
        // A lookup that missed found N in the type's dict and fills the entry.
        s.0.fill(2, NAME, N);
    });
    reader.join();
    writer.join();
    let values = &state.1;
    object::drop_ref(values.n);
    object::free(values.n, "type_dealloc: N deallocated");
}

fn version_last(_: Params) {
    version_order(CPYTHON);
}

fn version_first(_: Params) {
    version_order(Variant {
        version_last: false,
        ..CPYTHON
    });
}

// ---------------------------------------------------------------------------------------
// The models

const SEQLOCK_PROPERTIES: &[Property] = &[Property {
    id: CONSISTENT,
    claim: "a lookup returns only a value the entry cached with the name and version it matched",
}];

const VERSION_PROPERTIES: &[Property] = &[Property {
    id: NO_USE_AFTER_FREE,
    claim: "a lookup never operates on a value that was deallocated",
}];

const SOURCES: &[&str] = &[
    "Python/lock.c#_PySeqLock_LockWrite",
    "Python/lock.c#_PySeqLock_UnlockWrite",
    "Python/lock.c#_PySeqLock_BeginRead",
    "Python/lock.c#_PySeqLock_EndRead",
    "Objects/typeobject.c#update_cache",
    "Objects/typeobject.c#update_cache_gil_disabled",
    "Objects/typeobject.c#_PyType_LookupStackRefAndVersion",
    "colesbury/c11-model-checker test/seqlock.c",
    "gh-121368",
    "gh-132942",
];

const ABSTRACTS: &str = "One cache entry; names and values are numbers, except O and N in the version programs, where _Py_TryXGetStackRef is one read of the value's ob_gc_bits and QSBR's delay of memory reuse is left out; a reader that finds a write under way or a changed sequence takes the slow path (CPython spins, and retries the cache once). The fixed size of two threads; the deep suite runs the same.";

#[rustfmt::skip]
const SEQLOCK_EXPECT: &[Expect] = &[
    Expect { property: CONSISTENT, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const NO_FENCE_EXPECT: &[Expect] = &[
    Expect { property: CONSISTENT, checkers: Checker::LOOM, default: violated(1), deep: violated(1) },
    // Sequentially consistent: a reader that read v2 then reads the sequence W made odd,
    // so the bug is out of shuttle's reach.
    Expect { property: CONSISTENT, checkers: Checker::SHUTTLE, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const VERSION_LAST_EXPECT: &[Expect] = &[
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const VERSION_FIRST_EXPECT: &[Expect] = &[
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(1), deep: violated(1) },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

pub const SEQLOCK: Model = Model {
    id: "typecache-seqlock",
    title: "The type cache's sequence lock, with EndRead's acquire fence",
    question: "Can a lock-free lookup in the type cache return a value together with a name and version it was not cached with, while another thread refills the entry?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: SEQLOCK_PROPERTIES,
    expect: SEQLOCK_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("typecache-seqlock-no-fence"),
    situations: &[HIT, DISCARDED],
    body: seqlock_cpython,
};

pub const SEQLOCK_NO_FENCE: Model = Model {
    id: "typecache-seqlock-no-fence",
    title: "gh-121368: _PySeqLock_EndRead without its acquire fence",
    question: "Without the acquire fence in _PySeqLock_EndRead, can a lookup return the value another thread is writing, paired with the old name and version?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: SEQLOCK_PROPERTIES,
    expect: NO_FENCE_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("typecache-seqlock"),
    // Shuttle's rows hold (see the header): these show its runs got where the bug is.
    situations: &[HIT, DISCARDED],
    body: seqlock_no_fence,
};

pub const VERSION_LAST: Model = Model {
    id: "typecache-version-last",
    title: "The type cache written value first, version last (release)",
    question: "While a thread refills a type cache entry whose old value has been deallocated, can a lookup match the new version and operate on the old value?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: VERSION_PROPERTIES,
    expect: VERSION_LAST_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("typecache-version-first"),
    situations: &[STALE_MISS, NEW_HIT],
    body: version_last,
};

pub const VERSION_FIRST: Model = Model {
    id: "typecache-version-first",
    title: "gh-132942: the type cache written version first",
    question: "If update_cache stores the entry's new version before its new value, can a lookup pair the new version with the old, deallocated value?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: VERSION_PROPERTIES,
    expect: VERSION_FIRST_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("typecache-version-last"),
    situations: &[],
    body: version_first,
};
