//! Starting services: for each, choose its ports, write its keeper's spec and start the
//! keeper; then, for all the keepers of that batch at once, read their handshakes, hand their
//! ports over in the machine's ledger (one transaction), and watch each become ready.
//!
//! Why batches: a keeper's start (exec, its spec, the service's fork, its state) took a few
//! milliseconds that `dev` spent waiting, one service after the other; started side by side,
//! the keepers of sixty services start in the time of a few.

use std::{
  fs::File,
  io::BufReader,
  process::{Child, ChildStdout},
  sync::mpsc::Receiver,
  thread,
};

use super::{
  Run, UpEvent,
  relay::{Keeper, handshake, relay_output, spawn_keeper_soon},
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
  state::{Liveness, ServiceState},
  supervise::{
    keeper::Handshake,
    probe::Check,
    readiness::{Verdict, wait_ready},
    spec::KeeperSpec,
  },
  sys::ProcessId,
  ui::{format::port_list, output::Prefixer},
};

/// A service's claim to hand over: its name, its keeper (`None`: the start failed, give the
/// reservation up) and its ports.
type Claim = (String, Option<ProcessId>, Vec<(String, u16)>);

/// A keeper being started (`spawn_keeper_soon`) whose handshake is still to be read.
struct Spawned {
  service: Service,
  spec: KeeperSpec,
  keeper: Receiver<Keeper>,
}

impl<'a> Run<'a> {
  /// Starts every pending service whose dependencies are satisfied, in order: those that may
  /// start now as one batch, then those that this batch let start, until none is left.
  pub(super) fn start_what_may_start(&mut self) -> Result<()> {
    loop {
      // Held until every keeper of the batch has written its state: a `dev stop` either
      // sees them or is seen.
      let mut starting: Option<Option<File>> = None;
      let mut batch = Vec::new();
      let began = self.begin_batch(&mut starting, &mut batch);
      let empty = batch.is_empty();
      // Every keeper started is heard and recorded, even after a failure, so that the
      // stop that follows reaches it.
      let finished = self.finish_batch(batch);
      drop(starting);
      began.and(finished)?;
      if empty {
        return Ok(());
      }
    }
  }

  /// Starts the keeper of each service that may start now, without waiting for any.
  ///
  /// Every port of the batch is chosen before the first fork: a trial bind open in this
  /// thread while another forks is copied into the child until it execs, and the next
  /// service's check then found its port held by `dev` itself.
  fn begin_batch(
    &mut self,
    starting: &mut Option<Option<File>>,
    batch: &mut Vec<Spawned>,
  ) -> Result<()> {
    let mut prepared = Vec::new();
    let chosen = self.prepare_batch(starting, &mut prepared);
    if chosen.is_err() {
      let claims: Vec<Claim> = prepared
        .iter()
        .map(|(service, spec)| (service.name.clone(), None, spec.ports.clone()))
        .collect();
      claim_for_keepers(&self.project, &claims);
      return chosen;
    }
    for (service, spec) in prepared {
      let project = &self.project;
      let (state, root) = (project.state.path.clone(), project.config.root.clone());
      let (name, detach) = (service.name.clone(), self.start.detach);
      let keeper = spawn_keeper_soon(state, root, name, detach);
      batch.push(Spawned {
        service,
        spec,
        keeper,
      });
    }
    Ok(())
  }

  /// The ports and spec of each service that may start now.
  fn prepare_batch(
    &mut self,
    starting: &mut Option<Option<File>>,
    prepared: &mut Vec<(Service, KeeperSpec)>,
  ) -> Result<()> {
    while let Some(name) = self.schedule.next(&self.project.config)? {
      let Some(service) = self.project.config.service(&name).cloned() else {
        continue;
      };
      crate::test_hook::delay("DEV_TEST_LAUNCH_DELAY_MS");
      starting.get_or_insert_with(|| self.stops.starting());
      self.heed_stops(Some(&name))?;
      let spec = self.prepare(&service)?;
      prepared.push((service, spec));
    }
    Ok(())
  }

  /// Reads each keeper's handshake, hands the ports of those that started over to them in
  /// one ledger transaction, and watches each; the first failure, once all are done.
  fn finish_batch(&mut self, batch: Vec<Spawned>) -> Result<()> {
    let mut heard = Vec::with_capacity(batch.len());
    for spawned in batch {
      let name = spawned.service.name.clone();
      let keeper = spawned.keeper.recv().unwrap_or_else(|_| {
        Err(Error::Start {
          service: name,
          message: "its keeper could not be started".into(),
        })
      });
      let keeper = keeper.map(|(mut child, mut stdout)| {
        let said = handshake(&mut child, &mut stdout);
        (child, stdout, said)
      });
      heard.push((spawned.service, spawned.spec, keeper));
    }
    let claims: Vec<Claim> = heard
      .iter()
      .map(|(service, spec, keeper)| {
        let keeper = match keeper {
          Ok((child, _, Handshake::Started { .. })) => ProcessId::of(child.id()),
          _ => None,
        };
        (service.name.clone(), keeper, spec.ports.clone())
      })
      .collect();
    claim_for_keepers(&self.project, &claims);
    let mut failure = None;
    for (service, spec, keeper) in heard {
      let result =
        keeper.and_then(|(child, stdout, said)| self.started(service, spec, child, stdout, said));
      if let Err(error) = result {
        failure.get_or_insert(error);
      }
    }
    failure.map_or(Ok(()), Err)
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

  /// Chooses the service's ports and writes its keeper's spec.
  fn prepare(&mut self, service: &Service) -> Result<KeeperSpec> {
    // Started by another `dev` since this run began: the process on its port is that run's
    // service, not a stale one to free, and its spec is that run's too.
    if let Some(Liveness::Running(state)) = self.project.check(&service.name) {
      self.lost_a_race = Some(service.name.clone());
      return Err(state.already_running());
    }
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
    Ok(spec)
  }

  /// A keeper has said how its start went: said in turn, and, when it started, its output
  /// relayed and its readiness watched.
  fn started(
    &mut self,
    service: Service,
    spec: KeeperSpec,
    child: Child,
    stdout: BufReader<ChildStdout>,
    said: Handshake,
  ) -> Result<()> {
    let project = &self.project;
    let pid = match said {
      Handshake::Started { pid } => pid,
      Handshake::Busy => {
        self.lost_a_race = Some(service.name.clone());
        return Err(match project.state.read(&service.name) {
          Some(state) => state.already_running(),
          None => Error::Start {
            service: service.name.clone(),
            message: "another dev is starting it right now".into(),
          },
        });
      }
      Handshake::Failed { message } => {
        return Err(Error::Start {
          service: service.name.clone(),
          message,
        });
      }
    };
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
    let check = Check::new(&service, &spec, &self.ports, Some(keeper));
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
  claim_for_keepers(project, &[(service.to_owned(), keeper, ports.to_vec())]);
}

/// `claim_for_keeper` for several services, in one transaction of the ledger.
fn claim_for_keepers(project: &Project, claims: &[Claim]) {
  if claims.is_empty() {
    return;
  }
  let result = Ledger::open().and_then(|mut ledger| {
    for (service, keeper, ports) in claims {
      let ports: Vec<u16> = ports.iter().map(|(_, port)| *port).collect();
      match keeper {
        Some(keeper) => ledger.hand_over(
          (project.id, &project.config.root, &project.url_name()),
          service,
          *keeper,
          &ports,
        )?,
        None => {
          ledger.release(project.id, service)?;
        }
      }
    }
    ledger.save()
  });
  if let Err(error) = result {
    let services: Vec<&str> = claims
      .iter()
      .map(|(service, ..)| service.as_str())
      .collect();
    project.report.warning(&format!(
      "{}: the machine's port ledger was not updated: {error}",
      services.join(", ")
    ));
  }
}
