//! `dev port who|check|free|find`: the seeds' port managers, done right. Works in any
//! directory; inside a project it also knows that project's services and reservations.

mod find;
mod free;
mod of;
mod stream;

use std::time::Duration;

use crate::{
  cli::PortCommand,
  config::source::display_path,
  error::{Error, Result},
  ports::ranges::all_ports,
  ports::{
    allocate::dev_processes,
    holders::{Holder, PortReport, PortStatus},
  },
  project::Project,
  sys,
  ui::{
    color::Color,
    format::{count, elapsed},
    output::{Reporter, table},
  },
};

/// Exit codes of `dev port check`, most severe first.
const CHECK_LISTENING: i32 = 1;
const CHECK_BOUND: i32 = 3;
const CHECK_TIME_WAIT: i32 = 4;
/// Free to a trial bind, but a `dev` is starting a service on it.
const CHECK_CLAIMED: i32 = 5;

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
      other_users,
      json,
    } => free::free(
      context,
      port,
      grace,
      free::Consent { yes, other_users },
      json,
    )
    .map(|()| 0),
    PortCommand::Find { from, count, json } => find::find(context, from, count, json).map(|()| 0),
    PortCommand::Of { service, name } => of::of(context, &service, name.as_deref()).map(|()| 0),
    PortCommand::Service(words) => of::of_words(context, &words).map(|()| 0),
  }
}

fn who(context: &PortContext, ports: &[u16], json: bool) -> Result<()> {
  let color = context.color;
  stream::each_report(context, ports, json, |report| {
    let mut out = format!(
      "{} {}\n",
      color.bold(&format!("port {}", report.port)),
      status_phrase(report)
    );
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
        "  a process of user {} (uid {}) on {} — dev may not see which one; try {}\n",
        socket.user,
        socket.uid,
        socket.address,
        sys::as_admin(&format!("dev port who {}", report.port))
      ));
    }
    if let Some(note) = time_wait_note(report) {
      out.push_str(&format!("  {}\n", color.dim(&note)));
    }
    let unexplained = report.holders.is_empty() && report.unseen.is_empty();
    if unexplained && report.claim.is_none() && !sys::SEES_EVERY_SOCKET {
      // Said rather than guessed: there is no socket table to read without root.
      out.push_str(&format!(
        "  {}\n",
        color.dim("this system shows neither TIME_WAIT leftovers nor other users' sockets to dev")
      ));
    }
    out
  })
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
    PortStatus::Claimed => match &report.claim {
      Some(claim) => format!(
        "claimed by dev for `{}` of {}: nothing listens on it yet, the service is starting",
        claim.service,
        display_path(&claim.project),
      ),
      None => "claimed by dev".into(),
    },
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
  let mut code = 0;
  let result = stream::each_report(context, ports, json, |report| {
    code = more_severe(code, check_code(report.status));
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
    format!("{}  {detail}{note}\n", report.port)
  });
  // The reader gone (`| head -1`): what it read is all it wanted; quietly 0.
  match result {
    Err(Error::OutputClosed) => Ok(0),
    Err(error) => Err(error),
    Ok(()) => Ok(code),
  }
}

fn check_code(status: PortStatus) -> i32 {
  match status {
    PortStatus::Listening => CHECK_LISTENING,
    PortStatus::Bound => CHECK_BOUND,
    PortStatus::Claimed => CHECK_CLAIMED,
    PortStatus::TimeWait => CHECK_TIME_WAIT,
    PortStatus::Free => 0,
  }
}

/// The worse of two exit codes of `check`: listening, bound, claimed, TIME_WAIT, free.
fn more_severe(a: i32, b: i32) -> i32 {
  const ORDER: [i32; 5] = [
    CHECK_LISTENING,
    CHECK_BOUND,
    CHECK_CLAIMED,
    CHECK_TIME_WAIT,
    0,
  ];
  let rank = |code| ORDER.iter().position(|c| *c == code).unwrap_or(0);
  if rank(a) <= rank(b) { a } else { b }
}
