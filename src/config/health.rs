//! `health:`: how to tell that a service is ready, checked into a `Health`.

use std::time::Duration;

use super::{Checker, raw::RawHealth};
use crate::error::Result;

/// How readiness and health are probed for one service.
#[derive(Clone, Debug)]
pub(crate) struct Health {
  pub(crate) probe: Probe,
  /// Between probes once the service is up (`dev health --watch`), and the cap of the
  /// start-up back-off.
  pub(crate) interval: Duration,
  /// For one probe.
  pub(crate) timeout: Duration,
  /// Readiness deadline after a start.
  pub(crate) start_timeout: Duration,
}

/// One kind of probe; strings may contain `$PORT` and `${svc.port}` (resolved at start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
  /// GET the URL; `status` (default any 2xx); the body must contain `body` if given.
  Http {
    url: String,
    status: Option<u16>,
    body: Option<String>,
  },
  /// Connect to `host:port`.
  Tcp { address: String },
  /// Run a command; exit 0 = healthy.
  Exec { command: String },
  /// A line of the service's output matches this regex.
  Log { pattern: String },
  /// No `health:` but a port: the service's own processes listen on it.
  Listening,
}

impl Probe {
  pub(crate) fn kind(&self) -> &'static str {
    match self {
      Self::Http { .. } => "http",
      Self::Tcp { .. } => "tcp",
      Self::Exec { .. } => "exec",
      Self::Log { .. } => "log",
      Self::Listening => "port",
    }
  }
}

pub(crate) const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);

impl Checker<'_> {
  /// The service's `health:`, or the default (listening on its port) when it has a port.
  pub(super) fn health(
    &self,
    service: &super::Text,
    raw: Option<&serde_saphyr::Spanned<RawHealth>>,
    has_port: bool,
  ) -> Result<Option<Health>> {
    let Some(raw) = raw else {
      return Ok(has_port.then_some(Health {
        probe: Probe::Listening,
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
        start_timeout: DEFAULT_START_TIMEOUT,
      }));
    };
    let health = &raw.value;
    let kinds: Vec<(&str, &super::Text)> = [
      ("http", &health.http),
      ("tcp", &health.tcp),
      ("exec", &health.exec),
      ("log", &health.log),
    ]
    .into_iter()
    .filter_map(|(name, text)| text.as_ref().map(|text| (name, text)))
    .collect();
    let (kind, target) = match kinds.as_slice() {
      [one] => *one,
      // Only settings: the default probe (listening on the port) with those settings.
      [] if has_port => ("port", service),
      [] => {
        return Err(
          self
            .at(
              service,
              format!("`health` of service `{}` names no probe", service.value),
            )
            .with_hint("add one of `http: <url>`, `tcp: <host:port>`, `exec: <command>`, `log: <regex>`, or a `port:` to wait for"),
        );
      }
      [_, (second, text), ..] => {
        return Err(
          self
            .at(
              text,
              format!("`health` has more than one probe (`{second}` too)"),
            )
            .with_hint("keep one of `http`, `tcp`, `exec`, `log`"),
        );
      }
    };
    for (field, text) in [("status", &health.status), ("body", &health.body)] {
      if let Some(text) = text
        && kind != "http"
      {
        return Err(self.at(text, format!("`{field}` only applies to `http` probes")));
      }
    }
    let probe = match kind {
      "http" => {
        let url = target.value.trim();
        if !url.starts_with("http://") {
          let hint = if url.starts_with("https://") {
            "dev servers on this machine speak plain HTTP; probe `http://…`, or use `tcp:`"
          } else {
            "write the whole URL: `http://127.0.0.1:$PORT/health`"
          };
          return Err(
            self
              .at(target, format!("expected an http:// URL, found `{url}`"))
              .with_hint(hint),
          );
        }
        let status = match &health.status {
          Some(text) => match text.value.trim().parse::<u16>() {
            Ok(code @ 100..=599) => Some(code),
            _ => {
              return Err(self.at(
                text,
                format!(
                  "expected an HTTP status such as 200, found `{}`",
                  text.value
                ),
              ));
            }
          },
          None => None,
        };
        Probe::Http {
          url: url.to_owned(),
          status,
          body: health.body.as_ref().map(|text| text.value.clone()),
        }
      }
      "tcp" => Probe::Tcp {
        address: target.value.trim().to_owned(),
      },
      "exec" => Probe::Exec {
        command: target.value.clone(),
      },
      "port" => Probe::Listening,
      _ => {
        if let Err(error) = regex_lite::Regex::new(&target.value) {
          return Err(self.at(target, format!("invalid regex: {error}")));
        }
        Probe::Log {
          pattern: target.value.clone(),
        }
      }
    };
    let duration = |text: &Option<super::Text>, default: Duration| -> Result<Duration> {
      text
        .as_ref()
        .map_or(Ok(default), |text| self.duration(text))
    };
    Ok(Some(Health {
      probe,
      interval: duration(&health.interval, Duration::from_secs(2))?,
      timeout: duration(&health.timeout, Duration::from_secs(1))?,
      start_timeout: duration(&health.start_timeout, DEFAULT_START_TIMEOUT)?,
    }))
  }
}
