//! Names instead of port numbers: real servers (tests/fixtures/named.py) reached through
//! dev's proxy as `http://<service>.<project>.localhost:<proxy port>/`, each test with a
//! proxy, a ledger and a proxy port of its own (`Test::with_proxy`).

use std::{
  fs,
  io::{Read, Write},
  net::TcpStream,
  path::Path,
  process::Command,
  sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
  },
  thread,
  time::Duration,
};

use crate::harness::{Test, free_port, signal, wait_until};

const NAMED_PY: &str = include_str!("fixtures/named.py");

fn config(port: u16) -> String {
  format!(
    "services:\n  web:\n    run: python3 named.py\n    port: {port}\n    fallback: auto\n    health: {{ http: \"http://127.0.0.1:$PORT/\" }}\n"
  )
}

/// `GET /` through the proxy at `port` for `host`, on a connection of its own: the status
/// code and the body, or why it failed.
pub(crate) fn get(port: u16, host: &str) -> Result<(u16, String), String> {
  let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
  stream
    .set_read_timeout(Some(Duration::from_secs(30)))
    .unwrap();
  write!(
    stream,
    "GET / HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
  )
  .map_err(|e| e.to_string())?;
  let mut answer = String::new();
  stream
    .read_to_string(&mut answer)
    .map_err(|e| e.to_string())?;
  let status = answer
    .split(' ')
    .nth(1)
    .and_then(|code| code.parse().ok())
    .ok_or_else(|| format!("no status line in {answer:?}"))?;
  let body = answer
    .split_once("\r\n\r\n")
    .map(|(_, body)| body.to_owned())
    .unwrap_or_default();
  Ok((status, body))
}

fn proxy_pid(test: &Test) -> Option<u32> {
  let text = fs::read_to_string(test.path().join("runtime/proxy.json")).ok()?;
  let state: serde_json::Value = serde_json::from_str(&text).ok()?;
  state["owner"]["pid"].as_u64().map(|pid| pid as u32)
}

fn git(dir: &Path, args: &[&str]) {
  let status = Command::new("git")
    .args(args)
    .current_dir(dir)
    .env("GIT_AUTHOR_NAME", "t")
    .env("GIT_AUTHOR_EMAIL", "t@t")
    .env("GIT_COMMITTER_NAME", "t")
    .env("GIT_COMMITTER_EMAIL", "t@t")
    .output()
    .expect("git runs");
  assert!(status.status.success(), "git {args:?}: {status:?}");
}

#[test]
fn two_worktrees_of_one_project_are_each_reached_by_their_own_name() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  let main = test.path().join("shop");
  fs::create_dir(&main).unwrap();
  fs::write(main.join("devtasks.yaml"), config(free_port())).unwrap();
  fs::write(main.join("named.py"), NAMED_PY).unwrap();
  git(&main, &["init", "-q", "-b", "main"]);
  git(&main, &["add", "."]);
  git(&main, &["commit", "-qm", "shop"]);
  git(
    &main,
    &["worktree", "add", "-q", "-b", "login", "../shop-login"],
  );
  let login = test.path().join("shop-login");
  for checkout in [&main, &login] {
    let done = test
      .command(&["up", "-d"])
      .current_dir(checkout)
      .output()
      .unwrap();
    assert!(done.status.success(), "{done:?}");
  }
  let (status, body) = get(proxy, "web.shop.localhost").unwrap();
  assert_eq!(status, 200, "{body}");
  assert!(
    body.starts_with(&format!("{} ", main.canonicalize().unwrap().display())),
    "{body}"
  );
  let (status, body) = get(proxy, "web.login.shop.localhost").unwrap();
  assert_eq!(status, 200, "{body}");
  assert!(
    body.starts_with(&format!("{} ", login.canonicalize().unwrap().display())),
    "{body}"
  );
  // Two checkouts have a `web`: the plain name says which to use instead of guessing.
  let (status, body) = get(proxy, "web.localhost").unwrap();
  assert_eq!(status, 404);
  assert!(body.contains("web.login.shop.localhost"), "{body}");
  let listing = test.command(&["list", "--all", "--json"]).output().unwrap();
  let projects: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
  let names: Vec<&str> = projects
    .as_array()
    .unwrap()
    .iter()
    .map(|p| p["name"].as_str().unwrap())
    .collect();
  assert_eq!(names, ["login.shop", "shop"], "{projects}");
  assert_eq!(projects[0]["branch"], "login");
  // What dev shows is the name: status, env.
  let status = test
    .command(&["status", "--json"])
    .current_dir(&login)
    .output()
    .unwrap();
  let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
  let url = format!("http://web.login.shop.localhost:{proxy}");
  assert_eq!(rows[0]["url"], url.as_str(), "{rows}");
  let env = test.command(&["env"]).current_dir(&login).output().unwrap();
  let env = String::from_utf8_lossy(&env.stdout);
  assert!(
    env.contains(&format!("export WEB_NAMED_URL='{url}'")),
    "{env}"
  );
}

#[test]
fn a_restart_onto_another_port_is_followed_without_a_failed_request() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  let (before, after) = (free_port(), free_port());
  test.write("devtasks.yaml", &config(before));
  test.run(&["up", "-d"]).success();
  let host = format!("web.{}.localhost", test.marker().to_lowercase());
  let stop = Arc::new(AtomicBool::new(false));
  let client = {
    let (stop, host) = (Arc::clone(&stop), host.clone());
    thread::spawn(move || {
      let mut answers = Vec::new();
      while !stop.load(Ordering::Relaxed) {
        answers.push(get(proxy, &host));
      }
      answers
    })
  };
  wait_until("a request answered", Duration::from_secs(10), || {
    get(proxy, &host).is_ok_and(|(status, _)| status == 200)
  });
  test.write("devtasks.yaml", &config(after));
  test.run(&["restart", "web"]).success();
  wait_until(
    "the new port answers through the name",
    Duration::from_secs(20),
    || get(proxy, &host).is_ok_and(|(_, body)| body.trim_end().ends_with(&format!(" {after}"))),
  );
  stop.store(true, Ordering::Relaxed);
  let answers = client.join().unwrap();
  let failed: Vec<_> = answers
    .iter()
    .filter(|answer| !matches!(answer, Ok((200, _))))
    .collect();
  assert!(
    failed.is_empty(),
    "{} of {} failed: {failed:?}",
    failed.len(),
    answers.len()
  );
  assert!(
    answers
      .iter()
      .any(|a| matches!(a, Ok((_, body)) if body.trim_end().ends_with(&format!(" {before}"))))
  );
}

/// One masked client frame (RFC 6455) with this text.
fn frame(text: &str) -> Vec<u8> {
  let mask = [1u8, 2, 3, 4];
  let mut out = vec![0x81, 0x80 | text.len() as u8];
  out.extend_from_slice(&mask);
  out.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
  out
}

#[test]
fn a_websocket_keeps_working_through_the_proxy() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write("devtasks.yaml", &config(free_port()));
  test.run(&["up", "-d"]).success();
  let host = format!("web.{}.localhost", test.marker().to_lowercase());
  let mut socket = TcpStream::connect(("127.0.0.1", proxy)).unwrap();
  socket
    .set_read_timeout(Some(Duration::from_secs(10)))
    .unwrap();
  write!(
    socket,
    "GET /ws HTTP/1.1\r\nHost: {host}:{proxy}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
  )
  .unwrap();
  let mut head = Vec::new();
  let mut byte = [0u8];
  while !head.ends_with(b"\r\n\r\n") {
    socket.read_exact(&mut byte).unwrap();
    head.push(byte[0]);
  }
  let head = String::from_utf8_lossy(&head);
  assert!(head.starts_with("HTTP/1.1 101"), "{head}");
  assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
  // Messages both ways, one after another, on the one upgraded connection.
  for message in ["hello", "hot update", "x"] {
    socket.write_all(&frame(message)).unwrap();
    let mut reply = vec![0u8; 2 + message.len()];
    socket.read_exact(&mut reply).unwrap();
    assert_eq!(&reply[..2], &[0x81, message.len() as u8]);
    assert_eq!(&reply[2..], message.as_bytes());
  }
}

#[test]
fn the_proxy_is_gone_after_the_last_stop_and_a_name_not_running_says_what_runs() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write("devtasks.yaml", &config(free_port()));
  let other = test.path().join("other");
  fs::create_dir(&other).unwrap();
  fs::write(other.join("named.py"), NAMED_PY).unwrap();
  fs::write(other.join("devtasks.yaml"), config(free_port())).unwrap();
  test.run(&["up", "-d"]).success();
  let done = test
    .command(&["up", "-d"])
    .current_dir(&other)
    .output()
    .unwrap();
  assert!(done.status.success(), "{done:?}");
  let pid = proxy_pid(&test).expect("the proxy says who it is");
  let (status, body) = get(proxy, "api.nowhere.localhost").unwrap();
  assert_eq!(status, 404);
  assert!(body.contains("http://web.other.localhost:"), "{body}");
  assert!(body.contains("dev up"), "{body}");
  // `dev stop --project` from anywhere: the other project stops, the proxy stays for ours.
  let stopped = test
    .command(&["stop", "--project", "other"])
    .current_dir("/")
    .output()
    .unwrap();
  assert!(stopped.status.success(), "{stopped:?}");
  let (status, _) = get(proxy, "web.other.localhost").unwrap();
  assert_eq!(status, 404);
  let (status, _) = get(
    proxy,
    &format!("web.{}.localhost", test.marker().to_lowercase()),
  )
  .unwrap();
  assert_eq!(status, 200);
  assert!(crate::harness::is_alive(pid));
  test.run(&["stop"]).success();
  wait_until("the proxy exits", Duration::from_secs(10), || {
    !crate::harness::is_alive(pid)
  });
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn nothing_is_left_when_dev_is_sigkilled() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write("devtasks.yaml", &config(free_port()));
  let mut dev = test.spawn(&["up"]);
  let host = format!("web.{}.localhost", test.marker().to_lowercase());
  wait_until("the name answers", Duration::from_secs(20), || {
    get(proxy, &host).is_ok_and(|(status, _)| status == 200)
  });
  let pid = proxy_pid(&test).expect("a proxy runs");
  signal(dev.id(), libc::SIGKILL);
  let _ = dev.wait();
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(!crate::harness::is_alive(pid));
}

#[test]
fn a_dependent_calls_its_dependency_by_name() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write(
    "devtasks.yaml",
    &format!(
      "name: shop\nservices:\n  api:\n    run: python3 named.py\n    port: {}\n    health: {{ http: \"http://127.0.0.1:$PORT/\" }}\n  web:\n    run: echo \"calls $API_URL\" && exec python3 named.py\n    port: {}\n    env: {{ API_URL: \"${{api.url}}/v1\" }}\n    depends_on: {{ api: healthy }}\n",
      free_port(),
      free_port()
    ),
  );
  test.run(&["up", "-d"]).success();
  let expected = format!("calls http://api.shop.localhost:{proxy}/v1");
  wait_until("web says what it calls", Duration::from_secs(10), || {
    test.log("web").contains(&expected)
  });
  let (status, _) = get(proxy, "api.shop.localhost").unwrap();
  assert_eq!(status, 200);
}

/// The proxy was killed and came back on another port (its own was taken meanwhile): a
/// running dependent keeps the URL it was started with, but its next run (here after a
/// crash, restarted by its keeper) gets the port the proxy has now, and so do `dev status`
/// and `dev env`.
#[test]
fn a_dependent_restarted_after_the_proxy_moved_gets_the_proxys_new_port() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write(
    "devtasks.yaml",
    &format!(
      "name: shop\nservices:\n  api:\n    run: python3 named.py\n    port: {}\n    health: {{ http: \"http://127.0.0.1:$PORT/\" }}\n  web:\n    run: echo \"calls $API_URL\" && exec python3 named.py\n    port: {}\n    env: {{ API_URL: \"${{api.url}}\" }}\n    restart: on-failure\n    restart_delay: 100ms\n    depends_on: {{ api: healthy }}\n",
      free_port(),
      free_port()
    ),
  );
  test.run(&["up", "-d"]).success();
  signal(proxy_pid(&test).unwrap(), libc::SIGKILL);
  wait_until("the proxy gone", Duration::from_secs(10), || {
    crate::harness::is_bindable(proxy)
  });
  let _taken = test.foreign(proxy, "127.0.0.1", "plain");
  // A restart of api brings the proxy back, on another port.
  test.run(&["restart", "api"]).success();
  let moved = fs::read_to_string(test.path().join("runtime/proxy.json")).unwrap();
  let moved: serde_json::Value = serde_json::from_str(&moved).unwrap();
  let moved = moved["port"].as_u64().unwrap() as u16;
  assert_ne!(moved, proxy);
  let web = test.pid_of("web").unwrap();
  signal(web, libc::SIGKILL);
  let expected = format!("calls http://api.shop.localhost:{moved}");
  wait_until(
    "web's next run says what it calls",
    Duration::from_secs(20),
    || test.log("web").contains(&expected),
  );
  let url = format!("http://api.shop.localhost:{moved}");
  assert_eq!(test.status_json()[0]["url"], url.as_str());
  let env = test.run(&["env"]).stdout();
  assert!(env.contains(&format!("API_NAMED_URL='{url}'")), "{env}");
  test.run(&["stop"]).success();
}

#[test]
fn a_name_that_cannot_be_in_a_url_is_a_config_error_and_an_unknown_project_is_said() {
  let test = Test::with_config("name: My App\nservices:\n  web: { run: sleep 9, port: 8000 }\n");
  test
    .args(&["list"])
    .status(2)
    .stderr_contains("devtasks.yaml:1:7")
    .stderr_contains("`name: My App` cannot be part of a URL")
    .stderr_contains("name: my-app")
    .run();
  let mut test = Test::new();
  test.with_proxy();
  test
    .args(&["stop", "--project", "nowhere"])
    .status(1)
    .stderr_contains("no running project is named or found at `nowhere`")
    .run();
}

/// Reads one HTTP/1.1 response with a Content-Length from `stream` (kept open): the status,
/// the body's length, and its first 64 bytes (the rest is counted, not kept).
fn response(stream: &mut TcpStream) -> (u16, usize, String) {
  let mut head = Vec::new();
  let mut byte = [0u8];
  while !head.ends_with(b"\r\n\r\n") {
    stream.read_exact(&mut byte).unwrap();
    head.push(byte[0]);
  }
  let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
  let status = head.split(' ').nth(1).unwrap().parse().unwrap();
  let length: usize = head
    .lines()
    .find_map(|line| line.strip_prefix("content-length:"))
    .map(|value| value.trim().parse().unwrap())
    .unwrap_or(0);
  let (mut left, mut start) = (length, String::new());
  let mut buffer = vec![0u8; 1 << 16];
  while left > 0 {
    let read = stream.read(&mut buffer[..left.min(1 << 16)]).unwrap();
    assert!(read > 0, "the body ended {left} bytes early");
    if start.is_empty() {
      start = String::from_utf8_lossy(&buffer[..read.min(64)]).into_owned();
    }
    left -= read;
  }
  (status, length, start)
}

#[test]
fn bodies_stream_through_both_ways_on_one_kept_alive_connection() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write("devtasks.yaml", &config(free_port()));
  test.run(&["up", "-d"]).success();
  let host = format!("web.{}.localhost:{proxy}", test.marker().to_lowercase());
  let pid = proxy_pid(&test).expect("a proxy runs");
  let mut stream = TcpStream::connect(("127.0.0.1", proxy)).unwrap();
  stream
    .set_read_timeout(Some(Duration::from_secs(30)))
    .unwrap();
  // Three requests on one connection: a download, an upload, a small one.
  write!(stream, "GET /big?mb=64 HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
  let (status, length, _) = response(&mut stream);
  assert_eq!((status, length), (200, 64 << 20));
  let upload = 64 << 20;
  write!(
    stream,
    "POST /sink HTTP/1.1\r\nHost: {host}\r\nContent-Length: {upload}\r\n\r\n"
  )
  .unwrap();
  let chunk = vec![b'y'; 1 << 20];
  for _ in 0..64 {
    stream.write_all(&chunk).unwrap();
  }
  let (status, _, body) = response(&mut stream);
  assert_eq!((status, body.trim()), (200, upload.to_string().as_str()));
  write!(stream, "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
  assert_eq!(response(&mut stream).0, 200);
  // 128 MiB went through; a proxy holding whole bodies would have grown by as much.
  let rss = crate::harness::procs::rss_kib(pid);
  assert!(rss < 32 * 1024, "the proxy's resident set is {rss} KiB");
}

#[test]
fn a_service_whose_keeper_was_killed_is_not_running_for_the_proxy_at_once() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write("devtasks.yaml", &config(free_port()));
  test.run(&["up", "-d"]).success();
  let host = format!("web.{}.localhost", test.marker().to_lowercase());
  assert_eq!(get(proxy, &host).unwrap().0, 200);
  let listing = test.run(&["list", "--all", "--json"]).json();
  let keeper = listing[0]["services"][0]["pid"].as_u64().unwrap() as u32;
  let server = test.listening_pid("web").expect("web listens");
  let group = test.status_json()[0]["pid"].as_u64().unwrap() as i32;
  // Neither writes anything on SIGKILL: the ledger file is unchanged, its claim is dead.
  signal(keeper, libc::SIGKILL);
  // SAFETY: kill(2) of the service's own process group (its leader is its `sh -c`).
  unsafe { libc::kill(-group, libc::SIGKILL) };
  wait_until("the server is gone", Duration::from_secs(5), || {
    !crate::harness::is_alive(server)
  });
  // Not a wait for the port to come back (a 502 after 15 s): nothing runs there.
  let (status, body) = get(proxy, &host).unwrap();
  assert_eq!(status, 404, "{body}");
}

#[test]
fn small_requests_on_one_kept_alive_connection_are_each_answered() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write("devtasks.yaml", &config(free_port()));
  test.run(&["up", "-d"]).success();
  let host = format!("web.{}.localhost:{proxy}", test.marker().to_lowercase());
  let mut stream = TcpStream::connect(("127.0.0.1", proxy)).unwrap();
  stream
    .set_read_timeout(Some(Duration::from_secs(10)))
    .unwrap();
  // As a browser or http.client does: one small request, its answer, the next.
  for _ in 0..50 {
    write!(stream, "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
    let (status, _, body) = response(&mut stream);
    assert_eq!(status, 200, "{body}");
  }
}

/// A proxy killed with `kill -9` is back with the next `dev up` or restart of a project
/// whose services run, even when that command starts nothing new (it said "already
/// running" and left the names dead until some other service started).
#[test]
fn a_killed_proxy_comes_back_with_the_next_up_of_a_running_project() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  test.write("devtasks.yaml", &config(free_port()));
  test.run(&["up", "-d"]).success();
  let host = format!("web.{}.localhost", test.marker().to_lowercase());
  let pid = proxy_pid(&test).expect("a proxy runs");
  signal(pid, libc::SIGKILL);
  wait_until("the proxy is gone", Duration::from_secs(5), || {
    !crate::harness::is_alive(pid)
  });
  // Everything runs already: an error, but the names are reachable again.
  test.run(&["up", "-d"]);
  wait_until("the name answers again", Duration::from_secs(10), || {
    get(proxy, &host).is_ok_and(|(status, _)| status == 200)
  });
  test.run(&["stop"]).success();
}

/// A forgotten project whose folder was removed (a `git worktree remove --force`, an
/// `rm -rf`) still runs: `dev stop --project` stops it from its keepers in the ledger (it
/// failed, "cannot read …/devtasks.yaml", and only `port free --yes` could end it).
#[test]
fn a_project_whose_folder_is_gone_is_stopped_by_its_name() {
  let mut test = Test::new();
  test.with_proxy();
  let port = free_port();
  let gone = test.path().join("gone");
  fs::create_dir(&gone).unwrap();
  fs::write(gone.join("named.py"), NAMED_PY).unwrap();
  fs::write(gone.join("devtasks.yaml"), config(port)).unwrap();
  let started = test
    .command(&["up", "-d"])
    .current_dir(&gone)
    .output()
    .unwrap();
  assert!(started.status.success(), "{started:?}");
  wait_until("it listens", Duration::from_secs(10), || {
    crate::harness::is_listening(port)
  });
  fs::remove_dir_all(&gone).unwrap();
  let stopped = test.run(&["stop", "--project", "gone"]);
  stopped.success();
  assert!(
    stopped.stderr().contains("its folder"),
    "{}",
    stopped.stderr()
  );
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(crate::harness::is_bindable(port));
}

/// `dev stop --project` takes a path as the shell gives it (through a symlink, with `..`)
/// and a name in another case when no other project has it: both said "no running project".
#[test]
fn stop_project_takes_a_path_through_a_symlink_or_dots_and_a_name_in_another_case() {
  let mut test = Test::new();
  test.with_proxy();
  let mut roots = Vec::new();
  for name in ["shop", "cafe"] {
    let root = test.path().join(name);
    fs::create_dir(&root).unwrap();
    fs::write(root.join("named.py"), NAMED_PY).unwrap();
    fs::write(root.join("devtasks.yaml"), config(free_port())).unwrap();
    let done = test
      .command(&["up", "-d"])
      .current_dir(&root)
      .output()
      .unwrap();
    assert!(done.status.success(), "{done:?}");
    roots.push(root);
  }
  std::os::unix::fs::symlink(&roots[0], test.path().join("link")).unwrap();
  let running = |root: &Path| {
    let done = test
      .command(&["status", "--json"])
      .current_dir(root)
      .output()
      .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    rows[0]["state"] == "running"
  };
  let through = format!("{}/cafe/../link", test.path().display());
  let stopped = test
    .command(&["stop", "--project", &through])
    .current_dir("/")
    .output()
    .unwrap();
  assert!(stopped.status.success(), "{stopped:?}");
  assert!(!running(&roots[0]) && running(&roots[1]));
  let stopped = test
    .command(&["stop", "--project", "CAFE"])
    .current_dir("/")
    .output()
    .unwrap();
  assert!(stopped.status.success(), "{stopped:?}");
  assert!(!running(&roots[1]));
  test.wait_for_no_processes(Duration::from_secs(10));
}

/// `name:` edited while services run: their URLs stay (a browser tab, a dependent use them)
/// and `dev status` says which name is in effect and when the new one is; `dev stop` still
/// stops them all; the next start takes the new name.
#[test]
fn a_name_edited_while_services_run_keeps_their_urls_until_they_stop() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  test.write("named.py", NAMED_PY);
  let config = config(free_port());
  test.write("devtasks.yaml", &format!("name: alpha\n{config}"));
  test.run(&["up", "-d"]).success();
  test.write("devtasks.yaml", &format!("name: beta\n{config}"));
  assert_eq!(
    test.status_json()[0]["url"],
    format!("http://web.alpha.localhost:{proxy}").as_str()
  );
  let status = test.run(&["status"]);
  assert!(
    status
      .stderr()
      .contains("its services run as `alpha` (their URLs): the name devtasks.yaml gives now, `beta`, takes effect once they have all stopped"),
    "{}",
    status.stderr()
  );
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(10));
  test.run(&["up", "-d"]).success();
  assert_eq!(
    test.status_json()[0]["url"],
    format!("http://web.beta.localhost:{proxy}").as_str()
  );
  assert!(!test.run(&["status"]).stderr().contains("run as"));
  test.run(&["stop"]).success();
}
