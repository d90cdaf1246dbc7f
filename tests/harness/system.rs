//! What the tests ask the system directly: ports, processes, signals, waits — and the
//! python tools some tests feed `dev`'s output to.

#[cfg(unix)]
use super::procs;
use std::{
  fs,
  net::{TcpListener, TcpStream},
  path::{Path, PathBuf},
  process::{Child, Command, Output, Stdio},
  sync::mpsc,
  thread,
  time::{Duration, Instant},
};

/// The Python the tests run: `python` on Windows (what its installer puts on PATH),
/// `python3` elsewhere.
pub(crate) const PYTHON: &str = if cfg!(windows) { "python" } else { "python3" };

/// Starts every command at the same moment (output piped) and waits for all, at most 60 s.
pub(crate) fn run_together(commands: Vec<Command>) -> Vec<Output> {
  let (sender, finished) = mpsc::channel();
  let count = commands.len();
  for (index, mut command) in commands.into_iter().enumerate() {
    let child = command
      .stdout(Stdio::piped())
      .stderr(Stdio::piped())
      .spawn()
      .expect("spawn");
    let sender = sender.clone();
    thread::spawn(move || sender.send((index, child.wait_with_output())));
  }
  let deadline = Instant::now() + Duration::from_secs(60);
  let mut outputs: Vec<Option<Output>> = (0..count).map(|_| None).collect();
  for _ in 0..count {
    let (index, output) = finished
      .recv_timeout(deadline.saturating_duration_since(Instant::now()))
      .expect("the commands did not all finish in 60 s");
    outputs[index] = Some(output.expect("wait"));
  }
  outputs.into_iter().map(Option::unwrap).collect()
}

#[cfg(unix)]
pub(crate) fn processes_with_env(key: &str, value: &str) -> Vec<u32> {
  let me = std::process::id();
  procs::pids()
    .into_iter()
    .filter(|pid| *pid != me && procs::is_alive(*pid))
    .filter(|pid| procs::env_var(*pid, key).as_deref() == Some(value))
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

/// A port that was free a moment ago and no other test was given — below the kernel's
/// ephemeral range (32768–60999): a port from that range can be taken, between a server's
/// stop and its restart, as the local port of any client connection on the machine (the
/// readiness probes of the tests beside it), and the restarted server then dies of
/// EADDRINUSE. That made a 50-restart watch test fail once in CI.
pub(crate) fn free_port() -> u16 {
  // 20000–31999: clear of the ports `free_port_where` looks through (1024–6000).
  const FIRST: u16 = 20_000;
  const COUNT: u16 = 12_000;
  static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
  // Suites running side by side start far apart.
  let start = (std::process::id() % u32::from(COUNT)) as u16;
  loop {
    let step = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let port = FIRST + (start.wrapping_add(step.wrapping_mul(7))) % COUNT;
    if is_bindable(port) && TcpListener::bind(("127.0.0.1", port)).is_ok() && claim(port) {
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
pub(crate) fn wait_until(what: &str, timeout: Duration, condition: impl FnMut() -> bool) {
  wait_until_else(what, timeout, condition, String::new);
}

/// `wait_until`, whose failure also says what `explain` finds (a log, a status).
#[track_caller]
pub(crate) fn wait_until_else(
  what: &str,
  timeout: Duration,
  mut condition: impl FnMut() -> bool,
  explain: impl FnOnce() -> String,
) {
  let deadline = Instant::now() + timeout;
  while !condition() {
    if Instant::now() >= deadline {
      panic!(
        "timed out after {timeout:?} waiting for: {what}\n{}",
        explain()
      );
    }
    thread::sleep(Duration::from_millis(10));
  }
}

#[cfg(unix)]
pub(crate) fn is_alive(pid: u32) -> bool {
  procs::is_alive(pid)
}

#[cfg(unix)]
pub(crate) fn signal(pid: u32, signal: i32) {
  // SAFETY: kill(2) on a pid this test started.
  unsafe { libc::kill(pid as i32, signal) };
}

/// Waits for a child with a bound; returns its exit code.
/// `wait_child`, then what the child wrote to its piped stderr.
pub(crate) fn wait_child_with_stderr(child: &mut Child, timeout: Duration) -> (i32, String) {
  let code = wait_child(child, timeout);
  let mut stderr = String::new();
  std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr piped"), &mut stderr).unwrap();
  (code, stderr)
}

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
  let tool = tools_venv().join("bin").join(command);
  install_once(package, || tool.is_file());
  tool
}

/// A Python interpreter that can `import module` (from `package`, installed from PyPI into
/// the tests' virtualenv when missing): for tests that compare `dev` with a Python library.
pub(crate) fn python_with(module: &str, package: &str) -> PathBuf {
  let python = tools_venv().join("bin").join("python");
  let importable = || {
    python.is_file()
      && Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|status| status.success())
  };
  install_once(package, importable);
  python
}

fn tools_venv() -> PathBuf {
  Path::new(env!("CARGO_TARGET_TMPDIR")).join("tools-venv")
}

/// Installs `package` into the tests' virtualenv unless `installed()` says it is there.
fn install_once(package: &str, installed: impl Fn() -> bool) {
  let venv = tools_venv();
  // One installer at a time: tests run side by side.
  let lock = fs::File::create(Path::new(env!("CARGO_TARGET_TMPDIR")).join("tools.lock")).unwrap();
  lock.lock().unwrap();
  if installed() {
    return;
  }
  if !venv.join("bin/pip").is_file() {
    let made = Command::new("python3")
      .args(["-m", "venv"])
      .arg(&venv)
      .status()
      .unwrap();
    assert!(made.success(), "cannot create a virtualenv for {package}");
  }
  let done = Command::new(venv.join("bin/pip"))
    .args(["install", "--quiet", package])
    .status()
    .unwrap();
  assert!(
    done.success(),
    "cannot install {package} from PyPI for this test"
  );
}
