//! The shell on Unix: `sh -c`.

use std::process::Command;

/// The shell, named in messages.
pub(crate) const SHELL: &str = "/bin/sh";

/// `sh -c <script>`.
pub(crate) fn shell_command(script: &str) -> Command {
  let mut command = Command::new(SHELL);
  command.arg("-c").arg(script);
  command
}
