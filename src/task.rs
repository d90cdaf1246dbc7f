//! User tasks, make/just-style: `dev test` runs `test`'s deps (each once), then its commands.

use std::process::Command;

use crate::{
  config::{Config, Task, interpolate},
  error::{Error, Result},
  project::Project,
  sys::{self, ExitStatus, Signal},
};

pub(crate) fn run_task(project: &Project, name: &str, arguments: &[String]) -> Result<()> {
  let mut order = Vec::new();
  collect(&project.config, name, &mut order);
  // Ctrl+C reaches the task through the terminal's process group; we only wait for it and
  // then exit 130. SIGTERM and SIGHUP sent to `dev` alone are forwarded to the task.
  let signals = sys::listen_for_signals(&[Signal::Int, Signal::Term, Signal::Hup])
    .map_err(Error::io("cannot install signal handlers"))?;
  for task in order {
    let last = task.name == name;
    for command in &task.commands {
      project.report.step(&format!("{}: {command}", task.name));
      let mut child = shell(
        &project.config,
        task,
        command,
        if last { arguments } else { &[] },
      )
      .spawn()
      .map_err(|source| Error::Spawn {
        command: command.clone(),
        source,
      })?;
      let status = loop {
        if let Ok(signal) = signals.recv_timeout(std::time::Duration::from_millis(20))
          && signal != Signal::Int
        {
          let _ = sys::signal_process(child.id(), signal);
        }
        if let Some(status) = child
          .try_wait()
          .map_err(Error::io("cannot wait for the task"))?
        {
          break status;
        }
      };
      if status.success() {
        continue;
      }
      let status = match (
        status.code(),
        std::os::unix::process::ExitStatusExt::signal(&status),
      ) {
        (_, Some(signal)) if signal == libc::SIGINT => return Err(Error::Interrupted),
        (_, Some(signal)) => ExitStatus::Signal(signal),
        (code, None) => ExitStatus::Code(code.unwrap_or(1)),
      };
      return Err(Error::TaskFailed {
        task: task.name.clone(),
        command: command.clone(),
        status,
      });
    }
  }
  Ok(())
}

/// Dependencies first, each task once (a diamond runs its shared dep once).
fn collect<'a>(config: &'a Config, name: &str, order: &mut Vec<&'a Task>) {
  let Some(task) = config.task(name) else {
    return;
  };
  if order.iter().any(|t| t.name == task.name) {
    return;
  }
  for dep in &task.deps {
    collect(config, dep, order);
  }
  order.push(task);
}

fn shell(config: &Config, task: &Task, command: &str, arguments: &[String]) -> Command {
  let mut shell = Command::new("/bin/sh");
  if arguments.is_empty() {
    shell.arg("-c").arg(command);
  } else {
    // Extra words after `--` reach the command as "$@", safely quoted by the shell itself.
    shell
      .arg("-c")
      .arg(format!("{command} \"$@\""))
      .arg(&task.name)
      .args(arguments);
  }
  let mut env = config.env.clone();
  interpolate::extend_env(&mut env, &task.env, &|_, _| None);
  shell.current_dir(&task.cwd).envs(env);
  shell
}
