//! `gilspec explore`: the server prints its address and answers the page and its questions;
//! a bad request gets a 4xx and one line, and the server goes on serving; bad command-line
//! input gets one line and exit 2; and in a real headless Chromium (when installed) a
//! reviewer walks gil-handoff-no-force-switch's counterexample by hand and sees the
//! violation.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod common;
use common::{browser, fresh_dir, gilspec, pre_block};

const MODEL: &str = "gil-handoff-no-force-switch";
const PROPERTY: &str = "requester_gets_gil_before_dropper_retakes_it";
const MESSAGE: &str =
    "A dropped the GIL because another thread asked for it, then took it back first";

/// A running `gilspec explore`, ended (it is ours) when dropped.
struct Server {
    child: Child,
    /// host:port
    addr: String,
    /// The address it printed.
    url: String,
}

impl Server {
    /// Start it on a free port and wait for the line that says where it listens: it is
    /// listening by then.
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gilspec"))
            .arg("explore")
            .args(args)
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gilspec explore");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read its address");
        let url = line
            .trim()
            .strip_prefix("gilspec explore: ")
            .unwrap_or_else(|| panic!("the first line names the address: {line:?}"))
            .to_owned();
        let addr = url
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .expect("http://HOST:PORT/")
            .to_owned();
        assert!(addr.starts_with("127.0.0.1:"), "loopback only: {url}");
        Server { child, addr, url }
    }

    /// Send `request` as it is; the status, the headers and the body of the answer.
    fn raw(&self, request: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).expect("an answer");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("headers, then a body");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {head:?}"));
        (status, head.to_owned(), body.to_owned())
    }

    fn request(&self, method: &str, target: &str) -> (u16, String, String) {
        self.raw(&format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        ))
    }

    fn get(&self, target: &str) -> (u16, String, String) {
        self.request("GET", target)
    }

    fn json(&self, target: &str) -> Value {
        let (status, head, body) = self.get(target);
        assert_eq!(status, 200, "{target}: {body}");
        assert!(head.contains("application/json"), "{head}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{target}: {e}: {body}"))
    }

    /// It still answers.
    fn serves(&self) {
        let walk = self.json(&format!("/api/walk?model={MODEL}"));
        assert_eq!(walk["at"], 0);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Query-string encoding.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_server_prints_its_address_and_answers_the_page_and_the_walk() {
    let server = Server::start(&[MODEL]);
    assert!(
        server.url.ends_with(&format!("/#model={MODEL}")),
        "it opens at the model asked for: {}",
        server.url
    );

    // The page, its script and its style; nothing from anywhere else.
    let (status, head, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(head.contains("text/html"), "{head}");
    assert!(
        head.contains("Content-Security-Policy: default-src 'none'"),
        "{head}"
    );
    assert!(page.contains(r#"<script src="/explore.js">"#), "{page}");
    for (target, kind) in [("/explore.js", "javascript"), ("/explore.css", "css")] {
        let (status, head, body) = server.get(target);
        assert_eq!(status, 200, "{target}");
        assert!(head.contains(kind), "{head}");
        for text in [&page, &body] {
            for outside in ["http://", "https://", "@import", "//cdn"] {
                assert!(!text.contains(outside), "{target} mentions {outside:?}");
            }
        }
    }

    // Every model, with its properties.
    let models = server.json("/api/models");
    let ids: Vec<&str> = models
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, gilspec::models::ids());
    let entry = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == MODEL)
        .unwrap();
    assert!(
        entry["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == PROPERTY)
    );

    // The start of a walk: main alone, its buttons named by its next step.
    let walk = server.json(&format!("/api/walk?model={MODEL}"));
    assert_eq!(walk["replay"], "*:t2:shuttle:");
    assert_eq!(walk["threads"], serde_json::json!(["main"]));
    assert_eq!(walk["state"]["threads"][0]["status"], "can run");
    let first = &walk["choices"][0];
    assert_eq!(
        (&first["thread"], &first["action"]),
        (&"main".into(), &"spawn A".into())
    );

    // The checker's counterexample, fetched and walked: it ends in the violation, and
    // any point of it can be looked at.
    let cx = server.json(&format!(
        "/api/counterexample?model={MODEL}&property={PROPERTY}"
    ));
    let replay = cx["replay"].as_str().expect("a counterexample");
    assert!(
        replay.starts_with(&format!("{PROPERTY}:t2:shuttle:")),
        "{replay}"
    );
    let end = server.json(&format!("/api/walk?model={MODEL}&replay={}", enc(replay)));
    assert_eq!(end["end"]["kind"], "violation");
    assert_eq!(end["end"]["property"], PROPERTY);
    assert_eq!(end["end"]["message"], MESSAGE);
    assert_eq!(
        end["replay"], replay,
        "a shuttle string is its own normal form"
    );
    let clicks = end["clicks"].as_array().unwrap().len();
    let middle = server.json(&format!(
        "/api/walk?model={MODEL}&replay={}&at={}",
        enc(replay),
        clicks / 2
    ));
    assert_eq!(middle["at"], clicks / 2);
    assert!(middle["end"].is_null());
    assert!(!middle["choices"].as_array().unwrap().is_empty());

    // `trace` prints loom's counterexample by default: its string walks too.
    let (code, out, err) = gilspec(&["trace", MODEL, "--property", PROPERTY, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let loom: Value = serde_json::from_str(&out).unwrap();
    let loom = loom["replay"].as_str().unwrap();
    assert!(loom.contains(":loom:"), "{loom}");
    let walked = server.json(&format!("/api/walk?model={MODEL}&replay={}", enc(loom)));
    assert!(
        walked["replay"].as_str().unwrap().contains(":shuttle:"),
        "loom's string becomes the shuttle path that walks it: {walked}"
    );
    assert_eq!(walked["end"]["message"], MESSAGE);
}

#[test]
fn bad_requests_get_a_4xx_and_one_line_and_the_server_goes_on() {
    let server = Server::start(&[]);
    assert!(
        server.url.ends_with('/'),
        "no model asked for: {}",
        server.url
    );
    let w = |q: &str| format!("/api/walk?model={MODEL}&{q}");
    let too_long = format!("*:t2:shuttle:{}", vec!["0"; 30_000].join("."));
    for (target, status, mentions) in [
        (
            "/api/walk?model=no-such-model".to_owned(),
            404,
            "unknown model \"no-such-model\"",
        ),
        ("/api/walk".to_owned(), 400, "which model?"),
        (w("replay=garbage"), 400, "malformed replay"),
        (
            w("replay=*:t2:shuttle:0.x"),
            400,
            "malformed shuttle schedule",
        ),
        (w("replay=*:t9:shuttle:"), 400, "t1 to t4"),
        (w("replay=*:t4:shuttle:"), 400, "2 workers (t2) or 3"),
        (
            w("replay=nope:t2:shuttle:"),
            400,
            "has no property \"nope\"",
        ),
        // A choice that is not enabled: only main exists at the start.
        (
            w("replay=*:t2:shuttle:1"),
            422,
            "choice 1 of the path is task 1",
        ),
        // A path longer than the model allows.
        (
            w(&format!("replay={}", enc(&too_long))),
            400,
            "no execution makes more than",
        ),
        (
            w("replay=*:t2:shuttle:0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"),
            422,
            "cannot run there",
        ),
        (w("at=5"), 422, "the path has 0 clicks"),
        (w("at=-1"), 400, "expected a number of clicks"),
        (w("frobnicate=1"), 400, "unknown parameter \"frobnicate\""),
        (w("at=0&at=0"), 400, "given twice"),
        (w("replay=%zz"), 400, "malformed percent-escape"),
        ("/api/models?x=1".to_owned(), 400, "takes none"),
        (
            format!("/api/counterexample?model={MODEL}"),
            400,
            "which property?",
        ),
        (
            format!("/api/counterexample?model={MODEL}&property=nope"),
            400,
            "has no property",
        ),
        ("/etc/passwd".to_owned(), 404, "no page"),
        ("/api/walk/../../x".to_owned(), 404, "no page"),
    ] {
        let (got, head, body) = server.get(&target);
        assert_eq!(got, status, "{target}: {body}");
        assert!(head.contains("text/plain"), "{target}: {head}");
        assert_eq!(
            body.trim_end().lines().count(),
            1,
            "{target}: one line: {body:?}"
        );
        assert!(
            body.contains(mentions),
            "{target}: {body:?} should mention {mentions:?}"
        );
        server.serves();
    }
    let (status, _, body) = server.request("POST", &w(""));
    assert_eq!(status, 405, "{body}");
    server.serves();
    let (status, _, body) = server.raw(&format!(
        "GET /api/models HTTP/1.1\r\nHost: attacker.example:{}\r\nConnection: close\r\n\r\n",
        server.addr.rsplit(':').next().unwrap()
    ));
    assert_eq!(status, 403, "a page elsewhere cannot ask it: {body}");
    assert!(body.contains("only requests to 127.0.0.1"), "{body}");
    // Not HTTP at all.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.write_all(b"\x00\x01 hello\r\n\r\n").unwrap();
    drop(stream);
    server.serves();
}

#[test]
fn bad_command_line_input_gets_one_line_and_exit_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for (args, mentions) in [
        (&["explore", "no-such-model"][..], "unknown model"),
        (&["explore", "gil-handof"], "did you mean gil-handoff?"),
        (&["explore", "--port", "70000"], "70000"),
        (&["explore", "--port", "http"], "--port"),
        (&["explore", MODEL, "gil-handoff"], "unexpected argument"),
        (&["explore", "--port", &port], "cannot listen on 127.0.0.1"),
    ] {
        let (code, out, err) = gilspec(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{args:?}: one line, got {err:?}"
        );
        assert!(err.starts_with("gilspec: "), "{args:?}: {err:?}");
        assert!(
            err.contains(mentions),
            "{args:?}: {err:?} should mention {mentions:?}"
        );
        assert!(out.is_empty(), "{args:?}: {out:?}");
    }
    drop(taken);
}

/// A reviewer opens the model in Chromium and clicks, for each step of the stateful
/// search's counterexample in turn, the button that takes it; the page shows the
/// violation, and its address is a path `gilspec replay` reproduces. A malformed link shows
/// the server's reason, and the server goes on serving.
#[test]
#[cfg_attr(
    not(gilspec_has_chromium),
    ignore = "needs /usr/bin/chromium (apt-get install chromium); .ci/run installs it"
)]
fn a_reviewer_walks_the_counterexample_by_hand_in_chromium() {
    let Some(browser) = browser() else { return };
    let dir = fresh_dir("explore_browser");
    let server = Server::start(&[]);

    // The steps a reviewer reproduces: the counterexample's, as the page words them.
    let cx = server.json(&format!(
        "/api/counterexample?model={MODEL}&property={PROPERTY}"
    ));
    let replay = cx["replay"].as_str().unwrap();
    let target = server.json(&format!("/api/walk?model={MODEL}&replay={}", enc(replay)));
    let steps: Vec<Value> = target["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::json!([s["thread"], s["action"], s["effect"]]))
        .collect();
    let script = serde_json::to_string(&steps).unwrap();

    let page = format!("http://{}/", server.addr);
    let result = selftest(
        &browser,
        &dir,
        &format!("{page}#model={MODEL}&selftest={}", enc(&script)),
    );
    assert!(result.get("error").is_none(), "the walk failed: {result}");
    assert!(result["problem"].is_null(), "{result}");
    assert_eq!(
        result["steps"],
        Value::Array(steps.clone()),
        "the steps walked"
    );
    let clicks = result["clicks"].as_u64().unwrap() as usize;
    assert!(
        clicks > 10 && clicks < steps.len(),
        "{clicks} clicks for {} steps",
        steps.len()
    );
    assert_eq!(result["end"]["kind"], "violation");
    assert_eq!(result["end"]["property"], PROPERTY);
    assert_eq!(
        result["verdict"],
        format!("violation of {PROPERTY}: {MESSAGE}"),
        "what the page says"
    );
    let walked = result["replay"].as_str().unwrap();
    assert!(
        result["address"]
            .as_str()
            .unwrap()
            .contains(&format!("replay={walked}")),
        "the address is the path: {result}"
    );

    // The path the reviewer clicked is one of the model's executions, to the checker too.
    let schedule = walked
        .strip_prefix("*:t2:")
        .expect("every property armed, 2 workers");
    let (code, out, err) = gilspec(&["replay", MODEL, &format!("{PROPERTY}:t2:{schedule}")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(MESSAGE), "{out}");

    // A link to a path the model does not allow: the page shows the server's reason.
    let bad = "*:t2:shuttle:0.0.7";
    let (status, _, reason) = server.get(&format!("/api/walk?model={MODEL}&replay={bad}"));
    assert_eq!(status, 422);
    let result = selftest(
        &browser,
        &dir,
        &format!("{page}#model={MODEL}&replay={bad}&selftest="),
    );
    assert_eq!(result["problem"], reason.trim(), "{result}");
    server.serves();

    // What a person sees halfway through the counterexample, for a look.
    let png = dir.join("explore.png");
    let clicks = target["clicks"].as_array().unwrap().len();
    browser.run(
        &dir,
        5_000,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1400,1000",
            "--hide-scrollbars",
            &format!(
                "{page}#model={MODEL}&replay={}&at={}",
                enc(replay),
                clicks / 2
            ),
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

/// Load `url` (with `selftest=`) and return what the page wrote into
/// `<pre id="selftest-result">`.
fn selftest(browser: &common::Browser, dir: &std::path::Path, url: &str) -> Value {
    // The page's fetches pause Chromium's virtual time; its budget covers only scripts.
    let dom = browser.run(dir, 30_000, &["--dump-dom", url]);
    let text = pre_block(&dom, "selftest-result");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"))
}
