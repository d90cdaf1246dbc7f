//! `dev export compose|procfile|systemd`: the services, for when the team outgrows one
//! laptop — a docker-compose.yml with healthchecks and `condition: service_healthy`, a
//! Procfile, or systemd user units with the same stop semantics (signal to the whole group,
//! the grace, then SIGKILL). Ports and `${svc.port}` are resolved as `dev` would start them.

use std::{fmt::Write as _, fs, path::Path};

use crate::{
  config::{Condition, Probe, Restart, Service, interpolate},
  error::{Error, Result},
  format::{shell_quote, yaml_quote},
  plan::{self, PortMap, PortOverrides, port_reference},
  project::Project,
  source::display_path,
};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
  Compose,
  Procfile,
  Systemd,
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
    None if files.len() == 1 => crate::output::print_out(&files[0].1)?,
    None => {
      let mut out = String::new();
      for (name, text) in &files {
        out.push_str(&format!("# ---- {name} ----\n{text}"));
      }
      crate::output::print_out(&out)?;
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

/// Inside compose, another service is reached by its name, not 127.0.0.1.
fn for_containers(text: &str, project: &Project, ports: &PortMap) -> String {
  let mut text = text.to_owned();
  for service in &project.config.services {
    for (_, port) in ports.get(&service.name).into_iter().flatten() {
      for host in ["127.0.0.1", "localhost"] {
        text = text.replace(
          &format!("{host}:{port}"),
          &format!("{}:{port}", service.name),
        );
      }
    }
  }
  text
}

/// A base image that has the service's runtime, guessed from its program.
fn image(run: &str) -> &'static str {
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
    "python:3.12-slim"
  } else if has(&["node", "npm", "npx", "yarn", "pnpm", "vite", "next"]) {
    "node:22-slim"
  } else if has(&["rails", "ruby", "bundle", "rake"]) {
    "ruby:3.3-slim"
  } else if has(&["cargo"]) {
    "rust:1-slim"
  } else if has(&["go"]) {
    "golang:1"
  } else {
    "debian:stable-slim"
  }
}

fn compose(project: &Project, ports: &PortMap) -> Result<String> {
  let mut out = String::from(
    "# Written by `dev export compose` from devtasks.yaml. The images are guesses from each\n\
     # command: check them. In a container a server must listen on 0.0.0.0, not 127.0.0.1.\n\
     services:\n",
  );
  for service in &project.config.services {
    let run = command(service, ports);
    let image = image(&run);
    let _ = writeln!(out, "  {}:", service.name);
    let _ = writeln!(out, "    image: {image}");
    let _ = writeln!(
      out,
      "    working_dir: {}",
      yaml_quote(&format!("/app/{}", relative(project, &service.cwd.path)))
    );
    let _ = writeln!(out, "    volumes: [\"./:/app\"]");
    let _ = writeln!(out, "    command: [\"sh\", \"-c\", {}]", yaml_quote(&run));
    let env = environment(project, service, ports)?;
    if !env.is_empty() {
      let _ = writeln!(out, "    environment:");
      for (key, value) in env {
        let _ = writeln!(
          out,
          "      {key}: {}",
          yaml_quote(&for_containers(&value, project, ports))
        );
      }
    }
    let own = ports.get(&service.name).cloned().unwrap_or_default();
    if !own.is_empty() {
      let list: Vec<String> = own
        .iter()
        .map(|(_, port)| yaml_quote(&format!("127.0.0.1:{port}:{port}")))
        .collect();
      let _ = writeln!(out, "    ports: [{}]", list.join(", "));
    }
    if let Some(health) = &service.health {
      let probe = crate::probe::resolve(
        health,
        &plan::keeper_spec(&project.config, service, ports, None)?,
        ports,
      );
      if let Some(test) = healthcheck(&probe.probe, own.first().map(|(_, p)| *p), image) {
        let _ = writeln!(out, "    healthcheck:");
        let _ = writeln!(out, "      test: [\"CMD-SHELL\", {}]", yaml_quote(&test));
        let _ = writeln!(out, "      interval: {}s", health.interval.as_secs().max(1));
        let _ = writeln!(out, "      timeout: {}s", health.timeout.as_secs().max(1));
        let _ = writeln!(out, "      retries: {}", health.retries);
        let _ = writeln!(
          out,
          "      start_period: {}s",
          health.start_timeout.as_secs()
        );
      }
    }
    if !service.depends_on.is_empty() {
      let _ = writeln!(out, "    depends_on:");
      for dependency in &service.depends_on {
        let healthy_possible = project
          .config
          .service(&dependency.service)
          .is_some_and(|s| s.health.is_some());
        let condition = match dependency.condition {
          Condition::Healthy if healthy_possible => "service_healthy",
          Condition::Healthy | Condition::Started => "service_started",
          Condition::CompletedSuccessfully => "service_completed_successfully",
        };
        let _ = writeln!(
          out,
          "      {}: {{ condition: {condition} }}",
          dependency.service
        );
      }
    }
    let restart = match service.restart.when {
      Restart::No => "\"no\"",
      Restart::OnFailure => "on-failure",
      Restart::Always => "always",
    };
    let _ = writeln!(out, "    restart: {restart}");
    let _ = writeln!(out, "    stop_signal: {}", service.stop_signal.name());
    let _ = writeln!(
      out,
      "    stop_grace_period: {}s",
      service.grace.as_secs().max(1)
    );
  }
  Ok(out)
}

/// The probe as a command inside the container, with what the image surely has.
fn healthcheck(probe: &Probe, port: Option<u16>, image: &str) -> Option<String> {
  let url = match probe {
    Probe::Http { url, .. } => url.clone(),
    Probe::Exec { command } => return Some(command.clone()),
    Probe::Tcp { address } => format!("tcp://{address}"),
    Probe::Listening => format!("tcp://127.0.0.1:{}", port?),
    Probe::Log { .. } => return None,
  };
  let tcp = url.strip_prefix("tcp://");
  Some(match (image, tcp) {
    (i, None) if i.starts_with("python") => {
      format!("python3 -c \"import urllib.request; urllib.request.urlopen('{url}', timeout=2)\"")
    }
    (i, None) if i.starts_with("node") => {
      format!(
        "node -e \"fetch('{url}').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))\""
      )
    }
    (_, None) => format!("curl -fsS {url} >/dev/null"),
    (i, Some(address)) if i.starts_with("python") => {
      let (host, port) = address.rsplit_once(':')?;
      format!("python3 -c \"import socket; socket.create_connection(('{host}', {port}), 2)\"")
    }
    (_, Some(address)) => {
      let (host, port) = address.rsplit_once(':')?;
      format!("bash -c '</dev/tcp/{host}/{port}'")
    }
  })
}

fn procfile(project: &Project, ports: &PortMap) -> Result<String> {
  let mut out = String::new();
  for service in &project.config.services {
    let env: Vec<String> = environment(project, service, ports)?
      .into_iter()
      .map(|(key, value)| format!("{key}={}", shell_quote(&value)))
      .collect();
    let cwd = relative(project, &service.cwd.path);
    let cd = if cwd == "." {
      String::new()
    } else {
      format!("cd {} && ", shell_quote(&cwd))
    };
    let _ = writeln!(
      out,
      "{}: {cd}{}{}sh -c {}",
      service.name,
      env.join(" "),
      if env.is_empty() { "" } else { " " },
      shell_quote(&command(service, ports))
    );
  }
  Ok(out)
}

fn unit_name(service: &Service) -> String {
  format!("dev-{}.service", service.name)
}

fn systemd(project: &Project, service: &Service, ports: &PortMap) -> Result<String> {
  let mut out = String::from("[Unit]\n");
  let description = service.description.as_deref().unwrap_or(&service.name);
  let _ = writeln!(
    out,
    "Description={} ({})",
    description,
    display_path(&project.config.root)
  );
  for dependency in &service.depends_on {
    let unit = project
      .config
      .service(&dependency.service)
      .map(unit_name)
      .unwrap_or_default();
    let _ = writeln!(out, "After={unit}\nRequires={unit}");
  }
  out.push_str("\n[Service]\nType=simple\n");
  let _ = writeln!(out, "WorkingDirectory={}", service.cwd.path.display());
  for (key, value) in environment(project, service, ports)? {
    let _ = writeln!(
      out,
      "Environment={}",
      systemd_quote(&format!("{key}={value}"))
    );
  }
  // `$$` and `%%`: systemd would expand `$VAR` and `%x` itself; the shell should.
  let run = command(service, ports)
    .replace('%', "%%")
    .replace('$', "$$");
  let _ = writeln!(out, "ExecStart=/bin/sh -c {}", systemd_quote(&run));
  out.push_str("# The same stop as dev: the signal to the whole group, the grace, then SIGKILL.\n");
  out.push_str("KillMode=control-group\n");
  let _ = writeln!(out, "KillSignal={}", service.stop_signal.name());
  let _ = writeln!(out, "TimeoutStopSec={}", service.grace.as_secs().max(1));
  let restart = match service.restart.when {
    Restart::No => "no",
    Restart::OnFailure => "on-failure",
    Restart::Always => "always",
  };
  let _ = writeln!(out, "Restart={restart}");
  let _ = writeln!(out, "RestartSec={}ms", service.restart.delay_ms);
  let log = project.config.log_dir.join(format!("{}.log", service.name));
  let _ = writeln!(
    out,
    "StandardOutput=append:{}\nStandardError=inherit",
    log.display()
  );
  out.push_str("\n[Install]\nWantedBy=default.target\n");
  Ok(out)
}

/// A systemd double-quoted word: `"` and `\` escaped.
fn systemd_quote(text: &str) -> String {
  format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
