//! The one error type. Every failure is rendered once, in `run`, as
//! `error: <what>` + the source location + a hint saying what to run.

use std::{io, path::PathBuf, time::Duration};

use crate::{
  config::source::{Location, display_path},
  sys::ExitStatus,
  ui::{
    color::Color,
    format::{count, elapsed, status_text},
  },
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
  #[error(
    "no devtasks.yaml in `{}` or any parent directory",
    display_path(searched_from)
  )]
  ConfigNotFound { searched_from: PathBuf },

  #[error("cannot read `{}`: {source}", display_path(path))]
  ConfigRead { path: PathBuf, source: io::Error },

  #[error("`{}` is not valid UTF-8 (byte {offset})", display_path(path))]
  ConfigNotUtf8 { path: PathBuf, offset: usize },

  /// Any mistake in the task file that has a place: syntax, types, names, cycles.
  #[error("{message}")]
  Config {
    message: String,
    location: Option<Location>,
    hint: Option<String>,
  },

  #[error("no service or task named `{name}` in {}", display_path(config))]
  UnknownTarget {
    name: String,
    config: PathBuf,
    suggestion: Option<String>,
  },

  #[error("{service} is already running (pid {pid}{}, up {})", port.map(|p| format!(", port {p}")).unwrap_or_default(), elapsed(*uptime))]
  AlreadyRunning {
    service: String,
    pid: u32,
    port: Option<u16>,
    uptime: Duration,
  },

  /// The service's main process ended while its keeper still ends the rest of the tree (a
  /// child that holds the port, for up to the grace): not running, not yet startable.
  #[error("{service}'s last run ended; {} still being stopped", count(*left, "of its processes is", "of its processes are"))]
  StillEnding { service: String, left: usize },

  /// A port is taken, or may not be freed; the hint says what to run.
  #[error("{message}")]
  Port { message: String, hint: String },

  /// A service's port and every fallback are taken: each one tried, with its holder.
  #[error("{message}")]
  PortsTaken {
    message: String,
    details: Vec<String>,
    hint: String,
  },

  #[error("{service} {reason}")]
  NotReady {
    service: String,
    reason: String,
    why: NotReadyWhy,
  },

  #[error("{summary}")]
  Unhealthy { summary: String },

  /// `dev doctor` found problems (listed above it, each with its fix).
  #[error("{summary}")]
  Findings { summary: String },

  /// The state or log directory cannot take writes: nothing was started.
  #[error("{message}")]
  Preflight { message: String, hint: String },

  #[error("cannot start {service}: {message}")]
  Start { service: String, message: String },

  #[error("{service} {reason}")]
  RestartFailed { service: String, reason: String },

  #[error("{service} {}", status_text(*status))]
  ServiceFailed { service: String, status: ExitStatus },

  #[error("task `{task}` failed: `{command}` {}", status_text(*status))]
  TaskFailed {
    task: String,
    command: String,
    status: ExitStatus,
  },

  /// Wrong words for a task: too many, or a required argument missing.
  #[error("{message}")]
  Usage { message: String, usage: String },

  /// A task's `confirm:` question was not answered yes.
  #[error("task `{task}` not run: {reason}")]
  NotConfirmed { task: String, reason: String },

  #[error("cannot run `{command}`: {source}")]
  Spawn { command: String, source: io::Error },

  #[error("{context}: {source}")]
  Io { context: String, source: io::Error },

  #[error("interrupted")]
  Interrupted,

  /// `dev stop` stopped this project (or these services) while `dev up` was starting them:
  /// the stop wins, and what it had not reached yet is not started.
  #[error("{}`dev stop` stopped {what} while it started", not_started.as_ref().map(|s| format!("{s} was not started: ")).unwrap_or_default())]
  StoppedWhileStarting {
    not_started: Option<String>,
    what: String,
  },

  /// The foreground `dev` a keeper was to report to was gone before the service started.
  #[error("dev exited before the service started")]
  SupervisorGone,

  /// Stdout's reader went away (`| head`): nothing more to say, and not a failure.
  #[error("the output was closed")]
  OutputClosed,
}

impl Error {
  pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
    move |source| Self::Io {
      context: context.into(),
      source,
    }
  }

  pub(crate) fn config(message: impl Into<String>, location: Option<Location>) -> Self {
    Self::Config {
      message: message.into(),
      location,
      hint: None,
    }
  }

  pub(crate) fn with_hint(mut self, text: impl Into<String>) -> Self {
    if let Self::Config { hint, .. } = &mut self {
      *hint = Some(text.into());
    }
    self
  }

  /// 0 ok, 1 a task or service failed, 2 usage or config error, 128+n for signals.
  pub(crate) fn code(&self) -> i32 {
    match self {
      Self::ConfigNotFound { .. }
      | Self::ConfigRead { .. }
      | Self::ConfigNotUtf8 { .. }
      | Self::Config { .. }
      | Self::UnknownTarget { .. }
      | Self::Usage { .. } => 2,
      Self::Interrupted => 130,
      Self::OutputClosed => 0,
      Self::TaskFailed {
        status: ExitStatus::Signal(signal),
        ..
      } => 128 + signal,
      _ => 1,
    }
  }

  fn location(&self) -> Option<&Location> {
    match self {
      Self::Config { location, .. } => location.as_ref(),
      _ => None,
    }
  }

  /// What to run to fix it.
  fn hint(&self) -> Option<String> {
    match self {
      Self::ConfigNotFound { .. } => Some(
        "create one with `dev init`, or point at one with `dev -f path/to/devtasks.yaml`".into(),
      ),
      Self::Config { hint, .. } => hint.clone(),
      Self::UnknownTarget { suggestion, .. } => Some(match suggestion {
        Some(name) => format!("Did you mean `{name}`?"),
        None => "`dev list` shows every service and task".into(),
      }),
      Self::AlreadyRunning { service, .. } => Some(format!(
        "`dev {service}-restart` to restart it, `dev {service}-stop` to stop it"
      )),
      Self::StillEnding { service, .. } => Some(format!(
        "wait for its stop grace to end, or `dev {service}-force` ends them now"
      )),
      Self::Port { hint, .. } | Self::Preflight { hint, .. } | Self::PortsTaken { hint, .. } => {
        Some(hint.clone())
      }
      Self::Findings { .. } => {
        Some("each ✗ above says how to fix it; then `dev doctor` again".into())
      }
      Self::Unhealthy { .. } => {
        Some("`dev status` shows what runs; `dev logs <service>` shows why".into())
      }
      Self::NotReady {
        service,
        why: NotReadyWhy::TimedOut,
        ..
      } => Some(format!(
        "`dev logs {service}` shows its output; `health: {{start_timeout: 2m}}` gives it longer"
      )),
      Self::NotReady {
        service,
        why: NotReadyWhy::Exited,
        ..
      } => Some(format!("`dev logs {service}` shows its full output")),
      Self::ServiceFailed { service, .. } | Self::RestartFailed { service, .. } => {
        Some(format!("`dev logs {service}` shows its full output"))
      }
      Self::NotConfirmed { task, .. } => Some(format!(
        "answer y on a terminal, or run `dev --yes {task}` to confirm without asking"
      )),
      _ => None,
    }
  }

  pub(crate) fn render(&self, color: Color) -> String {
    let mut out = format!(
      "{} {}\n",
      color.error("error:"),
      color.bold(&self.to_string())
    );
    if let Some(location) = self.location() {
      out.push_str(&location.render(color));
      out.push('\n');
    }
    if let Self::PortsTaken { details, .. } = self {
      for line in details {
        out.push_str(&format!("  {line}\n"));
      }
    }
    if let Self::Usage { usage, .. } = self {
      out.push_str(&format!("{} {usage}\n", color.hint("usage:")));
    }
    if let Some(hint) = self.hint() {
      out.push_str(&format!("{} {hint}\n", color.hint("hint:")));
    }
    out
  }
}

/// Why a started service never became ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotReadyWhy {
  /// It exited first.
  Exited,
  /// Its probe did not pass before `start_timeout`.
  TimedOut,
  /// `dev stop` (or a signal to its keeper) stopped it first.
  Stopped,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
