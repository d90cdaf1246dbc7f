//! "Did my change work?": after a save (a keeper that watches restarts the service by
//! itself) or a restart asked for here, wait for the service's new run to be ready or to
//! fail, and say which, how long it took, and the first error lines of its output. Ready is
//! what `dev wait` and `dev health` mean: the run's own probe passes, answered by the run.
//! A run is new when it started after the call, or at most `since_seconds` before it (the
//! agent's save may have restarted it while the agent was still deciding to ask).

use std::{
  thread,
  time::{Duration, Instant},
};

use serde_json::{Value, json};

use super::{
  Context,
  args::{Args, Bad},
  child,
  tools::{error_text, structured},
};
use crate::{
  commands::health::probe_all,
  project::Project,
  state::{Liveness, ServiceState},
  supervise::{log_tail::current_run, spec::KeeperSpec},
  ui::{color::Color, format::status_text, suggestion::suggest, timestamp::now_millis},
};

const LOOK_EVERY: Duration = Duration::from_millis(100);
/// A run that started before the call is taken only once this has passed without another
/// starting: the save the agent asks about may have been seen (the debounce, 200 ms by
/// default) but its restart not begun yet, and the run before it is not its answer.
const SETTLE: Duration = Duration::from_millis(1500);
/// Lines of the run's output returned: from the first error on, and its end.
const ERROR_LINES: usize = 20;
const LAST_LINES: usize = 20;
const CONTEXT_BEFORE: usize = 3;

/// What a look at the service found.
enum Seen {
  Ready,
  /// The new run ended (how).
  Failed(String),
  /// Not yet: what is awaited.
  Waiting(String),
  /// Nothing runs, nothing will start by itself.
  NotRunning(String),
}

/// What the agent asked: which service, whether to restart it first, how far back a run
/// counts as new, and how long to wait.
struct Ask {
  service: String,
  restart: bool,
  /// `since_seconds` when the call gave it.
  since: Option<Duration>,
  timeout: Duration,
  /// Whether the running service restarts by itself on a save (set once the project is
  /// read): a service that does not cannot answer for a save, whatever run it shows.
  watches: bool,
}

impl Ask {
  fn parse(arguments: &Value) -> Result<Self, Bad> {
    let args = Args::new(
      arguments,
      &["service", "restart", "since_seconds", "timeout_seconds"],
    )?;
    Ok(Self {
      service: args.name("service")?,
      restart: args.boolean("restart")?,
      since: args.duration("since_seconds")?,
      timeout: Duration::from_secs(
        args
          .integer("timeout_seconds", Some(60), 1..=600)?
          .unwrap_or(60),
      ),
      watches: true,
    })
  }
}

pub(super) fn await_change(context: &Context, arguments: &Value) -> Result<Value, Bad> {
  let mut ask = Ask::parse(arguments)?;
  if ask.restart && context.read_only {
    return Ok(error_text(
      "`restart: true` restarts the service, and this server was started with `dev mcp \
       --read-only`; call await_change without `restart` after a save the service watches",
    ));
  }
  let project = match (context.load)() {
    Ok(project) => project,
    Err(error) => {
      return Ok(error_text(
        &error.render(Color::for_stream(Default::default(), false)),
      ));
    }
  };
  if project.config.service(&ask.service).is_none() {
    let known = project.service_names();
    let hint = suggest(&ask.service, known.iter().map(String::as_str)).map_or_else(
      || format!("its services: {}", known.join(", ")),
      |s| format!("did you mean `{s}`?"),
    );
    return Ok(error_text(&format!(
      "no service named `{}` in {}; {hint}",
      ask.service,
      project.config.path.display()
    )));
  }
  ask.watches = KeeperSpec::read(&project.state, &ask.service).map_or(true, |spec| spec.watches());
  let called = now_millis();
  let begun = Instant::now();
  let mut restarted = None;
  if ask.restart {
    let words = vec!["restart".to_owned(), "-d".to_owned(), ask.service.clone()];
    restarted = Some(child::dev(context, &words, ask.timeout).text());
  }
  let (outcome, detail, state) = watch(&project, &ask, called, begun);
  let report = Report {
    service: &ask.service,
    outcome,
    detail,
    begun,
    baseline: baseline(&ask, called),
    restarted,
    read_only: context.read_only,
  };
  Ok(report.render(state.as_ref()))
}

/// Unix ms from which a run counts as the new one: a run of a service that watches may
/// have been started by the save the agent asks about, 10 s back by default; one of a
/// service that does not was not (unless the call says since when).
fn baseline(ask: &Ask, called: u64) -> u64 {
  let since = match ask.since {
    _ if ask.restart => Duration::ZERO,
    Some(since) => since,
    None if ask.watches => Duration::from_secs(10),
    None => Duration::ZERO,
  };
  called.saturating_sub(since.as_millis() as u64)
}

/// Looks until the new run is ready, failed, or the time is up: the outcome, why, and the
/// service's state at the end.
fn watch(
  project: &Project,
  ask: &Ask,
  called: u64,
  begun: Instant,
) -> (&'static str, String, Option<ServiceState>) {
  let baseline = baseline(ask, called);
  let mut first_run: Option<u64> = None;
  loop {
    let (seen, state) = look(project, &ask.service, baseline);
    // A run seen starting that was replaced by another: it failed between two looks (a
    // restart policy ran it again at once).
    let seen = match (&state, first_run) {
      (Some(state), Some(first)) if started_ms(state) != first => Seen::Failed(
        state
          .last_failure
          .clone()
          .unwrap_or_else(|| "ended and was restarted".into()),
      ),
      _ => seen,
    };
    let settled = ask.restart || begun.elapsed() >= SETTLE;
    let before_call = state
      .as_ref()
      .is_some_and(|state| started_ms(state) < called);
    let seen = match seen {
      Seen::Ready | Seen::Failed(_) if !settled && before_call => {
        Seen::Waiting("a restart the change may have caused".into())
      }
      seen => seen,
    };
    if let (Some(state), Seen::Waiting(_), None) = (&state, &seen, first_run)
      && started_ms(state) >= baseline
      && (settled || !before_call)
    {
      first_run = Some(started_ms(state));
    }
    // Nothing restarts it on a save: waiting out the timeout would only hide that.
    if let (Seen::Waiting(_), Some(state)) = (&seen, &state)
      && !ask.watches
      && !ask.restart
      && started_ms(state) < baseline
    {
      return (
        "no_new_run",
        format!("{} does not watch its files", ask.service),
        None,
      );
    }
    match seen {
      Seen::Ready => return ("ready", String::new(), state),
      Seen::Failed(why) => return ("failed", why, state),
      Seen::NotRunning(why) => return ("not_running", why, state),
      Seen::Waiting(why) if begun.elapsed() >= ask.timeout => {
        let outcome = if first_run.is_some() {
          "timeout"
        } else {
          "no_new_run"
        };
        return (outcome, why, state);
      }
      Seen::Waiting(_) => thread::sleep(LOOK_EVERY),
    }
  }
}

/// The service now, and its state when it has one.
fn look(project: &Project, service: &str, baseline: u64) -> (Seen, Option<ServiceState>) {
  match project.check(service) {
    None => (
      Seen::NotRunning("not running: never started here, or stopped".into()),
      None,
    ),
    Some(Liveness::Stale(state)) => (
      Seen::NotRunning("its keeper was killed; dev ended what it left behind".into()),
      Some(state),
    ),
    Some(Liveness::Exited(state, exit)) => {
      let why = status_text(exit.status());
      if started_ms(&state) >= baseline {
        (Seen::Failed(why), Some(state))
      } else {
        (
          Seen::NotRunning(format!("not running: its last run {why}")),
          Some(state),
        )
      }
    }
    Some(Liveness::Running(state)) => (running(project, &state, baseline), Some(state)),
  }
}

fn running(project: &Project, state: &ServiceState, baseline: u64) -> Seen {
  if started_ms(state) < baseline {
    let ago = now_millis().saturating_sub(started_ms(state)) / 1000;
    return Seen::Waiting(format!(
      "a new run: the current one started {ago}s ago, before the change (does the service \
       watch its files? `watch:` in devtasks.yaml or `dev up --watch`; else call with restart: true)"
    ));
  }
  if state.transition.is_some() {
    return Seen::Waiting("its keeper to finish restarting it".into());
  }
  if let Some(exit) = state.exit.or(state.main_ended) {
    return Seen::Failed(status_text(exit.status()));
  }
  if state.main_has_ended() {
    return Seen::Failed("its main process ended".into());
  }
  let rows = probe_all(project, std::slice::from_ref(&state.service));
  match rows.first() {
    // Nothing to probe (no port, no health check): running is all there is to know.
    None => Seen::Ready,
    Some(row) if row.healthy => Seen::Ready,
    Some(row) => Seen::Waiting(format!("not ready yet: {}", row.detail)),
  }
}

fn started_ms(state: &ServiceState) -> u64 {
  state.started_at_ms.max(state.started_at * 1000)
}

struct Report<'a> {
  service: &'a str,
  outcome: &'static str,
  detail: String,
  begun: Instant,
  baseline: u64,
  restarted: Option<String>,
  /// The hints then name what the user runs, not the tools this server does not offer.
  read_only: bool,
}

impl Report<'_> {
  fn render(self, state: Option<&ServiceState>) -> Value {
    let new_run = state.filter(|state| started_ms(state) >= self.baseline);
    let output: Vec<String> = new_run
      .map(|state| current_run(&state.log))
      .unwrap_or_default()
      .lines()
      .filter(|line| !line.starts_with("──── "))
      .map(str::to_owned)
      .collect();
    let ready = self.outcome == "ready";
    let mut result = json!({
      "service": self.service,
      "outcome": self.outcome,
      "took_ms": new_run.map(|state| now_millis().saturating_sub(started_ms(state))),
      "waited_ms": self.begun.elapsed().as_millis() as u64,
      "detail": self.detail,
      "error_lines": first_errors(&output),
      "last_lines": if ready { Vec::new() } else { output[output.len().saturating_sub(LAST_LINES)..].to_vec() },
    });
    if let Some(state) = new_run {
      result["run"] = json!({
        "pid": state.process.map(|p| p.pid),
        "started_at_ms": started_ms(state),
        "ports": state.ports.iter().map(|(name, port)| (name.clone(), json!(port))).collect::<serde_json::Map<_, _>>(),
        "restarts": state.restarts,
        "log": state.log.display().to_string(),
      });
    }
    if let Some(said) = self.restarted {
      result["restart_output"] = json!(said);
    }
    let service = self.service;
    let hint = match (self.outcome, self.read_only) {
      ("no_new_run", false) => "no run started since the change: call await_change with \
                                restart: true, or restart_service (`watch:` in devtasks.yaml \
                                makes a save restart it)"
        .to_owned(),
      ("no_new_run", true) => format!(
        "no run started since the change, and this server is read-only: ask the user to run \
         `dev restart {service}` (`watch:` in devtasks.yaml makes a save restart it)"
      ),
      ("not_running", false) => format!("start it with start_service (`dev up -d {service}`)"),
      ("not_running", true) => {
        format!("this server is read-only: ask the user to start it (`dev up -d {service}`)")
      }
      _ => String::new(),
    };
    if !hint.is_empty() {
      result["hint"] = json!(hint);
    }
    structured(result, !ready)
  }
}

/// The run's output around its first line that reads like an error (`SyntaxError: …`, a
/// traceback's first line, `error[E0425]`, `Cannot find module`): a few lines before it
/// (where Python says which file and line), that line, and those after it.
fn first_errors(lines: &[String]) -> Vec<String> {
  let error = regex_lite::Regex::new(
    r"(?i)(error|exception)\b|\b(traceback|panic|panicked|fatal|failed|failure|cannot|unable to|not found|undefined|refused)\b",
  )
  .expect("a valid regex");
  lines
    .iter()
    .position(|line| error.is_match(line))
    .map(|first| {
      let from = first.saturating_sub(CONTEXT_BEFORE);
      lines[from..].iter().take(ERROR_LINES).cloned().collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
  use super::first_errors;

  fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
  }

  #[test]
  fn the_first_error_comes_with_the_lines_that_say_where() {
    let output = lines(
      "serving\nstill fine\n  File \"app.py\", line 2\n    class A(B)\n             ^\nSyntaxError: expected ':'\n",
    );
    assert_eq!(
      first_errors(&output),
      lines("  File \"app.py\", line 2\n    class A(B)\n             ^\nSyntaxError: expected ':'")
    );
  }

  #[test]
  fn output_without_an_error_has_no_error_lines() {
    assert!(first_errors(&lines("serving on 8000\nGET / 200")).is_empty());
  }
}
