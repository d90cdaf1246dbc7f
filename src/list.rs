//! `dev list [--json]`: services and tasks with their descriptions.

use serde::Serialize;

use crate::{error::Result, project::Project};

#[derive(Serialize)]
struct Listing<'a> {
  services: Vec<Entry<'a>>,
  tasks: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
  name: &'a str,
  description: Option<&'a str>,
  #[serde(skip_serializing_if = "Option::is_none")]
  port: Option<u16>,
  #[serde(skip_serializing_if = "Vec::is_empty")]
  depends_on: Vec<(&'a str, &'static str)>,
  #[serde(skip_serializing_if = "Vec::is_empty")]
  deps: Vec<&'a str>,
}

pub(crate) fn list(project: &Project, json: bool) -> Result<()> {
  let config = &project.config;
  let listing = Listing {
    services: config
      .services
      .iter()
      .map(|s| Entry {
        name: &s.name,
        description: s.description.as_deref(),
        port: s.port(),
        depends_on: s
          .depends_on
          .iter()
          .map(|d| (d.service.as_str(), d.condition.name()))
          .collect(),
        deps: Vec::new(),
      })
      .collect(),
    tasks: config
      .tasks
      .iter()
      .map(|t| Entry {
        name: &t.name,
        description: t.description.as_deref(),
        port: None,
        depends_on: Vec::new(),
        deps: t.deps.iter().map(String::as_str).collect(),
      })
      .collect(),
  };
  if json {
    crate::output::print_json(&listing);
    return Ok(());
  }
  let color = project.color;
  let width = listing
    .services
    .iter()
    .chain(&listing.tasks)
    .map(|e| e.name.len())
    .max()
    .unwrap_or(0);
  let mut out = String::new();
  for (title, entries) in [("Services:", &listing.services), ("Tasks:", &listing.tasks)] {
    if entries.is_empty() {
      continue;
    }
    out.push_str(&format!("{}\n", color.bold(title)));
    for entry in entries {
      let mut line = format!("    {:<width$}", entry.name);
      if let Some(description) = entry.description {
        line.push_str(&format!(" {} {description}", color.dim("#")));
      }
      if let Some(port) = entry.port {
        line.push_str(&format!(" {}", color.dim(&format!("(port {port})"))));
      }
      out.push_str(line.trim_end());
      out.push('\n');
    }
  }
  print!("{out}");
  Ok(())
}
