//! `dev init` against sample project trees, and running a bare Procfile.

use std::{fs, time::Duration};

use crate::harness::{Test, python_with, wait_until};

/// `dev init`, then the resolved file as `dev list --json` sees it.
fn init(test: &Test) -> serde_json::Value {
  test.args(&["init"]).status(0).run();
  let listed = test.run(&["list", "--json"]);
  listed.success();
  listed.json()
}

fn service<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
  json["services"]
    .as_array()
    .unwrap()
    .iter()
    .find(|s| s["name"] == name)
    .unwrap_or_else(|| panic!("no service {name} in {json:#}"))
}

fn task_names(json: &serde_json::Value) -> Vec<String> {
  json["tasks"]
    .as_array()
    .unwrap()
    .iter()
    .map(|t| t["name"].as_str().unwrap().to_owned())
    .collect()
}

#[test]
fn fastapi_and_vite_become_a_health_gated_pair() {
  let test = Test::with_project("fastapi-vite");
  let json = init(&test);
  let backend = service(&json, "backend");
  assert_eq!(backend["cwd"], format!("{}/backend", test.path().display()));
  assert_eq!(
    backend["run"],
    "python3 -m uvicorn app.main:app --reload --host 127.0.0.1 --port $PORT"
  );
  assert_eq!(backend["port"], 8000);
  assert_eq!(backend["health"]["probe"], "http");
  assert_eq!(backend["health"]["target"], "http://127.0.0.1:$PORT/docs");
  let frontend = service(&json, "frontend");
  assert_eq!(
    frontend["run"],
    "npm run dev -- --port $PORT --strictPort --host 127.0.0.1"
  );
  assert_eq!(frontend["port"], 5173);
  assert_eq!(frontend["depends_on"]["backend"], "healthy");
  let tasks = task_names(&json);
  assert!(tasks.contains(&"build".to_owned()), "{tasks:?}");
  assert!(
    tasks.contains(&"test".to_owned()) && tasks.contains(&"frontend-test".to_owned()),
    "{tasks:?}"
  );
  let ignore = fs::read_to_string(test.path().join(".gitignore")).unwrap();
  // `.dev/` is the user's too: dev's own state directory ignores itself.
  assert!(
    !ignore.contains(".dev") && ignore.contains("logs/\n"),
    "{ignore}"
  );
  // The file is commented for the reader.
  let file = fs::read_to_string(test.path().join("devtasks.yaml")).unwrap();
  assert!(
    file.starts_with("# devtasks.yaml — written by `dev init`"),
    "{file}"
  );
}

#[test]
fn django_react_express_and_rails_are_recognised() {
  let test = Test::with_project("django-react");
  let json = init(&test);
  assert_eq!(
    service(&json, "backend")["run"],
    "python3 manage.py runserver 127.0.0.1:$PORT"
  );
  assert_eq!(
    service(&json, "frontend")["run"],
    "BROWSER=none npm run start"
  );
  assert_eq!(
    service(&json, "frontend")["cwd"],
    format!("{}/web", test.path().display())
  );

  let test = Test::with_project("express");
  let json = init(&test);
  assert_eq!(service(&json, "backend")["run"], "npm run start");
  assert_eq!(service(&json, "backend")["port"], 3000);
  assert_eq!(task_names(&json), ["test"]);

  let test = Test::with_project("rails");
  let json = init(&test);
  assert_eq!(
    service(&json, "backend")["run"],
    "bin/rails server -b 127.0.0.1 -p $PORT"
  );
}

#[test]
fn init_never_overwrites_without_force_and_keeps_gitignore_entries_single() {
  let test = Test::with_project("express");
  test.write(".gitignore", "node_modules/\n/.dev\n");
  test.run(&["init"]).success();
  test
    .args(&["init"])
    .status(2)
    .stderr_contains("devtasks.yaml already exists")
    .stderr_contains("dev init --force")
    .run();
  test.run(&["init", "--force"]).success();
  assert_eq!(
    fs::read_to_string(test.path().join(".gitignore")).unwrap(),
    "node_modules/\n/.dev\n# dev: service logs\nlogs/\n"
  );
}

/// The task file is what was asked for: a `.gitignore` that cannot be written (here a
/// directory of that name) is a warning, not a failed init with the file already written.
#[test]
fn a_gitignore_that_cannot_be_written_is_a_warning_not_a_failure() {
  let test = Test::with_project("express");
  fs::create_dir(test.path().join(".gitignore")).unwrap();
  let done = test.run(&["init"]);
  done.success();
  assert!(test.path().join("devtasks.yaml").is_file());
  assert!(
    done.stderr().contains("cannot add logs/ to .gitignore"),
    "{}",
    done.stderr()
  );
}

#[test]
fn a_bare_procfile_runs_foreman_style() {
  let test = Test::with_project("procfile");
  test
    .args(&["up", "-d"])
    .status(0)
    .stderr_contains("no devtasks.yaml: running the Procfile")
    .run();
  let status = test.status_json();
  assert_eq!(status[0]["service"], "web");
  assert_eq!(status[0]["state"], "running");
  // 5000 unless something on this machine holds it (then the next free one).
  assert!(status[0]["port"].as_u64().is_some(), "{status}");
  wait_until("the worker wrote its port", Duration::from_secs(10), || {
    fs::read_to_string(test.path().join("worker-port")).is_ok_and(|p| p == "5100\n")
  });
  assert!(
    test.log("worker").contains("worker says hello"),
    "{}",
    test.log("worker")
  );
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(5));

  // `dev init` turns it into a task file.
  let json = init(&test);
  assert_eq!(service(&json, "web")["port"], 5000);
  assert_eq!(service(&json, "worker")["port"], serde_json::Value::Null);
}

/// What init writes must run: the venv's Python (Debian and macOS have no `python`), with
/// the app object found in the code. uvicorn stands in as a module of the venv.
#[test]
fn a_virtualenv_project_gets_its_own_python_and_its_app_object() {
  let test = Test::with_project("fastapi-venv");
  let venv = std::process::Command::new("python3")
    .args(["-m", "venv", "--without-pip", ".venv"])
    .current_dir(test.path())
    .status()
    .unwrap();
  assert!(venv.success());
  let json = init(&test);
  let backend = service(&json, "backend");
  assert_eq!(
    backend["run"],
    ".venv/bin/python -m uvicorn server:api --reload --host 127.0.0.1 --port $PORT"
  );
  // Only the venv could have uvicorn: doctor says it has not.
  let doctor = test.run(&["doctor"]);
  assert_eq!(doctor.code(), 1, "{}", doctor.stdout());
  assert!(
    doctor
      .stdout()
      .contains("backend: `.venv/bin/python` has no module `uvicorn` (for `-m uvicorn`)"),
    "{}",
    doctor.stdout()
  );
  // A stand-in uvicorn in the venv: serves /docs on --port, as the real one would.
  let site = std::process::Command::new(".venv/bin/python")
    .args([
      "-c",
      "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ])
    .current_dir(test.path())
    .output()
    .unwrap();
  let site = String::from_utf8(site.stdout).unwrap();
  let module = std::path::Path::new(site.trim()).join("uvicorn");
  fs::create_dir_all(&module).unwrap();
  fs::write(
    module.join("__main__.py"),
    "import http.server, sys\nport = int(sys.argv[sys.argv.index('--port') + 1])\nhttp.server.HTTPServer(('127.0.0.1', port), http.server.SimpleHTTPRequestHandler).serve_forever()\n",
  )
  .unwrap();
  fs::create_dir(test.path().join("docs")).unwrap();
  fs::write(test.path().join("docs/index.html"), "docs").unwrap();
  test.run(&["doctor"]).success();
  test.run(&["up", "-d"]).success();
  test.run(&["stop"]).success();
}

#[test]
fn flask_gets_its_app_and_a_package_json_without_scripts_gets_node() {
  let test = Test::with_project("flask-app");
  let json = init(&test);
  let backend = service(&json, "backend");
  assert_eq!(
    backend["run"],
    "python3 -m flask --app server:web run --host 127.0.0.1 --port $PORT"
  );
  // Where Flask is installed, what init wrote runs.
  let has_flask = std::process::Command::new("python3")
    .args(["-c", "import flask"])
    .status()
    .is_ok_and(|status| status.success());
  if has_flask {
    test.run(&["up", "-d"]).success();
    test.run(&["stop"]).success();
  } else {
    println!("note: flask is not installed here: the command was checked, not run");
  }

  let test = Test::with_project("node-server");
  let json = init(&test);
  assert_eq!(service(&json, "backend")["run"], "node server.js");
  test.run(&["up", "-d"]).success();
  test.run(&["stop"]).success();
}

#[test]
fn package_managers_are_the_projects_own() {
  let test = Test::with_project("pnpm-vite");
  let json = init(&test);
  assert_eq!(
    service(&json, "frontend")["run"],
    "pnpm run dev --port $PORT --strictPort --host 127.0.0.1"
  );
  assert!(json["tasks"][0]["run"][0] == "pnpm run test", "{json:#}");

  let test = Test::with_project("yarn-next");
  let json = init(&test);
  assert_eq!(
    service(&json, "frontend")["run"],
    "yarn dev -p $PORT -H 127.0.0.1"
  );
}

#[test]
fn a_monorepos_apps_are_found_and_get_distinct_ports() {
  let test = Test::with_project("monorepo");
  let json = init(&test);
  let (web, admin) = (service(&json, "web"), service(&json, "admin"));
  assert_ne!(web["port"], admin["port"], "{json:#}");
  assert_eq!(admin["port"], 5173);
  assert_eq!(web["port"], 5174);
  assert_eq!(
    admin["cwd"],
    format!("{}/apps/admin", test.path().display())
  );
  let backend = service(&json, "backend");
  assert_eq!(
    backend["cwd"],
    format!("{}/packages/api", test.path().display())
  );
  assert_eq!(web["depends_on"]["backend"], "healthy");
}

#[test]
fn what_init_writes_for_vite_runs() {
  let test = Test::with_project("vite-runs");
  let json = init(&test);
  assert_eq!(
    service(&json, "frontend")["run"],
    "npm run dev -- --port $PORT --strictPort --host 127.0.0.1"
  );
  test.run(&["doctor"]).success();
  let up = test.run(&["up", "-d"]);
  up.success();
  assert!(up.stderr().contains("frontend ready on"), "{}", up.stderr());
  test.run(&["stop"]).success();
  // A script the file lacks is a problem doctor names.
  test.write("package.json", "{\"devDependencies\": {\"vite\": \"^5\"}}");
  test.write(
    "devtasks.yaml",
    "services:\n  frontend:\n    run: npm run dev -- --port $PORT\n    port: 5173\n",
  );
  let doctor = test.run(&["doctor"]);
  assert_eq!(doctor.code(), 1);
  assert!(
    doctor.stdout().contains("package.json has no script `dev`"),
    "{}",
    doctor.stdout()
  );
}

/// A Flask app factory (`create_app()` in `app/__init__.py`) and a typed FastAPI app
/// (`app: FastAPI = FastAPI()`): what init writes for them starts, for real, with Flask,
/// FastAPI and uvicorn from PyPI in the project's `.venv`.
#[test]
fn a_flask_factory_and_a_typed_fastapi_app_are_written_so_they_start() {
  let test = Test::new();
  for dir in ["web/app", "api/app"] {
    fs::create_dir_all(test.path().join(dir)).unwrap();
  }
  test.write("web/requirements.txt", "flask\n");
  test.write(
    "web/app/__init__.py",
    "from flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n\n    @app.get('/')\n    def index():\n        return 'ok'\n\n    return app\n",
  );
  test.write("api/requirements.txt", "fastapi\nuvicorn\n");
  test.write(
    "api/app/main.py",
    "from fastapi import FastAPI\n\napp: FastAPI = FastAPI()\n",
  );
  test.write("api/app/__init__.py", "");
  // The tests' virtualenv, with the three installed, is each project's `.venv`.
  for (module, package) in [
    ("flask", "flask"),
    ("fastapi", "fastapi"),
    ("uvicorn", "uvicorn"),
  ] {
    python_with(module, package);
  }
  let python = python_with("flask", "flask");
  let venv = python.parent().unwrap().parent().unwrap();
  for project in ["web", "api"] {
    std::os::unix::fs::symlink(venv, test.path().join(project).join(".venv")).unwrap();
  }
  let json = init(&test);
  let runs: Vec<String> = json["services"]
    .as_array()
    .unwrap()
    .iter()
    .map(|s| s["run"].as_str().unwrap().to_owned())
    .collect();
  assert!(
    runs.contains(&".venv/bin/python -m flask --app app run --host 127.0.0.1 --port $PORT".into()),
    "{runs:?}"
  );
  assert!(
    runs.contains(
      &".venv/bin/python -m uvicorn app.main:app --reload --host 127.0.0.1 --port $PORT".into()
    ),
    "{runs:?}"
  );
  let up = test.run(&["up", "-d"]);
  assert_eq!(
    up.code(),
    0,
    "{}\n{}",
    up.stderr(),
    fs::read_to_string(test.path().join("devtasks.yaml")).unwrap()
  );
  let status = test.status_json();
  let states: Vec<&str> = status
    .as_array()
    .unwrap()
    .iter()
    .map(|s| s["state"].as_str().unwrap())
    .collect();
  assert_eq!(states, ["running", "running"], "{status:#}");
  test.run(&["stop"]).success();
}

/// A project with `devtasks.yml` keeps it: init neither writes a `devtasks.yaml` that would
/// shadow it nor replaces it without `--force`; with both present, dev says so.
#[test]
fn init_respects_an_existing_devtasks_yml() {
  let test = Test::with_project("node-server");
  test.write("devtasks.yml", "tasks:\n  mine: echo mine\n");
  test
    .args(&["init"])
    .status(2)
    .stderr_contains("devtasks.yml already exists")
    .run();
  assert!(!test.path().join("devtasks.yaml").exists());
  test.args(&["mine"]).stdout_contains("mine").run();
  test.args(&["init", "--force"]).status(0).run();
  assert!(!test.path().join("devtasks.yaml").exists());
  let written = fs::read_to_string(test.path().join("devtasks.yml")).unwrap();
  assert!(written.contains("node server.js"), "{written}");
  test.write("devtasks.yaml", "tasks:\n  other: echo other\n");
  test
    .args(&["list"])
    .status(2)
    .stderr_contains("both devtasks.yaml and devtasks.yml exist")
    .run();
}
