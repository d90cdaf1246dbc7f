//! `dev export compose`: a docker-compose.yml with healthchecks using what the guessed image
//! has, `condition: service_healthy`, other services reached by name, the stop signal and
//! grace; the env files through `env_file:`. Every string compose interpolates has its `$` doubled: `$PORT` in a command is the
//! container shell's, and `abc$def` in an env file stays `abc$def`.

use std::fmt::Write as _;

use super::{
  EnvOf, command,
  container::{FALLBACK_IMAGE, for_containers, image, resolved_probe},
  relative,
};
use crate::{
  config::{Condition, Probe, Restart, Service},
  error::Result,
  plan::PortMap,
  project::Project,
  ui::format::yaml_quote,
};

/// A value compose must take as it is: it would expand `$VAR` and `${VAR}` from the host.
fn literal(text: &str) -> String {
  text.replace('$', "$$")
}

pub(super) fn compose(project: &Project, ports: &PortMap, env_of: &EnvOf<'_>) -> Result<String> {
  let mut out = String::from(
    "# Written by `dev export compose` from devtasks.yaml. The images are guesses from each\n\
     # command: check them. In a container a server must listen on 0.0.0.0, not 127.0.0.1.\n\
     services:\n",
  );
  for service in &project.config.services {
    let run = command(service, ports);
    let image = image(&run).unwrap_or(FALLBACK_IMAGE);
    let _ = writeln!(out, "  {}:", service.name);
    let _ = writeln!(out, "    image: {image}");
    let _ = writeln!(
      out,
      "    working_dir: {}",
      yaml_quote(&format!("/app/{}", relative(project, &service.cwd.path)))
    );
    let _ = writeln!(out, "    volumes: [\"./:/app\"]");
    let _ = writeln!(
      out,
      "    command: [\"sh\", \"-c\", {}]",
      yaml_quote(&literal(&run))
    );
    let env = env_of(service)?;
    if !env.files.is_empty() {
      // Compose reads them itself (relative to this file); `environment:` wins over them,
      // as `env:` and the ports win over the env files in `dev`.
      let files: Vec<String> = env
        .files
        .iter()
        .map(|file| yaml_quote(&format!("./{}", relative(project, file))))
        .collect();
      let _ = writeln!(out, "    env_file: [{}]", files.join(", "));
    }
    if !env.inline.is_empty() {
      let _ = writeln!(out, "    environment:");
      for (key, value) in env.inline {
        let _ = writeln!(
          out,
          "      {key}: {}",
          yaml_quote(&literal(&for_containers(
            &value,
            project,
            ports,
            str::to_owned
          )))
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
    write_healthcheck(&mut out, project, service, ports, image)?;
    write_depends_on(&mut out, project, service);
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

/// `healthcheck:` from the service's readiness probe, as a command the image can run.
fn write_healthcheck(
  out: &mut String,
  project: &Project,
  service: &Service,
  ports: &PortMap,
  image: &str,
) -> Result<()> {
  let own = ports.get(&service.name).cloned().unwrap_or_default();
  if let Some(health) = &service.health {
    let probe = resolved_probe(project, service, ports, health)?;
    if let Some(test) = healthcheck(&probe.probe, own.first().map(|(_, p)| *p), image) {
      let _ = writeln!(out, "    healthcheck:");
      let _ = writeln!(
        out,
        "      test: [\"CMD-SHELL\", {}]",
        yaml_quote(&literal(&test))
      );
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
  Ok(())
}

/// `depends_on:` with Compose's names for the conditions; `healthy` only where Compose has
/// a healthcheck to wait for.
fn write_depends_on(out: &mut String, project: &Project, service: &Service) {
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
