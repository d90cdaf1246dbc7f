//! `dev`: one-command dev servers. The pipeline reads off the module list:
//! config → plan → supervise (through keepers) → ports, probes, logs → ui. ARCHITECTURE.md
//! draws it.

mod cli;
mod commands;
mod config;
mod error;
mod plan;
mod ports;
mod project;
mod proxy;
mod resolve;
mod run;
mod shell;
mod state;
mod supervise;
mod sys;
mod task;
mod test_hook;
mod ui;

pub use run::run;

/// For the reliability suite's fuzzer: checks a task file's text as `dev` would load it,
/// with the env files it names read as a start would. `Err` carries the exit code and the
/// rendered error.
#[doc(hidden)]
pub fn check_task_file(directory: &std::path::Path, text: &str) -> Result<(), (i32, String)> {
  let check = || -> error::Result<()> {
    let config = config::Config::parse(directory.join("devtasks.yaml"), text.to_owned())?;
    config.shared_env()?;
    for service in &config.services {
      service.env_file.load()?;
    }
    for task in &config.tasks {
      task.env_file.load()?;
    }
    Ok(())
  };
  check().map_err(|error| {
    (
      error.code(),
      error.render(ui::color::Color::for_stream(
        ui::color::ColorChoice::Never,
        false,
      )),
    )
  })
}
