//! Disk full, an unwritable log directory, an unwritable `.dev`: a clear error before
//! anything starts, and nothing half-started.

use std::{fs, process::Command, time::Duration};

use crate::harness::{Test, free_port, is_listening};

const TWO_SERVICES: &str = "services:
  first:
    run: exec python3 -u server.py
    port: {a}
  second:
    run: exec python3 -u server.py
    port: {b}
    depends_on: [first]
";

fn project(extra: &str) -> (Test, u16, u16) {
  let (a, b) = (free_port(), free_port());
  let yaml = format!(
    "{extra}{}",
    TWO_SERVICES
      .replace("{a}", &a.to_string())
      .replace("{b}", &b.to_string())
  );
  (Test::with_config(&yaml), a, b)
}

fn assert_nothing_started(test: &Test, ports: [u16; 2]) {
  std::thread::sleep(Duration::from_millis(100));
  assert!(test.processes().is_empty(), "something started");
  for port in ports {
    assert!(!is_listening(port));
  }
}

#[test]
fn an_unwritable_log_directory_is_refused_before_anything_starts() {
  // A regular file where the directory should be: even root cannot write there.
  let (test, a, b) = project("log_dir: blocked/logs\n");
  test.write("blocked", "a file, not a directory");
  let done = test.args(&["up", "-d"]).status(1).run();
  let stderr = done.stderr();
  assert!(
    stderr.starts_with("error: nothing started: the log directory blocked/logs cannot be created"),
    "{stderr}"
  );
  assert!(stderr.contains("hint: point `log_dir:`"), "{stderr}");
  assert_nothing_started(&test, [a, b]);
}

#[test]
fn an_unwritable_state_directory_is_refused_before_anything_starts() {
  let (test, a, b) = project("");
  test.write(".dev", "not a directory");
  let done = test.args(&["up", "-d"]).status(1).run();
  assert!(
    done
      .stderr()
      .starts_with("error: nothing started: the state directory .dev/state cannot be created"),
    "{}",
    done.stderr()
  );
  assert_nothing_started(&test, [a, b]);
}

/// A 64 KiB tmpfs, filled: a real full disk. Needs the right to mount (root in a container
/// usually has it); where it is missing the test says so and checks the rest.
#[test]
fn a_full_disk_is_refused_before_anything_starts() {
  let (test, a, b) = project("log_dir: full\n");
  let mount_point = test.path().join("full");
  fs::create_dir_all(&mount_point).unwrap();
  let mounted = Command::new("mount")
    .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
    .arg(&mount_point)
    .status()
    .is_ok_and(|s| s.success());
  if !mounted {
    eprintln!("note: cannot mount a tmpfs here; the full-disk case is not exercised");
    return;
  }
  struct Unmount(std::path::PathBuf);
  impl Drop for Unmount {
    fn drop(&mut self) {
      let _ = Command::new("umount").arg(&self.0).status();
    }
  }
  let _unmount = Unmount(mount_point.clone());
  // Fill it to the last block.
  let _ = fs::write(mount_point.join("filler"), vec![0u8; 128 * 1024]);
  let done = test.args(&["up", "-d"]).status(1).run();
  let stderr = done.stderr();
  assert!(
    stderr.contains("error: nothing started: the log directory full"),
    "{stderr}"
  );
  assert!(
    stderr.contains("hint: the disk is full") || stderr.contains("KiB free"),
    "{stderr}"
  );
  assert_nothing_started(&test, [a, b]);
}

/// Mounts a tmpfs of `size` at `dir`, unmounted on drop; `None` (said) where mounting is
/// not allowed.
struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
  fn drop(&mut self) {
    let _ = Command::new("umount").arg("-l").arg(&self.0).status();
  }
}

fn small_disk(dir: &std::path::Path, size: &str) -> Option<Unmount> {
  fs::create_dir_all(dir).unwrap();
  let mounted = Command::new("mount")
    .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
    .arg(dir)
    .status()
    .is_ok_and(|s| s.success());
  if !mounted {
    eprintln!("note: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); skipped");
    return None;
  }
  Some(Unmount(dir.to_path_buf()))
}

/// The disk of the log fills up while the service prints 40 000 lines: the service runs on,
/// the terminal keeps getting its lines and is told once, `dev status` says it, the file
/// never holds half a line, and once there is room again a note says how much is missing.
#[test]
fn a_log_on_a_full_disk_is_said_never_holds_half_a_line_and_notes_the_gap() {
  const LINES: usize = 40_000;
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: exec python3 -u flood.py\n    port: {port}\n"
  ));
  test.write(
    "flood.py",
    &format!(
      "import os, socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', {port})); s.listen()
while not os.path.exists('go'): time.sleep(0.05)
for i in range({LINES}):
    sys.stdout.write(f'line {{i:06}} ' + 'x' * 40 + '\\n')
print('flood done', flush=True)
while not os.path.exists('again'): time.sleep(0.05)
n = 0
while not os.path.exists('enough'):
    print(f'after {{n}}', flush=True); n += 1; time.sleep(0.1)
print(f'after: {{n}} lines', flush=True)
while True: time.sleep(1)
"
    ),
  );
  let Some(_unmount) = small_disk(&test.path().join("logs"), "2m") else {
    return;
  };
  // Room to give back later: without it the log itself would fill the disk for good.
  fs::write(test.path().join("logs/filler"), vec![0u8; 512 * 1024]).unwrap();
  let mut up = test.spawn(&["up"]);
  let out = || test.spawned_output().0;
  crate::harness::wait_until_else(
    "running",
    Duration::from_secs(20),
    || test.status_json()[0]["state"] == "running",
    || test.spawned_output().1,
  );
  fs::write(test.path().join("go"), "").unwrap();
  crate::harness::wait_until_else(
    "the flood shown to the end, and the full disk said",
    Duration::from_secs(60),
    || out().contains("flood done") && out().contains("cannot write its log"),
    || out().chars().rev().take(2000).collect::<String>(),
  );
  let status = test.run(&["status"]);
  assert!(
    status.stderr().contains("api: cannot write its log since"),
    "{}",
    status.stderr()
  );
  assert_eq!(test.status_json()[0]["state"], "running");
  // Room again: the service's next lines are kept, after a note of the gap.
  fs::remove_file(test.path().join("logs/filler")).unwrap();
  fs::write(test.path().join("again"), "").unwrap();
  crate::harness::wait_until_else(
    "lines after the gap in the log",
    Duration::from_secs(30),
    || test.log("api").contains("\nafter "),
    || out().chars().rev().take(2000).collect::<String>(),
  );
  fs::write(test.path().join("enough"), "").unwrap();
  let printed_after = regex_lite::Regex::new(r"\nafter: (\d+) lines\n").unwrap();
  crate::harness::wait_until(
    "the service's last line in the log",
    Duration::from_secs(30),
    || printed_after.is_match(&test.log("api")),
  );
  let log = test.log("api");
  let flood_line = regex_lite::Regex::new(r"^line \d{6} x{40}$").unwrap();
  let mut kept = 0;
  let mut missing = None;
  for line in log.lines() {
    let after = line
      .strip_prefix("after ")
      .is_some_and(|n| n.parse::<u32>().is_ok());
    if flood_line.is_match(line) || line == "flood done" || after || line.starts_with("after: ") {
      kept += 1;
    } else if let Some(note) = line.split(" · the log could not be written from ").nth(1) {
      let lines = note.split("): ").nth(1).unwrap().split(' ').next().unwrap();
      missing = Some(lines.parse::<usize>().unwrap());
    } else {
      assert!(
        line.starts_with("──── "),
        "half a line in the log: {line:?}"
      );
    }
  }
  let missing = missing.expect("a note of the gap");
  assert!(missing > 0, "nothing was lost: the disk never filled");
  let after: usize = printed_after.captures(&log).unwrap()[1].parse().unwrap();
  // The flood, its last line, the lines after it and the line that counts them.
  assert_eq!(
    kept + missing,
    LINES + 1 + after + 1,
    "every line kept or counted"
  );
  let said = out().matches("cannot write its log").count();
  assert_eq!(said, 1, "said once on the terminal");
  crate::harness::wait_until(
    "status no longer says the disk is full",
    Duration::from_secs(10),
    || {
      !test
        .run(&["status"])
        .stderr()
        .contains("cannot write its log")
    },
  );
  eprintln!(
    "figure: {LINES} lines on a 2 MB log disk: {kept} kept whole, {missing} counted in the note of the gap, 0 half lines, said once, service running"
  );
  test.run(&["stop"]).success();
  let _ = up.wait();
}
