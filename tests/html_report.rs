//! `gilspec report --html`: the page is written, needs nothing from the network and carries
//! the rows of `check`; in a real headless Chromium (when installed) its step-through view
//! shows what the trace says.

use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

mod common;
use common::{Browser, browser, fresh_dir, gilspec, pre_block};

const MODELS: [&str; 2] = ["mp-value", "refcount-plain"];

/// The rows without their timings, which differ from run to run.
fn without_millis(mut rows: Value) -> Value {
    for row in rows.as_array_mut().expect("an array of rows") {
        row.as_object_mut().expect("a row").remove("millis");
    }
    rows
}

/// The JSON the page embeds in `<script type="application/json" id="data">`.
fn embedded_rows(html: &str) -> Value {
    let open = r#"<script type="application/json" id="data">"#;
    let start = html.find(open).expect("the data block") + open.len();
    let end = start + html[start..].find("</script>").expect("its end");
    serde_json::from_str(&html[start..end]).expect("the data block is JSON")
}

/// `report --html` into a fresh directory `name`: the directory, the page's path and HTML.
fn write_report(name: &str) -> (PathBuf, PathBuf, String) {
    let dir = fresh_dir(name);
    let dir_arg = dir.to_str().expect("a UTF-8 path");
    let (code, out, err) = gilspec(&[&["report", "--html", dir_arg][..], &MODELS].concat());
    assert_eq!(code, 0, "{err}");
    let page = dir.join("index.html");
    assert_eq!(out.trim(), page.to_str().unwrap());
    let html = std::fs::read_to_string(&page).expect("report writes index.html");
    (dir, page, html)
}

#[test]
fn report_writes_a_self_contained_page_with_the_rows_of_check() {
    let (_, _, html) = write_report("html_report");

    // Self-contained: every link stays on the page, nothing is loaded from anywhere.
    for attr in [r#"href=""#, r#"src=""#] {
        for (at, _) in html.match_indices(attr) {
            let value = &html[at + attr.len()..];
            assert!(
                value.starts_with('#'),
                "a link off the page: {}",
                &html[at..at + 60]
            );
        }
    }
    for outside in ["http://", "https://", "<link", "@import", "url("] {
        assert!(!html.contains(outside), "the page mentions {outside:?}");
    }

    // The rows are exactly those of `check`.
    let rows = embedded_rows(&html);
    let (_, checked, _) = gilspec(&[&["check", "--json"][..], &MODELS].concat());
    let checked: Value = serde_json::from_str(&checked).expect("check --json");
    assert_eq!(without_millis(rows.clone()), without_millis(checked));
}

/// The page steps through its counterexamples in a browser: the self-test, deep links, a
/// screenshot.
#[test]
#[cfg_attr(
    not(gilspec_has_chromium),
    ignore = "needs /usr/bin/chromium (apt-get install chromium); .ci/run installs it"
)]
fn the_page_steps_through_counterexamples_in_chromium() {
    let (dir, page, html) = write_report("html_report_browser");
    let rows = embedded_rows(&html);
    let Some(browser) = browser() else { return };
    let rows = rows.as_array().unwrap();
    let url = format!("file://{}", page.display());

    // The first counterexample, as #selftest opens it: at step 0, then Next ×3, Previous ×1.
    let first = rows
        .iter()
        .position(|r| r.get("counterexample").is_some())
        .unwrap();
    let result = selftest(&browser, &dir, &format!("{url}#selftest"));
    assert_shows_step(&result, rows, first, 2);

    // Deep links into a step that writes a shared value and into one that reads a value
    // written before it, so that the values panel has something to show; the self-test
    // steps on from two steps earlier.
    let writes = |e: &Value, _: &Value| !e["state"].as_object().unwrap().is_empty();
    let reads_a_written_value = |e: &Value, before: &Value| {
        e.get("read")
            .and_then(Value::as_object)
            .is_some_and(|r| r.keys().any(|var| before.get(var).is_some()))
    };
    let picks: Vec<(usize, usize)> = [
        &writes as &dyn Fn(&Value, &Value) -> bool,
        &reads_a_written_value,
    ]
    .into_iter()
    .map(|wanted| find_step(rows, wanted).expect("a counterexample with such a step"))
    .collect();
    for &(index, step) in &picks {
        let hash = format!("#trace={index}&step={}&selftest", step - 2);
        let result = selftest(&browser, &dir, &format!("{url}{hash}"));
        assert_shows_step(&result, rows, index, step);
    }

    // What a person sees at the step that writes.
    let (index, step) = picks[0];
    let png = dir.join("report.png");
    browser.run(
        &dir,
        5_000,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,900",
            "--hide-scrollbars",
            &format!("{url}#trace={index}&step={step}"),
        ],
    );
    let size = std::fs::metadata(&png).map_or(0, |m| m.len());
    assert!(
        size > 10_000,
        "{} is {size} bytes: a blank page?",
        png.display()
    );
    eprintln!("screenshot: {}", png.display());
}

#[test]
fn report_exits_like_check_and_rejects_bad_input_with_one_line() {
    let dir = fresh_dir("html_report_exits");
    let not_a_dir = dir.join("a-file");
    std::fs::write(&not_a_dir, "").unwrap();
    let not_a_dir = not_a_dir.to_str().unwrap();
    let nested = format!("{not_a_dir}/sub");
    let unused = dir.join("unused");
    let unused = unused.to_str().unwrap();
    for (args, mentions) in [
        (&["report", "mp-value"][..], "--html <DIR>"),
        (
            &["report", "mp-value", "--html"][..],
            "a value is required for '--html <DIR>'",
        ),
        (
            &["report", "--html", not_a_dir, "mp-value"][..],
            "cannot write",
        ),
        (
            &["report", "--html", &nested, "mp-value"][..],
            "cannot write",
        ),
        (
            &["report", "--html", unused, "no-such-model"][..],
            "unknown model",
        ),
    ] {
        let (code, _, err) = gilspec(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{args:?}: one line, got {err:?}"
        );
        assert!(
            err.contains(mentions),
            "{args:?}: {err:?} should mention {mentions:?}"
        );
    }
    assert!(
        !Path::new(unused).exists(),
        "bad input leaves no directory behind"
    );

    // With timeouts off a condvar model has no expectation to meet: exit 1, page written.
    let out_dir = dir.join("unexpected");
    let (code, _, err) = gilspec(&[
        "report",
        "--html",
        out_dir.to_str().unwrap(),
        "timed-wait-never-released",
        "--checker",
        "loom",
        "--spurious",
        "off",
        "--timeouts",
        "off",
    ]);
    assert_eq!(code, 1, "{err}");
    let html = std::fs::read_to_string(out_dir.join("index.html")).expect("the page");
    assert_eq!(embedded_rows(&html)[0]["as_expected"], false);
}

/// What the page shows after the self-test's clicks is step `step` of row `index`'s trace.
fn assert_shows_step(result: &Value, rows: &[Value], index: usize, step: usize) {
    assert!(
        result.get("error").is_none(),
        "the self-test failed: {result}"
    );
    let trace = rows[index]["counterexample"]["steps"].as_array().unwrap();
    let event = &trace[step - 1];
    assert_eq!(result["opened"], index, "{result}");
    assert_eq!(result["step"], step, "the step counter: {result}");
    assert_eq!(result["n"], trace.len(), "{result}");
    assert_eq!(result["highlighted_rows"], 1, "{result}");
    assert_eq!(
        result["thread"], event["thread"],
        "the acting thread's column: {result}"
    );
    assert_eq!(
        result["action_columns"],
        json!([event["thread"]]),
        "{result}"
    );
    assert_eq!(
        result["values"],
        cumulative_state(&trace[..step]),
        "{result}"
    );
    let mut written: Vec<&str> = event["state"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut changed: Vec<&str> = result["changed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    written.sort();
    changed.sort();
    assert_eq!(
        changed, written,
        "the values changed at this step: {result}"
    );
    assert_eq!(
        result["read"],
        event.get("read").cloned().unwrap_or(json!({})),
        "{result}"
    );
}

/// Every value the steps wrote, the last write winning.
fn cumulative_state(steps: &[Value]) -> Value {
    let mut values = Map::new();
    for e in steps {
        for (var, v) in e["state"].as_object().unwrap() {
            values.insert(var.clone(), v.clone());
        }
    }
    Value::Object(values)
}

/// The first counterexample with a step (the third or later) that `wanted` accepts, given
/// the values written before it: its row index and the step's number.
fn find_step(rows: &[Value], wanted: &dyn Fn(&Value, &Value) -> bool) -> Option<(usize, usize)> {
    rows.iter().enumerate().find_map(|(index, row)| {
        let trace = row.get("counterexample")?.get("steps")?.as_array()?;
        let step = (3..=trace.len())
            .find(|&s| wanted(&trace[s - 1], &cumulative_state(&trace[..s - 1])))?;
        Some((index, step))
    })
}

/// Load `url` with `#selftest` and return the JSON the page wrote into
/// `<pre id="selftest-result">`.
fn selftest(browser: &Browser, dir: &Path, url: &str) -> Value {
    let dom = browser.run(dir, 5_000, &["--dump-dom", url]);
    let text = pre_block(&dom, "selftest-result");
    eprintln!("self-test of {url}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"))
}
