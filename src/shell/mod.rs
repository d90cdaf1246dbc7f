//! The shell every command of devtasks.yaml runs in — services, tasks and exec probes — and
//! how `dev` reads those commands: `parse` for `dev doctor`, `placement` for a task's `"$@"`.

mod lexer;
mod parse;
mod placement;
mod wrappers;

use std::process::Command;

use crate::sys;

pub(crate) use parse::{Program, programs};
pub(crate) use placement::{Placement, place_words};

/// The shell, named in messages.
pub(crate) const SHELL: &str = sys::SHELL;

/// `sh -c <script>` (`cmd /C` on Windows): the one way `dev` hands a command to the shell,
/// so that a service, a task and a probe all see the same quoting, expansions and exit codes.
pub(crate) fn command(script: &str) -> Command {
  sys::shell_command(script)
}
