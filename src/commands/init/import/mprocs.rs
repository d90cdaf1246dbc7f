//! `mprocs.yaml`: `procs:` with `shell:` or `cmd:` (a list), `cwd:`, `env:`, `autostart:`,
//! `autorestart:` and `stop:`.

use super::{
  command_port::{literal_port, with_port_variable},
  draft::{Imported, ServiceDraft, command_line, dev_name, summary},
  tree::Node,
};

const READ: [&str; 7] = [
  "shell",
  "cmd",
  "cwd",
  "env",
  "autostart",
  "autorestart",
  "stop",
];

pub(super) fn import(root: &Node, into: &mut Imported) {
  for (key, value) in root.entries() {
    if key != "procs" {
      into.notes.push(format!(
        "not carried over: top-level `{key}: {}` (mprocs' own UI)",
        summary(value)
      ));
    }
  }
  for (name, node) in root.get("procs").map(Node::entries).unwrap_or_default() {
    match proc(name, node) {
      Some(service) => into.services.push(service),
      None => into.skipped.push((
        dev_name(name),
        "no `shell:` or `cmd:` that dev can run".into(),
      )),
    }
  }
}

fn proc(name: &str, node: &Node) -> Option<ServiceDraft> {
  let run = match node {
    Node::Scalar(command) => command.clone(),
    _ => node
      .str("shell")
      .map(str::to_owned)
      .or_else(|| command_line(node.get("cmd")?))?,
  };
  let mut service = ServiceDraft {
    name: dev_name(name),
    // mprocs writes the file's directory as `<CONFIG_DIR>`; dev's `cwd:` is relative to it.
    cwd: node
      .str("cwd")
      .map(|cwd| {
        cwd
          .trim_start_matches("<CONFIG_DIR>")
          .trim_start_matches('/')
      })
      .map(|cwd| if cwd.is_empty() { "." } else { cwd }.to_owned()),
    run,
    ..ServiceDraft::default()
  };
  if service.name != name {
    service.notes.push(format!("`{name}` in mprocs.yaml"));
  }
  for (key, value) in node.get("env").map(Node::entries).unwrap_or_default() {
    match value.text() {
      Some(value) => service.env.push((key.clone(), value.to_owned())),
      None => service.notes.push(format!(
        "not carried over: env `{key}: null` (mprocs removes it; dev passes the shell's on)"
      )),
    }
  }
  if let Some(port) = literal_port(&service.run) {
    service.port = Some(port);
    service.port_note = Some(match with_port_variable(&service.run, port) {
      Some(run) => {
        service.run = run;
        format!("read from the command, whose {port} is now $PORT")
      }
      None => "read from the command".into(),
    });
  }
  lifecycle(node, &mut service);
  service.note_unread(node, &READ);
  Some(service)
}

fn lifecycle(node: &Node, service: &mut ServiceDraft) {
  if node.str("autostart") == Some("false") {
    service.profiles.push("manual".into());
    service.notes.push(format!(
      "autostart: false: a bare `dev up` leaves it; `dev up {}` starts it",
      service.name
    ));
  }
  if node.is_true("autorestart") {
    service.restart = Some("always");
  }
  match node.get("stop") {
    Some(Node::Scalar(signal)) if signal.starts_with("SIG") => {
      service.stop_signal = Some(signal.clone());
    }
    Some(other) => service.notes.push(format!(
      "not carried over: stop `{}` (dev stops with a signal, then SIGKILL)",
      summary(other)
    )),
    None => {}
  }
}
