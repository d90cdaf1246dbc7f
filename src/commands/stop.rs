//! `dev stop [svc…]`: stop services through their keepers, wherever they were started
//! (this terminal, another one, or detached) — dependents first, then those the task file
//! no longer names.

use std::time::{Duration, Instant};

use crate::{
  error::Result,
  plan,
  project::Project,
  state::Liveness,
  supervise::{keeper::KEEPER_SLACK, stops},
  sys::{self, Signal},
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
        pending.push((name, state, Instant::now()));
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
  for (name, state, since) in pending {
    let (_, grace) = project.stop_settings(name);
    if !sys::wait_for_exit(state.keeper, grace + KEEPER_SLACK) {
      project.report.warning(&format!(
        "{name}'s keeper did not stop in time; ending it and its processes"
      ));
      let _ = sys::signal_process(state.keeper.pid, Signal::Kill);
      sys::wait_for_exit(state.keeper, Duration::from_secs(2));
    }
    // A keeper that exits cleanly removes its state; anything else is checked for survivors.
    project.check(name);
    let gone = if project.config.service(name).is_none() {
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
