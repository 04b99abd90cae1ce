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
//!   only), `ob_ref_shared` = count << 2 | flags (0b01 MAYBE_WEAKREF, 0b10 QUEUED, 0b11
//!   MERGED).
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
//! A third program (`brc-try-incref`) is a lock-free read of a container, as a thread that
//! does not own a list reads `list[0]` (Objects/listobject.c#list_get_item_ref):
//! 1. main creates `o`, marks it (`_PyObject_SetMaybeWeakref`: CAS 0 → MAYBE_WEAKREF, as
//!    creating a weak reference to `o` does; `_Py_NewRefWithLock`, with which a non-owner
//!    copies a reference under the list's lock, sets the same bit) and holds it in
//!    `list[0]`. The list's reference is the only one, counted in `ob_ref_local`.
//! 2. N, `_Py_TryXGetRef(&list[0])`: load the slot (None: fail). `_Py_TryIncrefCompare`:
//!    `_Py_TryIncRefShared` loads `ob_ref_shared` and CASes it +4 unless it is 0 or
//!    exactly MERGED (refuse: fail); then load the slot again, and if it no longer holds
//!    `o`, give the reference back (`Py_DECREF` from a non-owner: `_Py_DecRefShared`) and
//!    fail. With a reference, N uses `o` and drops it.
//! 3. main, `list_ass_item_lock_held`: store None in the slot (release), then `Py_DECREF`
//!    the old item: the local count reaches 0, and `_Py_MergeZeroLocalRefcount` finds the
//!    shared field nonzero (the mark), so it takes the slow path: `ob_tid` = 0, CAS the
//!    flags to MERGED, free if the merged count is 0.
//!
//! N's CAS and the owner's merging CAS are on one word, so one goes first. If N's, the
//! owner merges a count of 1 and does not free (its CAS fails and retries if N's landed
//! after its load), and whoever takes the count to exactly MERGED frees `o`: N's decref,
//! or the owner's merge after it. If the owner's, it frees `o`, and N, which may still
//! hold the pointer it loaded before the slot was cleared, finds exactly MERGED and
//! refuses (`ob_ref_shared` stays readable after the free: QSBR). N takes a
//! reference and uses `o` when both its loads of the slot find `o`: they come before the
//! owner's store of None (or, under loom, read the older value); it gives the reference
//! back when the store falls between them, and finds None when it comes first
//! (tests/brc_try_incref.rs checks that every ending happens).
//!
//! **Mutants**, each found by the checkers: `brc-no-queue` lets the shared count go
//! negative instead of queueing: nobody sums the fields and `o` leaks.
//! `brc-store-after-merged` (gh-119999) stores local = 0 and `ob_tid` = 0 after publishing
//! MERGED: N's second decref frees `o` in between, and the late stores hit freed memory.
//! `brc-relaxed-merge-load` (gh-117657) loads the shared count relaxed on the fast path:
//! nothing orders N's last write before the free (a data race, loom only).
//! `brc-tryincref-at-zero` drops `_Py_TryIncRefShared`'s MERGED test: N increments a
//! merged count of 0 after the owner freed `o` (a write to freed memory), and giving the
//! reference back takes the count to MERGED again and frees `o` a second time. (The test
//! for 0 guards an unmarked object, which the owner frees on its fast path without a CAS;
//! the marked object here never has a shared field of 0, so that test never fires.)
//!
//! **Abstracts**: one object; the queue is a counter under the bucket lock; thread ids are
//! 1 (main, the owner) and 2 (N); immortality is left out, and only the third program
//! marks its object MAYBE_WEAKREF. There, the list is one slot (1: `o`, 0: None) whose
//! reference main holds; `_Py_TryIncrefFast` is left out (it succeeds only for the owner
//! or an immortal object, and N is neither); N reads once, where CPython would retry
//! under the list's lock (`list_item_impl`).

use crate::prelude::*;
use Ordering::*;

const MAYBE_WEAKREF: i64 = 0b01;
const QUEUED: i64 = 0b10;
const MERGED: i64 = 0b11;
const OWNER: i64 = 1;

#[derive(Clone, Copy)]
struct Variant {
    queue: bool,
    stores_before_merge: bool,
    /// `_Py_TryIncRefShared` refuses when `ob_ref_shared` is exactly MERGED (a merged count
    /// of 0: the object is dead or dying).
    try_incref_refuses_merged: bool,
    /// `_Py_MergeZeroLocalRefcount` loads the shared count with acquire (gh-117657).
    merge_load: std::sync::atomic::Ordering,
}

const CPYTHON: Variant = Variant {
    queue: true,
    stores_before_merge: true,
    try_incref_refuses_merged: true,
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
        object::free(self.obj, "_Py_Dealloc");
        rt::reach(if rt::thread_name() == "N" {
            FREED_BY_N
        } else {
            FREED_BY_OWNER
        });
    }

    fn owner_incref(&self) {
        let n = self
            .local
            .load("Py_INCREF (owner): load ob_ref_local", Relaxed);
        self.local
            .store("Py_INCREF (owner): store ob_ref_local", n + 1, Relaxed);
        object::take_ref(self.obj);
    }

    fn owner_decref(&self) {
        object::drop_ref(self.obj);
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

    /// Include/internal/pycore_object.h#_PyObject_SetMaybeWeakref: mark the object as one
    /// that other threads may reach without a reference of their own, unless a flag is
    /// already set. From then on the shared field is never 0, so the owner's last decref
    /// takes the merging CAS, never the fast path that frees without one.
    fn set_maybe_weakref(&self) {
        let s = self
            .shared
            .load("_PyObject_SetMaybeWeakref: load ob_ref_shared", Relaxed);
        self.update_shared(
            "_PyObject_SetMaybeWeakref: CAS MAYBE_WEAKREF",
            s,
            Relaxed,
            |s| (s & 0b11 == 0).then_some(s | MAYBE_WEAKREF),
        );
    }

    /// Include/internal/pycore_object.h#_Py_TryIncRefShared: take a new reference through
    /// a borrowed one, unless the object may be dying: `ob_ref_shared` is 0 (unmarked: the
    /// owner may be freeing it on its fast path, without a CAS) or exactly MERGED (a merged
    /// count of 0: the owner's or the last decref's CAS has freed it, or is about to).
    fn try_incref_shared(&self) -> bool {
        let s = self
            .shared
            .load("_Py_TryIncRefShared: load ob_ref_shared", Relaxed);
        let taken = self.update_shared("_Py_TryIncRefShared: CAS +4", s, Relaxed, |s| {
            let refuse = s == 0 || (self.variant.try_incref_refuses_merged && s == MERGED); // BUG (brc-tryincref-at-zero) without the MERGED test
            (!refuse).then_some(s + 4)
        });
        if taken.is_none() {
            rt::step("_Py_TryIncRefShared: refuse");
            return false;
        }
        object::take_ref(self.obj);
        true
    }

    /// Include/internal/pycore_object.h#_Py_TryXGetRef on a container's slot, as
    /// Objects/listobject.c#list_get_item_ref does for a thread that does not own the list:
    /// load the slot; `_Py_TryIncrefCompare`: take a reference (`_Py_TryIncrefFast` is left
    /// out: it succeeds only for the owner or an immortal object, and N is neither), then
    /// load the slot again and, if it no longer holds the object, give the reference back
    /// (`Py_DECREF` from a non-owner: `_Py_DecRefShared`) and fail.
    fn try_xget_ref(&self, slot: &Atomic) -> Read {
        if slot.load("_Py_TryXGetRef: load list[0]", SeqCst) == 0 {
            return Read::Empty;
        }
        if !self.try_incref_shared() {
            return Read::Refused;
        }
        if slot.load("_Py_TryIncrefCompare: load list[0] again", SeqCst) == 0 {
            self.shared_decref();
            return Read::GaveBack;
        }
        Read::Took
    }

    /// Objects/object.c#_Py_DecRefShared
    fn shared_decref(&self) {
        object::drop_ref(self.obj);
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
    let obj = object::alloc("o", 1);
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

/// One object's two counting paths, to run natively (`src/cost.rs` times them on real
/// threads): an object the calling thread owns, with one local reference and one shared
/// one, so that a pair of either path leaves it as it was and never frees it.
pub struct Paths(Shared<Object>);

impl Paths {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Paths {
        let o = object(CPYTHON);
        o.shared.store(
            "a non-owner's reference: ob_ref_shared = 1 << 2",
            4,
            Relaxed,
        );
        Paths(o)
    }

    /// The owner's `Py_INCREF` then `Py_DECREF`: `ob_ref_local` 1 → 2 → 1.
    pub fn owner_pair(&self) {
        self.0.owner_incref();
        self.0.owner_decref();
    }

    /// A non-owner's `_Py_TryIncRefShared` then `_Py_DecRefShared`: `ob_ref_shared`
    /// 4 → 8 → 4 (2 → 1 references), a compare-exchange each.
    pub fn shared_pair(&self) {
        let took = self.0.try_incref_shared();
        assert!(took, "the shared count is never 0 here");
        self.0.shared_decref();
    }
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
    /// `_Py_TryIncRefShared` without its MERGED test (`brc-tryincref-at-zero`).
    TryIncrefAtZero,
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
            Mutant::TryIncrefAtZero => Variant {
                try_incref_refuses_merged: false,
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

/// Who frees the object: the owner, at its merge or on its fast path, or the non-owner N,
/// through the queue or `_Py_DecRefShared` (see `model::Situation`). The hand-off and
/// last-use models hold only if both endings happen.
const FREED_BY_OWNER: Situation = Situation("the owner freed o");
const FREED_BY_N: Situation = Situation("N, not the owner, freed o");

/// What `brc-try-incref`'s verdicts are about: the reader gets in, and the reader loses
/// the race to the owner's merge (see `model::Situation`).
const TOOK: Situation = Situation("N's _Py_TryXGetRef took a reference and N used o");
const REFUSED: Situation =
    Situation("N's _Py_TryIncRefShared refused: the owner's merge had won the race");

/// How N's lock-free read of the list's slot ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// The slot already held None: the owner had cleared it.
    Empty,
    /// `_Py_TryIncRefShared` refused: `ob_ref_shared` said the object may be dying.
    Refused,
    /// The increment succeeded, but the slot no longer held `o`: N gave the reference back.
    GaveBack,
    /// N took a reference, used `o` and dropped the reference.
    Took,
}

/// The borrowed-reference program (`brc-try-incref`): the owner (main) creates `o`, marks
/// it MAYBE_WEAKREF and holds it in a list, whose one reference is the only one. N reads
/// the list's slot without a lock (`_Py_TryXGetRef`) and, if it took a reference, uses `o`
/// and drops it. Meanwhile the owner stores None in the slot and drops the list's
/// reference: its local count reaches 0 and `_Py_MergeZeroLocalRefcount`'s CAS races N's.
/// `observe` is told how N's read ended (the tests check that every ending happens).
pub fn run_try_incref(mutant: Mutant, observe: fn(Read)) {
    let o = object(mutant.variant());
    o.set_maybe_weakref();
    // list[0]: 1 while it holds o (the list's reference, counted in ob_ref_local), 0 for None.
    let slot = Shared::new(Atomic::new("list[0]", 1));
    let (n, list) = (o.clone(), slot.clone());
    let other = rt::spawn("N", move || {
        let read = n.try_xget_ref(&list);
        match read {
            Read::Took => rt::reach(TOOK),
            Read::Refused => rt::reach(REFUSED),
            Read::Empty | Read::GaveBack => {}
        }
        if read == Read::Took {
            n.ob_type.read("use o");
            n.shared_decref();
        }
        observe(read);
    });
    // Objects/listobject.c#list_ass_item_lock_held: list[0] = None, then Py_DECREF(o).
    slot.store("list_ass_item: list[0] = None", 0, Release);
    o.owner_decref();
    other.join();
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
        object::take_ref(n.obj);
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
    run_try_incref(Mutant::None, |_| {});
}
fn try_incref_at_zero(_: Params) {
    run_try_incref(Mutant::TryIncrefAtZero, |_| {});
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
    Expect { property: NO_LEAK, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: &[Checker::ShuttlePct, Checker::ShuttleDfs], default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &[Checker::ShuttlePct, Checker::ShuttleDfs], default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &[Checker::ShuttlePct, Checker::ShuttleDfs], default: HOLDS, deep: HOLDS },
    // In none of its 1,000 runs (seed 0; with 2 or 3 threads) does the random scheduler
    // reach an execution in which N, not the owner, frees o: its "holds" says nothing
    // about that ending. Loom, PCT and the stateful search reach it.
    Expect { property: NO_LEAK, checkers: &[Checker::ShuttleRandom], default: VACUOUS, deep: VACUOUS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &[Checker::ShuttleRandom], default: VACUOUS, deep: VACUOUS },
    Expect { property: NO_DOUBLE_FREE, checkers: &[Checker::ShuttleRandom], default: VACUOUS, deep: VACUOUS },
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
    twin: Some("brc-no-queue"),
    situations: &[FREED_BY_OWNER, FREED_BY_N],
    body: correct,
    ..Model::DEFAULT
};

pub const BRC_NO_QUEUE: Model = Model {
    id: "brc-no-queue",
    title: "Biased reference counting without the queue",
    question: "If a non-owner's decref at shared count 0 just goes negative instead of queueing, is the object still freed?",
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: NO_QUEUE_EXPECT,
    twin: Some("brc"),
    body: no_queue,
    ..Model::DEFAULT
};

pub const BRC_STORE_AFTER_MERGED: Model = Model {
    id: "brc-store-after-merged",
    title: "gh-119999: the merge stores local and tid after publishing MERGED",
    question: "If the explicit merge writes ob_ref_local and ob_tid after its CAS publishes MERGED, can those stores hit freed memory?",
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: STORE_AFTER_EXPECT,
    twin: Some("brc"),
    body: store_after_merged,
    ..Model::DEFAULT
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
    Expect { property: NO_DATA_RACE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
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
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

#[rustfmt::skip]
const RELAXED_MERGE_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

pub const BRC_LAST_USE: Model = Model {
    id: "brc-last-use",
    title: "Biased counting: the owner frees after another thread's last use",
    question: "When the owner's local count reaches zero and it frees on the fast path, does it see the other thread's last write to the object?",
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES_WITH_RACES,
    expect: crate::models::refcount::ALL_HOLD_WITH_RACES,
    // The handshake waits on a condition variable, in a loop.
    expect_spurious: LAST_USE_EXPECT_SPURIOUS,
    twin: Some("brc-relaxed-merge-load"),
    situations: &[FREED_BY_OWNER, FREED_BY_N],
    body: last_use,
    ..Model::DEFAULT
};

pub const BRC_RELAXED_MERGE_LOAD: Model = Model {
    id: "brc-relaxed-merge-load",
    title: "gh-117657: the owner's merge loads the shared count relaxed",
    question: "With a relaxed load of ob_ref_shared in _Py_MergeZeroLocalRefcount, does the free race with another thread's last write?",
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES_WITH_RACES,
    expect: RELAXED_MERGE_EXPECT,
    expect_spurious: RELAXED_MERGE_EXPECT_SPURIOUS,
    twin: Some("brc-last-use"),
    body: relaxed_merge_load,
    ..Model::DEFAULT
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
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

const TRY_INCREF_SOURCES: &[&str] = &[
    "Include/internal/pycore_object.h#_PyObject_SetMaybeWeakref",
    "Include/internal/pycore_object.h#_Py_TryXGetRef",
    "Include/internal/pycore_object.h#_Py_TryIncrefCompare",
    "Include/internal/pycore_object.h#_Py_TryIncRefShared",
    "Objects/listobject.c#list_get_item_ref",
    "Objects/listobject.c#list_ass_item_lock_held",
    "Objects/object.c#_Py_MergeZeroLocalRefcount",
    "Objects/object.c#_Py_DecRefShared",
    "PEP 703",
];

const TRY_INCREF_ABSTRACTS: &str = "One object, marked MAYBE_WEAKREF, in a one-slot list whose reference main (the owner) holds; ob_ref_shared stays readable after the free (QSBR), other fields do not; _Py_TryIncrefFast is left out (N is not the owner, o is not immortal); N reads once, where CPython retries under the list's lock.";

/// The reader's CAS lands between the owner's load of `ob_ref_shared` and its merging CAS.
const MERGE_RACE: Scenario = Scenario {
    id: "merge-race",
    title: "N's increment lands inside the owner's merge: the owner's CAS fails, retries and merges a count of 1; the slot is empty by then, so N gives its reference back and frees o",
    source: "the race of Include/internal/pycore_object.h#_Py_TryIncRefShared with Objects/object.c#_Py_MergeZeroLocalRefcount",
    property: NO_USE_AFTER_FREE,
    threads: 2,
    script: &[
        "main*4", // create o, mark it MAYBE_WEAKREF (load, CAS), spawn N
        "N",      // _Py_TryXGetRef: load list[0] = o
        "main*5", // list[0] = None; Py_DECREF: local 1 → 0; merge: load shared = 1, ob_tid = 0
        "N*2",    // _Py_TryIncRefShared: load 1, CAS 1 → 5
        "main*2", // the merging CAS fails (5), retries: 5 → 7 (count 1, MERGED): no free
        "N*5",    // load list[0] again = None; _Py_DecRefShared: load 7, CAS 7 → 3; free o
    ],
    wait_events: &[],
};

pub const BRC_TRY_INCREF: Model = Model {
    id: "brc-try-incref",
    title: "Biased counting: a reference taken through a borrowed one",
    question: "If a non-owner takes a reference to an object it found in a list (_Py_TryXGetRef) while the owner clears the slot and drops the only reference, can it end up using a freed object, or free it twice?",
    claims: &[SeedClaim {
        id: "R4",
        stance: Stance::Qualifies,
        why: "a reader that found the object in a list takes a reference and uses it without a lock while the owner drops the last one: their CASes on one word order them and a dead count (exactly MERGED) is refused, so the object is freed once, after the use",
    }],
    sources: TRY_INCREF_SOURCES,
    abstracts: TRY_INCREF_ABSTRACTS,
    properties: PROPERTIES,
    expect: TRY_INCREF_EXPECT,
    scenarios: &[MERGE_RACE],
    twin: Some("brc-tryincref-at-zero"),
    situations: &[TOOK, REFUSED],
    body: try_incref,
    ..Model::DEFAULT
};

pub const BRC_TRY_INCREF_AT_ZERO: Model = Model {
    id: "brc-tryincref-at-zero",
    title: "Biased counting: _Py_TryIncRefShared allowed at a merged count of 0",
    question: "If _Py_TryIncRefShared increments ob_ref_shared even when it is exactly MERGED (a merged count of 0: the owner has freed the object), can a reader holding a pointer it loaded from the list revive a freed object?",
    claims: &[SeedClaim {
        id: "R4",
        stance: Stance::Confirms,
        why: "the reader increments the count of an object the owner has already freed, and giving that reference back frees it a second time",
    }],
    sources: TRY_INCREF_SOURCES,
    abstracts: TRY_INCREF_ABSTRACTS,
    properties: PROPERTIES,
    expect: TRY_INCREF_AT_ZERO_EXPECT,
    // Both threads free o here, and each free overwrites o's five fields: loom's full space
    // is 224,723 executions (11 s, the default run's slowest loom row); with three workers
    // it is kept at 3 preemptions. The stateful search decides every row (sequentially
    // consistent).
    loom_bound: LoomBound {
        default: None,
        deep: Some(3),
    },
    twin: Some("brc-try-incref"),
    body: try_incref_at_zero,
    ..Model::DEFAULT
};
