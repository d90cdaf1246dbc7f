//! `package.json` scripts: `dev`, `start`, `serve`… as services (the first found starts with
//! a bare `dev up`, the others under a profile of their name: `next dev` and `next start`
//! would fight over one port), the other scripts as tasks, run by the project's own package
//! manager (`init/node.rs` says which).

use std::path::Path;

use serde_json::Value;

use super::{
  command_port::literal_port,
  draft::{Imported, ServiceDraft, TaskDraft, dev_name},
};
use crate::commands::init::node::Manager;

/// Scripts that run a server, most likely first.
const SERVERS: [&str; 6] = ["dev", "start", "serve", "develop", "preview", "server"];

/// Scripts npm runs by itself around install, pack and publish: not tasks.
fn is_lifecycle(script: &str) -> bool {
  matches!(
    script,
    "prepare"
      | "install"
      | "preinstall"
      | "postinstall"
      | "prepublish"
      | "prepublishOnly"
      | "prepack"
      | "postpack"
      | "version"
      | "preversion"
      | "postversion"
      | "dependencies"
  ) || ((script.starts_with("pre") || script.starts_with("post")) && script.len() > 4)
}

pub(super) fn import(dir: &Path, text: &str, into: &mut Imported) {
  let package: Value = serde_json::from_str(text).unwrap_or(Value::Null);
  let manager = Manager::of(dir, &package);
  let Some(scripts) = package["scripts"].as_object() else {
    into
      .notes
      .push("package.json has no `scripts`: nothing to run".into());
    return;
  };
  let mut lifecycle = Vec::new();
  let mut defaulted = false;
  for server in SERVERS {
    let Some(script) = scripts.get(server).and_then(Value::as_str) else {
      continue;
    };
    let mut service = ServiceDraft {
      name: dev_name(server),
      description: Some(script.to_owned()),
      run: manager.run(server, vite_arguments(script)),
      ..ServiceDraft::default()
    };
    port(script, &package, &mut service);
    if defaulted {
      service.profiles.push(service.name.clone());
      service.notes.push(format!(
        "one server at a time: `dev up {}` starts this one",
        service.name
      ));
    }
    defaulted = true;
    into.services.push(service);
  }
  for (name, script) in scripts {
    let Some(script) = script.as_str() else {
      continue;
    };
    if SERVERS.contains(&name.as_str()) {
      continue;
    }
    if is_lifecycle(name) {
      lifecycle.push(format!("`{name}`"));
      continue;
    }
    into.tasks.push(TaskDraft {
      name: dev_name(name),
      description: script.to_owned(),
      cwd: None,
      run: manager.run(name, ""),
    });
  }
  if !lifecycle.is_empty() {
    into.notes.push(format!(
      "not carried over: scripts {} (the package manager runs them itself)",
      lifecycle.join(", ")
    ));
  }
}

/// A bare `vite` script gets what `dev init` gives Vite: its port from dev, and
/// `--strictPort` (Vite would otherwise move to 5174 without a word, and dev would wait on
/// 5173). A script that already says where it listens is left as it is.
fn vite_arguments(script: &str) -> &'static str {
  let words: Vec<&str> = script.split_whitespace().collect();
  let bare = matches!(words.as_slice(), ["vite"] | ["vite", "dev" | "serve"]);
  if bare {
    "--port $PORT --strictPort --host 127.0.0.1"
  } else {
    ""
  }
}

/// The port the script names, else the framework's default (Next and Create React App read
/// `$PORT`, which dev sets); without either, none: dev then waits for nothing.
fn port(script: &str, package: &Value, service: &mut ServiceDraft) {
  let has = |dep: &str| {
    ["dependencies", "devDependencies"]
      .iter()
      .any(|key| package[key].get(dep).is_some())
  };
  if let Some(port) = literal_port(script) {
    service.port = Some(port);
    service.port_note = Some("named in the script".into());
  } else if let Some((tool, port)) = [("next", 3000), ("vite", 5173), ("react-scripts", 3000)]
    .into_iter()
    .find(|(tool, _)| has(tool) && script.contains(tool))
  {
    service.port = Some(port);
    service.port_note = Some(if service.run.contains("--strictPort") {
      "given to vite as --port $PORT --strictPort".into()
    } else {
      format!("{tool}'s default")
    });
  } else {
    service
      .notes
      .push("no port named in the script: ready once started (add `port:` if it listens)".into());
  }
}
