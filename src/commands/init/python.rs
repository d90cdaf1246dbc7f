//! Python projects: the interpreter the project really uses (its virtualenv, `uv run`,
//! `poetry run`, else `python3` — Debian and current macOS have no `python`), and the app
//! object found in the code (FastAPI, Flask) or Django's `manage.py`.

use std::path::Path;

use super::{Detected, Draft};

/// How the project's Python is run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Python {
  /// A virtualenv in the project: `.venv/bin/python`.
  Venv(String),
  Uv,
  Poetry,
  System,
}

impl Python {
  pub(crate) fn of(dir: &Path) -> Self {
    for venv in [".venv", "venv", "env"] {
      let python = format!("{venv}/bin/python");
      if dir.join(&python).exists() {
        return Self::Venv(python);
      }
    }
    if dir.join("uv.lock").exists() {
      Self::Uv
    } else if dir.join("poetry.lock").exists() {
      Self::Poetry
    } else {
      Self::System
    }
  }

  /// The command that runs `args` with this Python: `.venv/bin/python -m uvicorn …`.
  pub(crate) fn run(&self, args: &str) -> String {
    match self {
      Self::Venv(python) => format!("{python} {args}"),
      Self::Uv => format!("uv run python {args}"),
      Self::Poetry => format!("poetry run python {args}"),
      Self::System => format!("python3 {args}"),
    }
  }
}

pub(super) fn detect(cwd: Option<&str>, dir: &Path, detected: &mut Detected) {
  let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
  let requirements = [read("pyproject.toml"), read("requirements.txt")]
    .join("\n")
    .to_lowercase();
  let python = Python::of(dir);
  let from_procfile = detected.procfile;
  let mut add = |description: &str, run: String, port: u16, health: Option<&str>| {
    let draft = Draft {
      health: health.map(str::to_owned),
      ..Draft::new(description, run, port)
    };
    detected.add_service(cwd, draft);
  };
  if !from_procfile {
    if dir.join("manage.py").exists() {
      add(
        "Django",
        python.run("manage.py runserver 127.0.0.1:$PORT"),
        8000,
        None,
      );
    } else if requirements.contains("fastapi") || requirements.contains("uvicorn") {
      let app = find_app(dir, "FastAPI(").unwrap_or_else(|| "main:app".into());
      let run = python.run(&format!(
        "-m uvicorn {app} --reload --host 127.0.0.1 --port $PORT"
      ));
      add("FastAPI", run, 8000, Some("http://127.0.0.1:$PORT/docs"));
    } else if requirements.contains("flask") {
      // Flask finds no app on its own unless it is `app.py` or `wsgi.py`: say which.
      let app = find_app(dir, "Flask(").unwrap_or_else(|| "app".into());
      let run = python.run(&format!(
        "-m flask --app {app} run --host 127.0.0.1 --port $PORT"
      ));
      add("Flask", run, 5000, None);
    }
  }
  if requirements.contains("pytest") {
    let command = python.run("-m pytest");
    detected.add_task(cwd, "test", command, "Run the Python tests");
  }
}

/// `app.main:app` for the object built with `constructor` in the usual files.
fn find_app(dir: &Path, constructor: &str) -> Option<String> {
  const FILES: [&str; 9] = [
    "main.py",
    "app.py",
    "app/main.py",
    "app/__init__.py",
    "src/main.py",
    "api.py",
    "server.py",
    "wsgi.py",
    "application.py",
  ];
  FILES.iter().find_map(|file| {
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    let line = text.lines().find(|line| line.contains(constructor))?;
    let variable = line.split('=').next()?.trim();
    let valid = !variable.is_empty()
      && variable
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let module = file
      .trim_end_matches(".py")
      .trim_end_matches("/__init__")
      .replace('/', ".");
    Some(if valid {
      format!("{module}:{variable}")
    } else {
      module
    })
  })
}
