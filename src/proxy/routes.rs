//! Which port a host name reaches: `<service>.<project>.localhost` read against the
//! machine's ledger, re-read whenever the ledger file changes, so a restart onto another
//! port or a fallback is followed by the next connection.

use std::{path::PathBuf, sync::Mutex, time::SystemTime};

use crate::{
  config::url_label,
  ports::ledger::{Claim, LEDGER_FILE, live_claims},
  sys::ProcessId,
};

/// One routable service: a service of a running project with a port.
#[derive(Clone, Debug)]
pub(crate) struct Route {
  pub(crate) project: String,
  pub(crate) service: String,
  pub(crate) root: PathBuf,
  pub(crate) port: u16,
  /// Between two runs (its keeper backs off after a crash): whatever answers on its port
  /// now is not the service.
  pub(crate) down: bool,
  /// The keeper whose claim it is: once it is gone, so is the route.
  pub(crate) owner: ProcessId,
}

/// Where a host name leads.
#[derive(Debug)]
pub(crate) enum Found {
  Port(u16),
  /// The service is between two runs on this port: wait for the next one.
  Down(u16),
  /// No running service has this name: the page says what runs instead.
  Missing(Missing),
}

#[derive(Debug)]
pub(crate) struct Missing {
  pub(crate) service: String,
  pub(crate) project: Option<String>,
  /// `web.localhost` when several projects have a `web`.
  pub(crate) ambiguous: bool,
  pub(crate) running: Vec<Route>,
}

/// The ledger's routes, cached until its file changes.
pub(crate) struct Routes {
  directory: PathBuf,
  cache: Mutex<(Option<SystemTime>, Vec<Claim>)>,
}

impl Routes {
  pub(crate) fn new(directory: PathBuf) -> Self {
    Self {
      directory,
      cache: Mutex::new((None, Vec::new())),
    }
  }

  /// Every routable service, read again when the ledger file changed. `verify` also drops
  /// the claims whose owner died since (a keeper killed with SIGKILL does not write): a
  /// look at /proc per claim, so only when a connection failed or for a page.
  pub(crate) fn all(&self, verify: bool) -> Vec<Route> {
    let modified = std::fs::metadata(self.directory.join(LEDGER_FILE))
      .and_then(|meta| meta.modified())
      .ok();
    let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.0 != modified || modified.is_none() {
      *cache = (modified, live_claims(&self.directory));
    } else if verify {
      cache.1.retain(|claim| claim.owner.is_alive());
    }
    routes_of(&cache.1)
  }

  /// True while some project has a claim in the ledger (running or starting).
  pub(crate) fn in_use(&self) -> bool {
    !live_claims(&self.directory).is_empty()
  }

  pub(crate) fn find(&self, host: &str, verify: bool) -> Found {
    let routes = self.all(verify);
    let found = find(&routes, host);
    // A keeper that ended after the ledger was last written (its service not restarted:
    // the port was another program's) leaves a claim behind: whatever answers on that port
    // is not the service. One look at the found route's keeper per request.
    let owner_gone = |port: u16| {
      routes
        .iter()
        .any(|route| route.port == port && !route.owner.is_alive())
    };
    match found {
      Found::Port(port) | Found::Down(port) if !verify && owner_gone(port) => {
        find(&self.all(true), host)
      }
      found => found,
    }
  }
}

fn routes_of(claims: &[Claim]) -> Vec<Route> {
  let mut routes: Vec<Route> = claims
    .iter()
    .filter_map(|claim| {
      Some(Route {
        project: if claim.name.is_empty() {
          url_label(&claim.project.file_name()?.to_string_lossy())
        } else {
          claim.name.clone()
        },
        service: url_label(&claim.service),
        root: claim.project.clone(),
        port: *claim.ports.first()?,
        down: claim.down,
        owner: claim.owner,
      })
    })
    .collect();
  // A restart's reservation of its new port sits beside the keeper's claim on the old one
  // until the hand-over: the later entry is the newer (the ledger appends), and wins.
  routes.reverse();
  let mut seen = std::collections::HashSet::new();
  routes.retain(|route| seen.insert((route.project.clone(), route.service.clone())));
  routes.sort_by(|a, b| (&a.project, &a.service).cmp(&(&b.project, &b.service)));
  routes
}

/// `web.shop.localhost:7355` → the port of `web` of `shop`; `web.localhost` → the one
/// project's `web` when exactly one running project has one.
pub(crate) fn find(routes: &[Route], host: &str) -> Found {
  let host = host.trim().to_ascii_lowercase();
  let name = host
    .rsplit_once(':')
    .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
    .map_or(host.as_str(), |(name, _)| name);
  let name = name.trim_end_matches('.');
  let name = name.strip_suffix(".localhost").unwrap_or("");
  let (service, project) = match name.split_once('.') {
    Some((service, project)) => (service, Some(project)),
    None => (name, None),
  };
  let matching: Vec<&Route> = routes
    .iter()
    .filter(|route| route.service == service && project.is_none_or(|p| route.project == p))
    .collect();
  match matching.as_slice() {
    [only] if only.down => Found::Down(only.port),
    [only] => Found::Port(only.port),
    several => Found::Missing(Missing {
      service: service.to_owned(),
      project: project.map(str::to_owned),
      ambiguous: several.len() > 1,
      running: routes.to_vec(),
    }),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn route(project: &str, service: &str, port: u16) -> Route {
    Route {
      project: project.into(),
      service: service.into(),
      root: PathBuf::from("/p"),
      port,
      down: false,
      owner: crate::sys::ProcessId::of(std::process::id()).unwrap(),
    }
  }

  #[test]
  fn the_later_of_two_claims_of_one_service_wins() {
    let claim = |port| Claim {
      project: PathBuf::from("/shop"),
      project_id: crate::sys::DirectoryId::of(std::path::Path::new("/")),
      service: "web".into(),
      ports: vec![port],
      owner: crate::sys::ProcessId::of(1).unwrap(),
      running: true,
      name: "shop".into(),
      down: false,
    };
    let routes = routes_of(&[claim(8000), claim(8001)]);
    assert!(matches!(
      find(&routes, "web.shop.localhost"),
      Found::Port(8001)
    ));
  }

  #[test]
  fn a_host_reaches_its_service_of_its_project() {
    let routes = [
      route("shop", "web", 8000),
      route("login.shop", "web", 8001),
      route("shop", "api", 9000),
    ];
    let port = |host| match find(&routes, host) {
      Found::Port(port) => Some(port),
      Found::Down(_) | Found::Missing(_) => None,
    };
    assert_eq!(port("web.shop.localhost:7355"), Some(8000));
    assert_eq!(port("WEB.Login.Shop.localhost."), Some(8001));
    assert_eq!(port("api.localhost"), Some(9000), "one project has an api");
    assert_eq!(port("web.localhost"), None, "two projects have a web");
    assert_eq!(port("web.other.localhost"), None);
    assert_eq!(port("127.0.0.1:7355"), None);
    assert!(matches!(
      find(&routes, "web.localhost"),
      Found::Missing(Missing {
        ambiguous: true,
        ..
      })
    ));
  }

  #[test]
  fn a_service_between_two_runs_is_waited_for_not_reached() {
    let mut down = route("shop", "web", 8000);
    down.down = true;
    assert!(matches!(
      find(&[down], "web.shop.localhost"),
      Found::Down(8000)
    ));
  }
}
