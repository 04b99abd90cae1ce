//! What every access to shared memory records: the trace step with the values read and
//! written, and the use-after-free checks around it.

use super::context::{self, Backend};
use super::object::{self, Obj};
use crate::trace::Access;

/// The name a field of an object has in traces: `foo.ob_refcnt`.
pub(super) fn field_name(obj: Option<Obj>, field: &str) -> String {
    match obj {
        Some(o) => format!("{}.{field}", object::name(o)),
        None => field.to_owned(),
    }
}

pub(super) fn record_init(var: &str, value: i64) {
    // The initial value is not a step of its own: it is part of the step that created the
    // object or the shared state, and later writes show it as their "before".
    let exec = context::current();
    exec.state().values.insert(var.to_owned(), value);
}

pub(super) fn record_read(action: &str, var: &str, value: i64) {
    // Under loom's memory model a load may return an older store than the latest one (the
    // threads run in parallel); say so, or the trace would look impossible.
    let note = context::tracing()
        .then(|| context::last_value(var))
        .flatten()
        .filter(|&latest| latest != value)
        .map(|latest| format!("stale read: the latest store to {var} is {latest}"));
    context::record(
        action,
        vec![Access::Read {
            var: var.to_owned(),
            value,
        }],
        note,
    );
}

pub(super) fn record_write(action: &str, var: &str, before: Option<i64>, after: i64) {
    context::record(
        action,
        vec![Access::Write {
            var: var.to_owned(),
            before,
            after,
        }],
        None,
    );
}

pub(super) fn record_rmw(action: &str, var: &str, read: i64, written: Option<i64>) {
    let mut accesses = vec![Access::Read {
        var: var.to_owned(),
        value: read,
    }];
    if let Some(after) = written {
        accesses.push(Access::Write {
            var: var.to_owned(),
            before: Some(read),
            after,
        });
    }
    context::record(action, accesses, None);
}

/// Use-after-free checks. Under the checkers, after the access: the scheduling point
/// that precedes it may let another thread free the object first. On real threads,
/// before it: the access and its bookkeeping are not one step there, and checking after
/// could blame an access that really came before the free.
pub(super) fn touch(obj: Option<Obj>, action: &str) {
    if let Some(o) = obj.filter(|_| context::backend() != Backend::Std) {
        object::touch(o, action);
    }
}

pub(super) fn touch_before(obj: Option<Obj>, action: &str) {
    if let Some(o) = obj.filter(|_| context::backend() == Backend::Std) {
        object::touch(o, action);
    }
}
