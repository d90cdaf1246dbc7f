//! The `exec` probe: a command in the service's directory and environment, healthy on exit
//! code 0, ended with its whole group after the timeout. What it printed (stdout and stderr,
//! the last lines) is kept: a failing probe's output is the only place its reason is, and it
//! is in no log.

use std::{
  collections::VecDeque,
  io::{PipeReader, Read},
  process::Stdio,
  sync::{Arc, Mutex, PoisonError, mpsc},
  thread,
  time::{Duration, Instant},
};

use super::Check;
use crate::{
  sys::{self, ExitStatus},
  ui::format::{elapsed, status_text},
};

/// How many of the last lines a probe printed are kept, and how long each may be.
const KEPT_LINES: usize = 5;
const LONGEST_LINE: usize = 300;
/// How long the output may still come after the probe's shell exited (a process it left
/// behind may hold the pipe open: what came until then is kept).
const LAST_WORDS: Duration = Duration::from_millis(100);

impl Check {
  /// Runs the command once: whether it passed, what its end was, its last lines of output.
  pub(super) fn exec(&self, command: &str) -> (bool, String, Vec<String>) {
    let names: Vec<&str> = self.env.iter().map(|(name, _)| name.as_str()).collect();
    let mut shell = self.shell.command(command, &names);
    shell
      .current_dir(&self.cwd)
      .envs(self.env.iter().map(|(k, v)| (k, v)))
      .stdin(Stdio::null());
    let printed = match std::io::pipe().and_then(|(reader, writer)| {
      shell.stdout(writer.try_clone()?).stderr(writer);
      Ok(reader)
    }) {
      Ok(reader) => Some(Tail::read(reader)),
      Err(_) => {
        shell.stdout(Stdio::null()).stderr(Stdio::null());
        None
      }
    };
    sys::start_own_group(&mut shell);
    let spawned = shell.spawn();
    // The command holds the pipe's writing end: without dropping it, the output never ends.
    drop(shell);
    let mut child = match spawned {
      Ok(child) => child,
      Err(error) => {
        return (
          false,
          format!("cannot run {}: {error}", self.shell.program()),
          vec![],
        );
      }
    };
    let (ok, detail) = self.wait_for(&mut child);
    // A passing probe's output says nothing: not waited for.
    let output = printed.filter(|_| !ok).map(Tail::lines).unwrap_or_default();
    (ok, detail, output)
  }

  /// Waits for the probe's shell within the timeout, ending its group after it.
  fn wait_for(&self, child: &mut std::process::Child) -> (bool, String) {
    let deadline = Instant::now() + self.health.timeout;
    // Once reaped elsewhere, the pid (and so the group number) may belong to someone else.
    let mut reaped_elsewhere = false;
    loop {
      let status = match child.try_wait() {
        Ok(Some(status)) => Some(sys::exit_status(status)),
        Ok(None) => None,
        // Reaped by the keeper's reaper (or it is about to record it).
        Err(_) => {
          reaped_elsewhere = true;
          self
            .reaped
            .as_ref()
            .and_then(|reaped| reaped.take(child.id()))
        }
      };
      match status {
        Some(ExitStatus::Code(0)) => return (true, "exit code 0".into()),
        Some(ExitStatus::Code(code)) => return (false, format!("exit code {code}")),
        Some(status) => return (false, status_text(status)),
        None if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
        None => {
          // Our own probe's group: started just above, in a group of its own.
          if !reaped_elsewhere {
            let _ = sys::signal_group(child.id(), sys::Signal::Kill);
          }
          let _ = child.wait();
          return (
            false,
            format!("timed out after {}", elapsed(self.health.timeout)),
          );
        }
      }
    }
  }
}

/// The last lines read from a pipe, by a thread of its own (a probe that prints a lot never
/// blocks on a full pipe), in bounded memory.
struct Tail {
  lines: Arc<Mutex<VecDeque<String>>>,
  done: mpsc::Receiver<()>,
}

impl Tail {
  fn read(mut reader: PipeReader) -> Self {
    let lines = Arc::new(Mutex::new(VecDeque::new()));
    let (finished, done) = mpsc::channel();
    let kept = lines.clone();
    thread::spawn(move || {
      let mut line = Vec::new();
      let mut chunk = [0u8; 4096];
      while let Ok(read) = reader.read(&mut chunk) {
        if read == 0 {
          break;
        }
        for &byte in &chunk[..read] {
          if byte == b'\n' {
            keep(&kept, &mut line);
          } else if line.len() < LONGEST_LINE {
            line.push(byte);
          }
        }
      }
      keep(&kept, &mut line);
      let _ = finished.send(());
    });
    Self { lines, done }
  }

  /// What was printed, once the writers are done or a moment after the shell exited.
  fn lines(self) -> Vec<String> {
    let _ = self.done.recv_timeout(LAST_WORDS);
    let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
    lines.iter().cloned().collect()
  }
}

/// One finished line into the tail (blank ones are no reason).
fn keep(lines: &Mutex<VecDeque<String>>, line: &mut Vec<u8>) {
  let text = String::from_utf8_lossy(line).trim_end().to_owned();
  line.clear();
  if text.trim().is_empty() {
    return;
  }
  let mut lines = lines.lock().unwrap_or_else(PoisonError::into_inner);
  if lines.len() == KEPT_LINES {
    lines.pop_front();
  }
  lines.push_back(text);
}
