//! A real terminal for full-screen tests: a tmux server of the test's own (its own socket, no
//! user config) runs `dev` at a fixed size; keys are sent as a user types them and the screen
//! is read back as text. The server, and everything in it, goes when the guard is dropped.

use std::{
  path::PathBuf,
  process::{Command, Stdio},
  time::Duration,
};

use super::{DEV, Test, wait_until_else};

pub(crate) struct Tmux {
  socket: String,
}

impl Tmux {
  /// `dev <args>` in the test's project, in a `width`×`height` terminal.
  pub(crate) fn start(test: &Test, args: &str, width: u16, height: u16) -> Self {
    Self::start_with_env(test, "", args, width, height)
  }

  /// The same with variables (`"NO_COLOR=1"`) in dev's environment.
  pub(crate) fn start_with_env(
    test: &Test,
    env: &str,
    args: &str,
    width: u16,
    height: u16,
  ) -> Self {
    let dev = PathBuf::from(DEV);
    // `; sleep` keeps the pane (and what it printed last) a while after dev ends, so the test
    // can read it.
    let shell = format!(
      "{env} '{}' {args}; echo \"dev exited with $?\"; sleep 60",
      dev.display()
    );
    Self::start_command(test, &shell, width, height)
  }

  /// Any shell command line in the test's project, with `dev` first on PATH (an interactive
  /// shell for completion tests).
  pub(crate) fn start_command(test: &Test, command: &str, width: u16, height: u16) -> Self {
    let tmux = Tmux {
      socket: format!("dev-{}", test.marker()),
    };
    let bin = PathBuf::from(DEV);
    let shell = format!(
      "cd '{}' && export DEV_TEST_ID='{}' DEV_PROXY=off PATH='{}':\"$PATH\" && {command}",
      test.path().display(),
      test.marker(),
      bin.parent().expect("dev is in a directory").display(),
    );
    let size = [width.to_string(), height.to_string()];
    tmux.run(&[
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-x",
      &size[0],
      "-y",
      &size[1],
      "sh",
      "-c",
      &shell,
    ]);
    tmux.run(&["set", "-g", "set-clipboard", "on"]);
    tmux
  }

  fn run(&self, args: &[&str]) -> String {
    let output = Command::new("tmux")
      .args(["-L", &self.socket])
      .args(args)
      .env_remove("TMUX")
      .env("TERM", "xterm-256color")
      .stdin(Stdio::null())
      .output()
      .expect("tmux (Debian package) is installed");
    String::from_utf8_lossy(&output.stdout).into_owned()
  }

  /// Keys as tmux names them: `"r"`, `"Enter"`, `"Escape"`, `"/"`.
  pub(crate) fn keys(&self, keys: &[&str]) {
    let mut args = vec!["send-keys", "-t", "0"];
    args.extend_from_slice(keys);
    self.run(&args);
  }

  /// Text typed as is (each character a key).
  pub(crate) fn type_text(&self, text: &str) {
    self.run(&["send-keys", "-t", "0", "-l", text]);
  }

  pub(crate) fn screen(&self) -> String {
    self.run(&["capture-pane", "-p", "-t", "0"])
  }

  /// The screen with its escape sequences (colors, reverse video).
  pub(crate) fn screen_with_styles(&self) -> String {
    self.run(&["capture-pane", "-p", "-e", "-t", "0"])
  }

  pub(crate) fn resize(&self, width: u16, height: u16) {
    let size = [width.to_string(), height.to_string()];
    self.run(&["resize-window", "-t", "0", "-x", &size[0], "-y", &size[1]]);
  }

  /// What the program left of the terminal: `alternate screen: 0, cursor shown: 1`, then
  /// `stty -a` of the pane (`icanon` when cooked, `-icanon` when raw).
  pub(crate) fn terminal_state(&self) -> String {
    let modes = self.run(&[
      "display",
      "-p",
      "-t",
      "0",
      "alternate screen: #{alternate_on}, cursor shown: #{cursor_flag}",
    ]);
    let tty = self.run(&["display", "-p", "-t", "0", "#{pane_tty}"]);
    let stty = Command::new("stty")
      .args(["-F", tty.trim(), "-a"])
      .output()
      .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
      .unwrap_or_default();
    format!("{}\n{stty}", modes.trim())
  }

  /// What `y` put on tmux's clipboard (OSC 52, `set-clipboard on`).
  pub(crate) fn clipboard(&self) -> String {
    self.run(&["show-buffer"])
  }

  /// Waits (bounded) until the screen shows `text`; fails with the screen.
  #[track_caller]
  pub(crate) fn wait_for(&self, text: &str) {
    self.wait_until(text, |screen| screen.contains(text));
  }

  #[track_caller]
  pub(crate) fn wait_until(&self, what: &str, condition: impl Fn(&str) -> bool) {
    wait_until_else(
      what,
      Duration::from_secs(20),
      || condition(&self.screen()),
      || format!("the screen:\n{}", self.screen()),
    );
  }
}

impl Drop for Tmux {
  fn drop(&mut self) {
    self.run(&["kill-server"]);
  }
}
