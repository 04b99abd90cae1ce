//! gilspec: model-checked specifications of CPython's Global Interpreter Lock and of the
//! designs that replace it.
//!
//! - [`runtime`]: the primitives models are written against, one source for every
//!   checker (loom, shuttle, real threads); [`prelude`]: what a model file imports.
//! - [`check`]: running a model under a checker and judging the outcome.
//! - [`model`]: models as data; [`models`]: the models themselves and their registry.
//! - [`trace`]: counterexamples for people; [`html`]: the verdicts and counterexamples as a
//!   page to step through.
//! - [`shard`]: which rows a check computes, and how they split over machines.

pub mod bench;
pub mod book;
pub mod check;
pub mod claims;
pub mod cost;
pub mod html;
pub mod model;
pub mod prelude;
pub mod report;
pub mod runtime;
pub mod schema;
pub mod shard;
pub mod trace;

#[path = "../models/mod.rs"]
pub mod models;

pub use check::{Body, Limits, Outcome, Verdict};
pub use model::{Checker, Model, Params};
