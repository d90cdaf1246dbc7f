//! What the dashboard shows and where the user is in it — pure state: the services' rows, the
//! log lines kept for scrollback, the selection, follow, search and filter. Keys become
//! changes here or `Action`s for the outside world; nothing here draws or touches the system.

use std::collections::VecDeque;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::services::ServiceView;

/// Lines kept for scrollback, all services together; older ones are still in the log files
/// (`p` opens the focused one in the pager).
pub(crate) const KEPT_LINES: usize = 20_000;

/// One line of a service's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogLine {
  pub(crate) service: usize,
  pub(crate) text: String,
}

/// What a key asks of the world outside the board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
  Quit,
  /// A CLI verb on the selected service: `restart`, `stop`, `start`, `force`.
  Verb(&'static str, String),
  Open(String),
  ProbeNow,
  Pager(String),
  /// Copy these lines to the clipboard (OSC 52).
  Copy(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Prompt {
  Search(String),
  Filter(String),
}

#[derive(Default)]
pub(crate) struct Board {
  pub(crate) services: Vec<ServiceView>,
  pub(crate) selected: usize,
  /// Only the selected service's lines (else every service's, prefixed).
  pub(crate) focused: bool,
  pub(crate) lines: VecDeque<LogLine>,
  /// Lines between the newest shown line and the newest line (0: at the bottom).
  pub(crate) scroll: usize,
  pub(crate) paused: bool,
  pub(crate) search: Option<String>,
  /// The match `n` / `N` go on from (an index into `visible`).
  pub(crate) found: Option<usize>,
  pub(crate) filter: Option<String>,
  pub(crate) prompt: Option<Prompt>,
  pub(crate) help: bool,
  /// The last action's outcome, or a hint.
  pub(crate) message: String,
  /// Rows of the log pane, as last drawn (paging moves by it).
  pub(crate) page: usize,
  /// Log bytes not shown because services printed faster than a screen (all in the files).
  pub(crate) skipped: u64,
}

impl Board {
  pub(crate) fn selected_name(&self) -> Option<String> {
    self.services.get(self.selected).map(|s| s.name.clone())
  }

  /// New lines from the logs. While paused (scrolled up), the view stays where it is.
  pub(crate) fn push(&mut self, new: Vec<LogLine>) {
    for line in new {
      // Scrolled up: the lines on screen stay on screen.
      if self.paused && self.shows(&line) {
        self.scroll += 1;
      }
      self.lines.push_back(line);
    }
    while self.lines.len() > KEPT_LINES {
      // The current match keeps pointing at its line.
      if let Some(dropped) = self.lines.pop_front()
        && self.shows(&dropped)
      {
        self.found = self.found.and_then(|index| index.checked_sub(1));
      }
    }
  }

  /// Whether a line belongs in the log pane now (focus and filter).
  pub(crate) fn shows(&self, line: &LogLine) -> bool {
    (!self.focused || line.service == self.selected)
      && self
        .filter
        .as_ref()
        .is_none_or(|filter| contains(&line.text, filter))
  }

  /// The lines the pane can show, oldest first.
  pub(crate) fn visible(&self) -> Vec<&LogLine> {
    self.lines.iter().filter(|line| self.shows(line)).collect()
  }

  /// The `rows` lines on screen now.
  pub(crate) fn window(&self, rows: usize) -> Vec<&LogLine> {
    let visible = self.visible();
    let end = visible.len().saturating_sub(self.scroll);
    visible[end.saturating_sub(rows)..end].to_vec()
  }

  pub(crate) fn key(&mut self, key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
      return Some(Action::Quit);
    }
    if let Some(prompt) = self.prompt.take() {
      self.prompt_key(prompt, key.code);
      return None;
    }
    if self.help {
      self.help = false;
      return None;
    }
    let service = self.selected_name();
    let verb = |verb| service.clone().map(|name| Action::Verb(verb, name));
    match key.code {
      KeyCode::Char('q') => return Some(Action::Quit),
      KeyCode::Char('?') => self.help = true,
      KeyCode::Down | KeyCode::Char('j') => self.select(self.selected + 1),
      KeyCode::Up | KeyCode::Char('k') => self.select(self.selected.saturating_sub(1)),
      KeyCode::Tab | KeyCode::Enter => {
        self.focused = !self.focused;
        self.follow_newest();
      }
      KeyCode::Char('r') => return verb("restart"),
      KeyCode::Char('s') => return verb("stop"),
      KeyCode::Char('u') => return verb("start"),
      KeyCode::Char('K') => return verb("force"),
      KeyCode::Char('o') => return self.url().map(Action::Open),
      KeyCode::Char('h') => return Some(Action::ProbeNow),
      KeyCode::Char('p') => return service.map(Action::Pager),
      KeyCode::Char('y') => {
        let rows = self.page.max(1);
        let lines = self.window(rows).iter().map(|l| l.text.clone()).collect();
        return Some(Action::Copy(lines));
      }
      KeyCode::Char('f') | KeyCode::End | KeyCode::Char('G') => {
        if self.paused || key.code != KeyCode::Char('f') {
          self.follow_newest();
        } else {
          self.paused = true;
        }
      }
      KeyCode::PageUp | KeyCode::Char('b') => self.scroll_up(self.page.max(1)),
      KeyCode::PageDown | KeyCode::Char(' ') => self.scroll_down(self.page.max(1)),
      KeyCode::Home | KeyCode::Char('g') => self.scroll_up(usize::MAX / 2),
      KeyCode::Char('/') => self.prompt = Some(Prompt::Search(String::new())),
      KeyCode::Char('&') => self.prompt = Some(Prompt::Filter(String::new())),
      KeyCode::Char('n') => self.find(true),
      KeyCode::Char('N') => self.find(false),
      KeyCode::Esc => {
        // The footer said the search ("/tick"): it goes with it.
        if self.search.take().is_some() | self.filter.take().is_some() {
          self.message.clear();
        }
        self.follow_newest();
      }
      _ => {}
    }
    None
  }

  fn prompt_key(&mut self, prompt: Prompt, code: KeyCode) {
    let (mut text, search) = match prompt {
      Prompt::Search(text) => (text, true),
      Prompt::Filter(text) => (text, false),
    };
    match code {
      KeyCode::Esc => return,
      KeyCode::Enter => {
        let value = (!text.is_empty()).then_some(text);
        if search {
          self.search = value;
          self.found = None;
          self.find(true);
        } else {
          self.filter = value;
          self.follow_newest();
        }
        return;
      }
      KeyCode::Backspace => {
        text.pop();
      }
      KeyCode::Char(c) => text.push(c),
      _ => {}
    }
    self.prompt = Some(if search {
      Prompt::Search(text)
    } else {
      Prompt::Filter(text)
    });
  }

  fn select(&mut self, index: usize) {
    self.selected = index.min(self.services.len().saturating_sub(1));
    if self.focused {
      self.follow_newest();
    }
  }

  fn url(&self) -> Option<String> {
    self.services.get(self.selected)?.url.clone()
  }

  fn follow_newest(&mut self) {
    self.scroll = 0;
    self.paused = false;
    self.found = None;
  }

  fn scroll_up(&mut self, by: usize) {
    let most = self.visible().len().saturating_sub(self.page.max(1));
    self.scroll = self.scroll.saturating_add(by).min(most);
    self.paused = self.scroll > 0;
  }

  fn scroll_down(&mut self, by: usize) {
    self.scroll = self.scroll.saturating_sub(by);
    self.paused = self.scroll > 0;
  }

  /// The next match of the search, older (`n`) or newer (`N`) than the current one — at
  /// first, the newest on screen or above it — brought to the middle of the pane.
  fn find(&mut self, older: bool) {
    let Some(search) = self.search.clone() else {
      self.message = "no search: press / first".into();
      return;
    };
    let visible = self.visible();
    let total = visible.len();
    let current = self.found.filter(|&index| index < total);
    let matches = |&index: &usize| contains(&visible[index].text, &search);
    let found = match (older, current) {
      (true, Some(index)) => (0..index).rev().find(matches),
      (true, None) => (0..total.saturating_sub(self.scroll)).rev().find(matches),
      (false, Some(index)) => (index + 1..total).find(matches),
      (false, None) => (total.saturating_sub(self.scroll)..total).find(matches),
    };
    match found {
      Some(index) => {
        let half = self.page.max(1) / 2;
        self.scroll = total.saturating_sub(index + 1 + half);
        self.paused = self.scroll > 0;
        self.found = Some(index);
        self.message = format!("/{search}");
      }
      None => {
        let way = if older { "above" } else { "below" };
        self.message = format!("/{search}: no more matches {way}");
      }
    }
  }
}

/// Smart case, as in less and vim: a lowercase pattern matches any case.
pub(crate) fn contains(text: &str, pattern: &str) -> bool {
  if pattern.chars().any(char::is_uppercase) {
    text.contains(pattern)
  } else {
    text.to_lowercase().contains(pattern)
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn board(lines: usize, page: usize) -> Board {
    let mut board = Board {
      page,
      ..Board::default()
    };
    board.push(
      (0..lines)
        .map(|i| LogLine {
          service: i % 2,
          text: format!("line {i}"),
        })
        .collect(),
    );
    board
  }

  fn press(board: &mut Board, keys: &str) {
    for c in keys.chars() {
      let code = match c {
        '\n' => KeyCode::Enter,
        '\u{1b}' => KeyCode::Esc,
        c => KeyCode::Char(c),
      };
      board.key(KeyEvent::new(code, KeyModifiers::NONE));
    }
  }

  #[test]
  fn esc_clears_the_search_and_its_line_in_the_footer() {
    let mut board = board(50, 10);
    press(&mut board, "/line 3\n");
    assert_eq!(board.message, "/line 3");
    press(&mut board, "\u{1b}");
    assert_eq!(board.search, None);
    assert_eq!(board.message, "");
  }

  fn shown(board: &Board) -> Vec<String> {
    board
      .window(board.page)
      .iter()
      .map(|l| l.text.clone())
      .collect()
  }

  #[test]
  fn search_brings_a_line_from_far_above_into_view_and_n_goes_on_upwards() {
    let mut b = board(1000, 10);
    press(&mut b, "/line 12\n");
    assert!(
      shown(&b).contains(&"line 129".to_string()),
      "{:?}",
      shown(&b)
    );
    press(&mut b, "n");
    assert!(
      shown(&b).contains(&"line 128".to_string()),
      "{:?}",
      shown(&b)
    );
    press(&mut b, "N");
    assert!(
      shown(&b).contains(&"line 129".to_string()),
      "{:?}",
      shown(&b)
    );
    assert!(b.paused);
    press(&mut b, "\u{1b}");
    assert_eq!(shown(&b).last().unwrap(), "line 999");
  }

  #[test]
  fn a_paused_view_stays_put_as_lines_arrive_and_follow_returns_to_the_bottom() {
    let mut b = board(100, 10);
    b.key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE));
    let before = shown(&b);
    b.push(vec![LogLine {
      service: 0,
      text: "new".into(),
    }]);
    assert_eq!(shown(&b), before);
    press(&mut b, "f");
    assert_eq!(shown(&b).last().unwrap(), "new");
  }

  #[test]
  fn filter_and_focus_narrow_the_lines_and_scrollback_is_bounded() {
    let mut b = board(KEPT_LINES + 50, 5);
    assert_eq!(b.lines.len(), KEPT_LINES);
    press(&mut b, "&line 1\n");
    assert!(shown(&b).iter().all(|l| l.starts_with("line 1")));
    b.services = vec![ServiceView::named("a"), ServiceView::named("b")];
    press(&mut b, "\u{1b}j\n");
    assert!(b.window(5).iter().all(|l| l.service == 1));
    assert_eq!(
      b.key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE)),
      Some(Action::Verb("restart", "b".into()))
    );
  }

  #[test]
  fn smart_case() {
    assert!(contains("Error: boom", "error"));
    assert!(!contains("error: boom", "Error"));
  }
}
