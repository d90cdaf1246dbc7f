//! One file per user command: each takes the loaded project (or none, for `port`, `init`,
//! `completions`, `man`) and returns a `Result`; `run` dispatches to them.

mod complete;
pub(crate) mod completions;
pub(crate) mod config;
pub(crate) mod doctor;
pub(crate) mod env;
pub(crate) mod export;
pub(crate) mod health;
pub(crate) mod init;
pub(crate) mod list;
pub(crate) mod logs;
pub(crate) mod mcp;
pub(crate) mod port;
pub(crate) mod projects;
pub(crate) mod ps;
pub(crate) mod restart;
pub(crate) mod status;
pub(crate) mod stop;
pub(crate) mod ui;
pub(crate) mod wait;
