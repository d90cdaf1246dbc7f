//! Names as Kubernetes takes them: objects and containers are DNS labels (lowercase letters,
//! digits and `-`, at most 63), a port's name an IANA service name (at most 15, a letter in
//! it). A task file's names allow `_`, `.` and capitals, so they are mapped, not copied.

/// `My_API.v2` → `my-api-v2`; a name with nothing left is `service`.
pub(super) fn dns_label(name: &str) -> String {
  let mapped: String = name
    .chars()
    .map(|c| {
      if c.is_ascii_alphanumeric() {
        c.to_ascii_lowercase()
      } else {
        '-'
      }
    })
    .collect();
  let trimmed: String = mapped.chars().take(63).collect();
  let trimmed = trimmed.trim_matches('-');
  if trimmed.is_empty() {
    "service".into()
  } else {
    trimmed.into()
  }
}

/// The port's name from the task file (`port` for `port:`, the key of `ports:`) when
/// Kubernetes takes it as one, else `p<number>`.
pub(super) fn port_name(name: &str, port: u16) -> String {
  let label = dns_label(name);
  let valid =
    label.len() <= 15 && !label.contains("--") && label.chars().any(|c| c.is_ascii_lowercase());
  if valid { label } else { format!("p{port}") }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn task_file_names_become_dns_labels() {
    assert_eq!(dns_label("My_API.v2"), "my-api-v2");
    assert_eq!(dns_label("-_-"), "service");
    assert_eq!(dns_label(&"a".repeat(70)).len(), 63);
  }

  #[test]
  fn a_port_name_kubernetes_refuses_becomes_its_number() {
    assert_eq!(port_name("ws", 8001), "ws");
    assert_eq!(port_name("metrics_endpoint_v2", 9100), "p9100");
    assert_eq!(port_name("8080", 8080), "p8080");
  }
}
