//! `dev export compose|procfile|systemd|launchd`: the services, for when the team outgrows
//! one laptop — a docker-compose.yml with healthchecks and `condition: service_healthy`, a
//! Procfile, systemd user units (Linux) or LaunchAgents (macOS) with the same stop semantics
//! (a signal to the whole group, the grace, then SIGKILL). Ports and `${svc.port}` are resolved as `dev` would start them.

mod compose;
mod launchd;
mod procfile;
mod systemd;

use std::{fs, path::Path};

use self::{
  compose::compose,
  launchd::launchd,
  procfile::procfile,
  systemd::{systemd, unit_name},
};
use crate::{
  config::{Service, interpolate, source::display_path},
  error::{Error, Result},
  plan::{self, PortMap, PortOverrides, port_reference},
  project::Project,
};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
  Compose,
  Procfile,
  Systemd,
  Launchd,
}

pub(crate) fn export(project: &Project, format: Format, dir: Option<&Path>) -> Result<()> {
  let ports = plan::known_ports(&project.config, &project.state, &PortOverrides::default());
  let files: Vec<(String, String)> = match format {
    Format::Compose => vec![("docker-compose.yml".into(), compose(project, &ports)?)],
    Format::Procfile => vec![("Procfile".into(), procfile(project, &ports)?)],
    Format::Systemd => project
      .config
      .services
      .iter()
      .map(|service| Ok((unit_name(service), systemd(project, service, &ports)?)))
      .collect::<Result<_>>()?,
    Format::Launchd => project
      .config
      .services
      .iter()
      .map(|service| {
        let name = format!("{}.plist", launchd::label(project, service));
        Ok((name, launchd(project, service, &ports)?))
      })
      .collect::<Result<_>>()?,
  };
  match dir {
    Some(dir) => {
      fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", display_path(dir))))?;
      for (name, text) in &files {
        let path = dir.join(name);
        fs::write(&path, text)
          .map_err(Error::io(format!("cannot write {}", display_path(&path))))?;
        project
          .report
          .step(&format!("wrote {}", display_path(&path)));
      }
    }
    None if files.len() == 1 => crate::ui::output::print_out(&files[0].1)?,
    None => {
      let mut out = String::new();
      for (name, text) in &files {
        out.push_str(&format!("# ---- {name} ----\n{text}"));
      }
      crate::ui::output::print_out(&out)?;
    }
  }
  Ok(())
}

/// The service's environment with ports: `PORT`, `PORT_<NAME>`, its `env:` resolved.
fn environment(
  project: &Project,
  service: &Service,
  ports: &PortMap,
) -> Result<Vec<(String, String)>> {
  let spec = plan::keeper_spec(&project.config, service, ports, None)?;
  Ok(
    spec
      .env
      .into_iter()
      .filter(|(key, _)| key != crate::state::PROJECT_VARIABLE)
      .collect(),
  )
}

fn command(service: &Service, ports: &PortMap) -> String {
  interpolate::expand_references(&service.run, &port_reference(ports))
}

fn relative(project: &Project, path: &Path) -> String {
  match path.strip_prefix(&project.config.root) {
    Ok(rest) if rest.as_os_str().is_empty() => ".".into(),
    Ok(rest) => rest.display().to_string(),
    Err(_) => path.display().to_string(),
  }
}
