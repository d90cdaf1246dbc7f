//! What `dev <name> …` means: a service (`dev api` → `dev up api`), a command derived from
//! one (`dev api-logs -f` → `dev logs api -f`) or a task, looked up in the task file. Clap
//! has already taken the built-in commands, which win over a name of the user's.

use std::ffi::OsString;

use clap::Parser;

use crate::{
  cli::{Cli, Command, ProjectCommand, UpOptions},
  config::{Config, DERIVED_SUFFIXES},
  error::{Error, Result},
  project::Project,
  ui::{color::ColorChoice, suggestion::suggest},
};

pub(crate) enum Resolved {
  Command(ProjectCommand),
  Task(String, Vec<OsString>),
}

/// `backend` → `up backend`; `backend-logs -f` → `logs backend -f`; `test -- -x` → task.
pub(crate) fn resolve(project: &Project, words: &[OsString]) -> Result<Resolved> {
  let (name, rest) = words.split_first().expect("clap passes at least the name");
  // Names are ASCII; the words after one pass on byte for byte.
  let name = &name.to_string_lossy().into_owned();
  let config = &project.config;
  let reparse = |command: &str, service: &str| -> Result<Resolved> {
    let argv = ["dev", command, service]
      .into_iter()
      .map(OsString::from)
      .chain(rest.iter().cloned());
    match Cli::try_parse_from(argv) {
      // The session already speaks in the colors chosen before the name.
      Ok(Cli { color, .. }) if color != ColorChoice::default() => Err(Error::Usage {
        message: "`--color` is an option of `dev` itself: give it before the name".into(),
        usage: format!("dev --color WHEN {name} …"),
      }),
      Ok(Cli {
        command: Some(Command::Project(command)),
        ..
      }) => Ok(Resolved::Command(command)),
      Ok(_) => Err(Error::config(
        format!("invalid arguments for `dev {name}`"),
        None,
      )),
      Err(error) => {
        let _ = error.print();
        Err(Error::config(
          format!("invalid arguments for `dev {name}`"),
          None,
        ))
      }
    }
  };
  if config.service(name).is_some() {
    return reparse("up", name);
  }
  if config.task(name).is_some() {
    return Ok(Resolved::Task(name.clone(), rest.to_vec()));
  }
  if let Some((service, suffix)) = name.rsplit_once('-')
    && DERIVED_SUFFIXES.contains(&suffix)
    && (config.service(service).is_some()
      || (STATE_VERBS.contains(&suffix) && project.orphans().iter().any(|o| o == service)))
  {
    return reparse(suffix, service);
  }
  let known = names(config);
  Err(Error::UnknownTarget {
    name: name.clone(),
    config: config.path.clone(),
    suggestion: suggest(name, known.iter().map(String::as_str)),
  })
}

/// The derived verbs that need no task file: they act on what the state knows (a service
/// still running after it left the task file, or one whose task file cannot be read).
const STATE_VERBS: [&str; 3] = ["stop", "status", "logs"];

/// `dev <svc>-stop`, `-status`, `-logs`: a name that may be resolved from the state alone.
pub(crate) fn is_state_verb(words: &[OsString]) -> bool {
  words
    .first()
    .and_then(|name| name.to_str())
    .and_then(|name| name.rsplit_once('-'))
    .is_some_and(|(_, suffix)| STATE_VERBS.contains(&suffix))
}

/// Every name `dev <name>` accepts from the task file: services, their derived commands,
/// tasks and aliases.
pub(crate) fn names(config: &Config) -> Vec<String> {
  let mut known: Vec<String> = Vec::new();
  for service in &config.services {
    known.push(service.name.clone());
    known.extend(
      DERIVED_SUFFIXES
        .iter()
        .map(|suffix| format!("{}-{suffix}", service.name)),
    );
  }
  for task in &config.tasks {
    known.push(task.name.clone());
    known.extend(task.aliases.iter().cloned());
  }
  known
}

/// Every service named on the command line must exist.
pub(crate) fn check_services(project: &Project, command: &ProjectCommand) -> Result<()> {
  use ProjectCommand::{Config, Env, Force, Health, Logs, Ps, Restart, Status, Stop, Up, Wait};
  let names = match command {
    Up(UpOptions { services, .. })
    | Stop { services, .. }
    | Restart { services, .. }
    | Force { services, .. }
    | Status { services, .. }
    | Health { services, .. }
    | Wait { services, .. }
    | Env { services, .. }
    | Config(crate::commands::config::Options { services, .. })
    | Ps { services, .. }
    | Logs { services, .. } => services,
    _ => return Ok(()),
  };
  // A service no longer in the task file can still be looked at and stopped while it runs:
  // asked only for a name the task file does not have (it reads the state and the ledger).
  let may_be_orphan = matches!(command, Stop { .. } | Status { .. } | Logs { .. });
  let orphans = std::cell::OnceCell::new();
  for name in names {
    if project.config.service(name).is_none()
      && !(may_be_orphan && orphans.get_or_init(|| project.orphans()).contains(name))
    {
      let known = project.service_names();
      return Err(Error::UnknownTarget {
        name: name.clone(),
        config: project.config.path.clone(),
        suggestion: suggest(name, known.iter().map(String::as_str)),
      });
    }
  }
  Ok(())
}
