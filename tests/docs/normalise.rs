//! Output as the README shows it and as `dev` prints it, made comparable: what changes from
//! run to run (pids, ports, durations, dates, column widths, progress lines that only a slow
//! start prints) becomes a placeholder, and output that runs in parallel is compared per
//! source, because the order in which two services print is theirs, not `dev`'s.

use std::sync::LazyLock;

use regex_lite::Regex;

/// Placeholders for what varies from run to run, in this order (pids before ports: a pid
/// may be written with the same digits as a port).
static VARYING: LazyLock<Vec<(Regex, &str)>> = LazyLock::new(|| {
  [
    (r"\^C", ""),
    (r"\bpid \d+", "pid <pid>"),
    (r"^(\S+\s+running\s+)\d+", "${1}<pid>"),
    // uvicorn's `Started server process [4247]`.
    (r"\[\d+\]", "[<pid>]"),
    // A client's port in an access log line: `127.0.0.1:51334 - "GET / HTTP/1.1" 200`.
    (r"\b(\d+\.\d+\.\d+\.\d+):\d+ - ", "${1}:<port> - "),
    (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "<date>"),
    // Vite's `ready in 343 ms`, `dev health`'s `1.6 ms`.
    (r"\b\d+(\.\d+)? ms\b", "<time>"),
    (
      r"\b(\d+ms|\d+\.\d+s|\d+m\d\ds|\d+h\d\dm|\d+d\d+h)\b",
      "<time>",
    ),
    (r"\s+", " "),
  ]
  .into_iter()
  .map(|(pattern, with)| (Regex::new(pattern).unwrap(), with))
  .collect()
});

/// One line, comparable: `ports` maps the ports a run really used to those the README shows.
pub(super) fn line(text: &str, ports: &[(u16, u16)]) -> String {
  let mut text = text.trim_end().to_owned();
  for (pattern, with) in VARYING.iter() {
    text = pattern.replace_all(&text, *with).into_owned();
  }
  for (used, shown) in ports {
    let used = Regex::new(&format!(r"\b{used}\b")).unwrap();
    text = used.replace_all(&text, shown.to_string()).into_owned();
  }
  text.trim().to_owned()
}

/// A run's lines, comparable, without those that only a slow start prints (`▸ … waiting
/// for …` after 1 s without a terminal): whether they appear depends on the machine's load.
pub(super) fn lines(text: &str, ports: &[(u16, u16)]) -> Vec<String> {
  text
    .lines()
    .map(|raw| line(raw, ports))
    .filter(|line| !line.is_empty() && !slow_start_only(line))
    .collect()
}

/// Whether every line in `wanted` is in `have`, as many times.
pub(super) fn contains_all(have: &[String], wanted: &[String]) -> bool {
  let mut have = have.to_vec();
  wanted.iter().all(|line| {
    let found = have.iter().position(|h| h == line);
    found.map(|index| have.remove(index)).is_some()
  })
}

fn slow_start_only(line: &str) -> bool {
  line.starts_with('▸') && line.contains(" waiting ")
}

/// Lines of one source: `dev` itself, or a service (its output carries `name │`).
fn source(line: &str) -> &str {
  line.split_once(" │ ").map_or("dev", |(name, _)| name)
}

/// Parallel output, comparable: grouped by source, each in its own order, with a line
/// repeated in a row said once (a probe's request lines: how many depends on timing), and
/// `dev`'s lines after `▸ stopping …` sorted, since services stop side by side.
pub(super) fn by_source(lines: &[String]) -> Vec<(String, Vec<String>)> {
  let mut sources: Vec<(String, Vec<String>)> = Vec::new();
  for line in lines {
    let name = source(line);
    let index = match sources.iter().position(|(known, _)| known == name) {
      Some(index) => index,
      None => {
        sources.push((name.to_owned(), Vec::new()));
        sources.len() - 1
      }
    };
    let own = &mut sources[index].1;
    if own.last() != Some(line) {
      own.push(line.clone());
    }
  }
  for (name, own) in &mut sources {
    if name == "dev"
      && let Some(stopping) = own.iter().position(|line| line.starts_with("▸ stopping "))
    {
      own[stopping + 1..].sort();
    }
  }
  sources.sort();
  sources
}

#[test]
fn what_varies_between_runs_becomes_a_placeholder() {
  let ports = [(21007, 8000)];
  assert_eq!(
    line("▸ backend restarted (pid 21007, 32ms) on 21007", &ports),
    "▸ backend restarted (pid <pid>, <time>) on 8000"
  );
  assert_eq!(
    line(
      "backend   running  15807  21007  1.0s    -     logs/b.log",
      &ports
    ),
    "backend running <pid> 8000 <time> - logs/b.log"
  );
  assert_eq!(
    line("──── 2026-11-23 07:38:56 UTC · up 3m12s", &[]),
    "──── <date> · up <time>"
  );
  assert_eq!(
    line(
      "backend  │ INFO:     127.0.0.1:51334 - \"GET / HTTP/1.1\" 200 OK [4247] ready in 343 ms",
      &[]
    ),
    "backend │ INFO: 127.0.0.1:<port> - \"GET / HTTP/1.1\" 200 OK [<pid>] ready in <time>"
  );
  let slow = lines(
    "▸ backend: waiting for listening on port 8000 · 1.0s\n^C▸ x\n",
    &[],
  );
  assert_eq!(slow, ["▸ x"]);
}
