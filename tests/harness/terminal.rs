//! `dev` on a real pseudo-terminal (tests/fixtures/terminal.py): what a user sees, Ctrl+C,
//! a closed window, an answer typed at a prompt.

use std::process::{Command, Stdio};

use super::{DEV, Test};

impl Test {
  /// Runs `dev` on a pseudo-terminal (stdout and stderr both on it); everything it wrote
  /// there, control sequences included, and the exit code. With `interrupt_after`, Ctrl+C
  /// once that text has appeared.
  pub(crate) fn run_in_terminal(
    &self,
    args: &[&str],
    interrupt_after: Option<&str>,
  ) -> (String, i32) {
    let options: Vec<&str> = interrupt_after
      .map(|text| vec!["--interrupt-after", text])
      .unwrap_or_default();
    self.terminal(&options, args)
  }

  /// Like `run_in_terminal`, closing the terminal (as when its window is closed) once
  /// `after` has appeared. The exit code says whether `dev` ended by itself or was killed.
  pub(crate) fn hang_up_terminal(&self, args: &[&str], after: &str) -> (String, i32) {
    self.terminal(&["--hang-up-after", after], args)
  }

  /// Like `run_in_terminal`, typing `keys` once `prompt` has appeared.
  pub(crate) fn answer_in_terminal(
    &self,
    args: &[&str],
    prompt: &str,
    keys: &str,
  ) -> (String, i32) {
    self.terminal(&["--type-after", prompt, keys], args)
  }

  fn terminal(&self, options: &[&str], args: &[&str]) -> (String, i32) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/terminal.py");
    let mut command = Command::new("python3");
    command.arg(script).args(options);
    let output = command
      .arg(DEV)
      .args(args)
      .current_dir(self.path())
      .env("DEV_TEST_ID", &self.marker)
      .envs(self.dev_env.iter().map(|(key, value)| (key, value)))
      .env("NO_COLOR", "1")
      .env("TERM", "xterm")
      .stdin(Stdio::null())
      .output()
      .expect("run python3");
    (
      String::from_utf8_lossy(&output.stdout).into_owned(),
      output.status.code().unwrap_or(-1),
    )
  }
}
