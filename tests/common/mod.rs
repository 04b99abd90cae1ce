//! What several test files share: running the built command line.

use std::process::Command;

/// Run the built `gilspec` with `args`: its exit code, stdout and stderr.
pub fn gilspec(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gilspec"))
        .args(args)
        .output()
        .expect("run gilspec");
    (
        out.status.code().expect("exited normally"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
