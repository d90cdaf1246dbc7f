//! `health:`: how to tell that a service is ready, checked into a `Health`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{
  Checker,
  raw::{RawHealth, Text},
};
use crate::error::Result;

/// How readiness (`health:`) or liveness (`liveness:`) is probed for one service.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Health {
  pub(crate) probe: Probe,
  /// Between probes once the service is up (`dev health --watch`, liveness), and the cap
  /// of the start-up back-off.
  pub(crate) interval: Duration,
  /// For one probe.
  pub(crate) timeout: Duration,
  /// Readiness deadline after a start; for liveness, how long a service that has not yet
  /// passed its probe is given before failures count.
  pub(crate) start_timeout: Duration,
  /// Failed probes in a row before a running service counts as unhealthy (liveness:
  /// restarted; `dev health --watch`: shown unhealthy).
  pub(crate) retries: u32,
}

/// One kind of probe; strings may contain `$PORT` and `${svc.port}` (resolved at start).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
const DEFAULT_RETRIES: u32 = 3;

/// Which block is being checked: they share their fields, not all their defaults.
#[derive(Clone, Copy)]
pub(super) enum ProbeBlock {
  Health,
  Liveness,
}

impl ProbeBlock {
  fn name(self) -> &'static str {
    match self {
      Self::Health => "health",
      Self::Liveness => "liveness",
    }
  }

  /// Readiness is polled fast anyway; a liveness probe runs for hours, so it is gentler.
  fn defaults(self) -> (Duration, Duration) {
    match self {
      Self::Health => (Duration::from_secs(2), Duration::from_secs(1)),
      Self::Liveness => (Duration::from_secs(5), Duration::from_secs(2)),
    }
  }
}

impl Checker<'_> {
  /// The service's `health:`, or the default (listening on its port) when it has a port.
  pub(super) fn health(
    &self,
    service: &Text,
    raw: Option<&serde_saphyr::Spanned<RawHealth>>,
    has_port: bool,
  ) -> Result<Option<Health>> {
    self.probe_block(ProbeBlock::Health, service, raw, has_port, None)
  }

  /// The service's `liveness:`. Without a probe of its own it uses the `health:` probe.
  pub(super) fn liveness(
    &self,
    service: &Text,
    raw: Option<&serde_saphyr::Spanned<RawHealth>>,
    has_port: bool,
    health: Option<&Health>,
  ) -> Result<Option<Health>> {
    if raw.is_none() {
      return Ok(None);
    }
    let liveness = self.probe_block(
      ProbeBlock::Liveness,
      service,
      raw,
      has_port,
      health.map(|health| &health.probe),
    )?;
    if let (Some(raw), Some(Probe::Log { .. })) = (raw, liveness.as_ref().map(|l| &l.probe)) {
      let text = raw.value.log.as_ref().unwrap_or(service);
      return Err(
        self
          .at(
            text,
            "a `log` probe cannot tell that a running service hangs".to_owned(),
          )
          .with_hint("give `liveness` an `http`, `tcp` or `exec` probe"),
      );
    }
    Ok(liveness)
  }

  fn probe_block(
    &self,
    block: ProbeBlock,
    service: &Text,
    raw: Option<&serde_saphyr::Spanned<RawHealth>>,
    has_port: bool,
    inherited: Option<&Probe>,
  ) -> Result<Option<Health>> {
    let (interval, timeout) = block.defaults();
    let Some(raw) = raw else {
      return Ok(has_port.then_some(Health {
        probe: Probe::Listening,
        interval,
        timeout,
        start_timeout: DEFAULT_START_TIMEOUT,
        retries: DEFAULT_RETRIES,
      }));
    };
    let health = &raw.value;
    let (kind, target) =
      self.probe_kind(block, service, health, has_port || inherited.is_some())?;
    for (field, text) in [("status", &health.status), ("body", &health.body)] {
      if let Some(text) = text
        && kind != "http"
      {
        return Err(self.at(text, format!("`{field}` only applies to `http` probes")));
      }
    }
    let probe = match kind {
      "http" => self.http_probe(target, health)?,
      "tcp" => Probe::Tcp {
        address: target.value.trim().to_owned(),
      },
      "exec" => Probe::Exec {
        command: target.value.clone(),
      },
      "port" => inherited.cloned().unwrap_or(Probe::Listening),
      _ => {
        if let Err(error) = regex_lite::Regex::new(&target.value) {
          return Err(self.at(target, format!("invalid regex: {error}")));
        }
        Probe::Log {
          pattern: target.value.clone(),
        }
      }
    };
    let duration = |text: &Option<Text>, default: Duration| -> Result<Duration> {
      text
        .as_ref()
        .map_or(Ok(default), |text| self.positive_duration(text))
    };
    Ok(Some(Health {
      probe,
      interval: duration(&health.interval, interval)?,
      timeout: duration(&health.timeout, timeout)?,
      start_timeout: duration(&health.start_timeout, DEFAULT_START_TIMEOUT)?,
      retries: self.retries(health.retries.as_ref())?,
    }))
  }

  /// Which probe a block names, and its target: exactly one of `http`, `tcp`, `exec`,
  /// `log` — or none, when there is something to fall back on (the health probe, the port).
  fn probe_kind<'t>(
    &self,
    block: ProbeBlock,
    service: &'t Text,
    health: &'t RawHealth,
    may_fall_back: bool,
  ) -> Result<(&'static str, &'t Text)> {
    let kinds: Vec<(&str, &Text)> = [
      ("http", &health.http),
      ("tcp", &health.tcp),
      ("exec", &health.exec),
      ("log", &health.log),
    ]
    .into_iter()
    .filter_map(|(name, text)| text.as_ref().map(|text| (name, text)))
    .collect();
    let block_name = block.name();
    match kinds.as_slice() {
      [one] => Ok(*one),
      // Only settings: the health probe, or listening on the port, with those settings.
      [] if may_fall_back => Ok(("port", service)),
      [] => Err(
        self
          .at(
            service,
            format!("`{block_name}` of service `{}` names no probe", service.value),
          )
          .with_hint("add one of `http: <url>`, `tcp: <host:port>`, `exec: <command>`, `log: <regex>`, or a `port:` to wait for"),
      ),
      [_, (second, text), ..] => Err(
        self
          .at(
            text,
            format!("`{block_name}` has more than one probe (`{second}` too)"),
          )
          .with_hint("keep one of `http`, `tcp`, `exec`, `log`"),
      ),
    }
  }

  fn http_probe(&self, target: &Text, health: &RawHealth) -> Result<Probe> {
    let url = target.value.trim();
    if !url.starts_with("http://") && !url.starts_with("https://") {
      return Err(
        self
          .at(
            target,
            format!("expected an http:// or https:// URL, found `{url}`"),
          )
          .with_hint("write the whole URL: `http://127.0.0.1:$PORT/health`"),
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
    Ok(Probe::Http {
      url: url.to_owned(),
      status,
      body: health.body.as_ref().map(|text| text.value.clone()),
    })
  }

  /// `retries:`: failed probes in a row that count as down.
  fn retries(&self, text: Option<&Text>) -> Result<u32> {
    let Some(text) = text else {
      return Ok(DEFAULT_RETRIES);
    };
    match text.value.trim().parse::<u32>() {
      Ok(retries @ 1..) => Ok(retries),
      _ => Err(self.at(
        text,
        format!(
          "expected a number of failed probes (1 or more), found `{}`",
          text.value
        ),
      )),
    }
  }
}
