//! # refcount-cycle: two objects that refer to each other, and the cycle collector
//!
//! **Question.** Seed claim R5: a reference cycle never lets its counts reach zero, so
//! reference counting alone never frees it; a separate collector must. Is that so, and does
//! CPython's collector free the cycle exactly once?
//!
//! **Steps.** Main creates `a` and `b` (count 1 each: main's references). Under the GIL
//! (a mutex, as in `refcount-gil`), worker A runs `a.attr = b` and worker B `b.attr = a`
//! (in the deep suite, three objects and workers: `a.attr = b`, `b.attr = c`, `c.attr = a`).
//! `STORE_ATTR` stores a new reference in the object (Python/ceval.c → Objects/object.c
//! `PyObject_SetAttr`): `Py_INCREF` of the value, then the store. Main joins the workers
//! and runs `del a, b`: a `Py_DECREF` of each (Include/refcount.h). Each count falls to 1,
//! the reference the other object holds, and nothing else will ever decref them.
//!
//! The twin `refcount-cycle-collected` then runs `gc.collect()` in main, as
//! Modules/gcmodule.c `gc_collect_main` does it (3.11; Python/gc.c from 3.13), holding the
//! GIL throughout:
//! 1. `update_refs`: each tracked object's `gc_refs` = its `ob_refcnt`.
//! 2. `subtract_refs`: `tp_traverse` visits every reference a tracked object holds;
//!    `visit_decref` subtracts 1 from the target's `gc_refs`. What is left counts the
//!    references from outside the generation.
//! 3. `move_unreachable`: an object with `gc_refs` > 0 is reachable, and so is everything
//!    its `tp_traverse` reaches (`visit_reachable`); the rest is unreachable.
//! 4. `delete_garbage`: for each unreachable object still tracked, `Py_INCREF`,
//!    `tp_clear` (which decrefs what the object refers to), `Py_DECREF`. The decrefs reach
//!    zero and `subtype_dealloc` (Objects/typeobject.c) untracks the object, clears its
//!    slot (another decref) and frees it.
//!
//! **An interleaving that breaks it**: every one. Whatever order the workers take the GIL
//! in, after `del a, b` `a` is held only by `b` and `b` only by `a`: `no_leak` fails
//! (the heap reports them as garbage in a reference cycle). With the collector, both are
//! freed, each once, and nothing touches them afterwards.
//!
//! **Abstracts**: each object has one slot (as with `__slots__`), so there is no instance
//! dict to traverse; one generation, and no finalizers (`tp_finalize`, legacy `__del__`)
//! or weak references; `gc_refs` is a field of its own, not bits of `PyGC_Head`; the
//! generation's list is ghost state. The collector runs once, explicitly, after the
//! workers are done; the automatic trigger (allocation thresholds) is not modelled.

use crate::models::refcount::PROPERTIES;
use crate::prelude::*;

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// One object: its count, its one slot, and the collector's `gc_refs`. The slot holds 0 for
/// None and otherwise the number of the object it refers to (a = 1, b = 2, c = 3): in a
/// trace, `a.attr 0 → 2` is `a.attr = b`.
struct Node {
    obj: Obj,
    name: &'static str,
    ob_refcnt: Var,
    attr: Var,
    gc_refs: Var,
}

struct World {
    gil: Mutex<()>,
    nodes: Vec<Node>,
    /// Ghost: the objects in the collector's generation list (bit `i` for object `i`).
    tracked: Ghost,
}

impl World {
    /// `Py_INCREF`, with the GIL held.
    fn incref(&self, i: usize, who: &str) {
        let count = &self.nodes[i].ob_refcnt;
        let n = count.read(&format!("{who}: Py_INCREF: load"));
        count.write(&format!("{who}: Py_INCREF: store"), n + 1);
    }

    /// `Py_DECREF`, with the GIL held: at zero, `subtype_dealloc`.
    fn decref(&self, i: usize, who: &str) {
        let count = &self.nodes[i].ob_refcnt;
        let n = count.read(&format!("{who}: Py_DECREF: load"));
        count.write(&format!("{who}: Py_DECREF: store"), n - 1);
        if n - 1 == 0 {
            self.dealloc(i);
        }
    }

    /// Objects/typeobject.c `subtype_dealloc`: untrack, clear the slot, free.
    fn dealloc(&self, i: usize) {
        self.tracked.set(self.tracked.get() & !(1 << i));
        self.clear_slot(i, "subtype_dealloc");
        let name = self.nodes[i].name;
        object::free(self.nodes[i].obj, &format!("subtype_dealloc: free {name}"));
    }

    /// Set the slot to None and drop the reference it held (`tp_clear`, and the slot
    /// clearing of `subtype_dealloc`).
    fn clear_slot(&self, i: usize, who: &str) {
        let node = &self.nodes[i];
        let target = node.attr.read(&format!("{who}: load {}.attr", node.name));
        if target > 0 {
            let t = (target - 1) as usize;
            node.attr
                .write(&format!("{who}: {}.attr = None", node.name), 0);
            object::clear_ref(node.obj, self.nodes[t].obj);
            self.decref(t, who);
        }
    }

    /// The object `i`'s slot refers to, if any: its `tp_traverse`.
    fn traverse(&self, i: usize, who: &str) -> Option<usize> {
        let target = self.nodes[i]
            .attr
            .read(&format!("{who}: tp_traverse {}", self.nodes[i].name));
        (target > 0).then(|| (target - 1) as usize)
    }

    /// `gc.collect()`: Modules/gcmodule.c `gc_collect_main` (see the header). The caller
    /// holds the GIL.
    fn collect(&self) {
        let n = self.nodes.len();
        let young: Vec<usize> = (0..n)
            .filter(|&i| self.tracked.get() & (1 << i) != 0)
            .collect();
        for &i in &young {
            let node = &self.nodes[i];
            let refcnt = node.ob_refcnt.read("update_refs: load ob_refcnt");
            node.gc_refs
                .write("update_refs: gc_refs = ob_refcnt", refcnt);
        }
        for &i in &young {
            if let Some(t) = self.traverse(i, "subtract_refs") {
                let g = self.nodes[t].gc_refs.read("visit_decref: load gc_refs");
                self.nodes[t]
                    .gc_refs
                    .write("visit_decref: gc_refs - 1", g - 1);
            }
        }
        // move_unreachable: the objects referenced from outside, and all they reach.
        let mut reachable = vec![false; n];
        let mut todo: Vec<usize> = young
            .iter()
            .copied()
            .filter(|&i| self.nodes[i].gc_refs.read("move_unreachable: load gc_refs") > 0)
            .collect();
        while let Some(i) = todo.pop() {
            if std::mem::replace(&mut reachable[i], true) {
                continue;
            }
            if let Some(t) = self.traverse(i, "visit_reachable") {
                todo.push(t);
            }
        }
        let unreachable: Vec<usize> = young.into_iter().filter(|&i| !reachable[i]).collect();
        // delete_garbage: objects freed by an earlier tp_clear have left the list.
        for i in unreachable {
            if self.tracked.get() & (1 << i) == 0 {
                continue;
            }
            self.incref(i, "delete_garbage");
            self.clear_slot(i, "tp_clear");
            self.decref(i, "delete_garbage");
        }
    }
}

fn run(threads: usize, collect: bool) {
    let nodes: Vec<Node> = NAMES[..threads]
        .iter()
        .map(|&name| {
            let obj = object::alloc(name, 1); // main's reference
            Node {
                obj,
                name,
                ob_refcnt: Var::field(obj, "ob_refcnt", 1),
                attr: Var::field(obj, "attr", 0),
                gc_refs: Var::field(obj, "gc_refs", 0),
            }
        })
        .collect();
    let world = Shared::new(World {
        gil: Mutex::new("GIL", ()),
        nodes,
        tracked: Ghost::new((1 << threads) - 1),
    });
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let w = world.clone();
            rt::spawn(WORKERS[t], move || {
                // `x.attr = y`: the object after x in the ring.
                let y = (t + 1) % threads;
                let _gil = w.gil.lock("STORE_ATTR: take GIL");
                w.incref(y, "STORE_ATTR");
                object::store_ref(w.nodes[t].obj, w.nodes[y].obj);
                w.nodes[t].attr.write(
                    &format!("STORE_ATTR: {}.attr = {}", w.nodes[t].name, w.nodes[y].name),
                    y as i64 + 1,
                );
            })
        })
        .collect();
    for h in handles {
        h.join();
    }
    let _gil = world.gil.lock("del: take GIL");
    for (i, node) in world.nodes.iter().enumerate() {
        object::drop_ref(node.obj);
        world.decref(i, &format!("del {}", node.name));
    }
    if collect {
        world.collect();
    }
}

fn cycle(p: Params) {
    run(p.threads, false); // BUG: nothing but the counts, and they never reach zero
}

fn collected(p: Params) {
    run(p.threads, true);
}

/// Expected verdicts: property, checkers, with 2 workers, with 3 (the deep suite). Every
/// execution leaks, the first one each checker tries included.
#[rustfmt::skip]
const CYCLE_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM, default: violated(0), deep: violated(0) },
    Expect { property: NO_LEAK, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

#[rustfmt::skip]
const COLLECTED_EXPECT: &[Expect] = &[
    Expect { property: NO_LEAK, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LEAK, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_USE_AFTER_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_DOUBLE_FREE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

const SOURCES: &[&str] = &[
    "Python/ceval.c#STORE_ATTR",
    "Objects/object.c#PyObject_SetAttr",
    "Include/refcount.h#Py_DECREF",
    "Objects/typeobject.c#subtype_dealloc",
];

const GC_SOURCES: &[&str] = &[
    "Python/ceval.c#STORE_ATTR",
    "Include/refcount.h#Py_DECREF",
    "Objects/typeobject.c#subtype_dealloc",
    "Modules/gcmodule.c#gc_collect_main",
    "Modules/gcmodule.c#update_refs",
    "Modules/gcmodule.c#subtract_refs",
    "Modules/gcmodule.c#move_unreachable",
    "Modules/gcmodule.c#delete_garbage",
];

const ABSTRACTS: &str = "One slot per object (no instance dict); one generation; no finalizers or weak references; \
     gc_refs is a field of its own; the collector runs once, explicitly, after the workers.";

pub const CYCLE: Model = Model {
    id: "refcount-cycle",
    title: "A reference cycle under plain reference counting",
    question: "When two objects refer to each other and every other reference is dropped, does reference counting free them?",
    claims: &[SeedClaim {
        id: "R5",
        stance: Stance::Confirms,
        why: "each count stays at 1, the reference the other object holds: the cycle is never freed",
    }],
    sources: SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: CYCLE_EXPECT,
    twin: Some("refcount-cycle-collected"),
    body: cycle,
    ..Model::DEFAULT
};

pub const COLLECTED: Model = Model {
    id: "refcount-cycle-collected",
    title: "A reference cycle and CPython's cycle collector",
    question: "Does gc.collect() (update_refs, subtract_refs, move_unreachable, tp_clear) free a cycle nothing else refers to, exactly once?",
    claims: &[SeedClaim {
        id: "R5",
        stance: Stance::Confirms,
        why: "subtracting the references held inside the generation finds the cycle unreachable; tp_clear breaks it and both are freed once",
    }],
    sources: GC_SOURCES,
    abstracts: ABSTRACTS,
    properties: PROPERTIES,
    expect: COLLECTED_EXPECT,
    twin: Some("refcount-cycle"),
    body: collected,
    ..Model::DEFAULT
};
