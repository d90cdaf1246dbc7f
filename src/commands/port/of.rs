//! `dev port <service> [name]` (and `dev port of <service> [name]`, which also reaches a
//! service named `who`, `free`, `find`, `check` or `of`): the port a running service was
//! given, read from its state — never the configured one, which a fallback or another
//! project's claim may have moved. One number on stdout, for `curl localhost:$(dev port api)`.

use std::ffi::OsString;

use super::PortContext;
use crate::{
  config::PRIMARY_PORT,
  error::{Error, Result},
  state::Liveness,
  ui::{output::print_out, suggestion::suggest},
};

/// `dev port <words>`: a service's name, then maybe a port's name.
pub(super) fn of_words(context: &PortContext, words: &[OsString]) -> Result<()> {
  let words: Vec<String> = words
    .iter()
    .map(|word| word.to_string_lossy().into_owned())
    .collect();
  match words.as_slice() {
    [service] => of(context, service, None),
    [service, name] => of(context, service, Some(name)),
    _ => Err(Error::Usage {
      message: format!("`dev port {}`: too many words", words.join(" ")),
      usage: "dev port <service> [port name]".into(),
    }),
  }
}

pub(super) fn of(context: &PortContext, service: &str, name: Option<&str>) -> Result<()> {
  let Some(project) = context.project else {
    return Err(Error::Usage {
      message: format!(
        "`dev port {service}` asks a service of a project, and no task file could be read here or above"
      ),
      usage: "dev port who|check|free|find PORT, or dev -f path/to/devtasks.yaml port <service>"
        .into(),
    });
  };
  if project.config.task(service).is_some() {
    return Err(Error::Port {
      message: format!("`{service}` is a task, not a service: a task is given no port of its own"),
      hint: "`dev list` shows the services and their ports; `dev port <service>` prints one".into(),
    });
  }
  if project.config.service(service).is_none() && !project.orphans().iter().any(|o| o == service) {
    let known = project.service_names();
    let mut suggestion = suggest(service, known.iter().map(String::as_str));
    // `dev port 8000`: a port where a service was expected.
    if service.parse::<u16>().is_ok() {
      suggestion = Some(format!("dev port who {service}"));
    }
    return Err(Error::UnknownTarget {
      name: service.to_owned(),
      config: project.config.path.clone(),
      suggestion,
    });
  }
  let state = match project.check(service) {
    Some(Liveness::Running(state)) => state,
    _ => {
      return Err(Error::Port {
        message: format!("{service} is not running: a port is given when it starts"),
        hint: format!("`dev up -d {service}` starts it; `dev port {service}` then prints its port"),
      });
    }
  };
  let wanted = name.unwrap_or(PRIMARY_PORT);
  let port = state
    .ports
    .iter()
    .find(|(port_name, _)| port_name == wanted)
    .map(|(_, port)| *port)
    .or(state.port.filter(|_| wanted == PRIMARY_PORT));
  match port {
    Some(port) => print_out(&format!("{port}\n")),
    None => {
      let names: Vec<&str> = state.ports.iter().map(|(n, _)| n.as_str()).collect();
      Err(Error::Usage {
        message: if names.is_empty() {
          format!("{service} has no port")
        } else {
          format!(
            "{service} has no port named `{wanted}`; its ports: {}",
            names.join(", ")
          )
        },
        usage: format!("dev port {service} [{}]", names.join("|")),
      })
    }
  }
}
