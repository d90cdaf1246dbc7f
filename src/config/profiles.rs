//! `profiles:` on services, as compose has them: which services `dev up` starts. A bare
//! `dev up` starts the services without `profiles:`; `--profile web` adds those of `web`;
//! a service named on the command line starts whatever its profiles. What a chosen service
//! depends on starts too, across profiles (`plan::start_order`): compose refuses that case.

use super::Config;
use crate::{
  error::{Error, Result},
  ui::suggestion::suggest,
};

impl Config {
  /// The services `dev up` was asked for, by name and by profile; empty means every
  /// service, when no service has a profile (as before profiles existed).
  pub(crate) fn chosen(&self, names: &[String], profiles: &[String]) -> Result<Vec<String>> {
    let known = self.profiles();
    for profile in profiles {
      if !known.contains(profile) {
        let close = suggest(profile, known.iter().map(String::as_str));
        let hint = close
          .as_ref()
          .map(|close| format!(" (did you mean `{close}`?)"))
          .unwrap_or_default();
        return Err(Error::Usage {
          message: if known.is_empty() {
            format!("no service has a profile, so there is no profile `{profile}`{hint}")
          } else {
            format!(
              "no service has the profile `{profile}`{hint}; the profiles are {}",
              known.join(", ")
            )
          },
          usage: format!(
            "dev up --profile {}",
            close
              .as_deref()
              .or(known.first().map(String::as_str))
              .unwrap_or("PROFILE")
          ),
        });
      }
    }
    if names.is_empty() && profiles.is_empty() {
      if known.is_empty() {
        return Ok(Vec::new());
      }
      let plain: Vec<String> = self
        .services
        .iter()
        .filter(|service| service.profiles.is_empty())
        .map(|service| service.name.clone())
        .collect();
      if plain.is_empty() {
        return Err(Error::Usage {
          message: "every service has `profiles:`, so a bare `dev up` starts none".into(),
          usage: format!("dev up --profile {}", known.join(" --profile ")),
        });
      }
      return Ok(plain);
    }
    let mut chosen: Vec<String> = names.to_vec();
    for service in &self.services {
      if service.profiles.iter().any(|p| profiles.contains(p)) && !chosen.contains(&service.name) {
        chosen.push(service.name.clone());
      }
    }
    Ok(chosen)
  }

  /// Every profile of the task file, in the order they first appear.
  pub(crate) fn profiles(&self) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for profile in self.services.iter().flat_map(|service| &service.profiles) {
      if !all.contains(profile) {
        all.push(profile.clone());
      }
    }
    all
  }
}
