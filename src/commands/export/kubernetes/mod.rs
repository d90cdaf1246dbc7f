//! `dev export kubernetes`: a Deployment and a Service per service, for a project that
//! outgrows one machine. Ports become named container and Service ports, `health:` a
//! readinessProbe and `liveness:` a livenessProbe (`probe.rs`), the grace
//! `terminationGracePeriodSeconds`, a dependency an initContainer that waits for its Service,
//! and the environment a ConfigMap for plain values and Secret references for the rest
//! (`env.rs`): a secret's value is never written. Images are guessed as compose's are
//! (`container.rs`) and marked `# TODO` where the command names no runtime.

mod env;
mod names;
mod probe;

use std::fmt::Write as _;

use self::{
  env::{KubeEnv, write_config_map, write_env},
  names::{dns_label, port_name},
  probe::write_probe,
};
use super::{
  EnvOf, command,
  container::{image, resolved_probe},
  relative,
};
use crate::{
  config::{Condition, Restart, Service},
  error::{Error, Result},
  plan::PortMap,
  project::Project,
  ui::format::yaml_quote,
};

/// What the init containers that wait for a dependency run: it has `nc` and `sh`.
const WAIT_IMAGE: &str = "busybox:1.36";

const HEADER: &str = "# Written by `dev export kubernetes` from devtasks.yaml. The images are guesses from\n\
# each command, without the project's code: build one with it in /app. In a pod a server\n\
# must listen on 0.0.0.0, not 127.0.0.1.\n";

/// The files of a `--dir` export: `configmap.yaml` (every service's plain environment) when
/// some service has one, then `<service>.yaml` (its Deployment and Service) for each.
pub(super) fn kubernetes(
  project: &Project,
  ports: &PortMap,
  env_of: &EnvOf<'_>,
) -> Result<Vec<(String, String)>> {
  distinct_names(project)?;
  let mut config_maps = String::new();
  let mut files = Vec::new();
  for service in &project.config.services {
    let env = KubeEnv::of(project, service, ports, &env_of(service)?);
    write_config_map(&mut config_maps, &env);
    let file = match format!("{}.yaml", service.name) {
      taken if taken == CONFIG_MAP_FILE => format!("service-{taken}"),
      free => free,
    };
    files.push((file, workload(project, service, ports, &env)?));
  }
  if !config_maps.is_empty() {
    files.insert(
      0,
      (CONFIG_MAP_FILE.into(), format!("{HEADER}{config_maps}")),
    );
  }
  Ok(files)
}

/// Two services whose names make one Kubernetes name (`api_v1` and `api-v1`, or two long
/// names alike in their first 63 characters): the second apply would replace the first.
fn distinct_names(project: &Project) -> Result<()> {
  let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
  for service in &project.config.services {
    let name = dns_label(&service.name);
    if let Some(first) = seen.insert(name.clone(), &service.name) {
      return Err(Error::Usage {
        message: format!(
          "services `{first}` and `{}` both become `{name}` in Kubernetes (names there are \
           lowercase letters, digits and `-`, at most 63): one would replace the other",
          service.name
        ),
        usage: "rename one of them in devtasks.yaml, then `dev export kubernetes` again".into(),
      });
    }
  }
  Ok(())
}

/// Says which values are read from a Secret that the export did not write, and so must be
/// created before `kubectl apply`.
pub(super) fn say_secrets(project: &Project, ports: &PortMap, env_of: &EnvOf<'_>) -> Result<()> {
  for service in &project.config.services {
    let env = KubeEnv::of(project, service, ports, &env_of(service)?);
    if !env.secret_keys().is_empty() {
      project.report.step(&format!(
        "{}: {} read from the Secret `{}`, not written: create it before `kubectl apply` (the comment in its file says how)",
        service.name,
        env.secret_keys().join(", "),
        env.secret()
      ));
    }
  }
  Ok(())
}

const CONFIG_MAP_FILE: &str = "configmap.yaml";

/// One service's Deployment, then its Service when it has ports.
fn workload(
  project: &Project,
  service: &Service,
  ports: &PortMap,
  env: &KubeEnv,
) -> Result<String> {
  let mut out = String::from(HEADER);
  env.write_notes(&mut out);
  let name = dns_label(&service.name);
  let own = ports.get(&service.name).cloned().unwrap_or_default();
  let _ = writeln!(out, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:");
  let _ = writeln!(
    out,
    "  name: {name}\n  labels:\n    app.kubernetes.io/name: {name}"
  );
  let _ = writeln!(out, "spec:\n  replicas: 1\n  selector:\n    matchLabels:");
  let _ = writeln!(
    out,
    "      app.kubernetes.io/name: {name}\n  template:\n    metadata:"
  );
  let _ = writeln!(
    out,
    "      labels:\n        app.kubernetes.io/name: {name}\n    spec:"
  );
  if service.stop_signal.name() != "SIGTERM" {
    let _ = writeln!(
      out,
      "      # dev stops it with {}; Kubernetes always sends SIGTERM, then SIGKILL after the grace.",
      service.stop_signal.name()
    );
  }
  if let Restart::No = service.restart.when {
    let _ = writeln!(
      out,
      "      # dev does not restart it (`restart: no`); a Deployment always does."
    );
  }
  let _ = writeln!(
    out,
    "      terminationGracePeriodSeconds: {}",
    service.grace.as_secs().max(1)
  );
  write_init_containers(&mut out, service, ports);
  write_container(&mut out, project, service, ports, env)?;
  if !own.is_empty() {
    let _ = writeln!(
      out,
      "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}"
    );
    let _ = writeln!(
      out,
      "spec:\n  selector:\n    app.kubernetes.io/name: {name}\n  ports:"
    );
    for (port_spec, port) in &own {
      let _ = writeln!(out, "    - name: {}", port_name(port_spec, *port));
      let _ = writeln!(out, "      port: {port}\n      targetPort: {port}");
    }
  }
  Ok(out)
}

/// The service's one container: image, command, ports, environment and probes.
fn write_container(
  out: &mut String,
  project: &Project,
  service: &Service,
  ports: &PortMap,
  env: &KubeEnv,
) -> Result<()> {
  let run = command(service, ports);
  let _ = writeln!(
    out,
    "      containers:\n        - name: {}",
    dns_label(&service.name)
  );
  match image(&run) {
    Some(image) => {
      let _ = writeln!(out, "          image: {image}");
    }
    None => {
      let _ = writeln!(
        out,
        "          image: {}  # TODO: no runtime guessed from the command: name its image",
        super::container::FALLBACK_IMAGE
      );
    }
  }
  let dir = match relative(project, &service.cwd.path) {
    here if here == "." => "/app".to_owned(),
    below => format!("/app/{below}"),
  };
  let _ = writeln!(out, "          workingDir: {}", yaml_quote(&dir));
  let _ = writeln!(
    out,
    "          command: [\"sh\", \"-c\", {}]",
    yaml_quote(&literal(&run))
  );
  let own = ports.get(&service.name).cloned().unwrap_or_default();
  if !own.is_empty() {
    let _ = writeln!(out, "          ports:");
    for (port_spec, port) in &own {
      let _ = writeln!(out, "            - name: {}", port_name(port_spec, *port));
      let _ = writeln!(out, "              containerPort: {port}");
    }
  }
  write_env(out, env);
  let first_port = own.first().map(|(_, port)| *port);
  for (key, health) in [
    ("readinessProbe", &service.health),
    ("livenessProbe", &service.liveness),
  ] {
    if let Some(health) = health {
      let health = resolved_probe(project, service, ports, health)?;
      write_probe(out, key, &health, first_port);
    }
  }
  Ok(())
}

/// An initContainer per dependency with a port: it waits until the dependency's Service
/// takes connections, which it does only once a pod of it is ready (its readinessProbe).
fn write_init_containers(out: &mut String, service: &Service, ports: &PortMap) {
  let mut waits = Vec::new();
  for dependency in &service.depends_on {
    let name = dns_label(&dependency.service);
    let port = ports
      .get(&dependency.service)
      .and_then(|own| own.first())
      .map(|(_, port)| *port);
    match (dependency.condition, port) {
      (Condition::CompletedSuccessfully, _) => {
        let _ = writeln!(
          out,
          "      # {} must complete first: run it as a Job before applying this.",
          dependency.service
        );
      }
      (_, None) => {
        let _ = writeln!(
          out,
          "      # {} has no port: there is no Service to wait for.",
          dependency.service
        );
      }
      (_, Some(port)) => waits.push((name, port)),
    }
  }
  if waits.is_empty() {
    return;
  }
  let _ = writeln!(out, "      initContainers:");
  for (name, port) in waits {
    let script = format!("until nc -z {name} {port}; do sleep 1; done");
    let _ = writeln!(
      out,
      "        - name: {}\n          image: {WAIT_IMAGE}\n          command: [\"sh\", \"-c\", {}]",
      dns_label(&format!("wait-for-{name}")),
      yaml_quote(&script)
    );
  }
}

/// Kubernetes expands `$(NAME)` in a command from the container's variables; `$$(` keeps a
/// shell's command substitution as written.
fn literal(text: &str) -> String {
  text.replace("$(", "$$(")
}
