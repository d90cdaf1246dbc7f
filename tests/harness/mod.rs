//! The test builder: a temp project, the real binary, and a guard that kills every process
//! the test started, even when it panics. Ownership is proven by a marker variable with a
//! unique value that `dev`, its keepers and every service process inherit.

mod invocation;
pub(crate) mod pid_counter;
#[cfg(unix)]
pub(crate) mod procs;
mod server;
mod system;
#[cfg(unix)]
mod terminal;
#[cfg(unix)]
mod tmux;

use std::{
  fs,
  path::Path,
  process::{Child, Command, Stdio},
  thread,
  time::{Duration, Instant},
};

pub(crate) use invocation::{Done, Invocation};
pub(crate) use server::{Server, server, server_config, services};
pub(crate) use system::*;
#[cfg(unix)]
pub(crate) use tmux::Tmux;

pub(crate) const DEV: &str = env!("CARGO_BIN_EXE_dev");

/// The `dev` under test: `DEV_TEST_BIN` when set (a test exe copied elsewhere, as under
/// Wine, where the build's path means nothing), else the one cargo built.
pub(crate) fn dev_binary() -> String {
  std::env::var("DEV_TEST_BIN").unwrap_or_else(|_| DEV.to_owned())
}

/// A small python server: listens on $PORT, prints `listening <port>`, and can be asked to
/// ignore SIGTERM or to hide in a deeper process tree (`tree`: a setsid grandchild).
pub(crate) const SERVER_PY: &str = include_str!("../fixtures/server.py");

const TLS_CERT: &str = include_str!("../fixtures/tls/cert.pem");
const TLS_KEY: &str = include_str!("../fixtures/tls/key.pem");

pub(crate) struct Test {
  pub(crate) dir: tempfile::TempDir,
  marker: String,
  /// Variables every `dev` of this test gets.
  dev_env: Vec<(String, String)>,
  /// Dropped after the processes are killed: a test that rewinds pids waits for it.
  _turn: pid_counter::Shared,
}

/// How keepers hold a service's processes: Linux's child subreaper, or the parentage +
/// `DEV_INSTANCE` markers strategy macOS uses (Linux runs it under DEV_TEST_CONTAINMENT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Containment {
  Subreaper,
  Marked,
}

/// Each named test, `fn name(how: Containment)`, once per containment strategy: as
/// `subreaper::name` and `marked::name`.
macro_rules! under_both_containments {
  ($($name:ident),+ $(,)?) => {
    mod subreaper {
      $(#[test]
      fn $name() {
        super::$name($crate::harness::Containment::Subreaper)
      })+
    }
    mod marked {
      $(#[test]
      fn $name() {
        super::$name($crate::harness::Containment::Marked)
      })+
    }
  };
}
pub(crate) use under_both_containments;

impl Test {
  pub(crate) fn new() -> Self {
    let turn = pid_counter::shared();
    let dir = tempfile::Builder::new()
      .prefix("dev-test-")
      .tempdir()
      .expect("temp dir");
    fs::write(dir.path().join("server.py"), SERVER_PY).expect("write server.py");
    // For `server.py https`: a self-signed certificate for localhost, 127.0.0.1 and ::1.
    fs::create_dir(dir.path().join("tls")).expect("tls dir");
    fs::write(dir.path().join("tls/cert.pem"), TLS_CERT).expect("write cert");
    fs::write(dir.path().join("tls/key.pem"), TLS_KEY).expect("write key");
    let marker = dir
      .path()
      .file_name()
      .unwrap()
      .to_string_lossy()
      .into_owned();
    Self {
      dir,
      marker,
      // The proxy is per user: tests that use it say so (`with_proxy`), each with a ledger
      // and a port of its own; the others would share one proxy between parallel tests (and
      // one started in a terminal would outlive the test while others' claims keep it).
      dev_env: vec![("DEV_PROXY".into(), "off".into())],
      _turn: turn,
    }
  }

  pub(crate) fn with_config(yaml: &str) -> Self {
    Self::new().config(yaml)
  }

  /// Keepers of this test hold their services' processes this way.
  pub(crate) fn contained(mut self, how: Containment) -> Self {
    let strategy = match how {
      Containment::Subreaper => "subreaper",
      Containment::Marked => "marked",
    };
    self
      .dev_env
      .push(("DEV_TEST_CONTAINMENT".into(), strategy.into()));
    self
  }

  /// A proxy of this test's own: its ledger and proxy state in the test's directory (as if
  /// it were another user's), on a port no other test was given. Returns that port.
  pub(crate) fn with_proxy(&mut self) -> u16 {
    let port = free_port();
    let runtime = self.path().join("runtime");
    self.dev_env.extend([
      ("DEV_PROXY".into(), "on".into()),
      ("DEV_PROXY_PORT".into(), port.to_string()),
      ("DEV_RUNTIME_DIR".into(), runtime.display().to_string()),
    ]);
    port
  }

  /// This devtasks.yaml.
  pub(crate) fn config(self, yaml: &str) -> Self {
    self.write("devtasks.yaml", yaml);
    self
  }

  /// A devtasks.yaml with these python servers as its services.
  pub(crate) fn servers(self, servers: &[Server]) -> Self {
    self.config(&services(servers))
  }

  /// `dev <args>`, to be said what it must print and how it must exit, then `run`.
  pub(crate) fn args(&self, args: &[&str]) -> Invocation<'_> {
    Invocation::new(self, args)
  }

  /// A copy of `tests/fixtures/projects/<name>` (a sample project tree), without a task file.
  pub(crate) fn with_project(name: &str) -> Self {
    let test = Self::new();
    copy_tree(&project_fixture(name), test.path());
    test
  }

  pub(crate) fn path(&self) -> &Path {
    self.dir.path()
  }

  /// The value of `DEV_TEST_ID` every process of this test carries.
  pub(crate) fn marker(&self) -> &str {
    &self.marker
  }

  pub(crate) fn write(&self, name: &str, text: &str) {
    let path = self.path().join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
  }

  pub(crate) fn command(&self, args: &[&str]) -> Command {
    let mut command = Command::new(dev_binary());
    command
      .args(args)
      .current_dir(self.path())
      .env("DEV_TEST_ID", &self.marker)
      .envs(self.dev_env.iter().map(|(key, value)| (key, value)))
      .env("NO_COLOR", "1")
      .stdin(Stdio::null());
    command
  }

  /// Runs `dev` to completion (bounded: 60 s).
  pub(crate) fn run(&self, args: &[&str]) -> Done {
    self.args(args).run()
  }

  /// Like `run`, with more variables in `dev`'s environment.
  pub(crate) fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Done {
    env
      .iter()
      .fold(self.args(args), |run, (key, value)| run.env(key, value))
      .run()
  }

  /// Starts `dev` in the foreground, output to files in the project (read with `output`).
  pub(crate) fn spawn(&self, args: &[&str]) -> Child {
    let out = fs::File::create(self.path().join("dev.out")).unwrap();
    let err = fs::File::create(self.path().join("dev.err")).unwrap();
    self
      .command(args)
      .stdout(out)
      .stderr(err)
      .spawn()
      .expect("spawn dev")
  }

  pub(crate) fn spawned_output(&self) -> (String, String) {
    let read = |name| fs::read_to_string(self.path().join(name)).unwrap_or_default();
    (read("dev.out"), read("dev.err"))
  }

  pub(crate) fn log(&self, service: &str) -> String {
    fs::read_to_string(self.path().join("logs").join(format!("{service}.log"))).unwrap_or_default()
  }

  /// True when the last 64 KiB of the service's log contain `text` (for huge logs).
  pub(crate) fn log_tail_contains(&self, service: &str, text: &str) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = fs::File::open(self.path().join("logs").join(format!("{service}.log")))
    else {
      return false;
    };
    let length = file.metadata().map_or(0, |m| m.len());
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(65536)));
    let mut tail = Vec::new();
    let _ = file.read_to_end(&mut tail);
    String::from_utf8_lossy(&tail).contains(text)
  }

  pub(crate) fn status_json(&self) -> serde_json::Value {
    let done = self.run(&["status", "--json"]);
    done.success();
    done.json()
  }

  /// Every pid `server.py` printed in the service's log (`listening <port> pid <pid> …`), in
  /// order: one per process that listened.
  pub(crate) fn listening_pids(&self, service: &str) -> Vec<u32> {
    self
      .log(service)
      .lines()
      .filter_map(|line| {
        line
          .strip_prefix("listening ")?
          .split(" pid ")
          .nth(1)?
          .split(' ')
          .next()?
          .parse()
          .ok()
      })
      .collect()
  }

  /// The pid `server.py` printed last in the service's log.
  pub(crate) fn listening_pid(&self, service: &str) -> Option<u32> {
    self.listening_pids(service).pop()
  }

  /// Waits (bounded: 20 s) until `dev status` shows the service running as another process
  /// than `old`; returns the new pid.
  #[track_caller]
  pub(crate) fn wait_for_a_new_pid(&self, service: &str, old: u32) -> u32 {
    wait_until(
      &format!("{service} running as another process than {old}"),
      Duration::from_secs(20),
      || self.pid_of(service).is_some_and(|pid| pid != old),
    );
    self.pid_of(service).unwrap()
  }

  /// The service's pid as `dev status --json` reports it, if running.
  pub(crate) fn pid_of(&self, service: &str) -> Option<u32> {
    let status = self.status_json();
    let row = status
      .as_array()?
      .iter()
      .find(|row| row["service"] == service)?;
    (row["state"] == "running").then(|| row["pid"].as_u64().unwrap() as u32)
  }

  /// Waits (bounded) until no process of this test is left; on timeout, names them.
  #[cfg(unix)]
  #[track_caller]
  pub(crate) fn wait_for_no_processes(&self, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !self.processes().is_empty() {
      if Instant::now() >= deadline {
        let left: Vec<String> = self.processes().into_iter().map(procs::describe).collect();
        panic!("still running after {timeout:?}:\n{}", left.join("\n"));
      }
      thread::sleep(Duration::from_millis(10));
    }
  }

  /// Every live process that carries this test's marker (dev, keepers, services).
  #[cfg(unix)]
  pub(crate) fn processes(&self) -> Vec<u32> {
    processes_with_env("DEV_TEST_ID", &self.marker)
  }
}

/// `tests/fixtures/projects/<name>`.
pub(crate) fn project_fixture(name: &str) -> std::path::PathBuf {
  Path::new(env!("CARGO_MANIFEST_DIR"))
    .join("tests/fixtures/projects")
    .join(name)
}

/// Copies the directory `from` into `to`, recursively.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
  fs::create_dir_all(to).unwrap();
  for entry in fs::read_dir(from).unwrap().flatten() {
    let target = to.join(entry.file_name());
    if entry.file_type().unwrap().is_dir() {
      copy_tree(&entry.path(), &target);
    } else {
      fs::copy(entry.path(), target).unwrap();
    }
  }
}

impl Drop for Test {
  /// Windows: another process's environment (the marker) cannot be read, so `dev stop`
  /// ends what this project started (its keepers' jobs take their whole trees along).
  #[cfg(windows)]
  fn drop(&mut self) {
    if self.path().join(".dev").is_dir() {
      // Bounded by `dev stop` itself: each keeper's grace, then its job is terminated.
      let _ = self
        .command(&["stop"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    }
  }

  #[cfg(unix)]
  fn drop(&mut self) {
    for _ in 0..3 {
      for pid in self.processes() {
        // SAFETY: kill(2) on a pid proven ours by its unique marker.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
      }
      thread::sleep(Duration::from_millis(20));
    }
  }
}
