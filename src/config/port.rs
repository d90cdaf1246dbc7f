//! Ports in the task file: `port:` with its `fallback:`, named `ports:`, `reserved:`, and
//! what is wrong with a `${svc.port}` that names a port the service does not have.

use serde_saphyr::Spanned;

use super::{
  Checker, Service,
  interpolate::Reference,
  raw::{RawNamedPort, RawService, Scalars, Text},
};
use crate::error::Result;

/// One port a service wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PortSpec {
  /// `port` for the primary port (`$PORT`, `${svc.port}`); the key in `ports:` otherwise
  /// (`$PORT_WS`, `${svc.ports.ws}`).
  pub(crate) name: String,
  pub(crate) preferred: u16,
  pub(crate) fallback: Fallback,
}

/// Where a port may move when it is taken by something `dev` did not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fallback {
  /// Fail with who holds it and how to free it.
  None,
  /// These ports, in this order.
  Ports(Vec<u16>),
  /// The next free port above the preferred one.
  Auto,
}

impl PortSpec {
  /// `${svc.port}` or `${svc.ports.ws}`.
  pub(crate) fn reference(&self, service: &str) -> String {
    if self.name == PRIMARY_PORT {
      format!("${{{service}.port}}")
    } else {
      format!("${{{service}.ports.{}}}", self.name)
    }
  }
}

/// The name of the port given with `port:`.
pub(crate) const PRIMARY_PORT: &str = "port";

/// `my-api` → `MY_API`: names as environment variables.
pub(crate) fn shout(name: &str) -> String {
  name
    .chars()
    .map(|c| {
      if c.is_ascii_alphanumeric() {
        c.to_ascii_uppercase()
      } else {
        '_'
      }
    })
    .collect()
}

impl Checker<'_> {
  fn port(&self, text: &Text) -> Result<u16> {
    match text.value.trim().parse::<u32>() {
      Ok(port @ 1..=65535) => Ok(port as u16),
      _ => Err(self.at(
        text,
        format!(
          "expected a port number between 1 and 65535, found `{}`",
          text.value
        ),
      )),
    }
  }

  /// `port:` with the service's `fallback:`, then each `ports:` entry with its own.
  pub(super) fn ports(&self, service: &Text, raw: &RawService) -> Result<Vec<PortSpec>> {
    let mut ports = Vec::new();
    match (&raw.port, &raw.fallback) {
      (Some(port), fallback) => ports.push(PortSpec {
        name: PRIMARY_PORT.into(),
        preferred: self.port(port)?,
        fallback: self.fallback(fallback.as_ref())?,
      }),
      (None, Some(fallback)) => {
        let first = fallback.0.first().map_or(&raw.run, |text| text);
        return Err(
          self
            .at(
              first,
              format!("service `{}` has `fallback:` but no `port:`", service.value),
            )
            .with_hint(
              "add `port: <preferred port>`, or give each `ports:` entry its own fallback",
            ),
        );
      }
      (None, None) => {}
    }
    for (name, entry) in &raw.ports.0 {
      if name.value == PRIMARY_PORT
        || name.value.is_empty()
        || !name
          .value
          .chars()
          .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
      {
        return Err(
          self
            .at(name, format!("`{}` cannot name a port", name.value))
            .with_hint("use letters, digits, `_` or `-`, and not `port` (that is `port:`)"),
        );
      }
      let (preferred, fallback) = match &entry.value {
        RawNamedPort::Port(text) => {
          let located = Spanned::new(text.clone(), entry.referenced, entry.defined);
          (self.port(&located)?, Fallback::None)
        }
        RawNamedPort::Full(fields) => (
          self.port(&fields.port)?,
          self.fallback(fields.fallback.as_ref())?,
        ),
      };
      ports.push(PortSpec {
        name: name.value.clone(),
        preferred,
        fallback,
      });
    }
    for (i, port) in ports.iter().enumerate() {
      if ports[..i].iter().any(|p| p.preferred == port.preferred) {
        let text = raw
          .ports
          .0
          .iter()
          .find(|(name, _)| name.value == port.name)
          .map_or(service, |(name, _)| name);
        return Err(self.at(
          text,
          format!(
            "service `{}` asks for port {} twice",
            service.value, port.preferred
          ),
        ));
      }
    }
    Ok(ports)
  }

  fn fallback(&self, raw: Option<&Scalars>) -> Result<Fallback> {
    let Some(raw) = raw else {
      return Ok(Fallback::None);
    };
    if let [only] = raw.0.as_slice()
      && only.value.trim() == "auto"
    {
      return Ok(Fallback::Auto);
    }
    let mut ports = Vec::new();
    for text in &raw.0 {
      ports.extend(self.port_list(text)?);
    }
    Ok(Fallback::Ports(ports))
  }

  /// `8001` or `8001-8010`.
  pub(super) fn port_list(&self, text: &Text) -> Result<Vec<u16>> {
    let Some((first, last)) = text.value.split_once('-') else {
      return Ok(vec![self.port(text)?]);
    };
    let bound = |value: &str| match value.trim().parse::<u32>() {
      Ok(port @ 1..=65535) => Some(port as u16),
      _ => None,
    };
    match (bound(first), bound(last)) {
      (Some(first), Some(last)) if first <= last => Ok((first..=last).collect()),
      _ => Err(
        self
          .at(
            text,
            format!(
              "expected a port range such as `8001-8010`, found `{}`",
              text.value
            ),
          )
          .with_hint("ranges go from low to high, within 1-65535; or write `auto`"),
      ),
    }
  }
}

/// What is wrong with a reference to a port the service does not have, and the hint.
pub(super) fn missing_port(service: &Service, reference: &Reference) -> Option<(String, String)> {
  // `${api.url}`: its name through dev's proxy (or http://127.0.0.1:<port> without one).
  if reference.field == PRIMARY_PORT || reference.field == "url" {
    return service.ports.is_empty().then(|| {
      (
        format!(
          "service `{}` has no `port`, so `${{{}.{}}}` has no value",
          service.name, service.name, reference.field
        ),
        format!("add `port:` to service `{}`", service.name),
      )
    });
  }
  if service
    .ports
    .iter()
    .any(|port| format!("ports.{}", port.name) == reference.field)
  {
    return None;
  }
  let references: Vec<String> = service
    .ports
    .iter()
    .map(|port| format!("`{}`", port.reference(&service.name)))
    .collect();
  Some((
    format!(
      "unknown field `{}` in `${{{}.{}}}`",
      reference.field, reference.service, reference.field
    ),
    if references.is_empty() {
      "only ports and URLs can be referenced: `${service.port}`, `${service.ports.NAME}`, `${service.url}`".into()
    } else {
      format!(
        "`{}` has {}, and `${{{}.url}}`",
        service.name,
        references.join(", "),
        service.name
      )
    },
  ))
}
