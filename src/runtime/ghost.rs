//! `Ghost`: bookkeeping a model keeps to state its properties.

use super::context;

/// Ghost state: bookkeeping a model keeps to state its properties (who holds the GIL,
/// who was passed over), invisible to the checkers, so it never changes what they explore.
/// Create it inside the model body: it then starts afresh with every execution.
pub struct Ghost {
    value: std::sync::Mutex<i64>,
    /// Its index among the execution's ghost cells, which the stateful search counts as
    /// state (a property can depend on it).
    index: Option<usize>,
}

impl Ghost {
    pub fn new(value: i64) -> Ghost {
        Ghost {
            value: std::sync::Mutex::new(value),
            index: context::ghost_new(value),
        }
    }

    /// The value. Reading it is an observation like any other: the thread's history
    /// records it (a thread that read 0 and one that read 1 are in different states).
    pub fn get(&self) -> i64 {
        let v = *self.value.lock().unwrap_or_else(|e| e.into_inner());
        context::observe_ghost(self.index, v);
        v
    }

    pub fn set(&self, value: i64) {
        *self.value.lock().unwrap_or_else(|e| e.into_inner()) = value;
        if let Some(i) = self.index {
            context::ghost_set(i, value);
        }
    }

    /// Add `delta` and return the new value.
    pub fn add(&self, delta: i64) -> i64 {
        let mut v = self.value.lock().unwrap_or_else(|e| e.into_inner());
        *v += delta;
        if let Some(i) = self.index {
            context::ghost_set(i, *v);
        }
        context::observe_ghost(self.index, *v);
        *v
    }
}
