//! # brc: biased reference counting, as the free-threaded build does it (PEP 703)
//!
//! **Question.** In the free-threaded build an object's owner thread counts its own
//! references in a plain local field, and every other thread uses an atomic shared field.
//! When a non-owner drops a reference the shared count cannot see, it queues the object
//! for the owner to merge the two. Is every object then freed exactly once, and never
//! used after?
//!
//! **Steps** (Include/object.h, Include/refcount.h, Objects/object.c, Python/brc.c):
//! - fields: `ob_tid` (the owner; 0 once merged), `ob_ref_local` (written by the owner
//!   only), `ob_ref_shared` = count << 2 | flags (0b10 QUEUED, 0b11 MERGED).
//! - owner incref/decref: `ob_ref_local` ± 1 (plain stores); at 0,
//!   `_Py_MergeZeroLocalRefcount`: load shared (acquire); 0 → free; else `ob_tid` = 0 and
//!   CAS the flags to MERGED, freeing if the count is 0.
//! - non-owner decref (`_Py_DecRefShared`): CAS loop; if the shared count is 0 and the
//!   object is neither queued nor merged (0 or MAYBE_WEAKREF), store QUEUED without
//!   subtracting (the queue now owns this reference) and queue it
//!   (`_Py_brc_queue_object`: under the bucket lock, push and set the owner's
//!   EXPLICIT_MERGE bit; if `ob_tid` is already 0, decref it again through the shared
//!   count instead); otherwise subtract 4, freeing at MERGED.
//! - the owner at a check point (`_Py_brc_merge_refcounts`): pop its queue and
//!   `_Py_ExplicitMergeRefcount(o, -1)`: read local; store local = 0 and `ob_tid` = 0
//!   first; then CAS shared := (count + local − 1) << 2 | MERGED, freeing at count 0.
//!
//! **Program.** The owner (main) creates `o`, increfs it twice and hands both references
//! to N; drops its own reference; reaches a check point; joins N; reaches another. N uses
//! `o` and drops its two references (the first is queued, the second may race the merge).
//!
//! A second program (`brc-last-use`) lets N take a shared reference of its own while the
//! owner holds its, write to `o` and drop it; the owner then drops its own and frees `o`
//! on the fast path (shared count 0, no CAS), which must see N's write.
//!
//! **Mutants**, each found by the checkers: `brc-no-queue` lets the shared count go
//! negative instead of queueing: nobody sums the fields and `o` leaks.
//! `brc-store-after-merged` (gh-119999) stores local = 0 and `ob_tid` = 0 after publishing
//! MERGED: N's second decref frees `o` in between, and the late stores hit freed memory.
//! `brc-relaxed-merge-load` (gh-117657) loads the shared count relaxed on the fast path:
//! nothing orders N's last write before the free (a data race, loom only).
//!
//! **Abstracts**: one object; the queue is a counter under the bucket lock; thread ids are
//! 1 (main, the owner) and 2 (N); immortality and MAYBE_WEAKREF are left out.

use crate::exec::builtin::*;
use crate::heap::{self, Obj};
use crate::model::*;
use crate::rt::{self, Atomic, Condvar, Mutex, Ordering::*, Shared, Var};

const QUEUED: i64 = 0b10;
const MERGED: i64 = 0b11;
const OWNER: i64 = 1;

#[derive(Clone, Copy)]
struct Variant {
    queue: bool,
    stores_before_merge: bool,
    /// `_Py_TryIncRefShared` refuses when the shared count is 0 (the owner may be freeing).
    try_incref_refuses_zero: bool,
    /// `_Py_MergeZeroLocalRefcount` loads the shared count with acquire (gh-117657).
    merge_load: std::sync::atomic::Ordering,
}

const CPYTHON: Variant = Variant {
    queue: true,
    stores_before_merge: true,
    try_incref_refuses_zero: true,
    merge_load: Acquire,
};

struct Object {
    obj: Obj,
    tid: Atomic,
    local: Atomic,
    shared: Atomic,
    ob_type: Var,
    ob_item: Var,
    /// The owner's merge queue (a count) under its bucket lock, and its EXPLICIT_MERGE bit.
    bucket: Mutex<()>,
    queue: Var,
    merge_bit: Atomic,
    variant: Variant,
}

impl Object {
    fn free(&self) {
        self.ob_item
            .write("_Py_Dealloc: tp_dealloc clears ob_item", 0);
        heap::free(self.obj, "_Py_Dealloc");
    }

    fn owner_incref(&self) {
        let n = self
            .local
            .load("Py_INCREF (owner): load ob_ref_local", Relaxed);
        self.local
            .store("Py_INCREF (owner): store ob_ref_local", n + 1, Relaxed);
        heap::take_ref(self.obj);
    }

    fn owner_decref(&self) {
        heap::drop_ref(self.obj);
        let n = self
            .local
            .load("Py_DECREF (owner): load ob_ref_local", Relaxed)
            - 1;
        self.local
            .store("Py_DECREF (owner): store ob_ref_local", n, Relaxed);
        if n == 0 {
            self.merge_zero_local();
        }
    }

    /// A compare-exchange loop on `ob_ref_shared`, starting from the value `s` last read:
    /// `next` gives the value to store in place of the current one, or `None` to give up.
    /// Returns the value replaced and the value stored, or `None` if it gave up.
    fn update_shared(
        &self,
        action: &str,
        mut s: i64,
        failure: std::sync::atomic::Ordering,
        next: impl Fn(i64) -> Option<i64>,
    ) -> Option<(i64, i64)> {
        loop {
            let new = next(s)?;
            match self
                .shared
                .compare_exchange(action, s, new, AcqRel, failure)
            {
                Ok(_) => return Some((s, new)),
                Err(now) => s = now,
            }
        }
    }

    /// Objects/object.c#_Py_MergeZeroLocalRefcount
    fn merge_zero_local(&self) {
        let s = self.shared.load(
            "_Py_MergeZeroLocalRefcount: load ob_ref_shared",
            self.variant.merge_load,
        ); // BUG (brc-relaxed-merge-load) when Relaxed
        if s == 0 {
            return self.free();
        }
        self.tid
            .store("_Py_MergeZeroLocalRefcount: ob_tid = 0", 0, Relaxed);
        let merged =
            self.update_shared("_Py_MergeZeroLocalRefcount: CAS MERGED", s, Acquire, |s| {
                Some(s | MERGED)
            });
        if merged.map(|(_, new)| new) == Some(MERGED) {
            self.free();
        }
    }

    /// Include/internal/pycore_object.h#_Py_TryIncRefShared: take a new reference through
    /// a borrowed one, unless the object may be dying (shared count 0: the owner may be on
    /// its free fast path; exactly MERGED: dying).
    fn try_incref_shared(&self) -> bool {
        let s = self
            .shared
            .load("_Py_TryIncRefShared: load ob_ref_shared", Relaxed);
        let taken = self.update_shared("_Py_TryIncRefShared: CAS +4", s, Relaxed, |s| {
            let refuse = (self.variant.try_incref_refuses_zero && s == 0) || s == MERGED; // BUG (brc-tryincref-at-zero) without the 0 test
            (!refuse).then_some(s + 4)
        });
        if taken.is_none() {
            rt::step("_Py_TryIncRefShared: refuse");
            return false;
        }
        heap::take_ref(self.obj);
        true
    }

    /// Objects/object.c#_Py_DecRefShared
    fn shared_decref(&self) {
        heap::drop_ref(self.obj);
        let queues = |s: i64| self.variant.queue && (s == 0 || s == 1); // BUG (brc-no-queue) when false: the count may go negative
        let s = self
            .shared
            .load("_Py_DecRefShared: load ob_ref_shared", Relaxed);
        let (old, new) = self
            .update_shared("_Py_DecRefShared: CAS ob_ref_shared", s, Relaxed, |s| {
                // CPython stores exactly QUEUED: `s | QUEUED` would turn MAYBE_WEAKREF into MERGED.
                Some(if queues(s) { QUEUED } else { s - 4 })
            })
            .expect("a decref never gives up");
        if queues(old) {
            self.enqueue();
        } else if new == MERGED {
            self.free();
        }
    }

    /// Python/brc.c#_Py_brc_queue_object
    fn enqueue(&self) {
        if self.tid.load("_Py_brc_queue_object: load ob_tid", Relaxed) == 0 {
            // The owner merged meanwhile: drop the reference through the shared count.
            let s = self
                .shared
                .load("_Py_brc_queue_object: load ob_ref_shared", Relaxed);
            let dropped =
                self.update_shared("_Py_brc_queue_object: CAS ob_ref_shared", s, Relaxed, |s| {
                    Some(s - 4)
                });
            if dropped.map(|(_, new)| new) == Some(MERGED) {
                self.free();
            }
            return;
        }
        let _bucket = self.bucket.lock("_Py_brc_queue_object: lock bucket");
        let n = self.queue.read("_Py_brc_queue_object: queue length");
        self.queue.write("_Py_brc_queue_object: push", n + 1);
        self.merge_bit
            .store("_Py_brc_queue_object: set EXPLICIT_MERGE", 1, Relaxed);
    }

    /// Python/brc.c#_Py_brc_merge_refcounts, at the owner's check point.
    fn owner_check_point(&self) {
        if self
            .merge_bit
            .load("_Py_HandlePending: test EXPLICIT_MERGE", Relaxed)
            == 0
        {
            return;
        }
        self.merge_bit
            .store("_Py_brc_merge_refcounts: clear EXPLICIT_MERGE", 0, Relaxed);
        let queued = {
            let _bucket = self.bucket.lock("_Py_brc_merge_refcounts: lock bucket");
            let n = self.queue.read("_Py_brc_merge_refcounts: queue length");
            self.queue.write("_Py_brc_merge_refcounts: pop all", 0);
            n
        };
        for _ in 0..queued {
            self.explicit_merge();
        }
    }

    /// Objects/object.c#_Py_ExplicitMergeRefcount(o, -1)
    fn explicit_merge(&self) {
        let local = self
            .local
            .load("_Py_ExplicitMergeRefcount: load ob_ref_local", Relaxed);
        let forget_owner = || {
            self.local
                .store("_Py_ExplicitMergeRefcount: ob_ref_local = 0", 0, Relaxed);
            self.tid
                .store("_Py_ExplicitMergeRefcount: ob_tid = 0", 0, Relaxed);
        };
        if self.variant.stores_before_merge {
            forget_owner();
        }
        let s = self
            .shared
            .load("_Py_ExplicitMergeRefcount: load ob_ref_shared", Relaxed);
        let merged = self.update_shared("_Py_ExplicitMergeRefcount: CAS MERGED", s, Relaxed, |s| {
            Some((((s >> 2) + local - 1) << 2) | MERGED)
        });
        if !self.variant.stores_before_merge {
            forget_owner(); // BUG (gh-119999): MERGED is published; another thread may have freed it
        }
        if merged.map(|(_, new)| new) == Some(MERGED) {
            self.free();
        }
    }
}

fn object(variant: Variant) -> Shared<Object> {
    let obj = heap::alloc("o", 1);
    Shared::new(Object {
        obj,
        tid: Atomic::field(obj, "ob_tid", OWNER),
        local: Atomic::field(obj, "ob_ref_local", 1),
        shared: Atomic::field_readable_after_free(obj, "ob_ref_shared", 0),
        ob_type: Var::field(obj, "ob_type", 1),
        ob_item: Var::field(obj, "ob_item", 1),
        bucket: Mutex::new("brc bucket", ()),
        queue: Var::new("main's brc queue", 0),
        merge_bit: Atomic::new("main's EXPLICIT_MERGE bit", 0),
        variant,
    })
}

/// The hand-off program: the owner hands N two references and both drop theirs.
/// A hand-off program: how many references the owner hands N, whether N uses `o` first,
/// and how many check points the owner reaches before joining N (it reaches one more
/// after). proptest generates these (tests/proptest_brc.rs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandOff {
    pub handed: usize,
    pub use_first: bool,
    pub check_points_before_join: usize,
}

/// The models' program: two references, used, one check point before the join.
pub const STANDARD: HandOff = HandOff {
    handed: 2,
    use_first: true,
    check_points_before_join: 1,
};

/// The protocol, or one of its mutants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutant {
    None,
    NoQueue,
    StoreAfterMerged,
}

impl Mutant {
    fn variant(self) -> Variant {
        match self {
            Mutant::None => CPYTHON,
            Mutant::NoQueue => Variant {
                queue: false,
                ..CPYTHON
            },
            Mutant::StoreAfterMerged => Variant {
                stores_before_merge: false,
                ..CPYTHON
            },
        }
    }
}

/// Run a hand-off program under the protocol or a mutant.
pub fn run_hand_off(mutant: Mutant, program: HandOff) {
    let o = object(mutant.variant());
    // N's references, counted in the owner's local field.
    for _ in 0..program.handed {
        o.owner_incref();
    }
    let n = o.clone();
    let other = rt::spawn("N", move || {
        if program.use_first {
            n.ob_type.read("use o");
        }
        for _ in 0..program.handed {
            n.shared_decref();
        }
    });
    o.owner_decref();
    for _ in 0..program.check_points_before_join {
        o.owner_check_point();
    }
    other.join();
    o.owner_check_point();
}

/// The borrowed-reference program: the owner holds the only reference and drops it; N,
/// which found `o` in a container the owner maintains, tries to take a reference of its
/// own (`_Py_TryIncRefShared`, as dict and list lookups do) and uses `o` if it got one.
fn run_try_incref(variant: Variant) {
    let o = object(variant);
    let n = o.clone();
    let other = rt::spawn("N", move || {
        if n.try_incref_shared() {
            n.ob_type.read("use o");
            n.shared_decref();
        }
    });
    o.owner_decref();
    other.join();
    o.owner_check_point();
}

/// gh-117657's program: N takes a shared reference while the owner still holds its own,
/// says so, writes to `o`, and drops it; the owner then drops its own, and whoever is
/// last frees `o`. The free must see N's write.
fn run_last_use(variant: Variant) {
    let o = object(variant);
    let ready = Shared::new((
        Mutex::new("handshake", ()),
        Condvar::new("handshake.cond"),
        Var::new("N has its reference", 0),
    ));
    let (n, r) = (o.clone(), ready.clone());
    let other = rt::spawn("N", move || {
        n.shared
            .fetch_add("Py_INCREF (non-owner): add 4 to ob_ref_shared", 4, Relaxed);
        heap::take_ref(n.obj);
        {
            let _held = r.0.lock("N: announce its reference: lock");
            r.2.write("N: announce its reference", 1);
            r.1.notify_all("N: announce its reference: signal");
        }
        n.ob_item.write("use: store ob_item", 7);
        n.shared_decref();
    });
    {
        let mut held = ready.0.lock("main: wait for N's reference: lock");
        while ready.2.read("main: test N's reference") == 0 {
            held = ready.1.wait("main: wait for N's reference", held);
        }
    }
    o.owner_decref();
    other.join();
    o.owner_check_point();
}

fn correct(_: Params) {
    run_hand_off(Mutant::None, STANDARD);
}
fn no_queue(_: Params) {
    run_hand_off(Mutant::NoQueue, STANDARD);
}
fn store_after_merged(_: Params) {
    run_hand_off(Mutant::StoreAfterMerged, STANDARD);
}
fn try_incref(_: Params) {
    run_try_incref(CPYTHON);
}
fn try_incref_at_zero(_: Params) {
    run_try_incref(Variant {
        try_incref_refuses_zero: false,
        ..CPYTHON
    });
}
fn last_use(_: Params) {
    run_last_use(CPYTHON);
}
fn relaxed_merge_load(_: Params) {
    run_last_use(Variant {
        merge_load: Relaxed,
        ..CPYTHON
    });
}

const PROPERTIES: &[Property] = crate::models::refcount::PROPERTIES;

#[rustfmt::skip]
const CORRECT_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const NO_QUEUE_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_LEAK, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const STORE_AFTER_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(3), deep: violated(3) },
    Expect { property: NO_USE_AFTER_FREE, checkers: &[Checker::ShuttlePct, Checker::ShuttleDfs], default: FOUND, deep: FOUND },
    // The random scheduler first finds it at execution 3,213 (seed 0).
    Expect { property: NO_USE_AFTER_FREE, checkers: &[Checker::ShuttleRandom], default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

const SOURCES: &[&str] = &[
    "Objects/object.c#_Py_DecRefShared",
    "Objects/object.c#_Py_MergeZeroLocalRefcount",
    "Objects/object.c#_Py_ExplicitMergeRefcount",
    "Python/brc.c#_Py_brc_queue_object",
    "Python/brc.c#_Py_brc_merge_refcounts",
    "PEP 703",
];

const ABSTRACTS: &str = "One object; the queue is a counter under the bucket lock; no immortality or MAYBE_WEAKREF; main is the owner.";

pub const BRC: Model = Model {
    id: "brc",
    title: "Biased reference counting: owner, non-owner, queue and merge",
    question: "With biased counting (a local count for the owner, a shared one for others, queueing and merging), is every object freed exactly once and never used after?",
    claims: &[SeedClaim {
        id: "R2",
        stance: Stance::Qualifies,
        why: "no lock at all: the owner's updates are plain, others' atomic, and the merge protocol reconciles them",
    }],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: CORRECT_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("brc-no-queue"),
    body: correct,
};

pub const BRC_NO_QUEUE: Model = Model {
    id: "brc-no-queue",
    title: "Biased reference counting without the queue",
    question: "If a non-owner's decref at shared count 0 just goes negative instead of queueing, is the object still freed?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: NO_QUEUE_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("brc"),
    body: no_queue,
};

pub const BRC_STORE_AFTER_MERGED: Model = Model {
    id: "brc-store-after-merged",
    title: "gh-119999: the merge stores local and tid after publishing MERGED",
    question: "If the explicit merge writes ob_ref_local and ob_tid after its CAS publishes MERGED, can those stores hit freed memory?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: STORE_AFTER_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("brc"),
    body: store_after_merged,
};

const PROPERTIES_WITH_RACES: &[Property] = crate::models::refcount::PROPERTIES_WITH_RACES;

/// With spurious wakeups on.
#[rustfmt::skip]
const LAST_USE_EXPECT_SPURIOUS: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: NO_RACE_DETECTOR, deep: NO_RACE_DETECTOR },
];

#[rustfmt::skip]
const RELAXED_MERGE_EXPECT_SPURIOUS: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: NO_RACE_DETECTOR, deep: NO_RACE_DETECTOR },
];

#[rustfmt::skip]
const LAST_USE_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: NO_RACE_DETECTOR, deep: NO_RACE_DETECTOR },
];

#[rustfmt::skip]
const RELAXED_MERGE_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: NO_RACE_DETECTOR, deep: NO_RACE_DETECTOR },
];

pub const BRC_LAST_USE: Model = Model {
    id: "brc-last-use",
    title: "Biased counting: the owner frees after another thread's last use",
    question: "When the owner's local count reaches zero and it frees on the fast path, does it see the other thread's last write to the object?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES_WITH_RACES,
    expect: LAST_USE_EXPECT,
    // The handshake waits on a condition variable, in a loop.
    expect_spurious: LAST_USE_EXPECT_SPURIOUS,
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("brc-relaxed-merge-load"),
    body: last_use,
};

pub const BRC_RELAXED_MERGE_LOAD: Model = Model {
    id: "brc-relaxed-merge-load",
    title: "gh-117657: the owner's merge loads the shared count relaxed",
    question: "With a relaxed load of ob_ref_shared in _Py_MergeZeroLocalRefcount, does the free race with another thread's last write?",
    claims: &[],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES_WITH_RACES,
    expect: RELAXED_MERGE_EXPECT,
    expect_spurious: RELAXED_MERGE_EXPECT_SPURIOUS,
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("brc-last-use"),
    body: relaxed_merge_load,
};

#[rustfmt::skip]
const TRY_INCREF_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const TRY_INCREF_AT_ZERO_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

pub const BRC_TRY_INCREF: Model = Model {
    id: "brc-try-incref",
    title: "Biased counting: a reference taken through a borrowed one",
    question: "If a non-owner takes a reference through a borrowed pointer while the owner drops the only one, can it end up using a freed object?",
    claims: &[SeedClaim {
        id: "R4",
        stance: Stance::Qualifies,
        why: "a borrowed reference may become a new one only if the count shows the object is not dying",
    }],
    sources: SOURCES,
    abstracts: "As brc; ob_ref_shared stays readable after the free (QSBR), other fields do not.",
    properties: PROPERTIES,
    expect: TRY_INCREF_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("brc-tryincref-at-zero"),
    body: try_incref,
};

pub const BRC_TRY_INCREF_AT_ZERO: Model = Model {
    id: "brc-tryincref-at-zero",
    title: "Biased counting: _Py_TryIncRefShared allowed at shared count 0",
    question: "If _Py_TryIncRefShared succeeds at shared count 0, can the owner free the object on its fast path under the new reference?",
    claims: &[SeedClaim {
        id: "R4",
        stance: Stance::Confirms,
        why: "the object is freed while the new reference is in use",
    }],
    sources: SOURCES,
    abstracts: "As brc; ob_ref_shared stays readable after the free (QSBR), other fields do not.",
    properties: PROPERTIES,
    expect: TRY_INCREF_AT_ZERO_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("brc-try-incref"),
    body: try_incref_at_zero,
};
