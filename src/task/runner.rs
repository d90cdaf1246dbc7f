//! Running the steps: each command through `sh -c`, one at a time with the terminal, or
//! (parallel deps) side by side with prefixed output. The first failure of a parallel group
//! stops its siblings; SIGTERM and SIGHUP are forwarded to whatever runs; and what a task
//! leaves running in our session is stopped when it ends (daemons, in sessions of their
//! own, are left alone).

use std::{
  io::{self, BufRead, BufReader},
  process::Command,
  sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicBool, AtomicUsize, Ordering},
    mpsc::{self, Receiver},
  },
  thread,
  time::Duration,
};

use super::{arguments::Bound, steps::Step};
use crate::{
  config::{Task, interpolate},
  error::{Error, Result},
  plan::{PortMap, port_reference},
  project::Project,
  supervise::terminate::terminate,
  sys::{self, ExitStatus, Pid, ProcessId, Signal},
  ui::{
    format::{abbreviate, count, one_line},
    output::Prefixer,
  },
};

/// How much of a command a progress line or an error quotes.
const COMMAND_SHOWN: usize = 200;

pub(crate) struct Runner<'a> {
  pub(crate) project: &'a Project,
  /// The task named on the command line: only its commands get the arguments.
  pub(crate) invoked: &'a Task,
  pub(crate) bound: &'a Bound,
  /// Ports of the services, for `${backend.port}`.
  pub(crate) ports: PortMap,
  /// Widest task name, for aligned prefixes.
  pub(crate) width: usize,
  /// Shared with the signal watcher, which outlives a borrow of the runner.
  running: Arc<Mutex<Vec<Pid>>>,
  interrupted: Arc<AtomicBool>,
  /// A parallel branch failed: the others stop, and only its error is reported.
  failing: AtomicBool,
  /// Commands of other branches stopped (or not started) because one failed.
  siblings_stopped: AtomicUsize,
  first_failure: Mutex<Option<(String, Error)>>,
}

impl<'a> Runner<'a> {
  pub(crate) fn new(
    project: &'a Project,
    invoked: &'a Task,
    bound: &'a Bound,
    ports: PortMap,
  ) -> Self {
    Self {
      project,
      invoked,
      bound,
      ports,
      width: 0,
      running: Arc::default(),
      interrupted: Arc::default(),
      failing: AtomicBool::new(false),
      siblings_stopped: AtomicUsize::new(0),
      first_failure: Mutex::new(None),
    }
  }

  /// Runs the steps with signals watched, then stops what the task left behind.
  pub(crate) fn run(&self, steps: &[Step<'_>]) -> Result<()> {
    // Orphans of the task's commands come to us, not to init, so they can be found.
    let _ = sys::adopt_orphans();
    let signals = sys::listen_for_signals(&[Signal::Int, Signal::Term, Signal::Hup])
      .map_err(Error::io("cannot install signal handlers"))?;
    let (running, interrupted) = (self.running.clone(), self.interrupted.clone());
    // Detached: it ends when a later listener takes the signals over, or with the process.
    thread::spawn(move || {
      for signal in signals {
        interrupted.store(true, Ordering::Relaxed);
        // Ctrl+C already reached every process of the terminal's group; a SIGTERM or
        // SIGHUP sent to dev alone is passed on.
        if signal != Signal::Int {
          signal_all(&running, signal);
        }
      }
    });
    let result = self.steps(steps, false);
    self.stop_leftovers();
    result
  }

  fn steps(&self, steps: &[Step<'_>], prefixed: bool) -> Result<()> {
    for step in steps {
      match step {
        Step::Run(task) => self.task(task, prefixed)?,
        Step::Together(branches) => self.together(branches)?,
      }
    }
    Ok(())
  }

  fn together(&self, branches: &[Vec<Step<'_>>]) -> Result<()> {
    thread::scope(|scope| {
      for branch in branches {
        scope.spawn(move || {
          let Err(error) = self.steps(branch, true) else {
            return;
          };
          // Under the lock of the running list: a sibling that spawns a command now either
          // is in the list (and signalled here) or sees `failing` under the same lock.
          let running = self.lock_running();
          if self.failing.swap(true, Ordering::SeqCst) {
            return;
          }
          for pid in running.iter() {
            signal_tree(*pid, Signal::Term);
          }
          self
            .siblings_stopped
            .fetch_add(running.len(), Ordering::SeqCst);
          drop(running);
          let name = match &error {
            Error::TaskFailed { task, .. } => task.clone(),
            _ => String::new(),
          };
          *self
            .first_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((name, error));
        });
      }
    });
    let first = self
      .first_failure
      .lock()
      .unwrap_or_else(PoisonError::into_inner)
      .take();
    match first {
      Some((name, error)) => {
        if !name.is_empty() && !matches!(error, Error::Interrupted) {
          // Said only when true: the deps beside it may all have finished already.
          let beside = if self.siblings_stopped.load(Ordering::SeqCst) > 0 {
            "the deps beside it were stopped"
          } else {
            "the deps beside it had already finished"
          };
          self
            .project
            .report
            .failure(&format!("{name} failed first; {beside}"));
        }
        Err(error)
      }
      None => Ok(()),
    }
  }

  fn task(&self, task: &Task, prefixed: bool) -> Result<()> {
    if !task.runs_here() {
      let only: Vec<&str> = task.platforms.iter().map(|p| p.name()).collect();
      self.project.report.step(&format!(
        "{}: skipped, it is only for {}",
        task.name,
        only.join(", ")
      ));
      return Ok(());
    }
    let prefixer = prefixed.then(|| {
      let index = self
        .project
        .config
        .tasks
        .iter()
        .position(|t| t.name == task.name)
        .unwrap_or(0);
      Prefixer::new(self.project.color, &task.name, index, self.width)
    });
    for command in &task.commands {
      self.command(task, command, prefixer.as_ref())?;
    }
    Ok(())
  }

  fn command(&self, task: &Task, command: &str, prefixer: Option<&Prefixer>) -> Result<()> {
    if self.interrupted.load(Ordering::Relaxed) {
      return Err(Error::Interrupted);
    }
    if prefixer.is_some() && self.failing.load(Ordering::SeqCst) {
      self.siblings_stopped.fetch_add(1, Ordering::SeqCst);
      return Err(Error::Interrupted);
    }
    let line = self.script(task, command)?;
    self.project.report.step(&format!(
      "{}: {}{}",
      task.name,
      abbreviate(&one_line(&line), COMMAND_SHOWN),
      self.given(task)
    ));
    let mut shell = self.shell(task, &line)?;
    // Side by side: stdout and stderr share one pipe (so their lines keep their order) and
    // each line gets the task's prefix.
    let output = match prefixer {
      Some(_) => {
        let (reader, writer) = io::pipe().map_err(Error::io("cannot create a pipe"))?;
        let stderr = writer
          .try_clone()
          .map_err(Error::io("cannot create a pipe"))?;
        shell.stdout(writer).stderr(stderr);
        Some(reader)
      }
      None => None,
    };
    let mut child = shell.spawn().map_err(|source| Error::Spawn {
      command: abbreviate(&line, COMMAND_SHOWN),
      source,
    })?;
    // The child has its copies of the pipe's write end; ours would keep EOF from coming.
    drop(shell);
    let pid = child.id();
    // A `dev` killed with -9 takes its task's shell and what it started with it.
    let guard = super::guard::spawn(pid);
    {
      let mut running = self.lock_running();
      // A sibling failed between the check above and the spawn: it could not see us.
      if prefixer.is_some() && self.failing.load(Ordering::SeqCst) {
        signal_tree(pid, Signal::Term);
        self.siblings_stopped.fetch_add(1, Ordering::SeqCst);
      }
      running.push(pid);
    }
    let pumps_done = pump_prefixed(prefixer, output);
    let status = child.wait();
    if let Some(mut guard) = guard {
      let _ = guard.wait();
    }
    self.lock_running().retain(|running| *running != pid);
    // The last lines, unless a leftover process still holds the pipe open.
    let _ = pumps_done.recv_timeout(Duration::from_millis(200));
    let status = status.map_err(Error::io("cannot wait for the task"))?;
    let interrupted = self.interrupted.load(Ordering::Relaxed);
    match sys::exit_status(status) {
      ExitStatus::Code(0) => Ok(()),
      ExitStatus::Signal(signal) if interrupted || signal == Signal::Int.number() => {
        Err(Error::Interrupted)
      }
      ExitStatus::Code(130) if interrupted => Err(Error::Interrupted),
      status => Err(Error::TaskFailed {
        task: task.name.clone(),
        command: abbreviate(&line, COMMAND_SHOWN),
        status,
      }),
    }
  }

  /// `sh -c <script> <task> <words…>` (or the task's `shell:`) in the task's directory,
  /// its arguments in the environment: `${env}` in the script is the shell's own expansion
  /// of a variable, so `dev greet "it's"` is just a value, and no value can become code.
  fn shell(&self, task: &Task, script: &str) -> Result<Command> {
    let kind = task.shell.checked()?;
    let mut env = self.project.config.shared_env()?;
    env.extend(task.env_file.load()?);
    // The arguments are variables of `env:` too (`URL: https://${region}.example.com`),
    // and win over it, byte for byte.
    let arguments = self.arguments(task);
    env.extend(
      arguments
        .iter()
        .map(|(name, value)| (name.clone(), value.to_string_lossy().into_owned())),
    );
    let whose = format!("task `{}`", task.name);
    interpolate::extend_env(
      &mut env,
      (&task.env, &task.env_at),
      &port_reference(&self.ports),
      &whose,
    )?;
    let names: Vec<&str> = env
      .iter()
      .map(|(name, _)| name.as_str())
      .chain(arguments.iter().map(|(name, _)| name.as_str()))
      .collect();
    let mut shell = kind.command(script, &names);
    if kind.takes_words() {
      shell.arg(&task.name).args(self.words(task));
    } else if !self.words(task).is_empty() {
      return Err(Error::Usage {
        message: format!(
          "task `{}` was given extra words, and {} has no `\"$@\"` to put them in: declare them with `args:` (each becomes a variable), or use `shell: sh` or `bash`",
          task.name,
          kind.name()
        ),
        usage: task.usage(),
      });
    }
    // Checked now, not when the file was read: a dep may be what creates it.
    shell
      .current_dir(task.cwd.checked()?)
      .envs(env)
      .envs(arguments);
    Ok(shell)
  }

  fn lock_running(&self) -> std::sync::MutexGuard<'_, Vec<Pid>> {
    self.running.lock().unwrap_or_else(PoisonError::into_inner)
  }

  /// Processes the task left running in our session (`server &`), and what they started:
  /// stopped, and named. Processes that made sessions of their own (daemons) stay.
  fn stop_leftovers(&self) {
    let me = std::process::id();
    let Some(session) = sys::process_info(me).map(|info| info.session) else {
      return;
    };
    let mut leftovers: Vec<ProcessId> = Vec::new();
    for child in sys::children(me) {
      if sys::process_info(child).is_some_and(|info| info.session == session && !info.is_zombie()) {
        leftovers.extend(ProcessId::of(child));
        leftovers.extend(
          sys::descendants(child)
            .into_iter()
            .filter_map(ProcessId::of),
        );
      }
    }
    if leftovers.is_empty() {
      return;
    }
    let ended = terminate(&leftovers, Signal::Term, Duration::from_secs(3));
    let names: Vec<String> = ended
      .iter()
      .map(|ended| format!("{} (pid {})", ended.command, ended.pid))
      .collect();
    self.project.report.step(&format!(
      "stopped {} the task left running: {}",
      count(ended.len(), "process", "processes"),
      names.join(", ")
    ));
  }
}

/// Each line of a side-by-side command, with the task's prefix; the receiver disconnects
/// once the output has ended.
fn pump_prefixed(prefixer: Option<&Prefixer>, output: Option<io::PipeReader>) -> Receiver<()> {
  let (pumped, pumps_done) = mpsc::channel::<()>();
  if let (Some(prefixer), Some(reader)) = (prefixer, output) {
    let prefixer = prefixer.clone();
    thread::spawn(move || {
      let _pumped = pumped;
      for line in BufReader::new(reader)
        .split(b'\n')
        .map_while(|line| line.ok())
      {
        let _ = prefixer.line(&line);
      }
    });
  }
  pumps_done
}

/// `signal` to every running command and everything it started.
fn signal_all(running: &Mutex<Vec<Pid>>, signal: Signal) {
  let running = running
    .lock()
    .unwrap_or_else(PoisonError::into_inner)
    .clone();
  for pid in running {
    signal_tree(pid, signal);
  }
}

/// `signal` to a command and everything it started.
fn signal_tree(pid: Pid, signal: Signal) {
  let _ = sys::signal_process(pid, signal);
  for descendant in sys::descendants(pid) {
    let _ = sys::signal_process(descendant, signal);
  }
}
