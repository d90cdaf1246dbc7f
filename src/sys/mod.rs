//! The one seam to the operating system: the only place with `cfg(target_os)`, `libc` and
//! `unsafe`. Above it, `dev` speaks in capabilities, not system calls:
//!
//! - **identity**: `ProcessId` (a pid that survives reuse: start + boot), `DirectoryId`
//!   (a directory whatever its path);
//! - **process facts**: parent, group, session, command line, working directory, user, the
//!   `DEV_*` markers in its environment, children and descendants;
//! - **port owners**: `port_sockets` — who listens on a port, with addresses, states and
//!   owning pids (no socket inodes above the seam), `listening_ports_of` a tree,
//!   `listening_ports` the whole machine in one look (where the OS can tell cheaply);
//! - **containment**: a keeper's `Tree` (every descendant stays findable and can be ended,
//!   even after `setsid` or a double fork: a subreaper on Linux, parentage + markers where
//!   there is none), `end_with_parent` (nothing survives a SIGKILLed `dev`),
//!   `reap_any_child`, `wait_for_exit`;
//! - **stop semantics**: `Signal`, `signal_process`, `signal_group`, `listen_for_signals`;
//! - **files and the terminal**: private directories, free space, file identities, stdout
//!   facts, the terminal's width, the desktop's URL opener;
//! - **usage**: a process's CPU time and resident memory (the dashboard's columns);
//! - **relay**: bytes from one socket to another, in the kernel where it can (the proxy).
//!
//! Each OS fills the same interface in a module of its own (`linux/`, `macos/`, `windows/`),
//! with what POSIX gives every Unix in `unix/`; an OS without a backend fails the build with
//! a clear message. Where a Unix word has no Windows meaning the interface says what `dev`
//! needs instead: `Tree::spawn` (a job takes the service before it runs), `reap_later` (no
//! `waitpid(-1)`), the shells (`DEFAULT_SHELL`: `sh` or `cmd`; `cmd_command`: cmd's own quoting).

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as os;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

// The macOS backend's KERN_PROCARGS2 parser is pure: its unit tests run everywhere.
#[cfg(all(test, not(target_os = "macos")))]
#[path = "macos/procargs.rs"]
mod procargs;

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
compile_error!(
  "dev has no backend for this operating system yet: see src/sys/mod.rs for the interface a backend fills"
);

mod directory_id;
mod facts;
mod process_id;
// The read/write loop: the relay where there is no splice, and Linux's fallback.
mod relay_copy;
mod signal;
mod sockets;
#[cfg(unix)]
mod tree;

pub(crate) use directory_id::DirectoryId;
pub(crate) use facts::{ProcessInfo, Usage, ancestors, descendants, processes_with_env};
pub(crate) use process_id::{Moment, ProcessId};
pub(crate) use signal::Signal;
pub(crate) use sockets::{PortSocket, SocketScope, TcpState};
#[cfg(unix)]
pub(crate) use tree::Tree;
#[cfg(windows)]
pub(crate) use windows::tree::Tree;

#[cfg(target_os = "linux")]
pub(crate) use os::relay;
pub(crate) use os::{
  SEES_EVERY_SOCKET, URL_OPENER, all_pids, become_subreaper as adopt_orphans, children,
  command_line, environment_variables, grow_stdout_pipe, has_display, listening_ports,
  listening_ports_of, port_sockets, process_cwd, process_info, process_uid,
  signal_when_parent_dies as end_with_parent, usage, wait_for_exit,
};
#[cfg(not(target_os = "linux"))]
pub(crate) use relay_copy::relay;
#[cfg(unix)]
pub(crate) use unix::{
  files::{
    EIO, file_identity, free_bytes, is_disk_full, may_write_in, path_identity, private_directory,
    replace_file,
  },
  signals::{
    exit_status, ignore_sigpipe, listen_for_signals, reset_signals_before_exec, signal_group,
    signal_process, start_new_session, start_own_group,
  },
  terminal::{
    StderrAside, output_files, silence_stdout, stderr_aside, stdout_closed, stdout_is_file,
    take_stdout, terminal_width,
  },
  users::{as_admin, effective_uid, user_name},
  wait::reap_any_child,
};
#[cfg(unix)]
pub(crate) use unix::{
  shell::{DEFAULT_SHELL, SH, cmd_command},
  terminal::enable_colors,
  wait::reap_later,
};
#[cfg(windows)]
pub(crate) use windows::{
  files::{
    EIO, file_identity, free_bytes, is_disk_full, may_write_in, path_identity, private_directory,
    replace_file,
  },
  shell::{DEFAULT_SHELL, SH, cmd_command},
  signals::{
    exit_status, ignore_sigpipe, listen_for_signals, reset_signals_before_exec, signal_group,
    signal_process, start_new_session, start_own_group,
  },
  terminal::{
    StderrAside, enable_colors, output_files, silence_stdout, stderr_aside, stdout_closed,
    stdout_is_file, take_stdout, terminal_width,
  },
  users::{as_admin, effective_uid, user_name},
  wait::{reap_any_child, reap_later},
};

pub(crate) type Pid = u32;

/// How a reaped child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitStatus {
  Code(i32),
  Signal(i32),
}
