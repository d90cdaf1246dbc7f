//! `name:`: the project's name in its URLs (`http://web.<name>.localhost:7355/`), and the
//! rule that makes any folder or branch name fit there.

use super::{Checker, raw::Text};
use crate::error::Result;

impl Checker<'_> {
  /// `name:`, which must read the same in a URL: labels of lowercase letters, digits and
  /// `-`, joined by `.`.
  pub(super) fn url_name(&self, text: &Text) -> Result<String> {
    let name = text.value.as_str();
    if !name.is_empty() && name.split('.').all(|label| url_label(label) == label) {
      return Ok(name.to_owned());
    }
    Err(
      self
        .at(text, format!("`name: {name}` cannot be part of a URL"))
        .with_hint(format!(
          "use lowercase letters, digits and `-` (e.g. `name: {}`): services are then reached as http://<service>.<name>.localhost",
          url_label(name)
        )),
    )
  }
}

impl Checker<'_> {
  /// Two services whose names become one host label (`my_api` and `my-api`, `api.web` and
  /// `api-web`) would share one URL, and the proxy could reach only one of them.
  pub(super) fn check_url_labels<'t>(&self, names: impl Iterator<Item = &'t Text>) -> Result<()> {
    let mut seen: Vec<(String, &Text)> = Vec::new();
    for name in names {
      let label = url_label(&name.value);
      if let Some((_, first)) = seen.iter().find(|(other, _)| *other == label) {
        return Err(
          self
            .at(
              name,
              format!(
                "services `{}` and `{}` would share one URL, http://{label}.<project>.localhost",
                first.value, name.value
              ),
            )
            .with_hint("rename one: URLs are lowercase and read `_` and `.` as `-`"),
        );
      }
      seen.push((label, name));
    }
    Ok(())
  }
}

/// `My_App` → `my-app`, `feature/login` → `feature-login`: one host name label (RFC 1123:
/// letters, digits and inner hyphens, at most 63), lowercase because host names are
/// compared without case. Never empty.
pub(crate) fn url_label(text: &str) -> String {
  let mut label = String::new();
  for c in text.chars().flat_map(char::to_lowercase) {
    if c.is_ascii_alphanumeric() {
      label.push(c);
    } else if !label.ends_with('-') {
      label.push('-');
    }
  }
  let label: String = label.trim_matches('-').chars().take(63).collect();
  match label.trim_end_matches('-') {
    "" => "x".to_owned(),
    label => label.to_owned(),
  }
}

#[cfg(test)]
mod tests {
  use super::url_label;

  #[test]
  fn any_name_becomes_one_host_label() {
    assert_eq!(url_label("My_App"), "my-app");
    assert_eq!(url_label("feature/login--x"), "feature-login-x");
    assert_eq!(url_label("-web-"), "web");
    assert_eq!(url_label("日本"), "x");
    assert_eq!(url_label(&"a".repeat(80)).len(), 63);
  }
}
