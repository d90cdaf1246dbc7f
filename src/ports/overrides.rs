//! Ports the user fixed for one run, over the task file: `--port backend=9000`,
//! `--port viewer.ws=9001`, or `DEV_BACKEND_PORT=9000` in the environment.

use crate::{
  config::{PortSpec, shout},
  error::{Error, Result},
};

/// Ports the user fixed for this run: `--port backend=9000`, `--port viewer.ws=9001`, or
/// `DEV_BACKEND_PORT=9000` / `DEV_VIEWER_WS_PORT=9001` in the environment (the flag wins).
#[derive(Clone, Debug, Default)]
pub(crate) struct PortOverrides(pub(crate) Vec<PortOverride>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PortOverride {
  pub(crate) service: String,
  /// `None` for the primary port.
  pub(crate) name: Option<String>,
  pub(crate) port: u16,
}

impl PortOverride {
  /// Parses `backend=9000` or `viewer.ws=9001` (for clap).
  pub(crate) fn parse(text: &str) -> Result<Self, String> {
    let (target, port) = text
      .split_once('=')
      .ok_or_else(|| format!("expected SERVICE=PORT such as `backend=9000`, found `{text}`"))?;
    let port = crate::ports::parse_port(port)?;
    let (service, name) = match target.split_once('.') {
      Some((service, name)) => (service, Some(name.to_owned())),
      None => (target, None),
    };
    if service.is_empty() {
      return Err(format!(
        "expected SERVICE=PORT such as `backend=9000`, found `{text}`"
      ));
    }
    Ok(Self {
      service: service.to_owned(),
      name,
      port,
    })
  }
}

impl PortOverrides {
  /// The fixed port for one port of a service, if any; a variable that holds no port
  /// number is an error, not a silent "no override" (`DEV_API_PORT=abc`).
  pub(crate) fn get(&self, service: &str, spec: &PortSpec, primary: bool) -> Result<Option<u16>> {
    let matches = |o: &&PortOverride| {
      o.service == service
        && match &o.name {
          None => primary,
          Some(name) => *name == spec.name,
        }
    };
    if let Some(flag) = self.0.iter().find(matches) {
      return Ok(Some(flag.port));
    }
    let variable = if primary {
      format!("DEV_{}_PORT", shout(service))
    } else {
      format!("DEV_{}_{}_PORT", shout(service), shout(&spec.name))
    };
    let Ok(value) = std::env::var(&variable) else {
      return Ok(None);
    };
    crate::ports::parse_port(&value)
      .map(Some)
      .map_err(|why| Error::Port {
        message: format!("{variable}={value} in the environment: {why}"),
        hint: format!("set it to the port {service} should use, or `unset {variable}`"),
      })
  }
}
