//! User tasks, make/just-style: `dev test` runs `test`'s deps (each once; side by side with
//! `parallel: true`), then its commands. `needs:` services are started (and awaited healthy)
//! first when they are not running, and stopped again afterwards: left as they were.

mod arguments;
mod flags;
pub(crate) mod guard;
mod runner;
mod script;
mod steps;
mod watch;

pub(crate) use flags::take as take_flags;
pub(crate) use watch::watch_task;

use std::io::IsTerminal;

use self::{runner::Runner, steps::Step};
use crate::{
  commands::stop,
  config::Task,
  error::{Error, Result},
  plan::{self, PortOverrides},
  project::Project,
  supervise::up::{self, Start},
};

/// `dev --dry-run` and `dev --yes`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TaskOptions {
  pub(crate) dry_run: bool,
  pub(crate) yes: bool,
  /// `--watch`: run again on every change.
  pub(crate) watch: bool,
}

/// The task of that name, or the error that says there is none.
pub(crate) fn find<'a>(config: &'a crate::config::Config, name: &str) -> Result<&'a Task> {
  config.task(name).ok_or_else(|| Error::UnknownTarget {
    name: name.to_owned(),
    config: config.path.clone(),
    suggestion: None,
  })
}

pub(crate) fn run_task(
  project: &Project,
  name: &str,
  words: &[std::ffi::OsString],
  options: TaskOptions,
) -> Result<()> {
  let config = &project.config;
  let task = find(config, name)?;
  let bound = arguments::bind(task, words)?;
  let steps = steps::plan(config, task);
  let tasks: Vec<&Task> = steps::tasks(&steps)
    .into_iter()
    .filter(|task| task.runs_here())
    .collect();
  for dep in tasks.iter().filter(|dep| dep.name != task.name) {
    if let Some(arg) = dep.args.iter().find(|arg| arg.default.is_none()) {
      return Err(Error::Usage {
        message: format!(
          "task `{}` needs its argument `{}`, so it cannot run as a dep of `{}`",
          dep.name, arg.name, task.name
        ),
        usage: dep.usage(),
      });
    }
  }
  let mut needs: Vec<String> = Vec::new();
  for task in &tasks {
    for service in &task.needs {
      if !needs.contains(service) {
        needs.push(service.clone());
      }
    }
  }
  let ports = plan::known_ports(config, &project.state, &PortOverrides::default());
  let mut runner = Runner::new(project, task, &bound, ports);
  runner.width = steps::side_by_side(&steps)
    .iter()
    .map(|t| t.name.len())
    .max()
    .unwrap_or(0);
  if options.dry_run {
    return dry_run(project, &runner, &steps, &needs);
  }
  for task in &tasks {
    if let Some(question) = &task.confirm {
      confirm(task, question, options.yes)?;
    }
  }
  let started = start_needs(project, &needs)?;
  // Ports of the services started just now, for `${backend.port}`.
  runner.ports = plan::known_ports(config, &project.state, &PortOverrides::default());
  let result = runner.run(&steps);
  if !started.is_empty() {
    let stopped = stop::stop(project, &started);
    if result.is_ok() {
      stopped?;
    }
  }
  result
}

/// Starts the needed services that are not running (with what they depend on) and waits
/// until they are ready. Returns the ones it started, to stop after the task.
fn start_needs(project: &Project, needs: &[String]) -> Result<Vec<String>> {
  let missing: Vec<String> = needs
    .iter()
    .filter(|name| !project.is_running(name))
    .cloned()
    .collect();
  if missing.is_empty() {
    return Ok(Vec::new());
  }
  let starting: Vec<String> = plan::start_order(&project.config, &missing)
    .into_iter()
    .map(|service| service.name.clone())
    .filter(|name| !project.is_running(name))
    .collect();
  let start = Start {
    detach: true,
    tied: true,
    force: false,
    overrides: PortOverrides::default(),
    open: false,
    watch: None,
    quiet: true,
    began_ms: None,
  };
  if let Err(error) = up::up(project, &missing, &start) {
    let _ = stop::stop(project, &starting);
    return Err(error);
  }
  Ok(starting)
}

/// Asks on a terminal; elsewhere only `--yes` answers.
fn confirm(task: &Task, question: &str, yes: bool) -> Result<()> {
  if yes {
    return Ok(());
  }
  let refuse = |reason: &str| Error::NotConfirmed {
    task: task.name.clone(),
    reason: reason.to_owned(),
  };
  if !std::io::stdin().is_terminal() {
    return Err(refuse(&format!(
      "it asks \"{question}\" and there is no terminal to answer"
    )));
  }
  if crate::ui::prompt::yes(question) {
    Ok(())
  } else {
    Err(refuse("not confirmed"))
  }
}

/// What would run, resolved, without running it.
fn dry_run(
  project: &Project,
  runner: &Runner<'_>,
  steps: &[Step<'_>],
  needs: &[String],
) -> Result<()> {
  let mut out = String::new();
  let waiting: Vec<&String> = needs
    .iter()
    .filter(|name| !project.is_running(name))
    .collect();
  if !waiting.is_empty() {
    let names: Vec<&str> = waiting.iter().map(|name| name.as_str()).collect();
    out.push_str(&format!(
      "# start {} and wait until ready (stopped after the task)\n",
      names.join(", ")
    ));
  }
  describe(runner, steps, "", &mut out)?;
  crate::ui::output::print_out(&out)
}

fn describe(runner: &Runner<'_>, steps: &[Step<'_>], indent: &str, out: &mut String) -> Result<()> {
  for step in steps {
    match step {
      Step::Run(task) if !task.runs_here() => {
        out.push_str(&format!(
          "{indent}# {}: skipped on this platform\n",
          task.name
        ));
      }
      Step::Run(task) => {
        if let Some(question) = &task.confirm {
          out.push_str(&format!("{indent}# {}: asks \"{question}\"\n", task.name));
        }
        for command in &task.commands {
          let script = runner.script(task, command)?;
          out.push_str(&format!(
            "{indent}{}: {}{}\n",
            task.name,
            script.trim_end().replace('\n', &format!("\n{indent}  ")),
            runner.given(task)
          ));
        }
      }
      Step::Together(branches) => {
        out.push_str(&format!("{indent}# side by side:\n"));
        for branch in branches {
          describe(runner, branch, &format!("{indent}  "), out)?;
        }
      }
    }
  }
  Ok(())
}
