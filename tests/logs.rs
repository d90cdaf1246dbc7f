//! Log files at volume: rotation at line boundaries, a follower that sees every line through
//! rotations, colors stripped from the file, timestamps, and reading with filters.

use std::{fs, time::Duration};

use crate::harness::{DEV, Test, wait_child, wait_until, wait_until_else};

/// Prints `line 0` … `line N-1` (argv 1), pausing argv 2 seconds after each.
/// `chatty.py N PAUSE [PER_WRITE]`: `line 0` … `line N-1`, PER_WRITE lines (1) in each write.
const CHATTY: &str = "import sys, time
n = int(sys.argv[1]); per = int(sys.argv[3]) if len(sys.argv) > 3 else 1
for i in range(0, n, per):
    sys.stdout.write(''.join(f'line {j}\\n' for j in range(i, min(i + per, n))))
    sys.stdout.flush()
    time.sleep(float(sys.argv[2]))
";

/// Numbers written as `line 0` … `line N-1`, in the files from the oldest to the current.
fn numbers_in_files(test: &Test, service: &str, keep: u32) -> Vec<Vec<u32>> {
  let dir = test.path().join("logs");
  let mut files: Vec<Vec<u32>> = (1..=keep)
    .rev()
    .map(|n| dir.join(format!("{service}.log.{n}")))
    .chain([dir.join(format!("{service}.log"))])
    .map(|path| {
      fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.strip_prefix("line ")?.parse().ok())
        .collect()
    })
    .collect();
  files.retain(|numbers: &Vec<u32>| !numbers.is_empty());
  files
}

#[test]
fn rotation_cuts_between_lines_and_keeps_the_newest_files() {
  // 50 lines a write: a rotation falls inside a chunk, with lines of it already buffered.
  let test = Test::with_config(
    "services:\n  chatty:\n    run: python3 chatty.py 3000 0 50\n    log: { max_size: 8KB, keep: 2 }\n",
  );
  test.write("chatty.py", CHATTY);
  test.run(&["up", "-d"]).success();
  wait_until("chatty wrote everything", Duration::from_secs(20), || {
    test.log("chatty").contains("line 2999\n")
  });
  let dir = test.path().join("logs");
  assert!(!dir.join("chatty.log.3").exists());
  for name in ["chatty.log", "chatty.log.1", "chatty.log.2"] {
    let text = fs::read_to_string(dir.join(name)).unwrap();
    // Whole lines only: every line is a keeper line or `line N`.
    assert!(text.ends_with('\n'), "{name} ends mid-line");
    for line in text.lines() {
      assert!(
        line.starts_with("──── ")
          || line
            .strip_prefix("line ")
            .is_some_and(|n| n.parse::<u32>().is_ok()),
        "{name}: cut line {line:?}"
      );
    }
    assert!(text.len() <= 8 * 1024 + 16, "{name}: {} bytes", text.len());
  }
  // The three files hold one unbroken run of numbers ending with the last.
  let all: Vec<u32> = numbers_in_files(&test, "chatty", 2).concat();
  assert_eq!(*all.last().unwrap(), 2999);
  assert!(all.windows(2).all(|w| w[1] == w[0] + 1), "a gap in {all:?}");
}

#[test]
fn a_follower_sees_every_line_through_rotations() {
  let test = Test::with_config(
    "services:\n  chatty:\n    run: sleep 0.5; exec python3 chatty.py 600 0.001\n    log: { max_size: 1KB, keep: 9 }\n",
  );
  test.write("chatty.py", CHATTY);
  test.run(&["up", "-d"]).success();
  let mut follower = test.spawn(&["logs", "chatty", "-f", "-n", "0"]);
  wait_until("chatty wrote everything", Duration::from_secs(30), || {
    test.log("chatty").contains("line 599\n")
  });
  // At least two rotations happened while following.
  assert!(test.path().join("logs/chatty.log.2").exists());
  wait_until("the follower caught up", Duration::from_secs(10), || {
    test.spawned_output().0.contains("line 599\n")
  });
  follower.kill().unwrap();
  let _ = follower.wait();
  let (out, _) = test.spawned_output();
  let numbers: Vec<u32> = out
    .lines()
    .filter_map(|line| line.strip_prefix("line ")?.parse().ok())
    .collect();
  assert_eq!(numbers, (0..600).collect::<Vec<u32>>());
  test.run(&["stop"]).success();
}

#[test]
fn a_follower_sees_every_line_when_the_file_rotates_several_times_between_two_looks() {
  // Bursts of 40 padded lines (~4 KB) against a 1 KB limit: four rotations within a few
  // milliseconds, while the follower looks every 100 ms.
  let test = Test::with_config(
    "services:\n  bursty:\n    run: sleep 0.5; exec python3 bursty.py\n    log: { max_size: 1KB, keep: 9 }\n",
  );
  test.write(
    "bursty.py",
    "import time\nfor burst in range(5):\n    print(''.join(f'line {burst * 40 + i} {\"x\" * 90}\\n' for i in range(40)), end='', flush=True)\n    time.sleep(0.3)\n",
  );
  test.run(&["up", "-d"]).success();
  let mut follower = test.spawn(&["logs", "bursty", "-f", "-n", "0"]);
  wait_until_else(
    "the follower saw the last line",
    Duration::from_secs(20),
    || test.spawned_output().0.contains("line 199 "),
    || test.spawned_output().0,
  );
  follower.kill().unwrap();
  let _ = follower.wait();
  let numbers: Vec<u32> = test
    .spawned_output()
    .0
    .lines()
    .filter_map(|line| line.strip_prefix("line ")?.split(' ').next()?.parse().ok())
    .collect();
  assert_eq!(numbers, (0..200).collect::<Vec<u32>>());
  test.run(&["stop"]).success();
}

#[test]
fn colors_are_stripped_from_the_file_and_lines_can_be_stamped_filtered_and_merged() {
  let test = Test::with_config(
    "log: { timestamps: true }
services:
  a:
    run: printf '\\033[31mred alert\\033[0m\\n'; sleep 0.3; echo a-late; sleep 30
  b:
    run: sleep 0.15; echo b-middle; sleep 30
",
  );
  test.run(&["up", "-d"]).success();
  wait_until("both wrote", Duration::from_secs(10), || {
    test.log("a").contains("Z a-late") && test.log("b").contains("Z b-middle")
  });
  let file = test.log("a");
  assert!(!file.contains('\x1b'), "{file:?}");
  let red = file.lines().find(|l| l.ends_with("red alert")).unwrap();
  // `2026-11-23T08:00:00.123Z red alert`
  assert_eq!(
    red.len(),
    "2026-11-23T08:00:00.123Z red alert".len(),
    "{red}"
  );
  assert!(
    red.as_bytes()[10] == b'T' && red[..24].ends_with('Z'),
    "{red}"
  );

  // Merged by time across services, with prefixes; filtered by a regex.
  // (The keeper's own lines name the command, which mentions all three: anchor the regex.)
  let done = test
    .args(&["logs", "--grep", "(alert|middle|late)$"])
    .status(0)
    .run();
  let stdout = done.stdout();
  let order: Vec<&str> = stdout
    .lines()
    .map(|line| line.rsplit(' ').next().unwrap())
    .collect();
  assert_eq!(order, ["alert", "b-middle", "a-late"], "{}", done.stdout());
  assert!(done.stdout().starts_with("a │ "), "{}", done.stdout());
  let plain = test.run(&["logs", "--grep", "middle", "--no-prefix"]);
  assert!(
    plain.stdout().ends_with("Z b-middle\n"),
    "{}",
    plain.stdout()
  );
  assert!(!plain.stdout().contains('│'));
  // Everything is younger than a minute, nothing is younger than 0s from now + a bit.
  let recent = test.run(&["logs", "a", "--since", "1m"]);
  assert!(recent.stdout().contains("a-late"), "{}", recent.stdout());
  let bad = test.run(&["logs", "--grep", "("]);
  assert_eq!(bad.code(), 2);
  assert!(
    bad.stderr().contains("invalid regular expression"),
    "{}",
    bad.stderr()
  );
  test.run(&["stop"]).success();
}

#[test]
fn a_terminal_that_does_not_read_never_blocks_the_service_and_skips_are_counted() {
  use std::{io::Read, process::Stdio, sync::mpsc};
  let test = Test::with_config(
    "services:\n  flood:\n    run: python3 flood.py\n    log: { max_size: 100MB }\n",
  );
  test.write(
    "flood.py",
    "import sys, time
# 32 MB: more than the view may fall behind by (16 MiB), so lines must be skipped.
for i in range(1000000):
    sys.stdout.write(f'line {i} ' + 'x' * 20 + '\\n')
sys.stdout.flush()
time.sleep(1.0)
print('done-after', flush=True)
time.sleep(30)
",
  );
  // dev's stdout is a pipe nobody reads yet: a terminal that cannot keep up at all.
  let mut dev = test
    .command(&["up"])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  wait_until(
    "the service wrote everything",
    Duration::from_secs(30),
    || test.log_tail_contains("flood", "line 999999 "),
  );
  let mut stdout = dev.stdout.take().unwrap();
  let (sender, received) = mpsc::channel();
  std::thread::spawn(move || {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 65536];
    while let Ok(n @ 1..) = stdout.read(&mut buffer) {
      // Only the new bytes (and the 9 before them) can complete the marker.
      let from = seen.len().saturating_sub(9);
      seen.extend_from_slice(&buffer[..n]);
      if seen[from..].windows(10).any(|w| w == b"done-after") {
        break;
      }
    }
    let _ = sender.send(String::from_utf8_lossy(&seen).into_owned());
  });
  let shown = received.recv_timeout(Duration::from_secs(30)).unwrap();
  let note = shown
    .lines()
    .find(|line| line.contains("[dev] skipped "))
    .unwrap_or_else(|| panic!("no skip note in {} bytes", shown.len()));
  assert!(
    note.ends_with("lines here: the terminal was too slow (all are in the log file)"),
    "{note}"
  );
  // The file has every line.
  let log = test.log("flood");
  assert_eq!(
    log.lines().filter(|l| l.starts_with("line ")).count(),
    1_000_000
  );
  crate::harness::signal(dev.id(), libc::SIGINT);
  crate::harness::wait_child(&mut dev, Duration::from_secs(10));
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn logs_reach_into_the_rotated_file_and_a_follower_survives_truncation() {
  let test = Test::with_config(
    "services:\n  chatty:\n    run: python3 chatty.py 200 0\n    log: { max_size: 1KB, keep: 2 }\n",
  );
  test.write("chatty.py", CHATTY);
  test.run(&["up", "-d"]).success();
  wait_until("chatty wrote everything", Duration::from_secs(20), || {
    test.log("chatty").contains("line 199\n")
  });
  // The current file holds fewer than 150 lines: the rest comes from chatty.log.1.
  let current = test.log("chatty").lines().count();
  assert!(current < 150, "{current}");
  let shown = test.run(&["logs", "chatty", "-n", "150"]).stdout();
  let numbers: Vec<u32> = shown
    .lines()
    .filter_map(|line| line.strip_prefix("line ")?.parse().ok())
    .collect();
  assert_eq!(numbers.last(), Some(&199));
  assert!(numbers.len() > current, "{} lines shown", numbers.len());
  assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");

  // Truncated under a follower (`: > file`, as logrotate's copytruncate does).
  let mut follower = test.spawn(&["logs", "chatty", "-f", "-n", "0"]);
  std::thread::sleep(Duration::from_millis(300));
  fs::write(test.path().join("logs/chatty.log"), "").unwrap();
  std::thread::sleep(Duration::from_millis(300));
  fs::write(test.path().join("logs/chatty.log"), "after truncation\n").unwrap();
  wait_until("the follower saw it", Duration::from_secs(10), || {
    test.spawned_output().0.contains("after truncation\n")
  });
  follower.kill().unwrap();
  let _ = follower.wait();
}

/// `dev up > file` lost lines when its relay fell behind for a moment (a busy machine):
/// the keeper skipped whenever its pipe to `dev` was full. A file always drains, so nothing
/// may be skipped for it, however long `dev` takes; a pipe whose reader pauses briefly
/// loses nothing either. The pause is forced: `dev`'s relay starts reading late.
#[test]
fn output_to_a_file_or_a_briefly_paused_pipe_keeps_every_line() {
  use std::process::Stdio;
  let test = Test::with_config("services:\n  gen:\n    run: exec python3 gen.py\n");
  test.write(
    "gen.py",
    "import sys\nw = sys.stdout.write\nfor i in range(200000):\n    w('line %06d %s\\n' % (i, 'x' * 60))\n",
  );
  let file = std::fs::File::create(test.path().join("view.txt")).unwrap();
  let mut dev = test
    .command(&["up"])
    .env("DEV_TEST_RELAY_DELAY_MS", "1500")
    .stdout(file)
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  assert_eq!(wait_child(&mut dev, Duration::from_secs(60)), 0);
  let view = std::fs::read_to_string(test.path().join("view.txt")).unwrap();
  assert_eq!(view.matches("gen │ line").count(), 200_000);
  assert!(!view.contains("[dev] skipped"));

  // A pipe read by `cat` that starts 100 ms late: shorter than the patience, nothing skipped.
  let output = std::process::Command::new("sh")
    .arg("-c")
    .arg(format!("'{DEV}' up | (sleep 0.1; cat)"))
    .current_dir(test.path())
    .env("DEV_TEST_ID", test.path().file_name().unwrap())
    .env("DEV_PROXY", "off")
    .env("NO_COLOR", "1")
    .env("DEV_TEST_RELAY_DELAY_MS", "100")
    .stdin(Stdio::null())
    .stderr(Stdio::null())
    .output()
    .unwrap();
  let view = String::from_utf8_lossy(&output.stdout);
  assert_eq!(view.matches("gen │ line").count(), 200_000);
}

/// A log rotated three times, its lines without timestamps: `-n` reaches through every
/// rotated file it needs, and `--since` shows the lines known to be that recent — the
/// current file's began after `api.log.1` was last written — not nothing.
#[test]
fn n_and_since_reach_through_every_rotated_file() {
  use std::time::SystemTime;
  let test = Test::with_config("services:\n  api:\n    run: sleep 60\n");
  let now = SystemTime::now();
  let ago = |minutes: u64| now - Duration::from_secs(minutes * 60);
  let unix = |time: SystemTime| {
    time
      .duration_since(std::time::UNIX_EPOCH)
      .unwrap()
      .as_secs()
  };
  let header = {
    let seconds = unix(ago(120));
    let out = std::process::Command::new("date")
      .args(["-u", "-d", &format!("@{seconds}"), "+%Y-%m-%d %H:%M:%S UTC"])
      .output()
      .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
  };
  // Oldest first: api.log.3 (with the run's header, 2 h ago) … api.log (now).
  let files = [
    ("api.log.3", 95),
    ("api.log.2", 60),
    ("api.log.1", 5),
    ("api.log", 0),
  ];
  let mut number = 0;
  for (name, minutes) in files {
    let mut text = String::new();
    if name == "api.log.3" {
      text.push_str(&format!("──── {header} · api started · pid 1 · sleep 60\n"));
    }
    for _ in 0..100 {
      text.push_str(&format!("line {number}\n"));
      number += 1;
    }
    let path = test.path().join("logs").join(name);
    test.write(&format!("logs/{name}"), &text);
    fs::File::options()
      .write(true)
      .open(&path)
      .unwrap()
      .set_modified(ago(minutes))
      .unwrap();
  }
  let numbers = |args: &[&str]| -> Vec<u32> {
    let done = test.run(args);
    done.success();
    done
      .stdout()
      .lines()
      .filter_map(|line| line.strip_prefix("line ")?.parse().ok())
      .collect()
  };
  let every = numbers(&["logs", "api", "-n", "1000"]);
  assert_eq!(
    every,
    (0..400).collect::<Vec<u32>>(),
    "-n 1000 of 400 lines"
  );
  assert_eq!(
    numbers(&["logs", "api", "-n", "250"]),
    (150..400).collect::<Vec<u32>>()
  );
  // api.log began after api.log.1's last write (5 minutes ago): all of it is that recent.
  let recent = numbers(&["logs", "api", "--since", "10m", "-n", "1000"]);
  assert_eq!(recent, (300..400).collect::<Vec<u32>>(), "--since 10m");
  // Everything since the run began.
  assert_eq!(
    numbers(&["logs", "api", "--since", "3h", "-n", "1000"]).len(),
    400
  );
}

/// `dev logs -f > file` while a service floods a log rotated every megabyte: every line
/// reaches the file, in order — or, where rotated files were deleted before the follower
/// read them, a `[dev] lines missing here` line says where. Never a silent jump.
#[test]
fn a_follower_of_a_flood_shows_every_line_or_says_where_lines_are_missing() {
  const LINES: u32 = 600_000;
  let test = Test::with_config(
    "services:\n  api:\n    run: exec python3 flood.py\n    log: { max_size: 1MB, keep: 2 }\n",
  );
  test.write(
    "flood.py",
    &format!(
      "import os, sys, time
while not os.path.exists('go'): time.sleep(0.05)
for i in range({LINES}): sys.stdout.write(f'line {{i:07}}\\n')
sys.stdout.flush()
while True: time.sleep(1)
"
    ),
  );
  test.run(&["up", "-d"]).success();
  let mut follower = test.spawn(&["logs", "api", "-f", "-n", "0"]);
  // The follower is at the end of the log before the flood begins.
  std::thread::sleep(Duration::from_millis(500));
  fs::write(test.path().join("go"), "").unwrap();
  let last = format!("line {:07}\n", LINES - 1);
  wait_until_else(
    "the follower reached the last line",
    Duration::from_secs(120),
    || test.spawned_output().0.ends_with(&last),
    || {
      let out = test.spawned_output().0;
      format!("{} lines so far", out.lines().count())
    },
  );
  let out = test.spawned_output().0;
  let (mut previous, mut seen, mut gaps, mut said) = (None::<u32>, 0, 0, false);
  for line in out.lines() {
    if line.starts_with("[dev] lines missing here") {
      said = true;
      continue;
    }
    let number: u32 = line.strip_prefix("line ").unwrap().parse().unwrap();
    let expected = previous.map_or(0, |p| p + 1);
    if number != expected {
      assert!(
        said,
        "{} lines skipped without a word before line {number}",
        number - expected
      );
      gaps += 1;
    }
    (previous, said, seen) = (Some(number), false, seen + 1);
  }
  eprintln!(
    "figure: dev logs -f > file of a {LINES}-line flood (1 MB rotation, keep 2): {seen} lines shown, {gaps} gaps, each said"
  );
  follower.kill().unwrap();
  let _ = follower.wait();
  test.run(&["stop"]).success();
}
