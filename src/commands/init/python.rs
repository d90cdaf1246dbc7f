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
      // A factory is called by uvicorn itself with `--factory`.
      let app = match find_app(dir, "FastAPI(") {
        Some(App::Object(module, object)) => format!("{module}:{object}"),
        Some(App::Factory(module, factory)) => format!("{module}:{factory} --factory"),
        Some(App::Module(module)) => module,
        None => "main:app".into(),
      };
      let run = python.run(&format!(
        "-m uvicorn {app} --reload --host 127.0.0.1 --port $PORT"
      ));
      add("FastAPI", run, 8000, Some("http://127.0.0.1:$PORT/docs"));
    } else if requirements.contains("flask") {
      // Flask finds no app on its own unless it is `app.py` or `wsgi.py`: say which. Given
      // a module, it finds `create_app()` / `make_app()` there itself; another factory is
      // called as `module:factory()`.
      let app = match find_app(dir, "Flask(") {
        Some(App::Object(module, object)) => format!("{module}:{object}"),
        Some(App::Factory(module, factory))
          if ["create_app", "make_app"].contains(&factory.as_str()) =>
        {
          module
        }
        Some(App::Factory(module, factory)) => format!("'{module}:{factory}()'"),
        Some(App::Module(module)) => module,
        None => "app".into(),
      };
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

/// Where the app is: a module-level object (`app = Flask(__name__)`, `app: FastAPI =
/// FastAPI()`), or the factory function that builds it (`def create_app(): app = Flask(…)`).
#[derive(Debug, PartialEq, Eq)]
enum App {
  Object(String, String),
  Factory(String, String),
  /// Built where no name could be read: the module alone.
  Module(String),
}

/// The app built with `constructor` in the usual files, as module and name.
fn find_app(dir: &Path, constructor: &str) -> Option<App> {
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
    let module = file
      .trim_end_matches(".py")
      .trim_end_matches("/__init__")
      .replace('/', ".");
    app_in(&text, constructor, module)
  })
}

/// The app of one file: the first line that calls `constructor`. Indented, it is inside a
/// function: the last `def` above it at a lower indent is the factory.
fn app_in(text: &str, constructor: &str, module: String) -> Option<App> {
  let lines: Vec<&str> = text.lines().collect();
  let at = lines.iter().position(|line| line.contains(constructor))?;
  let line = lines[at];
  let indent = line.len() - line.trim_start().len();
  if indent > 0 {
    let factory = lines[..at].iter().rev().find_map(|above| {
      let outer = above.len() - above.trim_start().len() < indent;
      let name = above
        .trim_start()
        .strip_prefix("def ")?
        .split('(')
        .next()?
        .trim();
      outer.then(|| name.to_owned())
    })?;
    return Some(App::Factory(module, factory));
  }
  // `app = FastAPI()` or `app: FastAPI = FastAPI()`.
  let (target, _) = line.split_once('=')?;
  let variable = target.split(':').next()?.trim();
  let valid = !variable.is_empty()
    && variable
      .chars()
      .all(|c| c.is_ascii_alphanumeric() || c == '_');
  Some(if valid {
    App::Object(module, variable.to_owned())
  } else {
    App::Module(module)
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  fn app(text: &str) -> Option<App> {
    app_in(text, "Flask(", "app".into())
  }

  #[test]
  fn finds_objects_typed_or_not_and_factories() {
    let object = |name: &str| Some(App::Object("app".into(), name.into()));
    assert_eq!(
      app("from flask import Flask\napp = Flask(__name__)\n"),
      object("app")
    );
    assert_eq!(app("api: Flask = Flask(__name__)\n"), object("api"));
    let factory = "def create_app(config=None):\n    app = Flask(__name__)\n    return app\n";
    assert_eq!(
      app(factory),
      Some(App::Factory("app".into(), "create_app".into()))
    );
    assert_eq!(app("x = 1\n"), None);
  }
}
