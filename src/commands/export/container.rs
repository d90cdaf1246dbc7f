//! What every container export (compose, Kubernetes) needs of a service: a base image with
//! its runtime, guessed from its command, and its addresses as seen from another container
//! (the service's name, not 127.0.0.1). One place, so that the two exports guess alike.

use crate::{
  config::{Health, Service},
  error::Result,
  plan::{self, PortMap},
  project::Project,
};

/// The image written when none can be guessed from the command: a shell, nothing more.
pub(super) const FALLBACK_IMAGE: &str = "debian:stable-slim";

/// A base image that has the service's runtime, guessed from its program; `None` when the
/// command names no runtime this knows.
pub(super) fn image(run: &str) -> Option<&'static str> {
  let words: Vec<&str> = run.split_whitespace().collect();
  let has = |names: &[&str]| words.iter().any(|w| names.iter().any(|n| w.ends_with(n)));
  if has(&[
    "python",
    "python3",
    "uvicorn",
    "gunicorn",
    "flask",
    "manage.py",
    "pytest",
  ]) {
    Some("python:3.12-slim")
  } else if has(&["node", "npm", "npx", "yarn", "pnpm", "vite", "next"]) {
    Some("node:22-slim")
  } else if has(&["rails", "ruby", "bundle", "rake"]) {
    Some("ruby:3.3-slim")
  } else if has(&["cargo"]) {
    Some("rust:1-slim")
  } else if has(&["go"]) {
    Some("golang:1")
  } else {
    None
  }
}

/// Inside a cluster or a compose network, another service is reached by its name, not
/// 127.0.0.1: `127.0.0.1:8000` becomes `api:8000` where `api` has that port. `name` says
/// what the service is called there.
pub(super) fn for_containers(
  text: &str,
  project: &Project,
  ports: &PortMap,
  name: impl Fn(&str) -> String,
) -> String {
  let mut text = text.to_owned();
  for service in &project.config.services {
    for (_, port) in ports.get(&service.name).into_iter().flatten() {
      for host in ["127.0.0.1", "localhost"] {
        text = text.replace(
          &format!("{host}:{port}"),
          &format!("{}:{port}", name(&service.name)),
        );
      }
    }
  }
  text
}

/// `health:` or `liveness:` with `$PORT`, `${svc.port}` and the service's variables filled
/// in, as `dev` would probe it.
pub(super) fn resolved_probe(
  project: &Project,
  service: &Service,
  ports: &PortMap,
  health: &Health,
) -> Result<Health> {
  let spec = plan::keeper_spec(&project.config, service, ports, None)?;
  Ok(plan::resolve_probe(health, &spec, ports))
}
