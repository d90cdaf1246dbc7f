//! The command line, as clap sees it. Service and task names arrive as external
//! subcommands and are resolved against the task file in `run`.

use std::{ffi::OsString, path::PathBuf};

use clap::{Parser, Subcommand};

use crate::color::ColorChoice;

const EXAMPLES: &str = "\
Examples:
  dev                       start every service; Ctrl+C stops them all
  dev up -d                 start every service in the background and return
  dev backend               start one service (and what it depends on)
  dev backend-restart       restart it in place (from any terminal)
  dev backend-stop          stop it; also: backend-force, backend-status, backend-logs
  dev logs backend -f       follow its log file
  dev status --json         what runs, with pids, ports and uptime
  dev test                  run the task `test` (after its deps)
  dev stop                  stop everything";

#[derive(Debug, Parser)]
#[command(name = "dev", version, about = "One-command dev servers: start, stop and watch your project's services", after_help = EXAMPLES)]
pub(crate) struct Cli {
  /// Use this task file instead of searching for devtasks.yaml upward (give it before the command)
  #[arg(short = 'f', long = "file", value_name = "FILE")]
  pub(crate) file: Option<PathBuf>,

  /// When to use colors
  #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
  pub(crate) color: ColorChoice,

  #[command(subcommand)]
  pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
  /// Start services (all by default) in dependency order
  Up {
    /// Services to start; their dependencies start too
    services: Vec<String>,
    /// Start in the background and return once started
    #[arg(short, long)]
    detach: bool,
  },
  /// Stop services (all by default), with their whole process trees
  Stop { services: Vec<String> },
  /// Restart services in place (all by default); starts those not running
  Restart {
    services: Vec<String>,
    /// Start those not running in the background
    #[arg(short, long)]
    detach: bool,
  },
  /// Hard restart: kill without a grace period, then start
  Force {
    services: Vec<String>,
    /// Start those not running in the background
    #[arg(short, long)]
    detach: bool,
  },
  /// Show each service's state, pid, port, uptime and log
  Status {
    services: Vec<String>,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
  },
  /// Print (and follow) service logs from logs/<service>.log
  Logs {
    services: Vec<String>,
    /// Lines to show from the end of each log
    #[arg(short = 'n', long, default_value_t = 100)]
    lines: usize,
    /// Keep printing new lines as they are written
    #[arg(short, long)]
    follow: bool,
  },
  /// List services and tasks with their descriptions
  List {
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
  },
  /// Internal: the per-service keeper process
  #[command(name = "__keep", hide = true)]
  Keep { state_dir: PathBuf, service: String },
  /// A service (`backend`), a derived command (`backend-stop`) or a task (`test`)
  #[command(external_subcommand)]
  External(Vec<OsString>),
}

#[cfg(test)]
mod tests {
  use clap::CommandFactory;

  use super::Cli;

  #[test]
  fn command_line_definition_is_consistent() {
    Cli::command().debug_assert();
  }
}
