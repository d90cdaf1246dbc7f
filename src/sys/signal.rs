//! Signal names as users write them in `stop: { signal: TERM }`.

use std::fmt;

/// Each signal's number: POSIX's where there are signals. Windows has none; there the
/// numbers (Linux's) only name `dev`'s own requests between its processes (`sys/windows`).
#[cfg(unix)]
mod numbers {
  pub(super) use libc::{
    SIGABRT, SIGCONT, SIGHUP, SIGINT, SIGKILL, SIGPIPE, SIGQUIT, SIGSEGV, SIGTERM, SIGUSR1, SIGUSR2,
  };
}
#[cfg(windows)]
mod numbers {
  pub(super) const SIGHUP: i32 = 1;
  pub(super) const SIGINT: i32 = 2;
  pub(super) const SIGQUIT: i32 = 3;
  pub(super) const SIGABRT: i32 = 6;
  pub(super) const SIGKILL: i32 = 9;
  pub(super) const SIGUSR1: i32 = 10;
  pub(super) const SIGSEGV: i32 = 11;
  pub(super) const SIGUSR2: i32 = 12;
  pub(super) const SIGPIPE: i32 = 13;
  pub(super) const SIGTERM: i32 = 15;
  pub(super) const SIGCONT: i32 = 18;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
  Term,
  Int,
  Hup,
  Quit,
  Kill,
  Usr1,
  Usr2,
  /// Sent with a stop signal, never configured: a stopped (SIGSTOP, Ctrl+Z) process only
  /// acts on its stop signal once it runs again.
  Cont,
}

impl Signal {
  pub(crate) const NAMES: &'static [&'static str] =
    &["TERM", "INT", "HUP", "QUIT", "KILL", "USR1", "USR2"];

  /// Accepts `TERM`, `SIGTERM`, `term` and `15`.
  pub(crate) fn parse(text: &str) -> Option<Self> {
    let upper = text.trim().to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    Some(match name {
      "TERM" | "15" => Self::Term,
      "INT" | "2" => Self::Int,
      "HUP" | "1" => Self::Hup,
      "QUIT" | "3" => Self::Quit,
      "KILL" | "9" => Self::Kill,
      "USR1" | "10" => Self::Usr1,
      "USR2" | "12" => Self::Usr2,
      _ => return None,
    })
  }

  pub(crate) fn number(self) -> i32 {
    match self {
      Self::Term => numbers::SIGTERM,
      Self::Int => numbers::SIGINT,
      Self::Hup => numbers::SIGHUP,
      Self::Quit => numbers::SIGQUIT,
      Self::Kill => numbers::SIGKILL,
      Self::Usr1 => numbers::SIGUSR1,
      Self::Usr2 => numbers::SIGUSR2,
      Self::Cont => numbers::SIGCONT,
    }
  }

  pub(crate) fn name(self) -> &'static str {
    match self {
      Self::Term => "SIGTERM",
      Self::Int => "SIGINT",
      Self::Hup => "SIGHUP",
      Self::Quit => "SIGQUIT",
      Self::Kill => "SIGKILL",
      Self::Usr1 => "SIGUSR1",
      Self::Usr2 => "SIGUSR2",
      Self::Cont => "SIGCONT",
    }
  }

  /// The name of any signal number, for reporting how a service died.
  pub(crate) fn describe(number: i32) -> String {
    let known = [
      Self::Term,
      Self::Int,
      Self::Hup,
      Self::Quit,
      Self::Kill,
      Self::Usr1,
      Self::Usr2,
    ];
    match known.iter().find(|signal| signal.number() == number) {
      Some(signal) => signal.name().to_owned(),
      None if number == numbers::SIGSEGV => "SIGSEGV".to_owned(),
      None if number == numbers::SIGABRT => "SIGABRT".to_owned(),
      None if number == numbers::SIGPIPE => "SIGPIPE".to_owned(),
      None => format!("signal {number}"),
    }
  }
}

impl fmt::Display for Signal {
  fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
    f.write_str(self.name())
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn parses_every_spelling() {
    for text in ["TERM", "SIGTERM", "term", "15", " sigterm "] {
      assert_eq!(Signal::parse(text), Some(Signal::Term), "{text}");
    }
    assert_eq!(Signal::parse("SIGFOO"), None);
    assert_eq!(Signal::describe(Signal::Kill.number()), "SIGKILL");
    assert_eq!(Signal::describe(numbers::SIGSEGV), "SIGSEGV");
  }
}
