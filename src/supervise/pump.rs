//! The keeper's output pump: every byte the service prints goes into its log file, and a
//! copy goes to the foreground `dev` without making the service wait for a slow reader.
//!
//! The copy passes through a bounded queue to a thread of its own that writes to the view
//! at the reader's pace. A reader that keeps up on average loses nothing, whatever its
//! hiccups (a busy machine, a paused pipe): the queue absorbs them. A reader that cannot
//! keep up, or is stuck, gets whole lines skipped — counted and said — while the service
//! runs at full speed. A view that is a regular file always drains, so nothing is skipped
//! for it: the pump waits for room instead.

use std::{
  collections::VecDeque,
  io::{self, Read, Write},
  sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc},
  thread,
  time::Duration,
};

use crate::{
  supervise::{log_file::LogFile, spec::View},
  sys,
};

/// How far the view may fall behind before lines are skipped for it: a second or more of a
/// very fast service's output on a loaded machine, and the bound of the keeper's memory
/// for it.
const QUEUE_BYTES: usize = 16 << 20;

/// The log file, written by the pump and, between two chunks, by the keeper's own notes.
pub(crate) type SharedLog = Arc<Mutex<LogFile>>;

/// At most this much goes to the view in one write: the size of the pipe to `dev`.
const BATCH_BYTES: usize = 1 << 20;

/// Copies the service's output into the log file and, when attached (`view`), to stdout.
/// The receiver disconnects once the last byte is in the log and the view has it (or the
/// view is gone).
pub(crate) fn spawn_pump(
  mut reader: io::PipeReader,
  log: SharedLog,
  view: Option<View>,
) -> mpsc::Receiver<()> {
  let (done, finished) = mpsc::channel::<()>();
  thread::spawn(move || {
    let queue = view.map(|view| Queue::start(view == View::File, done.clone()));
    let _done = done;
    let mut offer = Offer::default();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
      let read = match reader.read(&mut buffer) {
        Ok(0) => break,
        Ok(read) => read,
        Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
        Err(_) => break,
      };
      let chunk = &buffer[..read];
      let _ = log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .write(chunk);
      if let Some(queue) = &queue {
        offer.send(queue, chunk);
      }
    }
    if let Some(queue) = &queue {
      offer.flush(queue);
      queue.close();
    }
  });
  finished
}

/// The chunks waiting for the view, shared with the thread that writes them.
struct Queue {
  state: Arc<(Mutex<Pending>, Condvar)>,
  /// Wait for room instead of skipping (a view that is a file).
  lossless: bool,
}

#[derive(Default)]
struct Pending {
  chunks: VecDeque<Vec<u8>>,
  bytes: usize,
  /// No more chunks will come.
  closed: bool,
  /// The view is gone: nothing more is worth queuing.
  gone: bool,
  /// The last queued byte was not a newline.
  mid_line: bool,
}

impl Queue {
  /// Starts the thread that writes queued chunks to stdout; it holds `done` until it ends.
  fn start(lossless: bool, done: mpsc::Sender<()>) -> Self {
    let state: Arc<(Mutex<Pending>, Condvar)> = Arc::default();
    let shared = state.clone();
    // More room in the pipe to `dev`: fewer wake-ups of its relay under a flood.
    sys::grow_stdout_pipe(1 << 20);
    thread::spawn(move || {
      let _done = done;
      loop {
        let mut batch = Vec::new();
        {
          let (lock, ready) = &*shared;
          let mut pending = lock_pending(lock);
          while pending.chunks.is_empty() && !pending.closed {
            pending = ready.wait(pending).unwrap_or_else(PoisonError::into_inner);
          }
          if pending.chunks.is_empty() {
            return;
          }
          // Everything queued meanwhile, in one write: a service that prints line by line
          // (PYTHONUNBUFFERED, a logger flushing each record) arrives a line per read, and a
          // write and a wake-up of `dev` per line would cost more than the service itself.
          while batch.len() < BATCH_BYTES
            && let Some(chunk) = pending.chunks.pop_front()
          {
            pending.bytes -= chunk.len();
            batch.extend_from_slice(&chunk);
          }
          ready.notify_all();
        }
        // Locked per batch: the keeper's own notices go to stdout too.
        let mut stdout = io::stdout().lock();
        if stdout
          .write_all(&batch)
          .and_then(|()| stdout.flush())
          .is_err()
        {
          let (lock, ready) = &*shared;
          lock_pending(lock).gone = true;
          ready.notify_all();
          return;
        }
      }
    });
    Self { state, lossless }
  }

  /// Queues `bytes` if there is room (waiting for it when lossless). False when skipped.
  fn push(&self, bytes: &[u8], force: bool) -> bool {
    let (lock, ready) = &*self.state;
    let mut pending = lock_pending(lock);
    while self.lossless && !force && !pending.gone && pending.bytes + bytes.len() > QUEUE_BYTES {
      pending = ready
        .wait_timeout(pending, Duration::from_millis(100))
        .unwrap_or_else(PoisonError::into_inner)
        .0;
    }
    if pending.gone || (!force && pending.bytes + bytes.len() > QUEUE_BYTES) {
      return false;
    }
    pending.bytes += bytes.len();
    pending.mid_line = bytes.last().is_some_and(|byte| *byte != b'\n');
    pending.chunks.push_back(bytes.to_vec());
    // The writer waits only on an empty queue: waking it for every chunk is wasted work.
    if pending.chunks.len() == 1 {
      ready.notify_all();
    }
    true
  }

  fn mid_line(&self) -> bool {
    lock_pending(&self.state.0).mid_line
  }

  fn close(&self) {
    let (lock, ready) = &*self.state;
    lock_pending(lock).closed = true;
    ready.notify_all();
  }
}

fn lock_pending(lock: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
  lock.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What goes into the queue: whole lines only, and an honest count of those skipped.
#[derive(Default)]
struct Offer {
  skipped_lines: u64,
  /// The start of the current line was skipped: skip until its end.
  skipping_line: bool,
}

impl Offer {
  fn send(&mut self, queue: &Queue, mut chunk: &[u8]) {
    if self.skipping_line {
      match chunk.iter().position(|byte| *byte == b'\n') {
        Some(end) => {
          chunk = &chunk[end + 1..];
          self.skipping_line = false;
        }
        None => return,
      }
    }
    if chunk.is_empty() {
      return;
    }
    if self.skipped_lines > 0 {
      let note = self.note();
      if queue.push(note.as_bytes(), false) {
        self.skipped_lines = 0;
      } else {
        self.skip(queue, chunk);
        return;
      }
    }
    if !queue.push(chunk, false) {
      self.skip(queue, chunk);
    }
  }

  fn note(&self) -> String {
    format!(
      "[dev] skipped {} lines here: the terminal was too slow (all are in the log file)\n",
      self.skipped_lines
    )
  }

  /// Skips `chunk`; a line the view has the start of is ended there, so that it is never
  /// glued to the next one shown.
  fn skip(&mut self, queue: &Queue, chunk: &[u8]) {
    if queue.mid_line() {
      queue.push(b"\n", true);
    }
    let newlines = chunk.iter().filter(|byte| **byte == b'\n').count() as u64;
    self.skipped_lines += newlines + u64::from(!chunk.ends_with(b"\n"));
    self.skipping_line = !chunk.ends_with(b"\n");
  }

  /// At the end of the output: say what was skipped last.
  fn flush(&mut self, queue: &Queue) {
    if self.skipped_lines > 0 {
      queue.push(self.note().as_bytes(), true);
    }
  }
}
