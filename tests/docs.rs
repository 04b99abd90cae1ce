//! Generated pages are current: regenerate with `cargo run --release -- claims > docs/seed-claims.md`.

use gilspec::{claims, models};

mod common;
use common::FAMILY_CHAPTERS;

#[test]
fn the_seed_claims_page_is_current() {
    let committed = std::fs::read_to_string("docs/seed-claims.md").expect("docs/seed-claims.md");
    let now = claims::page(models::ALL);
    assert!(
        committed == now,
        "docs/seed-claims.md is stale: run `cargo run --release -- claims > docs/seed-claims.md`"
    );
}

#[test]
fn every_claim_a_model_names_is_a_seed_claim() {
    for m in models::ALL {
        for c in m.claims {
            assert!(
                claims::SEED_CLAIMS.iter().any(|(id, _)| *id == c.id),
                "{} names an unknown seed claim {}",
                m.id,
                c.id
            );
        }
    }
}

#[test]
fn every_real_cpython_line_names_a_seed_claim_and_a_program_that_exists() {
    for (claim, program, line) in claims::REAL_CPYTHON {
        assert!(
            claims::SEED_CLAIMS.iter().any(|(id, _)| id == claim),
            "{program}: unknown seed claim {claim}"
        );
        let source = std::fs::read_to_string(program)
            .unwrap_or_else(|e| panic!("{claim}: cannot read {program}: {e}"));
        assert!(source.contains("print("), "{program} prints nothing");
        assert!(!line.is_empty(), "{program}: an empty line for {claim}");
    }
}

/// Every family chapter has what a design review needs from the models' own data: the
/// verdict matrix, the counterexamples, and where the steps come from and what is left out.
#[test]
fn every_family_chapter_has_its_generated_blocks() {
    let summary = std::fs::read_to_string("docs/SUMMARY.md").unwrap();
    for chapter in FAMILY_CHAPTERS {
        let path = format!("docs/{chapter}.md");
        let text = std::fs::read_to_string(&path).expect(&path);
        for kind in ["verdicts", "counterexamples", "sources"] {
            assert!(
                text.contains(&format!("<!-- gilspec: {kind} ")),
                "{path} has no {kind} block"
            );
        }
        assert!(
            summary.contains(&format!("({chapter}.md)")),
            "SUMMARY.md lacks {path}"
        );
    }
}

/// docs/json.md documents every field gilspec writes, and only fields that exist.
#[test]
fn the_json_page_documents_every_field() {
    use gilspec::check::Limits;
    use gilspec::model::{Checker, Params};
    use gilspec::report;
    let page = std::fs::read_to_string("docs/json.md").expect("docs/json.md");
    let schema = std::fs::read_to_string("src/schema.rs").expect("src/schema.rs");
    let model = models::find("refcount-plain").unwrap();
    let row = report::check_row(
        model,
        "no_leak",
        Checker::Loom,
        Params::DEFAULT,
        &Limits::default(),
    );
    let json = row.to_json();
    let c = &json["counterexample"];
    let step = &c["steps"][0];
    let mut written: Vec<&String> = Vec::new();
    for object in [&json, c, step] {
        written.extend(object.as_object().expect("an object").keys());
    }
    for key in written {
        assert!(
            page.contains(&format!("| `{key}` |")),
            "docs/json.md does not document {key:?}"
        );
    }
    for line in page.lines().filter(|l| l.starts_with("| `")) {
        let key = line[3..].split('`').next().unwrap();
        assert!(
            schema.contains(&format!("pub {key}:")),
            "docs/json.md documents {key:?}, which src/schema.rs does not have"
        );
    }
}
