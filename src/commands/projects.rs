//! `dev list --all [--json]`: every project on this machine with services running, read from
//! the machine's port ledger (no task file needed), and `dev stop --project <path|name>`'s
//! look-up of the project to stop.

use std::{
  collections::BTreeMap,
  path::{Path, PathBuf},
};

use serde::Serialize;

use crate::{
  config::{Config, FILE_NAMES},
  error::{Error, Result},
  ports::ledger::{Claim, live_claims, runtime_dir},
  project::branch_of,
  proxy,
  sys::{self, Signal},
  ui::{
    color::Color,
    format::elapsed,
    output::{Reporter, print_json, print_out, table},
    suggestion::suggest,
  },
};

/// One running project. The shape is `schemas/projects.json`.
#[derive(Serialize)]
struct Entry {
  /// Its name in URLs (`web.<name>.localhost`).
  name: String,
  path: String,
  branch: Option<String>,
  services: Vec<ServiceEntry>,
}

#[derive(Serialize)]
struct ServiceEntry {
  service: String,
  /// `running`, or `starting` while a `dev` holds the ports for it.
  state: &'static str,
  pid: u32,
  ports: Vec<u16>,
  url: Option<String>,
  uptime_ms: u64,
}

pub(crate) fn list_all(color: Color, json: bool) -> Result<()> {
  let projects = running()?;
  if json {
    return print_json(&projects);
  }
  if projects.is_empty() {
    return print_out("no project has services running on this machine (by dev's port ledger)\n");
  }
  let mut rows = Vec::new();
  for project in &projects {
    for service in &project.services {
      rows.push(vec![
        project.name.clone(),
        service.service.clone(),
        service.state.to_owned(),
        ports_text(&service.ports),
        elapsed(std::time::Duration::from_millis(service.uptime_ms)),
        service.url.clone().unwrap_or_else(|| "-".into()),
        match &project.branch {
          Some(branch) => format!("{} ({branch})", project.path),
          None => project.path.clone(),
        },
      ]);
    }
  }
  print_out(&table(
    color,
    &[
      "PROJECT", "SERVICE", "STATE", "PORT", "UPTIME", "URL", "PATH",
    ],
    &rows,
  ))
}

fn ports_text(ports: &[u16]) -> String {
  match ports {
    [] => "-".into(),
    ports => ports
      .iter()
      .map(u16::to_string)
      .collect::<Vec<_>>()
      .join(","),
  }
}

/// The projects with live claims in the ledger, by name.
fn running() -> Result<Vec<Entry>> {
  let claims = live_claims(&runtime_dir()?);
  let proxy_port = proxy::running_port();
  let mut by_project: BTreeMap<(String, PathBuf), Vec<&Claim>> = BTreeMap::new();
  for claim in &claims {
    by_project
      .entry((claim.name.clone(), claim.project.clone()))
      .or_default()
      .push(claim);
  }
  Ok(
    by_project
      .into_iter()
      .map(|((name, path), claims)| Entry {
        branch: branch_of(&path),
        path: path.display().to_string(),
        services: claims
          .iter()
          .map(|claim| ServiceEntry {
            service: claim.service.clone(),
            state: if claim.running { "running" } else { "starting" },
            pid: claim.owner.pid,
            ports: claim.ports.clone(),
            url: proxy_port
              .filter(|_| !claim.ports.is_empty() && !name.is_empty())
              .map(|port| proxy::url(&claim.service, &name, port)),
            uptime_ms: u64::try_from(claim.owner.age().as_millis()).unwrap_or(u64::MAX),
          })
          .collect(),
        name,
      })
      .collect(),
  )
}

/// `dev stop --project shop` or `--project ~/src/shop`: the task file of that running
/// project (which need not exist: the stop then works from the state, as `dev stop` does).
pub(crate) fn task_file_of(which: &str) -> Result<PathBuf> {
  let projects = running()?;
  let wanted = Wanted::new(which);
  let name = wanted.name(projects.iter().map(|p| p.name.as_str()));
  let found = projects
    .iter()
    .find(|project| name == Some(project.name.as_str()) || wanted.is_at(Path::new(&project.path)));
  let Some(project) = found else {
    let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
    let hint = match suggest(which, names.iter().copied()) {
      Some(name) => {
        format!("Did you mean `{name}`? (`dev list --all` shows every project running)")
      }
      None if names.is_empty() => "no project has services running on this machine".into(),
      None => format!(
        "running: {} (`dev list --all` shows where)",
        names.join(", ")
      ),
    };
    return Err(Error::Preflight {
      message: format!("no running project is named or found at `{which}`"),
      hint,
    });
  };
  let root = PathBuf::from(&project.path);
  Ok(
    FILE_NAMES
      .iter()
      .map(|name| root.join(name))
      .find(|file| file.is_file() && Config::load(file).is_ok())
      .unwrap_or_else(|| root.join(FILE_NAMES[0])),
  )
}

/// `dev stop --project` for a project whose folder is gone (a removed worktree, an `rm -rf`):
/// no task file and no state to work from, so its keepers, proven by the ledger's identity
/// (pid and start time), are asked to stop and waited for; each stops its service's tree as
/// in any stop. False when the folder is still there (the stop then works as `dev stop`).
pub(crate) fn stop_where_folder_is_gone(
  which: &str,
  services: &[String],
  report: Reporter,
) -> Result<bool> {
  let wanted = Wanted::new(which);
  let claims = live_claims(&runtime_dir()?);
  let name = wanted.name(claims.iter().map(|claim| claim.name.as_str()));
  let gone: Vec<&Claim> = claims
    .iter()
    .filter(|claim| {
      (name == Some(claim.name.as_str()) || wanted.is_at(&claim.project))
        && !claim.project.exists()
        && (services.is_empty() || services.contains(&claim.service))
    })
    .collect();
  if gone.is_empty() {
    return Ok(false);
  }
  for claim in &gone {
    if claim.owner.is_alive() {
      let _ = sys::signal_process(claim.owner.pid, Signal::Term);
    }
  }
  for claim in &gone {
    if sys::wait_for_exit(claim.owner, STOP_PATIENCE) {
      report.step(&format!(
        "{} stopped (its folder {} is gone; keeper pid {})",
        claim.service,
        claim.project.display(),
        claim.owner.pid
      ));
    } else {
      report.warning(&format!(
        "{}: its keeper (pid {}) did not stop within {}s",
        claim.service,
        claim.owner.pid,
        STOP_PATIENCE.as_secs()
      ));
    }
  }
  Ok(true)
}

/// How long a keeper whose folder is gone is given to end its service (a grace of its own
/// that the task file, now gone, set).
const STOP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// What `--project` was given: a path (relative, with `..`, through a symlink: resolved) or
/// a name.
struct Wanted<'a> {
  text: &'a str,
  path: Option<PathBuf>,
}

impl<'a> Wanted<'a> {
  fn new(text: &'a str) -> Self {
    Self {
      text,
      path: resolved(Path::new(text)),
    }
  }

  /// The project at `root` is the one this path names.
  fn is_at(&self, root: &Path) -> bool {
    self.path.is_some() && self.path == resolved(root)
  }

  /// The name among `names` it means: the same, else the one equal to it in another case
  /// (`Shop` for `shop`) — only when no other is: a guess between two is no answer.
  fn name<'n>(&self, names: impl Iterator<Item = &'n str> + Clone) -> Option<&'n str> {
    if let Some(same) = names.clone().find(|name| *name == self.text) {
      return Some(same);
    }
    let mut alike = names.filter(|name| !name.is_empty() && name.eq_ignore_ascii_case(self.text));
    let first = alike.next()?;
    alike.all(|other| other == first).then_some(first)
  }
}

/// `path` absolute, its symlinks resolved; a folder that is gone has its `..` and `.` taken
/// away by their meaning in the text (there is nothing left to resolve them against).
fn resolved(path: &Path) -> Option<PathBuf> {
  let absolute = std::path::absolute(path).ok()?;
  if let Ok(real) = absolute.canonicalize() {
    return Some(real);
  }
  let mut normal = PathBuf::new();
  for part in absolute.components() {
    match part {
      std::path::Component::ParentDir => {
        normal.pop();
      }
      std::path::Component::CurDir => {}
      other => normal.push(other),
    }
  }
  Some(normal)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_name_in_another_case_is_taken_only_when_it_is_the_only_one() {
    let wanted = Wanted::new("Shop");
    assert_eq!(wanted.name(["api", "shop"].into_iter()), Some("shop"));
    assert_eq!(wanted.name(["Shop", "shop"].into_iter()), Some("Shop"));
    assert_eq!(wanted.name(["shop", "SHOP"].into_iter()), None);
    assert_eq!(Wanted::new("sho").name(["shop"].into_iter()), None);
  }

  #[test]
  fn a_path_with_dots_names_the_folder_it_leads_to_even_when_it_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    std::fs::create_dir(&shop).unwrap();
    assert!(Wanted::new(&format!("{}/x/../shop/.", dir.path().display())).is_at(&shop));
    std::fs::remove_dir(&shop).unwrap();
    assert!(Wanted::new(&format!("{}/x/../shop", dir.path().display())).is_at(&shop));
  }
}
