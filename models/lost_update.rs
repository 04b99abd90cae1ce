//! What the read-modify-write models share: each worker adds 1 to a counter, and the
//! property that no increment is lost, with the two expectation tables their twins use.

use crate::prelude::*;

pub const NO_LOST_UPDATE: &str = "no_lost_update";

pub const PROPERTIES: &[Property] = &[Property {
    id: NO_LOST_UPDATE,
    claim: "every increment is kept: the counter ends at the number of increments",
}];

/// The increments can be lost: loom needs one preemption, shuttle finds it.
#[rustfmt::skip]
pub const LOST: &[Expect] = &[
    Expect { property: NO_LOST_UPDATE, checkers: Checker::LOOM, default: violated(1), deep: violated(1) },
    Expect { property: NO_LOST_UPDATE, checkers: Checker::SHUTTLE, default: FOUND, deep: FOUND },
];

/// Every increment is kept.
#[rustfmt::skip]
pub const KEPT: &[Expect] = &[
    Expect { property: NO_LOST_UPDATE, checkers: Checker::LOOM_AND_SAMPLING, default: HOLDS, deep: HOLDS },
    Expect { property: NO_LOST_UPDATE, checkers: Checker::DFS, default: HOLDS, deep: HOLDS },
];

/// The property, checked once every worker has finished.
pub fn ensure_all_kept(counter: i64, increments: usize) {
    ensure(NO_LOST_UPDATE, counter == increments as i64, || {
        format!("{increments} increments, but the counter is {counter}")
    });
}
