//! All integration tests compile into one binary (fast builds); each runs the real `dev`
//! against real python3 servers on 127.0.0.1.
//!
//! On every OS: the harness (a temp project, the real binary, free ports) and the modules
//! whose cases mean the same everywhere — what `dev` says of a task file, and how it reads
//! one. The rest are Unix-only as written: they signal with kill(2), read /proc, run `sh`
//! lines or `exec python3`, drive tmux or a pty; RELIABILITY.md ("Platforms") lists which
//! carry over to Windows once their lines and the harness's process checks have a Windows
//! side.
// On Windows the harness's helpers (and their imports) for the Unix-only modules have no
// caller.
#![cfg_attr(windows, allow(dead_code, unused_imports, unused_macros))]

mod harness;

mod bad_input;
mod config_resolved;
mod error_texts;
mod interpolation;
mod json_schemas;
mod shells;

#[cfg(unix)]
mod architecture;
#[cfg(unix)]
mod completion;
#[cfg(unix)]
mod docs;
#[cfg(unix)]
mod doctor;
#[cfg(unix)]
mod dotenv_compat;
#[cfg(unix)]
mod edits;
#[cfg(unix)]
mod env_for_shells;
#[cfg(unix)]
mod export;
#[cfg(unix)]
mod export_kubernetes;
#[cfg(unix)]
mod export_safety;
#[cfg(unix)]
mod first_run;
#[cfg(unix)]
mod from_state;
#[cfg(unix)]
mod http_probe;
#[cfg(unix)]
mod imports;
#[cfg(unix)]
mod init;
#[cfg(unix)]
mod lifecycle;
#[cfg(unix)]
mod logs;
#[cfg(unix)]
mod machine;
#[cfg(unix)]
mod mcp;
#[cfg(unix)]
mod names;
#[cfg(unix)]
mod orphans;
#[cfg(unix)]
mod pipes;
#[cfg(unix)]
mod port_free;
#[cfg(unix)]
mod port_of;
#[cfg(unix)]
mod ports;
#[cfg(unix)]
mod probe_truth;
#[cfg(unix)]
mod profiles;
#[cfg(unix)]
mod proxy;
#[cfg(unix)]
mod ps;
#[cfg(unix)]
mod readiness;
#[cfg(unix)]
mod reliability;
#[cfg(unix)]
mod state_files;
#[cfg(unix)]
mod stop_order;
#[cfg(unix)]
mod stop_wins;
#[cfg(unix)]
mod taken_while_down;
#[cfg(unix)]
mod task_words;
#[cfg(unix)]
mod tasks;
#[cfg(unix)]
mod terminal;
#[cfg(unix)]
mod ui;
#[cfg(unix)]
mod verbs;
#[cfg(unix)]
mod wait;
#[cfg(unix)]
mod watch;
