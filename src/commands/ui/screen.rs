//! The terminal in the dashboard's hands, given back however the dashboard ends.

use std::io::{self, Stdout};

use ratatui::{
  Terminal,
  backend::CrosstermBackend,
  crossterm::{
    cursor, execute,
    terminal::{self, EnterAlternateScreen, LeaveAlternateScreen},
  },
};

use crate::{
  error::{Error, Result},
  sys,
};

/// The terminal in the dashboard's hands: raw mode, the alternate screen, no cursor, and
/// stderr set aside; all given back when dropped, however the dashboard ends.
pub(super) struct Screen {
  pub(super) terminal: Terminal<CrosstermBackend<Stdout>>,
  _stderr: Option<sys::StderrAside>,
}

impl Screen {
  pub(super) fn open() -> Result<Self> {
    let null = std::fs::File::options().write(true).open("/dev/null");
    let stderr = null.ok().and_then(|null| sys::stderr_aside(&null));
    Self::enter()?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout())).map_err(terminal_error)?;
    Ok(Self {
      terminal,
      _stderr: stderr,
    })
  }

  fn enter() -> Result<()> {
    terminal::enable_raw_mode().map_err(terminal_error)?;
    execute!(io::stdout(), EnterAlternateScreen, cursor::Hide).map_err(terminal_error)
  }

  fn leave() {
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
  }

  /// Gives the terminal to another program (the pager) while `run` runs.
  pub(super) fn suspended<T>(&mut self, run: impl FnOnce() -> T) -> Result<T> {
    Self::leave();
    let result = run();
    Self::enter()?;
    self.terminal.clear().map_err(terminal_error)?;
    Ok(result)
  }
}

impl Drop for Screen {
  fn drop(&mut self) {
    Self::leave();
  }
}

pub(super) fn terminal_error(error: io::Error) -> Error {
  Error::io("the terminal failed")(error)
}
