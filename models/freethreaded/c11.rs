//! # The C11 models of dicts and lists: what a lock-free reader needs from a locked writer
//!
//! **Question.** In the free-threaded build a dict or a list is written under its
//! per-object lock but read without it (`_Py_dict_lookup_threadsafe`,
//! `list_get_item_ref`). The lock orders the writers among themselves; what orders a
//! writer before a reader that never takes the lock? CPython's developers answered it
//! for three pieces of code with a C11 model checker (colesbury/c11-model-checker,
//! `test/dict_value.c`, `test/gh-112075.c`, `test/test_list_ins1.cc`); these are those
//! questions, asked of loom. Each model has a twin one ordering weaker, its line marked
//! `// BUG`, that loom breaks and sequentially consistent shuttle cannot.
//!
//! **dict-value-release** (Objects/dictobject.c#insertdict, `STORE_VALUE`): W creates an
//! int (`ob_digit` = 1234, a plain store), then, under the dict's lock, stores it in
//! the entry's `me_value` with a release store (`FT_ATOMIC_STORE_PTR_RELEASE`). R looks
//! the key up without the lock (`_Py_dict_lookup_threadsafe`: `_Py_TryXGetRef` loads
//! `me_value`, acquire or stronger) and reads the int. Twin `dict-value-relaxed`: a
//! relaxed store under the lock. The unlock releases only to the next locker, and R never
//! locks: it can find the int and read its `ob_digit` as 0 (loom, no preemption).
//!
//! **dict-shared-keys** (gh-112075; Objects/dictobject.c#split_keys_entry_added,
//! Include/internal/pycore_dict.h#shared_keys_usable_size): a class's instances share one
//! keys object. Adding a key stores `dk_nentries` + 1 (relaxed) and then `dk_usable` − 1
//! (release); a thread sizing a new instance's inline values reads `dk_usable` (acquire)
//! and then `dk_nentries` (acquire), and their sum must never fall below the keys'
//! capacity (a smaller array would be written past its end). W adds two keys; R sizes
//! twice. Twin `dict-shared-keys-relaxed`: `dk_usable` stored relaxed. R can read the
//! decremented `dk_usable` and the old `dk_nentries`: one slot short.
//!
//! **list-copy-release** (Objects/listobject.c: `ins1` moves items within the array
//! under the list's lock, with atomic stores in the free-threaded build,
//! `ptr_wise_atomic_memmove`): A creates an object (`ob_digit` = 1) and appends it to
//! `list[0]` under the lock (release store, `_PyList_AppendTakeRef`); B, under the lock,
//! copies `list[0]` to `list[1]` with a release store; C reads `list[1]` without the lock
//! (acquire) and then the object. Twin `list-copy-relaxed`: B's copy is relaxed. B saw
//! the object initialised (the lock orders A before B), but nothing passes that on to C:
//! C finds the object in `list[1]` and reads `ob_digit` as 0. A store that moves a
//! pointer needs release as much as the one that first published it.
//!
//! **What the checkers find.** loom breaks every twin with no preemption: a load returns a
//! store the reader has no happens-before edge to; it also reports the data race on
//! `ob_digit` (a plain field). Shuttle is sequentially consistent, so in its runs a reader
//! that finds the pointer finds the object initialised: every twin holds there, as the
//! expectations say.
//!
//! **Abstracts**: one entry, one keys object, two list slots; objects are one field;
//! pointers are numbers (0 is NULL). W is the keys' only writer (their lock is left out).
//! The fixed size of two threads (three for the list); the deep suite runs the same.
//! The free-threaded build, CPython 3.13+ (gh-112075 was filed in November 2023, before
//! 3.13.0).

use crate::prelude::*;
use Ordering::*;

pub const SEES_INITIALISED: &str = "reader_sees_initialised_object";
pub const USABLE_NOT_SHORT: &str = "usable_size_never_short";

/// The ordering of the store that publishes or moves a pointer (or shrinks dk_usable):
/// Release in CPython, Relaxed in the twins.
fn publish(release: bool) -> Ordering {
    if release { Release } else { Relaxed } // BUG (the twins) when Relaxed
}

fn check_initialised(field: &Var, expected: i64, what: &str) {
    let v = field.read(what);
    ensure(SEES_INITIALISED, v == expected, || {
        format!("the reader found the object but read ob_digit = {v}, not {expected}")
    });
}

// ---------------------------------------------------------------------------------------
// dict-value-release and dict-value-relaxed

const DICT_FOUND: Situation = Situation("R found the int in the dict and read it");

struct Dict {
    mutex: Mutex<()>,
    me_value: Atomic,
    ob_digit: Var,
}

fn dict_value(release: bool) {
    let int = object::alloc("int", 1);
    let d = Shared::new(Dict {
        mutex: Mutex::new("d.ob_mutex", ()),
        me_value: Atomic::new("d.me_value", 0),
        ob_digit: Var::field(int, "ob_digit", 0),
    });
    let w = d.clone();
    let writer = rt::spawn("W", move || {
        w.ob_digit.write("PyLong_FromLong: ob_digit = 1234", 1234);
        let _locked = w.mutex.lock("critical section on d");
        w.me_value
            .store("insertdict: STORE_VALUE(ep, int)", 1, publish(release));
    });
    let r = d.clone();
    let reader = rt::spawn("R", move || {
        if r.me_value
            .load("_Py_dict_lookup_threadsafe: load me_value", Acquire)
            != 0
        {
            check_initialised(&r.ob_digit, 1234, "dict_subscript: read int.ob_digit");
            rt::reach(DICT_FOUND);
        }
    });
    writer.join();
    reader.join();
    object::drop_ref(int);
    object::free(int, "dict_dealloc: free int");
}

fn dict_value_release(_: Params) {
    dict_value(true);
}

fn dict_value_relaxed(_: Params) {
    dict_value(false);
}

// ---------------------------------------------------------------------------------------
// dict-shared-keys and dict-shared-keys-relaxed (gh-112075)

const CAPACITY: i64 = 4;

const SAW_INSERT: Situation = Situation("R read a dk_usable that W had decremented");

struct Keys {
    dk_usable: Atomic,
    dk_nentries: Atomic,
}

fn shared_keys(release: bool) {
    let keys = Shared::new(Keys {
        dk_usable: Atomic::new("keys.dk_usable", CAPACITY),
        dk_nentries: Atomic::new("keys.dk_nentries", 0),
    });
    let k = keys.clone();
    let writer = rt::spawn("W", move || {
        rt::each("insert_split_key", &[1, 2], |_| {
            let n = k
                .dk_nentries
                .load("split_keys_entry_added: load dk_nentries", Relaxed);
            let u = k
                .dk_usable
                .load("split_keys_entry_added: load dk_usable", Relaxed);
            k.dk_nentries
                .store("split_keys_entry_added: dk_nentries + 1", n + 1, Relaxed);
            k.dk_usable.store(
                "split_keys_entry_added: dk_usable - 1",
                u - 1,
                publish(release),
            );
        });
    });
    let k = keys.clone();
    let reader = rt::spawn("R", move || {
        rt::each("_PyObject_InitInlineValues", &[1, 2], |_| {
            let usable = k
                .dk_usable
                .load("shared_keys_usable_size: load dk_usable", Acquire);
            let nentries = k
                .dk_nentries
                .load("shared_keys_usable_size: load dk_nentries", Acquire);
            if usable < CAPACITY {
                rt::reach(SAW_INSERT);
            }
            ensure(USABLE_NOT_SHORT, usable + nentries >= CAPACITY, || {
                format!(
                    "dk_usable {usable} + dk_nentries {nentries} = {}: the inline values would have {} slots for a capacity of {CAPACITY}",
                    usable + nentries,
                    usable + nentries
                )
            });
        });
    });
    writer.join();
    reader.join();
}

fn shared_keys_release(_: Params) {
    shared_keys(true);
}

fn shared_keys_relaxed(_: Params) {
    shared_keys(false);
}

// ---------------------------------------------------------------------------------------
// list-copy-release and list-copy-relaxed

const LIST_FOUND: Situation = Situation("C found the object in list[1] and read it");

struct List {
    mutex: Mutex<()>,
    items: [Atomic; 2],
    ob_digit: Var,
}

fn list_copy(release: bool) {
    let o = object::alloc("o", 1);
    let list = Shared::new(List {
        mutex: Mutex::new("list.ob_mutex", ()),
        items: [Atomic::new("list[0]", 0), Atomic::new("list[1]", 0)],
        ob_digit: Var::field(o, "ob_digit", 0),
    });
    let l = list.clone();
    let appender = rt::spawn("A", move || {
        l.ob_digit.write("PyLong_FromLong: ob_digit = 1", 1);
        let _locked = l.mutex.lock("critical section on list");
        l.items[0].store("_PyList_AppendTakeRef: list[0] = o", 1, Release);
    });
    let l = list.clone();
    let mover = rt::spawn("B", move || {
        let _locked = l.mutex.lock("critical section on list");
        let item = l.items[0].load("ins1: load list[0]", Relaxed);
        if item != 0 {
            check_initialised(&l.ob_digit, 1, "ins1: read o.ob_digit");
            l.items[1].store("ins1: list[1] = list[0]", item, publish(release));
        }
    });
    let l = list.clone();
    let reader = rt::spawn("C", move || {
        if l.items[1].load("list_get_item_ref: load list[1]", Acquire) != 0 {
            check_initialised(&l.ob_digit, 1, "list_get_item_ref: read o.ob_digit");
            rt::reach(LIST_FOUND);
        }
    });
    appender.join();
    mover.join();
    reader.join();
    object::drop_ref(o);
    object::free(o, "list_dealloc: free o");
}

fn list_copy_release(_: Params) {
    list_copy(true);
}

fn list_copy_relaxed(_: Params) {
    list_copy(false);
}

// ---------------------------------------------------------------------------------------
// The models

const SEES: Property = Property {
    id: SEES_INITIALISED,
    claim: "a reader that finds a pointer without the lock sees the object it points to initialised",
};

const RACE: Property = Property {
    id: NO_DATA_RACE,
    claim: "no two threads access a non-atomic field without synchronisation",
};

const PUBLISH_PROPERTIES: &[Property] = &[SEES, RACE];

const KEYS_PROPERTIES: &[Property] = &[Property {
    id: USABLE_NOT_SHORT,
    claim: "a reader's dk_usable + dk_nentries is never below the keys' capacity",
}];

#[rustfmt::skip]
const PUBLISH_EXPECT: &[Expect] = &[
    Expect { property: SEES_INITIALISED, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const PUBLISH_RELAXED_EXPECT: &[Expect] = &[
    Expect { property: SEES_INITIALISED, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    // Sequentially consistent: a reader that finds the pointer finds the object
    // initialised, so the weaker ordering is out of shuttle's reach.
    Expect { property: SEES_INITIALISED, checkers: Checker::SHUTTLE, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DATA_RACE, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_DATA_RACE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

#[rustfmt::skip]
const KEYS_EXPECT: &[Expect] = &[
    Expect { property: USABLE_NOT_SHORT, checkers: &Checker::ALL, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const KEYS_RELAXED_EXPECT: &[Expect] = &[
    Expect { property: USABLE_NOT_SHORT, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    // Sequentially consistent: dk_nentries is stored before dk_usable, so a reader that
    // sees the decrement sees the increment; out of shuttle's reach.
    Expect { property: USABLE_NOT_SHORT, checkers: Checker::SHUTTLE, default: HOLDS, deep: HOLDS },
];

const DICT_SOURCES: &[&str] = &[
    "Objects/dictobject.c#insertdict",
    "Objects/dictobject.c#_Py_dict_lookup_threadsafe",
    "Include/internal/pycore_object.h#_Py_TryXGetRef",
    "colesbury/c11-model-checker test/dict_value.c",
];

const KEYS_SOURCES: &[&str] = &[
    "Objects/dictobject.c#split_keys_entry_added",
    "Objects/dictobject.c#insert_split_key",
    "Include/internal/pycore_dict.h#shared_keys_usable_size",
    "Include/internal/pycore_dict.h#_PyInlineValuesSize",
    "gh-112075",
    "colesbury/c11-model-checker test/gh-112075.c",
];

const LIST_SOURCES: &[&str] = &[
    "Include/internal/pycore_list.h#_PyList_AppendTakeRef",
    "Objects/listobject.c#ins1",
    "Objects/listobject.c#ptr_wise_atomic_memmove",
    "Objects/listobject.c#list_get_item_ref",
    "colesbury/c11-model-checker test/test_list_ins1.cc",
];

const DICT_ABSTRACTS: &str = "One entry; the int is one plain field; pointers are numbers (0 is NULL); the dict's lock is a mutex (a critical section that never suspends). The fixed size of two threads; the deep suite runs the same.";
const KEYS_ABSTRACTS: &str = "One keys object of capacity 4, two keys added; W is its only writer (the keys' lock is left out). The fixed size of two threads; the deep suite runs the same.";
const LIST_ABSTRACTS: &str = "Two slots; the object is one plain field; pointers are numbers (0 is NULL); the list's lock is a mutex; B's shift is one copy. Three threads at every size.";

pub const DICT_VALUE: Model = Model {
    id: "dict-value-release",
    title: "A dict value stored under the dict's lock with a release store",
    question: "A dict value is stored under the dict's lock and read without it: does the reader see the value's object initialised?",
    claims: &[],
    sources: DICT_SOURCES,
    abstracts: DICT_ABSTRACTS,
    properties: PUBLISH_PROPERTIES,
    expect: PUBLISH_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("dict-value-relaxed"),
    situations: &[DICT_FOUND],
    body: dict_value_release,
};

pub const DICT_VALUE_RELAXED: Model = Model {
    id: "dict-value-relaxed",
    title: "A dict value stored relaxed under the dict's lock",
    question: "If the dict's lock is held, is a relaxed store of the value enough for a reader that does not take the lock?",
    claims: &[SeedClaim {
        id: "A1",
        stance: Stance::Qualifies,
        why: "a lock per object orders only the threads that take it: the free-threaded build's readers skip the dict's lock, and a value stored relaxed under it can reach them before the object it points to is initialised",
    }],
    sources: DICT_SOURCES,
    abstracts: DICT_ABSTRACTS,
    properties: PUBLISH_PROPERTIES,
    expect: PUBLISH_RELAXED_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("dict-value-release"),
    // Shuttle's rows hold (see the header): this shows its runs got where the bug is.
    situations: &[DICT_FOUND],
    body: dict_value_relaxed,
};

pub const SHARED_KEYS: Model = Model {
    id: "dict-shared-keys",
    title: "gh-112075: dk_nentries then dk_usable (release), read in the mirrored order",
    question: "While a key is added to a class's shared keys, can a thread sizing a new instance's inline values compute fewer slots than the keys hold?",
    claims: &[],
    sources: KEYS_SOURCES,
    abstracts: KEYS_ABSTRACTS,
    properties: KEYS_PROPERTIES,
    expect: KEYS_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("dict-shared-keys-relaxed"),
    situations: &[SAW_INSERT],
    body: shared_keys_release,
};

pub const SHARED_KEYS_RELAXED: Model = Model {
    id: "dict-shared-keys-relaxed",
    title: "gh-112075 with dk_usable stored relaxed",
    question: "If dk_usable is decremented with a relaxed store, can a reader pair the new dk_usable with the old dk_nentries?",
    claims: &[],
    sources: KEYS_SOURCES,
    abstracts: KEYS_ABSTRACTS,
    properties: KEYS_PROPERTIES,
    expect: KEYS_RELAXED_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("dict-shared-keys"),
    // Shuttle's rows hold (see the header): this shows its runs got where the bug is.
    situations: &[SAW_INSERT],
    body: shared_keys_relaxed,
};

pub const LIST_COPY: Model = Model {
    id: "list-copy-release",
    title: "A list item moved under the list's lock with a release store",
    question: "When a list item is moved to another slot under the list's lock, does a reader that finds it there without the lock see its object initialised?",
    claims: &[],
    sources: LIST_SOURCES,
    abstracts: LIST_ABSTRACTS,
    properties: PUBLISH_PROPERTIES,
    expect: PUBLISH_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("list-copy-relaxed"),
    situations: &[LIST_FOUND],
    body: list_copy_release,
};

pub const LIST_COPY_RELAXED: Model = Model {
    id: "list-copy-relaxed",
    title: "A list item moved relaxed under the list's lock",
    question: "Is a relaxed store enough to move an item that was published with release, when the mover holds the list's lock?",
    claims: &[],
    sources: LIST_SOURCES,
    abstracts: LIST_ABSTRACTS,
    properties: PUBLISH_PROPERTIES,
    expect: PUBLISH_RELAXED_EXPECT,
    expect_spurious: &[],
    loom_bound: LoomBound::SMALL,
    scenarios: &[],
    twin: Some("list-copy-release"),
    // Shuttle's rows hold (see the header): this shows its runs got where the bug is.
    situations: &[LIST_FOUND],
    body: list_copy_relaxed,
};
