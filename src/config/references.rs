//! Every `${…}` of `dev`'s in the task file is checked when the file is read, with
//! file:line:col: a `${svc.port}` must name a port that exists, wherever it is (`run:`,
//! `env:`, probes, a task argument's default), and an `env:` value or probe address may
//! only hold what `dev` can expand there (`substitute`). A mistake in a probe is found
//! here, not by probing `http://127.0.0.1:/` until the timeout.

use serde_saphyr::Spanned;

use super::{
  Checker, Config,
  interpolate::{self, Reference},
  port::missing_port,
  raw::{RawFile, RawHealth, RawTask, Text},
  substitute,
};
use crate::{
  config::source::Location,
  error::{Error, Result},
  ui::suggestion::{list, suggest},
};

/// Who reads a value after `dev`: the shell (only `dev`'s references are `dev`'s), or no one
/// (`dev` expands it all).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
  Shell,
  Nobody,
}

impl Checker<'_> {
  pub(super) fn check_references(&self, raw: &RawFile, config: &Config) -> Result<()> {
    for (text, reader) in &referring_texts(raw) {
      let references = match reader {
        Reader::Shell => interpolate::references(&text.value),
        Reader::Nobody => substitute::check(&text.value).map_err(|mistake| {
          Error::config(
            mistake.message,
            Some(self.place(text, mistake.offset, mistake.len)),
          )
          .with_hint("write `$${` for a literal `${`, `$$` for a `$`")
        })?,
      };
      for reference in references {
        self.check_reference(text, &reference, config)?;
      }
    }
    Ok(())
  }

  fn check_reference(&self, text: &Text, reference: &Reference, config: &Config) -> Result<()> {
    let location = self.place(text, reference.offset, reference.len);
    let Some(service) = config.service(&reference.service) else {
      let names: Vec<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
      let hint = match suggest(&reference.service, names.iter().copied()) {
        Some(name) => format!("Did you mean `{name}`?"),
        None => format!(
          "known services: {}",
          list(&names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
        ),
      };
      return Err(
        Error::config(
          format!(
            "unknown service `{}` in `${{{}.{}}}`",
            reference.service, reference.service, reference.field
          ),
          Some(location),
        )
        .with_hint(hint),
      );
    };
    match missing_port(service, reference) {
      Some((message, hint)) => Err(Error::config(message, Some(location)).with_hint(hint)),
      None => Ok(()),
    }
  }

  /// Where `len` bytes at `offset` of a value are: on the value's own line when it sits on
  /// one line.
  fn place(&self, text: &Text, offset: usize, len: usize) -> Location {
    let base = text.referenced;
    let column = base.column() as usize
      + text.value[..offset].chars().count()
      + usize::from(self.is_quoted(text));
    Location::new(self.source, base.line() as usize, column, len)
  }
}

/// Every value that may refer to a port, with who reads it next.
fn referring_texts(raw: &RawFile) -> Vec<(Text, Reader)> {
  let mut texts: Vec<(Text, Reader)> = Vec::new();
  let shell = |text: &Text| (text.clone(), Reader::Shell);
  let nobody = |text: &Text| (text.clone(), Reader::Nobody);
  for (_, service) in &raw.services.0 {
    let service = &service.value;
    texts.push(shell(&service.run));
    texts.extend(service.env.0.iter().map(|(_, value)| nobody(value)));
    for probe in [&service.health, &service.liveness].into_iter().flatten() {
      let RawHealth {
        http, tcp, exec, ..
      } = &probe.value;
      texts.extend(http.iter().chain(tcp).map(nobody));
      texts.extend(exec.iter().map(shell));
    }
  }
  for (_, task) in &raw.tasks.0 {
    match &task.value {
      RawTask::Command(command) => {
        let text = Spanned::new(command.clone(), task.referenced, task.defined);
        texts.push((text, Reader::Shell));
      }
      RawTask::Full(fields) => {
        texts.extend(fields.run.iter().flat_map(|run| run.0.iter().map(shell)));
        texts.extend(fields.env.0.iter().map(|(_, value)| nobody(value)));
        // A default's `${svc.port}` is filled in; the rest of it is a value.
        texts.extend(fields.args.0.iter().map(shell));
      }
    }
  }
  texts
}
