//! The status line of a long check on a terminal: how many rows have started, how many
//! executions the check has explored so far, and the row each worker is on (indicatif,
//! redrawn on a tick of its own while the checkers run). The row's name comes last and is cut to the
//! terminal's width.

use gilspec::check;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::os::fd::FromRawFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub(crate) struct Progress {
    bar: ProgressBar,
    /// The rows started so far, and the row each worker is on.
    started: AtomicU64,
    rows: Mutex<Vec<String>>,
}

impl Progress {
    /// A status line for `rows` rows checked by `workers` threads side by side.
    pub(crate) fn start(rows: usize, workers: usize) -> Progress {
        let from = check::executions_started();
        let style = ProgressStyle::with_template(
            "checking [{pos}/{len}] {executions} executions: {wide_msg}",
        )
        .expect("a valid template")
        .with_key(
            "executions",
            move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}", check::executions_started() - from);
            },
        );
        let bar = ProgressBar::with_draw_target(Some(rows as u64), terminal());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress {
            bar,
            started: AtomicU64::new(0),
            rows: Mutex::new(vec![String::new(); workers]),
        }
    }

    /// `worker` starts a row: count it, and show it beside the other workers' rows.
    pub(crate) fn started(&self, worker: usize, label: String) {
        let position = self.started.fetch_add(1, Ordering::Relaxed) + 1;
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        rows[worker] = label;
        let shown: Vec<&str> = rows
            .iter()
            .map(String::as_str)
            .filter(|r| !r.is_empty())
            .collect();
        self.bar.set_position(position);
        self.bar.set_message(shown.join(" · "));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The terminal, through a descriptor of its own: while shuttle runs, the checkers'
/// chatter on stderr (descriptor 2) is pointed at /dev/null, and a bar drawn there would
/// freeze.
fn terminal() -> ProgressDrawTarget {
    // SAFETY: duplicating our own stderr; the new descriptor is owned by the `File`.
    let fd = unsafe { libc::dup(2) };
    if fd < 0 {
        return ProgressDrawTarget::stderr();
    }
    // SAFETY: `fd` is a fresh descriptor nothing else owns.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    match file.try_clone() {
        Ok(read) => ProgressDrawTarget::term(console::Term::read_write_pair(read, file), 4),
        Err(_) => ProgressDrawTarget::stderr(),
    }
}
