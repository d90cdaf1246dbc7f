//! `dev`: one-command dev servers. The pipeline reads off the module list:
//! config → plan → supervisor/control (through keepers) → state, logs, output.

mod cli;
mod color;
mod completions;
mod config;
mod control;
mod doctor;
mod error;
mod export;
mod format;
mod health;
mod init;
mod keeper;
mod list;
mod log_file;
mod logs;
mod output;
mod plan;
mod port_command;
mod ports;
mod preflight;
mod probe;
mod progress;
mod project;
mod readiness;
mod run;
mod source;
mod state;
mod status;
mod suggestion;
mod supervisor;
mod sys;
mod task;
mod terminate;
mod timestamp;

pub use run::run;
