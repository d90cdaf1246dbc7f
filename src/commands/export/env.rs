//! What an export writes of a service's environment: `PORT`, `PORT_<NAME>` and `env:`
//! inline; the values of the env files (`env_file:`, often secrets) left in those files and
//! referenced — compose's `env_file:`, systemd's `EnvironmentFile=`, the `.env` foreman and
//! honcho read beside a Procfile — so that an export never copies a secret into a file that
//! gets committed. `--inline-env` copies them, when asked.

use std::path::PathBuf;

use crate::{
  config::Service,
  error::Result,
  plan::{self, PortMap},
  project::Project,
  state::PROJECT_VARIABLE,
};

/// A service's environment as an export writes it.
#[derive(Debug, Default)]
pub(super) struct ServiceEnv {
  /// Written into the export, each key once, with the value `dev` would give it.
  pub(super) inline: Vec<(String, String)>,
  /// Env files to reference, in the order `dev` reads them (a later one wins).
  pub(super) files: Vec<PathBuf>,
}

/// Where a variable's value comes from, in the order `plan::keeper_spec` layers them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
  File,
  Dev,
}

pub(super) fn service_env(
  project: &Project,
  service: &Service,
  ports: &PortMap,
  inline_env: bool,
) -> Result<ServiceEnv> {
  let spec = plan::keeper_spec(&project.config, service, ports, None)?;
  let shared = project.config.shared_env()?.len();
  let own_file = service.env_file.load()?.len();
  // keeper_spec's layers: the shared env file, DEV_PROJECT and the ports, the service's env
  // file, then `env:`. The last value of a key is the one the service gets.
  let ports_end = spec.env.len().saturating_sub(own_file + service.env.len());
  let mut finals: Vec<(String, String, Source)> = Vec::new();
  for (index, (key, value)) in spec.env.into_iter().enumerate() {
    let source = if index < shared || (index >= ports_end && index < ports_end + own_file) {
      Source::File
    } else {
      Source::Dev
    };
    match finals.iter_mut().find(|(k, _, _)| *k == key) {
      Some(earlier) => (earlier.1, earlier.2) = (value, source),
      None => finals.push((key, value, source)),
    }
  }
  let inline = finals
    .into_iter()
    .filter(|(key, _, source)| key != PROJECT_VARIABLE && (inline_env || *source == Source::Dev))
    .map(|(key, value, _)| (key, value))
    .collect();
  let files = if inline_env {
    Vec::new()
  } else {
    project
      .config
      .env_file
      .0
      .iter()
      .chain(&service.env_file.0)
      .map(|file| file.path.clone())
      .collect()
  };
  Ok(ServiceEnv { inline, files })
}
