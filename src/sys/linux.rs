//! Linux backend: /proc for process facts, libc for signals and process attributes.

use std::{fs, io, os::unix::process::CommandExt, process::Command, sync::OnceLock};

use super::{Pid, Signal};

/// The error a write to a terminal that is gone returns.
pub(crate) const EIO: i32 = libc::EIO;

/// What `/proc/<pid>/stat` says about a process.
#[derive(Clone, Debug)]
pub(crate) struct ProcessInfo {
  pub(crate) ppid: Pid,
  pub(crate) pgid: Pid,
  pub(crate) session: Pid,
  pub(crate) state: char,
  pub(crate) start_time: u64,
  pub(crate) comm: String,
}

impl ProcessInfo {
  pub(crate) fn is_zombie(&self) -> bool {
    matches!(self.state, 'Z' | 'X')
  }
}

/// Reads `/proc/<pid>/stat` (about 10 µs). `None` when the process is gone.
pub(crate) fn process_info(pid: Pid) -> Option<ProcessInfo> {
  let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
  parse_stat(&stat)
}

fn parse_stat(stat: &str) -> Option<ProcessInfo> {
  // `comm` is in parentheses and may itself contain spaces and parentheses: split at the last `)`.
  let open = stat.find('(')?;
  let close = stat.rfind(')')?;
  let comm = stat.get(open + 1..close)?.to_owned();
  let fields: Vec<&str> = stat.get(close + 2..)?.split(' ').collect();
  // fields[0] is field 3 (state) of proc(5); start time is field 22.
  Some(ProcessInfo {
    state: fields.first()?.chars().next()?,
    ppid: fields.get(1)?.parse().ok()?,
    pgid: fields.get(2)?.parse().ok()?,
    session: fields.get(3)?.parse().ok()?,
    start_time: fields.get(19)?.parse().ok()?,
    comm,
  })
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

/// Sends a signal to one process. A process that is already gone is not an error.
pub(crate) fn signal_process(pid: Pid, signal: Signal) -> io::Result<()> {
  let pid = one_target(pid)?;
  // SAFETY: kill(2) has no memory-safety preconditions.
  check_kill(unsafe { libc::kill(pid, signal.number()) })
}

/// Sends a signal to every member of a process group.
pub(crate) fn signal_group(pgid: Pid, signal: Signal) -> io::Result<()> {
  let pgid = one_target(pgid)?;
  // SAFETY: killpg(2) has no memory-safety preconditions.
  check_kill(unsafe { libc::killpg(pgid, signal.number()) })
}

/// A pid (or group) as kill(2) takes it, when it names exactly one. 0 is our own group, 1
/// is init (or, for a group, every process), and a number above i32::MAX turns negative:
/// a whole group. None of them is ever meant.
fn one_target(pid: Pid) -> io::Result<libc::pid_t> {
  match libc::pid_t::try_from(pid) {
    Ok(pid) if pid > 1 => Ok(pid),
    _ => Err(io::Error::new(
      io::ErrorKind::InvalidInput,
      format!("refusing to signal {pid}: it would not name one process"),
    )),
  }
}

fn check_kill(result: libc::c_int) -> io::Result<()> {
  if result == 0 {
    return Ok(());
  }
  let error = io::Error::last_os_error();
  if error.raw_os_error() == Some(libc::ESRCH) {
    Ok(())
  } else {
    Err(error)
  }
}

/// Direct children of a process, from `/proc/<pid>/task/*/children`.
pub(crate) fn children(pid: Pid) -> Vec<Pid> {
  let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
    return Vec::new();
  };
  let mut children = Vec::new();
  for task in tasks.flatten() {
    if let Ok(text) = fs::read_to_string(task.path().join("children")) {
      children.extend(
        text
          .split_whitespace()
          .filter_map(|pid| pid.parse::<Pid>().ok()),
      );
    }
  }
  children
}

/// Every descendant of a process, parents before children.
pub(crate) fn descendants(root: Pid) -> Vec<Pid> {
  let mut found = Vec::new();
  let mut queue = children(root);
  while let Some(pid) = queue.pop() {
    if !found.contains(&pid) {
      found.push(pid);
      queue.extend(children(pid));
    }
  }
  found
}

/// True while this process has any child at all, live or zombie, of any of its threads:
/// exact and one system call (`waitid` with WNOWAIT reaps nothing).
pub(crate) fn has_children() -> bool {
  // SAFETY: siginfo_t is plain data that waitid fills.
  let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
  // SAFETY: P_ALL with a valid out-pointer; WNOHANG and WNOWAIT: no blocking, no reaping.
  let result = unsafe {
    libc::waitid(
      libc::P_ALL,
      0,
      &raw mut info,
      libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
    )
  };
  !(result == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD))
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

/// Processes whose environment contains `key=value` exactly. Used to find the survivors of a
/// service whose keeper was SIGKILLed: every process of a service inherits a unique marker.
/// Processes of other users are unreadable (EACCES) and skipped, which is what we want.
pub(crate) fn processes_with_env(key: &str, value: &str) -> Vec<Pid> {
  all_pids()
    .into_iter()
    .filter(|pid| environment_variable(*pid, key).as_deref() == Some(value))
    .collect()
}

/// One variable from a process's environment; `None` when absent or unreadable (another
/// user's process).
pub(crate) fn environment_variable(pid: Pid, key: &str) -> Option<String> {
  environment_variables(pid, &[key]).pop().flatten()
}

/// Several variables from one read of a process's environment, in the order asked.
pub(crate) fn environment_variables(pid: Pid, keys: &[&str]) -> Vec<Option<String>> {
  let environ = fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
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

pub(crate) fn effective_uid() -> u32 {
  // SAFETY: geteuid cannot fail.
  unsafe { libc::geteuid() }
}

/// The login name for a uid, from the system's user database (files, LDAP, …).
pub(crate) fn user_name(uid: u32) -> Option<String> {
  let mut buffer = vec![0 as libc::c_char; 4096];
  // SAFETY: a zeroed passwd is a valid out-parameter; getpwuid_r writes strings into buffer.
  unsafe {
    let mut entry: libc::passwd = std::mem::zeroed();
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let status = libc::getpwuid_r(
      uid,
      &raw mut entry,
      buffer.as_mut_ptr(),
      buffer.len(),
      &raw mut result,
    );
    if status != 0 || result.is_null() {
      return None;
    }
    Some(
      std::ffi::CStr::from_ptr(entry.pw_name)
        .to_string_lossy()
        .into_owned(),
    )
  }
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

/// The desktop's "open this URL" command.
pub(crate) const URL_OPENER: &str = "xdg-open";

/// Whether a graphical session is there to show a browser.
pub(crate) fn has_display() -> bool {
  ["DISPLAY", "WAYLAND_DISPLAY"]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

pub(crate) fn parent_pid() -> Pid {
  // SAFETY: getppid cannot fail.
  unsafe { libc::getppid() as Pid }
}

/// Orphaned descendants are re-parented to us instead of init, so a service tree can never
/// escape its keeper, not even through setsid or a double fork.
pub(crate) fn become_subreaper() -> io::Result<()> {
  // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer argument only.
  let result = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
  if result == 0 {
    Ok(())
  } else {
    Err(io::Error::last_os_error())
  }
}

/// Asks the kernel to send `signal` when our parent dies. Returns false when the parent is
/// already gone (its pid differs from `expected_parent`), closing the race before prctl.
pub(crate) fn signal_when_parent_dies(signal: Signal, expected_parent: Pid) -> io::Result<bool> {
  // SAFETY: prctl with PR_SET_PDEATHSIG takes an integer argument only.
  let result = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal.number(), 0, 0, 0) };
  if result != 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(parent_pid() == expected_parent)
}

/// Starts the command in a new session: no controlling terminal, so neither the terminal's
/// Ctrl+C nor its hang-up reach it directly; `dev` decides how it stops.
pub(crate) fn start_new_session(command: &mut Command) {
  // SAFETY: setsid is async-signal-safe, as pre_exec requires.
  unsafe {
    command.pre_exec(|| {
      if libc::setsid() == -1 {
        return Err(io::Error::last_os_error());
      }
      Ok(())
    });
  }
}

/// How a reaped child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitStatus {
  Code(i32),
  Signal(i32),
}

/// Blocks until any child ends and reaps it. `None` when there are no children at all.
pub(crate) fn reap_any_child() -> Option<(Pid, ExitStatus)> {
  loop {
    let mut status: libc::c_int = 0;
    // SAFETY: status is a valid out-pointer.
    let pid = unsafe { libc::waitpid(-1, &raw mut status, 0) };
    if pid > 0 {
      let exit = if libc::WIFSIGNALED(status) {
        ExitStatus::Signal(libc::WTERMSIG(status))
      } else {
        ExitStatus::Code(libc::WEXITSTATUS(status))
      };
      return Some((pid as Pid, exit));
    }
    if io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
      return None;
    }
  }
}

/// Ignore SIGPIPE so that writing to a closed pipe is an `EPIPE` error we handle, not death.
pub(crate) fn ignore_sigpipe() {
  // SAFETY: installing SIG_IGN is always valid.
  unsafe {
    libc::signal(libc::SIGPIPE, libc::SIG_IGN);
  }
}

/// True when stdout leads nowhere any more: a pipe whose reader exited, or a terminal that
/// hung up. Asked without writing (poll reports POLLERR / POLLHUP on the write end).
pub(crate) fn stdout_closed() -> bool {
  let mut poll = libc::pollfd {
    fd: libc::STDOUT_FILENO,
    events: 0,
    revents: 0,
  };
  // SAFETY: one valid pollfd, no waiting.
  let ready = unsafe { libc::poll(&raw mut poll, 1, 0) };
  ready > 0 && poll.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

/// Grows stdout's pipe buffer (up to `bytes`, within the system's pipe-max-size); nothing
/// happens when stdout is not a pipe.
pub(crate) fn grow_stdout_pipe(bytes: usize) {
  let limit = fs::read_to_string("/proc/sys/fs/pipe-max-size")
    .ok()
    .and_then(|text| text.trim().parse::<usize>().ok())
    .unwrap_or(1 << 20);
  // SAFETY: fcntl on our stdout with an integer argument; failure changes nothing.
  unsafe {
    libc::fcntl(
      libc::STDOUT_FILENO,
      libc::F_SETPIPE_SZ,
      bytes.min(limit) as libc::c_int,
    )
  };
}

/// True when stdout is a regular file or /dev/null: a reader that always keeps up.
pub(crate) fn stdout_is_file() -> bool {
  use std::os::{fd::AsFd, unix::fs::FileTypeExt};
  let Ok(meta) = io::stdout()
    .as_fd()
    .try_clone_to_owned()
    .and_then(|fd| fs::File::from(fd).metadata())
  else {
    return false;
  };
  let file_type = meta.file_type();
  file_type.is_file()
    || (file_type.is_char_device()
      && fs::metadata("/dev/null").is_ok_and(|null| {
        use std::os::unix::fs::MetadataExt;
        null.rdev() == meta.rdev()
      }))
}

/// The chain of parents from `pid` up to init, not including `pid`.
pub(crate) fn ancestors(pid: Pid) -> Vec<Pid> {
  let mut chain = Vec::new();
  let mut current = pid;
  while let Some(info) = process_info(current) {
    if info.ppid == 0 || chain.contains(&info.ppid) {
      break;
    }
    chain.push(info.ppid);
    current = info.ppid;
  }
  chain
}

/// Waits until the process is gone (or is a zombie), up to `timeout`. True when it is gone.
/// Uses a pidfd so the wake-up is immediate; polls every 2 ms where pidfds are unavailable.
pub(crate) fn wait_for_exit(process: super::ProcessId, timeout: std::time::Duration) -> bool {
  let deadline = std::time::Instant::now() + timeout;
  // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
  let fd =
    unsafe { libc::syscall(libc::SYS_pidfd_open, process.pid as libc::pid_t, 0) } as libc::c_int;
  if fd >= 0 {
    // The pid may have been reused between our caller's check and pidfd_open: verify identity
    // after opening, since the pidfd now pins whichever process it refers to.
    let gone = if process.is_alive() {
      let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
      };
      loop {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        let millis = remaining.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&raw mut poll, 1, millis) };
        if ready > 0 || !process.is_alive() {
          break true;
        }
        if ready < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
          // poll itself failed (ENOMEM…): wait by looking instead of spinning on it.
          while process.is_alive() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
          }
          break !process.is_alive();
        }
        if remaining.is_zero() {
          break false;
        }
      }
    } else {
      true
    };
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    // A zombie is readable on its pidfd; treat it as gone.
    return gone || !process.is_alive();
  }
  while process.is_alive() {
    if std::time::Instant::now() >= deadline {
      return false;
    }
    std::thread::sleep(std::time::Duration::from_millis(2));
  }
  true
}

/// Delivers the given signals as values on a channel, through a self-pipe: the handler only
/// writes one byte, which is async-signal-safe; a thread turns bytes into `Signal`s.
pub(crate) fn listen_for_signals(
  signals: &[Signal],
) -> io::Result<std::sync::mpsc::Receiver<Signal>> {
  use std::{
    io::Read,
    os::fd::FromRawFd,
    sync::{Mutex, PoisonError, mpsc::Sender},
  };
  static WRITE_END: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);
  /// The newest listener: a later call (a task's `needs:` starting services, then the task
  /// itself) takes the signals over from an earlier one, whose receiver disconnects.
  static LISTENER: Mutex<Option<(Sender<Signal>, Vec<Signal>)>> = Mutex::new(None);

  extern "C" fn on_signal(number: libc::c_int) {
    let fd = WRITE_END.load(std::sync::atomic::Ordering::Relaxed);
    let byte = number as u8;
    // SAFETY: write(2) is async-signal-safe; errno is saved and restored around it.
    unsafe {
      let saved = *libc::__errno_location();
      libc::write(fd, (&raw const byte).cast(), 1);
      *libc::__errno_location() = saved;
    }
  }

  if WRITE_END.load(std::sync::atomic::Ordering::Relaxed) < 0 {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds is a valid two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
      return Err(io::Error::last_os_error());
    }
    WRITE_END.store(fds[1], std::sync::atomic::Ordering::Relaxed);
    // SAFETY: fds[0] is a fresh descriptor we own from here on.
    let mut read_end = unsafe { fs::File::from_raw_fd(fds[0]) };
    std::thread::spawn(move || {
      let mut byte = [0u8; 1];
      while read_end.read_exact(&mut byte).is_ok() {
        let listener = LISTENER.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((sender, known)) = listener.as_ref()
          && let Some(signal) = known
            .iter()
            .find(|signal| signal.number() == i32::from(byte[0]))
        {
          let _ = sender.send(*signal);
        }
      }
    });
  }
  for signal in signals {
    // SAFETY: a zeroed sigaction with a plain handler and SA_RESTART is valid.
    unsafe {
      let mut action: libc::sigaction = std::mem::zeroed();
      action.sa_sigaction = on_signal as *const () as usize;
      action.sa_flags = libc::SA_RESTART;
      libc::sigemptyset(&raw mut action.sa_mask);
      if libc::sigaction(signal.number(), &raw const action, std::ptr::null_mut()) != 0 {
        return Err(io::Error::last_os_error());
      }
    }
  }
  let (sender, receiver) = std::sync::mpsc::channel();
  *LISTENER.lock().unwrap_or_else(PoisonError::into_inner) = Some((sender, signals.to_vec()));
  Ok(receiver)
}

/// Restores the default disposition of signals in a child before it execs (a service must
/// not inherit our handlers' "ignore" state for SIGPIPE).
pub(crate) fn reset_signals_before_exec(command: &mut Command) {
  // SAFETY: signal(2) is async-signal-safe.
  unsafe {
    command.pre_exec(|| {
      for number in [
        libc::SIGPIPE,
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGUSR2,
      ] {
        libc::signal(number, libc::SIG_DFL);
      }
      Ok(())
    });
  }
}

/// Creates `path` (mode 0700) if needed and makes sure it is a directory only we can use:
/// owned by us, no access for group or others (which are taken away when we own it).
pub(crate) fn private_directory(path: &std::path::Path) -> io::Result<()> {
  use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
  match fs::DirBuilder::new()
    .recursive(true)
    .mode(0o700)
    .create(path)
  {
    Ok(()) => {}
    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
    Err(error) => return Err(error),
  }
  let meta = fs::symlink_metadata(path)?;
  if !meta.is_dir() {
    return Err(io::Error::other("it is not a directory"));
  }
  if meta.uid() != effective_uid() {
    return Err(io::Error::other(format!(
      "it belongs to uid {}, not to you",
      meta.uid()
    )));
  }
  if meta.mode() & 0o077 != 0 {
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
  }
  Ok(())
}

/// What identifies a file or directory on this machine whatever its path: (device, inode).
/// A moved one keeps it; a copy gets its own.
pub(crate) fn directory_identity(path: &std::path::Path) -> Option<(u64, u64)> {
  use std::os::unix::fs::MetadataExt;
  fs::metadata(path).ok().map(|meta| (meta.dev(), meta.ino()))
}

/// The same for an open file.
pub(crate) fn file_identity(file: &fs::File) -> Option<(u64, u64)> {
  use std::os::unix::fs::MetadataExt;
  file.metadata().ok().map(|meta| (meta.dev(), meta.ino()))
}

/// Bytes an unprivileged writer may still use on the filesystem holding `path`.
pub(crate) fn free_bytes(path: &std::path::Path) -> Option<u64> {
  use std::os::unix::ffi::OsStrExt;
  let path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
  // SAFETY: statvfs is plain data; the call fills it or fails.
  let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
  // SAFETY: a valid NUL-terminated path and out-pointer.
  if unsafe { libc::statvfs(path.as_ptr(), &raw mut stats) } != 0 {
    return None;
  }
  Some(stats.f_bavail as u64 * stats.f_frsize as u64)
}

/// Columns of the terminal on stderr, when it is one.
pub(crate) fn terminal_width() -> Option<usize> {
  // SAFETY: winsize is plain data; TIOCGWINSZ fills it or fails.
  let mut size: libc::winsize = unsafe { std::mem::zeroed() };
  // SAFETY: a valid out-pointer for TIOCGWINSZ on our own stderr descriptor.
  let result = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &raw mut size) };
  (result == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn parses_stat_with_parentheses_in_comm() {
    let stat = "42 (a) b) S 7 42 42 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 123456 0 0";
    let info = parse_stat(stat).unwrap();
    assert_eq!(info.comm, "a) b");
    assert_eq!((info.ppid, info.pgid, info.start_time), (7, 42, 123456));
    assert_eq!(info.state, 'S');
  }

  #[test]
  fn signals_never_reach_a_group_by_accident() {
    // 0 would be our own group, 1 init, and u32::MAX is -1 to kill(2): every process.
    for pid in [0, 1, u32::MAX, 1 << 31] {
      assert!(signal_process(pid, Signal::Term).is_err(), "{pid}");
      assert!(signal_group(pid, Signal::Term).is_err(), "{pid}");
    }
  }

  #[test]
  fn reads_own_process() {
    let me = std::process::id();
    let info = process_info(me).unwrap();
    assert!(info.start_time > 0);
    assert!(!boot_id().is_empty());
  }
}
