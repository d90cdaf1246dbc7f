//! `dev up`: start services through their keepers as their dependencies allow (`started`
//! at once, `healthy` once ready, `completed_successfully` once exited 0), watch each one
//! become ready, and in the foreground show their output with prefixes and stop them all on
//! Ctrl+C, SIGTERM or SIGHUP, or when one fails.
//!
//! `schedule` decides (pure, unit tested); `drive` runs the event loop; `launch` starts a
//! keeper and watches it; `outcome` says what a start's end or time-out means; `relay`
//! carries a keeper's output to the terminal.

mod drive;
mod edits;
mod launch;
mod outcome;
mod relay;
mod schedule;

use std::{
  collections::HashMap,
  sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
    mpsc::{self, Sender},
  },
  thread,
  time::Duration,
};

use crate::{
  config::{Condition, Service},
  error::{Error, Result},
  plan::{self, PortMap, PortOverrides},
  project::Project,
  state::Liveness,
  supervise::{preflight, probe::Outcome, stops::StopNotices},
  sys::{self, ProcessId, Signal},
};

pub(crate) use launch::claim_for_keeper;
use schedule::Schedule;

/// How to start: in the background or not, whether to stop foreign port holders, and
/// ports fixed on the command line.
#[derive(Default)]
pub(crate) struct Start {
  pub(crate) detach: bool,
  pub(crate) force: bool,
  pub(crate) overrides: PortOverrides,
  /// Open every ready service's URL (`--open`), besides those with `open: true`.
  pub(crate) open: bool,
  /// Detached for a task's `needs:`: no "running in the background" line.
  pub(crate) quiet: bool,
  /// `--watch` (`Some(true)`) or `--no-watch` (`Some(false)`), over the task file.
  pub(crate) watch: Option<bool>,
  /// Detached, but ended with this `dev` even by SIGKILL: a task's `needs:`.
  pub(crate) tied: bool,
  /// When the command began (Unix ms), if before this start: the stops since then win
  /// over it (`dev restart` starting what it found stopped). `None`: from now.
  pub(crate) began_ms: Option<u64>,
}

/// What the threads of one `dev up` tell its event loop. Each carries the launch it is
/// about, so that events of an earlier start of the same service are told apart.
enum UpEvent {
  /// Ctrl+C, SIGTERM, SIGHUP, or the terminal showing the output went away.
  Signal,
  /// The keeper of a launch exited with this code.
  Ended(u64, i32),
  /// A launch is ready: after how long, and where users reach it.
  Ready(u64, Duration, Option<String>),
  /// A launch's probe did not pass in time: how many ran, the last answer, what was probed.
  TimedOut(u64, u32, Outcome, String),
  /// A launch's keeper ended while it was awaited.
  Gone(u64),
  /// devtasks.yaml was saved.
  Edited,
}

/// Everything one `dev up` tracks while it runs.
struct Run<'a> {
  /// Its own copy: an edit of the task file while it runs replaces the config.
  project: Project,
  start: &'a Start,
  names: &'a [String],
  schedule: Schedule,
  ports: PortMap,
  /// This `dev`, which its keepers watch: when it dies, they stop their services.
  supervisor: Option<ProcessId>,
  /// The widest service name, for aligned prefixes.
  width: usize,
  sender: Sender<UpEvent>,
  /// Tells the readiness watchers to give up.
  cancel: Arc<AtomicBool>,
  /// Starts that died because their port was taken meanwhile: how many, and the ports to
  /// avoid next time.
  retries: HashMap<String, (u32, Vec<u16>)>,
  stopping: bool,
  /// When the first Ctrl+C (or its kin) arrived: a repeat within `SAME_REQUEST` is the same
  /// request delivered twice, not a second one that forces.
  interrupted_at: Option<std::time::Instant>,
  /// Keepers sent the stop signal so far: a dependency's only once its dependents are gone.
  stop_sent: Vec<ProcessId>,
  /// Another `dev` is starting a service this one meant to start (its keeper answered
  /// busy): what this one started already may be what that start is waiting for.
  lost_a_race: Option<String>,
  /// The first failure, which `dev up` exits with once everything has stopped.
  failure: Option<Error>,
  /// The watch on devtasks.yaml, in the foreground.
  edits: Option<crate::supervise::watch::Watching>,
  /// Stops since this run began, and every service it may start: a stop wins.
  stops: StopNotices,
  order: Vec<String>,
}

pub(crate) fn up(project: &Project, names: &[String], start: &Start) -> Result<()> {
  project.keep_names_reachable();
  let order = plan::start_order(&project.config, names);
  if order.is_empty() {
    project
      .report
      .warning("devtasks.yaml defines no services to start");
    return Ok(());
  }
  preflight::check(project)?;
  let (sender, events) = mpsc::channel();
  forward_signals(sender.clone())?;
  let mut run = Run {
    project: Project::new(project.config.clone(), project.color, project.report),
    start,
    names,
    schedule: Schedule::new(),
    ports: plan::known_ports(&project.config, &project.state, &start.overrides),
    supervisor: if start.detach {
      None
    } else {
      ProcessId::of(std::process::id())
    },
    width: order.iter().map(|s| s.name.len()).max().unwrap_or(0),
    sender,
    cancel: Arc::new(AtomicBool::new(false)),
    retries: HashMap::new(),
    stopping: false,
    interrupted_at: None,
    stop_sent: Vec::new(),
    lost_a_race: None,
    failure: None,
    edits: None,
    stops: match start.began_ms {
      Some(began) => StopNotices::since(&project.state, began),
      None => StopNotices::from_now(&project.state),
    },
    order: order.iter().map(|s| s.name.clone()).collect(),
  };
  // `dev up` with no name starts what is missing, as `docker compose up` does; with
  // everything running already there is nothing to do, and that is said as an error.
  let everything_runs = order.iter().all(|s| run.project.is_running(&s.name));
  for service in &order {
    run.take_over(&service.name, &order, everything_runs)?;
  }
  if !start.detach {
    run.edits = edits::watch_task_file(&run);
  }
  let result = run.drive(&events);
  run.cancel.store(true, Ordering::Relaxed);
  result
}

/// Listens before anything starts, so that a Ctrl+C during start-up is not lost.
fn forward_signals(sender: Sender<UpEvent>) -> Result<()> {
  let signals = sys::listen_for_signals(&[Signal::Int, Signal::Term, Signal::Hup])
    .map_err(Error::io("cannot install signal handlers"))?;
  thread::spawn(move || {
    for _ in signals {
      if sender.send(UpEvent::Signal).is_err() {
        break;
      }
    }
  });
  Ok(())
}

impl Run<'_> {
  /// A service to start, or one already running that this run uses as it is. One the user
  /// named that is running already is an error: starting it twice would not do what they
  /// asked; so is a `dev up` of a project whose every service runs.
  fn take_over(&mut self, name: &str, order: &[&Service], everything_runs: bool) -> Result<()> {
    let Some(Liveness::Running(state)) = self.project.check(name) else {
      self.schedule.wait_for(name);
      return Ok(());
    };
    if self.names.iter().any(|named| named == name) || everything_runs {
      // Running now, though not when this run began: another `dev` started it.
      self.lost_a_race = Some(name.to_owned());
      return Err(state.already_running());
    }
    let pid = state.process.map_or(0, |p| p.pid);
    // Running is not healthy: a dependent that needs it healthy waits for its probe.
    let awaited_healthy = order.iter().any(|other| {
      other
        .depends_on
        .iter()
        .any(|d| d.service == name && d.condition == Condition::Healthy)
    });
    if awaited_healthy {
      self.project.report.step(&format!(
        "{name} is already running (pid {pid}); waiting until it is healthy"
      ));
      return self.watch_running(name, &state);
    }
    self
      .project
      .report
      .step(&format!("{name} is already running (pid {pid}), using it"));
    self.schedule.running(name);
    Ok(())
  }
}
