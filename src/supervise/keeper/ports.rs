//! A restart onto ports another program took while the service was down (a crash backing
//! off, a `dev restart`): the keeper never starts a run that would die of EADDRINUSE, nor
//! lets the proxy or a probe take the other program's answers for the service's. It does what
//! `dev up` does at a start with the service's `fallback:` — another free port, claimed in
//! the machine's ledger so the proxy, `dev port` and `dev env` follow — or, with none, ends
//! with the holder named where `dev status` shows it. The other program is never stopped.

use super::Keeper;
use crate::{
  config::Config,
  error::Error,
  plan::{self, PortOverrides},
  ports::{
    allocate::{Allocation, allocate},
    is_bindable,
    ledger::Ledger,
  },
  project::Project,
  supervise::up::claim_for_keeper,
  ui::{
    color::{Color, ColorChoice},
    format::port_numbers,
    output::Reporter,
  },
};

impl Keeper {
  /// Before a new run: `Ok` when its ports can be had (as they were, or moved by its
  /// fallback), `Err(why)` when the run must not start.
  pub(super) fn ports_to_run_on(&mut self) -> Result<(), String> {
    let taken: Vec<u16> = self
      .spec
      .ports
      .iter()
      .map(|(_, port)| *port)
      .filter(|port| !is_bindable(*port))
      .collect();
    if taken.is_empty() {
      return Ok(());
    }
    // The service's whole tree is gone by now: whatever holds the port is not of this run.
    let name = self.spec.service.clone();
    let project = Config::find(&self.spec.root)
      .and_then(|path| Config::load(&path))
      .map(|config| {
        // Its notes go in the service's log (below), not to a terminal.
        let color = Color::for_stream(ColorChoice::Never, false);
        Project::new(config, color, Reporter { color })
      })
      .map_err(|error| {
        format!(
          "port {} was taken while it was down, and another could not be chosen: {error}",
          taken[0]
        )
      })?;
    let Some(service) = project.config.service(&name) else {
      return Err(format!(
        "port {} was taken while it was down, and devtasks.yaml no longer has {name}",
        taken[0]
      ));
    };
    let how = Allocation::default();
    let chosen =
      allocate(&project, service, &PortOverrides::default(), how).map_err(|error| match error {
        Error::PortsTaken { message, .. } => message
          .strip_prefix(&format!("cannot start {name}: "))
          .map_or(message.clone(), str::to_owned),
        other => other.to_string(),
      })?;
    let mut ports = plan::known_ports(&project.config, &project.state, &PortOverrides::default());
    ports.insert(name.clone(), chosen);
    let spec = plan::keeper_spec(&project.config, service, &ports, self.spec.supervisor)
      .map_err(|error| error.to_string())?;
    let _ = project
      .state
      .write_spec(&name, &serde_json::to_vec_pretty(&spec).unwrap_or_default());
    claim_for_keeper(&project, &name, Some(self.me), &spec.ports);
    let notice = format!(
      "{name}: port {} was taken while it was down → using {}",
      port_numbers(taken.iter().copied()),
      port_numbers(spec.ports.iter().map(|(_, port)| *port))
    );
    self.log_line(&notice);
    self.announce(&notice);
    self.adopt(spec);
    Ok(())
  }

  /// Says in the machine's ledger whether the service is down (between two runs): the proxy
  /// waits for the next run instead of reaching whatever answers on the port meanwhile.
  pub(super) fn mark_down(&self, down: bool) {
    if let Ok(mut ledger) = Ledger::open()
      && ledger.set_down(self.spec.project, &self.spec.service, self.me, down)
    {
      let _ = ledger.save();
    }
  }
}
