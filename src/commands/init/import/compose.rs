//! `docker-compose.yml` / `compose.yaml`: services that run a command on the host become
//! dev services; one that is built (`build:`) or is only an image runs only in a container
//! and is written as a comment that says so.

use super::{
  command_port::with_port_variable,
  draft::{Imported, Probe, ServiceDraft, command_line, dev_name, summary},
  tree::Node,
};

/// Service keys read here; any other is a `# not carried over` comment.
const READ: [&str; 13] = [
  "command",
  "entrypoint",
  "image",
  "build",
  "ports",
  "environment",
  "env_file",
  "depends_on",
  "healthcheck",
  "profiles",
  "restart",
  "stop_signal",
  "stop_grace_period",
];

pub(super) fn import(root: &Node, into: &mut Imported) {
  for (key, value) in root.entries() {
    match key.as_str() {
      "services" | "version" => {}
      key if key.starts_with("x-") => {}
      "volumes" | "networks" | "secrets" | "configs" => into.notes.push(format!(
        "not carried over: top-level `{key}:` ({}): they exist only for containers",
        summary(value)
      )),
      other => into.notes.push(format!(
        "not carried over: top-level `{other}: {}`",
        summary(value)
      )),
    }
  }
  let entries = root.get("services").map(Node::entries).unwrap_or_default();
  for (name, node) in entries {
    match container_only(name, node) {
      Some(why) => into.skipped.push((dev_name(name), why)),
      None => into.services.push(service(name, node)),
    }
  }
  let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
  super::addresses::host_addresses(into, &names);
}

/// Why a service cannot run on the host, or `None` when it has a command to run.
fn container_only(name: &str, node: &Node) -> Option<String> {
  if let Some(build) = node.get("build") {
    let context = build.text().or_else(|| build.str("context")).unwrap_or(".");
    return Some(format!(
      "built from `{context}` (`build:`): it runs only in a container \
       (`docker compose up {name}`), or write its command here"
    ));
  }
  if node.get("command").is_none() && node.get("entrypoint").is_none() {
    let image = node.str("image").unwrap_or("?");
    return Some(format!(
      "image `{image}` with no `command:` runs only in a container \
       (`docker compose up {name}`)"
    ));
  }
  None
}

fn service(name: &str, node: &Node) -> ServiceDraft {
  let mut service = ServiceDraft {
    name: dev_name(name),
    ..ServiceDraft::default()
  };
  let words: Vec<String> = ["entrypoint", "command"]
    .iter()
    .filter_map(|key| command_line(node.get(key)?))
    .collect();
  // `$$` is compose's plain `$`; `\$` is the shell's.
  service.run = words.join(" ").replace("$$", "\\$");
  if let Some(image) = node.str("image") {
    service.notes.push(format!(
      "ran in image `{image}`; here it runs on this machine, with the programs installed here"
    ));
  }
  if service.name != name {
    service.notes.push(format!("`{name}` in the compose file"));
  }
  environment(node, &mut service);
  service.env_file = env_files(node.get("env_file"));
  depends_on(node.get("depends_on"), &mut service);
  service.health = node
    .get("healthcheck")
    .and_then(|check| healthcheck(check, &mut service));
  ports(node.get("ports"), &mut service);
  lifecycle(node, &mut service);
  service.profiles = node.get("profiles").map(Node::strings).unwrap_or_default();
  service.note_unread(node, &READ);
  service
}

/// `environment:` as a map or as `KEY=value` lines. A name without a value passes the
/// shell's own through in compose, which dev's services inherit anyway.
fn environment(node: &Node, service: &mut ServiceDraft) {
  let pairs: Vec<(String, Option<String>)> = match node.get("environment") {
    Some(Node::Map(entries)) => entries
      .iter()
      .map(|(key, value)| (key.clone(), value.text().map(str::to_owned)))
      .collect(),
    Some(Node::List(items)) => items
      .iter()
      .filter_map(Node::text)
      .map(|line| match line.split_once('=') {
        Some((key, value)) => (key.to_owned(), Some(value.to_owned())),
        None => (line.to_owned(), None),
      })
      .collect(),
    _ => Vec::new(),
  };
  for (key, value) in pairs {
    match value {
      Some(value) => service.env.push((key, value.replace("$$", "\\$"))),
      None => service.notes.push(format!(
        "environment `{key}` (no value: the shell's) needs no line: services inherit dev's environment"
      )),
    }
  }
}

/// `env_file: .env`, a list, or a list of `{path, required}`.
fn env_files(node: Option<&Node>) -> Vec<String> {
  match node {
    Some(Node::List(items)) => items
      .iter()
      .filter_map(|item| item.text().or_else(|| item.str("path")))
      .map(str::to_owned)
      .collect(),
    Some(other) => other.strings(),
    None => Vec::new(),
  }
}

fn depends_on(node: Option<&Node>, service: &mut ServiceDraft) {
  let Some(node) = node else { return };
  for name in node.items().iter().filter_map(Node::text) {
    service.depends_on.push((dev_name(name), "started"));
  }
  for (name, options) in node.entries() {
    let condition = match options.str("condition") {
      Some("service_healthy") => "healthy",
      Some("service_completed_successfully") => "completed_successfully",
      _ => "started",
    };
    for key in ["restart", "required"] {
      if let Some(value) = options.str(key) {
        service.notes.push(format!(
          "not carried over: depends_on `{name}` `{key}: {value}`"
        ));
      }
    }
    service.depends_on.push((dev_name(name), condition));
  }
}

/// `healthcheck:` as dev's probe: `curl`/`wget` of a URL as an `http` probe (no curl needed
/// on this machine), any other test as `exec`.
fn healthcheck(check: &Node, service: &mut ServiceDraft) -> Option<Probe> {
  if check.is_true("disable") {
    return None;
  }
  let test = match check.get("test")? {
    Node::List(words) => match words.first().and_then(Node::text) {
      Some("NONE") => return None,
      Some("CMD-SHELL") => words.get(1)?.text()?.to_owned(),
      Some("CMD") => command_line(&Node::List(words[1..].to_vec()))?,
      _ => command_line(&Node::List(words.clone()))?,
    },
    other => other.text()?.to_owned(),
  };
  for key in ["start_period", "start_interval"] {
    if let Some(value) = check.str(key) {
      service.notes.push(format!(
        "not carried over: healthcheck `{key}: {value}` (dev waits up to `start_timeout`, 60s)"
      ));
    }
  }
  let (kind, target) = match fetched_url(&test) {
    Some(url) => ("http", url),
    None => ("exec", test.replace("$$", "\\$")),
  };
  Some(Probe {
    kind,
    target,
    interval: check.str("interval").map(str::to_owned),
    timeout: check.str("timeout").map(str::to_owned),
    retries: check.str("retries").map(str::to_owned),
  })
}

/// The URL of `curl -f http://…` or `wget -q --spider http://…`: flags and one URL only.
fn fetched_url(test: &str) -> Option<String> {
  let mut words = test.split_whitespace();
  if !matches!(words.next()?, "curl" | "wget") {
    return None;
  }
  let rest: Vec<&str> = words.filter(|word| !word.starts_with('-')).collect();
  match rest.as_slice() {
    [url] if url.starts_with("http://") || url.starts_with("https://") => Some(
      url
        .trim_matches(['"', '\''])
        .replace("//localhost", "//127.0.0.1"),
    ),
    _ => None,
  }
}

/// `"8000"`, `"8080:8000"`, `"127.0.0.1:8080:8000/tcp"` or `{target, published}`:
/// (published, target).
fn mapping(node: &Node) -> Option<(u16, u16)> {
  if let Some(target) = node.str("target") {
    let target: u16 = target.parse().ok()?;
    let published = node.str("published").and_then(|p| p.parse().ok());
    return Some((published.unwrap_or(target), target));
  }
  let text = node.text()?;
  let text = text.split('/').next()?;
  let mut parts = text.rsplit(':');
  let target: u16 = parts.next()?.parse().ok()?;
  let published = match parts.next() {
    Some(published) => published.parse().ok()?,
    None => target,
  };
  Some((published, target))
}

/// The first mapping is the service's port. Where the command has the container's port
/// literally, that becomes `$PORT` and the service listens on the published port, as it was
/// reached with compose; otherwise the command's own port is awaited and left alone.
fn ports(node: Option<&Node>, service: &mut ServiceDraft) {
  let Some(node) = node else { return };
  let mut mappings = node.items().iter();
  if let Some(first) = mappings.next() {
    match mapping(first) {
      Some((published, target)) => port(&summary(first), published, target, service),
      None => service.notes.push(format!(
        "not carried over: ports `{}` (a range or a form dev has no port for)",
        summary(first)
      )),
    }
  }
  for other in mappings {
    service.notes.push(format!(
      "not carried over: ports `{}` (dev awaits one port; more go under `ports:`)",
      summary(other)
    ));
  }
}

fn port(shown: &str, published: u16, target: u16, service: &mut ServiceDraft) {
  if let Some(run) = with_port_variable(&service.run, target) {
    service.run = run;
    service.port = Some(published);
    service.port_note = Some(format!(
      "ports `{shown}`; the command's {target} is now $PORT, so `dev up --port {}=N` moves it",
      service.name
    ));
    if let Some(health) = &mut service.health
      && let Some(target_text) = with_port_variable(&health.target, target)
    {
      health.target = target_text;
    }
  } else {
    service.port = Some(target);
    service.port_note = Some(if published == target {
      format!("ports `{shown}`")
    } else {
      format!("ports `{shown}`: the command listens on {target} itself")
    });
  }
}

/// `restart:`, `stop_signal:`, `stop_grace_period:`.
fn lifecycle(node: &Node, service: &mut ServiceDraft) {
  match node.str("restart") {
    Some("always") => service.restart = Some("always"),
    Some("unless-stopped") => {
      service.restart = Some("always");
      service
        .notes
        .push("restart: unless-stopped is `always` here: `dev stop` stops it".into());
    }
    Some(policy) if policy.starts_with("on-failure") => {
      service.restart = Some("on-failure");
      service.max_restarts = policy.split_once(':').map(|(_, max)| max.to_owned());
    }
    _ => {}
  }
  service.stop_signal = node.str("stop_signal").map(str::to_owned);
  service.stop_grace = node.str("stop_grace_period").map(str::to_owned);
}

#[cfg(test)]
mod tests {
  use std::path::Path;

  use super::*;
  use crate::commands::init::import::tree::parse;

  fn imported(yaml: &str) -> Imported {
    let mut into = Imported::default();
    import(
      &parse(Path::new("compose.yaml"), yaml, false).unwrap(),
      &mut into,
    );
    into
  }

  #[test]
  fn ports_environment_and_healthchecks_in_every_form() {
    let into = imported(
      "services:\n  a:\n    image: i\n    command: serve --port 8000\n\
       \x20   ports: [\"127.0.0.1:8080:8000/tcp\", \"9000:9000\"]\n\
       \x20   environment: [\"A=1\", \"B\", \"C=$$HOME\"]\n\
       \x20   healthcheck: {test: [\"CMD-SHELL\", \"pg_isready -p 8000\"], start_period: 5s}\n\
       \x20 b:\n    entrypoint: [\"python3\", \"-c\", \"print('$$x')\"]\n\
       \x20   ports: [{target: 7000, published: 7001}]\n    restart: on-failure:3\n\
       \x20   healthcheck: {test: curl -fsS http://localhost:7000/health}\n",
    );
    let a = &into.services[0];
    // The container's 8000 was in the command: $PORT there, served on the published 8080.
    assert_eq!(a.run, "serve --port $PORT");
    assert_eq!(a.port, Some(8080));
    let probe = a.health.as_ref().unwrap();
    assert_eq!(
      (probe.kind, probe.target.as_str()),
      ("exec", "pg_isready -p $PORT")
    );
    assert_eq!(
      a.env,
      [("A".into(), "1".into()), ("C".into(), "\\$HOME".into())]
    );
    assert!(
      a.notes.iter().any(|n| n.contains("ports `9000:9000`")),
      "{:?}",
      a.notes
    );
    assert!(a.notes.iter().any(|n| n.contains("`B`")), "{:?}", a.notes);
    assert!(
      a.notes.iter().any(|n| n.contains("start_period")),
      "{:?}",
      a.notes
    );
    let b = &into.services[1];
    assert_eq!(b.run, "python3 -c \"print('\\$x')\"");
    // Not in the command: the command's own port, awaited and left alone.
    assert_eq!(b.port, Some(7000));
    assert_eq!(
      (b.restart, b.max_restarts.as_deref()),
      (Some("on-failure"), Some("3"))
    );
    let probe = b.health.as_ref().unwrap();
    assert_eq!(
      (probe.kind, probe.target.as_str()),
      ("http", "http://127.0.0.1:7000/health")
    );
  }
}
