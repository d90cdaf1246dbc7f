//! `dev --watch <task>` (or `dev <task> --watch`): the task runs, and runs again whenever
//! its files change (`watch:`, else its `cwd`), a run still in progress stopped first — its
//! whole process group, the grace, then SIGKILL — like watchexec. Each run is `dev <task>` in
//! a process group of its own, so deps, `needs:` and arguments behave exactly as without
//! `--watch`, and a separator line tells the runs apart.

use std::{
  env,
  path::PathBuf,
  process::{Child, Command},
  sync::mpsc::{self, Receiver, Sender},
  thread,
  time::{Duration, Instant},
};

use super::TaskOptions;
use crate::{
  config::Watch,
  error::{Error, Result},
  project::Project,
  supervise::watch::{self, Heard, WatchSpec},
  sys::{self, ExitStatus, ProcessId, Signal},
  ui::format::{elapsed, status_text},
};

/// How long a run gets to end after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_secs(2);

enum Happened {
  Changed(Vec<PathBuf>),
  Finished(u64, ExitStatus),
  Interrupted,
}

pub(crate) fn watch_task(
  project: &Project,
  name: &str,
  words: &[std::ffi::OsString],
  options: TaskOptions,
) -> Result<()> {
  let config = &project.config;
  let task = super::find(config, name)?;
  // The services' logs (a task's `needs:` write there) are never a reason to run again.
  let spec = WatchSpec::new(
    task.watch.as_ref().unwrap_or(&Watch::everything()),
    &task.cwd.path,
    &config.log_dir,
  );
  let (sender, happened) = mpsc::channel();
  let changes = sender.clone();
  let report = project.report;
  let not_ours = not_our_output(spec.root.clone());
  let watching = watch::watch(&spec, move |heard| match heard {
    Heard::Changed(paths) => {
      let paths: Vec<PathBuf> = paths.into_iter().filter(|path| not_ours(path)).collect();
      if !paths.is_empty() {
        let _ = changes.send(Happened::Changed(paths));
      }
    }
    // Never deaf without a word: the task would not run again on the next save.
    Heard::Trouble(Some(why)) => {
      report.failure(&format!(
        "cannot watch for changes any more: {why}; saves are not seen"
      ));
    }
    Heard::Trouble(None) => report.step("watching for changes again"),
  })
  .map_err(|error| Error::Io {
    context: format!("cannot watch {}", task.cwd.path.display()),
    source: std::io::Error::other(error),
  })?;
  forward_signals(sender.clone())?;
  let paths: Vec<String> = spec
    .paths
    .iter()
    .map(|path| {
      // The project's root itself is `.`, not an empty word.
      match path
        .strip_prefix(&config.root)
        .unwrap_or(path)
        .display()
        .to_string()
      {
        relative if relative.is_empty() => ".".to_owned(),
        relative => relative,
      }
    })
    .collect();
  project.report.step(&format!(
    "watching {} for `{name}` ({}); Ctrl+C to stop",
    paths.join(", "),
    crate::ui::format::count(watching.watched, "directory", "directories")
  ));
  let mut runs = 0;
  let mut reason = String::new();
  loop {
    runs += 1;
    if runs > 1 {
      project
        .report
        .step(&format!("──── run {runs} · {reason} changed ────"));
    }
    let started = Instant::now();
    let run = start_run(project, name, words, options)?;
    let process = ProcessId::of(run.id());
    watch_run(run, runs, sender.clone());
    let Some(next) = until_next(project, name, &happened, (runs, started), process) else {
      return Ok(());
    };
    reason = WatchSpec::describe(&next);
  }
}

/// Until the run ends, then until a change: the paths that changed, or `None` on Ctrl+C. A
/// change while the run is in progress stops it.
/// What the task itself writes through dev's stdout or stderr (`> out.txt` inside the
/// watched tree) is no reason to run it again: it would run forever. The files are read
/// once (they stay the same while dev runs); changed paths are relative to the root.
fn not_our_output(root: PathBuf) -> impl Fn(&PathBuf) -> bool {
  let ours = sys::output_files();
  move |path| sys::path_identity(&root.join(path)).is_none_or(|file| !ours.contains(&file))
}

fn until_next(
  project: &Project,
  name: &str,
  happened: &Receiver<Happened>,
  (run, started): (u64, Instant),
  process: Option<ProcessId>,
) -> Option<Vec<PathBuf>> {
  loop {
    match happened.recv() {
      Ok(Happened::Finished(number, status)) if number == run => {
        let verdict = match status {
          ExitStatus::Code(0) => format!("`{name}` passed"),
          status => format!("`{name}` {}", status_text(status)),
        };
        project.report.step(&format!(
          "{verdict} ({}); waiting for a change",
          elapsed(started.elapsed())
        ));
        return wait_for_change(happened);
      }
      Ok(Happened::Finished(..)) => {}
      Ok(Happened::Changed(paths)) => {
        stop_run(process);
        return Some(paths);
      }
      Ok(Happened::Interrupted) | Err(_) => {
        stop_run(process);
        return None;
      }
    }
  }
}

/// `dev <task> <words>` in a process group of its own, with the terminal's stdio.
fn start_run(
  project: &Project,
  name: &str,
  words: &[std::ffi::OsString],
  options: TaskOptions,
) -> Result<Child> {
  let exe = env::current_exe().map_err(Error::io("cannot find the dev executable"))?;
  let mut command = Command::new(exe);
  command.arg("-f").arg(&project.config.path);
  if options.yes {
    command.arg("--yes");
  }
  // `run`: the task even when a built-in has its name (`dev run init`).
  command.arg("run").arg(name).args(words);
  sys::start_own_group(&mut command);
  command.spawn().map_err(|source| Error::Spawn {
    command: format!("dev {name}"),
    source,
  })
}

/// Reports the run's end.
fn watch_run(mut run: Child, number: u64, events: Sender<Happened>) {
  thread::spawn(move || {
    let status = run
      .wait()
      .map(sys::exit_status)
      .unwrap_or(ExitStatus::Code(1));
    let _ = events.send(Happened::Finished(number, status));
  });
}

/// Ends a run: SIGTERM to its `dev`, which passes it on to what the task runs and stops
/// the services it started; after the grace, SIGKILL to the run's whole group — only while
/// the run is the process we started (its pid and start time).
fn stop_run(process: Option<ProcessId>) {
  let Some(process) = process.filter(|process| process.is_alive()) else {
    return;
  };
  let _ = sys::signal_process(process.pid, Signal::Term);
  if !sys::wait_for_exit(process, GRACE) && process.is_alive() {
    let _ = sys::signal_group(process.pid, Signal::Kill);
    sys::wait_for_exit(process, GRACE);
  }
}

/// The next change; `None` on Ctrl+C.
fn wait_for_change(happened: &Receiver<Happened>) -> Option<Vec<PathBuf>> {
  loop {
    match happened.recv() {
      Ok(Happened::Changed(paths)) => return Some(paths),
      Ok(Happened::Finished(..)) => {}
      Ok(Happened::Interrupted) | Err(_) => return None,
    }
  }
}

fn forward_signals(events: Sender<Happened>) -> Result<()> {
  let signals = sys::listen_for_signals(&[Signal::Int, Signal::Term, Signal::Hup])
    .map_err(Error::io("cannot install signal handlers"))?;
  thread::spawn(move || {
    for _ in signals {
      if events.send(Happened::Interrupted).is_err() {
        break;
      }
    }
  });
  Ok(())
}
