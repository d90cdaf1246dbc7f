//! `dev up`: start services in dependency order through their keepers; in the foreground,
//! show their output with prefixes and stop them all on Ctrl+C, SIGTERM or SIGHUP.

use std::{
  env,
  io::{BufRead, BufReader},
  process::{Child, ChildStdout, Command, Stdio},
  sync::mpsc::{self, Sender},
  thread,
};

use crate::{
  error::{Error, Result},
  format::status_text,
  keeper::{EXIT_SERVICE_ENDED, Handshake},
  output::Prefixer,
  plan::{self, PortOverrides},
  ports::allocate::{allocate, drop_reservations},
  project::Project,
  state::Liveness,
  sys::{self, ExitStatus, ProcessId, Signal},
};

/// A keeper started by this `dev`.
struct Started {
  name: String,
  keeper: ProcessId,
}

enum UpEvent {
  Signal,
  /// A keeper exited with this code.
  Ended(String, i32),
}

/// How to start: in the background or not, whether to stop foreign port holders, and
/// ports fixed on the command line.
pub(crate) struct Start {
  pub(crate) detach: bool,
  pub(crate) force: bool,
  pub(crate) overrides: PortOverrides,
}

pub(crate) fn up(project: &Project, names: &[String], start: &Start) -> Result<()> {
  let detach = start.detach;
  let order = plan::start_order(&project.config, names);
  if order.is_empty() {
    project
      .report
      .warning("devtasks.yaml defines no services to start");
    return Ok(());
  }
  project.state.ensure()?;
  // Listen before anything starts, so a Ctrl+C during start-up is not lost.
  let signals = if detach {
    None
  } else {
    Some(
      sys::listen_for_signals(&[Signal::Int, Signal::Term, Signal::Hup])
        .map_err(Error::io("cannot install signal handlers"))?,
    )
  };
  let supervisor = if detach {
    None
  } else {
    ProcessId::of(std::process::id())
  };
  let width = order.iter().map(|s| s.name.len()).max().unwrap_or(0);
  let (sender, events) = mpsc::channel();

  let mut ports = plan::known_ports(&project.config, &project.state, &start.overrides);
  let mut started: Vec<Started> = Vec::new();
  for service in &order {
    if let Some(Liveness::Running(state)) = project.check(&service.name) {
      let error = Error::already_running(&state);
      if names.contains(&service.name) || names.is_empty() {
        stop_started(&started);
        return Err(error);
      }
      project.report.step(&format!(
        "{} is already running (pid {}), using it",
        service.name,
        state.process.map_or(0, |p| p.pid)
      ));
      continue;
    }
    // Force frees ports for the services named, not for dependencies started along.
    let force = start.force && (names.is_empty() || names.contains(&service.name));
    match allocate(project, service, &start.overrides, force) {
      Ok(chosen) => ports.insert(service.name.clone(), chosen),
      Err(error) => {
        stop_started(&started);
        return Err(error);
      }
    };
    let spec = plan::keeper_spec(&project.config, service, &ports, supervisor);
    project.state.write_spec(
      &service.name,
      &serde_json::to_vec_pretty(&spec).unwrap_or_default(),
    )?;
    let spawned = spawn_keeper(project, &service.name, detach);
    // Started or not, the state file now speaks for these ports.
    drop_reservations(&project.state, &service.name);
    let (child, stdout, handshake) = match spawned {
      Ok(spawned) => spawned,
      Err(error) => {
        stop_started(&started);
        return Err(error);
      }
    };
    let pid = match handshake {
      Handshake::Started { pid } => pid,
      Handshake::Busy => {
        stop_started(&started);
        return Err(match project.state.read(&service.name) {
          Some(state) => Error::already_running(&state),
          None => Error::Start {
            service: service.name.clone(),
            message: "another dev is starting it right now".into(),
          },
        });
      }
      Handshake::Failed { message } => {
        stop_started(&started);
        return Err(Error::Start {
          service: service.name.clone(),
          message,
        });
      }
    };
    let port_text = match spec.ports.as_slice() {
      [] => String::new(),
      [(_, port)] => format!(", port {port}"),
      many => format!(
        ", ports {}",
        many
          .iter()
          .map(|(name, port)| format!("{name} {port}"))
          .collect::<Vec<_>>()
          .join(", ")
      ),
    };
    project.report.step(&format!(
      "{} started (pid {pid}{port_text}) → {}",
      service.name,
      project.report.path(&spec.log)
    ));
    let keeper = ProcessId::of(child.id()).unwrap_or(ProcessId {
      pid: child.id(),
      start_time: 0,
    });
    started.push(Started {
      name: service.name.clone(),
      keeper,
    });
    if !detach {
      let prefixer = Prefixer::new(
        project.color,
        &service.name,
        project.config.service_index(&service.name),
        width,
      );
      relay_output(
        service.name.clone(),
        child,
        stdout,
        prefixer,
        sender.clone(),
      );
    }
  }

  let Some(signals) = signals else {
    project
      .report
      .success("running in the background; `dev status` to see them, `dev stop` to stop them");
    return Ok(());
  };
  let signal_sender = sender.clone();
  thread::spawn(move || {
    for _ in signals {
      if signal_sender.send(UpEvent::Signal).is_err() {
        break;
      }
    }
  });
  drop(sender);
  supervise(project, started, &events)
}

/// The foreground loop: wait for a signal or a service's end; stop the rest; report.
fn supervise(
  project: &Project,
  mut live: Vec<Started>,
  events: &mpsc::Receiver<UpEvent>,
) -> Result<()> {
  let mut stopping = false;
  let mut failure: Option<Error> = None;
  while !live.is_empty() {
    let Ok(event) = events.recv() else { break };
    match event {
      UpEvent::Signal => {
        if stopping {
          project.report.step("stopping now (SIGKILL)");
        } else {
          project.report.step(&format!(
            "stopping {}…",
            live
              .iter()
              .map(|s| s.name.as_str())
              .collect::<Vec<_>>()
              .join(", ")
          ));
          stopping = true;
        }
        // A second request makes every keeper skip its grace period.
        stop_started(&live);
      }
      UpEvent::Ended(name, code) => {
        live.retain(|started| started.name != name);
        let exit = project.state.read(&name).and_then(|state| state.exit);
        match (code, exit) {
          (EXIT_SERVICE_ENDED, Some(exit)) if !stopping => {
            let status = exit.status();
            if status == ExitStatus::Code(0) {
              project
                .report
                .stopped(&format!("{name} exited with code 0"));
            } else {
              project
                .report
                .failure(&format!("{name} {}", status_text(status)));
              failure.get_or_insert(Error::ServiceFailed {
                service: name.clone(),
                status,
              });
              if !live.is_empty() {
                project.report.step(&format!(
                  "stopping {}…",
                  live
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
                ));
              }
              stopping = true;
              stop_started(&live);
            }
            project.state.remove(&name);
          }
          _ => project.report.stopped(&format!("{name} stopped")),
        }
      }
    }
  }
  match failure {
    Some(error) => Err(error),
    None => Ok(()),
  }
}

fn stop_started(started: &[Started]) {
  for keeper in started {
    if keeper.keeper.is_alive() {
      let _ = sys::signal_process(keeper.keeper.pid, Signal::Term);
    }
  }
  // Detached starts that fail half-way must not leave the first half running.
  for keeper in started {
    sys::wait_for_exit(keeper.keeper, std::time::Duration::from_secs(60));
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
  let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
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

/// Prefixes every line the keeper forwards; reports the keeper's exit code at EOF.
fn relay_output(
  name: String,
  mut child: Child,
  mut stdout: BufReader<ChildStdout>,
  prefixer: Prefixer,
  events: Sender<UpEvent>,
) {
  thread::spawn(move || {
    let mut line = Vec::with_capacity(256);
    loop {
      line.clear();
      match stdout.read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => break,
        Ok(_) => {
          if line.ends_with(b"\n") {
            line.pop();
          }
          let _ = prefixer.line(&line);
        }
      }
    }
    let code = child
      .wait()
      .ok()
      .and_then(|status| status.code())
      .unwrap_or(EXIT_SERVICE_ENDED);
    let _ = events.send(UpEvent::Ended(name, code));
  });
}
