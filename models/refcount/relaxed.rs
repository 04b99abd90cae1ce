//! # refcount-atomic-relaxed: an atomic count whose last decrement orders nothing
//!
//! **Question.** An atomic count never loses an update. Is that enough to free safely, if
//! the decrement is Relaxed and the freeing thread does not synchronise with the others?
//!
//! **Steps.** `o` starts with two references, A's and B's. A writes to the object (its
//! last use), then decrefs; B decrefs. Whoever takes the count from 1 to 0 runs
//! `tp_dealloc`, which writes to the object's memory as it tears it down.
//! - `refcount-atomic-relaxed`: `fetch_sub(1, Relaxed)`, no fence.
//! - `refcount-atomic-fenced` (its twin): `fetch_sub(1, Release)`, and an Acquire fence
//!   before freeing, as Rust's `Arc` and the free-threaded build's shared-count path do.
//!
//! **An interleaving that breaks it** (C11, loom only): A writes, then decrefs to 1; B
//! decrefs to 0 and tears the object down. With Relaxed, nothing makes A's write happen
//! before B's teardown: a data race on freed memory, which loom reports as a causality
//! violation; shuttle's detector (sequentially consistent) finds the same race.
//! The same mistake in CPython's merge path is gh-117657 (a relaxed load of ob_ref_shared).
//!
//! **Abstracts**: the object is one field; `tp_dealloc` is one write.

use crate::prelude::*;

struct Object {
    obj: object::Obj,
    count: Atomic,
    item: Var,
}

fn decref(o: &Object, fenced: bool) {
    object::drop_ref(o.obj);
    let order = if fenced {
        Ordering::Release
    } else {
        Ordering::Relaxed
    }; // BUG when Relaxed
    if o.count.fetch_sub("decref: fetch_sub", 1, order) == 1 {
        if fenced {
            fence(Ordering::Acquire);
        }
        o.item.write("tp_dealloc: clear ob_item", 0);
        object::free(o.obj, "decref: _Py_Dealloc");
    }
}

fn run(fenced: bool) {
    let obj = object::alloc("o", 2);
    let o = Shared::new(Object {
        obj,
        count: Atomic::field(obj, "ob_refcnt", 2),
        item: Var::field(obj, "ob_item", 1),
    });
    let a = o.clone();
    let user = rt::spawn("A", move || {
        a.item.write("use: store ob_item", 7);
        decref(&a, fenced);
    });
    let b = o.clone();
    let other = rt::spawn("B", move || decref(&b, fenced));
    user.join();
    other.join();
}

fn relaxed(_: Params) {
    run(false);
}

fn fenced(_: Params) {
    run(true);
}

const PROPERTIES: &[Property] = &[
    super::PROPERTIES[0],
    super::PROPERTIES[1],
    super::PROPERTIES[2],
    Property {
        id: NO_DATA_RACE,
        claim: "the thread that frees the object sees every other thread's last use of it",
    },
];

#[rustfmt::skip]
const RELAXED_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

const SOURCES: &[&str] = &[
    "Include/refcount.h#Py_DECREF",
    "Objects/object.c#_Py_MergeZeroLocalRefcount",
    "gh-117657",
];

pub const RELAXED: Model = Model {
    id: "refcount-atomic-relaxed",
    title: "Atomic reference counting with a Relaxed decrement",
    question: "With a Relaxed fetch_sub and no fence, does the freeing thread see the other threads' last writes to the object?",
    claims: &[SeedClaim {
        id: "R2",
        stance: Stance::Qualifies,
        why: "an atomic count is not enough: the last decrement must also order memory",
    }],
    sources: SOURCES,
    abstracts: "One field; tp_dealloc is one write. The fixed size of two threads; the deep suite runs the same.",
    properties: PROPERTIES,
    expect: RELAXED_EXPECT,
    twin: Some("refcount-atomic-fenced"),
    body: relaxed,
    ..Model::DEFAULT
};

pub const FENCED: Model = Model {
    id: "refcount-atomic-fenced",
    title: "Atomic reference counting with a Release decrement and an Acquire fence",
    question: "With fetch_sub(Release) and an Acquire fence before freeing, does the freeing thread see every last use?",
    claims: &[SeedClaim {
        id: "R2",
        stance: Stance::Qualifies,
        why: "atomic counting with release/acquire ordering is safe without a lock",
    }],
    sources: SOURCES,
    abstracts: "One field; tp_dealloc is one write. The fixed size of two threads; the deep suite runs the same.",
    properties: PROPERTIES,
    expect: super::ALL_HOLD_WITH_RACES,
    twin: Some("refcount-atomic-relaxed"),
    body: fenced,
    ..Model::DEFAULT
};
