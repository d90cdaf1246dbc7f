//! A tool's work done by the CLI itself: `dev <args>` as a child process in a group of its
//! own, stdout and stderr captured (never the protocol's stdout), bounded in time. A child
//! still running at the deadline gets SIGTERM, and SIGKILL after a grace (a task's guard
//! then ends what the task started).

use std::{
  io::Read,
  process::{Command, Stdio},
  sync::{Arc, Mutex},
  thread,
  time::{Duration, Instant},
};

use super::Context;
use crate::sys::{self, Pid, Signal};

/// What is kept of each stream: its end, where the verdict and the errors are.
const KEEP: usize = 256 * 1024;
/// From SIGTERM to SIGKILL for a child past its deadline.
const GRACE: Duration = Duration::from_secs(5);

/// The process groups of the child `dev`s still running.
#[derive(Default)]
pub(crate) struct Running(Mutex<Vec<Pid>>);

impl Running {
  fn with(&self, change: impl FnOnce(&mut Vec<Pid>)) {
    change(
      &mut self
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
  }

  /// SIGTERM to every child still running (the client went away).
  pub(crate) fn end_all(&self) {
    self.with(|groups| {
      for group in groups.drain(..) {
        let _ = sys::signal_group(group, Signal::Term);
      }
    });
  }
}

/// How a child `dev` ended and what it said.
pub(super) struct Ran {
  /// `None`: ended by a signal, or could not start (`stderr` says why).
  pub(super) code: Option<i32>,
  pub(super) stdout: String,
  pub(super) stderr: String,
  pub(super) timed_out: bool,
  pub(super) took: Duration,
}

impl Ran {
  pub(super) fn ok(&self) -> bool {
    self.code == Some(0)
  }

  /// Both streams, for a text result.
  pub(super) fn text(&self) -> String {
    let mut text = self.stdout.trim_end().to_owned();
    if !self.stderr.trim().is_empty() {
      if !text.is_empty() {
        text.push('\n');
      }
      text.push_str(self.stderr.trim_end());
    }
    text
  }
}

/// Runs `dev <args>` for the session's task file, at most `timeout`.
pub(super) fn dev(context: &Context, args: &[String], timeout: Duration) -> Ran {
  let started = Instant::now();
  let mut command = match std::env::current_exe() {
    Ok(exe) => Command::new(exe),
    Err(error) => return cannot_start(&error, started),
  };
  if let Some(file) = &context.file {
    command.arg("-f").arg(file);
  }
  command
    .args(["--color", "never"])
    .arg("--end-with-parent")
    .arg(std::process::id().to_string())
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
  sys::start_own_group(&mut command);
  let mut child = match command.spawn() {
    Ok(child) => child,
    Err(error) => return cannot_start(&error, started),
  };
  let group = child.id();
  context.children.with(|groups| groups.push(group));
  let stdout = collect(child.stdout.take());
  let stderr = collect(child.stderr.take());
  let (status, timed_out) = wait(&mut child, group, timeout);
  context
    .children
    .with(|groups| groups.retain(|g| *g != group));
  Ran {
    code: status.and_then(|status| status.code()),
    stdout: finish(stdout),
    stderr: finish(stderr),
    timed_out,
    took: started.elapsed(),
  }
}

fn cannot_start(error: &std::io::Error, started: Instant) -> Ran {
  Ran {
    code: None,
    stdout: String::new(),
    stderr: format!("cannot run dev: {error}"),
    timed_out: false,
    took: started.elapsed(),
  }
}

/// Waits for the child; past `timeout`, ends its group (TERM, the grace, KILL).
fn wait(
  child: &mut std::process::Child,
  group: Pid,
  timeout: Duration,
) -> (Option<std::process::ExitStatus>, bool) {
  let deadline = Instant::now() + timeout;
  let mut timed_out = false;
  let mut killed = false;
  loop {
    if let Ok(Some(status)) = child.try_wait() {
      return (Some(status), timed_out);
    }
    let now = Instant::now();
    if now >= deadline && !timed_out {
      timed_out = true;
      let _ = sys::signal_group(group, Signal::Term);
    } else if timed_out && !killed && now >= deadline + GRACE {
      killed = true;
      let _ = sys::signal_group(group, Signal::Kill);
    } else if killed && now >= deadline + GRACE * 2 {
      return (None, true);
    }
    thread::sleep(Duration::from_millis(20));
  }
}

type Collected = (Arc<Mutex<(Vec<u8>, usize)>>, Option<thread::JoinHandle<()>>);

/// Reads a stream in a thread, keeping its last `KEEP` bytes and how many were cut.
fn collect(stream: Option<impl Read + Send + 'static>) -> Collected {
  let kept = Arc::new(Mutex::new((Vec::new(), 0)));
  let handle = stream.map(|mut stream| {
    let kept = Arc::clone(&kept);
    thread::spawn(move || {
      let mut buffer = [0u8; 8192];
      while let Ok(read) = stream.read(&mut buffer) {
        if read == 0 {
          break;
        }
        let mut kept = kept
          .lock()
          .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.0.extend_from_slice(&buffer[..read]);
        if kept.0.len() > KEEP * 2 {
          let cut = kept.0.len() - KEEP;
          kept.0.drain(..cut);
          kept.1 += cut;
        }
      }
    })
  });
  (kept, handle)
}

/// What a stream said. A process the child left running with the stream open (it should
/// not: keepers let go of it) is not waited for beyond a moment.
fn finish((kept, handle): Collected) -> String {
  if let Some(handle) = handle {
    let deadline = Instant::now() + Duration::from_secs(1);
    while !handle.is_finished() && Instant::now() < deadline {
      thread::sleep(Duration::from_millis(5));
    }
  }
  let kept = kept
    .lock()
    .unwrap_or_else(std::sync::PoisonError::into_inner);
  let (bytes, cut) = (&kept.0, kept.1);
  let start = bytes.len().saturating_sub(KEEP);
  let text = String::from_utf8_lossy(&bytes[start..]);
  match cut + start {
    0 => text.into_owned(),
    cut => format!("… ({cut} bytes before this were cut)\n{text}"),
  }
}
