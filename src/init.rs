//! `dev init [--force]`: look at the project (package.json, pyproject/requirements, manage.py,
//! Gemfile, Cargo.toml, Procfile — at the top and one directory down) and write a commented
//! `devtasks.yaml` with ports, strict-port flags and health checks filled in; add `.dev/` and
//! `logs/` to `.gitignore`. Also turns a Procfile into services, for running one directly.

use std::{
  fs,
  path::{Path, PathBuf},
};

use crate::{
  error::{Error, Result},
  format::yaml_quote,
  output::Reporter,
  source::display_path,
};

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
  let path = root.join("devtasks.yaml");
  if path.exists() && !force {
    return Err(Error::Config {
      message: format!("{} already exists", display_path(&path)),
      location: None,
      hint: Some("`dev init --force` replaces it; `dev list` shows what it defines".into()),
    });
  }
  let detected = detect(root);
  let text = render(&detected, root);
  fs::write(&path, &text).map_err(Error::io(format!("cannot write {}", display_path(&path))))?;
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
    display_path(&path)
  ));
  ignore_state(root, report)
}

/// `.dev/` and `logs/` in `.gitignore`, once.
fn ignore_state(root: &Path, report: Reporter) -> Result<()> {
  let path = root.join(".gitignore");
  let existing = fs::read_to_string(&path).unwrap_or_default();
  let has = |entry: &str| {
    existing
      .lines()
      .any(|line| line.trim().trim_start_matches('/').trim_end_matches('/') == entry)
  };
  let missing: Vec<&str> = [".dev/", "logs/"]
    .into_iter()
    .filter(|entry| !has(entry.trim_end_matches('/')))
    .collect();
  if missing.is_empty() {
    return Ok(());
  }
  let mut text = existing.clone();
  if !text.is_empty() && !text.ends_with('\n') {
    text.push('\n');
  }
  text.push_str("# dev: state and service logs\n");
  for entry in &missing {
    text.push_str(entry);
    text.push('\n');
  }
  fs::write(&path, text).map_err(Error::io("cannot write .gitignore"))?;
  report.step(&format!("added {} to .gitignore", missing.join(" and ")));
  Ok(())
}

fn detect(root: &Path) -> Detected {
  let mut detected = Detected::default();
  if let Ok(text) = fs::read_to_string(root.join("Procfile")) {
    detected.procfile = true;
    for (index, (name, command)) in procfile_entries(&text).into_iter().enumerate() {
      // A process that does not use $PORT (a worker) is not awaited on a port.
      let port = if uses_port(&command) {
        procfile_port(index)
      } else {
        0
      };
      detected.services.push(Draft {
        name,
        description: "from the Procfile".into(),
        cwd: None,
        run: command,
        port,
        health: None,
        frontend: false,
      });
    }
  }
  let mut dirs: Vec<(Option<String>, PathBuf)> = vec![(None, root.to_path_buf())];
  if let Ok(entries) = fs::read_dir(root) {
    let mut subdirs: Vec<(Option<String>, PathBuf)> = entries
      .flatten()
      .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
      .filter_map(|entry| {
        let name = entry.file_name().to_str()?.to_owned();
        (!name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()))
          .then(|| (Some(name), entry.path()))
      })
      .collect();
    subdirs.sort();
    dirs.extend(subdirs);
  }
  for (cwd, dir) in &dirs {
    detect_dir(cwd.as_deref(), dir, &mut detected);
  }
  name_services(&mut detected.services);
  detected
}

fn detect_dir(cwd: Option<&str>, dir: &Path, detected: &mut Detected) {
  let read = |name: &str| fs::read_to_string(dir.join(name)).ok();
  let add_task = |detected: &mut Detected, name: &str, command: String, description: &str| {
    let name = match cwd {
      Some(cwd) if detected.tasks.iter().any(|(n, ..)| n == name) => format!("{cwd}-{name}"),
      _ => name.to_owned(),
    };
    let cwd = cwd.map(str::to_owned);
    detected
      .tasks
      .push((name, command, description.to_owned(), cwd));
  };
  let services = !detected.procfile;
  let draft =
    |description: &str, run: &str, port: u16, health: Option<&str>, frontend: bool| Draft {
      name: String::new(),
      description: description.to_owned(),
      cwd: cwd.map(str::to_owned),
      run: run.to_owned(),
      port,
      health: health.map(str::to_owned),
      frontend,
    };

  if let Some(text) = read("package.json")
    && let Ok(package) = serde_json::from_str::<serde_json::Value>(&text)
  {
    let has = |dep: &str| {
      ["dependencies", "devDependencies"]
        .iter()
        .any(|key| package[key].get(dep).is_some())
    };
    let script = |name: &str| {
      package["scripts"]
        .get(name)
        .and_then(|s| s.as_str())
        .is_some()
    };
    let dev = if script("dev") {
      "npm run dev"
    } else {
      "npm start"
    };
    let root_url = Some("http://127.0.0.1:$PORT/");
    if services {
      if has("next") {
        let run = format!("{dev} -- -p $PORT -H 127.0.0.1");
        detected
          .services
          .push(draft("Next.js", &run, 3000, root_url, true));
      } else if has("vite") {
        // --strictPort: Vite would otherwise move to 5174 without a word.
        let run = format!("{dev} -- --port $PORT --strictPort --host 127.0.0.1");
        detected
          .services
          .push(draft("Vite", &run, 5173, root_url, true));
      } else if has("react-scripts") {
        let run = "BROWSER=none npm start";
        detected
          .services
          .push(draft("Create React App", run, 3000, root_url, true));
      } else if has("express") || has("fastify") || has("koa") || has("@nestjs/core") {
        detected
          .services
          .push(draft("Node server", dev, 3000, None, false));
      }
    }
    for name in ["test", "lint", "build"] {
      if script(name) {
        add_task(
          detected,
          name,
          format!("npm run {name}"),
          &format!("npm run {name}"),
        );
      }
    }
  }

  let python = [read("pyproject.toml"), read("requirements.txt")]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n")
    .to_lowercase();
  if services && dir.join("manage.py").exists() {
    let run = "python manage.py runserver 127.0.0.1:$PORT";
    detected
      .services
      .push(draft("Django", run, 8000, None, false));
  } else if services && (python.contains("fastapi") || python.contains("uvicorn")) {
    let module = if dir.join("app/main.py").exists() {
      "app.main:app"
    } else if dir.join("main.py").exists() {
      "main:app"
    } else {
      "app:app"
    };
    let run = format!("python -m uvicorn {module} --reload --host 127.0.0.1 --port $PORT");
    let docs = Some("http://127.0.0.1:$PORT/docs");
    detected
      .services
      .push(draft("FastAPI", &run, 8000, docs, false));
  } else if services && python.contains("flask") {
    let run = "python -m flask run --host 127.0.0.1 --port $PORT";
    detected
      .services
      .push(draft("Flask", run, 5000, None, false));
  }
  if python.contains("pytest") {
    add_task(
      detected,
      "test",
      "python -m pytest".into(),
      "Run the Python tests",
    );
  }

  if let Some(text) = read("Gemfile")
    && text.contains("rails")
  {
    if services {
      let run = "bin/rails server -b 127.0.0.1 -p $PORT";
      detected
        .services
        .push(draft("Rails", run, 3000, None, false));
    }
    add_task(
      detected,
      "test",
      "bin/rails test".into(),
      "Run the Rails tests",
    );
  }

  if read("Cargo.toml").is_some() {
    add_task(detected, "build", "cargo build".into(), "Build");
    add_task(detected, "test", "cargo test".into(), "Run the tests");
    add_task(
      detected,
      "lint",
      "cargo clippy --all-targets".into(),
      "Lint",
    );
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
      (Some(cwd), false) => cwd.clone(),
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
  let backend = detected
    .services
    .iter()
    .find(|s| !s.frontend && s.health.is_some())
    .or_else(|| detected.services.iter().find(|s| !s.frontend));
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

/// `web: gunicorn app:app` lines, foreman's way: `#` comments and blank lines skipped.
pub(crate) fn procfile_entries(text: &str) -> Vec<(String, String)> {
  text
    .lines()
    .filter(|line| !line.trim_start().starts_with('#'))
    .filter_map(|line| {
      let (name, command) = line.split_once(':')?;
      let name = name.trim();
      let valid = !name.is_empty()
        && name
          .chars()
          .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
      (valid && !command.trim().is_empty()).then(|| (name.to_owned(), command.trim().to_owned()))
    })
    .collect()
}

/// `$PORT` or `${PORT}` in the command: the process listens there.
fn uses_port(command: &str) -> bool {
  command.contains("$PORT") || command.contains("${PORT}")
}

/// Foreman's ports: 5000 for the first process type, then +100 each.
fn procfile_port(index: usize) -> u16 {
  5000 + 100 * index as u16
}

/// A task file for a project that has only a Procfile (and maybe a `.env`).
pub(crate) fn procfile_config(text: &str, has_env: bool) -> String {
  let mut out = String::new();
  if has_env {
    out.push_str("env_file: .env\n");
  }
  out.push_str("services:\n");
  for (index, (name, command)) in procfile_entries(text).into_iter().enumerate() {
    let port = procfile_port(index);
    out.push_str(&format!("  {name}:\n    run: {}\n", yaml_quote(&command)));
    // Every process gets its PORT, as with foreman; only one that uses it is awaited there.
    if uses_port(&command) {
      // Foreman would fail on a taken port; moving on is kinder.
      out.push_str(&format!("    port: {port}\n    fallback: auto\n"));
    } else {
      out.push_str(&format!("    env: {{ PORT: \"{port}\" }}\n"));
    }
  }
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn procfile_lines_become_services_with_foreman_ports() {
    let text = "# processes\nweb: gunicorn app:app --bind 127.0.0.1:$PORT\n\nworker: celery -A app worker\nbad line\n";
    assert_eq!(
      procfile_config(text, true),
      "env_file: .env\nservices:\n  web:\n    run: \"gunicorn app:app --bind 127.0.0.1:$PORT\"\n    port: 5000\n    fallback: auto\n  worker:\n    run: \"celery -A app worker\"\n    env: { PORT: \"5100\" }\n"
    );
  }
}
