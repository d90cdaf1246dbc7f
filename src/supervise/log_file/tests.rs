//! The log file's unit tests: rotation with bytes buffered, timestamps, notes, a deleted file.

use super::*;

fn settings(max_size: u64) -> LogSettings {
  LogSettings {
    max_size,
    keep: 2,
    timestamps: false,
    strip_colors: true,
  }
}

/// `a.log` in a new directory, rotated past `max_size`.
fn new_log(max_size: u64) -> (tempfile::TempDir, PathBuf, LogFile) {
  let dir = tempfile::tempdir().unwrap();
  let path = dir.path().join("a.log");
  let log = LogFile::open(&path, settings(max_size), None).unwrap();
  (dir, path, log)
}

#[test]
fn strips_colors_even_when_a_sequence_is_split_across_chunks() {
  let (_dir, path, mut log) = new_log(1 << 20);
  log.write(b"\x1b[1;3").unwrap();
  log
    .write(b"2mgreen\x1b[0m and \x1b]8;;http://x\x07link\x1b]8;;\x1b\\ done\n")
    .unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "green and link done\n");
}

#[test]
fn rotates_only_between_lines_and_keeps_the_newest_files() {
  let (dir, _path, mut log) = new_log(10);
  // The second chunk holds whole lines past the limit: they are buffered when it rotates.
  for chunk in ["line one\nline t", "wo\nline three\nline four\nline five\n"] {
    log.write(chunk.as_bytes()).unwrap();
  }
  let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap_or_default();
  // Every file holds whole lines; the oldest beyond `keep` is gone.
  assert_eq!(read("a.log"), "line five\n");
  assert_eq!(read("a.log.1"), "line four\n");
  assert_eq!(read("a.log.2"), "line three\n");
  assert!(!dir.path().join("a.log.3").exists());
}

#[test]
fn a_note_in_the_middle_of_a_line_gets_a_line_of_its_own_and_the_line_goes_on() {
  let (_dir, path, mut log) = new_log(1 << 20);
  log.write(b"half a").unwrap();
  log.write_note("──── note").unwrap();
  log.write(b"\nnext\n").unwrap();
  log.write_note("──── between lines").unwrap();
  log.write(b"\nan empty line above\n").unwrap();
  assert_eq!(
    fs::read_to_string(&path).unwrap(),
    "half a\n──── note\nnext\n──── between lines\n\nan empty line above\n"
  );
  // A run ended in the middle of a line: the next one's first marker starts a new one.
  fs::write(&path, "cut sh").unwrap();
  let mut log = LogFile::open(&path, settings(1 << 20), None).unwrap();
  log.write_marker("──── started").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "cut sh\n──── started\n");
}

#[test]
fn a_file_that_reaches_max_size_is_rotated_before_the_next_line() {
  let (dir, path, mut log) = new_log(10);
  log.write(b"123456789\n").unwrap();
  log.write(b"x\n").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "x\n");
  assert_eq!(
    fs::read_to_string(dir.path().join("a.log.1")).unwrap(),
    "123456789\n"
  );
}

#[test]
fn keep_zero_rotates_into_nothing_and_a_line_too_long_is_cut() {
  let dir = tempfile::tempdir().unwrap();
  let path = dir.path().join("a.log");
  let keep_none = LogSettings {
    keep: 0,
    ..settings(10)
  };
  let mut log = LogFile::open(&path, keep_none, None).unwrap();
  log.write(b"old line\n").unwrap();
  log
    .write(&vec![b'a'; (LONGEST_LINE + 20) as usize])
    .unwrap();
  assert_eq!(fs::metadata(&path).unwrap().len(), 0, "cut, rotated away");
  log.write(b"end\n").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "end\n");
  assert!(!dir.path().join("a.log.1").exists());
}

#[test]
fn timestamps_start_each_line_and_a_complete_file_gets_no_blank_line() {
  let (_dir, path, mut log) = new_log(1 << 20);
  log.write(b"done\n").unwrap();
  let mut log = LogFile::open(&path, settings(1 << 20), None).unwrap();
  log.write_marker("──── started").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "done\n──── started\n");
  log.settings.timestamps = true;
  log.write(b"one\ntwo\n").unwrap();
  let text = fs::read_to_string(&path).unwrap();
  let stamped: Vec<&str> = text.lines().skip(2).collect();
  assert_eq!(stamped.len(), 2, "{text}");
  for (line, said) in stamped.iter().zip(["one", "two"]) {
    let (stamp, rest) = line.split_once(' ').unwrap();
    assert!(stamp.ends_with('Z') && stamp.len() == 24, "{line}");
    assert_eq!(rest, said);
  }
}

#[test]
fn a_note_after_the_file_was_deleted_goes_into_a_new_one_that_says_so() {
  let (_dir, path, mut log) = new_log(1 << 20);
  log.write(b"before\n").unwrap();
  fs::remove_file(&path).unwrap();
  log.write_note("──── restarted").unwrap();
  let text = fs::read_to_string(&path).unwrap();
  assert!(text.contains("the log file was deleted"), "{text}");
  assert!(
    text.ends_with("──── restarted\n") && !text.contains("before"),
    "{text}"
  );
}

/// One chunk of several lines past `max_size`, into an empty file: rotated between its
/// lines, not appended whole (the fast path's size check once multiplied instead of added).
#[test]
fn one_chunk_of_many_lines_into_an_empty_file_is_rotated_between_them() {
  let (dir, path, mut log) = new_log(4);
  log.write(b"aa\nbb\ncc\n").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "cc\n");
  assert_eq!(
    fs::read_to_string(dir.path().join("a.log.1")).unwrap(),
    "aa\nbb\n"
  );
}

/// The rest of an escape sequence split across chunks is stripped even when the second chunk
/// has no ESC byte of its own (the fast path must not take it while a sequence is open).
#[test]
fn the_rest_of_a_split_escape_sequence_is_stripped_without_an_esc_in_its_chunk() {
  let (_dir, path, mut log) = new_log(1 << 20);
  log.write(b"\x1b[1;3").unwrap();
  log.write(b"2mgreen\n").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "green\n");
}

/// A long line (here 5000 bytes, far below the 1 MiB a line may reach) is not cut by a
/// rotation, however small `max_size` is: files hold whole lines.
#[test]
fn a_long_line_below_the_longest_is_never_cut() {
  let (dir, path, mut log) = new_log(10);
  let line = "x".repeat(5000);
  for piece in line.as_bytes().chunks(700) {
    log.write(piece).unwrap();
  }
  log.write(b"\n").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), format!("{line}\n"));
  assert!(!dir.path().join("a.log.1").exists());
}
