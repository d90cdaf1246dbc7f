//! What the dashboard's keys do outside it. Service verbs run the very CLI commands
//! (`dev <svc>-restart`, `dev up -d <svc>`, …) as child processes, so a key does exactly what
//! the command does, and their last line becomes the outcome shown; the screen stays live
//! meanwhile. Copy is OSC 52 (the terminal puts it on the clipboard, over ssh too).

use std::{
  io::Write,
  path::PathBuf,
  process::{Command, Stdio},
  sync::mpsc::Sender,
  thread,
};

/// A verb finished: for which service, and what it said.
pub(crate) struct Outcome {
  pub(crate) service: String,
  pub(crate) message: String,
}

pub(crate) struct Actions {
  pub(crate) exe: PathBuf,
  /// The task file the dashboard was opened for (`dev -f` it, wherever we are).
  pub(crate) config: PathBuf,
  pub(crate) done: Sender<Outcome>,
}

impl Actions {
  /// Runs `verb` for `service` in the background; the state to show meanwhile.
  pub(crate) fn verb(&self, verb: &str, service: &str) -> &'static str {
    let (arguments, doing): (Vec<String>, _) = match verb {
      "start" => (vec!["up".into(), "-d".into(), service.into()], "starting…"),
      "stop" => (vec![format!("{service}-stop")], "stopping…"),
      "force" => (vec![format!("{service}-force")], "forcing…"),
      _ => (vec![format!("{service}-restart")], "restarting…"),
    };
    let mut command = Command::new(&self.exe);
    command
      .arg("-f")
      .arg(&self.config)
      .args(["--color", "never"])
      .args(&arguments)
      .stdin(Stdio::null());
    let (done, service) = (self.done.clone(), service.to_owned());
    let shown = format!("dev {}", arguments.join(" "));
    thread::spawn(move || {
      let message = match command.output() {
        Ok(output) => {
          let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
          text.push_str(&String::from_utf8_lossy(&output.stderr));
          let last = text
            .lines()
            .rev()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with("hint:"))
            .unwrap_or("")
            .to_owned();
          match output.status.code() {
            Some(0) => format!("{shown}: {last}"),
            code => format!(
              "{shown} failed (exit {}): {last}",
              code.map_or("by a signal".into(), |c| c.to_string())
            ),
          }
        }
        Err(error) => format!("{shown}: cannot run it: {error}"),
      };
      let _ = done.send(Outcome { service, message });
    });
    doing
  }
}

/// OSC 52: the terminal copies `text` to the system clipboard.
pub(crate) fn copy(text: &str) -> std::io::Result<()> {
  let mut out = std::io::stdout().lock();
  write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()))?;
  out.flush()
}

/// The pager's command: `$PAGER` (words split at spaces), else `less +G` (at the end).
pub(crate) fn pager_command(path: &std::path::Path) -> Command {
  let pager = std::env::var("PAGER")
    .ok()
    .filter(|p| !p.trim().is_empty())
    .unwrap_or_else(|| "less +G".into());
  let mut words = pager.split_whitespace();
  let mut command = Command::new(words.next().unwrap_or("less"));
  command.args(words).arg(path);
  command
}

fn base64(bytes: &[u8]) -> String {
  const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
  for chunk in bytes.chunks(3) {
    let triple = chunk
      .iter()
      .enumerate()
      .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
    for i in 0..4 {
      if i <= chunk.len() {
        encoded.push(ALPHABET[(triple >> (18 - 6 * i) & 63) as usize] as char);
      } else {
        encoded.push('=');
      }
    }
  }
  encoded
}

#[cfg(test)]
mod tests {
  #[test]
  fn base64_as_rfc_4648_says() {
    for (plain, encoded) in [
      ("", ""),
      ("f", "Zg=="),
      ("fo", "Zm8="),
      ("foo", "Zm9v"),
      ("foobar", "Zm9vYmFy"),
      ("line 1\nline 2", "bGluZSAxCmxpbmUgMg=="),
    ] {
      assert_eq!(super::base64(plain.as_bytes()), encoded);
    }
  }
}
