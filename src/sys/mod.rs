//! The one seam to the operating system: process identity, signals, process trees.
//!
//! Everything above this module speaks in `Pid`, `ProcessId` (pid + start time) and signal
//! names; only this module contains `cfg(target_os)`. Linux is the tested backend. A macOS or
//! Windows backend implements the same functions (libproc / job objects) and nothing else moves.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;
#[cfg(target_os = "linux")]
mod linux_net;
#[cfg(target_os = "linux")]
pub(crate) use linux_net::*;

#[cfg(not(target_os = "linux"))]
compile_error!("dev currently supports Linux only; the `sys` seam is where a macOS backend goes");

mod directory_id;
mod process_id;
mod signal;

pub(crate) use directory_id::DirectoryId;
pub(crate) use process_id::ProcessId;
pub(crate) use signal::Signal;

pub(crate) type Pid = u32;
