//! What an import found, in dev's terms, and the task file written from it: each service's
//! fields as dev names them, with `# not carried over: …` comments where a source key has no
//! meaning for dev, at the place it was.

use crate::ui::format::yaml_quote;

/// The task file to write, format-independent.
#[derive(Debug, Default)]
pub(super) struct Imported {
  /// `a Docker Compose file`: said in the header and by `dev init`.
  pub(super) format: &'static str,
  /// Comments for the top of the file (top-level keys not carried over).
  pub(super) notes: Vec<String>,
  pub(super) services: Vec<ServiceDraft>,
  /// Services that cannot run without a container, with why: written as comments.
  pub(super) skipped: Vec<(String, String)>,
  pub(super) tasks: Vec<TaskDraft>,
}

#[derive(Debug, Default)]
pub(super) struct ServiceDraft {
  pub(super) name: String,
  pub(super) description: Option<String>,
  pub(super) cwd: Option<String>,
  pub(super) run: String,
  pub(super) port: Option<u16>,
  /// Why the port is what it is (a comment beside `port:`).
  pub(super) port_note: Option<String>,
  pub(super) env: Vec<(String, String)>,
  pub(super) env_file: Vec<String>,
  /// (service, `started` / `healthy` / `completed_successfully`)
  pub(super) depends_on: Vec<(String, &'static str)>,
  pub(super) health: Option<Probe>,
  pub(super) liveness: Option<Probe>,
  pub(super) restart: Option<&'static str>,
  pub(super) max_restarts: Option<String>,
  pub(super) restart_delay: Option<String>,
  pub(super) stop_signal: Option<String>,
  pub(super) stop_grace: Option<String>,
  pub(super) profiles: Vec<String>,
  /// Comments written first in the service: what changed and what was not carried over.
  pub(super) notes: Vec<String>,
}

impl ServiceDraft {
  /// Each key of the source's entry that its importer does not read (`read`), said where
  /// the service is written: nothing is dropped without a word.
  pub(super) fn note_unread(&mut self, node: &super::tree::Node, read: &[&str]) {
    for (key, value) in node.entries() {
      if !read.contains(&key.as_str()) {
        self
          .notes
          .push(format!("not carried over: `{key}: {}`", summary(value)));
      }
    }
  }
}

/// `health:` or `liveness:`: `http`, `tcp`, `exec` or `log`, and its timings.
#[derive(Debug, Default)]
pub(super) struct Probe {
  pub(super) kind: &'static str,
  pub(super) target: String,
  pub(super) interval: Option<String>,
  pub(super) timeout: Option<String>,
  pub(super) retries: Option<String>,
}

#[derive(Debug)]
pub(super) struct TaskDraft {
  pub(super) name: String,
  pub(super) description: String,
  pub(super) cwd: Option<String>,
  pub(super) run: String,
}

/// A name dev accepts (ASCII letters, digits, `-`, `_`, `.`; not starting with `-`).
pub(super) fn dev_name(name: &str) -> String {
  let mut out: String = name
    .chars()
    .map(|c| {
      if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
        c
      } else {
        '-'
      }
    })
    .collect();
  if out.is_empty() || out.starts_with('-') {
    out.insert(0, 's');
  }
  out
}

/// A shell word as `sh -c` reads it back: quoted only when it must be; a `$VAR` in it stays
/// expandable (in double quotes), as compose would have put the variable's value there.
pub(super) fn shell_word(word: &str) -> String {
  let plain = !word.is_empty()
    && word
      .chars()
      .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
  if plain {
    word.to_owned()
  } else if word.contains('$') && !word.contains(['"', '\\', '`']) {
    format!("\"{word}\"")
  } else {
    format!("'{}'", word.replace('\'', r"'\''"))
  }
}

/// A command given as one string or as a list of words (exec form), as one shell line.
pub(super) fn command_line(node: &super::tree::Node) -> Option<String> {
  match node {
    super::tree::Node::Scalar(text) => Some(text.clone()),
    super::tree::Node::List(words) => {
      let words: Vec<String> = words
        .iter()
        .filter_map(super::tree::Node::text)
        .map(shell_word)
        .collect();
      (!words.is_empty()).then(|| words.join(" "))
    }
    _ => None,
  }
}

/// A source value in a comment: a scalar, a list's items or a mapping's keys, cut short.
pub(super) fn summary(node: &super::tree::Node) -> String {
  use super::tree::Node;
  let text = match node {
    Node::Null => String::new(),
    Node::Scalar(text) => text.clone(),
    Node::List(items) => items
      .iter()
      .map(|item| item.text().map_or_else(|| "…".to_owned(), str::to_owned))
      .collect::<Vec<_>>()
      .join(", "),
    Node::Map(entries) => entries
      .iter()
      .map(|(key, _)| key.as_str())
      .collect::<Vec<_>>()
      .join(", "),
  };
  let text = text.replace('\n', " ");
  if text.chars().count() > 60 {
    format!("{}…", text.chars().take(60).collect::<String>())
  } else {
    text
  }
}

impl Imported {
  /// Dependencies on a service that was not carried over (or never existed) are dropped,
  /// each said where it was: dev would refuse the file otherwise.
  pub(super) fn drop_dangling_dependencies(&mut self) {
    let names: Vec<String> = self.services.iter().map(|s| s.name.clone()).collect();
    let skipped: Vec<String> = self.skipped.iter().map(|(name, _)| name.clone()).collect();
    for service in &mut self.services {
      let (kept, dropped): (Vec<_>, Vec<_>) = std::mem::take(&mut service.depends_on)
        .into_iter()
        .partition(|(name, _)| names.contains(name));
      service.depends_on = kept;
      for (name, condition) in dropped {
        let why = if skipped.contains(&name) {
          "runs only in a container: start it first"
        } else {
          "no such service"
        };
        service.notes.push(format!(
          "not carried over: depends_on `{name}: {condition}` ({why})"
        ));
      }
    }
  }

  pub(super) fn render(&self, source: &str) -> String {
    let mut out = format!(
      "# devtasks.yaml — written by `dev init --from {source}` ({}); edit freely.\n\
       # `dev` starts every service, Ctrl+C stops them all; `dev list` shows everything.\n\
       # What has no meaning for dev is listed as `# not carried over: …` where it was.\n",
      self.format
    );
    for note in &self.notes {
      out.push_str(&format!("# {note}\n"));
    }
    out.push('\n');
    if self.services.is_empty() {
      out.push_str("services: {}\n");
    } else {
      out.push_str("services:\n");
    }
    for (name, why) in &self.skipped {
      out.push_str(&format!("  # {name}: not carried over: {why}\n"));
    }
    for service in &self.services {
      service.render(&mut out);
    }
    if !self.tasks.is_empty() {
      out.push_str("\ntasks:\n");
      for task in &self.tasks {
        let cwd = task
          .cwd
          .as_ref()
          .map(|cwd| format!(", cwd: {}", yaml_quote(cwd)));
        out.push_str(&format!(
          "  {}: {{ description: {}{}, run: {} }}\n",
          task.name,
          yaml_quote(&task.description),
          cwd.unwrap_or_default(),
          yaml_quote(&task.run)
        ));
      }
    }
    out
  }
}

impl ServiceDraft {
  fn render(&self, out: &mut String) {
    out.push_str(&format!("  {}:\n", self.name));
    for note in &self.notes {
      out.push_str(&format!("    # {note}\n"));
    }
    let mut field = |key: &str, value: String| out.push_str(&format!("    {key}: {value}\n"));
    if let Some(description) = &self.description {
      field("description", yaml_quote(description));
    }
    if let Some(cwd) = &self.cwd {
      field("cwd", yaml_quote(cwd));
    }
    field("run", yaml_quote(&self.run));
    if let Some(port) = self.port {
      let note = self.port_note.as_ref().map(|n| format!("   # {n}"));
      field("port", format!("{port}{}", note.unwrap_or_default()));
    }
    if !self.env_file.is_empty() {
      field("env_file", flow_list(&self.env_file));
    }
    if !self.depends_on.is_empty() {
      let pairs: Vec<String> = self
        .depends_on
        .iter()
        .map(|(name, condition)| format!("{name}: {condition}"))
        .collect();
      field("depends_on", format!("{{ {} }}", pairs.join(", ")));
    }
    for (key, probe) in [("health", &self.health), ("liveness", &self.liveness)] {
      if let Some(probe) = probe {
        field(key, probe.render());
      }
    }
    self.render_lifecycle(&mut field);
    if !self.profiles.is_empty() {
      field("profiles", flow_list(&self.profiles));
    }
    if !self.env.is_empty() {
      out.push_str("    env:\n");
      for (key, value) in &self.env {
        out.push_str(&format!("      {}: {}\n", key_text(key), yaml_quote(value)));
      }
    }
  }

  fn render_lifecycle(&self, field: &mut impl FnMut(&str, String)) {
    if let Some(restart) = self.restart {
      field("restart", restart.to_owned());
    }
    if let Some(max) = &self.max_restarts {
      field("max_restarts", max.clone());
    }
    if let Some(delay) = &self.restart_delay {
      field("restart_delay", yaml_quote(delay));
    }
    let stop: Vec<String> = [("signal", &self.stop_signal), ("grace", &self.stop_grace)]
      .into_iter()
      .filter_map(|(key, value)| Some(format!("{key}: {}", yaml_quote(value.as_ref()?))))
      .collect();
    if !stop.is_empty() {
      field("stop", format!("{{ {} }}", stop.join(", ")));
    }
  }
}

impl Probe {
  fn render(&self) -> String {
    let mut parts = vec![format!("{}: {}", self.kind, yaml_quote(&self.target))];
    for (key, value) in [
      ("interval", &self.interval),
      ("timeout", &self.timeout),
      ("retries", &self.retries),
    ] {
      if let Some(value) = value {
        parts.push(format!("{key}: {}", yaml_quote(value)));
      }
    }
    format!("{{ {} }}", parts.join(", "))
  }
}

fn flow_list(items: &[String]) -> String {
  let items: Vec<String> = items.iter().map(|item| yaml_quote(item)).collect();
  format!("[{}]", items.join(", "))
}

/// An environment variable's name, quoted unless it is a plain identifier.
fn key_text(key: &str) -> String {
  let plain = key
    .chars()
    .next()
    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
  if plain {
    key.to_owned()
  } else {
    yaml_quote(key)
  }
}
