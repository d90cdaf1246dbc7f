//! The page for a name that leads nowhere: what runs instead, and how to start it.

use std::fmt::Write;

use super::routes::{Missing, Route};

/// A complete HTTP/1.1 response that closes the connection.
pub(crate) fn response(status: &str, body: &str) -> Vec<u8> {
  format!(
    "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\ncache-control: no-store\r\n\r\n{body}",
    body.len()
  )
  .into_bytes()
}

/// 404: no running service has the name asked for.
pub(crate) fn missing(missing: &Missing, proxy_port: u16) -> Vec<u8> {
  let mut body = String::new();
  let asked = match &missing.project {
    Some(project) => format!("{}.{project}.localhost", missing.service),
    None => format!("{}.localhost", missing.service),
  };
  if missing.ambiguous {
    let _ = writeln!(
      body,
      "dev: several running projects have a service `{}`: name the project, as in\n",
      missing.service
    );
    for route in missing
      .running
      .iter()
      .filter(|r| r.service == missing.service)
    {
      let _ = writeln!(body, "  {}", url(route, proxy_port));
    }
    return response("404 Not Found", &body);
  }
  let _ = writeln!(body, "dev: nothing runs at {asked}\n");
  let project = missing.project.as_deref();
  let known = project.and_then(|p| missing.running.iter().find(|r| r.project == p));
  match known {
    Some(route) => {
      let _ = writeln!(
        body,
        "Project `{}` runs, but has no running service `{}` with a port. To start it, if its devtasks.yaml has it:\n\n  cd {} && dev up {}\n",
        route.project,
        missing.service,
        route.root.display(),
        missing.service
      );
    }
    None => {
      let _ = writeln!(
        body,
        "To start a project: `dev up` in its folder. Its name in URLs is its folder's (a git worktree's is <branch>.<folder>), or `name:` in its devtasks.yaml.\n"
      );
    }
  }
  listing(&mut body, &missing.running, proxy_port);
  response("404 Not Found", &body)
}

/// 502: the service is in the ledger but nothing answered on its port in time.
pub(crate) fn unreachable(host: &str, port: u16, waited: &str) -> Vec<u8> {
  let body = format!(
    "dev: {host} runs on port {port} by the ledger, but nothing accepted a connection there within {waited}.\nIts log says why: `dev logs` in its project (`dev list --all` shows where).\n"
  );
  response("502 Bad Gateway", &body)
}

/// 200 for the proxy's own address: every running service by name.
pub(crate) fn index(running: &[Route], proxy_port: u16) -> Vec<u8> {
  let mut body =
    String::from("dev's proxy: a service of a running project is reached by name.\n\n");
  listing(&mut body, running, proxy_port);
  response("200 OK", &body)
}

fn listing(body: &mut String, running: &[Route], proxy_port: u16) {
  if running.is_empty() {
    body.push_str("No project runs now.\n");
    return;
  }
  body.push_str("Running now:\n");
  let mut project = None;
  for route in running {
    if project != Some(&route.project) {
      let _ = writeln!(body, "\n  {}  ({})", route.project, route.root.display());
      project = Some(&route.project);
    }
    let _ = writeln!(
      body,
      "    {}  → port {}",
      url(route, proxy_port),
      route.port
    );
  }
}

fn url(route: &Route, proxy_port: u16) -> String {
  super::url(&route.service, &route.project, proxy_port)
}
