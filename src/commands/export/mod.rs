//! `dev export compose|procfile|systemd|launchd`: the services, for when the team outgrows
//! one laptop — a docker-compose.yml with healthchecks and `condition: service_healthy`, a
//! Procfile, systemd user units (Linux) or LaunchAgents (macOS) with the same stop semantics
//! (a signal to the whole group, the grace, then SIGKILL). Ports and `${svc.port}` are
//! resolved as `dev` would start them. Written into a directory, an export never replaces a
//! file there without `--force` (a production Procfile, a compose file with a `db:`), and
//! never copies the env files' values unless `--inline-env` asks (`env.rs`).

mod compose;
mod container;
mod env;
mod kubernetes;
mod launchd;
mod procfile;
mod systemd;

use std::{
  fs,
  path::{Path, PathBuf},
};

use self::{
  compose::compose,
  env::{ServiceEnv, service_env},
  kubernetes::kubernetes,
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
  Kubernetes,
  Procfile,
  Systemd,
  Launchd,
}

/// Where and how to write.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
  /// Write the file(s) into this directory instead of printing them
  #[arg(long, value_name = "DIR")]
  pub(crate) dir: Option<PathBuf>,
  /// Replace files already in DIR
  #[arg(long)]
  pub(crate) force: bool,
  /// Copy the env files' values (secrets) into the export instead of referencing the files
  #[arg(long)]
  pub(crate) inline_env: bool,
}

/// A service's environment as this export writes it.
type EnvOf<'a> = dyn Fn(&Service) -> Result<ServiceEnv> + 'a;

pub(crate) fn export(project: &Project, format: Format, options: &Options) -> Result<()> {
  let ports = plan::known_ports(&project.config, &project.state, &PortOverrides::default());
  let env = |service: &Service| service_env(project, service, &ports, options.inline_env);
  let referenced = referenced_files(project, &env)?;
  let files: Vec<(String, String)> = match format {
    Format::Compose => vec![("docker-compose.yml".into(), compose(project, &ports, &env)?)],
    Format::Kubernetes => kubernetes(project, &ports, &env)?,
    Format::Procfile => {
      procfile::check_env_files(project, &referenced)?;
      vec![("Procfile".into(), procfile(project, &ports, &env)?)]
    }
    Format::Systemd => project
      .config
      .services
      .iter()
      .map(|service| Ok((unit_name(service), systemd(project, service, &ports, &env)?)))
      .collect::<Result<_>>()?,
    Format::Launchd => {
      launchd::check_env_files(&referenced)?;
      project
        .config
        .services
        .iter()
        .map(|service| {
          let name = format!("{}.plist", launchd::label(project, service));
          Ok((name, launchd(project, service, &ports, &env)?))
        })
        .collect::<Result<_>>()?
    }
  };
  match &options.dir {
    Some(dir) => write_all(project, dir, &files, options.force)?,
    None if files.len() == 1 => crate::ui::output::print_out(&files[0].1)?,
    None => {
      let mut out = String::new();
      for (name, text) in &files {
        out.push_str(&format!("# ---- {name} ----\n{text}"));
      }
      crate::ui::output::print_out(&out)?;
    }
  }
  say_referenced(project, format, &referenced);
  if let Format::Kubernetes = format {
    kubernetes::say_secrets(project, &ports, &env)?;
  }
  Ok(())
}

/// Every env file some service reads, once, in order: referenced, not copied.
fn referenced_files(project: &Project, env: &EnvOf<'_>) -> Result<Vec<PathBuf>> {
  let mut files: Vec<PathBuf> = Vec::new();
  for service in &project.config.services {
    for file in env(service)?.files {
      if !files.contains(&file) {
        files.push(file);
      }
    }
  }
  Ok(files)
}

/// Says that the env files' values were left out, who reads them, and how to copy them.
fn say_referenced(project: &Project, format: Format, referenced: &[PathBuf]) {
  if referenced.is_empty() {
    return;
  }
  let names: Vec<String> = referenced.iter().map(|path| display_path(path)).collect();
  let how = match format {
    Format::Compose => "docker-compose.yml reads them through `env_file:`",
    Format::Systemd => "the units read them through `EnvironmentFile=`",
    Format::Kubernetes => {
      "each Deployment reads them from a Secret made of them (`kubectl create secret generic <service>-env-file --from-env-file=…`, in the comments)"
    }
    Format::Procfile | Format::Launchd => {
      "foreman and honcho read `.env` in the directory they run in"
    }
  };
  project.report.step(&format!(
    "the values of {} are not copied: {how} (`--inline-env` copies them)",
    names.join(", ")
  ));
}

/// Writes every file, or none: files already there are refused, each named, unless `force`.
fn write_all(project: &Project, dir: &Path, files: &[(String, String)], force: bool) -> Result<()> {
  let existing: Vec<String> = files
    .iter()
    .map(|(name, _)| dir.join(name))
    .filter(|path| path.exists())
    .map(|path| display_path(&path))
    .collect();
  if !existing.is_empty() && !force {
    return Err(Error::Config {
      message: format!("{} already exists", existing.join(", ")),
      location: None,
      hint: Some("nothing was written; `--force` replaces it, or choose another `--dir`".into()),
    });
  }
  fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", display_path(dir))))?;
  for (name, text) in files {
    let path = dir.join(name);
    fs::write(&path, text).map_err(Error::io(format!("cannot write {}", display_path(&path))))?;
    project
      .report
      .step(&format!("wrote {}", display_path(&path)));
  }
  Ok(())
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
