//! `health:` as a readinessProbe and `liveness:` as a livenessProbe: http → `httpGet` with
//! the URL's path and port, tcp and a port's listening → `tcpSocket`, exec → `exec` through
//! `sh -c`; the timing from the task file. A log probe has no Kubernetes form: said, not
//! guessed.

use std::fmt::Write as _;

use crate::{
  config::{Health, Probe},
  ui::format::yaml_quote,
};

/// Writes `key:` (`readinessProbe`, `livenessProbe`) at a container's indentation, or a
/// comment saying why there is none.
pub(super) fn write_probe(out: &mut String, key: &str, health: &Health, port: Option<u16>) {
  let action = match &health.probe {
    Probe::Http { url, status, body } => {
      let Some((scheme, port, path)) = http_target(url) else {
        return note(out, key, &format!("cannot read the URL {url}"));
      };
      if status.is_some() || body.is_some() {
        let _ = writeln!(
          out,
          "          # {key}: Kubernetes takes any status from 200 to 399 and reads no body."
        );
      }
      format!(
        "httpGet:\n              scheme: {scheme}\n              path: {}\n              port: {port}",
        yaml_quote(&path)
      )
    }
    Probe::Tcp { address } => match address.rsplit_once(':').map(|(_, p)| p.parse::<u16>()) {
      Some(Ok(port)) => format!("tcpSocket:\n              port: {port}"),
      _ => return note(out, key, &format!("cannot read the address {address}")),
    },
    Probe::Listening => match port {
      Some(port) => format!("tcpSocket:\n              port: {port}"),
      None => return,
    },
    Probe::Exec { command } => format!(
      "exec:\n              command: [\"sh\", \"-c\", {}]",
      yaml_quote(&super::literal(command))
    ),
    Probe::Log { pattern } => {
      return note(
        out,
        key,
        &format!("a line matching {pattern:?} in the output has no Kubernetes probe"),
      );
    }
  };
  let _ = writeln!(out, "          {key}:\n            {action}");
  let _ = writeln!(
    out,
    "            periodSeconds: {}",
    health.interval.as_secs().max(1)
  );
  let _ = writeln!(
    out,
    "            timeoutSeconds: {}",
    health.timeout.as_secs().max(1)
  );
  let _ = writeln!(
    out,
    "            failureThreshold: {}",
    health.retries.max(1)
  );
  if key == "livenessProbe" {
    // dev counts no failure before the service's first pass or this much time.
    let _ = writeln!(
      out,
      "            initialDelaySeconds: {}",
      health.start_timeout.as_secs()
    );
  }
}

fn note(out: &mut String, key: &str, why: &str) {
  let _ = writeln!(out, "          # no {key}: {why}");
}

/// `http://127.0.0.1:8000/healthz?deep=1` → (`HTTP`, 8000, `/healthz?deep=1`). The host is
/// dropped: the kubelet probes the pod's own address.
fn http_target(url: &str) -> Option<(&'static str, u16, String)> {
  let (scheme, rest, default_port) = if let Some(rest) = url.strip_prefix("http://") {
    ("HTTP", rest, 80)
  } else if let Some(rest) = url.strip_prefix("https://") {
    ("HTTPS", rest, 443)
  } else {
    return None;
  };
  let (authority, path) = match rest.find(['/', '?']) {
    Some(at) => (&rest[..at], rest[at..].to_owned()),
    None => (rest, "/".to_owned()),
  };
  let path = if path.starts_with('?') {
    format!("/{path}")
  } else {
    path
  };
  let port = match authority.rsplit_once(':') {
    Some((_, port)) if !port.ends_with(']') => port.parse().ok()?,
    _ => default_port,
  };
  Some((scheme, port, path))
}

#[cfg(test)]
mod tests {
  use super::http_target;

  #[test]
  fn an_http_url_gives_the_scheme_port_and_path_the_kubelet_probes() {
    assert_eq!(
      http_target("http://127.0.0.1:8000/healthz?deep=1"),
      Some(("HTTP", 8000, "/healthz?deep=1".into()))
    );
    assert_eq!(
      http_target("https://localhost"),
      Some(("HTTPS", 443, "/".into()))
    );
    assert_eq!(
      http_target("http://[::1]:9000?x"),
      Some(("HTTP", 9000, "/?x".into()))
    );
    assert_eq!(http_target("ftp://x"), None);
  }
}
