//! While services are being waited for: a spinner line per service under everything else
//! on a terminal (`⠹ backend: GET http://127.0.0.1:8000/health · 1.4s`), or, when stderr is
//! not a terminal, a plain line now and then for a slow one.

use std::{
  io::IsTerminal,
  time::{Duration, Instant},
};

use crate::ui::{
  format::{elapsed, one_line},
  output::Reporter,
  screen,
};

/// Without a terminal: say that we are still waiting after these, then every 30 s.
const PLAIN_AFTER: [Duration; 3] = [
  Duration::from_secs(1),
  Duration::from_secs(5),
  Duration::from_secs(15),
];

/// One service being waited for; its spinner goes away when this is dropped.
pub(crate) struct Waiting {
  /// `None` without a terminal: plain lines instead.
  id: Option<u64>,
  service: String,
  what: String,
  since: Instant,
  plain_said: usize,
  report: Reporter,
}

impl Waiting {
  pub(crate) fn start(report: Reporter, service: &str, what: &str) -> Self {
    // A multi-line `exec: |` probe would break the spinner line in two.
    let what = &one_line(what);
    let live =
      std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|term| term != "dumb");
    let id = live.then(|| screen::add(report.color, service, what));
    Self {
      id,
      service: service.to_owned(),
      what: what.to_owned(),
      since: Instant::now(),
      plain_said: 0,
      report,
    }
  }

  /// Called as the wait goes on: without a terminal, says now and then that it still does.
  pub(crate) fn still(&mut self) {
    if self.id.is_some() {
      return;
    }
    let waited = self.since.elapsed();
    let next = PLAIN_AFTER
      .get(self.plain_said)
      .copied()
      .unwrap_or_else(|| {
        PLAIN_AFTER[PLAIN_AFTER.len() - 1]
          + Duration::from_secs(30) * (self.plain_said + 1 - PLAIN_AFTER.len()) as u32
      });
    if waited >= next {
      self.plain_said += 1;
      self.report.step(&format!(
        "{}: waiting for {} ({})",
        self.service,
        self.what,
        elapsed(waited)
      ));
    }
  }
}

impl Drop for Waiting {
  fn drop(&mut self) {
    if let Some(id) = self.id {
      screen::remove(id);
    }
  }
}
