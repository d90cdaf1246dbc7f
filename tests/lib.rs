//! All integration tests compile into one binary (fast builds); each runs the real `dev`
//! against real python3 servers on 127.0.0.1.

mod architecture;
mod bad_input;
mod completion;
mod docs;
mod doctor;
mod dotenv_compat;
mod edits;
mod error_texts;
mod export;
mod export_safety;
mod from_state;
mod harness;
mod http_probe;
mod init;
mod interpolation;
mod json_schemas;
mod lifecycle;
mod logs;
mod machine;
mod names;
mod orphans;
mod pipes;
mod port_free;
mod ports;
mod probe_truth;
mod readiness;
mod reliability;
mod state_files;
mod stop_wins;
mod task_words;
mod tasks;
mod terminal;
mod ui;
mod verbs;
mod watch;
