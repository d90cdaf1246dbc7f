//! `dev stop [svc…]`: stop services through their keepers, wherever they were started
//! (this terminal, another one, or detached) — dependents first, then those the task file
//! no longer names.

use std::time::{Duration, Instant};

/// How long a stop waits before it says that Ctrl+C forces it.
const HINT_AFTER: Duration = Duration::from_secs(1);
/// How often it looks for a Ctrl+C meanwhile.
const LOOK_EVERY: Duration = Duration::from_millis(100);

use crate::{
  error::Result,
  plan,
  project::Project,
  state::Liveness,
  supervise::{
    keeper::{HURRY, KEEPER_SLACK},
    stops,
  },
  sys::{self, ProcessId, Signal},
  ui::format::{elapsed, status_text},
};

pub(crate) fn stop(project: &Project, names: &[String]) -> Result<()> {
  let mut order = plan::stop_order(&project.config, names);
  // Then what the task file no longer names but still runs.
  order.extend(
    project
      .orphans()
      .into_iter()
      .filter(|name| names.is_empty() || names.contains(name)),
  );
  // A `dev up` starting services waits while this stop looks and signals, and will not
  // start what this stop names once it has.
  let announced = stops::announce(&project.state, names);
  let mut pending = Vec::new();
  for name in &order {
    match project.check(name) {
      Some(Liveness::Running(state)) => {
        let _ = sys::signal_process(state.keeper.pid, Signal::Term);
        pending.push((name, state.keeper, Instant::now()));
      }
      // No state, but the ledger proves a keeper of this project's service runs.
      None if let Some(keeper) = project.keeper_in_ledger(name) => {
        let _ = sys::signal_process(keeper.pid, Signal::Term);
        pending.push((name, keeper, Instant::now()));
      }
      Some(Liveness::Exited(_, exit)) => {
        project.state.remove(name);
        project.report.stopped(&format!(
          "{name} was not running ({})",
          status_text(exit.status())
        ));
      }
      Some(Liveness::Stale(_)) => {}
      None if !names.is_empty() => project.report.stopped(&format!("{name} is not running")),
      None => {}
    }
  }
  drop(announced);
  let keepers: Vec<ProcessId> = pending.iter().map(|(_, keeper, _)| *keeper).collect();
  let mut waiting = Waiting::new();
  for (name, keeper, since) in &pending {
    let (_, grace) = project.stop_settings(name);
    let in_time = waiting.until_gone(project, *keeper, *since, grace + KEEPER_SLACK, &keepers);
    if !in_time {
      project.report.warning(&format!(
        "{name}'s keeper did not stop in time; ending it and its processes"
      ));
      let _ = sys::signal_process(keeper.pid, Signal::Kill);
      sys::wait_for_exit(*keeper, Duration::from_secs(2));
    }
    // A keeper that exits cleanly removes its state; anything else is checked for survivors.
    project.check(name);
    let name = *name;
    let gone = if project.task_file_read && project.config.service(name).is_none() {
      "; it is no longer in devtasks.yaml"
    } else {
      ""
    };
    project.report.stopped(&format!(
      "{name} stopped ({}{gone})",
      elapsed(since.elapsed())
    ));
  }
  Ok(())
}

/// The wait for the keepers, during which Ctrl+C forces the stop, as in a foreground `dev`.
struct Waiting {
  interrupts: Option<std::sync::mpsc::Receiver<Signal>>,
  hinted: bool,
}

impl Waiting {
  fn new() -> Self {
    Self {
      interrupts: sys::listen_for_signals(&[Signal::Int]).ok(),
      hinted: false,
    }
  }

  /// Until `keeper` is gone (true) or `limit` after `since` (false). After a second, says
  /// that Ctrl+C forces it; a Ctrl+C asks every keeper again, which makes each skip what is
  /// left of its grace.
  fn until_gone(
    &mut self,
    project: &Project,
    keeper: ProcessId,
    since: Instant,
    limit: Duration,
    keepers: &[ProcessId],
  ) -> bool {
    let deadline = since + limit;
    loop {
      let left = deadline.saturating_duration_since(Instant::now());
      if sys::wait_for_exit(keeper, left.min(LOOK_EVERY)) {
        return true;
      }
      if left <= LOOK_EVERY {
        return false;
      }
      if !self.hinted && since.elapsed() >= HINT_AFTER {
        self.hinted = true;
        project
          .report
          .step("waiting for the grace (press Ctrl+C to force)");
      }
      if self
        .interrupts
        .as_ref()
        .is_some_and(|i| i.try_recv().is_ok())
      {
        project.report.step("stopping now (SIGKILL)");
        for keeper in keepers {
          let _ = sys::signal_process(keeper.pid, HURRY);
        }
      }
    }
  }
}
