//! All integration tests compile into one binary (fast builds); each runs the real `dev`
//! against real python3 servers on 127.0.0.1.

mod architecture;
mod bad_input;
mod docs;
mod doctor;
mod edits;
mod export;
mod harness;
mod http_probe;
mod init;
mod json_schemas;
mod lifecycle;
mod logs;
mod machine;
mod orphans;
mod pipes;
mod ports;
mod readiness;
mod reliability;
mod tasks;
mod terminal;
mod ui;
mod watch;
