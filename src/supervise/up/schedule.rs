//! What `dev up` decides, without doing anything: which service may start now (its
//! dependencies' conditions), which start an event is about, when `up -d` may return and
//! when a foreground run is over. The event loop acts on these answers; the unit tests below
//! drive them with made-up events, in microseconds.

use crate::{
  config::{Condition, Config},
  error::{Error, Result},
  sys::ProcessId,
};

/// A service this `dev` started or found running.
#[derive(Debug)]
pub(crate) struct Started {
  pub(crate) name: String,
  /// Tells this start's events from those of an earlier start of the same service; 0 for
  /// one that was running when we came and is not watched.
  pub(crate) launch: u64,
  /// Its keeper when we started it; `None` for one that was running when we came.
  pub(crate) keeper: Option<ProcessId>,
  pub(crate) ready: bool,
  /// Whether a readiness watcher will report on it.
  pub(crate) watched: bool,
  /// Set when it ended: `Some(true)` when the service exited with code 0.
  pub(crate) completed: Option<bool>,
}

/// Services by name: the task file they are looked up in may change while `dev up` runs.
pub(crate) struct Schedule {
  pending: Vec<String>,
  started: Vec<Started>,
  launches: u64,
}

impl Schedule {
  pub(crate) fn new() -> Self {
    Self {
      pending: Vec::new(),
      started: Vec::new(),
      launches: 0,
    }
  }

  /// A service to start when its dependencies allow.
  pub(crate) fn wait_for(&mut self, name: &str) {
    if !self.pending.iter().any(|pending| pending == name) {
      self.pending.push(name.to_owned());
    }
  }

  /// The first pending service whose dependencies are satisfied, taken off the list (one
  /// the task file no longer has is dropped). An error when a dependency it needs to
  /// complete successfully did not.
  pub(crate) fn next(&mut self, config: &Config) -> Result<Option<String>> {
    self.pending.retain(|name| config.service(name).is_some());
    for index in 0..self.pending.len() {
      if self.may_start(config, &self.pending[index])? {
        return Ok(Some(self.pending.remove(index)));
      }
    }
    Ok(None)
  }

  fn may_start(&self, config: &Config, name: &str) -> Result<bool> {
    let Some(service) = config.service(name) else {
      return Ok(false);
    };
    for dependency in &service.depends_on {
      let Some(started) = self.started.iter().find(|s| s.name == dependency.service) else {
        return Ok(false);
      };
      let satisfied = match (dependency.condition, started.completed) {
        (Condition::Started, _) => true,
        (Condition::Healthy, _) => started.ready,
        (Condition::CompletedSuccessfully, Some(true)) => true,
        (Condition::CompletedSuccessfully, Some(false)) => {
          return Err(Error::Start {
            service: service.name.clone(),
            message: format!(
              "it needs {} to complete successfully, and it did not",
              dependency.service
            ),
          });
        }
        (Condition::CompletedSuccessfully, None) => false,
      };
      if !satisfied {
        return Ok(false);
      }
    }
    Ok(true)
  }

  /// A start of `name` (its keeper, when ours; `watched` when a probe will say it is
  /// ready). Returns the id its events carry.
  pub(crate) fn started(&mut self, name: &str, keeper: Option<ProcessId>, watched: bool) -> u64 {
    self.launches += 1;
    self.started.push(Started {
      name: name.to_owned(),
      launch: self.launches,
      keeper,
      ready: !watched,
      watched,
      completed: None,
    });
    self.launches
  }

  /// A service that was running when we came, taken as it is.
  pub(crate) fn running(&mut self, name: &str) {
    self.started.push(Started {
      name: name.to_owned(),
      launch: 0,
      keeper: None,
      ready: true,
      watched: false,
      completed: None,
    });
  }

  /// The start an event is about.
  pub(crate) fn launch(&mut self, launch: u64) -> Option<&mut Started> {
    self
      .started
      .iter_mut()
      .find(|s| s.launch != 0 && s.launch == launch)
  }

  /// A start that failed is forgotten and `name` waits to start again.
  pub(crate) fn again(&mut self, launch: u64, name: &str) {
    self
      .started
      .retain(|s| s.launch != launch || s.keeper.is_none());
    self.wait_for(name);
  }

  /// The latest start of `name` this run knows, if any.
  pub(crate) fn of(&mut self, name: &str) -> Option<&mut Started> {
    self.started.iter_mut().rev().find(|s| s.name == name)
  }

  /// Whether `dev up -d` may return: nothing left to start, nothing still becoming ready.
  pub(crate) fn settled(&self) -> bool {
    self.pending.is_empty()
      && !self
        .started
        .iter()
        .any(|s| s.watched && !s.ready && s.completed.is_none())
  }

  /// Whether a foreground run is over: no keeper of ours is left, and nothing is left to
  /// start (or we are stopping).
  pub(crate) fn over(&self, stopping: bool) -> bool {
    let live = self
      .started
      .iter()
      .any(|s| s.keeper.is_some() && s.completed.is_none());
    !live && (stopping || self.pending.is_empty())
  }

  /// Every keeper of ours, with its service's name.
  pub(crate) fn keepers(&self) -> impl Iterator<Item = (&str, ProcessId)> {
    self
      .started
      .iter()
      .filter_map(|s| Some((s.name.as_str(), s.keeper?)))
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::config::Config;

  fn config(yaml: &str) -> Config {
    Config::parse(
      std::path::PathBuf::from("/p/devtasks.yaml"),
      yaml.to_owned(),
    )
    .unwrap()
  }

  fn names(schedule: &mut Schedule, config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(name) = schedule.next(config).unwrap() {
      out.push(name);
    }
    out
  }

  const CHAIN: &str = "services:
  db: { run: x }
  migrate: { run: x, depends_on: { db: healthy } }
  api: { run: x, depends_on: { migrate: completed_successfully } }
  web: { run: x, depends_on: [api] }
";

  #[test]
  fn each_condition_holds_its_dependent_back_until_it_is_met() {
    let config = config(CHAIN);
    let mut schedule = Schedule::new();
    for service in &config.services {
      schedule.wait_for(&service.name);
    }
    assert_eq!(names(&mut schedule, &config), ["db"]);
    let db = schedule.started("db", Some(ProcessId::gone(10)), true);
    assert_eq!(
      names(&mut schedule, &config),
      Vec::<String>::new(),
      "db is not ready yet"
    );
    schedule.launch(db).unwrap().ready = true;
    assert_eq!(names(&mut schedule, &config), ["migrate"]);
    let migrate = schedule.started("migrate", Some(ProcessId::gone(11)), false);
    assert!(
      names(&mut schedule, &config).is_empty(),
      "migrate has not completed"
    );
    schedule.launch(migrate).unwrap().completed = Some(true);
    assert_eq!(names(&mut schedule, &config), ["api"]);
    schedule.started("api", Some(ProcessId::gone(12)), false);
    // `started` needs no more than a start.
    assert_eq!(names(&mut schedule, &config), ["web"]);
  }

  #[test]
  fn a_dependency_that_did_not_complete_successfully_fails_its_dependent() {
    let config = config(CHAIN);
    let mut schedule = Schedule::new();
    schedule.wait_for("api");
    let migrate = schedule.started("migrate", None, false);
    schedule.launch(migrate).unwrap().completed = Some(false);
    let error = schedule.next(&config).unwrap_err().to_string();
    assert!(
      error.contains("needs migrate to complete successfully"),
      "{error}"
    );
  }

  #[test]
  fn up_detached_returns_only_once_everything_watched_is_ready_or_over() {
    let config = config(CHAIN);
    let mut schedule = Schedule::new();
    schedule.wait_for("db");
    assert!(!schedule.settled(), "db is still to start");
    schedule.next(&config).unwrap();
    let db = schedule.started("db", Some(ProcessId::gone(10)), true);
    assert!(!schedule.settled(), "db is becoming ready");
    schedule.launch(db).unwrap().completed = Some(false);
    assert!(schedule.settled(), "db ended: nothing more to wait for");
    assert!(schedule.over(false));
  }

  #[test]
  fn a_foreground_run_lasts_while_a_keeper_of_ours_lives() {
    let mut schedule = Schedule::new();
    schedule.running("db");
    assert!(
      schedule.over(false),
      "one found running is not ours to wait for"
    );
    let api = schedule.started("api", Some(ProcessId::gone(12)), false);
    assert!(!schedule.over(false));
    schedule.launch(api).unwrap().completed = Some(true);
    assert!(schedule.over(false));
    assert_eq!(schedule.keepers().count(), 1);
  }

  #[test]
  fn a_start_tried_again_is_forgotten_and_waits_anew() {
    let config = config(CHAIN);
    let mut schedule = Schedule::new();
    let first = schedule.started("db", Some(ProcessId::gone(10)), true);
    schedule.again(first, "db");
    assert!(
      schedule.launch(first).is_none(),
      "events of the old start are ignored"
    );
    assert_eq!(names(&mut schedule, &config), ["db"]);
  }

  #[test]
  fn a_start_tried_again_leaves_the_other_starts_alone() {
    let mut schedule = Schedule::new();
    let db = schedule.started("db", Some(ProcessId::gone(10)), true);
    let api = schedule.started("api", Some(ProcessId::gone(11)), true);
    schedule.again(api, "api");
    assert!(schedule.launch(db).is_some(), "db's start is still known");
    assert!(schedule.launch(api).is_none());
  }

  #[test]
  fn one_found_running_is_ready_for_its_dependents_and_known_by_name() {
    let config = config(CHAIN);
    let mut schedule = Schedule::new();
    schedule.running("db");
    schedule.wait_for("migrate");
    schedule.wait_for("migrate");
    assert_eq!(names(&mut schedule, &config), ["migrate"], "once, at once");
    assert!(schedule.launch(0).is_none(), "a running one has no events");
    let db = schedule.of("db").expect("known by name");
    assert_eq!((db.launch, db.ready, db.keeper), (0, true, None));
    assert!(schedule.of("web").is_none());
  }

  #[test]
  fn the_latest_start_of_a_name_is_the_one_known() {
    let mut schedule = Schedule::new();
    schedule.started("db", Some(ProcessId::gone(10)), true);
    let second = schedule.started("db", Some(ProcessId::gone(11)), true);
    assert_eq!(schedule.of("db").unwrap().launch, second);
  }

  #[test]
  fn stopping_ends_a_foreground_run_with_services_still_to_start() {
    let mut schedule = Schedule::new();
    schedule.wait_for("db");
    assert!(!schedule.over(false), "db is still to start");
    assert!(schedule.over(true));
  }
}
