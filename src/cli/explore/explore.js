// gilspec explore: walk a model's executions by hand. Everything shown comes from the
// server (GET /api/walk), which runs the model under shuttle; this script only draws it and
// turns clicks into addresses. The address is the state: #model=M&replay=R&at=N.
"use strict";

const $ = (id) => document.getElementById(id);
let models = null; // GET /api/models
let view = null; // the last GET /api/walk answer
let waiting = []; // callbacks for the end of the next show() (the self-test's clicks)

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function hashParams() {
  return new URLSearchParams(location.hash.slice(1));
}

// Readable addresses: keep ':' and '*' of replay strings as they are.
function enc(s) {
  return encodeURIComponent(s).replace(/%3A/gi, ":");
}

function address(model, replay, at) {
  let h = "#model=" + enc(model);
  if (replay) h += "&replay=" + enc(replay);
  if (at !== null && at !== undefined) h += "&at=" + at;
  return h;
}

function go(hash) {
  if (location.hash === hash) show();
  else location.hash = hash;
}

async function get(url) {
  const r = await fetch(url, { cache: "no-store" });
  const text = await r.text();
  if (!r.ok) throw new Error(text.trim() || `HTTP ${r.status}`);
  return JSON.parse(text);
}

function problem(text) {
  $("problem").textContent = text || "";
  $("problem").hidden = !text;
}

// ---- the list of models

function showModels() {
  $("walk-view").hidden = true;
  $("models-view").hidden = false;
  document.title = "gilspec explore";
  const box = $("families");
  box.replaceChildren();
  let family = null;
  let list = null;
  for (const m of models) {
    if (m.family !== family) {
      family = m.family;
      box.append(el("h2", { text: family }), el("p", { class: "chapter", text: m.chapter }));
      list = el("ul", { class: "models" });
      box.append(list);
    }
    list.append(
      el("li", {},
        el("a", { href: address(m.id), text: m.id }),
        el("span", { class: "model-title", text: " " + m.title }),
        el("div", { class: "question", text: m.question })),
    );
  }
}

// ---- one walk

// The setting part of a replay string: PROPERTY:tN[s].
function prefix() {
  const s = $("spurious").checked ? "s" : "";
  return `${$("property").value}:t${$("threads").value}${s}`;
}

function settingsFor(entry) {
  const sel = $("property");
  sel.replaceChildren(el("option", { value: "*", text: "every property (*)" }));
  for (const p of entry.properties) {
    sel.append(el("option", { value: p.id, text: p.id, title: p.claim }));
  }
  sel.value = view.property;
  $("threads").value = String(view.threads_count);
  $("spurious").checked = view.spurious;
  $("spurious-label").hidden = !entry.condvar && !view.spurious;
  const buttons = $("cx-buttons");
  buttons.replaceChildren();
  for (const p of entry.properties) {
    const b = el("button", { type: "button", class: "cx-button", text: p.id, title: p.claim });
    b.addEventListener("click", () => counterexample(entry, p.id));
    buttons.append(b);
  }
}

async function counterexample(entry, property) {
  const status = $("cx-status");
  status.textContent = " searching every state…";
  try {
    const q = new URLSearchParams({ model: entry.id, property, replay: prefix() + ":shuttle:" });
    const found = await get("/api/counterexample?" + q);
    if (found.replay) {
      status.textContent = "";
      go(address(entry.id, found.replay));
    } else {
      status.textContent = ` ${property}: ${found.verdict}`;
    }
  } catch (e) {
    status.textContent = " " + e.message;
  }
}

function renderVerdict() {
  const box = $("verdict");
  const end = view.end;
  box.hidden = !end;
  box.className = "verdict" + (end ? " end-" + end.kind : "");
  if (!end) return;
  if (end.kind === "finished") {
    box.textContent = view.property === "*"
      ? "The execution ended: every thread ran to its end, and no property was violated."
      : `The execution ended: every thread ran to its end, and ${view.property} was not violated.`;
  } else {
    box.replaceChildren(
      el("strong", { text: end.kind === "livelock" ? "livelock" : "violation" }),
      ` of ${end.property}: ${end.message}`);
  }
}

function stepsDone() {
  return view.steps.filter((s) => s.click <= view.at).length;
}

function renderControls() {
  const n = view.clicks.length;
  $("counter").textContent = `after ${view.at} of ${n} click${n === 1 ? "" : "s"}, ${stepsDone()} steps`;
  $("start").disabled = view.at === 0;
  $("back").disabled = view.at === 0;
  $("forward").disabled = view.at >= n;
  $("end").disabled = view.at >= n;
  $("link").value = location.href;
  $("replay-input").value = view.replay;
}

const WAITS = {
  "times out": "an explored timeout: the wait's deadline passes before it sleeps",
  "wakes spuriously": "an explored spurious wakeup: the wait returns without a signal",
  "sleeps": "no event: it sleeps until a signal, or (a timed wait) until time passes when every other thread blocks or exits",
};

// The buttons of one thread at the current point.
function choiceButtons(thread) {
  const mine = view.choices.filter((c) => c.thread === thread);
  const box = el("div", { class: "choices" });
  for (const c of mine) {
    if (c.kind === "run" && mine.some((o) => o.kind === "step" && o.path === c.path)) continue;
    let b;
    const lines = c.steps.map(([action, effect]) => (effect ? `${action}: ${effect}` : action));
    const title = [lines.length ? lines.join("\n") : "no step", c.then, c.ends && `${c.ends.kind}: ${c.ends.message}`]
      .filter(Boolean).join("\n");
    if (c.kind === "step") {
      b = el("button", { type: "button", class: "choice", title },
        el("span", { class: "label", text: `${thread}: ${c.action ?? c.effect}` }),
        c.action && c.effect ? el("span", { class: "effect", text: c.effect }) : null,
        ...c.steps.slice(1).map(([action, effect]) =>
          el("span", { class: "also", text: `then ${action}${effect ? ": " + effect : ""}` })),
        c.wait ? el("span", { class: "wait wait-" + c.wait.replace(/ /g, "-"), text: c.wait, title: WAITS[c.wait] }) : null,
        c.on_path ? el("span", { class: "on-path-note", text: "the loaded path goes this way" }) : null);
      b.dataset.thread = thread;
      b.dataset.action = c.action ?? "";
      b.dataset.effect = c.effect;
      b.dataset.steps = JSON.stringify(c.steps);
    } else {
      const more = c.steps.length === 1 ? "1 step" : `${c.steps.length} steps`;
      const then = c.ends ? `ends: ${c.ends.kind}` : c.then ?? "";
      b = el("button", { type: "button", class: "run", title },
        el("span", { class: "label", text: `${thread} runs until it blocks` }),
        el("span", { class: "effect", text: `${more}${then ? "; then " + then : ""}` }));
    }
    if (c.on_path) b.classList.add("on-path");
    b.addEventListener("click", () => go(address(view.model, c.path)));
    box.append(b);
  }
  return box;
}

function nowRow() {
  const tr = el("tr", { class: "now", id: "now" }, el("th", { colSpan: 2, text: "now" }));
  for (const t of view.threads) {
    const s = view.state.threads.find((x) => x.name === t);
    const td = el("td", {});
    if (s) {
      const status = el("div", { class: "status status-" + s.status.replace(/ /g, "-"), text: s.status });
      td.append(status);
      if (s.waits) td.append(el("div", { class: "waits", text: s.waits }));
      if (s.holds.length) td.append(el("div", { class: "holds", text: "holds " + s.holds.join(", ") }));
      if (s.woken) td.append(el("div", { class: "woken", text: `woken by ${s.woken}, not yet running` }));
    }
    if (!view.end) td.append(choiceButtons(t));
    tr.append(td);
  }
  return tr;
}

function renderSteps() {
  const table = $("steps");
  const head = el("tr", {}, el("th", { text: "click" }), el("th", { text: "step" }));
  for (const t of view.threads) head.append(el("th", { text: t }));
  const body = el("tbody");
  const n = view.clicks.length;
  for (let k = 1; k <= n; k++) {
    if (k === view.at + 1) body.append(nowRow());
    const click = view.clicks[k - 1];
    const steps = view.steps.filter((s) => s.click === k);
    const rows = steps.length ? steps : [null];
    rows.forEach((s, i) => {
      const tr = el("tr", { class: k > view.at ? "later" : "done", title: `show the state after click ${k}` });
      tr.dataset.click = k;
      if (i === 0) tr.append(el("th", { rowSpan: rows.length, class: "click-number", text: k }));
      tr.append(el("td", { class: "step-number", text: s ? s.step : "–" }));
      for (const t of view.threads) {
        const td = el("td", {});
        if (t === click.thread) {
          td.className = "acting";
          if (s) {
            td.append(el("div", { class: "action" + (s.action.startsWith("violation") ? " violation" : ""), text: s.action }));
            if (s.effect) td.append(el("div", { class: "effect", text: s.effect }));
          } else {
            td.append(el("div", { class: "action quiet", text: "moves on to its next scheduling point, no step" }));
          }
          if (i === rows.length - 1 && click.event) td.append(el("span", { class: "wait", text: click.event }));
          if (i === rows.length - 1 && click.then) td.append(el("div", { class: "then", text: "then " + click.then }));
        }
        tr.append(td);
      }
      tr.addEventListener("click", () => go(address(view.model, view.replay, k)));
      body.append(tr);
    });
  }
  if (view.at === n) body.append(nowRow());
  table.replaceChildren(el("thead", {}, head), body);
  const now = $("now");
  if (now && now.scrollIntoView) now.scrollIntoView({ block: "nearest" });
}

function renderShared() {
  const st = view.state;
  const values = $("values");
  values.replaceChildren();
  for (const [k, v] of Object.entries(st.values)) {
    values.append(el("tr", {}, el("td", { class: "mono", text: k }), el("td", { class: "num", text: String(v) })));
  }
  const locks = Object.entries(st.locks);
  $("locks").textContent = locks.length ? locks.map(([m, h]) => `${m}: held by ${h}`).join("; ") : "none held";
  const waiters = Object.entries(st.waiters);
  $("waiters").textContent = waiters.length ? waiters.map(([cv, ts]) => `${cv}: ${ts.join(", ")}`).join("; ") : "nobody";
  const objects = $("objects");
  objects.replaceChildren();
  $("objects-box").hidden = st.objects.length === 0;
  for (const o of st.objects) {
    objects.append(el("tr", {}, el("td", { class: "mono", text: o.name }),
      el("td", { text: o.freed ? "freed" : `${o.refs} reference${o.refs === 1 ? "" : "s"}` })));
  }
}

function render(entry) {
  $("models-view").hidden = true;
  $("walk-view").hidden = false;
  document.title = `${entry.id} — gilspec explore`;
  $("title").textContent = `${entry.id}: ${entry.title}`;
  $("question").textContent = entry.question;
  settingsFor(entry);
  renderVerdict();
  renderControls();
  renderSteps();
  renderShared();
}

async function show() {
  try {
    if (!models) models = await get("/api/models");
    const p = hashParams();
    const model = p.get("model");
    if (!model) {
      showModels();
      return;
    }
    const entry = models.find((m) => m.id === model) || { id: model, title: "", question: "", properties: [], condvar: false };
    const q = new URLSearchParams({ model });
    for (const k of ["replay", "at"]) if (p.has(k)) q.set(k, p.get(k));
    $("models-view").hidden = true;
    $("walk-view").hidden = false;
    try {
      view = await get("/api/walk?" + q);
    } catch (e) {
      view = null;
      problem(e.message);
      $("title").textContent = model;
      $("steps").replaceChildren();
      $("verdict").hidden = true;
      return;
    }
    problem(null);
    const canonical = address(model, view.replay, p.has("at") ? view.at : null);
    if (location.hash !== canonical) history.replaceState(null, "", canonical);
    render(entry);
  } catch (e) {
    problem(e.message);
  } finally {
    const w = waiting;
    waiting = [];
    w.forEach((f) => f());
  }
}

function afterNextShow() {
  return new Promise((resolve) => waiting.push(resolve));
}

// ---- controls

function move(at) {
  if (!view) return;
  const n = view.clicks.length;
  go(address(view.model, view.replay, Math.max(0, Math.min(n, at))));
}

$("start").addEventListener("click", () => move(0));
$("back").addEventListener("click", () => move(view.at - 1));
$("forward").addEventListener("click", () => move(view.at + 1));
$("end").addEventListener("click", () => view && go(address(view.model, view.replay)));
$("copy").addEventListener("click", async () => {
  $("link").select();
  try {
    await navigator.clipboard.writeText($("link").value);
  } catch (_) {
    document.execCommand && document.execCommand("copy");
  }
});
for (const id of ["property", "threads", "spurious"]) {
  $(id).addEventListener("change", () => view && go(address(view.model, prefix() + ":shuttle:")));
}
function load() {
  let r = $("replay-input").value.trim();
  if (!r || !view) return;
  if (/^(shuttle|loom|script)(:|$)/.test(r)) r = prefix() + ":" + r;
  go(address(view.model, r));
}
$("load").addEventListener("click", load);
$("replay-input").addEventListener("keydown", (e) => {
  if (e.key === "Enter") load();
});
document.addEventListener("keydown", (e) => {
  if (!view || e.target.closest("input, select, textarea")) return;
  const keys = { ArrowLeft: view.at - 1, ArrowRight: view.at + 1, Home: 0, End: view.clicks.length };
  if (e.key in keys) {
    e.preventDefault();
    move(keys[e.key]);
  }
});
window.addEventListener("hashchange", show);

// ---- self-test: #...&selftest=[[thread, action, effect], ...] clicks, for each step in
// turn, the button of that thread whose steps are the next ones of the list, as a person
// reproducing a trace by hand would; then it reports what the page shows in
// <pre id="selftest-result">.

async function selftest(script) {
  const result = { clicks: 0 };
  try {
    for (let guard = 0; guard < 1000 && view && !view.end; guard++) {
      const n = stepsDone();
      if (n >= script.length) break;
      const [thread, action, effect] = script[n];
      const buttons = [...document.querySelectorAll("button.choice")];
      const takes = (b) => JSON.parse(b.dataset.steps).every(([a, e], i) => {
        const want = script[n + i];
        return !want || (want[0] === b.dataset.thread && want[1] === a && want[2] === e);
      });
      const button = buttons.find((b) => b.dataset.thread === thread && b.dataset.action === action && takes(b));
      if (!button) {
        const offered = buttons.map((b) => `${b.dataset.thread}: ${b.dataset.action} (${b.dataset.effect})`);
        throw new Error(`no button for step ${n + 1}, ${thread}: ${action} (${effect}); offered: ${offered.join("; ")}`);
      }
      const next = afterNextShow();
      button.click();
      await next;
      result.clicks++;
    }
  } catch (e) {
    result.error = e.message;
  }
  result.problem = $("problem").hidden ? null : $("problem").textContent;
  if (view) {
    result.steps = view.steps.filter((s) => s.click <= view.at).map((s) => [s.thread, s.action, s.effect]);
    result.end = view.end;
    result.replay = view.replay;
    result.verdict = $("verdict").hidden ? null : $("verdict").textContent;
    result.address = location.hash;
  }
  $("selftest-result").textContent = JSON.stringify(result);
  $("selftest-result").hidden = false;
}

(async () => {
  const p = hashParams();
  const script = p.get("selftest");
  if (script !== null) {
    const first = afterNextShow();
    const h = new URLSearchParams(location.hash.slice(1));
    h.delete("selftest");
    history.replaceState(null, "", "#" + h.toString());
    show();
    await first;
    await selftest(script ? JSON.parse(script) : []);
  } else {
    show();
  }
})();
