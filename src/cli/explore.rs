//! `gilspec explore`: a local web server whose page lets a person walk a model's
//! executions, choosing which thread moves next (`check::walk` does the walking; this file
//! only answers HTTP).
//!
//! The server listens on the loopback interface only and answers one request at a time on
//! the thread that serves them (the models run there, under shuttle). Its page is plain
//! HTML, CSS and JavaScript compiled into the binary: nothing is loaded from anywhere
//! else. Its questions:
//!
//! - `GET /api/models`: every model, with its properties.
//! - `GET /api/walk?model=M&replay=R&at=N`: the state after the first N clicks of the path
//!   the replay string R names (`PROPERTY:tN[s]:SCHEDULE`, as `check` prints it; `*` arms
//!   every property; `shuttle:` is the empty path), and the choices there.
//! - `GET /api/counterexample?model=M&property=P&replay=R`: the stateful search's
//!   counterexample for P at R's size, as a replay string.
//!
//! A bad request gets a 4xx answer with its reason on one line, and the server goes on.

use super::{Usage, find_model, ids};
use gilspec::check::walk::{Path, Refusal, View, Walker};
use gilspec::check::{Limits, Schedule};
use gilspec::model::{Checker, Model, Params};
use gilspec::models;
use gilspec::report::{self, Replay};
use serde::Serialize;
use std::io::Write as _;
use std::process::ExitCode;

const PAGE: &str = include_str!("explore/index.html");
const SCRIPT: &str = include_str!("explore/explore.js");
const STYLE: &str = include_str!("explore/explore.css");

/// The longest request target answered: a path of every choice shuttle allows, written
/// out, is well under it.
const MAX_URL: usize = 256 * 1024;

/// The page may load only its own script and style, and ask only this server.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

pub(crate) fn explore(model: Option<&str>, port: u16) -> Result<ExitCode, Usage> {
    let model = model.map(find_model).transpose()?;
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| Usage(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let Some(addr) = server.server_addr().to_ip() else {
        return Err(Usage("the server has no IP address".into()));
    };
    let open = model.map_or(String::new(), |m| format!("#model={}", m.id));
    println!("gilspec explore: http://{addr}/{open}");
    let _ = std::io::stdout().flush();
    eprintln!("gilspec explore: listening on the loopback interface only; Ctrl-C stops it");
    for request in server.incoming_requests() {
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            answer(&request, addr.port())
        }))
        .unwrap_or_else(|_| {
            Answer::error(
                500,
                "gilspec failed on this request (a bug in gilspec); the server goes on",
            )
        });
        let _ = request.respond(answer.response());
    }
    Ok(ExitCode::SUCCESS)
}

/// What the server sends back.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Answer {
    fn ok(content_type: &'static str, body: impl Into<String>) -> Answer {
        Answer {
            status: 200,
            content_type,
            body: body.into(),
        }
    }

    fn json(value: &impl Serialize) -> Answer {
        Answer::ok(
            "application/json",
            serde_json::to_string(value).expect("the answer is JSON"),
        )
    }

    /// A refusal: its reason on one line.
    fn error(status: u16, reason: impl Into<String>) -> Answer {
        let reason: String = reason.into();
        let line = reason.replace(['\n', '\r'], " ");
        Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{line}\n"),
        }
    }

    fn response(self) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
        let header = |name: &str, value: &str| {
            tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a header")
        };
        // Every answer is small and whole: send it with its length, never chunked
        // (tiny_http chunks bodies of 32 KiB and more; the model list is one).
        tiny_http::Response::from_string(self.body)
            .with_chunked_threshold(usize::MAX)
            .with_status_code(self.status)
            .with_header(header("Content-Type", self.content_type))
            .with_header(header("Cache-Control", "no-store"))
            .with_header(header("X-Content-Type-Options", "nosniff"))
            .with_header(header("Content-Security-Policy", POLICY))
    }
}

fn answer(request: &tiny_http::Request, port: u16) -> Answer {
    use tiny_http::Method;
    if !matches!(request.method(), Method::Get | Method::Head) {
        return Answer::error(
            405,
            format!(
                "{} is not answered here: this server only shows pages (GET)",
                request.method()
            ),
        );
    }
    // A page elsewhere could reach this server through a name it made point here (DNS
    // rebinding): answer only requests addressed to the loopback interface.
    let host = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .map(|h| h.value.as_str().to_owned());
    let local = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    if let Some(host) = &host
        && !local.contains(host)
    {
        return Answer::error(
            403,
            format!("this server answers only requests to 127.0.0.1:{port}, not to {host}"),
        );
    }
    let url = request.url();
    if url.len() > MAX_URL {
        return Answer::error(
            414,
            format!(
                "the address is {} bytes long; at most {MAX_URL} are answered",
                url.len()
            ),
        );
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let query = match Query::parse(query) {
        Ok(q) => q,
        Err(e) => return Answer::error(400, e),
    };
    let result = match path {
        "/" | "/index.html" => Ok(Answer::ok("text/html; charset=utf-8", PAGE)),
        "/explore.js" => Ok(Answer::ok("text/javascript; charset=utf-8", SCRIPT)),
        "/explore.css" => Ok(Answer::ok("text/css; charset=utf-8", STYLE)),
        "/api/models" => query.only(&[]).map(|()| Answer::json(&catalogue())),
        "/api/walk" => walk(&query),
        "/api/counterexample" => counterexample(&query),
        _ => Err(Answer::error(
            404,
            format!(
                "no page {path:?} here; the pages are /, /api/models, /api/walk and /api/counterexample"
            ),
        )),
    };
    result.unwrap_or_else(|refusal| refusal)
}

/// A request's query string, decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: &str) -> Result<Query, String> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let (name, value) = (decode(name)?, decode(value)?);
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(format!("the parameter {name:?} is given twice"));
            }
            pairs.push((name, value));
        }
        Ok(Query(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Refuse parameters other than `names`.
    fn only(&self, names: &[&str]) -> Result<(), Answer> {
        match self.0.iter().find(|(n, _)| !names.contains(&n.as_str())) {
            None => Ok(()),
            Some((n, _)) if names.is_empty() => Err(Answer::error(
                400,
                format!("unknown parameter {n:?}: this page takes none"),
            )),
            Some((n, _)) => Err(Answer::error(
                400,
                format!(
                    "unknown parameter {n:?}; this page takes {}",
                    ids(names.iter().copied())
                ),
            )),
        }
    }

    fn model(&self) -> Result<&'static Model, Answer> {
        let id = self
            .get("model")
            .ok_or_else(|| Answer::error(400, "which model? give model=ID"))?;
        find_model(id).map_err(|Usage(e)| Answer::error(404, e))
    }
}

/// Percent-decoding, as browsers encode query strings (`+` is a space).
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        format!(
                            "malformed percent-escape in the query string at {:?}",
                            &s[i..]
                        )
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "the query string is not UTF-8".to_owned())
}

/// A model as the page lists it.
#[derive(Serialize)]
struct ModelEntry {
    id: &'static str,
    title: &'static str,
    question: &'static str,
    family: &'static str,
    chapter: &'static str,
    properties: Vec<PropertyEntry>,
    /// It waits on a condition variable: spurious wakeups can be switched on.
    condvar: bool,
    twin: Option<&'static str>,
}

#[derive(Serialize)]
struct PropertyEntry {
    id: &'static str,
    claim: &'static str,
}

fn catalogue() -> Vec<ModelEntry> {
    models::ALL
        .iter()
        .map(|m| {
            let family = models::family_of(m.id).map(|f| &models::FAMILIES[f]);
            ModelEntry {
                id: m.id,
                title: m.title,
                question: m.question,
                family: family.map_or("", |f| f.title),
                chapter: family.map_or("", |f| f.chapter),
                properties: m
                    .properties
                    .iter()
                    .map(|p| PropertyEntry {
                        id: p.id,
                        claim: p.claim,
                    })
                    .collect(),
                condvar: !m.expect_spurious.is_empty(),
                twin: m.twin,
            }
        })
        .collect()
}

/// The property armed, the model's size and the schedule a replay string names.
struct Setting {
    property: String,
    params: Params,
    schedule: Schedule,
}

impl Setting {
    /// `PROPERTY:tN[s]:SCHEDULE`, with `*` for every property and `shuttle:` for the
    /// empty path; only the sizes the checkers run (2 and 3 workers).
    fn parse(model: &Model, replay: &str) -> Result<Setting, Answer> {
        let bad = |e: String| Answer::error(400, e);
        let (property, params, schedule) = match replay.split_once(':') {
            Some((p, rest)) if rest.ends_with(":shuttle") || rest.ends_with(":shuttle:") => {
                let size = rest.split(':').next().unwrap_or("");
                let r = Replay::parse(&format!("{p}:{size}:shuttle:0")).map_err(bad)?;
                (r.property, r.params, Path::parse("shuttle:").map_err(bad)?)
            }
            _ => {
                let r = Replay::parse(replay).map_err(bad)?;
                (r.property, r.params, r.schedule)
            }
        };
        if property != "*" && model.property(&property).is_none() {
            return Err(bad(format!(
                "model {} has no property {property:?}; choose * (every property) or one of: {}",
                model.id,
                ids(model.properties.iter().map(|p| p.id))
            )));
        }
        if !(2..=3).contains(&params.threads) {
            return Err(bad(format!(
                "t{} workers: a walk has 2 workers (t2) or 3 (t3), the sizes the checkers run",
                params.threads
            )));
        }
        Ok(Setting {
            property,
            params,
            schedule,
        })
    }

    fn prefix(&self) -> String {
        let s = if self.params.spurious { "s" } else { "" };
        format!("{}:t{}{s}", self.property, self.params.threads)
    }
}

fn refused(r: Refusal) -> Answer {
    match r {
        Refusal::Malformed(_) => Answer::error(400, r.to_string()),
        Refusal::NotAnExecution(_) => Answer::error(422, r.to_string()),
        Refusal::Model(_) => Answer::error(500, r.to_string()),
    }
}

#[derive(Serialize)]
struct WalkAnswer {
    model: &'static str,
    /// The replay string of the whole path walked, normalized (a shuttle schedule).
    replay: String,
    property: String,
    threads_count: usize,
    spurious: bool,
    #[serde(flatten)]
    view: View,
}

fn walk(query: &Query) -> Result<Answer, Answer> {
    query.only(&["model", "replay", "at"])?;
    let model = query.model()?;
    let setting = Setting::parse(model, query.get("replay").unwrap_or("*:t2:shuttle:"))?;
    let at =
        match query.get("at") {
            None => None,
            Some(n) => Some(n.parse::<usize>().map_err(|_| {
                Answer::error(400, format!("at={n:?}: expected a number of clicks"))
            })?),
        };
    let walker = Walker::new(
        report::body(model, setting.params),
        &setting.property,
        setting.params.spurious,
    );
    let path = walker.path_of(&setting.schedule).map_err(refused)?;
    let mut view = walker.view(&path, at).map_err(refused)?;
    let prefix = setting.prefix();
    for choice in &mut view.choices {
        choice.path = format!("{prefix}:{}", choice.path);
    }
    Ok(Answer::json(&WalkAnswer {
        model: model.id,
        replay: format!("{prefix}:{}", view.path),
        property: setting.property,
        threads_count: setting.params.threads,
        spurious: setting.params.spurious,
        view,
    }))
}

#[derive(Serialize)]
struct CounterexampleAnswer {
    /// The counterexample's replay string, if the search found one.
    replay: Option<String>,
    /// The verdict with its strength, as `check` prints it.
    verdict: String,
}

fn counterexample(query: &Query) -> Result<Answer, Answer> {
    query.only(&["model", "property", "replay"])?;
    let model = query.model()?;
    let setting = Setting::parse(model, query.get("replay").unwrap_or("*:t2:shuttle:"))?;
    let property = query
        .get("property")
        .ok_or_else(|| Answer::error(400, "which property? give property=ID"))?;
    if model.property(property).is_none() {
        return Err(Answer::error(
            400,
            format!(
                "model {} has no property {property:?}; choose one of: {}",
                model.id,
                ids(model.properties.iter().map(|p| p.id))
            ),
        ));
    }
    // With 3 workers, the deep suite's budget: the GIL models' spaces run to millions of
    // states, and the server answers nothing else while it searches.
    let limits = if setting.params.is_deep() {
        Limits::deep()
    } else {
        Limits::default()
    };
    let row = report::check_row(
        model,
        property,
        Checker::ShuttleDfs,
        setting.params,
        &limits,
    );
    Ok(Answer::json(&CounterexampleAnswer {
        replay: row.replay().map(|r| r.to_string()),
        verdict: row.verdict_text(),
    }))
}
