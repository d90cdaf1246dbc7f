//! `dev env [svc…] [--format shell|dotenv] [--json]`: the ports and URLs of the running
//! services, for another shell or tool (`eval "$(dev env)"`): the ports they were given, read
//! from their state, never the configured ones (a fallback may have moved them).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{
  config::{PRIMARY_PORT, shout},
  error::Result,
  plan::{self, PortOverrides},
  project::Project,
  state::{Liveness, ServiceState},
  ui::output::{print_json, print_out},
};

/// How the variables are written.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
  /// `export BACKEND_PORT='8001'`, for `eval "$(dev env)"` in sh, bash and zsh
  Shell,
  /// `BACKEND_PORT=8001`, for an env file
  Dotenv,
}

#[derive(Serialize)]
struct Entry {
  port: Option<u16>,
  /// Every named port (`ports:`), by name.
  ports: BTreeMap<String, u16>,
  url: Option<String>,
  /// `http://web.shop.localhost:7355/`: the same service by name, through dev's proxy.
  named_url: Option<String>,
}

pub(crate) fn env(project: &Project, names: &[String], format: Format, json: bool) -> Result<()> {
  let entries = running(project, names);
  if json {
    return print_json(&entries);
  }
  let mut text = String::new();
  let mut named: BTreeMap<String, &str> = BTreeMap::new();
  for (service, entry) in &entries {
    let prefix = variable_prefix(service);
    // `a-b` and `a.b` are both `A_B`: the shell would keep the last, silently.
    if let Some(first) = named.insert(prefix.clone(), service) {
      project.report.warning(&format!(
        "`{first}` and `{service}` both give {prefix}_*: the later wins in a shell (`--json` keeps both)"
      ));
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(port) = entry.port {
      pairs.push((format!("{prefix}_PORT"), port.to_string()));
    }
    for (name, port) in &entry.ports {
      pairs.push((
        format!("{prefix}_{}_PORT", variable_prefix(name)),
        port.to_string(),
      ));
    }
    if let Some(url) = &entry.url {
      pairs.push((format!("{prefix}_URL"), url.clone()));
    }
    if let Some(url) = &entry.named_url {
      pairs.push((format!("{prefix}_NAMED_URL"), url.clone()));
    }
    for (name, value) in pairs {
      text.push_str(&match format {
        Format::Shell => format!("export {name}='{value}'\n"),
        Format::Dotenv => format!("{name}={value}\n"),
      });
    }
  }
  if entries.is_empty() {
    project
      .report
      .warning("no service is running: nothing to print (`dev up -d` starts them)");
  }
  print_out(&text)
}

/// The running services among `names` (all when empty), by name.
fn running(project: &Project, names: &[String]) -> BTreeMap<String, Entry> {
  let ports = plan::known_ports(&project.config, &project.state, &PortOverrides::default());
  let mut entries = BTreeMap::new();
  for service in &project.config.services {
    if !names.is_empty() && !names.contains(&service.name) {
      continue;
    }
    let Some(Liveness::Running(state)) = project.check(&service.name) else {
      continue;
    };
    // The URL its probe reaches, with the port it was given.
    let url = super::health::started_check(project, service, &ports, &state)
      .and_then(|check| check.url())
      .or_else(|| plain_url(&state));
    entries.insert(
      service.name.clone(),
      Entry {
        port: state.port,
        // `[("port", 8000), ("ws", 8081)]`: the primary is `port` above.
        ports: state
          .ports
          .iter()
          .filter(|(name, _)| name != PRIMARY_PORT)
          .map(|(name, port)| (name.clone(), *port))
          .collect(),
        url,
        named_url: crate::proxy::url_of(project.id, &service.name),
      },
    );
  }
  entries
}

fn plain_url(state: &ServiceState) -> Option<String> {
  state.port.map(|port| format!("http://127.0.0.1:{port}"))
}

/// `api-gateway` → `API_GATEWAY` (as in `DEV_API_GATEWAY_PORT`), and never a leading digit:
/// what a shell accepts in a variable's name.
fn variable_prefix(name: &str) -> String {
  let upper = shout(name);
  if upper.starts_with(|c: char| c.is_ascii_digit()) {
    format!("_{upper}")
  } else {
    upper
  }
}

#[cfg(test)]
mod tests {
  use super::variable_prefix;

  #[test]
  fn names_become_shell_variable_names() {
    assert_eq!(variable_prefix("api-gateway"), "API_GATEWAY");
    assert_eq!(variable_prefix("web.v2"), "WEB_V2");
    assert_eq!(variable_prefix("9lives"), "_9LIVES");
    assert_eq!(variable_prefix("ünï"), "_N_");
  }
}
