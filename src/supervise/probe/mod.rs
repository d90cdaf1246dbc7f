//! One health probe of one service, resolved and run: an HTTP GET, a TCP connect, a command,
//! a line in the service's log, or "its processes listen on its port". Each run returns an
//! `Outcome` (never an error): a failing probe is a normal answer. `ownership` says whether
//! an answer came from the service's own processes; `seen` keeps a log line's match for the
//! rest of its run; `exec` runs a command probe and keeps what it printed.

mod exec;
mod ownership;
mod seen;

use std::{
  net::{SocketAddr, TcpStream, ToSocketAddrs},
  path::PathBuf,
  time::{Duration, Instant},
};

use serde::Serialize;

use crate::{
  config::{Health, Probe, Service},
  plan::{PortMap, resolve_probe},
  shell::ShellKind,
  supervise::{http, reaped::ReapedStatuses, spec::KeeperSpec},
  sys::ProcessId,
};

/// A probe with `$PORT` and `${svc.port}` resolved, ready to run again and again.
#[derive(Clone, Debug)]
pub(crate) struct Check {
  pub(crate) service: String,
  pub(crate) probe: Probe,
  pub(crate) health: Health,
  pub(crate) port: Option<u16>,
  /// Every port of the service: an answer on one of them must come from its own processes.
  ports: Vec<u16>,
  log: PathBuf,
  cwd: PathBuf,
  env: Vec<(String, String)>,
  /// The service's shell, which an `exec` probe runs in too.
  shell: ShellKind,
  /// The service's keeper, whose tree must hold the port for `Listening`, and a probed port
  /// of the service's for an `http` or `tcp` answer to count.
  pub(crate) keeper: Option<ProcessId>,
  /// Inside a keeper, whose reaper also reaps the `exec` probe's shell.
  reaped: Option<ReapedStatuses>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Outcome {
  pub(crate) ok: bool,
  /// `HTTP 200`, `connection refused`, `exit code 1`, `no line matches /ready/`.
  pub(crate) detail: String,
  pub(crate) status: Option<u16>,
  #[serde(rename = "latency_ms", serialize_with = "as_millis")]
  pub(crate) latency: Duration,
  /// The last lines a failing `exec` probe printed (stdout and stderr): why it failed.
  #[serde(skip_serializing_if = "Vec::is_empty")]
  pub(crate) output: Vec<String>,
}

impl Outcome {
  /// A failing answer that says `detail`.
  pub(crate) fn failed(detail: String) -> Self {
    Self {
      ok: false,
      detail,
      status: None,
      latency: Duration::ZERO,
      output: Vec::new(),
    }
  }

  /// The probe reached the service and no answer came within its timeout: how a hung
  /// server looks, as opposed to one that is not listening yet.
  pub(crate) fn timed_out(&self) -> bool {
    !self.ok && self.detail.contains("timed out")
  }
}

fn as_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
  serializer.serialize_f64((duration.as_secs_f64() * 1e6).round() / 1e3)
}

impl Check {
  /// The service's probe, or `None` when it has nothing to probe (no `health:`, no port).
  pub(crate) fn new(
    service: &Service,
    spec: &KeeperSpec,
    ports: &PortMap,
    keeper: Option<ProcessId>,
  ) -> Option<Self> {
    let health = resolve_probe(service.health.as_ref()?, spec, ports);
    Some(Self::resolved(health, spec, keeper))
  }

  /// A probe whose `$PORT` and `${svc.port}` are already resolved (a keeper's liveness).
  pub(crate) fn resolved(health: Health, spec: &KeeperSpec, keeper: Option<ProcessId>) -> Self {
    Self {
      service: spec.service.clone(),
      probe: health.probe.clone(),
      health,
      port: spec.port,
      ports: spec
        .ports
        .iter()
        .map(|(_, port)| *port)
        .chain(spec.port)
        .collect(),
      log: spec.log.clone(),
      cwd: spec.cwd.clone(),
      env: spec.env.clone(),
      shell: spec.shell,
      keeper,
      reaped: None,
    }
  }

  /// Run inside a keeper: `exec` probes find their exit status where its reaper left it.
  pub(crate) fn reaped_by(self, reaped: ReapedStatuses) -> Self {
    Self {
      reaped: Some(reaped),
      ..self
    }
  }

  /// What is probed, for messages and tables: `GET http://…`, `tcp 127.0.0.1:8000`.
  pub(crate) fn target(&self) -> String {
    match &self.probe {
      Probe::Http { url, .. } => format!("GET {url}"),
      Probe::Tcp { address } => format!("tcp {address}"),
      Probe::Exec { command } => format!("exec `{command}`"),
      Probe::Log { pattern } => format!("log /{pattern}/"),
      Probe::Listening => match self.port {
        Some(port) => format!("listening on port {port}"),
        None => "listening".into(),
      },
    }
  }

  /// Where users reach the service once it is ready, when that is a URL.
  pub(crate) fn url(&self) -> Option<String> {
    match &self.probe {
      // The origin, not the health endpoint: that is where a browser goes.
      Probe::Http { url, .. } => {
        let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
        let host = rest.split(['/', '?']).next().unwrap_or(rest);
        Some(format!("{scheme}://{host}"))
      }
      _ => self.port.map(|port| format!("http://127.0.0.1:{port}")),
    }
  }

  pub(crate) fn run(&self) -> Outcome {
    let started = Instant::now();
    let mut output = Vec::new();
    let (ok, detail, status) = match &self.probe {
      Probe::Http { url, status, body } => {
        http_probe(url, *status, body.as_deref(), self.health.timeout)
      }
      Probe::Tcp { address } => match connect(address, self.health.timeout) {
        Ok(stream) => {
          let peer = stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
          (true, format!("connected to {peer}"), None)
        }
        Err(error) => (false, error, None),
      },
      Probe::Exec { command } => {
        let (ok, detail, printed) = self.exec(command);
        output = printed;
        (ok, detail, None)
      }
      Probe::Log { pattern } => log_matches(&self.log, pattern),
      Probe::Listening => self.listening(),
    };
    Outcome {
      ok,
      detail,
      status,
      latency: started.elapsed(),
      output: if ok { Vec::new() } else { output },
    }
  }
}

/// `localhost` means both loopbacks: dev servers differ on which one they bind.
fn addresses(host_port: &str) -> Result<Vec<SocketAddr>, String> {
  let (host, port) = host_port
    .rsplit_once(':')
    .ok_or_else(|| format!("`{host_port}` has no port"))?;
  let port: u16 = port
    .parse()
    .map_err(|_| format!("`{port}` is not a port"))?;
  let host = host.trim_start_matches('[').trim_end_matches(']');
  if host == "localhost" {
    return Ok(vec![
      SocketAddr::from(([127, 0, 0, 1], port)),
      SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
    ]);
  }
  (host, port)
    .to_socket_addrs()
    .map(Iterator::collect)
    .map_err(|error| format!("cannot resolve `{host}`: {error}"))
}

fn connect(host_port: &str, timeout: Duration) -> Result<TcpStream, String> {
  let mut last = String::from("no address");
  for address in addresses(host_port)? {
    match TcpStream::connect_timeout(&address, timeout) {
      Ok(stream) => return Ok(stream),
      Err(error) => last = format!("{address}: {}", http::short_error(&error)),
    }
  }
  Err(last)
}

/// One GET within `timeout`: healthy on the expected status (by default 200–399, as
/// Kubernetes and compose's curl checks count), with the body containing `needle` if given.
fn http_probe(
  url: &str,
  expected: Option<u16>,
  needle: Option<&str>,
  timeout: Duration,
) -> (bool, String, Option<u16>) {
  let parsed = match http::Url::parse(url) {
    Ok(parsed) => parsed,
    Err(error) => return (false, error, None),
  };
  let addresses = match addresses(&format!("{}:{}", parsed.host, parsed.port)) {
    Ok(addresses) => addresses,
    Err(error) => return (false, error, None),
  };
  let answer = match http::get(&parsed, &addresses, timeout, needle.is_some()) {
    Ok(answer) => answer,
    Err(error) => return (false, error, None),
  };
  let status = answer.status;
  let redirect = answer
    .location
    .as_ref()
    .filter(|_| (300..400).contains(&status));
  let status_ok = match expected {
    Some(code) => status == code,
    None => (200..400).contains(&status),
  };
  if !status_ok {
    let wanted = expected.map_or("200–399".into(), |c| c.to_string());
    let mut detail = format!("HTTP {status} (expected {wanted})");
    if let Some(location) = redirect {
      detail.push_str(&format!(
        ": redirected to {location}; point the probe at the final URL"
      ));
    }
    return (false, detail, Some(status));
  }
  if let (Some(needle), Some(body)) = (needle, &answer.body)
    && !String::from_utf8_lossy(body).contains(needle)
  {
    return (
      false,
      format!("HTTP {status}, body lacks `{needle}`"),
      Some(status),
    );
  }
  let detail = match redirect {
    Some(location) => format!("HTTP {status} → {location}"),
    None => format!("HTTP {status}"),
  };
  (true, detail, Some(status))
}

/// A line of the current run (after the last header the keeper wrote) matches `pattern`.
fn log_matches(log: &std::path::Path, pattern: &str) -> (bool, String, Option<u16>) {
  let Ok(regex) = regex_lite::Regex::new(pattern) else {
    return (false, format!("invalid regex /{pattern}/"), None);
  };
  let text = crate::supervise::log_tail::current_run(log);
  match text.lines().find(|line| regex.is_match(line)) {
    Some(line) => (true, format!("matched: {}", line.trim()), None),
    None => (false, format!("no line matches /{pattern}/ yet"), None),
  }
}
