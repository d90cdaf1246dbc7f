//! `dev ui` (and `dev up --ui`): a dashboard of the project's running services, wherever
//! they were started — it reads what the keepers already write (state files, log files) and
//! acts through the CLI's own verbs. Quitting never stops a service.
//!
//! Light under load: it looks for news ten times a second, reads at most a screenful's worth
//! of a service that prints faster (the file keeps every line), draws at most 30 frames a
//! second and only when something changed, and never captures the mouse, so the terminal's
//! own selection copies text.

mod act;
mod board;
mod feed;
mod screen;
mod services;
mod task_file;
mod view;

use std::{
  collections::HashMap,
  io::{self, IsTerminal},
  path::PathBuf,
  sync::mpsc::{self, Receiver, RecvTimeoutError},
  thread,
  time::{Duration, Instant},
};

use ratatui::crossterm::event;

use self::{
  act::Actions,
  board::{Action, Board},
  feed::Feed,
  screen::{Screen, terminal_error},
  services::{Probed, Reader},
  task_file::TaskFile,
  view::Palette,
};
use crate::{
  commands::health,
  error::{Error, Result},
  project::Project,
  sys::{self, Signal},
};

/// News (log lines, keys) is looked for this often when nothing happens.
const LOOK_EVERY: Duration = Duration::from_millis(100);
/// At most 30 frames a second, however fast lines come.
const FRAME: Duration = Duration::from_millis(33);
/// The services' rows (state files, CPU, memory) are read again this often.
const ROWS_EVERY: Duration = Duration::from_secs(1);
/// Health is probed this often (and at once on `h`): each probe is a request the service
/// may log, so not as often as `dev health --watch`.
const PROBE_EVERY: Duration = Duration::from_secs(5);

pub(crate) fn ui(project: &Project) -> Result<()> {
  if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
    return Err(Error::Usage {
      message: "`dev ui` draws a dashboard and needs a terminal".into(),
      usage: "dev ui   (for scripts: dev status --json, dev logs -f, dev health --json)".into(),
    });
  }
  let mut names = project.service_names();
  names.extend(project.orphans());
  let logs: Vec<PathBuf> = names
    .iter()
    .map(|name| project.config.log_of(name))
    .collect();
  let (probe_now, probe_requests) = mpsc::channel();
  let (health_sender, health) = mpsc::channel();
  thread::scope(|scope| {
    scope.spawn(move || prober(project, &probe_requests, &health_sender));
    let result = show(project, names, &logs, &health, &probe_now);
    drop(probe_now);
    result
  })
}

/// Probes every running service, again and again, until the dashboard is gone.
fn prober(
  project: &Project,
  requests: &Receiver<()>,
  results: &mpsc::Sender<HashMap<String, Probed>>,
) {
  let mut task_file = TaskFile::new(project);
  loop {
    task_file.refresh();
    let at_ms = crate::ui::timestamp::now_millis();
    let probed = health::probe_all_looking(task_file.project())
      .into_iter()
      .map(|row| {
        let probed = Probed {
          healthy: row.healthy,
          latency_ms: row.latency_ms,
          detail: row.detail,
          at_ms,
        };
        (row.service, probed)
      })
      .collect();
    if results.send(probed).is_err() {
      return;
    }
    if let Err(RecvTimeoutError::Disconnected) = requests.recv_timeout(PROBE_EVERY) {
      return;
    }
  }
}

fn show(
  project: &Project,
  names: Vec<String>,
  logs: &[PathBuf],
  health_results: &Receiver<HashMap<String, Probed>>,
  probe_now: &mpsc::Sender<()>,
) -> Result<()> {
  let (feed, backlog) = Feed::open(logs);
  let (done, outcomes) = mpsc::channel();
  let mut dashboard = Dashboard {
    task_file: TaskFile::new(project),
    names,
    board: Board {
      lines: backlog.into(),
      message: "? for keys · q quits (services keep running)".into(),
      ..Board::default()
    },
    feed,
    actions: Actions {
      exe: std::env::current_exe().map_err(Error::io("cannot find the dev executable"))?,
      config: project.config.path.clone(),
      done,
    },
    outcomes,
    probe_now,
    reader: Reader::default(),
    health: HashMap::new(),
    busy: HashMap::new(),
    rows_due: Instant::now(),
  };
  let palette = Palette {
    colors: project.color.is_enabled(),
  };
  // `kill` of the dashboard (TERM, INT, HUP) would otherwise end it with the terminal
  // still raw, on the alternate screen, with no cursor: heard here, it quits and the
  // screen is given back. (In raw mode Ctrl+C is a key, not a signal.)
  let signals = sys::listen_for_signals(&[Signal::Int, Signal::Term, Signal::Hup])
    .map_err(Error::io("cannot install signal handlers"))?;
  let mut screen = Screen::open()?;
  let (mut drawn, mut dirty) = (Instant::now(), true);
  loop {
    if signals.try_recv().is_ok() {
      return Err(Error::Interrupted);
    }
    let wait = if dirty {
      FRAME.saturating_sub(drawn.elapsed())
    } else {
      LOOK_EVERY
    };
    if event::poll(wait).map_err(terminal_error)? {
      match event::read().map_err(terminal_error)? {
        event::Event::Key(key) if key.kind != event::KeyEventKind::Release => {
          dirty = true;
          if let Some(action) = dashboard.board.key(key)
            && dashboard.act(action, &mut screen)?
          {
            return Ok(());
          }
        }
        event::Event::Resize(..) => dirty = true,
        _ => {}
      }
    }
    dirty |= dashboard.take_news(health_results);
    if dirty && drawn.elapsed() >= FRAME {
      screen
        .terminal
        .draw(|frame| view::draw(frame, &mut dashboard.board, &palette))
        .map_err(terminal_error)?;
      drawn = Instant::now();
      dirty = false;
    }
  }
}

/// The board and what feeds it: logs, rows, probes, the outcomes of actions.
struct Dashboard<'a> {
  /// devtasks.yaml as it is now.
  task_file: TaskFile,
  /// The services shown: the task file's, then any other found running (a service added to
  /// the file and started since the dashboard opened, one removed while it ran).
  names: Vec<String>,
  board: Board,
  feed: Feed,
  actions: Actions,
  outcomes: Receiver<act::Outcome>,
  probe_now: &'a mpsc::Sender<()>,
  reader: Reader,
  health: HashMap<String, Probed>,
  /// Services with a verb in flight, and what to show meanwhile ("restarting…").
  busy: HashMap<String, &'static str>,
  rows_due: Instant,
}

impl Dashboard<'_> {
  /// Does what a key asked; true to quit.
  fn act(&mut self, action: Action, screen: &mut Screen) -> Result<bool> {
    let board = &mut self.board;
    board.message = match action {
      Action::Quit => return Ok(true),
      Action::Verb(verb, service) => {
        let doing = self.actions.verb(verb, &service);
        self.busy.insert(service.clone(), doing);
        self.rows_due = Instant::now();
        format!("{service}: {verb}…")
      }
      Action::ProbeNow => {
        let _ = self.probe_now.send(());
        "probing…".into()
      }
      Action::Open(url) => match crate::ui::browser::open(&url) {
        Ok(said) => said.unwrap_or_else(|| format!("not opening {url} in CI")),
        Err(problem) => problem,
      },
      Action::Copy(lines) => match act::copy(&lines.join("\n")) {
        Ok(()) => format!("copied {} lines (OSC 52)", lines.len()),
        Err(error) => format!("cannot copy: {error}"),
      },
      Action::Pager(service) => {
        let log = self.task_file.project().config.log_of(&service);
        screen.suspended(|| match act::pager_command(&log).status() {
          Ok(_) => String::new(),
          Err(error) => format!("cannot run the pager: {error} (set $PAGER)"),
        })?
      }
    };
    Ok(false)
  }

  /// New log lines, probe results, outcomes, and (every second) the rows; true when the
  /// screen must change.
  fn take_news(&mut self, health_results: &Receiver<HashMap<String, Probed>>) -> bool {
    let mut changed = false;
    let new = self.feed.new_lines();
    if !new.is_empty() {
      self.board.push(new);
      self.board.skipped = self.feed.skipped();
      changed = true;
    }
    while let Ok(probed) = health_results.try_recv() {
      self.health = probed;
      self.rows_due = Instant::now();
    }
    while let Ok(outcome) = self.outcomes.try_recv() {
      self.busy.remove(&outcome.service);
      self.board.message = outcome.message;
      self.rows_due = Instant::now();
      changed = true;
    }
    if self.rows_due <= Instant::now() {
      self.task_file.refresh();
      let project = self.task_file.project();
      let (named, running) = (project.service_names(), project.state.services());
      for name in named.into_iter().chain(running) {
        if !self.names.contains(&name) {
          self.feed.add(project.config.log_of(&name));
          self.names.push(name);
        }
      }
      let rows = self
        .reader
        .read(project, &self.names, &self.health, &self.busy);
      changed |= rows != self.board.services;
      self.board.services = rows;
      self.rows_due = Instant::now() + ROWS_EVERY;
    }
    changed
  }
}
