//! Linux process facts, from /proc: identity (start time, boot), parentage, command line,
//! environment markers, user and working directory.

use std::{fs, sync::OnceLock};

use crate::sys::{Pid, ProcessInfo, Usage};

/// Reads `/proc/<pid>/stat` (about 10 µs). `None` when the process is gone.
pub(crate) fn process_info(pid: Pid) -> Option<ProcessInfo> {
  stat(pid).map(|(info, _)| info)
}

/// What `/proc/<pid>/stat` says, with the start time (clock ticks since boot).
pub(super) fn stat(pid: Pid) -> Option<(ProcessInfo, u64)> {
  let stat = read_small(&format!("/proc/{pid}/stat"))?;
  parse_stat(&stat)
}

/// A small /proc file, in one read and the one that sees its end. `fs::read_to_string`
/// sizes its buffer by the file's size, which /proc reports as 0: a `stat` took a statx and
/// five reads of 32, 32, 64, 128… bytes. This runs for every process at each exact look at
/// a tree and at every "is it alive" — thousands of times while many services start.
fn read_small(path: &str) -> Option<String> {
  String::from_utf8(read_whole(path, 1024)?).ok()
}

/// A /proc file read with a buffer of `first` bytes to start with, doubled while it fills.
fn read_whole(path: &str, first: usize) -> Option<Vec<u8>> {
  use std::io::Read;
  let mut file = fs::File::open(path).ok()?;
  let mut bytes = vec![0u8; first];
  let mut length = 0;
  loop {
    if length == bytes.len() {
      bytes.resize(length * 2, 0);
    }
    match file.read(&mut bytes[length..]) {
      Ok(0) => break,
      Ok(read) => length += read,
      Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
      Err(_) => return None,
    }
  }
  bytes.truncate(length);
  Some(bytes)
}

fn parse_stat(stat: &str) -> Option<(ProcessInfo, u64)> {
  // `comm` is in parentheses and may itself contain spaces and parentheses: split at the last `)`.
  let open = stat.find('(')?;
  let close = stat.rfind(')')?;
  let comm = stat.get(open + 1..close)?.to_owned();
  let fields: Vec<&str> = stat.get(close + 2..)?.split(' ').collect();
  // fields[0] is field 3 (state) of proc(5); start time is field 22.
  let info = ProcessInfo {
    zombie: matches!(fields.first()?.chars().next()?, 'Z' | 'X'),
    ppid: fields.get(1)?.parse().ok()?,
    pgid: fields.get(2)?.parse().ok()?,
    session: fields.get(3)?.parse().ok()?,
    comm,
  };
  Some((info, fields.get(19)?.parse().ok()?))
}

/// CPU time (`utime` + `stime`, fields 14 and 15 of proc(5)) and resident set (`statm`).
pub(crate) fn usage(pid: Pid) -> Option<Usage> {
  let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
  let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
  let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
  let statm = fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
  let pages: u64 = statm.split(' ').nth(1)?.parse().ok()?;
  Some(Usage {
    cpu: std::time::Duration::from_millis(ticks * 1000 / clock_ticks_per_second()),
    resident_bytes: pages * page_size(),
  })
}

fn page_size() -> u64 {
  static SIZE: OnceLock<u64> = OnceLock::new();
  // SAFETY: sysconf has no preconditions.
  *SIZE.get_or_init(|| u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096))
}

/// The command line, arguments joined by spaces; falls back to `[comm]` for kernel threads.
pub(crate) fn command_line(pid: Pid) -> Option<String> {
  let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
  let text = raw
    .split(|byte| *byte == 0)
    .filter(|part| !part.is_empty())
    .map(String::from_utf8_lossy)
    .collect::<Vec<_>>()
    .join(" ");
  if text.is_empty() {
    process_info(pid).map(|info| format!("[{}]", info.comm))
  } else {
    Some(text)
  }
}

/// Identifies this boot, so that start times from a previous boot are never trusted.
pub(crate) fn boot_id() -> &'static str {
  static BOOT_ID: OnceLock<String> = OnceLock::new();
  BOOT_ID.get_or_init(|| {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
      .map(|id| id.trim().to_owned())
      .unwrap_or_default()
  })
}

/// Direct children of a process, from `/proc/<pid>/task/*/children`.
pub(crate) fn children(pid: Pid) -> Vec<Pid> {
  let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
    return Vec::new();
  };
  let mut children = Vec::new();
  for task in tasks.flatten() {
    if let Some(text) = task.path().join("children").to_str().and_then(read_small) {
      children.extend(
        text
          .split_whitespace()
          .filter_map(|pid| pid.parse::<Pid>().ok()),
      );
    }
  }
  children
}

/// Every live (not zombie) descendant of `root`, from each process's own `stat`: slower than
/// `descendants` (one read per process on the machine) but it cannot miss one. The kernel's
/// `children` lists are walked without a lock and can skip an entry while a sibling is being
/// reaped — which let a setsid grandchild escape a stop one time in forty.
pub(crate) fn live_descendants_exact(root: Pid) -> Vec<Pid> {
  let mut parents: Vec<(Pid, Pid, bool)> = all_pids()
    .into_iter()
    .filter_map(|pid| process_info(pid).map(|info| (pid, info.ppid, info.is_zombie())))
    .collect();
  // A parent that vanished between the listing and its read was reaped, so its children were
  // already handed to the subreaper: read them again to see their new parent.
  let known: Vec<Pid> = parents.iter().map(|(pid, ..)| *pid).collect();
  for entry in &mut parents {
    if entry.1 != 0
      && !known.contains(&entry.1)
      && let Some(info) = process_info(entry.0)
    {
      *entry = (entry.0, info.ppid, info.is_zombie());
    }
  }
  let mut tree = vec![root];
  let mut index = 0;
  while index < tree.len() {
    let parent = tree[index];
    tree.extend(
      parents
        .iter()
        .filter(|(pid, ppid, _)| *ppid == parent && !tree.contains(pid))
        .map(|(pid, ..)| *pid)
        .collect::<Vec<_>>(),
    );
    index += 1;
  }
  tree
    .into_iter()
    .skip(1)
    .filter(|pid| parents.iter().any(|(p, _, zombie)| p == pid && !zombie))
    .collect()
}

/// All pids currently in /proc.
pub(crate) fn all_pids() -> Vec<Pid> {
  let Ok(entries) = fs::read_dir("/proc") else {
    return Vec::new();
  };
  entries
    .flatten()
    .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
    .collect()
}

/// Several variables from one read of a process's environment, in the order asked.
pub(crate) fn environment_variables(pid: Pid, keys: &[&str]) -> Vec<Option<String>> {
  // Read the way `read_small` reads: `fs::read` sized its buffer by the reported size (0)
  // and took eight reads for a 1 KiB environment; the marked strategy reads every process's
  // at each look at a tree.
  let environ = read_whole(&format!("/proc/{pid}/environ"), 8 * 1024).unwrap_or_default();
  keys
    .iter()
    .map(|key| {
      environ.split(|byte| *byte == 0).find_map(|entry| {
        let value = entry.strip_prefix(key.as_bytes())?.strip_prefix(b"=")?;
        Some(String::from_utf8_lossy(value).into_owned())
      })
    })
    .collect()
}

/// The real user of a process (the owner of `/proc/<pid>`).
pub(crate) fn process_uid(pid: Pid) -> Option<u32> {
  use std::os::unix::fs::MetadataExt;
  fs::metadata(format!("/proc/{pid}")).ok().map(|m| m.uid())
}

/// A process's working directory, when we may read it.
pub(crate) fn process_cwd(pid: Pid) -> Option<std::path::PathBuf> {
  fs::read_link(format!("/proc/{pid}/cwd")).ok()
}

pub(crate) fn parent_pid() -> Pid {
  // SAFETY: getppid cannot fail.
  unsafe { libc::getppid() as Pid }
}

pub(crate) fn clock_ticks_per_second() -> u64 {
  // SAFETY: sysconf has no preconditions.
  let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
  if ticks > 0 { ticks as u64 } else { 100 }
}

/// How long ago a process with this start time (clock ticks since boot) started, to the
/// clock tick (wall-clock seconds from `btime` would be off by up to a second).
pub(crate) fn process_age(start_ticks: u64) -> std::time::Duration {
  let since_boot = fs::read_to_string("/proc/uptime")
    .ok()
    .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
    .unwrap_or(0.0);
  let started = start_ticks as f64 / clock_ticks_per_second() as f64;
  std::time::Duration::from_secs_f64((since_boot - started).max(0.0))
}

/// Wall-clock Unix seconds at which a process with this start time (clock ticks since boot)
/// started.
pub(crate) fn start_time_unix(start_ticks: u64) -> u64 {
  static BOOT_TIME: OnceLock<u64> = OnceLock::new();
  let boot = *BOOT_TIME.get_or_init(|| {
    fs::read_to_string("/proc/stat")
      .ok()
      .and_then(|stat| {
        stat
          .lines()
          .find_map(|line| line.strip_prefix("btime ")?.trim().parse().ok())
      })
      .unwrap_or(0)
  });
  boot + start_ticks / clock_ticks_per_second()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn parses_stat_with_parentheses_in_comm() {
    let stat = "42 (a) b) S 7 42 42 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 123456 0 0";
    let (info, start) = parse_stat(stat).unwrap();
    assert_eq!(info.comm, "a) b");
    assert_eq!((info.ppid, info.pgid, start), (7, 42, 123456));
    assert!(!info.zombie);
  }

  #[test]
  fn own_usage_is_counted() {
    let mut spin = 0u64;
    for i in 0..20_000_000u64 {
      spin = spin.wrapping_add(std::hint::black_box(i));
    }
    let usage = usage(std::process::id()).unwrap();
    assert!(spin > 0 && usage.resident_bytes > 1 << 20, "{usage:?}");
    assert!(usage.cpu > std::time::Duration::ZERO, "{usage:?}");
  }

  #[test]
  fn reads_own_process() {
    let me = std::process::id();
    let (_, start) = stat(me).unwrap();
    assert!(start > 0);
    assert!(!boot_id().is_empty());
  }
}
