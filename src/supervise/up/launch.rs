//! Starting one service: choose its ports, write its keeper's spec, start the keeper, hand
//! its ports over in the machine's ledger, and watch it become ready.

use std::{
  io::BufReader,
  process::{Child, ChildStdout},
  thread,
};

use super::{
  Run, UpEvent,
  relay::{relay_output, spawn_keeper},
};
use crate::{
  config::Service,
  error::{Error, Result},
  plan,
  ports::{
    allocate::{Allocation, allocate},
    ledger::Ledger,
  },
  project::Project,
  state::ServiceState,
  supervise::{
    keeper::Handshake,
    probe::Check,
    readiness::{Verdict, wait_ready},
    spec::KeeperSpec,
  },
  sys::ProcessId,
  ui::{format::port_list, output::Prefixer},
};

impl<'a> Run<'a> {
  /// Starts every pending service whose dependencies are satisfied, in order.
  pub(super) fn start_what_may_start(&mut self) -> Result<()> {
    while let Some(name) = self.schedule.next(&self.project.config)? {
      let service = self.project.config.service(&name).cloned();
      if let Some(service) = service {
        crate::test_hook::delay("DEV_TEST_LAUNCH_DELAY_MS");
        // Held until the keeper's state is written: a `dev stop` either sees it or is seen.
        let _starting = self.stops.starting();
        self.heed_stops(Some(&name))?;
        self.launch(&service)?;
      }
    }
    Ok(())
  }

  /// An error when a `dev stop` since this run began stopped the service about to start or
  /// one it depends on (`None`: any of this run's): the stop wins over what is still being
  /// started. A stop of an unrelated service (then an edit that adds one, in the
  /// foreground) stops nothing more.
  pub(super) fn heed_stops(&self, next: Option<&str>) -> Result<()> {
    let concerned: Vec<String> = match next {
      Some(name) => plan::start_order(&self.project.config, &[name.to_owned()])
        .into_iter()
        .map(|service| service.name.clone())
        .collect(),
      None => self.order.clone(),
    };
    match self.stops.stopped(&concerned) {
      None => Ok(()),
      Some(what) => Err(Error::StoppedWhileStarting {
        not_started: next.map(str::to_owned),
        what,
      }),
    }
  }

  fn launch(&mut self, service: &Service) -> Result<()> {
    let project = &self.project;
    // Force frees ports for the services named, not for dependencies started along.
    let force = self.start.force && (self.names.is_empty() || self.names.contains(&service.name));
    let avoid = self
      .retries
      .get(&service.name)
      .map(|(_, avoid)| avoid.clone())
      .unwrap_or_default();
    let how = Allocation {
      force,
      avoid: &avoid,
      restarting: false,
    };
    let chosen = allocate(project, service, &self.start.overrides, how)?;
    if !chosen.is_empty() {
      // After the claim: a proxy that started now sees a project using it.
      crate::proxy::ensure(project.report);
    }
    self.ports.insert(service.name.clone(), chosen);
    let mut spec = plan::keeper_spec(&project.config, service, &self.ports, self.supervisor)?;
    spec.watch_override = self.start.watch;
    if self.start.tied {
      spec.dies_with = ProcessId::of(std::process::id());
    }
    project.state.write_spec(
      &service.name,
      &serde_json::to_vec_pretty(&spec).unwrap_or_default(),
    )?;
    let (child, stdout, pid) = start_keeper(project, &service.name, &spec, self.start.detach)?;
    project.report.step(&format!(
      "{} started (pid {pid}{}) → {}",
      service.name,
      ports_phrase(&spec.ports),
      project.report.path(&spec.log)
    ));
    let keeper = ProcessId::of(child.id()).unwrap_or(ProcessId::gone(child.id()));
    let prefixer = (!self.start.detach).then(|| {
      Prefixer::new(
        project.color,
        &service.name,
        project.config.service_index(&service.name),
        self.width,
      )
    });
    let check = Check::new(service, &spec, &self.ports, Some(keeper));
    let launch = self
      .schedule
      .started(&service.name, Some(keeper), check.is_some());
    relay_output(launch, child, stdout, prefixer, self.sender.clone());
    if let Some(check) = check {
      self.watch(launch, check);
    }
    Ok(())
  }

  /// A service that was running when we came, awaited healthy for a dependent: its probe
  /// runs as after a start. It is not ours to stop.
  pub(super) fn watch_running(&mut self, name: &str, state: &ServiceState) -> Result<()> {
    let Some(service) = self.project.config.service(name) else {
      return Ok(());
    };
    let spec = KeeperSpec::read(&self.project.state, name)
      .or_else(|_| plan::keeper_spec(&self.project.config, service, &self.ports, None))?;
    let check = Check::new(service, &spec, &self.ports, Some(state.keeper));
    let launch = self.schedule.started(name, None, check.is_some());
    if let Some(check) = check {
      self.watch(launch, check);
    }
    Ok(())
  }

  /// Waits for a launch to be ready in a thread of its own, and says how it went.
  fn watch(&self, launch: u64, check: Check) {
    self.watch_after(launch, check, None);
  }

  /// `watch`, after a restart: once the service's state counts more than `restarts`.
  pub(super) fn watch_after(&self, launch: u64, check: Check, restarts: Option<u32>) {
    let (state, report) = (self.project.state.clone(), self.project.report);
    let (sender, cancel) = (self.sender.clone(), self.cancel.clone());
    let name = check.service.clone();
    thread::spawn(move || {
      crate::test_hook::delay("DEV_TEST_READINESS_DELAY_MS");
      if let Some(restarts) = restarts {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while state
          .read(&name)
          .is_some_and(|now| now.restarts <= restarts)
          && std::time::Instant::now() < deadline
        {
          thread::sleep(std::time::Duration::from_millis(5));
        }
      }
      let event = match wait_ready(&check, &state, report, &cancel) {
        Verdict::Ready(after) => UpEvent::Ready(launch, after, check.url()),
        Verdict::TimedOut(tries, last) => UpEvent::TimedOut(launch, tries, last, check.target()),
        // A keeper's exit is reported by its relay, with how it ended; one we did not
        // start has no relay.
        Verdict::Gone => UpEvent::Gone(launch),
        Verdict::Cancelled => return,
      };
      let _ = sender.send(event);
    });
  }
}

/// Starts the keeper and reads its handshake: the service's pid, or why it did not start.
/// From then on the keeper owns the claim on the service's ports; a start that failed gives
/// it up.
fn start_keeper(
  project: &Project,
  name: &str,
  spec: &KeeperSpec,
  detach: bool,
) -> Result<(Child, BufReader<ChildStdout>, u32)> {
  let spawned = spawn_keeper(project, name, detach);
  let started = match &spawned {
    Ok((child, _, Handshake::Started { .. })) => ProcessId::of(child.id()),
    _ => None,
  };
  claim_for_keeper(project, name, started, &spec.ports);
  let (child, stdout, handshake) = spawned?;
  match handshake {
    Handshake::Started { pid } => Ok((child, stdout, pid)),
    Handshake::Busy => Err(match project.state.read(name) {
      Some(state) => state.already_running(),
      None => Error::Start {
        service: name.to_owned(),
        message: "another dev is starting it right now".into(),
      },
    }),
    Handshake::Failed { message } => Err(Error::Start {
      service: name.to_owned(),
      message,
    }),
  }
}

/// ", port 8000" or ", ports http 8000, admin 8001"; nothing for a service without ports.
fn ports_phrase(ports: &[(String, u16)]) -> String {
  let noun = if ports.len() == 1 { "port" } else { "ports" };
  port_list(ports.iter().map(|(name, port)| (name.as_str(), *port)))
    .map(|list| format!(", {noun} {list}"))
    .unwrap_or_default()
}

/// Hands the claim on the service's ports over to its keeper, or gives it up when the start
/// failed. The ledger is only a guard against two starts choosing one port: a failure here
/// is said, not fatal.
pub(crate) fn claim_for_keeper(
  project: &Project,
  service: &str,
  keeper: Option<ProcessId>,
  ports: &[(String, u16)],
) {
  let ports: Vec<u16> = ports.iter().map(|(_, port)| *port).collect();
  let result = Ledger::open().and_then(|mut ledger| match keeper {
    Some(keeper) => ledger.hand_over(
      (project.id, &project.config.root, &project.url_name()),
      service,
      keeper,
      &ports,
    ),
    None => ledger.release(project.id, service),
  });
  if let Err(error) = result {
    project.report.warning(&format!(
      "{service}: the machine's port ledger was not updated: {error}"
    ));
  }
}
