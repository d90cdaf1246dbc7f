//! README's tutorial ("Five minutes with FastAPI and Vite") followed for real, with real
//! uvicorn and Vite, on a copy of tests/fixtures/projects/fastapi-vite. Its commands are
//! read from the README, so it cannot drift from what runs here:
//! - the setup commands (those before the first `dev`) run once, in a copy of the project
//!   under the build directory, and what they install (`backend/.venv`,
//!   `frontend/node_modules`) is linked into every run's copy: the first run downloads from
//!   PyPI and the npm registry, later ones cost nothing;
//! - `dev` runs in the foreground, as the user's first terminal; a block without a `$` is
//!   what it prints next, and the test waits for it (bounded) before going on;
//! - every other command runs to its end as the second terminal (`sed`, `curl` and `dev …`),
//!   on the free ports the test was given (the README's 8000 and 5173 replaced).
//!
//! What each prints is compared with what the README shows once pids, ports and times are
//! placeholders: `dev`'s own lines exactly; of the servers' output (longer, and theirs) the
//! lines shown must be among those printed. A command that only looks (`curl`, `dev logs`,
//! `dev health`) is asked again until it matches, for a while: a reload takes its time.

use std::{
  fs,
  os::unix::fs::symlink,
  path::{Path, PathBuf},
  process::{Child, Command, Stdio},
  thread,
  time::{Duration, Instant},
};

use regex_lite::Regex;

use super::normalise::{self, contains_all};
use crate::harness::{Test, copy_tree, free_port, project_fixture, wait_child, wait_until_else};

const HEADING: &str = "## Five minutes with FastAPI and Vite";
const PROJECT: &str = "fastapi-vite";

/// A `$ command` and the lines the README shows after it; `None` for a block without a
/// command: what the foreground `dev` prints next.
struct Step {
  command: Option<String>,
  shown: Vec<String>,
}

fn section() -> &'static str {
  let readme = include_str!("../../README.md");
  let (_, after) = readme.split_once(HEADING).expect("README has its tutorial");
  after
    .split_once("\n## ")
    .map_or(after, |(section, _)| section)
}

/// The section's fenced blocks in `language`, in order.
fn blocks(language: &str) -> Vec<&'static str> {
  section()
    .split(&format!("```{language}\n"))
    .skip(1)
    .map(|rest| rest.split_once("```").expect("a closed block").0)
    .collect()
}

fn steps() -> Vec<Step> {
  let mut steps: Vec<Step> = Vec::new();
  for block in blocks("console") {
    for (index, line) in block.lines().enumerate() {
      if let Some(command) = line.strip_prefix("$ ") {
        let command = command.split_once("  #").map_or(command, |(c, _)| c);
        steps.push(Step {
          command: Some(command.trim().to_owned()),
          shown: Vec::new(),
        });
      } else if !line.trim().is_empty() {
        if index == 0 {
          steps.push(Step {
            command: None,
            shown: Vec::new(),
          });
        }
        steps.last_mut().unwrap().shown.push(line.to_owned());
      }
    }
  }
  steps
}

/// `dev`'s words after `dev`, for a `dev` command.
fn dev_args(command: &str) -> Option<Vec<&str>> {
  let mut words = command.split_whitespace();
  (words.next() == Some("dev")).then(|| words.collect())
}

/// A command that only looks, and may be asked again.
fn only_looks(command: &str) -> bool {
  command.starts_with("curl ")
    || dev_args(command).is_some_and(|args| ["logs", "health", "status"].contains(&args[0]))
}

/// The README's setup commands, run once in a copy of the project under the build
/// directory (again when they or the project's dependency files change); the copy.
fn installed(setup: &[&str]) -> PathBuf {
  let target = Path::new(env!("CARGO_TARGET_TMPDIR"));
  let dir = target.join("tutorial");
  // One installer at a time: a second suite may run beside this one.
  let lock = fs::File::create(target.join("tutorial.lock")).unwrap();
  lock.lock().unwrap();
  let fixture = project_fixture(PROJECT);
  let mut key = setup.join("\n");
  for file in [
    "backend/requirements.txt",
    "frontend/package.json",
    "frontend/package-lock.json",
  ] {
    key.push_str(&fs::read_to_string(fixture.join(file)).unwrap());
  }
  let stamp = dir.join(".installed");
  if fs::read_to_string(&stamp).is_ok_and(|done| done == key) {
    return dir;
  }
  let _ = fs::remove_dir_all(&dir);
  copy_tree(&fixture, &dir);
  for command in setup {
    let started = Instant::now();
    let mut child = Command::new("sh")
      .args(["-c", command])
      .current_dir(&dir)
      .stdin(Stdio::null())
      .spawn()
      .unwrap();
    let code = wait_or_kill(&mut child, Duration::from_secs(600));
    assert_eq!(
      code, 0,
      "the README's `{command}` failed: it installs from PyPI or the npm registry"
    );
    println!("installed: `{command}` in {:?}", started.elapsed());
  }
  fs::write(&stamp, key).unwrap();
  dir
}

/// The exit code; a child still running after `timeout` is killed and the test fails.
fn wait_or_kill(child: &mut Child, timeout: Duration) -> i32 {
  let deadline = Instant::now() + timeout;
  loop {
    if let Some(status) = child.try_wait().unwrap() {
      return status.code().unwrap_or(-1);
    }
    if Instant::now() >= deadline {
      let _ = child.kill();
      panic!("still running after {timeout:?}");
    }
    thread::sleep(Duration::from_millis(50));
  }
}

/// What the setup installed, linked into the test's copy of the project.
fn link_installed(cache: &Path, project: &Path) {
  let fixture = project_fixture(PROJECT);
  for dir in ["backend", "frontend"] {
    for entry in fs::read_dir(cache.join(dir)).unwrap().flatten() {
      if !fixture.join(dir).join(entry.file_name()).exists() {
        symlink(entry.path(), project.join(dir).join(entry.file_name())).unwrap();
      }
    }
  }
}

/// The project, the ports it runs on (as used, as the README shows them), and the
/// foreground `dev` with every line the README shows of it so far.
struct Tutorial {
  test: Test,
  ports: [(u16, u16); 2],
  foreground: Option<Child>,
  foreground_shown: Vec<String>,
  runs: usize,
}

impl Tutorial {
  /// `command` started in the project, both streams into one file (as a terminal shows
  /// them), on the test's ports.
  fn spawn(&mut self, command: &str, name: &str) -> Child {
    let out = fs::File::create(self.test.path().join(name)).unwrap();
    let err = out.try_clone().unwrap();
    let [(backend, _), (frontend, _)] = self.ports;
    let mut child = match dev_args(command) {
      Some(args) => self.test.command(&args),
      None => {
        let mut shell = Command::new("sh");
        let mut command = command.to_owned();
        for (used, shown) in self.ports {
          let shown = Regex::new(&format!(r"\b{shown}\b")).unwrap();
          command = shown.replace_all(&command, used.to_string()).into_owned();
        }
        shell
          .args(["-c", &command])
          .current_dir(self.test.path())
          .env("DEV_TEST_ID", self.test.marker())
          .stdin(Stdio::null());
        shell
      }
    };
    child
      .env("DEV_BACKEND_PORT", backend.to_string())
      .env("DEV_FRONTEND_PORT", frontend.to_string())
      // vite.config.js passes /api on to the backend: on the port it really has.
      .env("API_URL", format!("http://127.0.0.1:{backend}"))
      .stdout(out)
      .stderr(err)
      .spawn()
      .expect("spawn")
  }

  fn read(&self, name: &str) -> String {
    fs::read_to_string(self.test.path().join(name)).unwrap_or_default()
  }

  /// Waits until the foreground `dev` has printed every line the README shows of it so far.
  fn wait_for_foreground(&self) {
    let shown = normalise::lines(&self.foreground_shown.join("\n"), &[]);
    wait_until_else(
      "the foreground dev to print what the README shows",
      Duration::from_secs(30),
      || {
        contains_all(
          &normalise::lines(&self.read("dev.out"), &self.ports),
          &shown,
        )
      },
      || {
        format!(
          "README shows:\n{shown:#?}\n--- dev printed\n{}",
          self.read("dev.out")
        )
      },
    );
  }

  /// Runs one step; a difference from the README, said.
  fn step(&mut self, step: &Step) -> Option<String> {
    let Some(command) = &step.command else {
      self.foreground_shown.extend(step.shown.iter().cloned());
      self.wait_for_foreground();
      return None;
    };
    if dev_args(command).is_some_and(|args| args.is_empty() || args == ["up"]) {
      self.foreground = Some(self.spawn(command, "dev.out"));
      self.foreground_shown = step.shown.clone();
      self.wait_for_foreground();
      return None;
    }
    let shown = normalise::lines(&step.shown.join("\n"), &[]);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
      self.runs += 1;
      let name = format!("step-{}.out", self.runs);
      let mut child = self.spawn(command, &name);
      wait_child(&mut child, Duration::from_secs(60));
      let printed = self.read(&name);
      if normalise::lines(&printed, &self.ports) == shown {
        return None;
      }
      if !only_looks(command) || Instant::now() >= deadline {
        return Some(format!(
          "$ {command}\n--- README shows\n{}\n--- printed\n{printed}",
          step.shown.join("\n")
        ));
      }
      thread::sleep(Duration::from_millis(100));
    }
  }

  /// The foreground `dev` once it ended: `dev`'s own lines as shown, the servers' lines
  /// shown among those printed.
  fn check_foreground(&mut self) -> Option<String> {
    let mut dev = self.foreground.take().expect("the tutorial starts dev");
    let code = wait_child(&mut dev, Duration::from_secs(30));
    let printed = self.read("dev.out");
    let server = Regex::new(r"^\S+ │").unwrap();
    let split = |lines: Vec<String>| -> (Vec<String>, Vec<String>) {
      lines.into_iter().partition(|line| !server.is_match(line))
    };
    let (own, servers) = split(normalise::lines(&printed, &self.ports));
    let (own_shown, servers_shown) =
      split(normalise::lines(&self.foreground_shown.join("\n"), &[]));
    (code != 0 || own != own_shown || !contains_all(&servers, &servers_shown)).then(|| {
      format!(
        "$ dev (exit code {code})\n--- README shows\n{}\n--- printed\n{printed}",
        self.foreground_shown.join("\n")
      )
    })
  }
}

#[test]
fn the_readme_tutorial_runs_as_written() {
  let steps = steps();
  let first_dev = steps
    .iter()
    .position(|step| step.command.as_deref().and_then(dev_args).is_some())
    .expect("the tutorial runs dev");
  let setup: Vec<&str> = steps[..first_dev]
    .iter()
    .filter_map(|step| step.command.as_deref())
    .collect();
  let cache = installed(&setup);
  let test = Test::with_project(PROJECT);
  link_installed(&cache, test.path());
  let mut tutorial = Tutorial {
    test,
    ports: [(free_port(), 8000), (free_port(), 5173)],
    foreground: None,
    foreground_shown: Vec::new(),
    runs: 0,
  };
  let mut wrong: Vec<String> = steps[first_dev..]
    .iter()
    .filter_map(|step| tutorial.step(step))
    .collect();
  if tutorial.foreground.is_some() {
    wrong.extend(tutorial.check_foreground());
  }
  // The task file the README shows is the one `dev init` wrote.
  let written = fs::read_to_string(tutorial.test.path().join("devtasks.yaml")).unwrap();
  for excerpt in blocks("yaml") {
    if !written.contains(excerpt) {
      wrong.push(format!(
        "--- README shows\n{excerpt}\n--- dev init wrote\n{written}"
      ));
    }
  }
  assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
