//! All integration tests compile into one binary (fast builds); each runs the real `dev`
//! against real python3 servers on 127.0.0.1.
//!
//! Unix only, as written: the harness signals with kill(2), reads /proc and runs `sh`. On
//! Windows this binary is empty until the harness has a Windows side, so that `cargo test`
//! there still builds and runs the unit tests (RELIABILITY.md, "Platforms", lists the cases
//! that carry over).
#![cfg(unix)]

mod architecture;
mod bad_input;
mod completion;
mod config_resolved;
mod docs;
mod doctor;
mod dotenv_compat;
mod edits;
mod env_for_shells;
mod error_texts;
mod export;
mod export_safety;
mod first_run;
mod from_state;
mod harness;
mod http_probe;
mod init;
mod interpolation;
mod json_schemas;
mod lifecycle;
mod logs;
mod machine;
mod mcp;
mod names;
mod orphans;
mod pipes;
mod port_free;
mod port_of;
mod ports;
mod probe_truth;
mod profiles;
mod proxy;
mod ps;
mod readiness;
mod reliability;
mod state_files;
mod stop_order;
mod stop_wins;
mod taken_while_down;
mod task_words;
mod tasks;
mod terminal;
mod ui;
mod verbs;
mod wait;
mod watch;
