//! `dev init` against sample project trees, and running a bare Procfile.

use std::{fs, time::Duration};

use crate::harness::{Test, wait_until};

/// `dev init`, then the resolved file as `dev list --json` sees it.
fn init(test: &Test) -> serde_json::Value {
  let done = test.run(&["init"]);
  done.success();
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
  assert_eq!(backend["cwd"], "backend");
  assert_eq!(
    backend["run"],
    "python -m uvicorn app.main:app --reload --host 127.0.0.1 --port $PORT"
  );
  assert_eq!(backend["port"], 8000);
  assert_eq!(
    backend["health"]["Http"]["url"],
    "http://127.0.0.1:$PORT/docs"
  );
  let frontend = service(&json, "frontend");
  assert_eq!(
    frontend["run"],
    "npm run dev -- --port $PORT --strictPort --host 127.0.0.1"
  );
  assert_eq!(frontend["port"], 5173);
  assert_eq!(frontend["depends_on"][0][0], "backend");
  assert_eq!(frontend["depends_on"][0][1], "healthy");
  let tasks = task_names(&json);
  assert!(tasks.contains(&"build".to_owned()), "{tasks:?}");
  assert!(
    tasks.contains(&"test".to_owned()) && tasks.contains(&"frontend-test".to_owned()),
    "{tasks:?}"
  );
  let ignore = fs::read_to_string(test.path().join(".gitignore")).unwrap();
  assert!(
    ignore.contains(".dev/\n") && ignore.contains("logs/\n"),
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
    "python manage.py runserver 127.0.0.1:$PORT"
  );
  assert_eq!(service(&json, "frontend")["run"], "BROWSER=none npm start");
  assert_eq!(service(&json, "frontend")["cwd"], "web");

  let test = Test::with_project("express");
  let json = init(&test);
  assert_eq!(service(&json, "backend")["run"], "npm start");
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
  let done = test.run(&["init"]);
  assert_eq!(done.code(), 2);
  assert!(
    done.stderr().contains("devtasks.yaml already exists"),
    "{}",
    done.stderr()
  );
  assert!(
    done.stderr().contains("dev init --force"),
    "{}",
    done.stderr()
  );
  test.run(&["init", "--force"]).success();
  assert_eq!(
    fs::read_to_string(test.path().join(".gitignore")).unwrap(),
    "node_modules/\n/.dev\n# dev: state and service logs\nlogs/\n"
  );
}

#[test]
fn a_bare_procfile_runs_foreman_style() {
  let test = Test::with_project("procfile");
  let done = test.run(&["up", "-d"]);
  done.success();
  assert!(
    done
      .stderr()
      .contains("no devtasks.yaml: running the Procfile"),
    "{}",
    done.stderr()
  );
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
