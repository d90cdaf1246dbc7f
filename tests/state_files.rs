//! `.dev/` is shared with the user: `dev` keeps its own files in `.dev/state/`, never reads,
//! hides or deletes another file there, and no two legal service names share a file.

use std::{fs, time::Duration};

use crate::harness::Test;

#[test]
fn files_dev_did_not_write_in_its_directory_are_never_touched() {
  let test = Test::with_config("services:\n  api:\n    run: sleep 60\n");
  let own = [
    (".dev/config.json", "{\"team\": \"local settings\"}\n"),
    (".dev/api.json", "{\"service\": \"someone else's\"}\n"),
    (".dev/notes.txt", "mine\n"),
    (".dev/api.lock", ""),
  ];
  for (path, text) in own {
    test.write(path, text);
  }
  test.run(&["up", "-d"]).success();
  for args in [
    &["status"][..],
    &["stop"],
    &["status"],
    &["up", "-d"],
    &["stop"],
  ] {
    let done = test.run(args);
    done.success();
    assert!(
      !done.stdout().contains("config") && !done.stderr().contains("config"),
      "`dev {args:?}` took a user's file for a service: {}{}",
      done.stdout(),
      done.stderr()
    );
  }
  for (path, text) in own {
    assert_eq!(
      fs::read_to_string(test.path().join(path)).ok().as_deref(),
      Some(text),
      "{path} was changed or deleted"
    );
  }
  assert!(
    !test.path().join(".dev/.gitignore").exists(),
    "the user's files in .dev/ were hidden from git"
  );
  assert_eq!(
    fs::read_to_string(test.path().join(".dev/state/.gitignore")).unwrap(),
    "*\n"
  );
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn every_legal_service_name_has_files_of_its_own() {
  let names = ["x", "x.spec", "ports", "a.tmp.1", "y.state", "y"];
  let services: String = names
    .iter()
    .map(|name| format!("  {name}:\n    run: sleep 60\n"))
    .collect();
  let test = Test::with_config(&format!("services:\n{services}"));
  test.run(&["up", "-d"]).success();
  let running = |status: &serde_json::Value| -> Vec<String> {
    let mut names: Vec<String> = status
      .as_array()
      .unwrap()
      .iter()
      .filter(|row| row["state"] == "running")
      .map(|row| row["service"].as_str().unwrap().to_owned())
      .collect();
    names.sort();
    names
  };
  let mut expected: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
  expected.sort();
  assert_eq!(running(&test.status_json()), expected);
  // Renamed away while they run: found by their state alone, each still its own.
  test.write("devtasks.yaml", "services:\n  other:\n    run: sleep 60\n");
  assert_eq!(running(&test.status_json()), expected);
  let stop = test.run(&["stop"]);
  stop.success();
  for name in names {
    assert!(
      stop.stderr().contains(&format!("{name} stopped")),
      "{name}: {}",
      stop.stderr()
    );
  }
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn state_an_older_dev_wrote_moves_into_its_own_directory_and_the_rest_stays() {
  let test = Test::with_config("services:\n  api:\n    run: sleep 60\n");
  let stale = serde_json::json!({
    "service": "api", "keeper": { "pid": 1, "start_time": 1 }, "process": null, "pgid": null,
    "token": "an-older-token", "port": null, "command": "sleep 60", "log": "logs/api.log",
    "started_at": 0, "supervisor": null
  });
  test.write(".dev/.gitignore", "*\n");
  test.write(".dev/api.json", &stale.to_string());
  test.write(".dev/api.spec.json", "{\"service\": \"api\"}");
  test.write(".dev/api.lock", "");
  test.write(".dev/config.json", "{\"team\": true}");
  test.run(&["up", "-d"]).success();
  for gone in [
    ".dev/.gitignore",
    ".dev/api.json",
    ".dev/api.spec.json",
    ".dev/api.lock",
  ] {
    assert!(!test.path().join(gone).exists(), "{gone} was left behind");
  }
  assert!(test.path().join(".dev/state/api.state.json").exists());
  assert_eq!(
    fs::read_to_string(test.path().join(".dev/config.json")).unwrap(),
    "{\"team\": true}"
  );
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn a_file_named_like_an_old_state_file_is_never_deleted_unless_it_is_one() {
  let test =
    Test::with_config("services:\n  api:\n    run: sleep 1; exit 3\n  web:\n    run: sleep 60\n");
  let other = tempfile::tempdir().unwrap();
  // The user's own file, with the one key a state file and theirs share.
  let users = "{\"service\":\"api\",\"owner\":\"me, not dev\"}\n";
  test.write(".dev/api.json", users);
  test.run(&["up", "-d", "web"]).success();
  let mut real: serde_json::Value = serde_json::from_str(
    &fs::read_to_string(test.path().join(".dev/state/web.state.json")).unwrap(),
  )
  .unwrap();
  test.run(&["stop"]).success();
  // A state file of dev's whose root is another project now, its keeper gone.
  real["root"] = other.path().to_str().unwrap().into();
  real["keeper"] = serde_json::json!({ "pid": 1, "start_time": 1 });
  let elsewhere = real.to_string();
  test.run(&["up", "-d", "api"]).success();
  test.write(".dev/web.json", &elsewhere);
  std::thread::sleep(Duration::from_secs(2));
  for args in [&["status"][..], &["stop"], &["api-stop"], &["status"]] {
    test.run(args);
  }
  assert_eq!(
    fs::read_to_string(test.path().join(".dev/api.json"))
      .ok()
      .as_deref(),
    Some(users),
    "the user's .dev/api.json was deleted"
  );
  assert_eq!(
    fs::read_to_string(test.path().join(".dev/web.json"))
      .ok()
      .as_deref(),
    Some(elsewhere.as_str()),
    "a state file of another project was deleted"
  );
  test.wait_for_no_processes(Duration::from_secs(10));
}
