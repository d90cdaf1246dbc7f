//! The shells on Windows: `cmd /D /S /C "<run>"` unless the task file says otherwise.

use std::{os::windows::process::CommandExt, process::Command};

/// The shell `run:` goes to when the task file names none.
pub(crate) const DEFAULT_SHELL: &str = "cmd";

/// `sh` (Git for Windows, MSYS2, Cygwin), found on PATH.
pub(crate) const SH: &str = "sh";

/// `cmd /D /S /C "<line>"`: /D skips AutoRun commands, /S takes the outer quotes off and
/// keeps every other character as written (std's argument quoting is for C programs, not
/// for cmd, so the line is passed raw).
pub(crate) fn cmd_command(line: &str) -> Command {
  let mut command = Command::new("cmd");
  command.raw_arg(format!("/D /S /C \"{line}\""));
  command
}
