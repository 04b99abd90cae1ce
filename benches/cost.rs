//! `cargo bench`: what each design costs, natively, beside what gilspec's layer adds
//! (`src/cost.rs` has the workloads). Criterion times every catalogue entry; then the
//! convoys, seed claim G6 and the CPython programs in `docs/python/` run with their own
//! clocks (latency distributions and wall times, not nanosecond operations). A full run
//! writes `docs/cost.json` and `docs/cost-convoy.svg`; `gilspec docs` then regenerates the
//! book's cost tables and the seed-claims page from them.
//!
//! `cargo bench -- FILTER` times only the matching benchmarks and writes nothing;
//! `cargo bench --bench cost -- --redraw` redraws the plot from `docs/cost.json` alone.

use criterion::Criterion;
use gilspec::cost::{self, Bench};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Samples per benchmark: criterion's minimum, to keep a whole run to a couple of minutes.
const SAMPLES: usize = 10;

/// Each `iter_custom` call of one benchmark: (iterations, time). Criterion warms up first
/// and then takes its `SAMPLES` samples, so the last `SAMPLES` calls are the samples.
type Calls = Arc<Mutex<BTreeMap<String, Vec<(u64, Duration)>>>>;

fn main() {
    let started = Instant::now();
    let load_before = load_average();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--redraw") {
        // Only the plot, from the committed figures (after a change to its drawing).
        std::fs::write(cost::SVG_PATH, cost::convoy_svg(&cost::data())).expect("write the plot");
        println!("redrew {} from {}", cost::SVG_PATH, cost::JSON_PATH);
        return;
    }
    let filtered = args
        .iter()
        .skip(1)
        .any(|a| !a.starts_with('-') && !a.is_empty());
    let testing = args.iter().any(|a| a == "--test" || a == "--list");
    let mut c = Criterion::default()
        .sample_size(SAMPLES)
        .warm_up_time(Duration::from_millis(150))
        .measurement_time(Duration::from_millis(500))
        .configure_from_args();
    let calls: Calls = Arc::default();
    for family in ["refcount", "gil", "objlock"] {
        let mut group = c.benchmark_group(family);
        for bench in cost::catalogue() {
            let id = bench.id();
            let Some(name) = id.strip_prefix(&format!("{family}/")).map(str::to_owned) else {
                continue;
            };
            if bench == Bench::Gil(cost::GilOp::Handoff, cost::Via::Bare)
                || bench == Bench::Gil(cost::GilOp::Handoff, cost::Via::Model)
            {
                // Each handoff waits 50 µs on purpose: criterion's time budget counts only
                // the handoffs, so give it less.
                group.measurement_time(Duration::from_millis(100));
            } else {
                group.measurement_time(Duration::from_millis(500));
            }
            let calls = calls.clone();
            group.bench_function(name, move |b| {
                b.iter_custom(|iters| {
                    let took = bench.run(iters);
                    calls
                        .lock()
                        .unwrap()
                        .entry(id.clone())
                        .or_default()
                        .push((iters, took));
                    took
                })
            });
        }
        group.finish();
    }
    c.final_summary();
    if testing {
        return;
    }

    let mut ops = Map::new();
    for (id, all) in calls.lock().unwrap().iter() {
        let samples = &all[all.len().saturating_sub(SAMPLES)..];
        let mut per_iter: Vec<f64> = samples
            .iter()
            .map(|&(n, d)| d.as_nanos() as f64 / n as f64)
            .collect();
        per_iter.sort_by(f64::total_cmp);
        let median = per_iter[per_iter.len() / 2];
        ops.insert(
            id.clone(),
            json!({"ns": round(median), "low": round(per_iter[0]), "high": round(per_iter[per_iter.len() - 1])}),
        );
    }

    if filtered {
        println!("a filtered run: docs/cost.json not written");
        return;
    }

    println!("\nconvoys (the I/O-bound thread's latency per operation):");
    let mut convoy = Map::new();
    for run in cost::convoys() {
        // Beside the CPU-bound thread, as many operations as fit in a second: the convoy
        // shows only over many switch intervals.
        let (n, cap) = if run.beside_cpu {
            (usize::MAX, Duration::from_secs(1))
        } else {
            (3000, Duration::from_secs(3))
        };
        let latencies = cost::convoy(run, n, cap);
        let stats = cost::latency_stats(&latencies);
        println!(
            "  {:<40} ops {:>5}  median {:>9}  p99 {:>9}  mean {:>9}",
            run.id(),
            stats["ops"],
            cost::human(stats["p50"].as_f64().unwrap()),
            cost::human(stats["p99"].as_f64().unwrap()),
            cost::human(stats["mean"].as_f64().unwrap()),
        );
        convoy.insert(run.id(), stats);
    }

    println!("\nG6 (the same CPU-bound work, bare mirror):");
    let mut g6 = Map::new();
    let times = cost::g6(20_000_000);
    for (id, t) in cost::G6_IDS.iter().zip(times) {
        println!("  {id:<22} {}", cost::human(t.as_nanos() as f64));
        g6.insert(id.to_string(), json!(t.as_nanos() as f64));
    }

    let cpython = run_python();

    let data = json!({
        "command": "cargo bench --bench cost",
        "machine": machine(),
        "load_average": [load_before, load_average()],
        "ops": ops,
        "convoy": convoy,
        "g6": g6,
        "cpython": cpython,
    });
    let missing: Vec<String> = cost::expected_ids()
        .difference(&cost::measured_ids(&data))
        .cloned()
        .collect();
    if !missing.is_empty() {
        println!("not writing docs/cost.json: no figures for {missing:?}");
        return;
    }
    let text = serde_json::to_string_pretty(&data).unwrap() + "\n";
    std::fs::write(cost::JSON_PATH, text).expect("write docs/cost.json (run from the top)");
    std::fs::write(cost::SVG_PATH, cost::convoy_svg(&data)).expect("write the plot");
    println!(
        "\nwrote {} and {} in {:.0} s; run `cargo run --release -- docs` for the book's tables",
        cost::JSON_PATH,
        cost::SVG_PATH,
        started.elapsed().as_secs_f64()
    );
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The CPython programs' output, verbatim, and the convoy program's figures; empty when
/// there is no `python3`.
fn run_python() -> Value {
    let Ok(version) = Command::new("python3").arg("--version").output() else {
        println!("no python3: the CPython figures are left out");
        return json!({});
    };
    let version = String::from_utf8_lossy(&version.stdout)
        .trim()
        .trim_start_matches("Python ")
        .to_owned();
    let mut programs = Map::new();
    let mut convoy = Value::Null;
    for p in cost::PYTHON_PROGRAMS {
        println!("\nrunning python3 {p}");
        let out = Command::new("python3")
            .arg(p)
            .output()
            .unwrap_or_else(|e| panic!("python3 {p}: {e}"));
        assert!(out.status.success(), "python3 {p} failed: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = Vec::new();
        for line in text.lines() {
            if let Some(j) = line.strip_prefix("json: ") {
                convoy = serde_json::from_str(j).expect("convoy.py's json line");
            } else {
                println!("  {line}");
                lines.push(Value::from(line));
            }
        }
        programs.insert(p.to_owned(), Value::Array(lines));
    }
    json!({"version": version, "programs": programs, "convoy": convoy})
}

/// The 1-minute load average (/proc/loadavg): how busy the machine was besides us.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(-1.0)
}

/// What machine this is, and when.
fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let run = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    json!({
        "cpu": cpu,
        "cores": cores,
        "os": run("uname", &["-sr"]),
        "rustc": run("rustc", &["--version"]),
        "date": run("date", &["-u", "+%Y-%m-%d"]),
    })
}
