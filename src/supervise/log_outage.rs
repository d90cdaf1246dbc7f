//! A log that cannot be written (a full disk, a quota): what was lost, and what to say.
//!
//! The service goes on and its output still reaches the view; the log file keeps whole
//! lines only (the one cut by the failed write is taken back), and once a write works again
//! a note says where the gap is and how much it holds.

use std::time::{Duration, Instant};

use crate::{state::unix_now, ui::timestamp::utc_timestamp};

/// How often writing is tried again while it fails.
const RETRY: Duration = Duration::from_secs(1);

pub(crate) struct Outage {
  why: String,
  /// Unix seconds.
  since: u64,
  lines: u64,
  bytes: u64,
  next_try: Instant,
}

impl Outage {
  pub(crate) fn new(error: &std::io::Error) -> Self {
    Self {
      why: error.to_string(),
      since: unix_now(),
      lines: 0,
      bytes: 0,
      next_try: Instant::now() + RETRY,
    }
  }

  /// Output that could not be kept.
  pub(crate) fn lost(&mut self, bytes: &[u8]) {
    self.bytes += bytes.len() as u64;
    self.lines += bytes.iter().filter(|byte| **byte == b'\n').count() as u64;
  }

  /// True when writing may be tried again (and the next try is put off).
  pub(crate) fn may_retry(&mut self) -> bool {
    if Instant::now() < self.next_try {
      return false;
    }
    self.next_try = Instant::now() + RETRY;
    true
  }

  /// For `dev status` and the terminal.
  pub(crate) fn trouble(&self) -> String {
    format!(
      "cannot write its log since {}: {}; the service runs and its output is shown, but not kept",
      utc_timestamp(self.since),
      self.why
    )
  }

  /// The line that marks the gap, once writing works again.
  pub(crate) fn note(&self) -> String {
    format!(
      "──── {} · the log could not be written from {} ({}): {} lines ({} bytes) of output are missing here",
      utc_timestamp(unix_now()),
      utc_timestamp(self.since),
      self.why,
      self.lines,
      self.bytes
    )
  }
}
