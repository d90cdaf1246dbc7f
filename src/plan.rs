//! What starts, in which order, with which port and environment: config → keeper specs.

use std::collections::HashMap;

use crate::{
  config::{Config, Health, PRIMARY_PORT, Probe, Service, interpolate, shout},
  error::Result,
  state::{Liveness, PROJECT_VARIABLE, StateDir},
  supervise::{
    spec::{KeeperSpec, View},
    watch::WatchSpec,
  },
  sys::{self, ProcessId},
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

/// The named services (all when none is named) in the order they go down: dependents
/// first, so that a frontend never watches its backend vanish. Dependencies not named stay.
pub(crate) fn stop_order(config: &Config, names: &[String]) -> Vec<String> {
  let mut order: Vec<String> = start_order(config, names)
    .into_iter()
    .map(|service| service.name.clone())
    .filter(|name| names.is_empty() || names.contains(name))
    .collect();
  order.reverse();
  order
}

/// The named services (all when none is named) in the order a restart takes them:
/// dependencies first, each once, and only those named.
pub(crate) fn restart_order(config: &Config, names: &[String]) -> Vec<String> {
  let mut order = stop_order(config, names);
  order.reverse();
  order
}

pub(crate) use crate::ports::overrides::{PortOverride, PortOverrides};

/// Ports by service: `backend → [("port", 8000)]`, `viewer → [("http", 8080), ("ws", 8081)]`.
pub(crate) type PortMap = HashMap<String, Vec<(String, u16)>>;

/// Ports as they are before anything starts: a running service keeps the ports it has;
/// any other service is expected at its override or configured port.
pub(crate) fn known_ports(config: &Config, state: &StateDir, overrides: &PortOverrides) -> PortMap {
  config
    .services
    .iter()
    .map(|service| {
      let running = state
        .read(&service.name)
        .and_then(|st| match st.liveness() {
          Liveness::Running(st) if !st.ports.is_empty() => Some(st.ports),
          _ => None,
        });
      let ports = running.unwrap_or_else(|| {
        service
          .ports
          .iter()
          .enumerate()
          .map(|(i, spec)| {
            // A bad variable is said by the allocation that would use it.
            let port = overrides
              .get(&service.name, spec, i == 0)
              .ok()
              .flatten()
              .unwrap_or(spec.preferred);
            (spec.name.clone(), port)
          })
          .collect()
      });
      (service.name.clone(), ports)
    })
    .collect()
}

/// Answers `${svc.port}` and `${svc.ports.ws}` from chosen ports, and `${svc.url}` as
/// `http://127.0.0.1:<port>` (a service's spec has its name through the proxy instead).
pub(crate) fn port_reference(ports: &PortMap) -> impl Fn(&str, &str) -> Option<String> + '_ {
  move |name: &str, field: &str| {
    let ports = ports.get(name)?;
    if field == "url" {
      return ports
        .first()
        .map(|(_, port)| format!("http://127.0.0.1:{port}"));
    }
    let port = if field == PRIMARY_PORT {
      ports.first()
    } else {
      let wanted = field.strip_prefix("ports.")?;
      ports.iter().find(|(name, _)| name == wanted)
    };
    port.map(|(_, number)| number.to_string())
  }
}

/// The keeper's instructions for one service, with `$PORT` and `${svc.port}` resolved.
/// The first port is `PORT`; named ones are also `PORT_<NAME>`. Reads the env files and
/// checks `cwd:` now: this is the moment the service starts.
pub(crate) fn keeper_spec(
  config: &Config,
  service: &Service,
  ports: &PortMap,
  supervisor: Option<ProcessId>,
) -> Result<KeeperSpec> {
  let by_port = port_reference(ports);
  let project = sys::DirectoryId::of(&config.root);
  // `${api.url}`: the dependency by name, so that a frontend calls its API as
  // http://api.shop.localhost:7355 whatever port the API was given.
  let reference = |name: &str, field: &str| match field {
    "url" => crate::proxy::url_of(project, name).or_else(|| by_port(name, field)),
    field => by_port(name, field),
  };
  let own: Vec<(String, u16)> = ports.get(&service.name).cloned().unwrap_or_default();
  let mut env: Vec<(String, String)> = config.shared_env()?;
  env.push((PROJECT_VARIABLE.into(), config.root.display().to_string()));
  if let Some((_, port)) = own.first() {
    env.push(("PORT".into(), port.to_string()));
  }
  for (name, port) in &own {
    if name != PRIMARY_PORT {
      env.push((format!("PORT_{}", shout(name)), port.to_string()));
    }
  }
  env.extend(service.env_file.load()?);
  let whose = format!("service `{}`", service.name);
  interpolate::extend_env(
    &mut env,
    (&service.env, &service.env_at),
    &reference,
    &whose,
  )?;
  let mut spec = KeeperSpec {
    service: service.name.clone(),
    root: config.root.clone(),
    project: sys::DirectoryId::of(&config.root),
    command: interpolate::expand_references(&service.run, &reference),
    shell: service.shell.checked()?,
    cwd: service.cwd.checked()?.to_path_buf(),
    env,
    log: config.log_of(&service.name),
    port: own.first().map(|(_, port)| *port),
    ports: own,
    stop_signal: service.stop_signal.name().to_owned(),
    grace_ms: service.grace.as_millis() as u64,
    restart: service.restart,
    log_settings: service.log,
    liveness: None,
    readiness: None,
    watch: None,
    watch_override: None,
    dependents: dependents_of(config, &service.name),
    supervisor,
    dies_with: None,
    view: if sys::stdout_is_file() {
      View::File
    } else {
      View::Reader
    },
    proxy_port: crate::proxy::running_port(),
  };
  spec.liveness = service
    .liveness
    .as_ref()
    .map(|liveness| resolve_probe(liveness, &spec, ports));
  spec.readiness = service
    .health
    .as_ref()
    .map(|health| resolve_probe(health, &spec, ports));
  spec.watch = service
    .watch
    .as_ref()
    .map(|watch| WatchSpec::new(watch, &spec.cwd, &config.log_dir));
  Ok(spec)
}

/// The services that depend on `name`, directly or through others, in the order they
/// start: what restarts after it when it restarts on a change, and what must be gone
/// before a stop signals it.
pub(crate) fn dependents_of(config: &Config, name: &str) -> Vec<String> {
  let mut dependents: Vec<String> = vec![name.to_owned()];
  loop {
    let more: Vec<String> = config
      .services
      .iter()
      .filter(|service| !dependents.contains(&service.name))
      .filter(|service| {
        service
          .depends_on
          .iter()
          .any(|d| dependents.contains(&d.service))
      })
      .map(|service| service.name.clone())
      .collect();
    if more.is_empty() {
      break;
    }
    dependents.extend(more);
  }
  dependents.remove(0);
  if dependents.is_empty() {
    // `restart_order` of no name is every service.
    return dependents;
  }
  restart_order(config, &dependents)
}

/// `health` with `$PORT`, `${svc.port}` and the service's variables filled in.
pub(crate) fn resolve_probe(health: &Health, spec: &KeeperSpec, ports: &PortMap) -> Health {
  let reference = port_reference(ports);
  let variable = |name: &str| {
    spec
      .env
      .iter()
      .rev()
      .find(|(key, _)| key == name)
      .map(|(_, value)| value.clone())
      .or_else(|| std::env::var(name).ok())
  };
  // A required variable that is missing (`${X:?}`) leaves the text as written: the probe
  // then fails, naming it, instead of probing an address with a hole in it.
  let expand = |text: &str| {
    crate::config::substitute::expand(text, &variable, &reference)
      .unwrap_or_else(|_| text.to_owned())
  };
  let probe = match &health.probe {
    Probe::Http { url, status, body } => Probe::Http {
      url: expand(url),
      status: *status,
      body: body.clone(),
    },
    Probe::Tcp { address } => Probe::Tcp {
      address: expand(address),
    },
    // The shell expands the command's variables itself, from `env`.
    Probe::Exec { command } => Probe::Exec {
      command: interpolate::expand_references(command, &reference),
    },
    other => other.clone(),
  };
  Health {
    probe,
    ..health.clone()
  }
}

#[cfg(test)]
pub(crate) mod tests {
  use super::*;

  /// web → api, auth → db, and docs alone: the dependency graph the ordering tests share.
  pub(crate) fn config() -> Config {
    let yaml = "services:
  web: { run: x, depends_on: [api, auth] }
  api: { run: x, depends_on: [db] }
  auth: { run: x, depends_on: [db] }
  db: { run: x }
  docs: { run: x }
";
    Config::parse("/p/devtasks.yaml".into(), yaml.to_owned()).unwrap()
  }

  fn names(services: &[&Service]) -> Vec<String> {
    services.iter().map(|s| s.name.clone()).collect()
  }

  pub(crate) fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
  }

  #[test]
  fn a_start_brings_dependencies_first_each_once() {
    let config = config();
    assert_eq!(
      names(&start_order(&config, &[])),
      ["db", "api", "auth", "web", "docs"]
    );
    assert_eq!(
      names(&start_order(&config, &strings(&["web"]))),
      ["db", "api", "auth", "web"],
      "a diamond's shared dependency starts once"
    );
  }

  #[test]
  fn a_stop_takes_dependents_first_and_only_those_named() {
    let config = config();
    assert_eq!(
      stop_order(&config, &[]),
      ["docs", "web", "auth", "api", "db"]
    );
    assert_eq!(stop_order(&config, &strings(&["db", "web"])), ["web", "db"]);
  }

  #[test]
  fn dependents_are_those_that_depend_directly_or_through_others_in_start_order() {
    let config = config();
    assert_eq!(dependents_of(&config, "db"), ["api", "auth", "web"]);
    assert_eq!(dependents_of(&config, "api"), ["web"]);
    assert!(
      dependents_of(&config, "web").is_empty(),
      "not every service"
    );
    assert!(dependents_of(&config, "docs").is_empty());
  }

  #[test]
  fn a_restart_takes_dependencies_first_and_only_those_named() {
    let config = config();
    assert_eq!(
      restart_order(&config, &strings(&["web", "api"])),
      ["api", "web"]
    );
    assert_eq!(
      restart_order(&config, &[]).first().map(String::as_str),
      Some("db")
    );
  }
}
