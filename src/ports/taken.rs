//! Why a port cannot be taken, in words: for the line that says a service moved to another
//! port, and for the error that lists every port tried.

use std::path::PathBuf;

use super::holders::PortReport;
use crate::{
  config::{Fallback, PortSpec, Service, source::display_path},
  error::Error,
  project::Project,
  ui::format::count,
};

/// Ports taken in the port-is-taken error before "and N more".
const LISTED_TRIES: usize = 8;

/// Why a port cannot be taken as it is.
pub(crate) enum Obstacle {
  /// Another port of the same service already has it.
  OwnSet(String),
  /// Another service of this project runs on it.
  Sibling(String),
  /// Claimed in the machine's ledger by a service of this project or another one.
  Claimed { service: String, project: PathBuf },
  /// It was taken from under an earlier start of this service.
  Avoided,
  /// Something holds it, as the kernel says.
  Held(PortReport),
}

/// `api`, or `api (ws)` for one of several ports.
pub(crate) fn label(service: &Service, spec: &PortSpec) -> String {
  if service.ports.len() == 1 {
    service.name.clone()
  } else {
    format!("{} ({})", service.name, spec.name)
  }
}

/// `held by python3 (pid 4242, up 2h05m)`, `used by service `web` of ~/other`.
pub(crate) fn describe(project: &Project, problem: &Obstacle, port: u16) -> String {
  match problem {
    Obstacle::OwnSet(name) => format!("already its `{name}` port"),
    Obstacle::Sibling(name) => format!("used by service `{name}`"),
    Obstacle::Claimed {
      service,
      project: root,
    } if *root == project.config.root => {
      format!("used by service `{service}`")
    }
    Obstacle::Claimed {
      service,
      project: root,
    } => format!("used by service `{service}` of {}", display_path(root)),
    Obstacle::Avoided => "was taken while it started".into(),
    Obstacle::Held(report) => {
      if !report.holders.is_empty() {
        let holders: Vec<String> = report.holders.iter().map(|h| h.short()).collect();
        format!("held by {}", holders.join(", "))
      } else if let Some(socket) = report.unseen.first() {
        format!("held by a process of user {}", socket.user)
      } else {
        format!(
          "in use by {} connection(s) on port {port}",
          report.connections.unwrap_or(0)
        )
      }
    }
  }
}

/// Every port tried and what holds each, then the ways out.
pub(crate) fn taken_error(
  service: &Service,
  spec: &PortSpec,
  tried: &[(u16, String)],
  explicit: bool,
  fallback: &Fallback,
) -> Error {
  let name = &service.name;
  let port = tried[0].0;
  let message = if tried.len() == 1 {
    format!(
      "cannot start {}: port {port} is {}",
      label(service, spec),
      tried[0].1
    )
  } else {
    format!(
      "cannot start {}: port {port} and all {} fallback ports are taken",
      label(service, spec),
      tried.len() - 1
    )
  };
  let mut details: Vec<String> = Vec::new();
  if tried.len() > 1 {
    let width = tried
      .iter()
      .take(LISTED_TRIES)
      .map(|(port, _)| port.to_string().len())
      .max()
      .unwrap_or(0);
    details.extend(
      tried
        .iter()
        .take(LISTED_TRIES)
        .map(|(port, what)| format!("{port:<width$}  {what}")),
    );
    if tried.len() > LISTED_TRIES {
      details.push(format!(
        "… and {} more",
        count(tried.len() - LISTED_TRIES, "port", "ports")
      ));
    }
  }
  let hint = if explicit {
    format!("you asked for port {port}; `dev port find {port}` lists free ports near it")
  } else if *fallback == Fallback::Auto {
    format!(
      "`dev port who {port}` shows who holds it; `dev {name}-force` stops it and starts {name}"
    )
  } else if *fallback != Fallback::None {
    format!(
      "`dev port who {port}` shows who holds it; `dev {name}-force` stops it; or widen the range: `fallback: auto`"
    )
  } else {
    format!(
      "`dev {name}-force` stops it and starts {name}; `dev port free {port}` only frees the port; or add `fallback: {}-{}` to {name} in devtasks.yaml",
      port.saturating_add(1),
      port.saturating_add(10)
    )
  };
  Error::PortsTaken {
    message,
    details,
    hint,
  }
}
