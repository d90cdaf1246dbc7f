//! `dev port who|check` over many ports (`8000-9999`): each port's report is written as soon
//! as it is known, as text or as the elements of one JSON array, and the walk stops as soon
//! as the reader of our output goes away.

use super::PortContext;
use crate::{
  error::{Error, Result},
  ports::{
    holders::{self, PortClaim, PortReport, PortStatus},
    ledger::Ledger,
  },
  sys,
  ui::output::print_out,
};

/// Inspects each port in turn, hands its report to `each` (which returns its text form) and
/// writes it at once: a range of thousands of ports shows its first lines at once, and
/// `| head -1` ends the walk (`Error::OutputClosed`) instead of inspecting the rest.
pub(super) fn each_report(
  context: &PortContext,
  ports: &[u16],
  json: bool,
  mut each: impl FnMut(&PortReport) -> String,
) -> Result<()> {
  let known = context.known_processes();
  // Ports that a `dev` (of this project or another) is starting a service on: free to a
  // trial bind, but taken in a moment — as `dev port find` knows.
  let claims = Ledger::open()
    .map(|ledger| ledger.claims)
    .unwrap_or_default();
  let mut array = JsonArray::default();
  for port in ports {
    if sys::stdout_closed() {
      return Err(Error::OutputClosed);
    }
    let mut report = holders::inspect(*port, &known);
    if let Some(claim) = claims.iter().find(|claim| claim.ports.contains(port)) {
      report.claim = Some(PortClaim {
        service: claim.service.clone(),
        project: claim.project.clone(),
        running: claim.running,
      });
      if report.status.is_free() {
        report.status = PortStatus::Claimed;
      }
    }
    let text = each(&report);
    if json {
      print_out(&array.item(&report))?;
    } else {
      print_out(&text)?;
    }
  }
  if json {
    print_out(&array.end())?;
  }
  Ok(())
}

/// A pretty-printed JSON array written one element at a time (the same text as
/// `serde_json::to_string_pretty` of the whole array).
#[derive(Default)]
struct JsonArray {
  started: bool,
}

impl JsonArray {
  fn item<T: serde::Serialize>(&mut self, value: &T) -> String {
    let element = serde_json::to_string_pretty(value).unwrap_or_default();
    let indented = element.replace('\n', "\n  ");
    let before = if std::mem::replace(&mut self.started, true) {
      ",\n  "
    } else {
      "[\n  "
    };
    format!("{before}{indented}")
  }

  fn end(&self) -> String {
    if self.started { "\n]\n" } else { "[]\n" }.to_owned()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn an_array_written_element_by_element_is_the_whole_array_pretty_printed() {
    for values in [vec![], vec![1], vec![1, 2, 3]] {
      let objects: Vec<serde_json::Value> = values
        .iter()
        .map(|n| serde_json::json!({"port": n, "holders": [{"pid": n}]}))
        .collect();
      let mut array = JsonArray::default();
      let mut text: String = objects.iter().map(|o| array.item(o)).collect();
      text.push_str(&array.end());
      let whole = serde_json::to_string_pretty(&objects).unwrap() + "\n";
      assert_eq!(text, whole);
    }
  }
}
