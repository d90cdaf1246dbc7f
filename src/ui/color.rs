//! Color is a value: decided once (flag, NO_COLOR, TTY) and passed down, never global.

use std::{fmt, io::IsTerminal};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Color {
  enabled: bool,
}

impl Color {
  /// `auto`, as the clap family decides it: never with NO_COLOR (https://no-color.org);
  /// always with CLICOLOR_FORCE or FORCE_COLOR (CI logs, `| less -R`); never with CLICOLOR=0;
  /// otherwise on a terminal that is not TERM=dumb.
  pub(crate) fn for_stream(choice: ColorChoice, is_terminal: bool) -> Self {
    let enabled = match choice {
      ColorChoice::Always => true,
      ColorChoice::Never => false,
      ColorChoice::Auto => auto(is_terminal),
    };
    Self { enabled }
  }

  pub(crate) fn stdout(choice: ColorChoice) -> Self {
    Self::for_stream(choice, std::io::stdout().is_terminal())
  }

  pub(crate) fn stderr(choice: ColorChoice) -> Self {
    Self::for_stream(choice, std::io::stderr().is_terminal())
  }

  /// Whether colors are on (a full-screen view styles cells itself).
  pub(crate) fn is_enabled(self) -> bool {
    self.enabled
  }

  pub(crate) fn paint<'a>(self, code: &'static str, text: &'a str) -> Painted<'a> {
    Painted {
      code: if self.enabled { code } else { "" },
      text,
    }
  }

  pub(crate) fn error<'a>(self, text: &'a str) -> Painted<'a> {
    self.paint("1;31", text)
  }

  pub(crate) fn warning<'a>(self, text: &'a str) -> Painted<'a> {
    self.paint("1;33", text)
  }

  pub(crate) fn good<'a>(self, text: &'a str) -> Painted<'a> {
    self.paint("32", text)
  }

  pub(crate) fn bold<'a>(self, text: &'a str) -> Painted<'a> {
    self.paint("1", text)
  }

  pub(crate) fn dim<'a>(self, text: &'a str) -> Painted<'a> {
    self.paint("2", text)
  }

  pub(crate) fn hint<'a>(self, text: &'a str) -> Painted<'a> {
    self.paint("1;36", text)
  }

  /// The stable color of the n-th service, so `backend │` keeps its color across runs.
  pub(crate) fn service<'a>(self, index: usize, text: &'a str) -> Painted<'a> {
    self.paint(SERVICE_COLORS[index % SERVICE_COLORS.len()].1, text)
  }
}

/// The services' colors in order — cyan, magenta, yellow, green, blue, bright red — as an
/// ANSI palette index (the dashboard's cells) and as its SGR code (printed lines), so a
/// service has one color in every view.
const SERVICE_COLORS: [(u8, &str); 6] = [
  (6, "36"),
  (5, "35"),
  (3, "33"),
  (2, "32"),
  (4, "34"),
  (9, "91"),
];

/// The n-th service's color as an ANSI palette index.
pub(crate) fn service_palette_index(index: usize) -> u8 {
  SERVICE_COLORS[index % SERVICE_COLORS.len()].0
}

fn auto(is_terminal: bool) -> bool {
  match (set("FORCE_COLOR"), set("CLICOLOR_FORCE")) {
    _ if anstyle_query::no_color() => false,
    // FORCE_COLOR=0 asks for none (Node's convention), even on a terminal.
    (Some(false), _) => false,
    // `CLICOLOR_FORCE=0` is off, not "set": it forces nothing.
    (Some(true), _) | (_, Some(true)) => true,
    _ if anstyle_query::clicolor() == Some(false) => false,
    _ => is_terminal && anstyle_query::term_supports_color() && crate::sys::enable_colors(),
  }
}

/// A variable's yes or no: `None` unset or empty, `Some(false)` for 0, false or no.
fn set(name: &str) -> Option<bool> {
  let value = std::env::var(name).ok().filter(|value| !value.is_empty())?;
  Some(!matches!(
    value.to_ascii_lowercase().as_str(),
    "0" | "false" | "no"
  ))
}

/// `--color auto|always|never`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
  #[default]
  Auto,
  Always,
  Never,
}

pub(crate) struct Painted<'a> {
  code: &'static str,
  text: &'a str,
}

impl fmt::Display for Painted<'_> {
  fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
    if self.code.is_empty() {
      f.write_str(self.text)
    } else {
      write!(f, "\x1b[{}m{}\x1b[0m", self.code, self.text)
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn never_writes_escape_codes_when_disabled() {
    assert_eq!(
      Color::for_stream(ColorChoice::Never, true)
        .error("x")
        .to_string(),
      "x"
    );
    let on = Color::for_stream(ColorChoice::Always, false);
    assert_eq!(on.error("x").to_string(), "\x1b[1;31mx\x1b[0m");
  }
}
