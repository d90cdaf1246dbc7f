//! `dev port find`: free ports from a starting point, skipping reserved ones and those
//! other projects on this machine claim.

use super::PortContext;
use crate::{
  config::source::display_path,
  error::{Error, Result},
  ports::{is_bindable, ledger::Ledger},
  ui::{
    format::count,
    output::{print_json, print_out},
  },
};

pub(super) fn find(context: &PortContext, from: u16, wanted: usize, json: bool) -> Result<()> {
  let mut skip: Vec<u16> = Vec::new();
  if let Some(project) = context.project {
    skip.extend(project.config.reserved.iter().copied());
  }
  // Claims of every project on this machine (this one's too): a port being started on is
  // not free, whatever a trial bind says this instant.
  let claims = Ledger::open()
    .map(|ledger| ledger.claims)
    .unwrap_or_default();
  let here = context.project.map(|project| project.id);
  let mut found: Vec<u16> = Vec::new();
  let mut passed: Vec<String> = Vec::new();
  for port in from.max(1024)..=u16::MAX {
    if found.len() == wanted {
      break;
    }
    if skip.contains(&port) {
      continue;
    }
    if let Some(claim) = claims.iter().find(|claim| claim.ports.contains(&port)) {
      if Some(claim.project_id) != here {
        passed.push(format!(
          "{port} ({} of {})",
          claim.service,
          display_path(&claim.project)
        ));
      }
      continue;
    }
    if is_bindable(port) {
      found.push(port);
    }
  }
  if !passed.is_empty() {
    context.report.step(&format!(
      "skipped ports other projects on this machine use: {}",
      passed.join(", ")
    ));
  }
  if json {
    print_json(&found)?;
  } else {
    let text: String = found.iter().map(|port| format!("{port}\n")).collect();
    print_out(&text)?;
  }
  if found.len() < wanted {
    return Err(Error::Port {
      message: format!(
        "asked for {wanted}, found only {} at or above {from}",
        count(found.len(), "free port", "free ports")
      ),
      hint: "try a lower starting port: `dev port find 3000`".into(),
    });
  }
  Ok(())
}
