//! The keeper's output pump: every byte the service prints goes into its log file, and a
//! copy goes to the foreground `dev` without ever making the service wait for a terminal.

use std::{
  io::{self, Read},
  sync::mpsc::{self, Receiver},
  thread,
};

use crate::{log_file::LogFile, sys};

/// Copies the service's output into the log file, every byte, and forwards it to the
/// foreground `dev` on our stdout when attached. Stdout is non-blocking: when the terminal
/// cannot keep up, lines are skipped there (and counted), never in the file, and the service
/// never waits for a terminal.
pub(crate) fn spawn_pump(
  mut reader: io::PipeReader,
  mut log: LogFile,
  attached: bool,
) -> Receiver<()> {
  let (done, finished) = mpsc::channel::<()>();
  thread::spawn(move || {
    let _done = done;
    let mut forward = attached.then(|| {
      let _ = sys::set_nonblocking(libc::STDOUT_FILENO);
      // About 10 000 lines of room before a busy moment of dev's relay costs a skip.
      sys::grow_pipe(libc::STDOUT_FILENO, 1 << 20);
      Forwarder::default()
    });
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
      let read = match reader.read(&mut buffer) {
        Ok(0) => break,
        Ok(read) => read,
        Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
        Err(_) => break,
      };
      let chunk = &buffer[..read];
      let _ = log.write(chunk);
      if let Some(forwarder) = forward.as_mut() {
        forwarder.send(chunk);
      }
    }
  });
  finished
}

/// Non-blocking forwarding to stdout, with an honest count of what was skipped.
#[derive(Default)]
struct Forwarder {
  skipped_lines: u64,
  /// True while in the middle of a line whose start was skipped.
  skipping_line: bool,
  closed: bool,
}

impl Forwarder {
  fn send(&mut self, mut chunk: &[u8]) {
    if self.closed {
      return;
    }
    if self.skipping_line {
      match chunk.iter().position(|byte| *byte == b'\n') {
        Some(end) => {
          chunk = &chunk[end + 1..];
          self.skipping_line = false;
        }
        None => return,
      }
    }
    if self.skipped_lines > 0 {
      let note = format!(
        "[dev] skipped {} lines here: the terminal was too slow (all are in the log file)\n",
        self.skipped_lines
      );
      if write_nonblocking(note.as_bytes()) == Some(note.len()) {
        self.skipped_lines = 0;
      } else {
        self.skip(chunk);
        return;
      }
    }
    let mut written = 0;
    while written < chunk.len() {
      match write_nonblocking(&chunk[written..]) {
        Some(0) | None => break,
        Some(n) => written += n,
      }
    }
    if written < chunk.len() {
      let rest = &chunk[written..];
      // Finish the partial line we started, if any, so the terminal never shows half a line
      // glued to the next: a partial write always ends mid-line unless it ended at '\n'.
      let started_mid_line = written > 0 && chunk[written - 1] != b'\n';
      if started_mid_line {
        let _ = write_nonblocking(b"\n");
      }
      self.skip(rest);
    }
  }

  fn skip(&mut self, rest: &[u8]) {
    let newlines = rest.iter().filter(|byte| **byte == b'\n').count() as u64;
    self.skipped_lines += newlines + u64::from(!rest.ends_with(b"\n"));
    self.skipping_line = !rest.ends_with(b"\n");
  }
}

/// One write(2) to stdout. `None` when it would block or the reader is gone.
fn write_nonblocking(bytes: &[u8]) -> Option<usize> {
  // SAFETY: writing a valid buffer to our stdout descriptor.
  let written = unsafe { libc::write(libc::STDOUT_FILENO, bytes.as_ptr().cast(), bytes.len()) };
  usize::try_from(written).ok()
}
