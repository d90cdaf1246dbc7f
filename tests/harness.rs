//! The test builder: a temp project, the real binary, and a guard that kills every process
//! the test started, even when it panics. Ownership is proven by a marker variable with a
//! unique value that `dev`, its keepers and every service process inherit.

use std::{
  fs,
  net::{TcpListener, TcpStream},
  path::{Path, PathBuf},
  process::{Child, Command, Output, Stdio},
  thread,
  time::{Duration, Instant},
};

pub(crate) const DEV: &str = env!("CARGO_BIN_EXE_dev");

/// A small python server: listens on $PORT, prints `listening <port>`, and can be asked to
/// ignore SIGTERM or to hide in a deeper process tree (`tree`: a setsid grandchild).
pub(crate) const SERVER_PY: &str = include_str!("fixtures/server.py");

const TLS_CERT: &str = include_str!("fixtures/tls/cert.pem");
const TLS_KEY: &str = include_str!("fixtures/tls/key.pem");

pub(crate) struct Test {
  pub(crate) dir: tempfile::TempDir,
  marker: String,
}

impl Test {
  pub(crate) fn new() -> Self {
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
    Self { dir, marker }
  }

  pub(crate) fn with_config(yaml: &str) -> Self {
    let test = Self::new();
    test.write("devtasks.yaml", yaml);
    test
  }

  /// A copy of `tests/fixtures/projects/<name>` (a sample project tree), without a task file.
  pub(crate) fn with_project(name: &str) -> Self {
    fn copy(from: &Path, to: &Path) {
      fs::create_dir_all(to).unwrap();
      for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
          copy(&entry.path(), &target);
        } else {
          fs::copy(entry.path(), target).unwrap();
        }
      }
    }
    let test = Self::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
      .join("tests/fixtures/projects")
      .join(name);
    copy(&fixture, test.path());
    test
  }

  pub(crate) fn path(&self) -> &Path {
    self.dir.path()
  }

  pub(crate) fn write(&self, name: &str, text: &str) {
    let path = self.path().join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
  }

  pub(crate) fn command(&self, args: &[&str]) -> Command {
    let mut command = Command::new(DEV);
    command
      .args(args)
      .current_dir(self.path())
      .env("DEV_TEST_ID", &self.marker)
      .env("NO_COLOR", "1")
      .stdin(Stdio::null());
    command
  }

  /// Runs `dev` to completion (bounded: 60 s).
  pub(crate) fn run(&self, args: &[&str]) -> Done {
    self.run_with_env(args, &[])
  }

  /// Like `run`, with more variables in `dev`'s environment.
  pub(crate) fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Done {
    let mut child = self
      .command(args)
      .envs(env.iter().copied())
      .stdout(Stdio::piped())
      .stderr(Stdio::piped())
      .spawn()
      .expect("spawn dev");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
      assert!(
        Instant::now() < deadline,
        "dev {args:?} did not finish in 60 s"
      );
      thread::sleep(Duration::from_millis(5));
    }
    Done(child.wait_with_output().unwrap())
  }

  /// Runs `dev` on a pseudo-terminal (stdout and stderr both on it); everything it wrote
  /// there, control sequences included, and the exit code. With `interrupt_after`, Ctrl+C
  /// once that text has appeared.
  pub(crate) fn run_in_terminal(
    &self,
    args: &[&str],
    interrupt_after: Option<&str>,
  ) -> (String, i32) {
    let options: Vec<&str> = interrupt_after
      .map(|text| vec!["--interrupt-after", text])
      .unwrap_or_default();
    self.terminal(&options, args)
  }

  /// Like `run_in_terminal`, closing the terminal (as when its window is closed) once
  /// `after` has appeared. The exit code says whether `dev` ended by itself or was killed.
  pub(crate) fn hang_up_terminal(&self, args: &[&str], after: &str) -> (String, i32) {
    self.terminal(&["--hang-up-after", after], args)
  }

  /// Like `run_in_terminal`, typing `keys` once `prompt` has appeared.
  pub(crate) fn answer_in_terminal(
    &self,
    args: &[&str],
    prompt: &str,
    keys: &str,
  ) -> (String, i32) {
    self.terminal(&["--type-after", prompt, keys], args)
  }

  fn terminal(&self, options: &[&str], args: &[&str]) -> (String, i32) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/terminal.py");
    let mut command = Command::new("python3");
    command.arg(script).args(options);
    let output = command
      .arg(DEV)
      .args(args)
      .current_dir(self.path())
      .env("DEV_TEST_ID", &self.marker)
      .env("NO_COLOR", "1")
      .env("TERM", "xterm")
      .stdin(Stdio::null())
      .output()
      .expect("run python3");
    (
      String::from_utf8_lossy(&output.stdout).into_owned(),
      output.status.code().unwrap_or(-1),
    )
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

  /// The service's pid as `dev status --json` reports it, if running.
  pub(crate) fn pid_of(&self, service: &str) -> Option<u32> {
    let status = self.status_json();
    let row = status
      .as_array()?
      .iter()
      .find(|row| row["service"] == service)?;
    (row["state"] == "running").then(|| row["pid"].as_u64().unwrap() as u32)
  }

  /// A listener that `dev` did not start: `python3 server.py <mode>` on `port` (address
  /// `bind`) in its own process group, carrying the test's marker for the cleanup guard.
  /// Returns once it listens (or, for `bind-only`, is bound).
  pub(crate) fn foreign(&self, port: u16, bind: &str, mode: &str) -> Foreign {
    self.foreign_with_env(port, bind, mode, &[])
  }

  pub(crate) fn foreign_with_env(
    &self,
    port: u16,
    bind: &str,
    mode: &str,
    env: &[(&str, &str)],
  ) -> Foreign {
    use std::{
      io::{BufRead, BufReader},
      os::unix::process::CommandExt,
    };
    let mut child = Command::new("python3")
      .args(["-u", "server.py", mode])
      .current_dir(self.path())
      .env("PORT", port.to_string())
      .env("BIND", bind)
      .env("DEV_TEST_ID", &self.marker)
      .envs(env.iter().copied())
      .stdin(Stdio::null())
      .stdout(Stdio::piped())
      .process_group(0)
      .spawn()
      .expect("spawn python3");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.is_empty() || line.starts_with("starting") {
      line.clear();
      if reader.read_line(&mut line).unwrap() == 0 {
        break;
      }
    }
    assert!(
      line.starts_with("listening") || line.starts_with("bound"),
      "server did not start: {line:?}"
    );
    Foreign(child)
  }

  /// Waits (bounded) until no process of this test is left; on timeout, names them.
  #[track_caller]
  pub(crate) fn wait_for_no_processes(&self, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !self.processes().is_empty() {
      if Instant::now() >= deadline {
        let left: Vec<String> = self
          .processes()
          .iter()
          .map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let command = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            format!(
              "{pid}: {} [{}]",
              String::from_utf8_lossy(&command).replace('\0', " "),
              stat.trim()
            )
          })
          .collect();
        panic!("still running after {timeout:?}:\n{}", left.join("\n"));
      }
      thread::sleep(Duration::from_millis(10));
    }
  }

  /// Every live process that carries this test's marker (dev, keepers, services).
  pub(crate) fn processes(&self) -> Vec<u32> {
    processes_with_env("DEV_TEST_ID", &self.marker)
  }
}

impl Drop for Test {
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

/// A process the test started itself; killed and reaped on drop.
pub(crate) struct Foreign(Child);

impl Foreign {
  pub(crate) fn id(&self) -> u32 {
    self.0.id()
  }

  /// Waits (bounded) for it to exit, for processes `dev` is expected to stop.
  pub(crate) fn wait_exit(&mut self, timeout: Duration) -> i32 {
    wait_child(&mut self.0, timeout)
  }
}

impl Drop for Foreign {
  fn drop(&mut self) {
    let _ = self.0.kill();
    let _ = self.0.wait();
  }
}

pub(crate) struct Done(pub(crate) Output);

impl Done {
  pub(crate) fn stdout(&self) -> String {
    String::from_utf8_lossy(&self.0.stdout).into_owned()
  }

  pub(crate) fn stderr(&self) -> String {
    String::from_utf8_lossy(&self.0.stderr).into_owned()
  }

  /// Stdout parsed as JSON (for `--json` commands); names both streams when it is not.
  #[track_caller]
  pub(crate) fn json(&self) -> serde_json::Value {
    serde_json::from_str(&self.stdout()).unwrap_or_else(|error| {
      panic!(
        "not JSON ({error}): {}\nstderr: {}",
        self.stdout(),
        self.stderr()
      )
    })
  }

  pub(crate) fn code(&self) -> i32 {
    self.0.status.code().unwrap_or(-1)
  }

  #[track_caller]
  pub(crate) fn success(&self) -> &Self {
    assert!(
      self.0.status.success(),
      "expected success, got {}\nstdout: {}\nstderr: {}",
      self.code(),
      self.stdout(),
      self.stderr()
    );
    self
  }
}

pub(crate) fn processes_with_env(key: &str, value: &str) -> Vec<u32> {
  let needle = format!("{key}={value}");
  let me = std::process::id();
  fs::read_dir("/proc")
    .unwrap()
    .flatten()
    .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
    .filter(|pid| *pid != me)
    .filter(|pid| {
      is_alive(*pid)
        && fs::read(format!("/proc/{pid}/environ"))
          .is_ok_and(|env| env.split(|b| *b == 0).any(|e| e == needle.as_bytes()))
    })
    .collect()
}

/// Ports handed to a test in this run: never handed out twice, so two tests running side by
/// side cannot be given the same port after the kernel recycled it.
static CLAIMED: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());

fn claim(port: u16) -> bool {
  let mut claimed = CLAIMED
    .lock()
    .unwrap_or_else(std::sync::PoisonError::into_inner);
  if claimed.contains(&port) {
    return false;
  }
  claimed.push(port);
  true
}

/// A port that was free a moment ago (the kernel picked it) and no other test was given.
pub(crate) fn free_port() -> u16 {
  loop {
    let port = TcpListener::bind("127.0.0.1:0")
      .unwrap()
      .local_addr()
      .unwrap()
      .port();
    if claim(port) {
      return port;
    }
  }
}

pub(crate) fn is_listening(port: u16) -> bool {
  TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// A port `p` (≥ 1024) such that `p` and every port in `related(p)` are free right now.
pub(crate) fn free_port_where(related: impl Fn(u16) -> Vec<u16>) -> u16 {
  let start = 1024 + (std::process::id() % 4000) as u16;
  (start..6000)
    .chain(1024..start)
    .find(|p| {
      let ports: Vec<u16> = std::iter::once(*p).chain(related(*p)).collect();
      ports.iter().all(|port| is_bindable(*port)) && ports.iter().all(|port| claim(*port))
    })
    .expect("a free port")
}

/// True when a server could bind the port again (SO_REUSEADDR, as servers do).
/// Checked on 0.0.0.0 and on :: (which also covers ::1); a machine without IPv6 skips that.
pub(crate) fn is_bindable(port: u16) -> bool {
  ["0.0.0.0", "::"]
    .iter()
    .all(|address| match TcpListener::bind((*address, port)) {
      Ok(_) => true,
      Err(error) => error.kind() != std::io::ErrorKind::AddrInUse,
    })
}

#[track_caller]
pub(crate) fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
  let deadline = Instant::now() + timeout;
  while !condition() {
    assert!(
      Instant::now() < deadline,
      "timed out after {timeout:?} waiting for: {what}"
    );
    thread::sleep(Duration::from_millis(10));
  }
}

pub(crate) fn is_alive(pid: u32) -> bool {
  fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
    !stat
      .rsplit(')')
      .next()
      .unwrap_or("")
      .trim_start()
      .starts_with('Z')
  })
}

pub(crate) fn signal(pid: u32, signal: i32) {
  // SAFETY: kill(2) on a pid this test started.
  unsafe { libc::kill(pid as i32, signal) };
}

/// Waits for a child with a bound; returns its exit code.
pub(crate) fn wait_child(child: &mut Child, timeout: Duration) -> i32 {
  let deadline = Instant::now() + timeout;
  loop {
    if let Some(status) = child.try_wait().unwrap() {
      return status.code().unwrap_or(-1);
    }
    assert!(
      Instant::now() < deadline,
      "process {} did not exit within {timeout:?}",
      child.id()
    );
    thread::sleep(Duration::from_millis(10));
  }
}

/// A one-service config running server.py in the given mode on the given port.
pub(crate) fn server_config(name: &str, port: u16, mode: &str, grace: &str) -> String {
  format!(
    "services:\n  {name}:\n    run: exec python3 -u server.py {mode}\n    port: {port}\n    stop: {{ grace: {grace} }}\n"
  )
}

pub(crate) fn project_path(test: &Test, relative: &str) -> PathBuf {
  test.path().join(relative)
}

/// A Python command-line tool the tests feed `dev`'s output to (honcho, check-jsonschema):
/// from PATH, else installed once into a virtualenv under the build directory (PyPI), so
/// that `cargo test` needs nothing set up beforehand.
pub(crate) fn python_tool(command: &str, package: &str) -> PathBuf {
  if let Some(found) = std::env::var_os("PATH")
    .into_iter()
    .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
    .map(|dir| dir.join(command))
    .find(|path| path.is_file())
  {
    return found;
  }
  let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tools-venv");
  let tool = venv.join("bin").join(command);
  // One installer at a time: tests run side by side.
  let lock = fs::File::create(Path::new(env!("CARGO_TARGET_TMPDIR")).join("tools.lock")).unwrap();
  lock.lock().unwrap();
  if !tool.is_file() {
    if !venv.join("bin/pip").is_file() {
      let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
      assert!(made.success(), "cannot create a virtualenv for {package}");
    }
    let installed = Command::new(venv.join("bin/pip"))
      .args(["install", "--quiet", package])
      .status()
      .unwrap();
    assert!(
      installed.success(),
      "cannot install {package} from PyPI for this test"
    );
  }
  tool
}
