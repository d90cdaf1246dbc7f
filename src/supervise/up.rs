//! `dev up`: start services through their keepers as their dependencies allow (`started`
//! at once, `healthy` once ready, `completed_successfully` once exited 0), watch each one
//! become ready, and in the foreground show their output with prefixes and stop them all on
//! Ctrl+C, SIGTERM or SIGHUP, or when one fails.

use std::{
  collections::HashMap,
  env,
  io::{BufRead, BufReader},
  process::{Child, ChildStdout, Command, Stdio},
  sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
    mpsc::{self, Receiver, Sender},
  },
  thread,
  time::Duration,
};

use crate::{
  config::{Condition, Service},
  error::{Error, NotReadyWhy, Result},
  plan::{self, PortMap, PortOverrides},
  ports::{
    allocate::{Allocation, allocate},
    holders,
    ledger::Ledger,
  },
  project::Project,
  state::{Liveness, ServiceState},
  supervise::log_tail::run_tail,
  supervise::{
    keeper::{EXIT_SERVICE_ENDED, Handshake},
    preflight,
    probe::{Check, Outcome},
    readiness::{TAIL_LINES, Verdict, wait_ready},
  },
  sys::{self, ExitStatus, ProcessId, Signal},
  ui::{
    format::{elapsed, status_text},
    output::Prefixer,
  },
};

/// How to start: in the background or not, whether to stop foreign port holders, and
/// ports fixed on the command line.
pub(crate) struct Start {
  pub(crate) detach: bool,
  pub(crate) force: bool,
  pub(crate) overrides: PortOverrides,
  /// Open every ready service's URL (`--open`), besides those with `open: true`.
  pub(crate) open: bool,
  /// Detached for a task's `needs:`: no "running in the background" line.
  pub(crate) quiet: bool,
}

/// A service this `dev` started or found running.
struct Started {
  name: String,
  /// Tells this start's events from those of an earlier start of the same service.
  launch: u64,
  /// `None` for a service that was already running when we came.
  keeper: Option<ProcessId>,
  ready: bool,
  /// Whether a readiness watcher will report on it.
  watched: bool,
  /// Set when its keeper ended: `Some(true)` when the service exited with code 0.
  completed: Option<bool>,
}

enum UpEvent {
  Signal,
  /// The keeper of a launch exited with this code.
  Ended(u64, i32),
  /// A launch is ready: after how long, and where users reach it.
  Ready(u64, Duration, Option<String>),
  /// A launch's probe did not pass in time: how many ran, the last answer, what was probed.
  TimedOut(u64, u32, Outcome, String),
  /// A launch's keeper ended while it was awaited.
  Gone(u64),
}

/// Everything one `dev up` tracks while it runs.
struct Run<'a> {
  project: &'a Project,
  start: &'a Start,
  names: &'a [String],
  pending: Vec<&'a Service>,
  started: Vec<Started>,
  ports: PortMap,
  supervisor: Option<ProcessId>,
  width: usize,
  sender: Sender<UpEvent>,
  cancel: Arc<AtomicBool>,
  launches: u64,
  /// Starts that died because their port was taken meanwhile: how many, and the ports to
  /// avoid next time.
  retries: HashMap<String, (u32, Vec<u16>)>,
}

pub(crate) fn up(project: &Project, names: &[String], start: &Start) -> Result<()> {
  let order = plan::start_order(&project.config, names);
  if order.is_empty() {
    project
      .report
      .warning("devtasks.yaml defines no services to start");
    return Ok(());
  }
  preflight::check(project)?;
  // Listen before anything starts, so a Ctrl+C during start-up is not lost.
  let signals = sys::listen_for_signals(&[Signal::Int, Signal::Term, Signal::Hup])
    .map_err(Error::io("cannot install signal handlers"))?;
  let (sender, events) = mpsc::channel();
  let signal_sender = sender.clone();
  thread::spawn(move || {
    for _ in signals {
      if signal_sender.send(UpEvent::Signal).is_err() {
        break;
      }
    }
  });
  let mut run = Run {
    project,
    start,
    names,
    pending: Vec::new(),
    started: Vec::new(),
    ports: plan::known_ports(&project.config, &project.state, &start.overrides),
    supervisor: if start.detach {
      None
    } else {
      ProcessId::of(std::process::id())
    },
    width: order.iter().map(|s| s.name.len()).max().unwrap_or(0),
    sender,
    cancel: Arc::new(AtomicBool::new(false)),
    launches: 0,
    retries: HashMap::new(),
  };
  let awaited_healthy = |name: &str| {
    order.iter().any(|other| {
      other
        .depends_on
        .iter()
        .any(|d| d.service == name && d.condition == Condition::Healthy)
    })
  };
  for service in &order {
    let Some(Liveness::Running(state)) = project.check(&service.name) else {
      run.pending.push(service);
      continue;
    };
    if names.contains(&service.name) || names.is_empty() {
      return Err(state.already_running());
    }
    // Running is not healthy: a dependent that needs it healthy waits for its probe.
    let pid = state.process.map_or(0, |p| p.pid);
    if awaited_healthy(&service.name) {
      project.report.step(&format!(
        "{} is already running (pid {pid}); waiting until it is healthy",
        service.name
      ));
      run.watch_running(service, &state)?;
    } else {
      project.report.step(&format!(
        "{} is already running (pid {pid}), using it",
        service.name
      ));
      run.started.push(Started {
        name: service.name.clone(),
        launch: 0,
        keeper: None,
        ready: true,
        watched: false,
        completed: None,
      });
    }
  }
  let result = run.drive(&events);
  run.cancel.store(true, Ordering::Relaxed);
  result
}

impl Run<'_> {
  /// The event loop: start what may start, then wait for the next thing to happen.
  fn drive(&mut self, events: &Receiver<UpEvent>) -> Result<()> {
    let mut stopping = false;
    let mut failure: Option<Error> = None;
    loop {
      if !stopping && let Err(error) = self.start_what_may_start() {
        self.report_stopping();
        self.stop_all();
        return Err(error);
      }
      let becoming_ready = self
        .started
        .iter()
        .any(|s| s.watched && !s.ready && s.completed.is_none());
      if self.start.detach && !stopping && self.pending.is_empty() && !becoming_ready {
        if !self.start.quiet {
          self.project.report.success(
            "running in the background; `dev status` to see them, `dev stop` to stop them",
          );
        }
        return Ok(());
      }
      let live = self
        .started
        .iter()
        .any(|s| s.keeper.is_some() && s.completed.is_none());
      if !live && (stopping || self.pending.is_empty()) {
        break;
      }
      let Ok(event) = events.recv() else { break };
      match event {
        UpEvent::Signal => {
          self.cancel.store(true, Ordering::Relaxed);
          if stopping {
            self.project.report.step("stopping now (SIGKILL)");
          } else {
            self.report_stopping();
            stopping = true;
          }
          // A second request makes every keeper skip its grace period.
          self.stop_all();
          if self.start.detach {
            return Err(Error::Interrupted);
          }
          failure.get_or_insert(Error::Interrupted);
        }
        UpEvent::Ready(launch, after, url) => {
          let Some(service) = self.launch_mut(launch).filter(|s| s.completed.is_none()) else {
            continue;
          };
          service.ready = true;
          let name = service.name.clone();
          let place = url
            .as_ref()
            .map(|url| format!(" on {url}"))
            .unwrap_or_default();
          self
            .project
            .report
            .success(&format!("{name} ready{place} ({})", elapsed(after)));
          let wants_open = self.start.open
            || self
              .project
              .config
              .service(&name)
              .is_some_and(|service| service.open);
          if let (true, Some(url)) = (wants_open, url) {
            open_browser(&url, self.project.report);
          }
        }
        UpEvent::TimedOut(launch, tries, last, target) => {
          let Some(error) = self.timed_out(launch, tries, &last, &target) else {
            continue;
          };
          if !stopping {
            self.report_stopping();
            stopping = true;
            self.stop_all();
          }
          if self.start.detach {
            return Err(error);
          }
          failure.get_or_insert(error);
        }
        UpEvent::Gone(launch) => {
          let Some(error) = self.gone(launch) else {
            continue;
          };
          if !stopping {
            self.report_stopping();
            stopping = true;
            self.stop_all();
          }
          if self.start.detach {
            return Err(error);
          }
          failure.get_or_insert(error);
        }
        UpEvent::Ended(launch, code) => {
          if let Some(error) = self.ended(launch, code, stopping) {
            if !stopping {
              self.report_stopping();
              stopping = true;
              self.stop_all();
            }
            failure.get_or_insert(error);
          }
        }
      }
    }
    match failure {
      Some(Error::Interrupted) if !self.start.detach => Ok(()),
      Some(error) => Err(error),
      None => Ok(()),
    }
  }

  /// Starts every pending service whose dependencies are satisfied, in order.
  fn start_what_may_start(&mut self) -> Result<()> {
    let mut index = 0;
    while index < self.pending.len() {
      let service = self.pending[index];
      if self.may_start(service)? {
        self.pending.remove(index);
        self.launch(service)?;
      } else {
        index += 1;
      }
    }
    Ok(())
  }

  fn may_start(&self, service: &Service) -> Result<bool> {
    for dependency in &service.depends_on {
      let Some(started) = self.started.iter().find(|s| s.name == dependency.service) else {
        return Ok(false);
      };
      let satisfied = match dependency.condition {
        Condition::Started => true,
        Condition::Healthy => started.ready,
        Condition::CompletedSuccessfully => match started.completed {
          Some(true) => true,
          Some(false) => {
            return Err(Error::Start {
              service: service.name.clone(),
              message: format!(
                "it needs {} to complete successfully, and it did not",
                dependency.service
              ),
            });
          }
          None => false,
        },
      };
      if !satisfied {
        return Ok(false);
      }
    }
    Ok(true)
  }

  fn launch(&mut self, service: &Service) -> Result<()> {
    let project = self.project;
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
    self.ports.insert(service.name.clone(), chosen);
    let spec = plan::keeper_spec(&project.config, service, &self.ports, self.supervisor)?;
    project.state.write_spec(
      &service.name,
      &serde_json::to_vec_pretty(&spec).unwrap_or_default(),
    )?;
    let spawned = spawn_keeper(project, &service.name, self.start.detach);
    let started = match &spawned {
      Ok((child, _, Handshake::Started { .. })) => ProcessId::of(child.id()),
      _ => None,
    };
    // The keeper owns the claim on its ports from now on; a start that failed gives it up.
    claim_for_keeper(project, &service.name, started, &spec.ports);
    let (child, stdout, handshake) = spawned?;
    let pid = match handshake {
      Handshake::Started { pid } => pid,
      Handshake::Busy => {
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
    let port_text = crate::ui::format::port_list(spec.ports.iter().map(|(n, p)| (n.as_str(), *p)))
      .map(|list| {
        let noun = if spec.ports.len() == 1 {
          "port"
        } else {
          "ports"
        };
        format!(", {noun} {list}")
      })
      .unwrap_or_default();
    project.report.step(&format!(
      "{} started (pid {pid}{port_text}) → {}",
      service.name,
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
    self.launches += 1;
    let launch = self.launches;
    relay_output(launch, child, stdout, prefixer, self.sender.clone());
    let check = Check::new(service, &spec, &self.ports, Some(keeper));
    self.started.push(Started {
      name: service.name.clone(),
      launch,
      keeper: Some(keeper),
      ready: check.is_none(),
      watched: check.is_some(),
      completed: None,
    });
    if let Some(check) = check {
      self.watch(launch, check);
    }
    Ok(())
  }

  /// A service that was running when we came, awaited healthy for a dependent: its probe
  /// runs as after a start. It is not ours to stop.
  fn watch_running(&mut self, service: &Service, state: &ServiceState) -> Result<()> {
    let spec = crate::supervise::spec::KeeperSpec::read(&self.project.state, &service.name)
      .or_else(|_| plan::keeper_spec(&self.project.config, service, &self.ports, None))?;
    self.launches += 1;
    let launch = self.launches;
    let check = Check::new(service, &spec, &self.ports, Some(state.keeper));
    self.started.push(Started {
      name: service.name.clone(),
      launch,
      keeper: None,
      ready: check.is_none(),
      watched: check.is_some(),
      completed: None,
    });
    if let Some(check) = check {
      self.watch(launch, check);
    }
    Ok(())
  }

  /// Waits for a launch to be ready in a thread of its own, and says how it went.
  fn watch(&self, launch: u64, check: Check) {
    let (state, report) = (self.project.state.clone(), self.project.report);
    let (sender, cancel) = (self.sender.clone(), self.cancel.clone());
    thread::spawn(move || {
      test_hook_delay("DEV_TEST_READINESS_DELAY_MS");
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

  fn launch_mut(&mut self, launch: u64) -> Option<&mut Started> {
    self
      .started
      .iter_mut()
      .find(|s| s.launch != 0 && s.launch == launch)
  }

  /// A launch whose probe never passed: said, and the failure it means.
  fn timed_out(&mut self, launch: u64, tries: u32, last: &Outcome, target: &str) -> Option<Error> {
    let service = self.launch_mut(launch).filter(|s| s.completed.is_none())?;
    service.completed = Some(false);
    let name = service.name.clone();
    let deadline = self
      .project
      .config
      .service(&name)
      .and_then(|s| s.health.as_ref())
      .map_or(Duration::ZERO, |h| h.start_timeout);
    let reason = format!(
      "was not ready after {}: {target} → {} ({})",
      elapsed(deadline),
      last.detail,
      crate::ui::format::count(tries as usize, "probe", "probes")
    );
    if !self.start.detach {
      self.project.report.failure(&format!("{name} {reason}"));
    }
    Some(Error::NotReady {
      service: name,
      reason,
      why: NotReadyWhy::TimedOut,
    })
  }

  /// The keeper of a service that was running when we came ended while a dependent waited
  /// for it. (For the keepers we started, their relay's `Ended` says how.)
  fn gone(&mut self, launch: u64) -> Option<Error> {
    let service = self
      .launch_mut(launch)
      .filter(|s| s.keeper.is_none() && s.completed.is_none())?;
    service.completed = Some(false);
    Some(Error::NotReady {
      service: service.name.clone(),
      reason: "stopped while a dependent waited for it to be healthy".into(),
      why: NotReadyWhy::Stopped,
    })
  }

  /// A keeper ended: the one place that decides what a service's end means — before it was
  /// ready (whatever the readiness watcher was doing at that moment), after, or on request.
  fn ended(&mut self, launch: u64, code: i32, stopping: bool) -> Option<Error> {
    let detach = self.start.detach;
    let project = self.project;
    let recorded = project.state.read(&self.launch_mut(launch)?.name);
    let awaited_completion = {
      let name = &self.launch_mut(launch)?.name;
      project.config.services.iter().any(|s| {
        s.depends_on
          .iter()
          .any(|d| &d.service == name && d.condition == Condition::CompletedSuccessfully)
      })
    };
    let service = self.launch_mut(launch)?;
    let name = service.name.clone();
    let before_ready = service.watched && !service.ready && service.completed.is_none();
    let exit = recorded.as_ref().and_then(|state| state.exit);
    match (code, exit) {
      (EXIT_SERVICE_ENDED, Some(exit)) if !stopping => {
        let status = exit.status();
        service.completed = Some(status == ExitStatus::Code(0));
        if before_ready && !(status == ExitStatus::Code(0) && awaited_completion) {
          service.completed = Some(false);
          if self.retry_elsewhere(launch, &log_of(project, &name, recorded.as_ref())) {
            return None;
          }
          let service = self.launch_mut(launch)?;
          let name = service.name.clone();
          // The state file stays: `dev status` shows how the start failed.
          let reason = format!("{} before it was ready", status_text(status));
          if !detach {
            project.report.failure(&format!("{name} {reason}"));
          }
          let log = log_of(project, &name, recorded.as_ref());
          let tail = run_tail(&log, TAIL_LINES);
          if !tail.is_empty() {
            let header = format!(
              "last {} of its output ({}):",
              crate::ui::format::count(tail.len(), "line", "lines"),
              project.report.path(&log)
            );
            project.report.details(&header, &tail);
          }
          return Some(Error::NotReady {
            service: name,
            reason,
            why: NotReadyWhy::Exited,
          });
        }
        project.state.remove(&name);
        if status == ExitStatus::Code(0) {
          project
            .report
            .stopped(&format!("{name} exited with code 0"));
          None
        } else {
          let why = recorded
            .and_then(|state| state.last_failure)
            .unwrap_or_else(|| status_text(status));
          project.report.failure(&format!("{name} {why}"));
          Some(Error::ServiceFailed {
            service: name,
            status,
          })
        }
      }
      _ if before_ready && !stopping => {
        service.completed = Some(false);
        Some(Error::NotReady {
          service: name,
          reason: "was stopped before it was ready (by `dev stop` or a signal to its keeper)"
            .into(),
          why: NotReadyWhy::Stopped,
        })
      }
      _ => {
        service.completed = Some(false);
        if !detach {
          project.report.stopped(&format!("{name} stopped"));
        }
        None
      }
    }
  }

  /// A start that died because one of its ports was taken meanwhile (another checkout, a
  /// server started by hand) goes again on the next free candidate, up to three times, when
  /// the port has a `fallback:`. True when it will.
  fn retry_elsewhere(&mut self, launch: u64, log: &std::path::Path) -> bool {
    const TRIES: u32 = 3;
    let project = self.project;
    let Some(name) = self.launch_mut(launch).map(|s| s.name.clone()) else {
      return false;
    };
    let Some(service) = project.config.service(&name) else {
      return false;
    };
    let ours: Vec<(String, u16)> = self.ports.get(&name).cloned().unwrap_or_default();
    let movable = |port: u16| {
      service.ports.iter().zip(&ours).any(|(spec, (_, chosen))| {
        *chosen == port && spec.fallback != crate::config::Fallback::None
      })
    };
    // Held now by someone (the service is gone, so not by it); or the log says so.
    let held: Vec<u16> = ours
      .iter()
      .map(|(_, port)| *port)
      .filter(|port| holders::inspect(*port, &[]).status == holders::PortStatus::Listening)
      .collect();
    let taken = if held.is_empty() && said_address_in_use(&run_tail(log, TAIL_LINES)) {
      ours
        .first()
        .map(|(_, port)| vec![*port])
        .unwrap_or_default()
    } else {
      held
    };
    if taken.is_empty() || !taken.iter().all(|port| movable(*port)) {
      return false;
    }
    let (count, avoid) = self.retries.entry(name.clone()).or_default();
    if *count >= TRIES {
      return false;
    }
    *count += 1;
    avoid.extend(&taken);
    let list: Vec<String> = taken.iter().map(u16::to_string).collect();
    project.report.step(&format!(
      "{name}: port {} was taken while it started; trying another ({count} of {TRIES})",
      list.join(", ")
    ));
    project.state.remove(&name);
    self
      .started
      .retain(|s| s.launch != launch || s.keeper.is_none());
    self.pending.push(service);
    true
  }

  fn report_stopping(&self) {
    let live: Vec<&str> = self
      .started
      .iter()
      .filter(|s| s.keeper.is_some_and(ProcessId::is_alive))
      .map(|s| s.name.as_str())
      .collect();
    if !live.is_empty() {
      self
        .project
        .report
        .step(&format!("stopping {}…", live.join(", ")));
    }
  }

  /// Every keeper this `dev` started, stopped; waits for them (bounded), so that a failed
  /// start never leaves its first half running.
  fn stop_all(&self) {
    let keepers: Vec<ProcessId> = self.started.iter().filter_map(|s| s.keeper).collect();
    for keeper in &keepers {
      if keeper.is_alive() {
        let _ = sys::signal_process(keeper.pid, Signal::Term);
      }
    }
    if self.start.detach {
      for keeper in &keepers {
        sys::wait_for_exit(*keeper, Duration::from_secs(60));
      }
    }
  }
}

/// Where a service's output went.
fn log_of(
  project: &Project,
  name: &str,
  recorded: Option<&crate::state::ServiceState>,
) -> std::path::PathBuf {
  recorded.map_or_else(
    || project.config.log_dir.join(format!("{name}.log")),
    |state| state.log.clone(),
  )
}

/// The words servers use when their port is taken (Python, Node, Go, Ruby, Java, uvicorn).
fn said_address_in_use(lines: &[String]) -> bool {
  lines.iter().any(|line| {
    let line = line.to_ascii_lowercase();
    [
      "address already in use",
      "eaddrinuse",
      "address in use",
      "errno 98",
      "errno 48",
    ]
    .iter()
    .any(|phrase| line.contains(phrase))
  })
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
    Some(keeper) => ledger.hand_over(project.id, &project.config.root, service, keeper, &ports),
    None => ledger.release(project.id, service),
  });
  if let Err(error) = result {
    project.report.warning(&format!(
      "{service}: the machine's port ledger was not updated: {error}"
    ));
  }
}

/// Opens the URL with the platform's opener — never in CI or without a display, where a
/// browser cannot help (and must not pop up on a build machine).
fn open_browser(url: &str, report: crate::ui::output::Reporter) {
  let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
  if set("CI") {
    return;
  }
  if !sys::has_display() {
    report.step(&format!("not opening {url}: no display"));
    return;
  }
  match Command::new(sys::URL_OPENER)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
  {
    Ok(mut child) => {
      thread::spawn(move || child.wait());
      report.step(&format!("opened {url} in the browser"));
    }
    Err(error) => report.warning(&format!(
      "cannot open {url}: `{}` failed: {error}",
      sys::URL_OPENER
    )),
  }
}

/// Starts `dev __keep` in a new session and reads its handshake line.
fn spawn_keeper(
  project: &Project,
  service: &str,
  detach: bool,
) -> Result<(Child, BufReader<ChildStdout>, Handshake)> {
  let exe = env::current_exe().map_err(Error::io("cannot find the dev executable"))?;
  let mut command = Command::new(exe);
  command
    .arg("__keep")
    .arg(&project.state.path)
    .arg(service)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(if detach {
      Stdio::null()
    } else {
      Stdio::inherit()
    });
  sys::start_new_session(&mut command);
  let mut child = command.spawn().map_err(|source| Error::Spawn {
    command: "dev __keep".into(),
    source,
  })?;
  let mut stdout =
    BufReader::with_capacity(256 * 1024, child.stdout.take().expect("stdout is piped"));
  let mut line = String::new();
  let _ = stdout.read_line(&mut line);
  let handshake = serde_json::from_str(line.trim()).unwrap_or_else(|_| Handshake::Failed {
    message: format!(
      "its keeper exited before reporting ({})",
      child.wait().map(|s| s.to_string()).unwrap_or_default()
    ),
  });
  Ok((child, stdout, handshake))
}

/// Prefixes every line the keeper forwards (none when detached); reports the keeper's exit
/// code at EOF.
fn relay_output(
  launch: u64,
  mut child: Child,
  mut stdout: BufReader<ChildStdout>,
  prefixer: Option<Prefixer>,
  events: Sender<UpEvent>,
) {
  thread::spawn(move || {
    test_hook_delay("DEV_TEST_RELAY_DELAY_MS");
    // Whole chunks of complete lines at a time: one write per chunk, not per line, so the
    // relay keeps up with a service printing hundreds of thousands of lines a second.
    let mut pending: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut view_closed = false;
    loop {
      let chunk = match stdout.fill_buf() {
        Ok([]) | Err(_) => break,
        Ok(chunk) => chunk,
      };
      pending.extend_from_slice(chunk);
      let read = chunk.len();
      stdout.consume(read);
      if let Some(last) = pending.iter().rposition(|byte| *byte == b'\n') {
        if let Some(prefixer) = &prefixer
          && let Err(error) = prefixer.lines(&pending[..last])
          && crate::ui::output::is_closed(&error)
          && !view_closed
        {
          // `dev | head`, or a terminal that is gone: as after a hang-up, stop everything.
          view_closed = true;
          let _ = events.send(UpEvent::Signal);
        }
        pending.drain(..=last);
      }
    }
    if let (false, Some(prefixer)) = (pending.is_empty(), &prefixer) {
      let _ = prefixer.line(&pending);
    }
    let code = child
      .wait()
      .ok()
      .and_then(|status| status.code())
      .unwrap_or(EXIT_SERVICE_ENDED);
    let _ = events.send(UpEvent::Ended(launch, code));
  });
}

/// Test hook: a pause (milliseconds from the named variable) that forces one interleaving of
/// two threads, so that a race is reproduced every time instead of once in a while.
fn test_hook_delay(variable: &str) {
  if let Some(millis) = env::var(variable).ok().and_then(|v| v.parse().ok()) {
    thread::sleep(Duration::from_millis(millis));
  }
}
