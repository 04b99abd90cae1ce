//! The verdicts as one self-contained HTML page: a matrix of model, setting and property
//! against checker, and a step-through view of each counterexample.
//!
//! The page carries the rows of `gilspec check --json` and draws itself with a small
//! script of its own (`html/report.js`), so it works from `file://` with nothing else: no
//! server, no network, no framework.

use serde_json::Value;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// The page for `rows` (an array of `Row::to_json` values).
pub fn page(title: &str, rows: &Value) -> String {
    let title = escape_text(title);
    let data = script_safe_json(rows);
    // The policy forbids every resource but the page's own inline style and script, so a
    // link that crept in would fail loudly instead of reaching the network.
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{title}</title>
<style>
{CSS}</style>
</head>
<body>
<main id="matrix-view">
  <h1>{title}</h1>
  <p class="lead"><span id="summary"></span> A violated or livelocked cell opens its
  counterexample; hover a cell for executions, bound and time.</p>
  <ul class="legend">
    <li class="v-holds">holds</li><li class="v-violated">violated</li>
    <li class="v-livelock">livelock</li><li class="v-inconclusive">inconclusive</li>
    <li class="v-error">error</li>
    <li>≠ dashed: not the verdict the model expects</li>
  </ul>
  <div class="scroll-x"><table id="matrix"></table></div>
  <noscript><p class="bad">The matrix is drawn by the page's script: enable JavaScript.</p></noscript>
</main>
<section id="viewer" hidden>
  <header>
    <a class="back" href="#">← all verdicts (Esc)</a>
    <h2 id="v-title"></h2>
    <p id="v-message"></p>
    <dl id="v-facts"></dl>
    <div class="replay"><label for="replay">replay</label>
      <input id="replay" class="mono" readonly><button id="copy" type="button">copy</button></div>
  </header>
  <nav class="controls">
    <button id="first" type="button">« First</button>
    <button id="prev" type="button">← Previous</button>
    <span id="step-counter"></span>
    <button id="next" type="button">Next →</button>
    <button id="last" type="button">Last »</button>
    <span class="hint">keys: ← → Home End; click a row to jump</span>
  </nav>
  <div class="stepper">
    <div class="steps-scroll"><table id="steps"></table></div>
    <aside>
      <h3 id="values-title"></h3>
      <table id="values"></table>
      <p id="step-note"></p>
      <p class="footnote">now: the last value written in steps 1 to i (– before the first
      write); changed at this step in bold, read at this step on the right.</p>
    </aside>
  </div>
</section>
<pre id="selftest-result" hidden></pre>
<script type="application/json" id="data">{data}</script>
<script>
{JS}</script>
</body>
</html>
"##
    )
}

/// Text for an HTML element or attribute.
fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JSON that cannot end the `<script>` element holding it: `</` (as in `</script>`) and
/// `<!--` (which changes how the parser looks for the end) can only occur inside JSON
/// strings, where `<\/` and `<\u0021--` mean the same.
fn script_safe_json(v: &Value) -> String {
    serde_json::to_string(v)
        .expect("json")
        .replace("</", "<\\/")
        .replace("<!--", "<\\u0021--")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_trace_string_cannot_close_the_data_script() {
        let rows = json!([{"model": "m", "message": "</script><script>alert(1)</script><!--"}]);
        let html = page("t <b>", &rows);
        assert_eq!(html.matches("</script>").count(), 2, "only the page's own");
        assert!(!html.contains("<!--"));
        assert!(html.contains("<title>t &lt;b&gt;</title>"));
        // What the browser reads back is the original.
        let start = html.find(r#"id="data">"#).unwrap() + r#"id="data">"#.len();
        let end = start + html[start..].find("</script>").unwrap();
        let back: Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(back, rows);
    }
}
