//! The status line of a long check on a terminal: which row it is on, and how many
//! executions that row has explored so far (indicatif, redrawn on a tick of its own
//! while the checkers run on this thread). The row's name comes last and is cut to the
//! terminal's width.

use gilspec::check;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::os::fd::FromRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub(crate) struct Progress {
    bar: ProgressBar,
    /// `check::executions_started()` when the current row began.
    base: Arc<AtomicU64>,
}

impl Progress {
    pub(crate) fn start(rows: usize) -> Progress {
        let base = Arc::new(AtomicU64::new(check::executions_started()));
        let from = base.clone();
        let style = ProgressStyle::with_template(
            "checking [{pos}/{len}] {executions} executions: {wide_msg}",
        )
        .expect("a valid template")
        .with_key(
            "executions",
            move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                let n = check::executions_started() - from.load(Ordering::Relaxed);
                let _ = write!(w, "{n}");
            },
        );
        let bar = ProgressBar::with_draw_target(Some(rows as u64), terminal());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress { bar, base }
    }

    /// Row `index` (from 1) starts: show its label and count its executions from zero.
    pub(crate) fn now(&self, index: usize, label: String) {
        self.base
            .store(check::executions_started(), Ordering::Relaxed);
        self.bar.set_position(index as u64);
        self.bar.set_message(label);
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
