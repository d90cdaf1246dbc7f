//! Whose answer a probe got: a port counts as the service's only while its own processes
//! listen on it. A service that died (of EADDRINUSE, or crash-looping between restarts)
//! leaves its port to whoever takes it, and that process answering is not the service ready.

use super::Check;
use crate::{config::Probe, ports::holders, state::PROJECT_VARIABLE, supervise::http, sys};

impl Check {
  /// The default probe: the port is listened on, by this service's processes when we know
  /// them.
  pub(super) fn listening(&self) -> (bool, String, Option<u16>) {
    let Some(port) = self.port else {
      return (false, "the service has no port".into(), None);
    };
    match self.listeners(port) {
      Listeners::None => return (false, format!("nothing listens on port {port}"), None),
      Listeners::Others => {
        return (
          false,
          format!("port {port} is held by another process"),
          None,
        );
      }
      Listeners::Own => {}
    }
    (true, format!("listening on port {port}"), None)
  }

  /// A passing probe was answered by the service itself: an `http` or `tcp` probe of one of
  /// the service's own ports counts only while the service's processes listen on that port.
  /// Other probes (a command, a log line, an address that is not the service's) are taken
  /// at their word.
  pub(crate) fn answered_by_the_service(&self) -> bool {
    self
      .probed_port()
      .filter(|port| self.ports.contains(port))
      .is_none_or(|port| self.holds(port))
  }

  /// The port of the service's own that must be listened on before this probe can pass
  /// (`answered_by_the_service`, or the `Listening` probe itself): until the machine's
  /// listening table shows it, probing it is wasted work.
  pub(crate) fn awaited_port(&self) -> Option<u16> {
    match &self.probe {
      Probe::Listening => self.port,
      _ => self.probed_port().filter(|port| self.ports.contains(port)),
    }
  }

  /// The port an `http` or `tcp` probe connects to.
  fn probed_port(&self) -> Option<u16> {
    match &self.probe {
      Probe::Http { url, .. } => http::Url::parse(url).ok().map(|url| url.port),
      Probe::Tcp { address } => address.rsplit_once(':')?.1.parse().ok(),
      Probe::Exec { .. } | Probe::Log { .. } | Probe::Listening => None,
    }
  }

  /// Some process of this service listens on `port`.
  fn holds(&self, port: u16) -> bool {
    matches!(self.listeners(port), Listeners::Own)
  }

  /// Who listens on `port`. Without the service's keeper (`dev health` of a service whose
  /// processes are not known) any listener is taken for the service's own.
  fn listeners(&self, port: u16) -> Listeners {
    let tree = self
      .keeper
      .map(|keeper| sys::descendants(keeper.pid))
      .unwrap_or_default();
    let sockets = sys::port_sockets(port, sys::SocketScope::Listening, &tree);
    if sockets.is_empty() {
      Listeners::None
    } else if self.keeper.is_none()
      || sockets.iter().any(|socket| {
        socket
          .owners
          .iter()
          .any(|pid| tree.contains(pid) || self.marks(*pid))
      })
    {
      Listeners::Own
    } else {
      Listeners::Others
    }
  }

  /// The process carries this service's markers: a daemon that double-forked away from its
  /// keeper's tree where there is no subreaper (macOS) is still the service's own.
  fn marks(&self, pid: sys::Pid) -> bool {
    let project = self
      .env
      .iter()
      .find(|(key, _)| key == PROJECT_VARIABLE)
      .map(|(_, value)| value.as_str());
    holders::dev_service(pid).is_some_and(|service| {
      service.name == self.service && Some(service.project.to_string_lossy().as_ref()) == project
    })
  }
}

/// Who listens on a port, as far as one service is concerned.
enum Listeners {
  None,
  Own,
  Others,
}
