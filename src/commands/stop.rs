//! `dev stop [svc…]`: stop services through their keepers, wherever they were started
//! (this terminal, another one, or detached) — dependents first, then those the task file
//! no longer names.

use std::time::{Duration, Instant};

/// How long a stop waits before it says that Ctrl+C forces it.
const HINT_AFTER: Duration = Duration::from_secs(1);
/// How often it looks for a Ctrl+C meanwhile.
const LOOK_EVERY: Duration = Duration::from_millis(100);

use crate::{
  config::Config,
  error::Result,
  plan,
  project::Project,
  state::Liveness,
  supervise::{
    keeper::{HURRY, KEEPER_SLACK},
    spec::KeeperSpec,
    stops,
  },
  sys::{self, ProcessId, Signal},
  ui::format::{elapsed, status_text},
};

pub(crate) fn stop(project: &Project, names: &[String]) -> Result<()> {
  let mut waves = waves(&project.config, &plan::stop_order(&project.config, names));
  // What the task file no longer names (or all, when it cannot be read) but still runs, in
  // waves of its own by the dependents its specs recorded, side by side with the task
  // file's: nothing the task file names can depend on it.
  let orphans: Vec<String> = project
    .orphans()
    .into_iter()
    .filter(|name| names.is_empty() || names.contains(name))
    .collect();
  let recorded = |name: &str| {
    KeeperSpec::read(&project.state, name).map_or_else(|_| Vec::new(), |spec| spec.dependents)
  };
  for (n, wave) in waves_by(&orphans, recorded).into_iter().enumerate() {
    match waves.get_mut(n) {
      Some(same) => same.extend(wave),
      None => waves.push(wave),
    }
  }
  // A `dev up` starting services waits while this stop looks (at every wave) and signals
  // the first, and will not start what this stop names once it has.
  let mut announced = stops::announce(&project.state, names);
  let waves: Vec<Vec<(&String, ProcessId)>> = waves
    .iter()
    .map(|wave| {
      wave
        .iter()
        .filter_map(|name| running_keeper(project, names, name))
        .collect()
    })
    .collect();
  let mut waiting = Waiting::new();
  for (n, wave) in waves.iter().enumerate() {
    let pending: Vec<_> = wave
      .iter()
      .map(|(name, keeper)| {
        let _ = sys::signal_process(keeper.pid, Signal::Term);
        if waiting.forced {
          let _ = sys::signal_process(keeper.pid, HURRY);
        }
        (*name, *keeper, Instant::now())
      })
      .collect();
    if n == 0 {
      drop(announced.take());
    }
    wait_for_wave(project, &pending, &mut waiting);
  }
  Ok(())
}

/// The stop order cut into waves: a service's wave comes after that of everything in
/// `order` that depends on it (directly or not), so a dependency is signalled only once its
/// dependents are gone; the services of one wave stop side by side.
fn waves(config: &Config, order: &[String]) -> Vec<Vec<String>> {
  waves_by(order, |name| plan::dependents_of(config, name))
}

/// `waves` from what each service's dependents are: the task file's, or, for services it no
/// longer names (or when it cannot be read), those recorded in their keeper specs when they
/// started. The order of `names` is kept within a wave.
fn waves_by(names: &[String], dependents: impl Fn(&str) -> Vec<String>) -> Vec<Vec<String>> {
  let dependents: Vec<Vec<usize>> = names
    .iter()
    .map(|name| {
      let of = dependents(name);
      (0..names.len())
        .filter(|j| of.contains(&names[*j]))
        .collect()
    })
    .collect();
  // A level one above each dependent's, to a fixed point (at most one pass per service:
  // dependencies have no cycles).
  let mut levels = vec![0; names.len()];
  for _ in 0..names.len() {
    let next: Vec<usize> = dependents
      .iter()
      .map(|of| of.iter().map(|j| levels[*j] + 1).max().unwrap_or(0))
      .collect();
    if next == levels {
      break;
    }
    levels = next;
  }
  let mut waves = vec![Vec::new(); levels.iter().max().map_or(0, |top| top + 1)];
  for (name, level) in names.iter().zip(levels) {
    waves[level].push(name.clone());
  }
  waves
}

/// The keeper of `name` to stop, if one runs; says what there is to say of one that does not.
fn running_keeper<'a>(
  project: &Project,
  names: &[String],
  name: &'a String,
) -> Option<(&'a String, ProcessId)> {
  match project.check(name) {
    Some(Liveness::Running(state)) => Some((name, state.keeper)),
    // No state, but the ledger proves a keeper of this project's service runs.
    None if let Some(keeper) = project.keeper_in_ledger(name) => Some((name, keeper)),
    Some(Liveness::Exited(_, exit)) => {
      project.state.remove(name);
      project.report.stopped(&format!(
        "{name} was not running ({})",
        status_text(exit.status())
      ));
      None
    }
    Some(Liveness::Stale(_)) => None,
    None if !names.is_empty() => {
      project.report.stopped(&format!("{name} is not running"));
      None
    }
    None => None,
  }
}

/// Until every keeper of one wave is gone (ended by force when it overstays), each said.
fn wait_for_wave(
  project: &Project,
  pending: &[(&String, ProcessId, Instant)],
  waiting: &mut Waiting,
) {
  let keepers: Vec<ProcessId> = pending.iter().map(|(_, keeper, _)| *keeper).collect();
  for (name, keeper, since) in pending {
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
}

/// The wait for the keepers, during which Ctrl+C forces the stop, as in a foreground `dev`.
struct Waiting {
  interrupts: Option<std::sync::mpsc::Receiver<Signal>>,
  hinted: bool,
  /// Ctrl+C was pressed: the waves still to come skip their grace too.
  forced: bool,
}

impl Waiting {
  fn new() -> Self {
    Self {
      interrupts: sys::listen_for_signals(&[Signal::Int]).ok(),
      hinted: false,
      forced: false,
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
        self.forced = true;
        for keeper in keepers {
          let _ = sys::signal_process(keeper.pid, HURRY);
        }
      }
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::plan::tests::{config, strings};

  #[test]
  fn a_dependency_waits_for_every_dependent_even_through_one_not_stopped() {
    let config = config();
    let all = plan::stop_order(&config, &[]);
    assert_eq!(
      waves(&config, &all),
      [
        strings(&["docs", "web"]),
        strings(&["auth", "api"]),
        strings(&["db"])
      ]
    );
    // `api` stays, but `db` still waits until `web`, which needs it through `api`, is gone.
    let some = plan::stop_order(&config, &strings(&["db", "web"]));
    assert_eq!(waves(&config, &some), [strings(&["web"]), strings(&["db"])]);
    assert!(waves(&config, &[]).is_empty());
  }
}
