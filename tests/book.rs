//! The book builds with mdBook. `.ci/run` installs mdbook and sets
//! GILSPEC_REQUIRE_MDBOOK=1, so there a missing mdbook fails instead of skipping.

use std::process::Command;

mod common;
use common::{FAMILY_CHAPTERS, skip_unless_required};

#[test]
#[cfg_attr(
    not(gilspec_has_mdbook),
    ignore = "mdbook not found; install it with `cargo install mdbook --locked --version 0.5.4` (.ci/run does)"
)]
fn the_book_builds_with_mdbook() {
    let Ok(version) = Command::new("mdbook").arg("--version").output() else {
        skip_unless_required(
            "GILSPEC_REQUIRE_MDBOOK",
            "mdbook not found; install it with `cargo install mdbook --locked --version 0.5.4` (.ci/run does)",
        );
        return;
    };
    assert!(version.status.success());
    let out_dir = std::env::temp_dir().join(format!("gilspec-book-{}", std::process::id()));
    let build = Command::new("mdbook")
        .args(["build", "docs", "--dest-dir"])
        .arg(&out_dir)
        .output()
        .expect("run mdbook");
    let log = String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "mdbook build docs failed:\n{log}");
    assert!(!log.contains("WARN") && !log.contains("ERROR"), "{log}");
    // Every chapter of SUMMARY.md became a page, with its generated tables.
    for page in FAMILY_CHAPTERS {
        let html = std::fs::read_to_string(out_dir.join(format!("{page}.html")))
            .unwrap_or_else(|e| panic!("{page}.html: {e}"));
        assert!(
            html.contains("language-mermaid"),
            "{page}: no sequence diagram"
        );
        assert!(html.contains("<table>"), "{page}: no table");
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}
