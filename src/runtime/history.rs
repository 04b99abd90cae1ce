//! What a thread has observed, hashed: the stateful search knows a thread's local state
//! only by this history (a thread's code is deterministic given what it observes).

use std::collections::BTreeMap;

/// A 128-bit hash (XXH3-128): with a million states, the chance that two of them share
/// one is about 10^-27.
pub(crate) type Hash128 = (u64, u64);

pub(crate) fn hash128(data: &impl std::hash::Hash) -> Hash128 {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    data.hash(&mut h);
    let d = h.digest128();
    ((d >> 64) as u64, d as u64)
}

/// Two hashes folded into one (a history grown by an event): the one-shot XXH3 over their
/// 32 bytes, much cheaper than the streaming hasher `hash128` needs.
fn mix128(a: Hash128, b: Hash128) -> Hash128 {
    let mut bytes = [0u8; 32];
    for (i, word) in [a.0, a.1, b.0, b.1].into_iter().enumerate() {
        bytes[8 * i..8 * i + 8].copy_from_slice(&word.to_le_bytes());
    }
    let d = xxhash_rust::xxh3::xxh3_128(&bytes);
    ((d >> 64) as u64, d as u64)
}

/// What one thread has observed so far, as a hash: every step it took with the values it
/// read and wrote, and every scheduling point it passed without a step. A thread's code is
/// deterministic, so two threads with equal histories are in equal local states.
///
/// Loop rounds are folded (the "pure round" reduction, `docs/reduction.md`): when a thread
/// comes back to a loop head (a condition-variable wait, a `yield_now`) and the round since
/// its last visit there observed exactly what the round before it did, the history is set
/// back to what it was at that last visit. The round changed nothing the thread will act
/// on, so its local state is the one it had then.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    pub(crate) hash: Hash128,
    heads: BTreeMap<String, LoopHead>,
}

#[derive(Clone, Debug)]
struct LoopHead {
    /// The history at the last visit.
    at: Hash128,
    /// What the round that ended at the last visit observed (none before the second).
    round: Option<Hash128>,
    /// What the thread has observed since the last visit.
    since: Hash128,
}

impl History {
    pub(crate) fn observe(&mut self, event: Hash128) {
        self.hash = mix128(self.hash, event);
        for head in self.heads.values_mut() {
            head.since = mix128(head.since, event);
        }
    }

    /// The thread's local state is `local` and nothing else (see `rt::each`).
    pub(crate) fn forget(&mut self, local: Hash128) {
        self.hash = local;
        self.heads.clear();
    }

    pub(crate) fn loop_head(&mut self, label: &str) {
        match self.heads.get_mut(label) {
            Some(head) if head.round == Some(head.since) => {
                // The same round again: fold it.
                self.hash = head.at;
                head.since = (0, 0);
            }
            Some(head) => {
                head.round = Some(head.since);
                head.at = self.hash;
                head.since = (0, 0);
            }
            None => {
                self.heads.insert(
                    label.to_owned(),
                    LoopHead {
                        at: self.hash,
                        round: None,
                        since: (0, 0),
                    },
                );
            }
        }
    }
}
