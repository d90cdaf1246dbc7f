//! Drawing the board: the services table on top, the log pane below, one line of keys or of
//! the last outcome at the bottom. Only what fits is drawn; ratatui sends only the cells that
//! changed since the last frame.

use ratatui::{
  Frame,
  layout::{Constraint, Layout, Rect},
  style::{Color, Modifier, Style},
  text::{Line, Span},
  widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap},
};

use super::{
  board::{Board, Prompt, contains},
  services::ServiceView,
};
use crate::ui::{
  color::service_palette_index,
  format::{elapsed, mebibytes},
};

/// From this width on, every column has its full width and the PORT column shows URLs.
const WIDE: u16 = 120;
/// The PORT column: `http://127.0.0.1:65535` fits.
const PORT_WIDTH: u16 = 22;
/// The longest URL shown whole; a longer one is cut.
const MAX_URL_WIDTH: u16 = 60;

/// Smaller than this, the dashboard says so instead of drawing a mess.
pub(crate) const SMALLEST: (u16, u16) = (60, 12);

const KEYS: &str = "r restart · s stop · u start · K force · o open · h probe · / search · & filter · f follow · y copy · p pager · ? help · q quit";

const HELP: [(&str, &str); 17] = [
  ("↑ ↓  j k", "select a service"),
  ("Tab  Enter", "logs of the selected service only / of all"),
  ("r", "restart the selected service (dev <svc>-restart)"),
  ("s", "stop it (dev <svc>-stop)"),
  ("u", "start it (dev up -d <svc>)"),
  ("K", "force: hard restart, frees the port (dev <svc>-force)"),
  ("o", "open its URL in the browser"),
  ("h", "probe every service's health now"),
  ("f", "pause / follow the log"),
  ("PgUp PgDn b space", "scroll the log; g top, G bottom"),
  ("/ n N", "search; next match above, below"),
  ("&", "show only lines containing…"),
  ("Esc", "clear search and filter"),
  ("y", "copy the lines on screen (OSC 52)"),
  ("p", "open the selected service's log in $PAGER"),
  ("q  Ctrl+C", "quit (services keep running)"),
  (
    "",
    "select text with the mouse: the terminal's own selection works",
  ),
];

pub(crate) struct Palette {
  pub(crate) colors: bool,
}

impl Palette {
  fn fg(&self, color: Color) -> Style {
    if self.colors {
      Style::new().fg(color)
    } else {
      Style::new()
    }
  }

  fn service(&self, index: usize) -> Style {
    self.fg(Color::Indexed(service_palette_index(index)))
  }

  fn state(&self, state: &str) -> Style {
    match state {
      "ready" | "running" => self.fg(Color::Green),
      "starting" | "restarting…" | "starting…" | "stopping…" | "forcing…" => {
        self.fg(Color::Yellow)
      }
      "stopped" => self.fg(Color::DarkGray),
      _ => self.fg(Color::Red),
    }
  }
}

pub(crate) fn draw(frame: &mut Frame, board: &mut Board, palette: &Palette) {
  let area = frame.area();
  if area.width < SMALLEST.0 || area.height < SMALLEST.1 {
    let text = format!(
      "terminal too small: {}×{}; the dashboard needs {}×{}",
      area.width, area.height, SMALLEST.0, SMALLEST.1
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
    return;
  }
  let table_height = (board.services.len() as u16 + 3).min(area.height / 2);
  let [top, logs, bottom] = Layout::vertical([
    Constraint::Length(table_height),
    Constraint::Min(3),
    Constraint::Length(1),
  ])
  .areas(area);
  services(frame, top, board, palette);
  log_pane(frame, logs, board, palette);
  status_line(frame, bottom, board);
  if board.help {
    help(frame, area);
  }
}

fn services(frame: &mut Frame, area: Rect, board: &Board, palette: &Palette) {
  let header = Row::new([
    "SERVICE", "STATE", "PID", "PORT", "HEALTH", "RESTARTS", "UP", "CPU", "MEM", "LAST END",
  ])
  .style(Style::new().add_modifier(Modifier::BOLD));
  // A name (`http://web.shop.localhost:7355`) is longer than `http://127.0.0.1:8000`: its
  // column grows to fit it, and URLs are shown only while the rest still fits beside it.
  let url_width = board
    .services
    .iter()
    .filter_map(|service| service.url.as_ref())
    .map(|url| url.chars().count() as u16)
    .max()
    .unwrap_or(0)
    .clamp(PORT_WIDTH, MAX_URL_WIDTH);
  let show_urls = area.width >= WIDE + (url_width - PORT_WIDTH);
  let port_width = if show_urls { url_width } else { PORT_WIDTH };
  let rows = board.services.iter().enumerate().map(|(index, service)| {
    let indent = if service.depth > 0 {
      format!("{}└ ", "  ".repeat(service.depth - 1))
    } else {
      String::new()
    };
    let mut row = Row::new([
      Cell::from(format!("{indent}{}", service.name)).style(palette.service(index)),
      Cell::from(service.state.clone()).style(palette.state(&service.state)),
      Cell::from(service.pid.map(|p| p.to_string()).unwrap_or_default()),
      // The URL only where its column is wide enough: squeezed, it was just "http://".
      Cell::from(match &service.url {
        Some(url) if show_urls => url.clone(),
        _ => service.ports.clone(),
      }),
      Cell::from(health(service)),
      Cell::from(match service.restarts {
        0 => String::new(),
        n => n.to_string(),
      }),
      Cell::from(service.uptime.map(elapsed).unwrap_or_default()),
      Cell::from(
        service
          .cpu_percent
          .map(|p| format!("{p:.1}%"))
          .unwrap_or_default(),
      ),
      Cell::from(service.resident_bytes.map(mebibytes).unwrap_or_default()),
      Cell::from(service.last_end.clone().unwrap_or_default()),
    ]);
    if index == board.selected {
      row = row.style(Style::new().add_modifier(Modifier::REVERSED));
    }
    row
  });
  let widths = [
    Constraint::Length(16),
    Constraint::Length(14),
    Constraint::Length(7),
    Constraint::Length(port_width),
    Constraint::Length(12),
    Constraint::Length(8),
    Constraint::Length(7),
    Constraint::Length(6),
    Constraint::Length(8),
    Constraint::Fill(1),
  ];
  let table = Table::new(rows, widths)
    .header(header)
    .block(Block::new().borders(Borders::BOTTOM).title(" dev ui "));
  // More services than rows: the table scrolls to keep the selected one in view.
  let mut state = TableState::new().with_selected(Some(board.selected));
  frame.render_stateful_widget(table, area, &mut state);
}

fn health(service: &ServiceView) -> String {
  match &service.health {
    Some(probe) if probe.healthy => format!("✓ {:.1}ms", probe.latency_ms),
    Some(probe) => format!("✗ {}", probe.detail),
    None => String::new(),
  }
}

fn log_pane(frame: &mut Frame, area: Rect, board: &mut Board, palette: &Palette) {
  let rows = usize::from(area.height.saturating_sub(1));
  board.page = rows;
  let scope = match (board.focused, board.selected_name()) {
    (true, Some(name)) => name,
    _ => "all".into(),
  };
  let mut title = format!(" logs: {scope} ");
  if board.paused {
    title.push_str(&format!("· paused, {} newer ", board.scroll));
  } else {
    title.push_str("· following ");
  }
  if board.skipped > 0 {
    let skipped = mebibytes(board.skipped);
    title.push_str(&format!(
      "· {skipped}B printed too fast to show (all in the log) "
    ));
  }
  if let Some(filter) = &board.filter {
    title.push_str(&format!("· & {filter} "));
  }
  if let Some(search) = &board.search {
    title.push_str(&format!("· / {search} "));
  }
  let width = board
    .services
    .iter()
    .map(|s| s.name.len())
    .max()
    .unwrap_or(0);
  let lines: Vec<Line> = board
    .window(rows)
    .into_iter()
    .map(|line| {
      let mut spans = Vec::new();
      if !board.focused {
        let name = board
          .services
          .get(line.service)
          .map_or("", |s| s.name.as_str());
        spans.push(Span::styled(
          format!("{name:width$} │ "),
          palette.service(line.service),
        ));
      }
      spans.extend(highlighted(&line.text, board.search.as_deref()));
      Line::from(spans)
    })
    .collect();
  let block = Block::new().borders(Borders::TOP).title(title);
  frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The text with every match of the search reversed.
fn highlighted<'a>(text: &'a str, search: Option<&str>) -> Vec<Span<'a>> {
  let Some(search) = search.filter(|s| !s.is_empty() && contains(text, s)) else {
    return vec![Span::raw(text)];
  };
  let folded = !search.chars().any(char::is_uppercase);
  let haystack = if folded {
    text.to_lowercase()
  } else {
    text.to_owned()
  };
  // Lowercasing can change byte lengths (rare scripts): then no highlight, only the line.
  if haystack.len() != text.len() {
    return vec![Span::raw(text)];
  }
  let mut spans = Vec::new();
  let mut at = 0;
  for (start, found) in haystack.match_indices(search) {
    spans.push(Span::raw(&text[at..start]));
    let end = start + found.len();
    spans.push(Span::styled(
      &text[start..end],
      Style::new().add_modifier(Modifier::REVERSED),
    ));
    at = end;
  }
  spans.push(Span::raw(&text[at..]));
  spans
}

fn status_line(frame: &mut Frame, area: Rect, board: &Board) {
  let text = match &board.prompt {
    Some(Prompt::Search(text)) => format!("/{text}▏"),
    Some(Prompt::Filter(text)) => format!("&{text}▏  (only lines containing it; Esc cancels)"),
    None if !board.message.is_empty() => board.message.clone(),
    None => KEYS.into(),
  };
  frame.render_widget(
    Paragraph::new(text).style(Style::new().add_modifier(Modifier::DIM)),
    area,
  );
}

fn help(frame: &mut Frame, area: Rect) {
  let width = 80.min(area.width);
  let height = (HELP.len() as u16 + 2).min(area.height);
  let popup = Rect {
    x: area.x + (area.width - width) / 2,
    y: area.y + (area.height - height) / 2,
    width,
    height,
  };
  let lines: Vec<Line> = HELP
    .iter()
    .map(|(keys, what)| {
      Line::from(vec![
        Span::styled(
          format!("{keys:>18}  "),
          Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::raw(*what),
      ])
    })
    .collect();
  frame.render_widget(Clear, popup);
  frame.render_widget(
    Paragraph::new(lines).block(Block::bordered().title(" keys · any key closes ")),
    popup,
  );
}
