//! `dev port free`: stop what holds a port — through its keeper when it is a dev service,
//! after asking when dev did not start it — and make sure it stays free.

use std::{
  io::IsTerminal,
  time::{Duration, Instant},
};

use serde::Serialize;

use super::PortContext;
use crate::{
  error::{Error, Result},
  ports::{
    holders::{self, Holder, PortReport},
    is_bindable,
    release::{self, Released, Targets, parents_note, refusal},
  },
  sys::{self, ProcessId, Signal},
  ui::{format::elapsed, output::print_json},
};

pub(super) fn free(
  context: &PortContext,
  port: u16,
  grace: Duration,
  consent: Consent,
  json: bool,
) -> Result<()> {
  let report = holders::inspect(port, &context.known_processes());
  if report.status.is_free() {
    if json {
      print_json(&Freed {
        port,
        stopped: Vec::new(),
        bindable_after_ms: Some(0),
        parents_left: Vec::new(),
      })?;
    } else {
      context
        .report
        .success(&format!("port {port} is already free"));
    }
    return Ok(());
  }
  if report.holders.is_empty() {
    return Err(nothing_to_stop(port, &report));
  }
  let targets = Targets::of(&report.holders);
  ask(context, port, &report, &targets, consent)?;
  let released = release::release(port, targets, Signal::Term, grace);
  say_released(context, port, &released, json)?;
  if released.bindable_after.is_some()
    && let Some(error) = taken_again(port, &report.holders, &released.stopped)
  {
    return Err(error);
  }
  match released.bindable_after {
    Some(after) => {
      if !json {
        context.report.success(&format!(
          "port {port} is free ({} after the first signal)",
          elapsed(after)
        ));
      }
      Ok(())
    }
    None => Err(Error::Port {
      message: format!("port {port} is still in use after stopping its holders"),
      hint: format!("`dev port who {port}` shows what holds it now"),
    }),
  }
}

/// A port in use with no holder we may stop: another user's, or only connections.
fn nothing_to_stop(port: u16, report: &PortReport) -> Error {
  match report.unseen.first() {
    Some(socket) => Error::Port {
      message: format!(
        "port {port} is held by a process of user {} (uid {}) that dev cannot see",
        socket.user, socket.uid
      ),
      hint: if sys::effective_uid() == 0 {
        "even root sees no process for it here: it may be another container's or \
         namespace's; stop it there"
          .into()
      } else {
        format!(
          "if you mean it: {}",
          sys::as_admin(&format!("dev port free {port} --yes --other-users"))
        )
      },
    },
    None => Error::Port {
      message: format!(
        "port {port} is in use only by connections ({}); nothing listens on it",
        report.connections.unwrap_or(0)
      ),
      hint: "dev does not stop clients; the port frees itself when they close".into(),
    },
  }
}

/// How far `dev port free` may go without asking.
#[derive(Clone, Copy, Debug)]
pub(super) struct Consent {
  /// `--yes`: stop a process dev did not start without asking.
  pub(super) yes: bool,
  /// `--other-users`: another user's process too (root only).
  pub(super) other_users: bool,
}

/// What may be stopped: never what `refusal` forbids; a process dev did not start only
/// with `--yes` or a "y" on the terminal, after every process to be signalled is listed.
fn ask(
  context: &PortContext,
  port: u16,
  report: &PortReport,
  targets: &Targets,
  consent: Consent,
) -> Result<()> {
  let refusals: Vec<String> = report
    .holders
    .iter()
    .filter_map(|holder| {
      refusal(holder, consent.other_users)
        .map(|why| format!("pid {} ({}): {why}", holder.pid, holder.command))
    })
    .collect();
  if !refusals.is_empty() {
    return Err(Error::Port {
      message: format!("will not free port {port}: {}", refusals.join("; ")),
      hint: format!("`dev port who {port}` shows every holder"),
    });
  }
  let foreign: Vec<String> = report
    .holders
    .iter()
    .filter(|holder| holder.service.is_none())
    .map(|h| {
      format!(
        "pid {} `{}` (user {}, up {})",
        h.pid,
        h.command,
        h.user,
        elapsed(h.uptime())
      )
    })
    .collect();
  if foreign.is_empty() || consent.yes {
    return Ok(());
  }
  let mut question = format!(
    "port {port} is held by {}, which dev did not start\n  it would signal: {}",
    foreign.join(" and "),
    targets.lines().join(", ")
  );
  if let Some(note) = parents_note(&targets.parents_left) {
    question.push_str(&format!("\n  {note}"));
  }
  if confirm(context, &question) {
    return Ok(());
  }
  Err(Error::Port {
    message: question,
    hint: format!(
      "`dev port free {port} --yes` stops them (SIGTERM, then SIGKILL after the grace)"
    ),
  })
}

/// Exactly what was stopped, and how.
fn say_released(context: &PortContext, port: u16, released: &Released, json: bool) -> Result<()> {
  if json {
    return print_json(&Freed {
      port,
      bindable_after_ms: released.bindable_after.map(|d| d.as_millis() as u64),
      stopped: released.stopped.clone(),
      parents_left: released.parents_left.clone(),
    });
  }
  for stopped in &released.stopped {
    let how = match (&stopped.service, stopped.process.killed) {
      // Its keeper ends the whole service, every port of it: said, as a port is asked for.
      (Some(service), _) => {
        format!("stopped dev service {service}, all of it, through its keeper; it held the port as")
      }
      (None, true) => "killed (SIGKILL after the grace)".into(),
      (None, false) => "stopped".into(),
    };
    context.report.stopped(&format!(
      "{how} pid {} ({})",
      stopped.process.pid, stopped.process.command
    ));
  }
  if let Some(note) = parents_note(&released.parents_left) {
    context.report.step(&note);
  }
  Ok(())
}

/// A holder's parent that outlived it (a restart loop, nodemon, a supervisor of its own)
/// may start it again at once: while one lives, the port is watched a moment before it is
/// called free. `Some` when it was taken again, naming who did it.
fn taken_again(port: u16, holders: &[Holder], stopped: &[release::Stopped]) -> Option<Error> {
  const SETTLE: Duration = Duration::from_millis(500);
  let me = std::process::id();
  let ancestors = sys::ancestors(me);
  let parents: Vec<ProcessId> = holders
    .iter()
    .map(|holder| holder.ppid)
    .filter(|parent| *parent > 1 && *parent != me && !ancestors.contains(parent))
    .filter(|parent| !stopped.iter().any(|s| s.process.pid == *parent))
    .filter_map(ProcessId::of)
    .collect();
  if parents.is_empty() {
    return None;
  }
  let until = Instant::now() + SETTLE;
  while Instant::now() < until {
    if !is_bindable(port) {
      let report = holders::inspect(port, &[]);
      let holder = report.holders.first()?;
      let restarter = sys::ancestors(holder.pid)
        .into_iter()
        .find(|pid| parents.iter().any(|parent| parent.pid == *pid))
        .unwrap_or(holder.ppid);
      let command = sys::command_line(restarter).unwrap_or_else(|| "?".into());
      return Some(Error::Port {
        message: format!(
          "port {port} was freed, then taken again by {}: `{command}` (pid {restarter}) started it again",
          holder.short()
        ),
        hint: format!(
          "stop what restarts it first (`kill {restarter}`, or its own stop command), then `dev port free {port}`"
        ),
      });
    }
    std::thread::sleep(Duration::from_millis(10));
  }
  None
}

#[derive(Serialize)]
struct Freed {
  port: u16,
  stopped: Vec<release::Stopped>,
  bindable_after_ms: Option<u64>,
  /// The holders' parents, not signalled: one may start the holder again.
  parents_left: Vec<release::Parent>,
}

/// Asks on the terminal; never when stdin is not one (scripts must say `--yes`).
fn confirm(context: &PortContext, question: &str) -> bool {
  if !std::io::stdin().is_terminal() {
    return false;
  }
  crate::ui::prompt::yes(&format!(
    "{} {question}\n  Stop them?",
    context.color.warning("?")
  ))
}
