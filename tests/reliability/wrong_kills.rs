//! Wrong kills: sentinel processes that record every signal they receive stand where `dev`
//! could be tempted — a pid named by stale state, a foreign listener, another user's
//! listener, ports whose numbers contain the target's — while `dev` stops, frees and starts.
//! Not one of them may receive a signal.

use std::{
  fs,
  os::unix::process::CommandExt,
  process::{Child, Command, Stdio},
};

use crate::harness::*;

/// Listens on `port` (0: none) and appends the number of every catchable signal it gets to
/// `signals.<pid>`, ignoring it.
pub(crate) const SENTINEL: &str = "import os, signal, socket, sys, time
path = os.path.join(sys.argv[2], f'signals.{os.getpid()}')
def note(number, frame):
    with open(path, 'a') as f:
        f.write(f'{number}\\n')
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGQUIT):
    signal.signal(s, note)
port = int(sys.argv[1])
if port:
    sock = socket.socket(); sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', port)); sock.listen(8)
print('ready', flush=True)
while True:
    time.sleep(1)
";

pub(crate) struct Sentinel {
  child: Child,
  what: &'static str,
}

impl Drop for Sentinel {
  fn drop(&mut self) {
    let _ = self.child.kill();
    let _ = self.child.wait();
  }
}

pub(crate) fn sentinel(test: &Test, port: u16, what: &'static str, uid: Option<u32>) -> Sentinel {
  use std::io::{BufRead, BufReader};
  let mut command = Command::new("python3");
  command
    .args(["-u", "-c", SENTINEL, &port.to_string()])
    .arg(if uid.is_some() {
      "/tmp"
    } else {
      test.path().to_str().unwrap()
    })
    .current_dir("/")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .process_group(0);
  if let Some(uid) = uid {
    command.uid(uid).gid(uid);
  }
  let mut child = command.spawn().unwrap();
  let mut line = String::new();
  BufReader::new(child.stdout.as_mut().unwrap())
    .read_line(&mut line)
    .unwrap();
  assert_eq!(line, "ready\n", "{what} did not start");
  Sentinel { child, what }
}

pub(crate) fn signals_received(test: &Test, sentinel: &Sentinel, uid: Option<u32>) -> String {
  let dir = if uid.is_some() {
    "/tmp".into()
  } else {
    test.path().to_path_buf()
  };
  fs::read_to_string(dir.join(format!("signals.{}", sentinel.child.id()))).unwrap_or_default()
}

under_both_containments!(
  no_unrelated_process_is_ever_signalled,
  a_reused_process_group_number_is_never_signalled,
);

fn no_unrelated_process_is_ever_signalled(how: Containment) {
  // 1808-style: a free port whose ten-fold is free too.
  let small = free_port_where(|p| vec![p * 10]);
  let tenfold = small * 10;
  let foreign_port = free_port();
  let other_user_port = free_port();
  let test = Test::new().contained(how).servers(&[
    server("api", small),
    server("held", foreign_port),
    server("theirs", other_user_port),
  ]);
  let root = unsafe { libc::geteuid() } == 0;
  let mut sentinels = vec![
    (
      sentinel(&test, 0, "a process whose pid stale state names", None),
      None,
    ),
    (
      sentinel(&test, tenfold, "the listener on the ten-fold port", None),
      None,
    ),
    (
      sentinel(&test, foreign_port, "a foreign listener", None),
      None,
    ),
  ];
  if root {
    // Another user's listener: `nobody`.
    sentinels.push((
      sentinel(
        &test,
        other_user_port,
        "another user's listener",
        Some(65534),
      ),
      Some(65534),
    ));
  } else {
    eprintln!("note: not root, so no process of another user can be made here");
  }

  // Stale state naming the first sentinel's pid with another start time.
  let reused = sentinels[0].0.child.id();
  fs::create_dir_all(test.path().join(".dev")).unwrap();
  let state = serde_json::json!({
    "service": "api", "keeper": { "pid": reused, "start_time": 1 },
    "process": { "pid": reused, "start_time": 1 }, "pgid": reused,
    "boot_id": "written by an older dev", "token": "not-a-real-token", "port": small,
    "command": "python3", "log": "logs/api.log", "started_at": 0, "supervisor": null
  });
  fs::write(test.path().join(".dev/api.json"), state.to_string()).unwrap();

  let small_s = small.to_string();
  let foreign_s = foreign_port.to_string();
  let theirs_s = other_user_port.to_string();
  let runs: Vec<(Vec<&str>, Option<i32>)> = vec![
    (vec!["status"], Some(0)),
    (vec!["stop"], Some(0)),
    (vec!["api-stop"], Some(0)),
    (vec!["port", "free", &small_s, "--yes"], None),
    (vec!["up", "-d", "api"], Some(0)),
    (vec!["api-restart"], Some(0)),
    (vec!["api-force"], Some(0)),
    (vec!["stop"], Some(0)),
    (vec!["port", "free", &foreign_s], Some(1)),
    (vec!["up", "-d", "held"], Some(1)),
    (vec!["port", "free", &theirs_s], None),
    (vec!["port", "free", &theirs_s, "--yes"], None),
    (vec!["up", "-d", "theirs"], None),
    (vec!["theirs-force"], None),
    (vec!["stop"], Some(0)),
  ];
  for (args, code) in &runs {
    let done = test.run(args);
    if let Some(code) = code {
      assert_eq!(done.code(), *code, "dev {args:?}: {}", done.stderr());
    }
  }
  let mut signalled = Vec::new();
  for (sentinel, uid) in &mut sentinels {
    let alive = sentinel.child.try_wait().unwrap().is_none();
    let received = signals_received(&test, sentinel, *uid);
    if !alive || !received.is_empty() {
      signalled.push(format!(
        "{}: alive {alive}, signals {received:?}",
        sentinel.what
      ));
    }
  }
  eprintln!(
    "figure: {how:?}: {} sentinels through {} dev commands, {} signalled",
    sentinels.len(),
    runs.len(),
    signalled.len()
  );
  assert!(signalled.is_empty(), "{signalled:#?}");
}

/// The number of a process group outlives its members only in the kernel's memory of pids:
/// once the service's leader is reaped, that number can be handed to an unrelated process
/// that starts a group of its own (pid_max is 32768 here, so a busy machine wraps in
/// seconds). Forced deterministically by writing `ns_last_pid` (root only): a sentinel gets
/// the old leader's pid while the keeper still waits out the grace for a grandchild that
/// ignores SIGTERM. The keeper's SIGKILL must not reach it.
fn a_reused_process_group_number_is_never_signalled(how: Containment) {
  if !std::path::Path::new("/proc/sys/kernel/ns_last_pid").exists()
    || unsafe { libc::geteuid() } != 0
  {
    eprintln!("note: cannot choose pids here (needs root and ns_last_pid)");
    return;
  }
  // Rewinding the counter would hand other tests' freed pids to strangers: run alone.
  let _alone = pid_counter::alone();
  let port = free_port();
  let test = Test::new()
    .contained(how)
    .config(&server_config("tree", port, "tree", "1500ms"));
  test.run(&["up", "-d"]).success();
  let leader = test.pid_of("tree").unwrap();
  let mut stop = test
    .command(&["stop"])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  // The leader and its child die at once; the setsid grandchild ignores SIGTERM.
  let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
  while is_alive(leader) && std::time::Instant::now() < deadline {
    std::thread::sleep(std::time::Duration::from_millis(2));
  }
  let mut sentinel = None;
  for _ in 0..20 {
    if fs::write("/proc/sys/kernel/ns_last_pid", (leader - 1).to_string()).is_err() {
      break;
    }
    let candidate = sentinel_process(&test);
    if candidate.child.id() == leader {
      sentinel = Some(candidate);
      break;
    }
  }
  let Some(mut sentinel) = sentinel else {
    eprintln!("note: could not get pid {leader} back (another process took it); not exercised");
    let _ = stop.wait();
    return;
  };
  assert_eq!(wait_child(&mut stop, std::time::Duration::from_secs(20)), 0);
  let alive = sentinel.child.try_wait().unwrap().is_none();
  let received = signals_received(&test, &sentinel, None);
  eprintln!(
    "figure: {how:?}: the old group number {leader} reused by a sentinel: alive {alive}, signals {received:?}"
  );
  assert!(
    alive && received.is_empty(),
    "the keeper signalled group {leader} after reuse"
  );
  assert!(is_bindable(port));
}

fn sentinel_process(test: &Test) -> Sentinel {
  sentinel(test, 0, "a process holding the old group number", None)
}
