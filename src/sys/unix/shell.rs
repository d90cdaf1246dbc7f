//! The shells on Unix: `sh` unless the task file says otherwise.

use std::process::Command;

/// The shell `run:` goes to when the task file names none.
pub(crate) const DEFAULT_SHELL: &str = "sh";

/// Where `sh` is: POSIX puts it there, whatever PATH says.
pub(crate) const SH: &str = "/bin/sh";

/// `cmd /D /S /C <line>`, for a task file that asks for cmd (Wine's, say): cmd's own
/// quoting is a Windows matter, so here it is only an ordinary argument.
pub(crate) fn cmd_command(line: &str) -> Command {
  let mut command = Command::new("cmd");
  command.args(["/D", "/S", "/C", line]);
  command
}
