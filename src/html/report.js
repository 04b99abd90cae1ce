// gilspec report: the verdict matrix, and a step-through view of each counterexample.
// The rows are those of `gilspec check --json`, embedded in the page.
"use strict";

// Rows in gilspec's JSON schema (docs/json.md); a counterexample's fields are read as
// the row's own.
const rows = JSON.parse(document.getElementById("data").textContent).map((r) => {
  const c = r.counterexample;
  return c ? { ...r, ...c, property: r.property, steps: c.steps.length, trace: c.steps } : r;
});
const CHECKERS = ["loom", "shuttle-pct", "shuttle-random", "shuttle-dfs"];
const $ = (id) => document.getElementById(id);

// A new element with attributes and children (strings become text).
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null) e.append(c);
  }
  return e;
}

function plural(n, word, words = `${word}s`) {
  return `${n} ${n === 1 ? word : words}`;
}

// The verdict in a few words; `fewest` adds whether no execution with fewer preemptions
// violates the property (the matrix leaves that to the tooltip and the viewer).
function verdictText(r, fewest = false) {
  if (r.verdict === "violated" && r.preemptions != null) {
    const minimal = fewest && r.preemptions_minimal ? ", the fewest" : "";
    return `violated (${plural(r.preemptions, "preemption")}${minimal})`;
  }
  return r.verdict;
}

// Every model's worker-thread count, when the rows share one: then the summary says it
// once instead of every line of the matrix.
const sharedThreads = new Set(rows.map((r) => r.threads)).size === 1 ? rows[0]?.threads : null;

function setting(r, always = false) {
  const parts = always || sharedThreads === null ? [plural(r.threads, "thread")] : [];
  if (r.spurious) parts.push("spurious wakeups");
  if (!r.timeouts) parts.push("no timeouts");
  return parts.join(", ");
}

// ---- the verdict matrix ----

function renderMatrix() {
  const present = CHECKERS.filter((c) => rows.some((r) => r.checker === c));
  const lines = new Map(); // one line per model, setting and property, in the rows' order
  rows.forEach((r, index) => {
    const key = [r.model, r.threads, r.spurious, r.timeouts, r.property].join("|");
    if (!lines.has(key)) lines.set(key, { first: r, cells: {} });
    lines.get(key).cells[r.checker] = index;
  });

  const head = el("tr", {}, el("th", {}, "model"), el("th", {}, "setting"),
    el("th", {}, "property"), present.map((c) => el("th", {}, c)));
  const body = el("tbody");
  const all = [...lines.values()];
  all.forEach(({ first, cells }, i) => {
    // A model's name once, in a cell spanning its lines (the rows come grouped by model).
    const newModel = i === 0 || all[i - 1].first.model !== first.model;
    let span = 1;
    while (newModel && all[i + span]?.first.model === first.model) span += 1;
    body.append(el("tr", { class: newModel ? "new-model" : null },
      newModel ? el("th", { scope: "rowgroup", rowspan: span }, first.model) : null,
      el("td", { class: "setting" }, setting(first)),
      el("td", { class: "property" }, el("code", {}, breakable(first.property))),
      present.map((c) => matrixCell(cells[c]))));
  });
  $("matrix").append(el("thead", {}, head), body);

  const wrong = rows.filter((r) => !r.as_expected).length;
  $("summary").textContent = `${plural(rows.length, "verdict")}, ${rows.length - wrong} as expected` +
    (wrong ? `, ${wrong} not (marked ≠)` : "") +
    (sharedThreads === null ? "." : `; every model with ${plural(sharedThreads, "worker thread")}.`);
  $("summary").classList.toggle("bad", wrong > 0);
}

// A snake_case name that may wrap after its underscores, so long ones keep the matrix narrow.
function breakable(name) {
  return name.split(/(?<=_)/).flatMap((part, i) => (i ? [el("wbr"), part] : [part]));
}

function matrixCell(index) {
  if (index === undefined) return el("td", { class: "empty" });
  const r = rows[index];
  const details = [verdictText(r, true), `expected: ${r.expected ?? "(none)"}`, `executions: ${r.executions}`,
    `bound: ${r.bound}`, `${r.millis} ms`, r.note, r.message].filter(Boolean).join("\n");
  const label = r.trace ? el("a", { href: `#trace=${index}&step=0` }, verdictText(r), " ▸")
    : verdictText(r);
  return el("td", { class: `verdict v-${r.verdict.replace(" ", "-")}` +
      (r.as_expected ? "" : " unexpected"), title: details },
    label, r.as_expected ? null : el("div", { class: "expected" }, `≠ expected ${r.expected ?? "nothing"}`));
}

// ---- the step-through view ----

let open = null; // { index, row, threads, states, step }

// The shared values after each step: states[i] holds every value written in steps 1..i.
function cumulativeStates(trace) {
  const states = [{}];
  for (const e of trace) states.push({ ...states[states.length - 1], ...e.state });
  return states;
}

function showTrace(index, step) {
  const r = rows[index];
  const trace = r.trace;
  const threads = [...new Set(trace.map((e) => e.thread))];
  const states = cumulativeStates(trace);
  const vars = [...new Set(trace.flatMap((e) => [...Object.keys(e.state), ...Object.keys(e.read ?? {})]))];
  open = { index, row: r, threads, states, vars, step: 0 };
  $("viewer").dataset.trace = index;

  $("v-title").textContent = `${r.model} — ${r.property} under ${r.checker}`;
  $("v-message").textContent = r.message ?? r.note ?? "";
  const facts = [["verdict", verdictText(r)], ["expected", r.expected ?? "(none)"], ["setting", setting(r, true)],
    ["preemptions", r.preemptions == null ? "not counted by this checker"
      : `${r.preemptions} (${r.preemptions_minimal ? "the fewest possible" : "not known to be the fewest"})`],
    ["steps", `${r.steps}, ${plural(r.context_switches, "context switch", "context switches")}`]];
  $("v-facts").replaceChildren(...facts.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v))));
  $("replay").value = r.replay ? `gilspec replay ${r.model} ${r.replay}` : "";

  // One column per thread: each step's action sits in its thread's column.
  const head = el("tr", {}, el("th", { class: "num" }, "step"), threads.map((t) => el("th", {}, t)));
  const body = el("tbody", {}, trace.map((e, i) => el("tr", { "data-step": i + 1 },
    el("td", { class: "num" }, String(i + 1)),
    threads.map((t) => el("td", {}, t === e.thread ? stepCell(e) : null)))));
  body.addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr");
    if (tr) goTo(Number(tr.dataset.step));
  });
  $("steps").replaceChildren(el("thead", {}, head), body);

  $("matrix-view").hidden = true;
  $("viewer").hidden = false;
  goTo(step);
}

// A step's action and what it did: writes (from the value before, when there was one),
// reads, its note.
function stepCell(e) {
  const effects = [
    ...Object.entries(e.state).map(([v, x]) => el("span", { class: "write" },
      e.before && v in e.before ? `${v} ${e.before[v]} → ${x}` : `${v} = ${x}`)),
    ...Object.entries(e.read ?? {}).map(([v, x]) => el("span", { class: "read" }, `read ${v} = ${x}`)),
  ];
  return [el("span", { class: "action" }, e.action),
    effects.length ? el("div", { class: "effects" }, effects) : null,
    e.note ? el("div", { class: "note" }, e.note) : null];
}

function goTo(step) {
  const { row, threads, states, vars } = open;
  const n = row.trace.length;
  step = Math.max(0, Math.min(n, Number.isFinite(step) ? step : 0));
  open.step = step;
  const e = step > 0 ? row.trace[step - 1] : null;

  $("step-counter").textContent = `step ${step} of ${n}`;
  $("prev").disabled = $("first").disabled = step === 0;
  $("next").disabled = $("last").disabled = step === n;
  document.querySelectorAll("#steps thead th").forEach((th, i) =>
    th.classList.toggle("acting", e !== null && threads[i - 1] === e.thread));
  document.querySelectorAll("#steps tbody tr").forEach((tr) =>
    tr.classList.toggle("current", Number(tr.dataset.step) === step));
  const current = document.querySelector("#steps tr.current");
  if (current) current.scrollIntoView({ block: "nearest" });

  $("values-title").textContent = step === 0 ? "shared values before the first step"
    : `shared values at step ${step}`;
  const now = states[step];
  $("values").replaceChildren(el("thead", {}, el("tr", {}, el("th", {}, "variable"),
    el("th", {}, "now"), el("th", {}, "read here"))), el("tbody", {}, vars.map((v) => {
    const changed = e !== null && v in e.state;
    const read = e?.read && v in e.read ? String(e.read[v]) : "";
    return el("tr", { class: [changed ? "changed" : "", read ? "was-read" : ""].join(" ").trim() || null },
      el("td", {}, el("code", {}, v)), el("td", { class: "now" }, v in now ? String(now[v]) : "–"),
      el("td", { class: "read" }, read));
  })));
  $("step-note").textContent = e ? `${e.thread}: ${e.action}${e.note ? ` — ${e.note}` : ""}`
    : "Nothing has run yet: press → or Next to take the first step.";

  // Keep the address a deep link to what is shown, without a history entry per step.
  const selftest = new URLSearchParams(location.hash.slice(1)).has("selftest") ? "&selftest" : "";
  history.replaceState(null, "", `#trace=${open.index}&step=${step}${selftest}`);
}

function closeTrace() {
  open = null;
  $("viewer").hidden = true;
  $("matrix-view").hidden = false;
}

// The address decides what is shown: #trace=<row index>&step=<i> opens a counterexample.
function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  const index = Number(params.get("trace"));
  if (params.has("trace") && rows[index]?.trace) showTrace(index, Number(params.get("step")));
  else closeTrace();
}

function wireControls() {
  $("first").onclick = () => goTo(0);
  $("prev").onclick = () => goTo(open.step - 1);
  $("next").onclick = () => goTo(open.step + 1);
  $("last").onclick = () => goTo(open.row.trace.length);
  $("copy").onclick = () => {
    $("replay").select();
    if (navigator.clipboard) navigator.clipboard.writeText($("replay").value).catch(() => {});
    else document.execCommand("copy");
  };
  document.addEventListener("keydown", (ev) => {
    if (!open || ev.altKey || ev.ctrlKey || ev.metaKey || ev.target.tagName === "INPUT") return;
    const keys = { ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last" };
    if (keys[ev.key]) {
      $(keys[ev.key]).click();
      ev.preventDefault();
    } else if (ev.key === "Escape") {
      location.hash = "";
    }
  });
  window.addEventListener("hashchange", route);
}

// ---- self-test: #selftest steps through a counterexample as a user would, then reports
// what the page shows (read back from the DOM, not from the data) for the browser test.

function selftest() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("trace")) {
    const first = rows.findIndex((r) => r.trace);
    if (first < 0) throw new Error("no counterexample to open");
    showTrace(first, 0);
  }
  for (const id of ["next", "next", "next", "prev"]) $(id).click();

  const [, step, n] = /step (\d+) of (\d+)/.exec($("step-counter").textContent).map(Number);
  const acting = [...document.querySelectorAll("#steps thead th.acting")].map((th) => th.textContent);
  const current = [...document.querySelectorAll("#steps tbody tr.current")];
  const headers = [...document.querySelectorAll("#steps thead th")].map((th) => th.textContent);
  const actionColumns = current.length === 1
    ? [...current[0].cells].flatMap((td, i) => (td.querySelector(".action") ? [headers[i]] : [])) : [];
  const values = {}, changed = [], read = {};
  for (const tr of document.querySelectorAll("#values tbody tr")) {
    const [name, now, readHere] = [...tr.cells].map((td) => td.textContent);
    if (now !== "–") values[name] = Number(now);
    if (tr.classList.contains("changed")) changed.push(name);
    if (readHere) read[name] = Number(readHere);
  }
  return {
    opened: Number($("viewer").dataset.trace), viewer_visible: !$("viewer").hidden,
    step, n, thread: acting.length === 1 ? acting[0] : acting,
    action_columns: actionColumns, highlighted_rows: current.length,
    values, changed, read, hash: location.hash,
  };
}

renderMatrix();
wireControls();
route();
if (new URLSearchParams(location.hash.slice(1)).has("selftest")) {
  let result;
  try {
    result = selftest();
  } catch (err) {
    result = { error: String(err) };
  }
  $("selftest-result").textContent = JSON.stringify(result);
  $("selftest-result").hidden = false;
}
