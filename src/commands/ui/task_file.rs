//! The task file as it is now, for the dashboard: a service added (and started) since it
//! opened is shown and probed by its config, not as "not in devtasks.yaml". Read again
//! only when the file changed; a file that does not parse keeps the last good one (the
//! CLI says what is wrong with it when it is used).

use std::{fs, time::SystemTime};

use crate::{config::Config, project::Project};

pub(super) struct TaskFile {
  project: Project,
  modified: Option<SystemTime>,
}

impl TaskFile {
  pub(super) fn new(project: &Project) -> Self {
    Self {
      modified: modified(&project.config),
      project: Project::new(project.config.clone(), project.color, project.report),
    }
  }

  pub(super) fn project(&self) -> &Project {
    &self.project
  }

  /// Reads the file again if it changed since the last look.
  pub(super) fn refresh(&mut self) {
    let now = modified(&self.project.config);
    if now == self.modified {
      return;
    }
    self.modified = now;
    if let Ok(config) = Config::load(&self.project.config.path) {
      self.project = Project::new(config, self.project.color, self.project.report);
    }
  }
}

fn modified(config: &Config) -> Option<SystemTime> {
  fs::metadata(&config.path).and_then(|m| m.modified()).ok()
}
