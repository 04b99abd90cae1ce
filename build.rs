//! Which optional tools the tests can use, as cfgs. A test that needs one that is missing
//! is then reported as ignored, with the reason, in the test summary (rather than passing
//! after a line on stderr). Where `.ci/run` requires a tool (GILSPEC_REQUIRE_*=1), its
//! test always runs, and fails if the tool is not there.

use std::path::{Path, PathBuf};

fn main() {
    println!(
        "cargo::rustc-check-cfg=cfg(gilspec_has_chromium, gilspec_has_mdbook, gilspec_has_mermaid)"
    );
    let chromium = PathBuf::from("/usr/bin/chromium");
    let mermaid = PathBuf::from("target/mermaid/package/dist/mermaid.min.js");
    let mdbook = on_path("mdbook");
    let cargo_bin = std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".cargo/bin"))
        .unwrap_or_default();
    // The directories a tool is installed into: installing one changes them (a package
    // may keep its files' old times), so Cargo runs this again and sees it.
    for (cfg, present, required, watched) in [
        (
            "gilspec_has_chromium",
            chromium.exists(),
            "GILSPEC_REQUIRE_BROWSER",
            Path::new("/usr/bin"),
        ),
        (
            "gilspec_has_mermaid",
            mermaid.exists(),
            "GILSPEC_REQUIRE_MERMAID",
            Path::new("target/mermaid"),
        ),
        (
            "gilspec_has_mdbook",
            mdbook.is_some(),
            "GILSPEC_REQUIRE_MDBOOK",
            cargo_bin.as_path(),
        ),
    ] {
        println!("cargo::rerun-if-env-changed={required}");
        println!("cargo::rerun-if-changed={}", watched.display());
        if present || std::env::var(required).as_deref() == Ok("1") {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-changed=build.rs");
}

/// `name` found in a directory of PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
