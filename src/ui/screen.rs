//! The spinner lines at the bottom of the terminal, one per awaited service, and the one
//! rule that keeps them whole: everything `dev` prints goes through `above`, which lifts the
//! spinners out of the way and puts them back after it.

use std::{
  io::Write,
  sync::{Mutex, MutexGuard, PoisonError},
  thread,
  time::{Duration, Instant},
};

use crate::{
  sys,
  ui::{
    color::Color,
    format::{elapsed, truncate_to_width},
  },
};

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const TICK: Duration = Duration::from_millis(80);
const QUIET: Duration = Duration::from_millis(150);

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

/// Adds a spinner line; ticking starts with the first one.
pub(crate) fn add(color: Color, service: &str, what: &str) -> u64 {
  let mut screen = screen();
  screen.color = Some(color);
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
}

/// Takes a spinner line away.
pub(crate) fn remove(id: u64) {
  let mut screen = screen();
  screen.clear();
  screen.waits.retain(|wait| wait.id != id);
  screen.draw();
}
