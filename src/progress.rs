//! While services are being waited for: a spinner line per service under everything else
//! on a terminal (`⠹ backend: GET http://127.0.0.1:8000/health · 1.4s`), or, when stderr is
//! not a terminal, a plain line now and then for a slow one. Every line `dev` prints goes
//! through `above`, which lifts the spinners out of the way and puts them back after it.

use std::{
  io::{IsTerminal, Write},
  sync::{Mutex, MutexGuard, PoisonError},
  thread,
  time::{Duration, Instant},
};

use crate::{
  color::Color,
  format::{elapsed, one_line, truncate_to_width},
  output::Reporter,
  sys,
};

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const TICK: Duration = Duration::from_millis(80);
const QUIET: Duration = Duration::from_millis(150);
/// Without a terminal: say that we are still waiting after these, then every 30 s.
const PLAIN_AFTER: [Duration; 3] = [
  Duration::from_secs(1),
  Duration::from_secs(5),
  Duration::from_secs(15),
];

struct Screen {
  waits: Vec<Wait>,
  /// Spinner lines on the terminal right now.
  drawn: usize,
  ticking: bool,
  frame: usize,
  /// The reporter's, set by the first wait.
  color: Option<Color>,
  next_id: u64,
}

struct Wait {
  id: u64,
  service: String,
  what: String,
  since: Instant,
}

static SCREEN: Mutex<Screen> = Mutex::new(Screen {
  waits: Vec::new(),
  drawn: 0,
  ticking: false,
  frame: 0,
  color: None,
  next_id: 0,
});

fn screen() -> MutexGuard<'static, Screen> {
  SCREEN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `print` with the spinners lifted: nothing ever prints across a spinner line.
pub(crate) fn above<T>(print: impl FnOnce() -> T) -> T {
  let mut screen = screen();
  if screen.waits.is_empty() && screen.drawn == 0 {
    return print();
  }
  screen.clear();
  let result = print();
  screen.draw();
  result
}

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
    let id = live.then(|| {
      let mut screen = screen();
      screen.color = Some(report.color);
      screen.next_id += 1;
      let id = screen.next_id;
      screen.waits.push(Wait {
        id,
        service: service.to_owned(),
        what: what.to_owned(),
        since: Instant::now(),
      });
      if !screen.ticking {
        screen.ticking = true;
        thread::spawn(tick);
      }
      id
    });
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
      let mut screen = screen();
      screen.clear();
      screen.waits.retain(|wait| wait.id != id);
      screen.draw();
    }
  }
}

impl Screen {
  fn clear(&mut self) {
    if self.drawn == 0 {
      return;
    }
    let mut text = String::from("\r\x1b[2K");
    for _ in 1..self.drawn {
      text.push_str("\x1b[1A\x1b[2K");
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
    self.drawn = 0;
  }

  /// Lines never wrap (a wrapped line would break `clear`): each is cut to the width. A
  /// wait shorter than `QUIET` shows nothing: most servers are up before a spinner could
  /// even be seen.
  fn draw(&mut self) {
    let shown: Vec<&Wait> = self
      .waits
      .iter()
      .filter(|wait| wait.since.elapsed() >= QUIET)
      .collect();
    if shown.is_empty() {
      return;
    }
    let width = sys::terminal_width()
      .unwrap_or(80)
      .saturating_sub(1)
      .max(10);
    let frame = FRAMES[self.frame % FRAMES.len()];
    let lines: Vec<String> = shown
      .iter()
      .map(|wait| {
        let took = elapsed(wait.since.elapsed());
        let text = format!("{}: waiting for {} · {took}", wait.service, wait.what);
        let text = truncate_to_width(&text, width - 2);
        match self.color {
          Some(color) => format!("{} {text}", color.hint(frame)),
          None => format!("{frame} {text}"),
        }
      })
      .collect();
    let _ = std::io::stderr().write_all(lines.join("\n").as_bytes());
    self.drawn = lines.len();
  }
}

fn tick() {
  loop {
    thread::sleep(TICK);
    let mut screen = screen();
    if screen.waits.is_empty() {
      screen.clear();
      screen.ticking = false;
      return;
    }
    screen.frame += 1;
    screen.clear();
    screen.draw();
  }
}
