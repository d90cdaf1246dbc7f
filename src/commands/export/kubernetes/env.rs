//! A service's environment in a cluster: plain values in a ConfigMap (`<service>-env`), each
//! value whose name or content looks secret referenced from a Secret (`<service>-secret`,
//! `secretKeyRef`), and the env files' values from a Secret made of those files
//! (`<service>-env-file`, `envFrom.secretRef`). Secrets are never written, only referenced:
//! the notes say how to create them.

use std::fmt::Write as _;

use super::names::dns_label;
use crate::{
  commands::export::{container::for_containers, env::ServiceEnv, relative},
  config::Service,
  plan::PortMap,
  project::Project,
  ui::format::yaml_quote,
};

/// Parts of a name that say its value is a secret.
const SECRET_WORDS: &[&str] = &[
  "SECRET",
  "TOKEN",
  "PASSWORD",
  "PASSWD",
  "KEY",
  "CREDENTIAL",
  "AUTH",
  "PRIVATE",
];

/// Whether a variable's value must stay out of what is written: its name says so, or it is
/// a URL with a password in it (`postgres://app:hunter2@db/app`).
pub(super) fn looks_secret(name: &str, value: &str) -> bool {
  let upper = name.to_ascii_uppercase();
  let password_in_url = value
    .split_once("://")
    .and_then(|(_, rest)| rest.split(['/', '?']).next())
    .and_then(|authority| authority.rsplit_once('@'))
    .is_some_and(|(user_info, _)| user_info.contains(':'));
  // A word at the start or end of a part of the name (`API_KEY`, `APIKEY`, `OAUTH_ID`,
  // `TOKENS`); `AUTHOR` is a name, not an authorization.
  let parts = upper.split(|c: char| !c.is_ascii_alphanumeric());
  let secret_part = |part: &str| {
    !matches!(part, "AUTHOR" | "AUTHORS")
      && SECRET_WORDS
        .iter()
        .any(|word| part.starts_with(word) || part.ends_with(word))
  };
  parts.into_iter().any(secret_part) || password_in_url
}

/// One service's environment, sorted for Kubernetes.
#[derive(Debug, Default)]
pub(super) struct KubeEnv {
  name: String,
  /// For the ConfigMap, with other services reached by name.
  plain: Vec<(String, String)>,
  /// Read from the Secret `<name>-secret`.
  secret_keys: Vec<String>,
  /// The env files the Secret `<name>-env-file` is to be made from, relative to the project.
  files: Vec<String>,
}

impl KubeEnv {
  pub(super) fn of(
    project: &Project,
    service: &Service,
    ports: &PortMap,
    env: &ServiceEnv,
  ) -> Self {
    let mut kube = Self {
      name: dns_label(&service.name),
      ..Self::default()
    };
    for (key, value) in &env.inline {
      if looks_secret(key, value) {
        kube.secret_keys.push(key.clone());
      } else {
        let value = for_containers(value, project, ports, dns_label);
        kube.plain.push((key.clone(), value));
      }
    }
    kube.files = env
      .files
      .iter()
      .map(|file| relative(project, file))
      .collect();
    kube
  }

  pub(super) fn secret(&self) -> String {
    format!("{}-secret", self.name)
  }

  fn env_file_secret(&self) -> String {
    format!("{}-env-file", self.name)
  }

  fn config_map(&self) -> String {
    format!("{}-env", self.name)
  }

  /// Comments before the Deployment: the Secrets to create before `kubectl apply`.
  pub(super) fn write_notes(&self, out: &mut String) {
    if self.secret_keys.is_empty() && self.files.is_empty() {
      return;
    }
    let _ = writeln!(
      out,
      "# Create its Secrets first; their values are not written here:"
    );
    if !self.secret_keys.is_empty() {
      let literals: Vec<String> = self
        .secret_keys
        .iter()
        .map(|key| format!("--from-literal={key}=..."))
        .collect();
      let _ = writeln!(
        out,
        "#   kubectl create secret generic {} {}",
        self.secret(),
        literals.join(" ")
      );
    }
    if !self.files.is_empty() {
      let files: Vec<String> = self
        .files
        .iter()
        .map(|file| format!("--from-env-file={file}"))
        .collect();
      let _ = writeln!(
        out,
        "#   kubectl create secret generic {} {}",
        self.env_file_secret(),
        files.join(" ")
      );
    }
  }

  /// What the stderr note names: each key read from a Secret.
  pub(super) fn secret_keys(&self) -> &[String] {
    &self.secret_keys
  }
}

/// The service's ConfigMap, when it has plain values.
pub(super) fn write_config_map(out: &mut String, env: &KubeEnv) {
  if env.plain.is_empty() {
    return;
  }
  let _ = writeln!(out, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:");
  let _ = writeln!(out, "  name: {}\ndata:", env.config_map());
  for (key, value) in &env.plain {
    let _ = writeln!(out, "  {}: {}", yaml_quote(key), yaml_quote(value));
  }
}

/// `envFrom` (the env files' Secret, then the ConfigMap: a later source wins, as `env:` and
/// the ports win over the env files in `dev`) and `env` (each secret key), at a container's
/// indentation.
pub(super) fn write_env(out: &mut String, env: &KubeEnv) {
  if !env.files.is_empty() || !env.plain.is_empty() {
    let _ = writeln!(out, "          envFrom:");
    if !env.files.is_empty() {
      let _ = writeln!(
        out,
        "            - secretRef:\n                name: {}",
        env.env_file_secret()
      );
    }
    if !env.plain.is_empty() {
      let _ = writeln!(
        out,
        "            - configMapRef:\n                name: {}",
        env.config_map()
      );
    }
  }
  if !env.secret_keys.is_empty() {
    let _ = writeln!(out, "          env:");
    for key in &env.secret_keys {
      let _ = writeln!(out, "            - name: {}", yaml_quote(key));
      let _ = writeln!(
        out,
        "              valueFrom:\n                secretKeyRef:"
      );
      let _ = writeln!(out, "                  name: {}", env.secret());
      let _ = writeln!(out, "                  key: {}", yaml_quote(key));
    }
  }
}

#[cfg(test)]
mod tests {
  use super::looks_secret;

  #[test]
  fn names_and_urls_that_carry_secrets_are_told_from_plain_values() {
    assert!(looks_secret("API_TOKEN", "abc"));
    assert!(looks_secret("stripe_key", "sk_live"));
    assert!(looks_secret(
      "DATABASE_URL",
      "postgres://app:hunter2@db:5432/app"
    ));
    assert!(!looks_secret("DATABASE_URL", "postgres://app@db:5432/app"));
    assert!(!looks_secret("PORT", "8000"));
    assert!(looks_secret("APIKEY", "x") && looks_secret("OAUTH_ID", "x"));
    assert!(looks_secret("AUTHORIZATION", "Bearer x"));
    assert!(!looks_secret("AUTHOR", "Ada") && !looks_secret("GIT_AUTHOR_NAME", "Ada"));
    assert!(!looks_secret("API_URL", "http://api:8000/v1?a=b:c@d"));
  }
}
