//! `dev port free` and `<svc>-force` signal only what holds the port and its own children:
//! never a parent (an editor's extension host running the server it debugs), never another
//! user's process without `--other-users`, and every process is named before it is signalled.

use std::{
  fs,
  os::unix::process::CommandExt,
  process::{Child, Command, Stdio},
  time::Duration,
};

use crate::{
  harness::*,
  reliability::wrong_kills::{sentinel, signals_received},
};

/// An "editor" that starts an "extension host" (same process group, same user), which starts
/// the debugged server: a listener on argv[1] with a worker child of its own. Each of the two
/// ancestors logs every signal it catches to `signals.<role>`; each process writes its pid to
/// `pid.<role>`.
const EDITOR: &str = r#"import os, signal, socket, subprocess, sys, time
port, role = sys.argv[1], sys.argv[2]
def note(number, frame):
    with open(f'signals.{role}', 'a') as f:
        f.write(f'{number}\n')
with open(f'pid.{role}', 'w') as f:
    f.write(str(os.getpid()))
if role in ('editor', 'exthost'):
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(s, note)
    child = {'editor': 'exthost', 'exthost': 'server'}[role]
    subprocess.Popen([sys.executable, '-u', sys.argv[0], port, child])
    while True:
        time.sleep(1)
elif role == 'server':
    subprocess.Popen([sys.executable, '-u', sys.argv[0], port, 'worker'])
    sock = socket.socket(); sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', int(port))); sock.listen(8)
    while True:
        sock.accept()[0].close()
else:
    while True:
        time.sleep(1)
"#;

struct Editor {
  child: Child,
}

impl Drop for Editor {
  fn drop(&mut self) {
    let _ = self.child.kill();
    let _ = self.child.wait();
  }
}

fn editor(test: &Test, port: u16) -> (Editor, [u32; 4]) {
  test.write("editor.py", EDITOR);
  let child = Command::new("python3")
    .args(["-u", "editor.py", &port.to_string(), "editor"])
    .current_dir(test.path())
    .env("DEV_TEST_ID", test.marker())
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(fs::File::create(test.path().join("editor.err")).unwrap())
    .process_group(0)
    .spawn()
    .unwrap();
  let editor = Editor { child };
  let pid = |role: &str| {
    fs::read_to_string(test.path().join(format!("pid.{role}")))
      .ok()
      .and_then(|text| text.parse::<u32>().ok())
  };
  wait_until_else(
    "the debugged server listens",
    Duration::from_secs(10),
    || is_listening(port) && pid("worker").is_some(),
    || {
      let files: Vec<_> = fs::read_dir(test.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
      let err = fs::read_to_string(test.path().join("editor.err")).unwrap_or_default();
      format!("{files:?} {err}")
    },
  );
  let pids = ["editor", "exthost", "server", "worker"].map(|role| pid(role).unwrap());
  (editor, pids)
}

fn signals(test: &Test, role: &str) -> String {
  fs::read_to_string(test.path().join(format!("signals.{role}"))).unwrap_or_default()
}

#[test]
fn port_free_stops_the_listener_and_its_children_never_the_editor_that_runs_it() {
  let test = Test::new();
  let port = free_port();
  let (_editor, [editor, exthost, server, worker]) = editor(&test, port);
  // Without --yes (no terminal): the question names every process it would signal, and the
  // parent it would leave, before anything happens.
  let asked = test
    .args(&["port", "free", &port.to_string()])
    .status(1)
    .run();
  let said = asked.stderr();
  assert!(
    said.contains(&format!("it would signal: pid {server} ("))
      && said.contains(&format!("pid {worker} (")),
    "{said}"
  );
  assert!(
    said.contains(&format!("left running: its parent pid {exthost} (")),
    "{said}"
  );
  assert!(!said.contains(&format!("pid {editor} (")), "{said}");
  assert!(is_alive(server));

  let done = test
    .args(&["port", "free", &port.to_string(), "--yes"])
    .status(0)
    .run();
  let said = done.stderr();
  for pid in [server, worker] {
    assert!(said.contains(&format!("stopped pid {pid} (")), "{said}");
    wait_until(
      "the server and its worker end",
      Duration::from_secs(10),
      || !is_alive(pid),
    );
  }
  assert!(
    said.contains(&format!("its parent pid {exthost} ("))
      && said.contains(&format!("kill {exthost}")),
    "the parent that may start it again is named:\n{said}"
  );
  the_ancestors_were_left_alone(&test, editor, exthost, &said);
}

#[test]
fn service_force_stops_only_the_listener_not_the_editor_that_runs_it() {
  let test = Test::new();
  let port = free_port();
  let test = test.config(&server_config("api", port, "plain", "2s"));
  let (_editor, [editor, exthost, server, _worker]) = editor(&test, port);
  let done = test.args(&["api-force", "-d"]).status(0).run();
  let said = done.stderr();
  assert!(said.contains(&format!("stopped pid {server} (")), "{said}");
  the_ancestors_were_left_alone(&test, editor, exthost, &said);
  test.run(&["stop"]).success();
}

const NOBODY: u32 = 65534;

fn is_root() -> bool {
  // SAFETY: geteuid has no preconditions.
  unsafe { libc::geteuid() == 0 }
}

#[test]
fn even_root_does_not_stop_another_users_listener_without_other_users() {
  if !is_root() {
    eprintln!("note: not root, so no process of another user can be made here");
    return;
  }
  let test = Test::new();
  let port = free_port();
  let theirs = sentinel(&test, port, "nobody's listener", Some(NOBODY));
  let refused = test
    .args(&["port", "free", &port.to_string(), "--yes"])
    .status(1)
    .run();
  let said = refused.stderr();
  assert!(said.contains("--other-users"), "{said}");
  assert!(!said.contains("sudo"), "root is told to use sudo:\n{said}");
  assert!(
    said.contains("not to you") && !said.contains("only root"),
    "root is told only root can:\n{said}"
  );
  assert_eq!(signals_received(&test, &theirs, Some(NOBODY)), "");
  assert!(is_listening(port));
  // Named explicitly, root may.
  let done = test
    .args(&[
      "port",
      "free",
      &port.to_string(),
      "--yes",
      "--other-users",
      "--grace",
      "300ms",
    ])
    .status(0)
    .run();
  assert!(done.stderr().contains("pid "), "{}", done.stderr());
  assert!(!is_listening(port));
}

#[test]
fn even_root_does_not_force_another_users_listener_away() {
  if !is_root() {
    eprintln!("note: not root, so no process of another user can be made here");
    return;
  }
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "2s"));
  let theirs = sentinel(&test, port, "nobody's listener", Some(NOBODY));
  test.args(&["api-force", "-d"]).status(1).run();
  assert_eq!(signals_received(&test, &theirs, Some(NOBODY)), "");
  assert!(is_listening(port));
  test.run(&["stop"]).success();
}

/// The editor and its extension host, above the listener: alive and never signalled.
fn the_ancestors_were_left_alone(test: &Test, editor: u32, exthost: u32, said: &str) {
  assert!(is_alive(exthost) && is_alive(editor), "{said}");
  assert_eq!(
    signals(test, "exthost"),
    "",
    "the extension host was signalled"
  );
  assert_eq!(signals(test, "editor"), "", "the editor was signalled");
}
