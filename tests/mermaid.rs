//! Every sequence diagram the book and `trace --format mermaid` give is valid Mermaid: the
//! test draws each one with Mermaid itself in headless Chromium. `.ci/run` fetches
//! Mermaid's bundle from the npm registry into target/mermaid (`npm pack`) and sets
//! GILSPEC_REQUIRE_MERMAID=1, so there a missing bundle fails instead of skipping.

use serde_json::json;
use std::path::PathBuf;

mod common;
use common::{browser, fresh_dir, gilspec, pre_block, skip_unless_required};

/// Where `.ci/run` unpacks mermaid's npm package.
fn mermaid_bundle() -> PathBuf {
    std::env::var_os("GILSPEC_MERMAID_JS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/mermaid/package/dist/mermaid.min.js")
        },
        PathBuf::from,
    )
}

/// The ```mermaid blocks of the book's pages, each with where it comes from.
fn book_diagrams() -> Vec<(String, String)> {
    let mut diagrams = Vec::new();
    let mut pages: Vec<PathBuf> = std::fs::read_dir("docs")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for (i, block) in text.split("```mermaid\n").skip(1).enumerate() {
            let source = &block[..block.find("```").expect("a closed block")];
            diagrams.push((format!("{} #{}", page.display(), i + 1), source.to_owned()));
        }
    }
    diagrams
}

#[test]
#[cfg_attr(
    not(all(gilspec_has_chromium, gilspec_has_mermaid)),
    ignore = "needs /usr/bin/chromium and target/mermaid (npm pack mermaid); .ci/run fetches both"
)]
fn every_diagram_renders_with_mermaid() {
    let mut diagrams = book_diagrams();
    assert!(diagrams.len() >= 20, "the book has its diagrams");
    // And what the command line prints, grouped and step by step.
    for args in [
        &[
            "trace",
            "gil-handoff-no-force-switch",
            "--property",
            "requester_gets_gil_before_dropper_retakes_it",
        ][..],
        &["trace", "refcount-plain", "--steps", "all"][..],
    ] {
        let (code, out, err) = gilspec(&[args, &["--format", "mermaid"]].concat());
        assert_eq!(code, 0, "{err}");
        diagrams.push((args.join(" "), out));
    }

    let bundle = mermaid_bundle();
    if !bundle.exists() {
        skip_unless_required(
            "GILSPEC_REQUIRE_MERMAID",
            &format!(
                "{} not found; .ci/run fetches it (npm pack mermaid)",
                bundle.display()
            ),
        );
        return;
    }
    let Some(browser) = browser() else { return };

    let dir = fresh_dir("mermaid");
    std::fs::copy(&bundle, dir.join("mermaid.min.js")).unwrap();
    let sources = json!(diagrams).to_string().replace("</", "<\\/");
    let page = format!(
        r#"<!doctype html><meta charset="utf-8"><pre id="result">running</pre>
<script src="mermaid.min.js"></script>
<script>
const diagrams = {sources};
mermaid.initialize({{ startOnLoad: false }});
(async () => {{
  const failures = [];
  for (const [i, [where, source]] of diagrams.entries()) {{
    try {{ await mermaid.render("d" + i, source); }}
    catch (e) {{ failures.push(where + ": " + String(e.message || e).slice(0, 300)); }}
  }}
  document.getElementById("result").textContent =
    JSON.stringify({{ drawn: diagrams.length - failures.length, failures }});
}})();
</script>"#
    );
    std::fs::write(dir.join("index.html"), page).unwrap();
    let url = format!("file://{}", dir.join("index.html").display());
    let dom = browser.run(&dir, 60_000, &["--dump-dom", &url]);
    let result: serde_json::Value =
        serde_json::from_str(&pre_block(&dom, "result")).expect("the page finished drawing");
    assert_eq!(result["failures"], json!([]), "{result}");
    assert_eq!(result["drawn"], json!(diagrams.len()), "{result}");
}
