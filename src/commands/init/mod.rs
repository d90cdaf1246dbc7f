//! `dev init [--force]`: look at the project (package.json, pyproject/requirements, manage.py,
//! Gemfile, Cargo.toml, Procfile — at the top, one directory down, and in a monorepo's
//! `apps/*` and `packages/*`) and write a commented `devtasks.yaml` whose commands run: the
//! project's own package manager and Python, ports that do not collide, strict-port flags and
//! health checks; add `logs/` to `.gitignore`. A bare Procfile runs as it is. `--from <file>`
//! translates a compose file, Procfile, process-compose, mprocs or package.json (`import/`).

mod import;
mod node;
mod offer;
mod procfile;
mod python;

use std::{
  fs,
  path::{Path, PathBuf},
};

pub(crate) use import::import;
pub(crate) use offer::offer;
pub(crate) use procfile::run_procfile;

use crate::{
  config::{FILE_NAMES, source::display_path},
  error::{Error, Result},
  ui::{format::yaml_quote, output::Reporter},
};

/// `dev init`'s arguments.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct Options {
  /// Replace an existing devtasks.yaml
  #[arg(long)]
  pub(crate) force: bool,
  /// Translate this file instead of detecting: docker-compose.yml / compose.yaml, Procfile,
  /// process-compose.yaml, mprocs.yaml or package.json (by name, else by content)
  #[arg(long, value_name = "FILE")]
  pub(crate) from: Option<PathBuf>,
}

/// A service as detected, before it is written out.
#[derive(Debug)]
struct Draft {
  name: String,
  description: String,
  /// Relative to the project root; `None` for the root itself.
  cwd: Option<String>,
  run: String,
  port: u16,
  health: Option<String>,
  frontend: bool,
}

#[derive(Debug, Default)]
struct Detected {
  services: Vec<Draft>,
  /// (name, command, description, cwd)
  tasks: Vec<(String, String, String, Option<String>)>,
  procfile: bool,
}

impl Draft {
  /// A service to be named later, in the project root, with no probe of its own.
  fn new(description: &str, run: impl Into<String>, port: u16) -> Self {
    Self {
      name: String::new(),
      description: description.into(),
      cwd: None,
      run: run.into(),
      port,
      health: None,
      frontend: false,
    }
  }
}

impl Detected {
  /// A service found in `cwd`, on its preferred port or the next one no other has.
  fn add_service(&mut self, cwd: Option<&str>, mut draft: Draft) {
    draft.port = self.free_port(draft.port);
    draft.cwd = cwd.map(str::to_owned);
    self.services.push(draft);
  }

  /// `preferred`, or the next port no other detected service has: two Vite apps must not
  /// both be given 5173.
  fn free_port(&self, preferred: u16) -> u16 {
    let mut port = preferred;
    while self.services.iter().any(|s| s.port == port) {
      port += 1;
    }
    port
  }

  /// The service frontends wait for (`depends_on: {backend: healthy}`): a backend with a
  /// probe of its own, else any backend.
  fn gate(&self) -> Option<&Draft> {
    let backends = || self.services.iter().filter(|s| !s.frontend);
    backends()
      .find(|s| s.health.is_some())
      .or_else(|| backends().next())
  }

  /// The tasks' names, each once, in the order they were found.
  fn task_names(&self) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for (name, ..) in &self.tasks {
      if !names.contains(&name.as_str()) {
        names.push(name);
      }
    }
    names
  }

  /// A task found in `cwd`; one of the same name found earlier keeps its name.
  fn add_task(&mut self, cwd: Option<&str>, name: &str, command: String, description: &str) {
    let name = match cwd {
      Some(cwd) if self.tasks.iter().any(|(n, ..)| n == name) => {
        format!("{}-{name}", cwd.replace('/', "-"))
      }
      _ => name.to_owned(),
    };
    let cwd = cwd.map(str::to_owned);
    self
      .tasks
      .push((name, command, description.to_owned(), cwd));
  }
}

const SKIPPED_DIRS: [&str; 8] = [
  "node_modules",
  "target",
  "venv",
  ".venv",
  "dist",
  "build",
  "vendor",
  "logs",
];

pub(crate) fn init(root: &Path, force: bool, report: Reporter) -> Result<()> {
  let path = target_file(root, force, "dev init")?;
  write(&path, root, &detect(root), report)
}

/// Where the task file goes: a new `devtasks.yaml`, or with `--force` the existing one.
/// `command` is the `dev init` that was run, for the hint (`dev init --from Procfile`).
fn target_file(root: &Path, force: bool, command: &str) -> Result<PathBuf> {
  // An existing `devtasks.yml` is the project's file: replaced with --force, never
  // shadowed by a new `devtasks.yaml` beside it.
  let existing = FILE_NAMES
    .iter()
    .map(|name| root.join(name))
    .find(|path| path.exists());
  if let Some(path) = &existing
    && !force
  {
    return Err(Error::Config {
      message: format!("{} already exists", display_path(path)),
      location: None,
      hint: Some(format!(
        "`{command} --force` replaces it; `dev list` shows what it defines"
      )),
    });
  }
  Ok(existing.unwrap_or_else(|| root.join(FILE_NAMES[0])))
}

/// The task file for what was detected, and `logs/` in `.gitignore`: what `dev init`
/// writes and says, and what `dev` writes and says when its offer is taken.
fn write(path: &Path, root: &Path, detected: &Detected, report: Reporter) -> Result<()> {
  let text = render(detected, root);
  fs::write(path, &text).map_err(Error::io(format!("cannot write {}", display_path(path))))?;
  let found: Vec<String> = detected
    .services
    .iter()
    .map(|s| format!("{} ({})", s.name, s.description))
    .collect();
  if found.is_empty() {
    report.step("no dev server detected: wrote an example service to edit");
  } else {
    report.step(&format!("detected {}", found.join(", ")));
  }
  report.success(&format!(
    "wrote {}: `dev` starts everything, `dev list` shows it",
    display_path(path)
  ));
  ignore_logs(root, report);
  Ok(())
}

/// `logs/` in `.gitignore`, once. Not `.dev/`: teams keep their own files there, and dev's
/// state directory (`.dev/state/`) carries a `.gitignore` of its own.
fn ignore_logs(root: &Path, report: Reporter) {
  let path = root.join(".gitignore");
  let existing = fs::read_to_string(&path).unwrap_or_default();
  let has = |entry: &str| {
    existing
      .lines()
      .any(|line| line.trim().trim_start_matches('/').trim_end_matches('/') == entry)
  };
  let missing: Vec<&str> = ["logs/"]
    .into_iter()
    .filter(|entry| !has(entry.trim_end_matches('/')))
    .collect();
  if missing.is_empty() {
    return;
  }
  let mut text = existing.clone();
  if !text.is_empty() && !text.ends_with('\n') {
    text.push('\n');
  }
  text.push_str("# dev: service logs\n");
  for entry in &missing {
    text.push_str(entry);
    text.push('\n');
  }
  // The task file is written: a .gitignore that cannot be is worth a word, not a failure.
  match fs::write(&path, text) {
    Ok(()) => report.step(&format!("added {} to .gitignore", missing.join(" and "))),
    Err(error) => report.warning(&format!(
      "cannot add {} to .gitignore ({error}): add it yourself",
      missing.join(" and ")
    )),
  }
}

fn detect(root: &Path) -> Detected {
  let mut detected = Detected::default();
  if let Ok(text) = fs::read_to_string(root.join("Procfile")) {
    procfile::detect(&text, &mut detected);
  }
  let mut dirs: Vec<(Option<String>, PathBuf)> = vec![(None, root.to_path_buf())];
  dirs.extend(subdirectories(root, ""));
  // Monorepos keep their apps two levels down.
  for parent in ["apps", "packages", "services"] {
    dirs.retain(|(cwd, _)| cwd.as_deref() != Some(parent));
    dirs.extend(subdirectories(&root.join(parent), parent));
  }
  for (cwd, dir) in &dirs {
    node::detect(cwd.as_deref(), dir, &mut detected);
    python::detect(cwd.as_deref(), dir, &mut detected);
    detect_others(cwd.as_deref(), dir, &mut detected);
  }
  name_services(&mut detected.services);
  detected
}

/// The directories in `dir` worth looking into, as `prefix/name` relative to the root.
fn subdirectories(dir: &Path, prefix: &str) -> Vec<(Option<String>, PathBuf)> {
  let Ok(entries) = fs::read_dir(dir) else {
    return Vec::new();
  };
  let mut found: Vec<(Option<String>, PathBuf)> = entries
    .flatten()
    .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
    .filter_map(|entry| {
      let name = entry.file_name().to_str()?.to_owned();
      let cwd = if prefix.is_empty() {
        name.clone()
      } else {
        format!("{prefix}/{name}")
      };
      (!name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()))
        .then(|| (Some(cwd), entry.path()))
    })
    .collect();
  found.sort();
  found
}

/// Rails and Cargo projects.
fn detect_others(cwd: Option<&str>, dir: &Path, detected: &mut Detected) {
  let read = |name: &str| fs::read_to_string(dir.join(name)).ok();
  if let Some(text) = read("Gemfile")
    && text.contains("rails")
  {
    if !detected.procfile {
      let run = "bin/rails server -b 127.0.0.1 -p $PORT";
      detected.add_service(cwd, Draft::new("Rails", run, 3000));
    }
    detected.add_task(cwd, "test", "bin/rails test".into(), "Run the Rails tests");
  }
  if read("Cargo.toml").is_some() {
    detected.add_task(cwd, "build", "cargo build".into(), "Build");
    detected.add_task(cwd, "test", "cargo test".into(), "Run the tests");
    detected.add_task(cwd, "lint", "cargo clippy --all-targets".into(), "Lint");
  }
}

/// `frontend`/`backend` when there is one of each kind, else by directory.
fn name_services(services: &mut [Draft]) {
  let fronts = services
    .iter()
    .filter(|s| s.frontend && s.name.is_empty())
    .count();
  let backs = services
    .iter()
    .filter(|s| !s.frontend && s.name.is_empty())
    .count();
  let mut taken: Vec<String> = services
    .iter()
    .filter(|s| !s.name.is_empty())
    .map(|s| s.name.clone())
    .collect();
  for service in services.iter_mut().filter(|s| s.name.is_empty()) {
    let kind = if service.frontend {
      "frontend"
    } else {
      "backend"
    };
    let alone = if service.frontend {
      fronts == 1
    } else {
      backs == 1
    };
    let mut name = match (&service.cwd, alone) {
      (_, true) => kind.to_owned(),
      (Some(cwd), false) => cwd.rsplit('/').next().unwrap_or(cwd).to_owned(),
      (None, false) => format!("{kind}-root"),
    };
    while taken.contains(&name) {
      name.push('2');
    }
    taken.push(name.clone());
    service.name = name;
  }
}

fn render(detected: &Detected, root: &Path) -> String {
  let mut out = String::from(
    "# devtasks.yaml — written by `dev init`; edit freely. `dev` starts every service,\n\
     # Ctrl+C stops them all; `dev list` shows everything; the README of dev describes\n\
     # every field (section \"The task file\").\n",
  );
  if root.join(".env").exists() {
    out.push_str("env_file: .env              # KEY=value lines for every service and task\n");
  }
  out.push_str("\nservices:\n");
  if detected.services.is_empty() {
    out.push_str(
      "  web:                        # no dev server detected: an example to edit\n\
       \x20   run: python3 -m http.server $PORT --bind 127.0.0.1\n\
       \x20   port: 8000\n\
       \x20   health: { http: \"http://127.0.0.1:$PORT/\" }\n",
    );
  }
  let backend = detected.gate();
  for service in &detected.services {
    out.push_str(&format!("  {}:\n", service.name));
    out.push_str(&format!("    description: {}\n", service.description));
    if let Some(cwd) = &service.cwd {
      out.push_str(&format!("    cwd: {cwd}\n"));
    }
    out.push_str(&format!("    run: {}\n", yaml_quote(&service.run)));
    if service.port == 0 {
      out.push_str("    # no port: it is up once started (add `port:` if it listens)\n");
    } else {
      out.push_str(&format!(
        "    port: {}                  # the service gets it as $PORT\n",
        service.port
      ));
      out.push_str(
        "    fallback: auto              # when something else holds it: the next free port\n",
      );
      match &service.health {
        Some(url) => out.push_str(&format!("    health: {{ http: \"{url}\" }}\n")),
        None => out.push_str("    # ready once it listens on its port; or: health: { http: \"http://127.0.0.1:$PORT/health\" }\n"),
      }
    }
    if let (true, Some(backend)) = (service.frontend, backend) {
      out.push_str(&format!(
        "    depends_on: {{ {}: healthy }}   # its URL: http://127.0.0.1:${{{}.port}}\n",
        backend.name, backend.name
      ));
    }
    out.push('\n');
  }
  if !detected.tasks.is_empty() {
    out.push_str("tasks:\n");
    let mut seen: Vec<&str> = Vec::new();
    for (name, command, description, cwd) in &detected.tasks {
      if seen.contains(&name.as_str()) {
        continue;
      }
      seen.push(name);
      let cwd = cwd
        .as_ref()
        .map(|cwd| format!(", cwd: {cwd}"))
        .unwrap_or_default();
      out.push_str(&format!(
        "  {name}: {{ description: {}{cwd}, run: {} }}\n",
        yaml_quote(description),
        yaml_quote(command)
      ));
    }
  }
  out
}
