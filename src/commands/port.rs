//! `dev port who|check|free|find`: the seeds' port managers, done right. Works in any
//! directory; inside a project it also knows that project's services and reservations.

use std::{
  io::{BufRead, IsTerminal, Write},
  time::Duration,
};

use serde::Serialize;

use crate::{
  cli::{PortCommand, all_ports},
  config::source::display_path,
  error::{Error, Result},
  ports::{
    allocate::dev_processes,
    holders::{self, Holder, PortReport, PortStatus},
    is_bindable,
    ledger::Ledger,
    release::{self, refusal},
  },
  project::Project,
  sys::Signal,
  ui::{
    color::Color,
    format::{count, elapsed},
    output::{Reporter, print_json, print_out, table},
  },
};

/// Exit codes of `dev port check`, most severe first.
const CHECK_LISTENING: i32 = 1;
const CHECK_BOUND: i32 = 3;
const CHECK_TIME_WAIT: i32 = 4;

pub(crate) struct PortContext<'a> {
  pub(crate) project: Option<&'a Project>,
  pub(crate) report: Reporter,
  pub(crate) color: Color,
}

impl PortContext<'_> {
  fn known_processes(&self) -> Vec<u32> {
    self.project.map(dev_processes).unwrap_or_default()
  }
}

/// Runs one `dev port` command; `Ok(code)` is the exit code (`check` uses several).
pub(crate) fn run(context: &PortContext, command: PortCommand) -> Result<i32> {
  match command {
    PortCommand::Who { ports, json } => who(context, &all_ports(&ports), json).map(|()| 0),
    PortCommand::Check { ports, json } => check(context, &all_ports(&ports), json),
    PortCommand::Free {
      port,
      grace,
      yes,
      json,
    } => free(context, port, grace, yes, json).map(|()| 0),
    PortCommand::Find { from, count, json } => find(context, from, count, json).map(|()| 0),
  }
}

fn who(context: &PortContext, ports: &[u16], json: bool) -> Result<()> {
  let known = context.known_processes();
  let reports: Vec<PortReport> = ports.iter().map(|p| holders::inspect(*p, &known)).collect();
  if json {
    return print_json(&reports);
  }
  let color = context.color;
  let mut out = String::new();
  for report in &reports {
    out.push_str(&format!(
      "{} {}\n",
      color.bold(&format!("port {}", report.port)),
      status_phrase(report)
    ));
    if !report.holders.is_empty() {
      let rows: Vec<Vec<String>> = report.holders.iter().map(holder_row).collect();
      let table = table(
        color,
        &["PID", "USER", "UP", "ADDRESS", "SERVICE", "CWD", "COMMAND"],
        &rows,
      );
      for line in table.lines() {
        out.push_str(&format!("  {line}\n"));
      }
    }
    for socket in &report.unseen {
      out.push_str(&format!(
        "  a process of user {} (uid {}) on {} — dev may not see which one; try `sudo dev port who {}`\n",
        socket.user, socket.uid, socket.address, report.port
      ));
    }
    if let Some(note) = time_wait_note(report) {
      out.push_str(&format!("  {}\n", color.dim(&note)));
    }
  }
  print_out(&out)
}

fn holder_row(holder: &Holder) -> Vec<String> {
  let addresses: Vec<String> = holder.addresses.iter().map(ToString::to_string).collect();
  vec![
    holder.pid.to_string(),
    holder.user.clone(),
    elapsed(holder.uptime()),
    addresses.join(", "),
    holder
      .service
      .as_ref()
      .map_or("-".into(), |service| service.name.clone()),
    holder
      .cwd
      .as_ref()
      .map_or("?".into(), |cwd| display_path(cwd)),
    holder.command.clone(),
  ]
}

/// `listening (python3, pid 4242)`, `free`, `free (TIME_WAIT only)`.
fn status_phrase(report: &PortReport) -> String {
  match report.status {
    PortStatus::Free => "free".into(),
    PortStatus::TimeWait => "free for servers (only TIME_WAIT left; SO_REUSEADDR binds)".into(),
    PortStatus::Bound => "bound but not listening".into(),
    PortStatus::Listening => "in use (listening)".into(),
  }
}

fn time_wait_note(report: &PortReport) -> Option<String> {
  let waiting = report.time_wait?;
  (waiting.count > 0).then(|| {
    format!(
      "{} in TIME_WAIT, the last gone in {}",
      count(waiting.count, "connection", "connections"),
      elapsed(Duration::from_millis(waiting.longest_ms))
    )
  })
}

fn check(context: &PortContext, ports: &[u16], json: bool) -> Result<i32> {
  let known = context.known_processes();
  let reports: Vec<PortReport> = ports.iter().map(|p| holders::inspect(*p, &known)).collect();
  let code = reports
    .iter()
    .map(|report| match report.status {
      PortStatus::Listening => CHECK_LISTENING,
      PortStatus::Bound => CHECK_BOUND,
      PortStatus::TimeWait => CHECK_TIME_WAIT,
      PortStatus::Free => 0,
    })
    .min_by_key(|code| match *code {
      0 => i32::MAX,
      code => code,
    })
    .unwrap_or(0);
  if json {
    // The same shape as `dev port who --json`: one concept, one shape.
    print_json(&reports)?;
    return Ok(code);
  }
  let mut out = String::new();
  for report in &reports {
    let detail = match report.status {
      PortStatus::Listening | PortStatus::Bound if !report.holders.is_empty() => {
        let holders: Vec<String> = report.holders.iter().map(Holder::short).collect();
        format!("{} by {}", status_phrase(report), holders.join(", "))
      }
      _ => status_phrase(report),
    };
    let note = time_wait_note(report)
      .filter(|_| report.status != PortStatus::TimeWait)
      .map(|note| format!(" · {note}"))
      .unwrap_or_default();
    out.push_str(&format!("{}  {detail}{note}\n", report.port));
  }
  print_out(&out)?;
  Ok(code)
}

fn free(context: &PortContext, port: u16, grace: Duration, yes: bool, json: bool) -> Result<()> {
  let report = holders::inspect(port, &context.known_processes());
  if report.status.is_free() {
    if json {
      print_json(&Freed {
        port,
        stopped: Vec::new(),
        bindable_after_ms: Some(0),
      })?;
    } else {
      context
        .report
        .success(&format!("port {port} is already free"));
    }
    return Ok(());
  }
  if report.holders.is_empty() {
    return Err(match report.unseen.first() {
      Some(socket) => Error::Port {
        message: format!(
          "port {port} is held by a process of user {} (uid {}) that dev cannot see",
          socket.user, socket.uid
        ),
        hint: format!("if you mean it: `sudo dev port free {port} --yes`"),
      },
      None => Error::Port {
        message: format!(
          "port {port} is in use only by connections ({}); nothing listens on it",
          report.connections.unwrap_or(0)
        ),
        hint: "dev does not stop clients; the port frees itself when they close".into(),
      },
    });
  }
  let refusals: Vec<String> = report
    .holders
    .iter()
    .filter_map(|holder| {
      refusal(holder, yes).map(|why| format!("pid {} ({}): {why}", holder.pid, holder.command))
    })
    .collect();
  if !refusals.is_empty() {
    return Err(Error::Port {
      message: format!("will not free port {port}: {}", refusals.join("; ")),
      hint: format!("`dev port who {port}` shows every holder"),
    });
  }
  let foreign: Vec<&Holder> = report
    .holders
    .iter()
    .filter(|holder| holder.service.is_none())
    .collect();
  if !foreign.is_empty() && !yes {
    let described: Vec<String> = foreign
      .iter()
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
    let question = format!(
      "port {port} is held by {}, which dev did not start",
      described.join(" and ")
    );
    if !confirm(context, &question) {
      return Err(Error::Port {
        message: question,
        hint: format!(
          "`dev port free {port} --yes` stops it (SIGTERM, then SIGKILL after the grace)"
        ),
      });
    }
  }
  let released = release::release(port, &report.holders, Signal::Term, grace);
  if json {
    print_json(&Freed {
      port,
      bindable_after_ms: released.bindable_after.map(|d| d.as_millis() as u64),
      stopped: released.stopped.clone(),
    })?;
  } else {
    for stopped in &released.stopped {
      let how = match (&stopped.service, stopped.process.killed) {
        (Some(service), _) => format!("stopped dev service {service} through its keeper:"),
        (None, true) => "killed (SIGKILL after the grace)".into(),
        (None, false) => "stopped".into(),
      };
      context.report.stopped(&format!(
        "{how} pid {} ({})",
        stopped.process.pid, stopped.process.command
      ));
    }
  }
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

/// A holder's parent that outlived it (a restart loop, nodemon, a supervisor of its own)
/// may start it again at once: while one lives, the port is watched a moment before it is
/// called free. `Some` when it was taken again, naming who did it.
fn taken_again(port: u16, holders: &[Holder], stopped: &[release::Stopped]) -> Option<Error> {
  const SETTLE: Duration = Duration::from_millis(500);
  let me = std::process::id();
  let ancestors = crate::sys::ancestors(me);
  let parents: Vec<crate::sys::ProcessId> = holders
    .iter()
    .map(|holder| holder.ppid)
    .filter(|parent| *parent > 1 && *parent != me && !ancestors.contains(parent))
    .filter(|parent| !stopped.iter().any(|s| s.process.pid == *parent))
    .filter_map(crate::sys::ProcessId::of)
    .collect();
  if parents.is_empty() {
    return None;
  }
  let until = std::time::Instant::now() + SETTLE;
  while std::time::Instant::now() < until {
    if !is_bindable(port) {
      let report = holders::inspect(port, &[]);
      let holder = report.holders.first()?;
      let restarter = crate::sys::ancestors(holder.pid)
        .into_iter()
        .find(|pid| parents.iter().any(|parent| parent.pid == *pid))
        .unwrap_or(holder.ppid);
      let command = crate::sys::command_line(restarter).unwrap_or_else(|| "?".into());
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
}

/// Asks on the terminal; never when stdin is not one (scripts must say `--yes`).
fn confirm(context: &PortContext, question: &str) -> bool {
  if !std::io::stdin().is_terminal() {
    return false;
  }
  let mut stderr = std::io::stderr();
  let _ = write!(
    stderr,
    "{} {question}. Stop it? [y/N] ",
    context.color.warning("?")
  );
  let _ = stderr.flush();
  let mut answer = String::new();
  let _ = std::io::stdin().lock().read_line(&mut answer);
  matches!(answer.trim(), "y" | "Y" | "yes" | "Yes")
}

fn find(context: &PortContext, from: u16, wanted: usize, json: bool) -> Result<()> {
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
