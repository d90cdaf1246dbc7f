//! Parses arguments, loads the project, runs one command, renders any error once.

use std::{ffi::OsString, path::PathBuf};

use clap::Parser;

use crate::{
  cli::{Cli, Command},
  commands::{
    completions, doctor, export, health, init, list, logs,
    port::{self, PortContext},
    restart, status, stop,
  },
  config::{Config, DERIVED_SUFFIXES},
  error::{Error, Result},
  plan::PortOverrides,
  project::Project,
  supervise::{
    keeper,
    up::{self, Start},
  },
  task::{self, TaskOptions},
  ui::{color::Color, output::Reporter, suggestion::suggest},
};

/// Runs `dev` with these arguments. `Err` carries the exit code; only `main` exits.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<(), i32> {
  let cli = match Cli::try_parse_from(args) {
    Ok(cli) => cli,
    Err(error) => {
      let _ = error.print();
      return if error.use_stderr() { Err(2) } else { Ok(()) };
    }
  };
  if let Some(Command::Keep { state_dir, service }) = cli.command {
    return match keeper::keep(state_dir, &service) {
      0 => Ok(()),
      code => Err(code),
    };
  }
  let error_color = Color::stderr(cli.color);
  match execute(cli) {
    Ok(0) | Err(Error::OutputClosed) => Ok(()),
    Ok(code) => Err(code),
    Err(error) => {
      crate::ui::output::to_stderr(&error.render(error_color));
      Err(error.code())
    }
  }
}

/// Runs the command; `Ok` carries the exit code (nonzero only for `dev port check`).
fn execute(cli: Cli) -> Result<i32> {
  let report = Reporter {
    color: Color::stderr(cli.color),
  };
  match cli.command {
    Some(Command::Completions { shell }) => return completions::completions(shell).map(|()| 0),
    Some(Command::Man) => return completions::man().map(|()| 0),
    _ => {}
  }
  if let Some(Command::Init { force }) = cli.command {
    let root = std::env::current_dir().map_err(Error::io("cannot read the current directory"))?;
    return init::init(&root, force, report).map(|()| 0);
  }
  if let Some(Command::Port { command }) = cli.command {
    // Ports are everyone's business: no task file needed, and a broken one does not stop us.
    let project = match load(cli.file.as_ref(), report) {
      Ok(config) => Some(Project::new(config, Color::stdout(cli.color), report)),
      Err(Error::ConfigNotFound { .. }) => None,
      Err(error) => {
        report.warning(&format!(
          "ignoring the task file: {error} (`dev list` shows where)"
        ));
        None
      }
    };
    let context = PortContext {
      project: project.as_ref(),
      report,
      color: Color::stdout(cli.color),
    };
    return port::run(&context, command);
  }
  let project = Project::new(
    load(cli.file.as_ref(), report)?,
    Color::stdout(cli.color),
    report,
  );
  let options = TaskOptions {
    dry_run: cli.dry_run,
    yes: cli.yes,
  };
  execute_in(&project, cli.command, options).map(|()| 0)
}

fn load(file: Option<&PathBuf>, report: Reporter) -> Result<Config> {
  let path = match file {
    Some(file) => file.clone(),
    None => {
      let cwd = std::env::current_dir().map_err(Error::io("cannot read the current directory"))?;
      match Config::find(&cwd) {
        Ok(path) => path,
        // No task file, but a Procfile: run it the way foreman would.
        Err(error @ Error::ConfigNotFound { .. }) => {
          let Ok(procfile) = std::fs::read_to_string(cwd.join("Procfile")) else {
            return Err(error);
          };
          report.step("no devtasks.yaml: running the Procfile (`dev init` writes a task file with health checks)");
          let text = init::procfile_config(&procfile, cwd.join(".env").exists());
          return Config::parse(cwd.join("Procfile"), text);
        }
        Err(error) => return Err(error),
      }
    }
  };
  Config::load(&path)
}

fn execute_in(project: &Project, command: Option<Command>, options: TaskOptions) -> Result<()> {
  let command = match command {
    Some(Command::External(words)) => resolve(project, &words)?,
    Some(command) => command.into(),
    // The project's `default:` instead of starting everything.
    None if let Some(name) = &project.config.default => resolve(project, &[name.into()])?,
    None => Command::Up {
      services: Vec::new(),
      detach: false,
      ports: Vec::new(),
      open: false,
    }
    .into(),
  };
  let command = match command {
    Resolved::Command(command) => command,
    Resolved::Task(name, arguments) => {
      return task::run_task(project, &name, &arguments, options);
    }
  };
  if options.dry_run {
    return Err(Error::Usage {
      message: "--dry-run shows what a task would run; services start for real".into(),
      usage: "dev --dry-run <task> [args]".into(),
    });
  }
  check_services(project, &command)?;
  match command {
    Command::Up {
      services,
      detach,
      ports,
      open,
    } => {
      let start = Start {
        detach,
        force: false,
        overrides: PortOverrides(ports),
        open,
        quiet: false,
      };
      up::up(project, &services, &start)
    }
    Command::Stop { services } => stop::stop(project, &services),
    Command::Restart { services, detach } => restart::restart(project, &services, false, detach),
    Command::Force { services, detach } => restart::restart(project, &services, true, detach),
    Command::Status { services, json } => status::status(project, &services, json),
    Command::Health {
      services,
      json,
      watch,
    } => health::health(project, &services, json, watch),
    Command::Logs {
      services,
      lines,
      follow,
      since,
      grep,
      no_prefix,
    } => {
      let query = logs::Query {
        lines,
        follow,
        since,
        grep,
        prefix: !no_prefix,
      };
      logs::logs(project, &services, &query)
    }
    Command::List { json } => list::list(project, json),
    Command::Doctor => doctor::doctor(project),
    Command::Export { format, dir } => export::export(project, format, dir.as_deref()),
    Command::Names => {
      let text: String = names(&project.config)
        .iter()
        .map(|name| format!("{name}\n"))
        .collect();
      crate::ui::output::print_out(&text)
    }
    Command::Keep { .. }
    | Command::Port { .. }
    | Command::Init { .. }
    | Command::Completions { .. }
    | Command::Man
    | Command::External(_) => {
      unreachable!("handled above")
    }
  }
}

enum Resolved {
  Command(Command),
  Task(String, Vec<String>),
}

impl From<Command> for Resolved {
  fn from(command: Command) -> Self {
    Self::Command(command)
  }
}

/// `backend` → `up backend`; `backend-logs -f` → `logs backend -f`; `test -- -x` → task.
fn resolve(project: &Project, words: &[OsString]) -> Result<Resolved> {
  let words: Vec<String> = words
    .iter()
    .map(|w| w.to_string_lossy().into_owned())
    .collect();
  let (name, rest) = words.split_first().expect("clap passes at least the name");
  let config = &project.config;
  let reparse = |command: &str, service: &str| -> Result<Resolved> {
    let argv = ["dev", command, service]
      .into_iter()
      .map(String::from)
      .chain(rest.iter().cloned());
    match Cli::try_parse_from(argv) {
      Ok(cli) => Ok(cli.command.expect("a subcommand was given").into()),
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
    && config.service(service).is_some()
    && DERIVED_SUFFIXES.contains(&suffix)
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

/// Every name `dev <name>` accepts from the task file: services, their derived commands,
/// tasks and aliases.
fn names(config: &Config) -> Vec<String> {
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
fn check_services(project: &Project, command: &Command) -> Result<()> {
  let names = match command {
    Command::Up { services, .. }
    | Command::Stop { services }
    | Command::Restart { services, .. }
    | Command::Force { services, .. }
    | Command::Status { services, .. }
    | Command::Health { services, .. }
    | Command::Logs { services, .. } => services,
    _ => return Ok(()),
  };
  // A service no longer in the task file can still be looked at and stopped while it runs.
  let orphans = match command {
    Command::Stop { .. } | Command::Status { .. } | Command::Logs { .. } => project.orphans(),
    _ => Vec::new(),
  };
  for name in names {
    if project.config.service(name).is_none() && !orphans.contains(name) {
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
