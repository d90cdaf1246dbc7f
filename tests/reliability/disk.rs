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
