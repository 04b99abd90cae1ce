//! The free-threaded build's machinery (PEP 703) beyond reference counting: safe memory
//! reclamation (QSBR) and the lock-free reads whose memory orderings CPython's developers
//! checked with a C11 model checker (colesbury/c11-model-checker, `test/`). Each model
//! here has a twin a minimal diff away, the weaker line marked `// BUG`.

pub mod c11;
pub mod qsbr;
pub mod typecache;
