//! The command line, as clap sees it. Service and task names arrive as external
//! subcommands and are resolved against the task file in `run`.

use std::{ffi::OsString, path::PathBuf, time::Duration};

use clap::{Parser, Subcommand};

use crate::{
  plan::PortOverride,
  ports::{
    parse_port,
    ranges::{Ports, parse_ports},
  },
  ui::color::ColorChoice,
};

/// `dev --version`: which build this is, for bug reports (build.rs stamps it).
const VERSION: &str = concat!(
  env!("CARGO_PKG_VERSION"),
  " (",
  env!("DEV_BUILD_TARGET"),
  ", commit ",
  env!("DEV_BUILD_COMMIT"),
  ")"
);

const EXAMPLES: &str = "\
Examples:
  dev                       start every service; Ctrl+C stops them all
  dev up -d                 start every service in the background and return
  dev backend               start one service (and what it depends on)
  dev backend-restart       restart it in place (from any terminal)
  dev backend-stop          stop it; also: backend-force, backend-status, backend-logs
  dev logs backend -f       follow its log file
  dev status --json         what runs, with pids, ports and uptime
  dev health                probe every service: table of results and latencies
  dev port who 8000         who listens on port 8000 (pid, user, command, cwd)
  dev port free 8000        stop what holds it (asks first if dev did not start it)
  dev port backend          the port backend was given (fallback included), for scripts
  dev test                  run the task `test` (after its deps)
  dev run init              run the task `init` (`dev init` is the built-in); `dev up ui`
                            starts a service named `ui`
  dev deploy prod -- -v     a task with its argument, and extra words for its command
  dev --dry-run deploy      print what the task would run, resolved
  dev stop                  stop everything
  dev list --all            every project running on this machine, with its URLs
  dev stop --project shop   stop another project's services, from anywhere";

#[derive(Debug, Parser)]
#[command(name = "dev", version = VERSION, about = "One-command dev servers: start, stop and watch your project's services", after_help = EXAMPLES)]
pub(crate) struct Cli {
  /// Use this task file instead of searching for devtasks.yaml upward (give it before the command)
  #[arg(short = 'f', long = "file", value_name = "FILE")]
  pub(crate) file: Option<PathBuf>,

  /// When to use colors
  #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
  pub(crate) color: ColorChoice,

  /// Print what a task would run (arguments and ports filled in) without running it
  #[arg(long)]
  pub(crate) dry_run: bool,

  /// Run the task again whenever its files change (`watch:`, else its `cwd`), stopping a run
  /// still in progress first
  #[arg(long)]
  pub(crate) watch: bool,

  /// Answer yes to a task's `confirm:` question
  #[arg(short, long)]
  pub(crate) yes: bool,

  /// Ends (as when its terminal closes: SIGHUP) when this process, its parent, does: how
  /// `dev mcp` runs the CLI, so that a server killed with -9 leaves no agent's task running.
  #[arg(long, hide = true, value_name = "PID")]
  pub(crate) end_with_parent: Option<u32>,

  #[command(subcommand)]
  pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
  #[command(flatten)]
  Project(ProjectCommand),
  /// Run a task by name, also one named like a built-in command: `dev run init -- -v`
  Run {
    /// The task (or alias), then its arguments, then `--` and extra words for its command
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "TASK [WORDS]")]
    words: Vec<OsString>,
  },
  /// Write a devtasks.yaml for this project (detects Vite, Next, FastAPI, Django, Rails, …)
  Init {
    #[command(flatten)]
    options: crate::commands::init::Options,
  },
  /// Print a shell completion script: `dev completions bash > ~/.local/share/bash-completion/completions/dev`
  Completions {
    #[arg(value_enum)]
    shell: clap_complete::Shell,
  },
  /// Print the man page (roff): `dev man | man -l -`; `--dir` writes one page per command
  Man {
    /// Write dev.1, dev-up.1, dev-port-free.1, … into this directory (e.g.
    /// ~/.local/share/man/man1) instead of printing dev.1
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
  },
  /// Serve the Model Context Protocol on stdin/stdout for coding agents: `claude mcp add dev -- dev mcp`
  #[command(after_help = crate::commands::mcp::EXAMPLES)]
  Mcp {
    /// Offer only the tools that look (services, logs, health, ports, await_change):
    /// nothing is started, stopped, run or freed
    #[arg(long)]
    read_only: bool,
  },
  /// Who holds a port, free it safely, find free ones
  Port {
    #[command(subcommand)]
    command: PortCommand,
  },
  /// Internal: what the shell may offer for word CURRENT of WORDS (the completion scripts)
  #[command(name = "__complete", hide = true)]
  Complete {
    current: usize,
    #[arg(raw = true)]
    words: Vec<String>,
  },
  /// Internal: the per-service keeper process
  #[command(name = "__keep", hide = true)]
  Keep { state_dir: PathBuf, service: String },
  /// Internal: ends a task's shell and what it started when the task's dev dies
  #[command(name = "__guard", hide = true)]
  Guard { shell: u32 },
  /// Internal: the per-user proxy behind http://<service>.<project>.localhost
  #[command(name = "__proxy", hide = true)]
  Proxy,
  /// A service (`backend`), a derived command (`backend-stop`) or a task (`test`)
  #[command(external_subcommand)]
  External(Vec<OsString>),
}

/// The commands about one project's services and task file: they need its devtasks.yaml.
#[derive(Debug, Subcommand)]
pub(crate) enum ProjectCommand {
  /// Start services (all by default) in dependency order
  Up(UpOptions),
  /// A dashboard of the running services: states, health, CPU, logs; keys to restart/stop
  Ui,
  /// Stop services (all by default), with their whole process trees
  Stop {
    services: Vec<String>,
    /// Another project, from anywhere: its folder or its name in URLs (`dev list --all`)
    #[arg(long, value_name = "PATH|NAME")]
    project: Option<String>,
  },
  /// Restart services in place (all by default); starts those not running
  Restart {
    services: Vec<String>,
    /// Start those not running in the background
    #[arg(short, long)]
    detach: bool,
  },
  /// Hard restart: kill without a grace period, then start; frees ports held by others
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
  /// Probe every service once, concurrently: exit 0 only if all are healthy
  Health {
    services: Vec<String>,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
    /// Probe again every `health: {interval}` (2 s) until Ctrl+C; unhealthy after `retries` failures
    #[arg(short, long)]
    watch: bool,
  },
  /// Print the ports and URLs of running services: eval "$(dev env)" in another shell
  Env {
    services: Vec<String>,
    /// shell: `export NAME='value'` lines; dotenv: `NAME=value` lines
    #[arg(long, value_enum, default_value = "shell")]
    format: crate::commands::env::Format,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
  },
  /// Wait until services are ready (after `dev up -d`): exit 0, or 1 naming what is not
  Wait {
    services: Vec<String>,
    /// Give up after this long
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_grace)]
    timeout: Duration,
  },
  /// Print (and follow) service logs from logs/<service>.log
  Logs {
    services: Vec<String>,
    /// Lines to show from the end of each log
    #[arg(short = 'n', long, default_value_t = 100)]
    lines: usize,
    /// Keep printing new lines as they are written (across rotation and truncation)
    #[arg(short, long)]
    follow: bool,
    /// Only lines from this long ago on: `10m`, `2h`, `30s` (by the lines' timestamps, or
    /// by the start of their run when the file has none)
    #[arg(long, value_name = "DURATION", value_parser = parse_grace)]
    since: Option<Duration>,
    /// Only lines matching this regular expression
    #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
    grep: Option<regex_lite::Regex>,
    /// No `service │` prefix, even for several services
    #[arg(long)]
    no_prefix: bool,
  },
  /// Each service as it would start now (or runs): ports, command, environment, probes,
  /// defaults filled in
  #[command(after_help = crate::commands::config::EXAMPLES)]
  Config(crate::commands::config::Options),
  /// Each running service's process tree: pid, CPU %, memory, listening ports, command
  Ps {
    services: Vec<String>,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
  },
  /// List services and tasks with their descriptions; `--all`: every project running here
  List {
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
    /// Every project on this machine with services running (from the port ledger): path,
    /// branch, services, ports, URLs, uptime; no task file needed
    #[arg(long)]
    all: bool,
  },
  /// Check the project: task file, commands on PATH, ports, log dir, stale state
  Doctor,
  /// Write the services as docker-compose.yml, Kubernetes manifests, a Procfile, systemd user
  /// units or launchd agents
  Export {
    #[arg(value_enum)]
    format: crate::commands::export::Format,
    #[command(flatten)]
    options: crate::commands::export::Options,
  },
  /// Internal: service, task and derived names, for shell completion
  #[command(name = "__names", hide = true)]
  Names,
}

/// `dev up`'s arguments.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct UpOptions {
  /// Services to start; their dependencies start too
  pub(crate) services: Vec<String>,
  /// Start the services of this profile (`profiles:`) and what they depend on; repeat it
  /// for several. Without it, services with `profiles:` start only by name
  #[arg(long = "profile", value_name = "PROFILE")]
  pub(crate) profiles: Vec<String>,
  /// Start in the background and return once started
  #[arg(short, long)]
  pub(crate) detach: bool,
  /// Use this port for a service, without fallback: `backend=9000`, `viewer.ws=9001`
  #[arg(long = "port", value_name = "SERVICE=PORT", value_parser = PortOverride::parse)]
  pub(crate) ports: Vec<PortOverride>,
  /// Open each service's URL in the browser once it is ready (never in CI or without a display)
  #[arg(long)]
  pub(crate) open: bool,
  /// Restart services when their files change: `watch:` paths, else their whole `cwd`
  #[arg(long, overrides_with = "no_watch")]
  pub(crate) watch: bool,
  /// Do not restart on change, whatever `watch:` says
  #[arg(long)]
  pub(crate) no_watch: bool,
  /// Start in the background, then open the dashboard (quitting it leaves them running)
  #[arg(long, conflicts_with = "detach")]
  pub(crate) ui: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PortCommand {
  /// The port a running service was given, from its state, never the configured one (a
  /// fallback may have moved it): `dev port backend`, `dev port backend ws`
  Of {
    /// The service; `dev port of who` reaches one named like a `dev port` command
    service: String,
    /// One of its named ports (`ports:`); the primary when absent
    name: Option<String>,
  },
  /// `dev port <service> [name]`: `dev port of`, for a service not named like a command
  #[command(external_subcommand)]
  Service(Vec<OsString>),
  /// Every process listening on the ports (IPv4 and IPv6), and TIME_WAIT leftovers
  Who {
    /// Ports or ranges: `8000 8001` or `8000-8010`
    #[arg(required = true, value_parser = parse_ports, allow_negative_numbers = true)]
    ports: Vec<Ports>,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
  },
  /// Free or not; exit 0 free, 1 listening, 3 bound but not listening, 4 only TIME_WAIT
  Check {
    /// Ports or ranges: `8000 8001` or `8000-8010`
    #[arg(required = true, value_parser = parse_ports, allow_negative_numbers = true)]
    ports: Vec<Ports>,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
  },
  /// Stop what listens on the port: SIGTERM to it and its own children, the grace, then SIGKILL
  Free {
    #[arg(value_parser = parse_port, allow_negative_numbers = true)]
    port: u16,
    /// How long to wait after SIGTERM before SIGKILL
    #[arg(long, default_value = "5s", value_parser = parse_grace)]
    grace: Duration,
    /// Stop processes dev did not start without asking
    #[arg(short, long)]
    yes: bool,
    /// Also another user's process (root only; never without this, even for root)
    #[arg(long)]
    other_users: bool,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
  },
  /// The first free ports at or above FROM (skips < 1024, `reserved:` and dev's own ports)
  Find {
    #[arg(default_value = "8000", value_parser = parse_port, allow_negative_numbers = true)]
    from: u16,
    /// How many ports to find
    #[arg(short = 'n', long, default_value_t = 1)]
    count: usize,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
  },
}

fn parse_regex(text: &str) -> Result<regex_lite::Regex, String> {
  regex_lite::Regex::new(text).map_err(|error| format!("invalid regular expression: {error}"))
}

fn parse_grace(text: &str) -> Result<Duration, String> {
  crate::config::parse_duration(text)
}

#[cfg(test)]
mod tests {
  use clap::CommandFactory;

  use super::Cli;

  #[test]
  fn command_line_definition_is_consistent() {
    Cli::command().debug_assert();
  }

  /// `dev list` tells a service or task named like a subcommand by this list.
  #[test]
  fn every_subcommand_is_a_builtin_name() {
    for command in Cli::command().get_subcommands() {
      assert!(
        crate::config::BUILTIN_COMMANDS.contains(&command.get_name()),
        "`{}` is missing from BUILTIN_COMMANDS",
        command.get_name()
      );
    }
  }
}
