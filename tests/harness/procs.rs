//! What the tests see of processes, read independently of `dev`'s own code: `/proc` on
//! Linux, `ps` on macOS (the tests' oracle must not share the backend under test).

#[cfg(target_os = "linux")]
mod imp {
  use std::fs;

  pub(crate) fn pids() -> Vec<u32> {
    fs::read_dir("/proc")
      .map(|entries| {
        entries
          .flatten()
          .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
          .collect()
      })
      .unwrap_or_default()
  }

  pub(crate) fn environment(pid: u32) -> Vec<String> {
    split(&fs::read(format!("/proc/{pid}/environ")).unwrap_or_default())
  }

  pub(crate) fn arguments(pid: u32) -> Vec<String> {
    split(&fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default())
  }

  fn split(raw: &[u8]) -> Vec<String> {
    raw
      .split(|b| *b == 0)
      .filter(|entry| !entry.is_empty())
      .map(|entry| String::from_utf8_lossy(entry).into_owned())
      .collect()
  }

  /// State letter and parent, from `/proc/<pid>/stat`.
  pub(crate) fn state(pid: u32) -> Option<(char, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit(')').next()?.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.next()?.parse().ok()?))
  }

  /// Clock ticks since boot at which it started: field 22 of `/proc/<pid>/stat`.
  pub(crate) fn start_time(pid: u32) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(
      stat
        .rsplit(')')
        .next()?
        .split_whitespace()
        .nth(19)?
        .to_owned(),
    )
  }

  pub(crate) fn rss_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
      .unwrap_or_default()
      .lines()
      .find_map(|line| line.strip_prefix("VmRSS:"))
      .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
      .unwrap_or(0)
  }
}

#[cfg(target_os = "macos")]
mod imp {
  use std::process::Command;

  fn ps(args: &[&str]) -> String {
    Command::new("ps")
      .args(args)
      .output()
      .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
      .unwrap_or_default()
  }

  pub(crate) fn pids() -> Vec<u32> {
    ps(&["-axo", "pid="])
      .lines()
      .filter_map(|line| line.trim().parse().ok())
      .collect()
  }

  /// `ps -E` prints the environment after the command: what follows the plain command.
  pub(crate) fn environment(pid: u32) -> Vec<String> {
    let pid = pid.to_string();
    let with = ps(&["-Eww", "-o", "command=", "-p", &pid]);
    let without = ps(&["-ww", "-o", "command=", "-p", &pid]);
    with
      .trim_end()
      .strip_prefix(without.trim_end())
      .unwrap_or("")
      .split_whitespace()
      .filter(|entry| entry.contains('='))
      .map(str::to_owned)
      .collect()
  }

  pub(crate) fn arguments(pid: u32) -> Vec<String> {
    ps(&["-ww", "-o", "command=", "-p", &pid.to_string()])
      .split_whitespace()
      .map(str::to_owned)
      .collect()
  }

  pub(crate) fn state(pid: u32) -> Option<(char, u32)> {
    let line = ps(&["-o", "stat=,ppid=", "-p", &pid.to_string()]);
    let mut fields = line.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.next()?.parse().ok()?))
  }

  pub(crate) fn start_time(pid: u32) -> Option<String> {
    let started = ps(&["-o", "lstart=", "-p", &pid.to_string()]);
    (!started.trim().is_empty()).then(|| started.trim().to_owned())
  }

  pub(crate) fn rss_kib(pid: u32) -> u64 {
    ps(&["-o", "rss=", "-p", &pid.to_string()])
      .trim()
      .parse()
      .unwrap_or(0)
  }
}

pub(crate) use imp::{arguments, environment, pids, rss_kib};

/// `KEY`'s value in the process's environment.
pub(crate) fn env_var(pid: u32, key: &str) -> Option<String> {
  let prefix = format!("{key}=");
  environment(pid)
    .into_iter()
    .find_map(|entry| entry.strip_prefix(&prefix).map(str::to_owned))
}

pub(crate) fn command_line(pid: u32) -> String {
  arguments(pid).join(" ")
}

/// Alive and not a zombie.
pub(crate) fn is_alive(pid: u32) -> bool {
  imp::state(pid).is_some_and(|(state, _)| state != 'Z')
}

/// Stopped by SIGSTOP (or a terminal's Ctrl+Z).
pub(crate) fn is_stopped(pid: u32) -> bool {
  imp::state(pid).is_some_and(|(state, _)| state == 'T')
}

pub(crate) fn parent(pid: u32) -> Option<u32> {
  imp::state(pid).map(|(_, parent)| parent)
}

/// `4242: python3 server.py [S, parent 4200]`, for failure messages.
pub(crate) fn describe(pid: u32) -> String {
  let (state, parent) = imp::state(pid).unwrap_or(('?', 0));
  format!("{pid}: {} [{state}, parent {parent}]", command_line(pid))
}

/// A process as seen once: its pid and its start time. Pids come back (pid_max is 32768 on
/// many machines), so "is it still alive" asks about this process, not about its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
  pub(crate) pid: u32,
  started: String,
}

impl Seen {
  /// `None` when it is gone already.
  pub(crate) fn now(pid: u32) -> Option<Self> {
    Some(Self {
      pid,
      started: imp::start_time(pid)?,
    })
  }

  /// This very process is alive (and not a zombie); a new one given its pid is not it.
  pub(crate) fn is_alive(&self) -> bool {
    is_alive(self.pid) && imp::start_time(self.pid).as_ref() == Some(&self.started)
  }
}
