//! `dev list [--json]`: services, then tasks by group, aligned, with descriptions, arguments
//! and aliases. Private tasks are left out of the table; `--json` dumps the resolved file.

use serde::Serialize;

use crate::{
  config::{Service, Task, TaskArg},
  error::Result,
  project::Project,
  source::display_path,
};

#[derive(Serialize)]
struct Listing<'a> {
  file: String,
  default: Option<&'a str>,
  services: Vec<ServiceEntry<'a>>,
  tasks: Vec<TaskEntry<'a>>,
}

#[derive(Serialize)]
struct ServiceEntry<'a> {
  name: &'a str,
  description: Option<&'a str>,
  run: &'a str,
  cwd: String,
  port: Option<u16>,
  ports: Vec<(&'a str, u16)>,
  depends_on: Vec<(&'a str, &'static str)>,
  health: Option<&'a crate::config::Probe>,
  liveness: Option<&'a crate::config::Probe>,
  restart: crate::config::RestartPolicy,
}

#[derive(Serialize)]
struct TaskEntry<'a> {
  name: &'a str,
  description: Option<&'a str>,
  run: &'a [String],
  deps: &'a [String],
  parallel: bool,
  args: &'a [TaskArg],
  aliases: &'a [String],
  private: bool,
  group: Option<&'a str>,
  platforms: Vec<&'static str>,
  confirm: Option<&'a str>,
  needs: &'a [String],
  cwd: String,
}

fn service_entry(service: &Service) -> ServiceEntry<'_> {
  ServiceEntry {
    name: &service.name,
    description: service.description.as_deref(),
    run: &service.run,
    cwd: display_path(&service.cwd.path),
    port: service.port(),
    ports: service
      .ports
      .iter()
      .map(|port| (port.name.as_str(), port.preferred))
      .collect(),
    depends_on: service
      .depends_on
      .iter()
      .map(|d| (d.service.as_str(), d.condition.name()))
      .collect(),
    health: service.health.as_ref().map(|health| &health.probe),
    liveness: service.liveness.as_ref().map(|health| &health.probe),
    restart: service.restart,
  }
}

fn task_entry(task: &Task) -> TaskEntry<'_> {
  TaskEntry {
    name: &task.name,
    description: task.description.as_deref(),
    run: &task.commands,
    deps: &task.deps,
    parallel: task.parallel,
    args: &task.args,
    aliases: &task.aliases,
    private: task.is_private(),
    group: task.group.as_deref(),
    platforms: task.platforms.iter().map(|p| p.name()).collect(),
    confirm: task.confirm.as_deref(),
    needs: &task.needs,
    cwd: display_path(&task.cwd.path),
  }
}

pub(crate) fn list(project: &Project, json: bool) -> Result<()> {
  let config = &project.config;
  if json {
    return crate::output::print_json(&Listing {
      file: display_path(&config.path),
      default: config.default.as_deref(),
      services: config.services.iter().map(service_entry).collect(),
      tasks: config.tasks.iter().map(task_entry).collect(),
    });
  }
  let color = project.color;
  // (heading, rows of (name with arguments, comment)).
  let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
  if !config.services.is_empty() {
    let rows = config
      .services
      .iter()
      .map(|service| {
        let mut comment = service.description.clone().unwrap_or_default();
        if let Some(port) = service.port() {
          comment = format!("{comment} {}", color.dim(&format!("(port {port})")));
        }
        (service.name.clone(), comment.trim().to_owned())
      })
      .collect();
    sections.push(("Services:".into(), rows));
  }
  let mut groups: Vec<Option<&str>> = Vec::new();
  for task in config.tasks.iter().filter(|task| !task.is_private()) {
    if !groups.contains(&task.group.as_deref()) {
      groups.push(task.group.as_deref());
    }
  }
  // Ungrouped tasks first, then the groups in file order.
  groups.sort_by_key(Option::is_some);
  for group in groups {
    let rows = config
      .tasks
      .iter()
      .filter(|task| !task.is_private() && task.group.as_deref() == group)
      .map(|task| {
        let name = task.signature();
        let mut comment = task.description.clone().unwrap_or_default();
        if !task.aliases.is_empty() {
          let noun = if task.aliases.len() == 1 {
            "alias"
          } else {
            "aliases"
          };
          comment = format!(
            "{comment} {}",
            color.dim(&format!("({noun}: {})", task.aliases.join(", ")))
          );
        }
        if !task.runs_here() {
          let only: Vec<&str> = task.platforms.iter().map(|p| p.name()).collect();
          comment = format!(
            "{comment} {}",
            color.dim(&format!("[{} only]", only.join(", ")))
          );
        }
        (name, comment.trim().to_owned())
      })
      .collect();
    let heading = match group {
      Some(group) => format!("Tasks ({group}):"),
      None => "Tasks:".into(),
    };
    sections.push((heading, rows));
  }
  let width = sections
    .iter()
    .flat_map(|(_, rows)| rows.iter().map(|(name, _)| name.chars().count()))
    .max()
    .unwrap_or(0);
  let mut out = String::new();
  for (heading, rows) in sections {
    out.push_str(&format!("{}\n", color.bold(&heading)));
    for (name, comment) in rows {
      let line = if comment.is_empty() {
        format!("    {name}")
      } else {
        format!("    {name:<width$} {} {comment}", color.dim("#"))
      };
      out.push_str(line.trim_end());
      out.push('\n');
    }
  }
  crate::output::print_out(&out)
}
