//! Addresses on compose's network in imported values: a service's name is its host there.

use super::draft::{Imported, dev_name};

/// `API_URL: http://api:8000` reaches `api` on compose's network, where a service's name is
/// its host and the port its container's. On this machine `api` is 127.0.0.1 at the port
/// dev gives it: such an address of an imported service with a port becomes
/// `127.0.0.1:${api.port}`; one of a service that was not carried over is said.
pub(super) fn host_addresses(into: &mut Imported, names: &[&str]) {
  let with_port: Vec<String> = into
    .services
    .iter()
    .filter(|service| service.port.is_some())
    .map(|service| service.name.clone())
    .collect();
  for service in &mut into.services {
    let mut notes = Vec::new();
    for (key, value) in &mut service.env {
      for name in names {
        let Some(port_at) = address_of(value, name) else {
          continue;
        };
        let dev = dev_name(name);
        if with_port.contains(&dev) {
          let end = port_at
            + value[port_at..]
              .bytes()
              .take_while(u8::is_ascii_digit)
              .count();
          let start = port_at - name.len() - 1;
          value.replace_range(start..end, &format!("127.0.0.1:${{{dev}.port}}"));
        } else {
          notes.push(format!(
            "not carried over: `{key}` names `{name}:…`, an address on compose's network; \
             set it to where {name} runs on this machine"
          ));
        }
      }
    }
    service.notes.extend(notes);
  }
}

/// Where the port starts in `value` when it holds `name:<port>` as a URL's or a plain
/// address's host (`http://api:8000`, `user@db:5432`, `api:8000`).
fn address_of(value: &str, name: &str) -> Option<usize> {
  let pattern = format!("{name}:");
  value.match_indices(&pattern).find_map(|(at, _)| {
    let before = value[..at].chars().last();
    let port_at = at + pattern.len();
    let digits = value[port_at..].starts_with(|c: char| c.is_ascii_digit());
    (digits && matches!(before, None | Some('/' | '@' | ' ' | ','))).then_some(port_at)
  })
}

#[cfg(test)]
mod tests {
  use std::path::Path;

  use super::super::{compose, draft::Imported, tree::parse};

  fn imported(yaml: &str) -> Imported {
    let mut into = Imported::default();
    compose::import(
      &parse(Path::new("compose.yaml"), yaml, false).unwrap(),
      &mut into,
    );
    into
  }

  /// Addresses on compose's network: an imported service's becomes its address here, a
  /// container-only one's is said.
  #[test]
  fn service_names_as_hosts_become_this_machines_addresses() {
    let into = imported(
      "services:\n  api:\n    command: serve --port 8000\n    ports: [\"18000:8000\"]\n\
       \x20 web:\n    command: node web.js\n    environment:\n\
       \x20     API_URL: http://api:8000/v1\n\
       \x20     DATABASE_URL: postgres://app:pw@db:5432/app\n\
       \x20     AUTHOR: apiary:1\n\
       \x20 db:\n    image: postgres\n",
    );
    let web = into.services.iter().find(|s| s.name == "web").unwrap();
    let env = |key: &str| &web.env.iter().find(|(k, _)| k == key).unwrap().1;
    assert_eq!(env("API_URL"), "http://127.0.0.1:${api.port}/v1");
    assert_eq!(env("DATABASE_URL"), "postgres://app:pw@db:5432/app");
    assert_eq!(env("AUTHOR"), "apiary:1");
    assert!(
      web
        .notes
        .iter()
        .any(|note| note.contains("`DATABASE_URL` names `db:…`")),
      "{:?}",
      web.notes
    );
  }
}
