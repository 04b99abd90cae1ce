//! The command line under generated input: replay strings (mutations of real ones, strings
//! from the schedule grammar, arbitrary ones), the numeric options of `check`, and the
//! arguments of `trace`. Whatever the input, gilspec ends in time, never panics, and either
//! exits 0 or 1 with its normal output or exits 2 with one line `gilspec: ...` on stderr.
//! A replay string the generator knows to be invalid never exits 0.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Far more than any case takes (most take milliseconds); only a hang meets it.
const DEADLINE: Duration = Duration::from_secs(30);

/// Run the built gilspec, killing it at the deadline: exit code, stdout, stderr.
fn run(args: &[String]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gilspec"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gilspec");
    // Read both pipes as it runs, so that a full pipe cannot stall it.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for gilspec") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gilspec {args:?} took over {DEADLINE:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let code = status
        .code()
        .unwrap_or_else(|| panic!("{args:?}: killed by {status}"));
    (code, out.join().unwrap(), err.join().unwrap())
}

/// The rule every input must keep; returns the exit code.
fn well_behaved(args: &[String]) -> Result<i32, TestCaseError> {
    let (code, out, err) = run(args);
    prop_assert!(
        !err.contains("panicked at") && !err.contains("RUST_BACKTRACE") && code != 101,
        "{:?} panicked: {}",
        args,
        err
    );
    match code {
        0 | 1 => {}
        2 => {
            prop_assert!(
                err.lines().count() == 1 && err.starts_with("gilspec: "),
                "{:?}: exit 2 wants one line `gilspec: ...`, got {:?}",
                args,
                err
            );
            prop_assert!(out.is_empty(), "{:?}: exit 2 printed {:?}", args, out);
        }
        other => prop_assert!(false, "{:?}: exit {} ({})", args, other, err),
    }
    Ok(code)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const MODEL: &str = "refcount-plain";

/// Replay strings `check` printed for the model, under loom and shuttle.
fn valid_replays() -> &'static [String] {
    static VALID: OnceLock<Vec<String>> = OnceLock::new();
    VALID.get_or_init(|| {
        let mut found = Vec::new();
        for checker in [
            &["--checker", "loom"][..],
            &["--checker", "shuttle-random", "--iterations", "5"],
        ] {
            let mut args = strings(&["check", MODEL, "--json"]);
            args.extend(strings(checker));
            let (_, out, err) = run(&args);
            let rows: serde_json::Value = serde_json::from_str(&out).expect(&err);
            for row in rows.as_array().unwrap() {
                if let Some(r) = row["counterexample"]["replay"].as_str() {
                    found.push(r.to_owned());
                }
            }
        }
        assert!(found.len() >= 4, "{found:?}");
        found
    })
}

fn replay_args(replay: &str) -> Vec<String> {
    strings(&["replay", MODEL, replay])
}

/// One edit of a string: a character deleted, replaced or inserted, or a cut.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize),
    Replace(usize, char),
    Insert(usize, char),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let c = prop::sample::select(":.tspbxewc0123456789-A_ ".chars().collect::<Vec<_>>());
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), c).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(s: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for e in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match *e {
            Edit::Delete(i) if !chars.is_empty() => {
                let i = at(i, chars.len());
                chars.remove(i);
            }
            Edit::Replace(i, c) if !chars.is_empty() => {
                let i = at(i, chars.len());
                chars[i] = c;
            }
            Edit::Insert(i, c) => {
                let i = at(i, chars.len() + 1);
                chars.insert(i, c);
            }
            Edit::Truncate(i) => chars.truncate(at(i, chars.len() + 1)),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn number_list(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(0..max, 0..40)
        .prop_map(|v| v.iter().map(usize::to_string).collect::<Vec<_>>().join("."))
}

/// A replay string from the grammar `PROPERTY:tN[s]:SCHEDULE[:wN.N][:cN]`, with parts
/// that may be out of range. Kept to spaces that end fast: loom at a bound above 1
/// explores many executions with 3 or more workers, so those get small execution numbers.
fn grammar() -> impl Strategy<Value = String> {
    let property = prop::sample::select(vec![
        "no_leak",
        "no_use_after_free",
        "no_double_free",
        "no_data_race",
        "no_deadlock",
        "progress",
        "*",
        "",
    ]);
    let threads = prop_oneof![
        Just("t0"),
        Just("t1"),
        Just("t2"),
        Just("t3"),
        Just("t4"),
        Just("t9"),
        Just("t"),
        Just("t2s"),
        Just("t99999999999999999999999")
    ];
    let execution = prop_oneof![
        (0u64..40).prop_map(|n| n.to_string()),
        Just("999999".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("99999999999999999999999".to_owned()),
        Just("-1".to_owned()),
        Just("".to_owned()),
    ];
    let bound = prop_oneof![
        Just("pb0"),
        Just("pb1"),
        Just("pbx"),
        Just("pb99999999999999999999"),
        Just("pb"),
        Just("p")
    ];
    let loom = (bound, execution).prop_map(|(b, e)| format!("loom:{b}:e{e}"));
    let shuttle = number_list(5).prop_map(|t| format!("shuttle:{t}"));
    let script = prop::collection::vec(
        prop::sample::select(vec!["main", "A", "B", "C", "Z", ""]),
        0..12,
    )
    .prop_map(|t| format!("script:{}", t.join(".")));
    let suffix = prop_oneof![
        Just(String::new()),
        number_list(8).prop_map(|w| format!(":w{w}")),
        (0usize..60).prop_map(|c| format!(":c{c}")),
        Just(":c99999999999999999999999".to_owned()),
        (number_list(8), 0usize..60).prop_map(|(w, c)| format!(":w{w}:c{c}")),
    ];
    (
        property,
        threads,
        prop_oneof![loom, shuttle, script],
        suffix,
    )
        .prop_map(|(p, t, s, x)| {
            let s = format!("{p}:{t}:{s}{x}");
            // In big spaces (3+ workers, unbounded or bound 1) a far execution is looked
            // for up to loom's budget, which takes as long as a check spending it (minutes
            // here): keep their execution numbers small instead.
            let big = ["t3", "t4"].contains(&t) && (s.contains(":pbx:") || s.contains(":pb1:"));
            match s.find(":e").filter(|_| big && s.contains(":loom:")) {
                Some(i) => {
                    let end = s[i + 2..].find(':').map_or(s.len(), |j| i + 2 + j);
                    format!("{}:e7{}", &s[..i], &s[end..])
                }
                None => s,
            }
        })
}

/// Values for a numeric option: edges of every documented range, and what is no number.
fn number_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "1",
            "2",
            "5",
            "20",
            "21",
            "-1",
            "-0",
            "+1",
            " 1",
            "1 ",
            "",
            "abc",
            "1e3",
            "0x10",
            "1.5",
            "none",
            "10000000",
            "10000001",
            "100000000",
            "100000001",
            "4294967296",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
            "1/1",
            "1/2",
            "2/2",
            "0/1",
            "1/0",
            "3/2",
            "1/2/3",
            "-1/2",
            "1/99999999999999999999999",
            "a/b",
            "/",
            "٣",
        ])
        .prop_map(str::to_owned),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// Whether a value parses as a number from 1 to `max` (the ones a run would use).
fn small(value: &str, max: u64) -> bool {
    value.parse::<u64>().is_ok_and(|n| (1..=max).contains(&n))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/proptest-regressions/fuzz_cli.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_replays_are_replayed_or_refused(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let valid = valid_replays();
        let original = pick.get(valid);
        let mutated = apply(original, &edits);
        well_behaved(&replay_args(&mutated))?;
    }

    #[test]
    fn replays_past_their_execution_are_refused(
        pick in any::<prop::sample::Index>(),
        extra in prop::collection::vec(0usize..3, 1..6),
        far in 1_000u64..400_000,
    ) {
        // Known invalid: a loom execution far past the handful refcount-plain has at its
        // bound, or shuttle choices after the execution ends.
        let original = pick.get(valid_replays());
        let invalid = if let Some((head, _)) = original.rsplit_once(":e") {
            format!("{head}:e{far}")
        } else {
            let tail: Vec<String> = extra.iter().map(usize::to_string).collect();
            format!("{original}.{}", tail.join("."))
        };
        let code = well_behaved(&replay_args(&invalid))?;
        prop_assert_eq!(code, 2, "{} is not an execution of {}", invalid, MODEL);
    }

    #[test]
    fn replays_from_the_grammar_are_replayed_or_refused(replay in grammar()) {
        let code = well_behaved(&replay_args(&replay))?;
        if replay.contains(":e999999") || replay.contains(":e18446744073709551615") {
            prop_assert_ne!(code, 0, "{} is not an execution of {}", replay, MODEL);
        }
    }

    #[test]
    fn arbitrary_replays_are_refused_or_replayed(replay in "[^\0]{0,40}") {
        well_behaved(&replay_args(&replay))?;
    }

    #[test]
    fn numeric_options_are_parsed_or_refused(
        flag in prop::sample::select(vec![
            "--iterations", "--seed", "--pct-depth", "--budget", "--preemption-bound", "--shard",
        ]),
        value in number_value(),
        missing in prop::bool::weighted(0.05),
    ) {
        // Only values a run finishes fast with reach a real run: the others are checked
        // for being parsed only, against loom on one property (which ignores shuttle's
        // iterations and depth, and whose space is smaller than any budget).
        let runs_shuttle = match flag {
            "--iterations" => small(&value, 50),
            "--seed" | "--pct-depth" => true,
            _ => false,
        };
        let mut args = strings(&["check", MODEL, "--property", "no_leak", "--checker"]);
        args.push(if runs_shuttle { "shuttle-pct" } else { "loom" }.to_owned());
        if runs_shuttle && flag != "--iterations" {
            args.extend(strings(&["--iterations", "5"]));
        }
        args.push(flag.to_owned());
        if !missing {
            args.push(value.clone());
        }
        let code = well_behaved(&args)?;
        let number = value.parse::<u64>().ok();
        let in_range = match flag {
            "--iterations" => number.is_some_and(|n| (1..=10_000_000).contains(&n)),
            "--seed" => number.is_some(),
            "--pct-depth" => number.is_some_and(|n| (1..=20).contains(&n)),
            "--budget" => number.is_some_and(|n| (1..=100_000_000).contains(&n)),
            "--preemption-bound" => value == "none" || number.is_some_and(|n| n <= 20),
            _ => {
                let parts: Option<Vec<u64>> = value.split('/').map(|n| n.parse().ok()).collect();
                matches!(parts.as_deref(), Some(&[i, n]) if 1 <= i && i <= n)
            }
        };
        prop_assert_eq!(code == 2, missing || !in_range, "{:?}", args);
    }

    #[test]
    fn trace_arguments_are_traced_or_refused(
        model in prop::sample::select(vec![MODEL, "refcount", "", "-", "refcount-plain ", "-h"]),
        scenario in prop_oneof![
            prop::sample::select(vec!["r3", "R3", "r", "r33", "", "--deep", "r3\n"]).prop_map(str::to_owned),
            "[^\0]{0,12}",
        ],
        property in prop::option::of(prop::sample::select(vec!["no_leak", "no_deadlock", "x", ""])),
        format in prop::option::of(prop::sample::select(vec!["text", "json", "mermaid", "markdown", "pdf"])),
        steps in prop::option::of(prop::sample::select(vec!["all", "grouped", "some"])),
        with_scenario in any::<bool>(),
    ) {
        let mut args = strings(&["trace", model]);
        if with_scenario {
            args.extend(["--scenario".to_owned(), scenario]);
        }
        for (flag, value) in [("--property", property), ("--format", format), ("--steps", steps)] {
            if let Some(v) = value {
                args.extend(strings(&[flag, v]));
            }
        }
        well_behaved(&args)?;
    }
}
