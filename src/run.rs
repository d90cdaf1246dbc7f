//! Parses arguments, loads the project, runs one command, renders any error once.

use std::{cell::OnceCell, ffi::OsString, path::PathBuf};

use clap::Parser;

use crate::{
  cli::{Cli, Command, ProjectCommand, UpOptions},
  commands::{
    completions, config, doctor, env, export, health, init, list, logs, mcp,
    port::{self, PortContext},
    projects, ps, restart, status, stop, ui, wait,
  },
  config::Config,
  error::{Error, Result},
  plan::PortOverrides,
  project::Project,
  resolve::{Resolved, check_services, is_state_verb, names, resolve},
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
  if let Some(parent) = cli.end_with_parent
    && !matches!(
      crate::sys::end_with_parent(crate::sys::Signal::Hup, parent),
      Ok(true)
    )
  {
    // Gone already (or cannot be watched): nothing is left to do this for.
    return Err(Error::Interrupted.code());
  }
  let session = Session {
    report: Reporter {
      color: Color::stderr(cli.color),
    },
    color: Color::stdout(cli.color),
    file: cli.file,
    options: TaskOptions {
      dry_run: cli.dry_run,
      watch: cli.watch,
      yes: cli.yes,
    },
    project: OnceCell::new(),
  };
  match session.dispatch(cli.command) {
    Ok(0) | Err(Error::OutputClosed) => Ok(()),
    Ok(code) => Err(code),
    Err(error) => {
      crate::ui::output::to_stderr(&error.render(session.report.color));
      Err(error.code())
    }
  }
}

/// One invocation: how to speak, and the project, loaded when a command needs it.
struct Session {
  report: Reporter,
  /// For stdout.
  color: Color,
  /// `-f path/to/devtasks.yaml`.
  file: Option<PathBuf>,
  options: TaskOptions,
  project: OnceCell<Project>,
}

impl Session {
  /// Runs one command; `Ok` carries the exit code (nonzero only for `dev port check` and
  /// the keeper).
  fn dispatch(&self, command: Option<Command>) -> Result<i32> {
    let starts = matches!(
      command,
      None | Some(Command::Project(ProjectCommand::Up(_)))
    );
    if starts && self.offered_init()? {
      return Ok(0);
    }
    match command {
      Some(Command::Project(ProjectCommand::List { all: true, json })) => {
        projects::list_all(self.color, json).map(ok)
      }
      Some(Command::Project(ProjectCommand::Stop {
        ref services,
        project: Some(ref which),
      }))
        if projects::stop_where_folder_is_gone(which, services, self.report)? =>
      {
        Ok(0)
      }
      Some(Command::Project(ProjectCommand::Stop {
        services,
        project: Some(which),
      })) => self
        .elsewhere(projects::task_file_of(&which)?)
        .in_project(ProjectCommand::Stop {
          services,
          project: None,
        })
        .map(ok),
      Some(Command::Project(command)) => self.in_project(command).map(ok),
      Some(Command::External(words)) => self.named(&words),
      Some(Command::Run { words }) => self.run_task(&words),
      // The project's `default:` instead of starting everything.
      None => match &self.project()?.config.default {
        Some(name) => self.named(&[name.into()]),
        None => self
          .in_project(ProjectCommand::Up(UpOptions::default()))
          .map(ok),
      },
      Some(Command::Keep { state_dir, service }) => Ok(keeper::keep(state_dir, &service)),
      Some(Command::Guard { shell }) => Ok(task::guard::guard(shell)),
      Some(Command::Proxy) => Ok(crate::proxy::serve()),
      Some(Command::Completions { shell }) => completions::completions(shell).map(ok),
      Some(Command::Man { dir }) => completions::man(dir.as_deref()).map(ok),
      Some(Command::Complete { current, words }) => completions::complete(current, &words).map(ok),
      Some(Command::Init { options }) => {
        let root =
          std::env::current_dir().map_err(Error::io("cannot read the current directory"))?;
        match options.from {
          Some(from) => init::import(&root, &from, options.force, self.report).map(ok),
          None => init::init(&root, options.force, self.report).map(ok),
        }
      }
      Some(Command::Mcp { read_only }) => self.mcp(read_only).map(ok),
      Some(Command::Port { command }) => {
        let context = PortContext {
          project: self.project_if_any(),
          report: self.report,
          color: self.color,
        };
        port::run(&context, command)
      }
    }
  }

  /// `dev mcp`: the project is loaded afresh for each call that needs it (the task file
  /// may change while an agent works), and may be missing when the server starts.
  fn mcp(&self, read_only: bool) -> Result<()> {
    let (file, report, color) = (self.file.clone(), self.report, self.color);
    let load =
      move || load(file.as_ref(), report).map(|config| Project::new(config, color, report));
    mcp::mcp(mcp::Context {
      file: self.file.clone(),
      read_only,
      load: Box::new(load),
      children: mcp::Running::default(),
    })
  }

  /// `dev` / `dev up` with no task file here or above: on a terminal, offers to write the
  /// one `dev init` would. True when it was written (nothing starts: the user reads it
  /// first); any other error of the task file is the command's own.
  fn offered_init(&self) -> Result<bool> {
    match self.project() {
      Err(error @ Error::ConfigNotFound { .. }) if self.file.is_none() => {
        let root =
          std::env::current_dir().map_err(Error::io("cannot read the current directory"))?;
        init::offer(&root, error, self.report).map(|()| true)
      }
      Err(error) => Err(error),
      Ok(_) => Ok(false),
    }
  }

  /// `dev backend`, `dev backend-logs -f`, `dev test -- -x`: a name from the task file.
  fn named(&self, words: &[OsString]) -> Result<i32> {
    let project = match self.project() {
      Ok(project) => project,
      // `dev web-stop` with a broken task file: from the state, as `dev stop web` would.
      Err(error) if is_state_verb(words) => {
        return match self
          .project_or_state()
          .map(|project| resolve(project, words))
        {
          Ok(Ok(Resolved::Command(command))) => self.in_project(command).map(ok),
          _ => Err(error),
        };
      }
      Err(error) => return Err(error),
    };
    match resolve(project, words)? {
      Resolved::Command(command) => self.in_project(command).map(ok),
      Resolved::Task(name, words) => self.task(project, &name, &words),
    }
  }

  /// `dev run <task> …`: a task by name, also one that a built-in shadows (`dev run init`).
  fn run_task(&self, words: &[OsString]) -> Result<i32> {
    let project = self.project()?;
    let (name, rest) = words.split_first().expect("clap requires the task's name");
    let name = name.to_string_lossy().into_owned();
    if project.config.task(&name).is_none() && project.config.service(&name).is_some() {
      return Err(Error::Usage {
        message: format!("`{name}` is a service, and `dev run` runs tasks"),
        usage: format!("dev up {name}"),
      });
    }
    if project.config.task(&name).is_none() {
      let known: Vec<&str> = project
        .config
        .tasks
        .iter()
        .map(|t| t.name.as_str())
        .collect();
      return Err(Error::UnknownTarget {
        suggestion: suggest(&name, known.iter().copied()),
        name,
        config: project.config.path.clone(),
      });
    }
    self.task(project, &name, rest)
  }

  /// A task with the words after its name: `dev`'s own flags among them (`dev test
  /// --watch`, `dev reset --dry-run`) mean what they mean before the name.
  fn task(&self, project: &Project, name: &str, words: &[OsString]) -> Result<i32> {
    let mut options = self.options;
    let arguments = task::take_flags(name, words, &mut options)?;
    if options.watch && !options.dry_run {
      return task::watch_task(project, name, &arguments, options).map(ok);
    }
    task::run_task(project, name, &arguments, options).map(ok)
  }

  /// The commands about this project's services and task file.
  fn in_project(&self, command: ProjectCommand) -> Result<()> {
    let project = match command {
      ProjectCommand::Stop { .. } | ProjectCommand::Status { .. } | ProjectCommand::Logs { .. } => {
        self.project_or_state()?
      }
      _ => self.project()?,
    };
    if self.options.dry_run {
      return Err(Error::Usage {
        message: "--dry-run shows what a task would run; services start for real".into(),
        usage: "dev --dry-run <task> [args]".into(),
      });
    }
    check_services(project, &command)?;
    match command {
      ProjectCommand::Up(options) => {
        let start = Start {
          detach: options.detach || options.ui,
          overrides: PortOverrides(options.ports),
          open: options.open,
          watch: (options.watch || options.no_watch).then_some(options.watch),
          ..Start::default()
        };
        let services = project
          .config
          .chosen(&options.services, &options.profiles)?;
        up::up(project, &services, &start)?;
        if options.ui { ui::ui(project) } else { Ok(()) }
      }
      ProjectCommand::Ui => ui::ui(project),
      ProjectCommand::Stop { services, .. } => stop::stop(project, &services),
      ProjectCommand::Restart { services, detach } => {
        restart::restart(project, &services, false, detach)
      }
      ProjectCommand::Force { services, detach } => {
        restart::restart(project, &services, true, detach)
      }
      ProjectCommand::Status { services, json } => status::status(project, &services, json),
      ProjectCommand::Health {
        services,
        json,
        watch,
      } => health::health(project, &services, json, watch),
      ProjectCommand::Wait { services, timeout } => wait::wait(project, &services, timeout),
      ProjectCommand::Env {
        services,
        format,
        json,
      } => env::env(project, &services, format, json),
      ProjectCommand::Logs {
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
      ProjectCommand::List { json, .. } => list::list(project, json),
      ProjectCommand::Config(options) => config::config(project, &options),
      ProjectCommand::Ps { services, json } => ps::ps(project, &services, json),
      ProjectCommand::Doctor => doctor::doctor(project),
      ProjectCommand::Export { format, options } => export::export(project, format, &options),
      ProjectCommand::Names => print_names(project),
    }
  }

  /// This invocation, about the project of another task file (`dev stop --project`).
  fn elsewhere(&self, file: PathBuf) -> Session {
    Session {
      file: Some(file),
      project: OnceCell::new(),
      ..*self
    }
  }

  fn project(&self) -> Result<&Project> {
    if let Some(project) = self.project.get() {
      return Ok(project);
    }
    let config = load(self.file.as_ref(), self.report)?;
    Ok(
      self
        .project
        .get_or_init(|| Project::new(config, self.color, self.report)),
    )
  }

  /// Stopping and looking at what runs need no task file: with a broken or missing one,
  /// the project is what its state says.
  fn project_or_state(&self) -> Result<&Project> {
    match self.project() {
      Ok(project) => Ok(project),
      Err(error) => {
        let project = Project::from_state(self.file.as_deref(), &error, self.color, self.report)
          .ok_or(error)?;
        Ok(self.project.get_or_init(|| project))
      }
    }
  }

  /// Ports are everyone's business: no task file needed, and a broken one does not stop
  /// `dev port`.
  fn project_if_any(&self) -> Option<&Project> {
    match self.project() {
      Ok(project) => Some(project),
      Err(Error::ConfigNotFound { .. }) => None,
      // A broken task file: what runs is still known from the state (`dev port api`
      // after a half-typed edit prints the port api has).
      Err(error) => {
        match Project::from_state(self.file.as_deref(), &error, self.color, self.report) {
          Some(project) => Some(self.project.get_or_init(|| project)),
          None => {
            self.report.warning(&format!(
              "ignoring the task file: {error} (`dev list` shows where)"
            ));
            None
          }
        }
      }
    }
  }
}

fn ok(_: ()) -> i32 {
  0
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
          return init::run_procfile(&cwd, error, report);
        }
        Err(error) => return Err(error),
      }
    }
  };
  Config::load(&path)
}

/// `dev __names`: the service, task and derived names, one a line, for shell completion.
fn print_names(project: &Project) -> Result<()> {
  let text: String = names(&project.config)
    .iter()
    .map(|name| format!("{name}\n"))
    .collect();
  crate::ui::output::print_out(&text)
}
