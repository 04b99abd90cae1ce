//! What several test files share: running the built command line, and headless Chromium.
// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The book's chapters, one per family of models (docs/NAME.md).
pub const FAMILY_CHAPTERS: [&str; 9] = [
    "refcount",
    "handoff",
    "bytecode",
    "objlock",
    "brc",
    "freethreaded",
    "pymutex",
    "multiprocessing",
    "condvar",
];

/// Run the built `gilspec` with `args`: its exit code, stdout and stderr.
pub fn gilspec(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gilspec"))
        .args(args)
        .output()
        .expect("run gilspec");
    (
        out.status.code().expect("exited normally"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An empty directory of this test's own, kept after the run for a person to look at.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test's directory");
    dir
}

/// Say that a test skips part of its work, and why: straight to stderr, since libtest
/// captures eprintln! and a skip should be seen. If `required_by` is set to 1 in the
/// environment (`.ci/run` sets it once the tool is installed), fail instead.
pub fn skip_unless_required(required_by: &str, why: &str) {
    if std::env::var(required_by).as_deref() == Ok("1") {
        panic!("{required_by}=1, but {why}");
    }
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Far more than a page takes; only a browser that hangs meets it.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

/// Headless Chromium, or `None` (with a message) when it is not installed and not required.
pub fn browser() -> Option<Browser> {
    if Path::new(CHROMIUM).exists() {
        return Some(Browser);
    }
    skip_unless_required(
        "GILSPEC_REQUIRE_BROWSER",
        &format!("{CHROMIUM} not found; .ci/run installs it (apt-get install chromium)"),
    );
    None
}

pub struct Browser;

impl Browser {
    /// Run Chromium headless on a fresh profile, letting the page's scripts run for
    /// `virtual_ms` of virtual time, and return what it printed; kill it (with every
    /// process it started) after `BROWSER_TIMEOUT`.
    pub fn run(&self, dir: &Path, virtual_ms: u32, args: &[&str]) -> String {
        let profile = dir.join("chromium-profile");
        let _ = std::fs::remove_dir_all(&profile);
        // Files, not pipes: a page's DOM outgrows a pipe, and a full pipe would stall it.
        let (out_path, err_path) = (dir.join("chromium.out"), dir.join("chromium.err"));
        let mut child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!("--virtual-time-budget={virtual_ms}"))
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            // Its own process group, so that a timeout ends its helper processes too.
            .process_group(0)
            .spawn()
            .expect("start chromium");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for chromium") {
                break Some(status);
            }
            if start.elapsed() > BROWSER_TIMEOUT {
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // SAFETY: signalling the process group this test started (no memory is involved).
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&profile);
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = &lines[lines.len().saturating_sub(10)..];
        match status {
            Some(s) if s.success() => std::fs::read_to_string(&out_path).unwrap(),
            Some(s) => panic!("chromium {args:?} failed ({s}):\n{}", tail.join("\n")),
            None => panic!("chromium {args:?} took over {BROWSER_TIMEOUT:?}; killed"),
        }
    }
}

/// The text of `<pre id="ID">` in a dumped DOM, unescaped.
pub fn pre_block(dom: &str, id: &str) -> String {
    let open = format!(r#"<pre id="{id}""#);
    let start = dom
        .find(&open)
        .unwrap_or_else(|| panic!("no <pre id={id}>"))
        + open.len();
    let start = start + dom[start..].find('>').unwrap() + 1;
    let end = start + dom[start..].find("</pre>").unwrap();
    dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}
