//! The command line: bad input gets one clear line and exit code 2; good input works.

use serde_json::Value;
use std::process::Command;

mod common;
use common::{fresh_dir, gilspec};

fn assert_usage_error(args: &[&str], mentions: &[&str]) {
    let (code, _, err) = gilspec(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert_eq!(
        err.trim().lines().count(),
        1,
        "{args:?}: one line, got {err:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for m in mentions {
        assert!(err.contains(m), "{args:?}: {err:?} should mention {m:?}");
    }
}

#[test]
fn bad_input_names_the_valid_choices_and_exits_2() {
    assert_usage_error(
        &["check", "no-such-model"],
        &["unknown model", "refcount-plain"],
    );
    assert_usage_error(
        &["check", "--checker", "tla"],
        &["invalid value 'tla'", "shuttle-pct"],
    );
    assert_usage_error(
        &["check", "refcount-plain", "--property", "nope"],
        &["no_leak"],
    );
    assert_usage_error(&["check", "--preemption-bound", "99"], &["0 to 20"]);
    assert_usage_error(&["check", "--iterations", "zero"], &["--iterations"]);
    assert_usage_error(
        &["check", "--frobnicate"],
        &["unexpected argument '--frobnicate'"],
    );
    assert_usage_error(
        &["check", "--sed", "1"],
        &["similar argument exists: '--seed'"],
    );
    assert_usage_error(
        &["check", "refcount-plian"],
        &["did you mean refcount-plain?"],
    );
    assert_usage_error(
        &["frobnicate"],
        &["unrecognized subcommand", "check, merge"],
    );
    assert_usage_error(
        &["check", "--spurious", "maybe"],
        &["possible values: on, off"],
    );
    assert_usage_error(
        &["check", "--fairness", "mostly"],
        &["possible values: strong, weak, none"],
    );
    assert_usage_error(
        &["check", "--reduction", "some"],
        &["possible values: on, off"],
    );
    assert_usage_error(
        &["check", "--seed", "1", "--seed=2"],
        &["cannot be used multiple times"],
    );
    for bad in ["0/3", "4/3", "x", "1/0", "1/", "/3"] {
        assert_usage_error(&["check", "--shard", bad], &["takes I/N", bad]);
    }
    assert_usage_error(&["check", "--shard"], &["a value is required for '--shard"]);
    // docs writes the whole book: a share of it would be a wrong page.
    assert_usage_error(
        &["docs", "--shard", "1/2"],
        &["unexpected argument '--shard'"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:loom:pb0:e1:c3"],
        &["only a shuttle schedule has one"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:shuttle:0.1:cx"],
        &["cycle start"],
    );
    assert_usage_error(
        &["trace", "refcount-plain", "--format", "pdf"],
        &["markdown"],
    );
    assert_usage_error(&["trace", "refcount-plain", "--scenario", "r9"], &["r3"]);
    assert_usage_error(
        &["replay", "refcount-plain", "garbage"],
        &["malformed replay"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:loom:pbz:e1"],
        &["preemption bound"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t9:loom:pb1:e1"],
        &["t1 to t4"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:shuttle:0.x"],
        &["malformed shuttle schedule"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:tla:1"],
        &["unknown schedule kind"],
    );
}

#[test]
fn help_asked_for_is_output_not_an_error() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["replay", "refcount-plain", "--help"],
    ] {
        let (code, out, err) = gilspec(args);
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
        assert!(out.contains("Exit status:"), "{args:?}: {out}");
    }
}

#[test]
fn a_schedule_that_is_not_the_models_is_bad_input_not_a_finding() {
    // Loom at bound 0 explores a handful of executions: the 999999th does not exist.
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:loom:pb0:e999999"],
        &["execution 999999", "explores only"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:loom:pbx:e99999"],
        &["no preemption bound explores only"],
    );
    // Past the budget no check numbers an execution; reaching it would take hours.
    assert_usage_error(
        &[
            "replay",
            "refcount-plain",
            "no_leak:t3:loom:pb2:e99999999",
            "--budget",
            "100",
        ],
        &["past loom's budget of 100"],
    );
    // Task 3 does not exist when the execution starts (only main does).
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:shuttle:3.3.3"],
        &["choice 1", "task 3", "cannot run"],
    );
    // A valid schedule with choices past the end of its execution.
    let (_, out, _) = gilspec(&[
        "check",
        "refcount-plain",
        "--property",
        "no_leak",
        "--checker",
        "shuttle-random",
        "--iterations",
        "5",
        "--json",
    ]);
    let rows: Value = serde_json::from_str(&out).unwrap();
    let valid = rows[0]["counterexample"]["replay"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        gilspec(&["replay", "refcount-plain", &valid]).0,
        0,
        "{valid}"
    );
    assert_usage_error(
        &["replay", "refcount-plain", &format!("{valid}.1.1.1")],
        &["choices, but the execution ended after"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t2:script:A.B.C"],
        &["does not follow the script"],
    );
    assert_usage_error(
        &["replay", "refcount-plain", "no_leak:t0:loom:pb0:e1"],
        &["t1 to t4"],
    );
    assert_usage_error(
        &[
            "replay",
            "refcount-plain",
            "no_such_property:t2:loom:pb0:e1",
        ],
        &["no property", "no_leak"],
    );
    // A schedule of the model that violates nothing is a finding about it, not bad input.
    let (code, _, err) = gilspec(&["replay", "refcount-plain", "no_leak:t2:shuttle:0"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("without violating"), "{err}");
}

/// `docs` looks at where it will write before spending a minute checking the models.
#[test]
fn docs_outside_the_repository_is_refused_at_once() {
    let dir = fresh_dir("docs-elsewhere");
    let start = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gilspec"))
        .arg("docs")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("run gilspec docs from the repository's top"),
        "{err}"
    );
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
}

#[test]
fn stress_reports_a_real_deadlock_instead_of_hanging() {
    // objlock-abba takes two locks in opposite orders: on real threads some run blocks
    // for good. The watchdog (check::STALL_LIMIT, 1 s) reports it and ends the process.
    let start = std::time::Instant::now();
    let (code, out, err) = gilspec(&[
        "stress",
        "objlock-abba",
        "--property",
        "no_deadlock",
        "--iterations",
        "100000",
    ]);
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("no_deadlock: violated on real threads")
            && out.contains("no thread made progress for 1 s"),
        "{out}"
    );
}

#[test]
fn check_json_rows_carry_the_documented_fields() {
    let (code, out, err) = gilspec(&["check", "refcount-plain", "--checker", "loom", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("one JSON array");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        for key in [
            "model",
            "property",
            "checker",
            "verdict",
            "expected",
            "as_expected",
            "verdict_text",
            "executions",
            "exhaustive",
            "millis",
        ] {
            assert!(row.get(key).is_some(), "{key} missing from {row}");
        }
        if row["verdict"] == "violated" {
            assert_eq!(row["schema"], 1, "{row}");
            let c = &row["counterexample"];
            let trace = c["steps"].as_array().expect("a violation has its steps");
            for key in ["step", "thread", "action", "state"] {
                assert!(trace[0].get(key).is_some(), "trace steps have {key}");
            }
            for key in [
                "preemptions",
                "preemptions_minimal",
                "steps_minimal",
                "message",
                "violated",
                "replay",
            ] {
                assert!(c.get(key).is_some(), "{key} missing from a counterexample");
            }
            // refcount-plain's data names the preemptions each loom violation needs.
            assert!(row.get("expected_preemptions").is_some(), "{row}");
            // A write of a value written before says what it was ("1 → 2" in the table).
            assert!(
                trace
                    .iter()
                    .any(|s| s.get("before").is_some_and(|b| b.is_object())),
                "{row}"
            );
            // What `replay` prints round-trips through the CLI.
            let replay = c["replay"].as_str().unwrap();
            let (code, out, err) = gilspec(&["replay", "refcount-plain", replay]);
            assert_eq!(code, 0, "{err}");
            assert!(out.contains("violation"), "{out}");
        }
    }
}

#[test]
fn trace_shows_the_seed_scenario_and_the_checkers_counterexample() {
    let (code, out, err) = gilspec(&["trace", "refcount-plain"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("scenario r3"), "{out}");
    assert!(out.contains("foo.ob_refcnt 1 → 2"), "{out}");
    assert!(out.contains("violated: loom"), "{out}");
}

/// The traces quoted in the README and the docs are what the tool prints today.
#[test]
fn quoted_traces_are_not_stale() {
    // The chapters' traces are generated blocks, checked by the catalogue test.
    let quotes = [(
        &[
            "trace",
            "refcount-plain",
            "--scenario",
            "r3",
            "--steps",
            "all",
        ][..],
        &["README.md"][..],
    )];
    for (args, files) in quotes {
        let (code, out, err) = gilspec(args);
        assert_eq!(code, 0, "{err}");
        // The table: everything from the header row on.
        let table = &out[out.find("step  thread").expect("a table")..];
        for file in files {
            let text = std::fs::read_to_string(file).unwrap();
            assert!(
                text.contains(table),
                "{file} quotes a stale trace of {args:?}; it is now:\n{table}"
            );
        }
    }
}

/// With timeouts off, timed waits behave as loom's and shuttle's own: a waiter on a lock
/// that is never released deadlocks instead of livelocking.
#[test]
fn timeouts_can_be_switched_off() {
    let (_, out, err) = gilspec(&[
        "check",
        "timed-wait-never-released",
        "--checker",
        "loom",
        "--timeouts",
        "off",
        "--spurious",
        "off",
        "--json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    let row = &rows[0];
    assert_eq!(row["timeouts"], false);
    assert_eq!(row["verdict"], "violated", "{row}");
    assert!(
        row["counterexample"]["message"]
            .as_str()
            .unwrap()
            .contains("deadlock"),
        "{row}"
    );
    let (code, out, _) = gilspec(&[
        "check",
        "timed-wait-never-released",
        "--checker",
        "loom",
        "--spurious",
        "off",
        "--json",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("\"verdict\": \"livelock\""), "{out}");
}

#[test]
fn traces_come_in_every_format() {
    let base = ["trace", "objlock-abba", "--format"];
    let (code, out, err) = gilspec(&[&base[..], &["mermaid"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("sequenceDiagram\n"), "{out}");
    assert!(
        out.contains("participant A as A") && out.contains("Note over"),
        "{out}"
    );
    let (code, out, _) = gilspec(&[&base[..], &["markdown"]].concat());
    assert_eq!(code, 0);
    // One column per thread: B's step sits in B's column.
    assert!(
        out.contains("| step | main | A | B | shared values |"),
        "{out}"
    );
    assert!(
        out.contains("| 4 |  |  | `op(b, a): lock b.ob_mutex` | holds b.ob_mutex |"),
        "{out}"
    );
    let (code, out, _) = gilspec(&[&base[..], &["json"]].concat());
    assert_eq!(code, 0);
    // The JSON carries the verdict, the message and the replay string with the steps.
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["schema"], 1, "{doc}");
    assert_eq!(doc["violated"], "no_deadlock", "{doc}");
    assert!(
        doc["message"].as_str().unwrap().contains("deadlock"),
        "{doc}"
    );
    let replay = doc["replay"].as_str().unwrap();
    assert_eq!(
        gilspec(&["replay", "objlock-abba", replay]).0,
        0,
        "{replay}"
    );
    assert!(doc["steps"].as_array().is_some_and(|s| !s.is_empty()));
    // A model with a scenario still gives one document in the machine formats.
    let (code, out, _) = gilspec(&["trace", "refcount-plain", "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert!(doc["steps"].as_array().is_some_and(|s| !s.is_empty()));
    let (_, out, _) = gilspec(&["trace", "refcount-plain", "--format", "mermaid"]);
    assert_eq!(out.matches("sequenceDiagram").count(), 1, "{out}");
}

/// Run gilspec on a pseudo-terminal (util-linux's `script`), as a person would, with
/// `columns` columns.
fn on_a_terminal(args: &str, columns: usize) -> String {
    let command = format!(
        "stty rows 40 cols {columns}; {} {args}",
        env!("CARGO_BIN_EXE_gilspec")
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("util-linux's script runs a command on a pseudo-terminal");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_check_shows_progress_on_a_terminal_and_stays_quiet_otherwise() {
    let shown = on_a_terminal("check mp-value --checker loom", 200);
    assert!(
        shown.contains("checking [1/1] ")
            && shown.contains(" executions: mp-value no_lost_update under loom"),
        "{shown:?}"
    );
    assert!(shown.contains(" executions"), "{shown:?}");

    let json = on_a_terminal("check mp-value --checker loom --json", 200);
    assert!(!json.contains("checking ["), "{json:?}");

    let (code, _, err) = gilspec(&["check", "mp-value", "--checker", "loom"]);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "piped: no progress, got {err:?}");
}

/// Shuttle's own chatter on stderr is silenced while it runs; the status line has a
/// descriptor of its own and keeps counting through a shuttle row.
#[test]
fn the_status_line_keeps_counting_while_shuttle_runs() {
    let shown = on_a_terminal(
        "check gil-handoff --checker shuttle-random --property at_most_one_gil_holder --spurious off --iterations 20000",
        200,
    );
    let counts: std::collections::BTreeSet<u64> = shown
        .split("checking [1/1] ")
        .skip(1)
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .filter(|&n| n > 0)
        .collect();
    assert!(
        counts.len() >= 2,
        "the count moved during the row: {shown:?}"
    );
}

#[test]
fn list_shows_the_models_asked_for_with_their_scenarios() {
    let (code, out, err) = gilspec(&["list", "gil-handoff"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("gil-handoff: "), "{out}");
    assert!(
        !out.contains("refcount-plain:"),
        "only the model asked for: {out}"
    );
    assert!(out.contains("scenario convoy"), "{out}");
    assert!(out.contains("twin: gil-handoff-no-force-switch"), "{out}");
    assert_usage_error(&["list", "nope"], &["unknown model", "gil-handoff"]);
}

/// `--budget` bounds an exhaustive search, and a spent budget is never a pass.
#[test]
fn a_budget_bounds_the_search_and_is_not_called_a_pass() {
    let (code, out, err) = gilspec(&[
        "check",
        "gil-handoff",
        "--checker",
        "loom",
        "--property",
        "no_deadlock",
        "--spurious",
        "off",
        "--budget",
        "100",
        "--json",
    ]);
    assert_eq!(code, 1, "not the expected verdict: {err}");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(rows[0]["verdict"], "inconclusive", "{out}");
    assert_eq!(rows[0]["executions"], 100, "{out}");
    assert_usage_error(
        &["check", "--budget", "0"],
        &["--budget", "0 is not in 1..=100000000"],
    );
}

/// A check of a few quick models under loom, as JSON rows.
fn quick_check(extra: &[&str]) -> Vec<Value> {
    // timed-wait-never-released is checked with spurious wakeups off and on: two units
    // between the other two models' one each.
    let args = [
        &[
            "check",
            "refcount-plain",
            "timed-wait-never-released",
            "mp-value",
            "--checker",
            "loom",
            "--json",
        ][..],
        extra,
    ]
    .concat();
    let (code, out, err) = gilspec(&args);
    assert_eq!(code, 0, "{args:?}: {err}");
    let rows: Value = serde_json::from_str(&out).expect("a JSON array");
    rows.as_array().expect("a JSON array").clone()
}

/// The table's cells, line by line, without the times (which differ from run to run).
fn cells_without_times(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty() && !c.ends_with(" ms"))
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn write_rows(path: &std::path::Path, rows: &[Value]) -> String {
    std::fs::write(path, serde_json::to_string_pretty(rows).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `check --shard I/N` for every I, merged, is the unsharded check: the same rows with
/// the same verdicts, in the same order, and the same table and exit code.
#[test]
fn the_shards_of_a_check_merge_into_the_check() {
    let dir = fresh_dir("merge");
    let whole = quick_check(&[]);
    let mut files = Vec::new();
    for (i, shard) in ["1/2", "2/2"].iter().enumerate() {
        let rows = quick_check(&["--shard", shard]);
        assert!(
            !rows.is_empty() && rows.len() < whole.len(),
            "shard {shard} has {} of the {} rows",
            rows.len(),
            whole.len()
        );
        files.push(write_rows(&dir.join(format!("shard{}.json", i + 1)), &rows));
    }
    let without_times = |rows: &[Value]| -> Vec<Value> {
        rows.iter()
            .map(|r| {
                let mut r = r.clone();
                r.as_object_mut()
                    .expect("a row is an object")
                    .remove("millis");
                r
            })
            .collect()
    };
    // Given in either order, the rows come out in the catalogue's order.
    let (code, out, err) = gilspec(&["merge", "--json", &files[1], &files[0]]);
    assert_eq!(code, 0, "{err}");
    let merged: Value = serde_json::from_str(&out).expect("a JSON array");
    assert_eq!(
        without_times(merged.as_array().expect("a JSON array")),
        without_times(&whole)
    );

    let (code, merged_table, err) = gilspec(&["merge", &files[1], &files[0]]);
    assert_eq!(code, 0, "{err}");
    let (_, whole_table, _) = gilspec(&[
        "check",
        "refcount-plain",
        "timed-wait-never-released",
        "mp-value",
        "--checker",
        "loom",
    ]);
    assert!(
        merged_table.contains(&format!(
            "\n{} verdicts, {0} as expected, 0 not.",
            whole.len()
        )),
        "{merged_table}"
    );
    assert_eq!(
        cells_without_times(&merged_table),
        cells_without_times(&whole_table)
    );
    let (_, merged_rows, _) = gilspec(&["merge", "--table", &files[1], &files[0]]);
    let (_, whole_rows, _) = gilspec(&[
        "check",
        "refcount-plain",
        "timed-wait-never-released",
        "mp-value",
        "--checker",
        "loom",
        "--table",
    ]);
    assert_eq!(
        cells_without_times(&merged_rows),
        cells_without_times(&whole_rows)
    );

    // A row that is not as expected makes the merge fail as the check would have.
    let mut wrong = quick_check(&["--shard", "1/2"]);
    wrong[0]["as_expected"] = Value::Bool(false);
    let wrong = write_rows(&dir.join("wrong.json"), &wrong);
    let (code, out, _) = gilspec(&["merge", &wrong, &files[1]]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 not."), "{out}");
    // The line of the model with that row says so.
    let marked: Vec<&str> = out.lines().filter(|l| l.starts_with('✗')).collect();
    assert_eq!(marked.len(), 1, "{out}");
    assert!(marked[0].contains("NOT AS EXPECTED"), "{out}");
}

#[test]
fn merge_rejects_what_is_not_the_shares_of_one_check() {
    let dir = fresh_dir("merge-bad-input");
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let share = write_rows(&dir.join("share.json"), &quick_check(&["--shard", "1/2"]));
    let share_text = std::fs::read_to_string(&share).unwrap();
    let copy = file("copy.json", &share_text);
    let missing = dir.join("missing.json").to_str().unwrap().to_owned();

    assert_usage_error(
        &["merge"],
        &["required arguments were not provided: <FILE>"],
    );
    assert_usage_error(&["merge", &missing], &["cannot read", "missing.json"]);
    assert_usage_error(
        &["merge", &file("text.json", "not json")],
        &["text.json is not JSON"],
    );
    assert_usage_error(
        &["merge", &file("object.json", "{}")],
        &["not a JSON array of rows"],
    );
    assert_usage_error(
        &["merge", &file("numbers.json", "[1]")],
        &["item 1 is not a row"],
    );
    assert_usage_error(
        &["merge", &file("partial.json", r#"[{"model": "mp-value"}]"#)],
        &["item 1 is not a row", "missing field `schema`"],
    );
    assert_usage_error(
        &[
            "merge",
            &file("partial.json", r#"[{"schema": 1, "model": "mp-value"}]"#),
        ],
        &["item 1 is not a row", "missing field `threads`"],
    );
    assert_usage_error(
        &[
            "merge",
            &file(
                "future.json",
                &share_text.replace("\"schema\": 1", "\"schema\": 2"),
            ),
        ],
        &["schema 2 (this gilspec reads schema 1)"],
    );
    assert_usage_error(
        &["merge", &share, &copy],
        &["refcount-plain", "in both", "share.json", "copy.json"],
    );
    assert_usage_error(&["merge", &share, &share], &["named twice"]);
}

/// By default a check prints a line per model, grouped by family, saying what breaks and
/// how strongly and what holds; on a terminal no line is wider than it.
#[test]
fn a_check_prints_a_line_per_model_grouped_by_family() {
    let (code, out, err) = gilspec(&["check", "refcount-plain", "mp-value", "--checker", "loom"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Reference counting: why the GIL exists (docs/refcount.md)\n"),
        "{out}"
    );
    assert!(
        out.contains("\nmultiprocessing (docs/multiprocessing.md)\n"),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.starts_with("  refcount-plain"))
        .expect("a line for refcount-plain");
    assert!(
        line.contains("breaks no_leak (loom, 0 preemptions, "),
        "{line}"
    );
    assert!(
        line.contains("holds no_double_free (loom exhaustive)"),
        "{line}"
    );
    assert!(out.contains("verdicts, "), "the summary follows: {out}");

    let narrow = on_a_terminal("check refcount-plain --checker loom", 60);
    let lines: Vec<&str> = narrow.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.contains("refcount-plain")),
        "{narrow:?}"
    );
    // What the terminal shows: each redraw (after a carriage return), escapes left out.
    for segment in lines.iter().flat_map(|l| l.split('\r')) {
        let mut shown = String::new();
        let mut chars = segment.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // CSI: ESC [ parameters, then a letter.
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                shown.push(c);
            }
        }
        assert!(
            shown.chars().count() <= 60,
            "wider than the terminal: {shown:?}"
        );
    }
}
