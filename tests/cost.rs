//! The cost figures: the committed data has exactly the rows the benchmarks measure, the
//! book's tables and the plot are drawn from it, and every workload runs natively. The
//! numbers themselves vary by machine and are not checked; `cargo bench` remeasures them.

use gilspec::{book, cost, models};
use std::time::Duration;

#[test]
fn the_committed_figures_have_the_rows_the_benchmarks_measure() {
    let data = cost::data();
    let expected = cost::expected_ids();
    let measured = cost::measured_ids(&data);
    let missing: Vec<_> = expected.difference(&measured).collect();
    let extra: Vec<_> = measured.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/cost.json is stale in structure (missing {missing:?}, no longer measured \
         {extra:?}): run `cargo bench` then `cargo run --release -- docs`"
    );
    for p in cost::PYTHON_PROGRAMS {
        assert!(
            std::path::Path::new(p).exists(),
            "{p} is run by cargo bench but does not exist"
        );
    }
}

#[test]
fn the_convoy_plot_is_drawn_from_the_committed_figures() {
    let committed = std::fs::read_to_string(cost::SVG_PATH).expect("docs/cost-convoy.svg");
    assert!(
        committed == cost::convoy_svg(&cost::data()),
        "docs/cost-convoy.svg is not the plot of docs/cost.json: run `cargo bench`"
    );
}

/// Every `cost` block of every chapter holds what `cost::block` makes of the committed
/// data (the catalogue test checks whole chapters, with the checkers' rows; this one needs
/// none).
#[test]
fn every_cost_block_in_the_book_is_current() {
    const BEGIN: &str = "<!-- gilspec: cost ";
    const END: &str = "<!-- gilspec: end -->";
    let mut seen = 0;
    for path in book::chapters("docs").unwrap() {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(BEGIN) {
            let header_end = start + rest[start..].find("-->").unwrap() + 3;
            let what = rest[start + BEGIN.len()..header_end - 3].trim();
            let body_end = header_end + rest[header_end..].find(END).unwrap();
            let expected = format!("\n\n{}\n", cost::block(what).unwrap());
            assert!(
                rest[header_end..body_end] == expected,
                "{path}: the `cost {what}` block is stale: run `cargo run --release -- docs`"
            );
            seen += 1;
            rest = &rest[body_end + END.len()..];
        }
    }
    let cost_md = std::fs::read_to_string("docs/cost.md").expect("docs/cost.md");
    for what in [
        "machine", "refcount", "gil", "convoy", "plot", "g6", "objlock", "cpython",
    ] {
        assert!(
            cost_md.contains(&format!("{BEGIN}{what} -->")),
            "docs/cost.md has no `cost {what}` block"
        );
    }
    assert!(seen >= 8, "only {seen} cost blocks in the book");
    assert!(
        std::fs::read_to_string("docs/SUMMARY.md")
            .unwrap()
            .contains("(cost.md)"),
        "SUMMARY.md lacks docs/cost.md"
    );
    assert!(cost::block("no-such-table").is_err());
}

#[test]
fn the_cost_tables_name_models_that_exist() {
    for c in cost::Counts::ALL {
        let (model, _) = c.model_and_mirror();
        assert!(models::find(model).is_some(), "{c:?} names {model}");
    }
    for k in cost::GilKind::ALL {
        assert!(
            models::find(k.model()).is_some(),
            "{k:?} names {}",
            k.model()
        );
    }
}

/// Each workload runs natively, on real threads, and finishes: a few iterations each, so
/// the test stays short (the timing is `cargo bench`'s).
#[test]
fn every_workload_runs_natively() {
    for bench in cost::catalogue() {
        let took = bench.run(20);
        assert!(took > Duration::ZERO, "{} took no time", bench.id());
    }
    for run in cost::convoys() {
        let latencies = cost::convoy(run, 5, Duration::from_millis(300));
        assert!(
            !latencies.is_empty(),
            "{}: no operation got through",
            run.id()
        );
        assert!(latencies.iter().all(|&ns| ns > 0), "{}", run.id());
    }
}

/// Seed claim G6 on the bare GIL: two threads under it take about as long as one thread
/// doing all the work, never half as long (which is what two cores give without it).
#[test]
fn two_cpu_bound_threads_under_the_bare_gil_do_not_halve_the_time() {
    let [one, two_gil, _] = cost::g6(2_000_000);
    assert!(
        two_gil.as_secs_f64() > 0.7 * one.as_secs_f64(),
        "two threads under the GIL took {two_gil:?}, one alone {one:?}: the GIL let them run at once"
    );
}

#[test]
fn latency_statistics() {
    let s = cost::latency_stats(&[5, 1, 3, 2, 4]);
    assert_eq!(s["ops"], 5);
    assert_eq!(s["p50"], 3.0);
    assert_eq!(s["max"], 5.0);
    assert_eq!(s["mean"], 3.0);
    assert_eq!(cost::human(1.25), "1.25 ns");
    assert_eq!(cost::human(45_600.0), "45.6 µs");
    assert_eq!(cost::human(5_300_000.0), "5.30 ms");
}
