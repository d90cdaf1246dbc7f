//! What starts, in which order, with which port and environment: config → keeper specs.

use std::collections::HashMap;

use crate::{
  config::{Config, Service, interpolate},
  keeper::KeeperSpec,
  state::{Liveness, StateDir},
  sys::ProcessId,
};

/// The named services and everything they depend on, dependencies first, each once.
pub(crate) fn start_order<'a>(config: &'a Config, names: &[String]) -> Vec<&'a Service> {
  fn visit<'a>(config: &'a Config, service: &'a Service, order: &mut Vec<&'a Service>) {
    if order.iter().any(|s| s.name == service.name) {
      return;
    }
    for dependency in &service.depends_on {
      if let Some(next) = config.service(&dependency.service) {
        visit(config, next, order);
      }
    }
    order.push(service);
  }
  let mut order = Vec::new();
  let selected: Vec<&Service> = if names.is_empty() {
    config.services.iter().collect()
  } else {
    names
      .iter()
      .filter_map(|name| config.service(name))
      .collect()
  };
  for service in selected {
    visit(config, service, &mut order);
  }
  order
}

/// `DEV_BACKEND_PORT=9000` overrides the file (names upper-cased, other characters → `_`).
pub(crate) fn port_override_variable(service: &str) -> String {
  let name: String = service
    .chars()
    .map(|c| {
      if c.is_ascii_alphanumeric() {
        c.to_ascii_uppercase()
      } else {
        '_'
      }
    })
    .collect();
  format!("DEV_{name}_PORT")
}

/// Ports as they will be: a running service keeps the port it has; otherwise an override or
/// the configured port.
pub(crate) fn resolve_ports(config: &Config, state: &StateDir) -> HashMap<String, u16> {
  config
    .services
    .iter()
    .filter_map(|service| {
      let running = state
        .read(&service.name)
        .and_then(|st| match st.liveness() {
          Liveness::Running(st) => st.port,
          _ => None,
        });
      let overridden = std::env::var(port_override_variable(&service.name))
        .ok()
        .and_then(|p| p.parse().ok());
      running
        .or(overridden)
        .or(service.port)
        .map(|port| (service.name.clone(), port))
    })
    .collect()
}

/// The keeper's instructions for one service, with `$PORT` and `${svc.port}` resolved.
pub(crate) fn keeper_spec(
  config: &Config,
  service: &Service,
  ports: &HashMap<String, u16>,
  port: Option<u16>,
  supervisor: Option<ProcessId>,
) -> KeeperSpec {
  let reference = |name: &str, field: &str| {
    (field == "port")
      .then(|| ports.get(name).map(u16::to_string))
      .flatten()
  };
  let mut env: Vec<(String, String)> = config.env.clone();
  if let Some(port) = port {
    env.push(("PORT".into(), port.to_string()));
  }
  interpolate::extend_env(&mut env, &service.env, &reference);
  KeeperSpec {
    service: service.name.clone(),
    command: interpolate::expand_references(&service.run, &reference),
    cwd: service.cwd.clone(),
    env,
    log: config.log_dir.join(format!("{}.log", service.name)),
    port,
    stop_signal: service.stop_signal.name().to_owned(),
    grace_ms: service.grace.as_millis() as u64,
    supervisor,
  }
}
