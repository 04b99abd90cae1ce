//! The verdict table: every model × property × checker, checked and compared with what the
//! model's data expects.

use crate::check::{self, Failure, Limits, Outcome, Schedule, Verdict};
use crate::model::{Checker, Expected, Model, Params, Scenario};
use crate::runtime::context::WaitEvents;
use crate::schema;
use crate::trace::Trace;
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::Arc;

/// Everything `gilspec replay` needs: the property to arm, the model's size, the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    pub property: String,
    pub params: Params,
    pub schedule: Schedule,
}

impl std::fmt::Display for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let spurious = if self.params.spurious { "s" } else { "" };
        write!(
            f,
            "{}:t{}{spurious}:{}",
            self.property, self.params.threads, self.schedule
        )
    }
}

/// Most worker threads a model may have (loom allows 4 besides main).
pub const MAX_THREADS: usize = 4;

impl Replay {
    /// Parse `PROPERTY:tN:SCHEDULE`, as printed in every violated row.
    pub fn parse(s: &str) -> Result<Replay, String> {
        let mut parts = s.splitn(3, ':');
        let (Some(property), Some(threads), Some(schedule)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "malformed replay {s:?}: expected PROPERTY:tTHREADS:SCHEDULE, as printed by `gilspec check`"
            ));
        };
        let (threads, spurious) = match threads.strip_suffix('s') {
            Some(t) => (t, true),
            None => (threads, false),
        };
        let threads = threads
            .strip_prefix('t')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=MAX_THREADS).contains(n))
            .ok_or_else(|| {
                format!(
                    "malformed thread count {threads:?} in {s:?}: expected t1 to t{MAX_THREADS}, then s if spurious wakeups are on"
                )
            })?;
        Ok(Replay {
            property: property.to_owned(),
            params: Params { threads, spurious },
            schedule: Schedule::parse(schedule)?,
        })
    }
}

/// The body of `model` at size `params`, ready for a checker.
pub fn body(model: &Model, params: Params) -> check::Body {
    let f = model.body;
    Arc::new(move || f(params))
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Row {
    pub model: &'static str,
    pub params: Params,
    /// Timed waits could time out in this run.
    pub timeouts: bool,
    pub outcome: Outcome,
    pub expected: Option<Expected>,
}

impl Row {
    /// The verdict equals the expectation (for loom violations: with the same number of
    /// preemptions).
    pub fn as_expected(&self) -> bool {
        let o = &self.outcome;
        match self.expected {
            Some(Expected::Holds) => o.verdict == Verdict::Holds,
            Some(Expected::Violated { preemptions }) => {
                o.verdict == Verdict::Violated
                    && (preemptions.is_none() || preemptions == o.preemptions)
            }
            Some(Expected::Inconclusive) => o.verdict == Verdict::Inconclusive,
            Some(Expected::Livelock) => o.verdict == Verdict::Livelock,
            Some(Expected::Vacuous) => o.verdict == Verdict::Vacuous,
            None => false,
        }
    }

    pub fn replay(&self) -> Option<Replay> {
        let f = failure(self)?;
        Some(Replay {
            property: self.outcome.property.clone(),
            params: self.params,
            schedule: f.schedule.clone(),
        })
    }

    /// The verdict with its strength, in words.
    pub fn verdict_text(&self) -> String {
        let o = &self.outcome;
        match o.verdict {
            Verdict::Holds => format!("holds: {} {}", o.checker, o.bound),
            Verdict::Violated => {
                let f = o.failure.as_ref().expect("a violation has a failure");
                match (o.checker, o.preemptions) {
                    (Checker::Loom, Some(k)) => format!(
                        "violated: loom, {k} preemption{}{}, {} steps{}",
                        if k == 1 { "" } else { "s" },
                        if o.preemptions_minimal {
                            " (fewest)"
                        } else {
                            ""
                        },
                        f.trace.len(),
                        if o.steps_minimal { " (fewest)" } else { "" }
                    ),
                    (Checker::ShuttleDfs, _) => format!(
                        "violated: shuttle-dfs, {} steps{}, {}",
                        f.trace.len(),
                        if o.steps_minimal { " (fewest)" } else { "" },
                        o.bound
                    ),
                    _ => match o.shortest_among {
                        Some(n) => format!(
                            "violated: {}, the shortest of {n} executions (execution {}), {} steps",
                            o.checker,
                            f.execution,
                            f.trace.len()
                        ),
                        None => format!("violated: {}, execution {}", o.checker, f.execution),
                    },
                }
            }
            Verdict::Livelock => {
                let cycle = o.failure.as_ref().and_then(|f| f.trace.cycle_steps());
                let execution = o.failure.as_ref().map_or(0, |f| f.execution);
                match cycle {
                    Some(n) if o.checker == Checker::ShuttleDfs => {
                        format!("livelock: shuttle-dfs, a cycle of {n} steps, {}", o.bound)
                    }
                    Some(n) => format!(
                        "livelock: {}, a cycle of {n} steps in execution {execution}, weak fairness",
                        o.checker
                    ),
                    None => format!("livelock: {}, execution {execution}", o.checker),
                }
            }
            Verdict::Inconclusive | Verdict::Error => {
                format!("{}: {}", o.verdict, o.note.as_deref().unwrap_or(""))
            }
            Verdict::Vacuous => format!(
                "vacuous: no violation ({} {}), but {}",
                o.checker,
                o.bound,
                o.note.as_deref().unwrap_or("")
            ),
        }
    }

    /// The row in the JSON schema (`schema::Row`, `docs/json.md`).
    pub fn to_schema(&self) -> schema::Row {
        let o = &self.outcome;
        schema::Row {
            schema: schema::VERSION,
            model: self.model.to_owned(),
            threads: self.params.threads,
            spurious: self.params.spurious,
            timeouts: self.timeouts,
            property: o.property.clone(),
            checker: o.checker.id().to_owned(),
            verdict: o.verdict.id().to_owned(),
            expected: self.expected.map(|e| expected_id(e).to_owned()),
            expected_preemptions: expected_preemptions(self.expected),
            as_expected: self.as_expected(),
            verdict_text: self.verdict_text(),
            executions: o.executions,
            bound: o.bound.clone(),
            exhaustive: o.exhaustive,
            millis: o.millis as u64,
            reached: o.reached.iter().map(|s| s.to_string()).collect(),
            note: o.note.clone(),
            counterexample: self.counterexample(),
        }
    }

    /// The row's counterexample in the JSON schema, if it has one, with how strongly the
    /// checker showed it.
    pub fn counterexample(&self) -> Option<schema::Counterexample> {
        let o = &self.outcome;
        let f = failure(self)?;
        let replay = self.replay().map(|r| r.to_string());
        Some(schema::Counterexample {
            preemptions: o.preemptions,
            preemptions_minimal: o.preemptions_minimal,
            steps_minimal: o.steps_minimal,
            shortest_among: o.shortest_among,
            ..counterexample(self.model, &o.property, Some(f), &f.trace, replay)
        })
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.to_schema()).expect("a row is JSON")
    }

    /// The row as the terminal table shows it.
    pub fn table_row(&self) -> TableRow {
        TableRow {
            model: self.model.to_owned(),
            params: self.params,
            property: self.outcome.property.clone(),
            checker: self.outcome.checker.id().to_owned(),
            kind: self.outcome.verdict.id().to_owned(),
            verdict: self.verdict_text(),
            expected: expected_of(self.expected),
            as_expected: self.as_expected(),
            executions: self.outcome.executions,
            millis: self.outcome.millis as u64,
            exhaustive: self.outcome.exhaustive,
            steps: failure(self).map(|f| f.trace.len() as u64),
        }
    }
}

/// A row as the terminal table shows it: `check` makes it from the row it checked,
/// `merge` from that row's JSON, so that both print the same table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRow {
    pub model: String,
    pub params: Params,
    pub property: String,
    pub checker: String,
    /// The verdict's kind (`holds`, `violated`, ...), and the verdict in words.
    pub kind: String,
    pub verdict: String,
    pub expected: String,
    pub as_expected: bool,
    pub executions: u64,
    pub millis: u64,
    /// The search explored its whole space (a "holds" is a proof).
    pub exhaustive: bool,
    /// The counterexample's length, if the row has one.
    pub steps: Option<u64>,
}

impl TableRow {
    /// Read a row of `gilspec check --json`; the error names the field that is missing
    /// or of the wrong kind.
    pub fn from_json(v: &Value) -> Result<TableRow, String> {
        let row: schema::Row = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
        if row.schema != schema::VERSION {
            return Err(format!(
                "schema {} (this gilspec reads schema {})",
                row.schema,
                schema::VERSION
            ));
        }
        Ok(TableRow {
            model: row.model,
            params: Params {
                threads: row.threads,
                spurious: row.spurious,
            },
            property: row.property,
            checker: row.checker,
            kind: row.verdict,
            verdict: row.verdict_text,
            expected: expected_text(row.expected.as_deref(), row.expected_preemptions),
            as_expected: row.as_expected,
            executions: row.executions,
            millis: row.millis,
            exhaustive: row.exhaustive,
            steps: row.counterexample.map(|c| c.steps.len() as u64),
        })
    }

    /// The model, with its size and setting when they are not the default.
    pub fn name(&self) -> String {
        row_name(&self.model, self.params)
    }
}

/// An execution in the JSON schema: what broke (if anything), how to replay it, and its
/// steps; nothing about how strongly it was shown (a checker's row adds that).
pub fn counterexample(
    model: &str,
    property: &str,
    failure: Option<&Failure>,
    trace: &Trace,
    replay: Option<String>,
) -> schema::Counterexample {
    schema::Counterexample {
        schema: schema::VERSION,
        model: model.to_owned(),
        property: property.to_owned(),
        violated: failure.map(|f| f.violation.property.clone()),
        message: failure.map(|f| f.violation.message.clone()),
        replay,
        found_at_execution: failure.map_or(1, |f| f.execution),
        context_switches: trace.context_switches(),
        preemptions: None,
        preemptions_minimal: false,
        steps_minimal: false,
        shortest_among: None,
        cycle_from: failure.and_then(|f| f.trace.cycle_from()),
        steps: trace.to_schema(),
    }
}

/// The fewest preemptions a loom violation is expected to need, if the model names it.
fn expected_preemptions(e: Option<Expected>) -> Option<usize> {
    match e {
        Some(Expected::Violated { preemptions }) => preemptions,
        _ => None,
    }
}

pub fn expected_id(e: Expected) -> &'static str {
    match e {
        Expected::Holds => "holds",
        Expected::Violated { .. } => "violated",
        Expected::Inconclusive => "inconclusive",
        Expected::Livelock => "livelock",
        Expected::Vacuous => "vacuous",
    }
}

fn expected_of(e: Option<Expected>) -> String {
    expected_text(e.map(expected_id), expected_preemptions(e))
}

/// The expectation in the tables, from its `expected_id` and `expected_preemptions`.
fn expected_text(id: Option<&str>, preemptions: Option<usize>) -> String {
    match (id, preemptions) {
        (None, _) => "(none)".to_owned(),
        (Some(id), Some(k)) => format!("{id} ({k} pre.)"),
        (Some(id), None) => id.to_owned(),
    }
}

/// Check one property of one model under one checker.
pub fn check_row(
    model: &'static Model,
    property: &str,
    checker: Checker,
    params: Params,
    limits: &Limits,
) -> Row {
    let mut limits = Limits {
        spurious: params.spurious,
        ..limits.clone()
    };
    if limits.model_bound {
        limits.preemption_bound = model.loom_bound.for_params(params);
    }
    let key = format!("{} {params:?}", model.id);
    let mut outcome =
        check::check_keyed(Some(&key), &body(model, params), property, checker, &limits);
    let unreached: Vec<&str> = model
        .situations
        .iter()
        .map(|s| s.0)
        .filter(|s| !outcome.reached.contains(s))
        .collect();
    if outcome.verdict == Verdict::Holds && !unreached.is_empty() {
        outcome.verdict = Verdict::Vacuous;
        outcome.note = Some(format!("no run reached: {}", unreached.join("; ")));
    }
    Row {
        model: model.id,
        params,
        timeouts: limits.timeouts,
        outcome,
        // The expectations of models that wait on a condvar assume that timed waits can
        // time out; with timeouts off there is nothing to compare with.
        expected: model
            .expected(property, checker, params)
            .filter(|_| limits.timeouts || model.expect_spurious.is_empty()),
    }
}

/// The counterexample of a violated or livelocked row, if any.
pub fn failure(row: &Row) -> Option<&Failure> {
    let shown = matches!(row.outcome.verdict, Verdict::Violated | Verdict::Livelock);
    row.outcome.failure.as_ref().filter(|_| shown)
}

/// Replay a model's scripted scenario: its run (with the violation, if any) and its trace.
pub fn run_scenario(
    model: &Model,
    scenario: &Scenario,
    limits: &Limits,
) -> (check::Run, crate::trace::Trace) {
    let script = scenario.steps();
    let params = Params {
        threads: scenario.threads,
        spurious: false,
    };
    let events = WaitEvents::Fixed(scenario.wait_events.iter().copied().collect());
    check::run_script(
        &body(model, params),
        scenario.property,
        limits,
        &script,
        events,
    )
}

/// A scenario replayed by its script: what the book shows beside the checker's trace.
#[derive(Clone, Debug)]
pub struct ScenarioRun {
    pub model: &'static str,
    pub scenario: &'static str,
    pub run: check::Run,
    pub trace: crate::trace::Trace,
}

/// Every scenario of `models`, replayed (the book renders them; it runs nothing itself).
pub fn scenario_runs(models: &[&'static Model]) -> Vec<ScenarioRun> {
    models
        .iter()
        .flat_map(|m| m.scenarios.iter().map(move |s| (m, s)))
        .map(|(m, s)| {
            let (run, trace) = run_scenario(m, s, &Limits::default());
            ScenarioRun {
                model: m.id,
                scenario: s.id,
                run,
                trace,
            }
        })
        .collect()
}

/// The model's name in tables, with its size and setting when they are not the default.
fn row_name(model: &str, params: Params) -> String {
    let mut name = model.to_owned();
    if params.is_deep() {
        name += &format!(" (t{})", params.threads);
    }
    if params.spurious {
        name += " (spurious)";
    }
    name
}

/// The table as Markdown, without times (so that it is the same on every machine): the
/// generated `docs/verdicts.md`.
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "# Every verdict\n\n\
         Generated by `gilspec docs` from the checkers' runs (2 worker threads); `cargo test`\n\
         fails when this page differs from what they compute. *ok* says whether the verdict\n\
         equals the model's expectation.\n\n\
         | model | property | checker | verdict | expected | ok | executions | trace steps |\n\
         |---|---|---|---|---|---|---:|---:|\n",
    );
    for r in rows {
        let steps = failure(r).map_or(String::new(), |f| f.trace.len().to_string());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row_name(r.model, r.params),
            r.outcome.property,
            r.outcome.checker,
            r.verdict_text().replace('|', "\\|"),
            expected_of(r.expected),
            if r.as_expected() { "yes" } else { "NO" },
            r.outcome.executions,
            steps
        );
    }
    out
}

/// The table for a terminal.
pub fn table(rows: &[TableRow]) -> String {
    let headers = [
        "model",
        "property",
        "checker",
        "verdict",
        "expected",
        "ok",
        "executions",
        "time",
        "steps",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                r.name(),
                r.property.clone(),
                r.checker.clone(),
                r.verdict.clone(),
                r.expected.clone(),
                if r.as_expected { "yes" } else { "NO" }.to_owned(),
                r.executions.to_string(),
                format!("{} ms", r.millis),
                r.steps.map_or(String::new(), |n| n.to_string()),
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cols: Vec<&str>| {
        let padded: Vec<String> = cols
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(&mut out, headers.to_vec());
    for row in &cells {
        line(&mut out, row.iter().map(String::as_str).collect());
    }
    out
}

/// What `check` prints unless asked for the table: a line per model (at each size and
/// setting), grouped by family, naming what breaks and how strongly, and what holds and
/// how strongly; a line with a verdict that is not as expected starts with `✗` and names
/// it. Lines are cut to `width` characters.
pub fn overview(rows: &[TableRow], width: usize) -> String {
    // The models' rows, in the order of first appearance, grouped by family.
    let mut groups: Vec<(Option<usize>, String, Vec<&TableRow>)> = Vec::new();
    for r in rows {
        let family = crate::models::family_of(&r.model);
        let name = r.name();
        match groups.iter_mut().find(|g| g.0 == family && g.1 == name) {
            Some(g) => g.2.push(r),
            None => groups.push((family, name, vec![r])),
        }
    }
    groups.sort_by_key(|g| g.0.unwrap_or(usize::MAX));
    let name_width = groups
        .iter()
        .map(|g| g.1.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let mut shown_family = None;
    for (family, name, rows) in &groups {
        if shown_family != Some(*family) {
            let title = match family.map(|i| &crate::models::FAMILIES[i]) {
                Some(f) => format!("{} ({})", f.title, f.chapter),
                None => "Other models".to_owned(),
            };
            if shown_family.is_some() {
                out.push('\n');
            }
            out += &cut(&title, width);
            out.push('\n');
            shown_family = Some(*family);
        }
        let wrong: Vec<String> = rows
            .iter()
            .filter(|r| !r.as_expected)
            .map(|r| {
                format!(
                    "{} under {}: {}, expected {}",
                    r.property, r.checker, r.kind, r.expected
                )
            })
            .collect();
        let mark = if wrong.is_empty() { ' ' } else { '✗' };
        let mut line = format!("{mark} {name:<name_width$}  {}", model_line(rows));
        if !wrong.is_empty() {
            line += &format!(" [NOT AS EXPECTED: {}]", wrong.join("; "));
        }
        out += &cut(&line, width);
        out.push('\n');
    }
    out
}

/// A property's verdict across checkers, and how a model's line says it, in the order the
/// line lists them.
const SAID: [(&str, &str); 6] = [
    ("violated", "breaks"),
    ("livelock", "livelocks"),
    ("error", "errs on"),
    ("holds", "holds"),
    ("vacuous", "holds vacuously"),
    ("inconclusive", "leaves undecided"),
];

/// One model's verdicts in words: each property once, with its strongest evidence.
fn model_line(rows: &[&TableRow]) -> String {
    let mut properties: Vec<&str> = Vec::new();
    for r in rows {
        if !properties.contains(&r.property.as_str()) {
            properties.push(&r.property);
        }
    }
    let of =
        |p: &str| -> Vec<&TableRow> { rows.iter().copied().filter(|r| r.property == p).collect() };
    // A violation (a livelock, an error) anywhere is the property's verdict; it holds
    // when every checker that can decide it says so.
    let verdict = |p: &str| -> &'static str {
        let kinds: Vec<&str> = of(p).iter().map(|r| r.kind.as_str()).collect();
        let decided = ["violated", "livelock", "error"]
            .into_iter()
            .find(|k| kinds.contains(k));
        match decided {
            Some(k) => k,
            None if kinds.iter().all(|k| *k == "holds") => "holds",
            None if kinds.contains(&"vacuous") => "vacuous",
            None => "inconclusive",
        }
    };
    let said = |r: &TableRow| -> String {
        let text = r
            .verdict
            .split_once(": ")
            .map_or(r.verdict.as_str(), |(_, t)| t);
        // A violation's search size says little; its fewest steps say much.
        let text = match text.split_once(", exhaustive (") {
            Some((found, _)) if r.kind == "violated" => found,
            _ => text,
        };
        text.replace(" preemptions (fewest)", " preemptions")
            .replace(" preemption (fewest)", " preemption")
            .replace(" (sequentially consistent)", "")
            .replace(
                " early timeouts or spurious wakeups per execution",
                " wait events",
            )
    };
    // The evidence to show: the strongest first (a "holds" from an exhaustive search, a
    // violation with the fewest steps; loom's, then the stateful search's), then loom's,
    // the stateful search's, the first. Evidence from the stateful search keeps loom's
    // verdict beside it: only loom explores weak memory, and it counts preemptions.
    let strongest = |r: &TableRow| r.exhaustive || r.verdict.contains("steps (fewest)");
    let evidence = |p: &str, kind: &str| -> Option<String> {
        let candidates: Vec<&TableRow> = of(p).into_iter().filter(|r| r.kind == kind).collect();
        let by = |checker: &str, strong: bool| {
            candidates
                .iter()
                .find(|r| r.checker == checker && (!strong || strongest(r)))
        };
        let best = by("loom", true)
            .or(by("shuttle-dfs", true))
            .or(by("loom", false))
            .or(by("shuttle-dfs", false))
            .or(candidates.first())?;
        match by("loom", false) {
            Some(loom) if best.checker != "loom" => Some(format!("{}; {}", said(best), said(loom))),
            _ => Some(said(best)),
        }
    };
    let mut parts: Vec<String> = Vec::new();
    for (kind, said) in SAID {
        let listed: Vec<String> = properties
            .iter()
            .filter(|p| verdict(p) == kind)
            .map(|p| match evidence(p, kind) {
                Some(e) => format!("{p} ({e})"),
                None => p.to_string(),
            })
            .collect();
        if !listed.is_empty() {
            parts.push(format!("{said} {}", listed.join(", ")));
        }
    }
    parts.join("; ")
}

/// `line` in at most `width` characters, with `…` where it was cut.
fn cut(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_owned();
    }
    let mut s: String = line.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The line under the table: how many verdicts equal their expectations.
pub fn summary(rows: &[TableRow]) -> String {
    let wrong = rows.iter().filter(|r| !r.as_expected).count();
    format!(
        "{} verdicts, {} as expected, {wrong} not.\nCounterexamples: gilspec trace MODEL --property P",
        rows.len(),
        rows.len() - wrong
    )
}
