//! The shell every command of devtasks.yaml runs in — services, tasks and exec probes — and
//! how `dev` reads those commands: `kind` which shell (`shell:`) and how it is called,
//! `variables` `$PORT` as cmd and PowerShell spell it, `parse` for `dev doctor`, `placement`
//! for a task's `"$@"`.

mod kind;
mod lexer;
mod parse;
mod placement;
mod variables;
mod wrappers;

pub(crate) use kind::ShellKind;
pub(crate) use parse::{Program, programs};
pub(crate) use placement::{Placement, place_words};
