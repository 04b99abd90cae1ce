//! What a model file needs, in one line: `use crate::prelude::*;`. The runtime's
//! primitives (its functions as `rt::spawn`, `rt::step`, ...), the modelled objects
//! (`object::alloc`), the built-in properties, and the types that describe a model.

pub use crate::model::*;
pub use crate::models::WORKERS;
pub use crate::runtime::builtin::*;
pub use crate::runtime::{
    self as rt, Atomic, Condvar, Ghost, Mutex, MutexGuard, Obj, Ordering, Shared, Var, ensure,
    fence, object, report,
};
