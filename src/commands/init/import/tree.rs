//! A source file (YAML or JSON) as a plain tree that keeps the file's order: services are
//! written in the order the project lists them. Parse errors name the file with line:col.

use std::{fmt, path::Path, sync::Arc};

use serde::{
  Deserialize, Deserializer,
  de::{self, MapAccess, SeqAccess, Visitor},
};

use crate::{
  config::source::{Location, Source, display_path},
  error::Error,
};

/// One value of the source file. Numbers and booleans keep their text (`8000`, `true`): they
/// are written back out as YAML, never computed with.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
  Null,
  Scalar(String),
  List(Vec<Node>),
  Map(Vec<(String, Node)>),
}

impl Node {
  /// The value under `key` of a mapping.
  pub(super) fn get(&self, key: &str) -> Option<&Node> {
    match self {
      Self::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
      _ => None,
    }
  }

  pub(super) fn text(&self) -> Option<&str> {
    match self {
      Self::Scalar(text) => Some(text),
      _ => None,
    }
  }

  /// The text under `key`, when it is a scalar.
  pub(super) fn str(&self, key: &str) -> Option<&str> {
    self.get(key).and_then(Node::text)
  }

  pub(super) fn entries(&self) -> &[(String, Node)] {
    match self {
      Self::Map(entries) => entries,
      _ => &[],
    }
  }

  pub(super) fn items(&self) -> &[Node] {
    match self {
      Self::List(items) => items,
      _ => &[],
    }
  }

  /// `true`/`yes`/`on` as YAML 1.1 and compose read them.
  pub(super) fn is_true(&self, key: &str) -> bool {
    self
      .str(key)
      .is_some_and(|text| matches!(text.to_ascii_lowercase().as_str(), "true" | "yes" | "on"))
  }

  /// A scalar or a list of scalars, as strings (`env_file: .env` or `[.env, .env.local]`).
  pub(super) fn strings(&self) -> Vec<String> {
    match self {
      Self::Scalar(text) => vec![text.clone()],
      Self::List(items) => items
        .iter()
        .filter_map(Node::text)
        .map(str::to_owned)
        .collect(),
      _ => Vec::new(),
    }
  }
}

/// Parses `text` as JSON (`json`) or YAML; an error points at the file's line and column.
pub(super) fn parse(path: &Path, text: &str, json: bool) -> Result<Node, Error> {
  let located = |message: String, line: usize, column: usize| {
    let source = Arc::new(Source {
      path: path.to_path_buf(),
      text: text.to_owned(),
    });
    Error::Config {
      message: format!(
        "{} is not valid {}: {message}",
        display_path(path),
        if json { "JSON" } else { "YAML" }
      ),
      location: (line > 0).then(|| Location::new(&source, line, column.max(1), 1)),
      hint: Some("fix the file (or give another with `--from`); nothing was written".into()),
    }
  };
  if json {
    serde_json::from_str(text).map_err(|error| {
      let message = error.to_string();
      let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
      located(message, error.line(), error.column())
    })
  } else {
    serde_saphyr::from_str(text).map_err(|error| {
      let message = error.without_snippet().to_string();
      let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
      let (line, column) = error
        .location()
        .map_or((0, 0), |at| (at.line() as usize, at.column() as usize));
      located(message, line, column)
    })
  }
}

impl<'de> Deserialize<'de> for Node {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    deserializer.deserialize_any(NodeVisitor)
  }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
  type Value = Node;

  fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
    f.write_str("any value")
  }

  fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
    Ok(Node::Null)
  }

  fn visit_none<E: de::Error>(self) -> Result<Node, E> {
    Ok(Node::Null)
  }

  fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
    Node::deserialize(deserializer)
  }

  fn visit_bool<E: de::Error>(self, value: bool) -> Result<Node, E> {
    Ok(Node::Scalar(value.to_string()))
  }

  fn visit_i64<E: de::Error>(self, value: i64) -> Result<Node, E> {
    Ok(Node::Scalar(value.to_string()))
  }

  fn visit_u64<E: de::Error>(self, value: u64) -> Result<Node, E> {
    Ok(Node::Scalar(value.to_string()))
  }

  fn visit_f64<E: de::Error>(self, value: f64) -> Result<Node, E> {
    Ok(Node::Scalar(value.to_string()))
  }

  fn visit_str<E: de::Error>(self, value: &str) -> Result<Node, E> {
    Ok(Node::Scalar(value.to_owned()))
  }

  fn visit_string<E: de::Error>(self, value: String) -> Result<Node, E> {
    Ok(Node::Scalar(value))
  }

  fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
    let mut items = Vec::new();
    while let Some(item) = seq.next_element()? {
      items.push(item);
    }
    Ok(Node::List(items))
  }

  fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
    let mut entries = Vec::new();
    // Keys as written: a service named `off` or `yes` is that name, not YAML 1.1's boolean.
    while let Some(key) = map.next_key::<String>()? {
      entries.push((key, map.next_value()?));
    }
    Ok(Node::Map(entries))
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  /// YAML 1.1 reads `off`, `yes` and `on` as booleans; as keys (a compose service named
  /// `off`) they are names, kept as written.
  #[test]
  fn keys_that_read_as_booleans_or_numbers_keep_their_text() {
    let node = parse(Path::new("compose.yml"), "off: 1\nyes: 2\n8000: 3\n", false).unwrap();
    let keys: Vec<&str> = node.entries().iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["off", "yes", "8000"]);
  }
}
