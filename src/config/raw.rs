//! The task file exactly as written: every value keeps its line and column so that later
//! checks (unknown names, cycles, bad durations) can point at it.

use std::{fmt, marker::PhantomData};

use serde::{
  Deserialize, Deserializer,
  de::{self, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer},
};
use serde_saphyr::Spanned;

pub(crate) use super::{
  log::RawLog,
  scalars::{Scalars, Text, scalars_as_strings},
  watch::RawWatch,
};

/// The top level. Keys starting with `x-` are allowed and ignored, as in docker compose:
/// they hold anchors (`x-common: &common …`) that services merge in (`<<: *common`).
#[derive(Debug, Default)]
pub(crate) struct RawFile {
  pub(crate) env_file: Scalars,
  pub(crate) log_dir: Option<Text>,
  /// Log file settings for every service.
  pub(crate) log: Option<RawLog>,
  pub(crate) services: Ordered<Spanned<RawService>>,
  pub(crate) tasks: Ordered<Spanned<RawTask>>,
  /// Ports no service may fall back to and `dev port find` skips.
  pub(crate) reserved: Scalars,
  /// What a bare `dev` runs: a task or a service name.
  pub(crate) default: Option<Text>,
  /// The project's name in its URLs (`web.<name>.localhost`).
  pub(crate) name: Option<Text>,
  /// The shell of every service and task that names none: sh, bash, cmd, pwsh, powershell.
  pub(crate) shell: Option<Text>,
}

const FILE_FIELDS: &[&str] = &[
  "env_file", "log_dir", "log", "services", "tasks", "reserved", "default", "name", "shell",
];

impl<'de> Deserialize<'de> for RawFile {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    struct FileVisitor;

    impl<'de> Visitor<'de> for FileVisitor {
      type Value = RawFile;

      fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping with `services:` and/or `tasks:`")
      }

      fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RawFile::default())
      }

      fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut file = RawFile::default();
        while let Some(key) = map.next_key::<String>()? {
          match key.as_str() {
            "env_file" => file.env_file = map.next_value()?,
            "log_dir" => file.log_dir = Some(map.next_value()?),
            "log" => file.log = Some(map.next_value()?),
            "services" => file.services = map.next_value()?,
            "tasks" => file.tasks = map.next_value()?,
            "reserved" => file.reserved = map.next_value()?,
            "default" => file.default = Some(map.next_value()?),
            "name" => file.name = Some(map.next_value()?),
            "shell" => file.shell = Some(map.next_value()?),
            extension if extension.starts_with("x-") => {
              map.next_value::<de::IgnoredAny>()?;
            }
            other => return Err(de::Error::unknown_field(other, FILE_FIELDS)),
          }
        }
        Ok(file)
      }
    }

    deserializer.deserialize_map(FileVisitor)
  }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
  pub(crate) description: Option<Text>,
  pub(crate) run: Text,
  /// Overrides the file's `shell:`.
  pub(crate) shell: Option<Text>,
  pub(crate) cwd: Option<Text>,
  pub(crate) port: Option<Text>,
  /// Where `port` may move when it is taken: a range, a list, or `auto`.
  pub(crate) fallback: Option<Scalars>,
  /// Named extra ports: `ports: {ws: 8081, metrics: {port: 9100, fallback: auto}}`.
  #[serde(default)]
  pub(crate) ports: Ordered<Spanned<RawNamedPort>>,
  #[serde(default)]
  pub(crate) env: Ordered<Text>,
  #[serde(default)]
  pub(crate) env_file: Scalars,
  #[serde(default)]
  pub(crate) depends_on: DependsOn,
  pub(crate) stop: Option<RawStop>,
  pub(crate) health: Option<Spanned<RawHealth>>,
  /// Probed while the service runs; a hung service is restarted.
  pub(crate) liveness: Option<Spanned<RawHealth>>,
  /// `no`, `on-failure` or `always`.
  pub(crate) restart: Option<Text>,
  pub(crate) max_restarts: Option<Text>,
  /// The first back-off; each further restart waits twice as long (at most 30 s).
  pub(crate) restart_delay: Option<Text>,
  /// Open the service's URL in the browser once it is ready.
  pub(crate) open: Option<bool>,
  pub(crate) log: Option<RawLog>,
  /// Restart on change: `true`, paths and globs, or `{paths, ignore, debounce, …}`.
  pub(crate) watch: Option<Spanned<RawWatch>>,
  /// `profiles: [web, workers]`: started by `dev up --profile web`, not by a bare `dev up`.
  #[serde(default)]
  pub(crate) profiles: Scalars,
}

/// `health: {http: "http://127.0.0.1:$PORT/health", timeout: 2s}` and friends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHealth {
  pub(crate) http: Option<Text>,
  pub(crate) tcp: Option<Text>,
  pub(crate) exec: Option<Text>,
  pub(crate) log: Option<Text>,
  pub(crate) status: Option<Text>,
  pub(crate) body: Option<Text>,
  pub(crate) interval: Option<Text>,
  pub(crate) timeout: Option<Text>,
  pub(crate) start_timeout: Option<Text>,
  pub(crate) retries: Option<Text>,
}

/// `ws: 8081` or `ws: {port: 8081, fallback: 8090-8099}`.
#[derive(Debug)]
pub(crate) enum RawNamedPort {
  Port(String),
  Full(RawPortFields),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPortFields {
  pub(crate) port: Text,
  pub(crate) fallback: Option<Scalars>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStop {
  pub(crate) signal: Option<Text>,
  pub(crate) grace: Option<Text>,
}

/// A task is a bare command string or a mapping.
#[derive(Debug)]
pub(crate) enum RawTask {
  Command(String),
  Full(Box<RawTaskFields>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTaskFields {
  pub(crate) description: Option<Text>,
  pub(crate) run: Option<Scalars>,
  /// Overrides the file's `shell:`.
  pub(crate) shell: Option<Text>,
  #[serde(default)]
  pub(crate) deps: Vec<Text>,
  pub(crate) cwd: Option<Text>,
  #[serde(default)]
  pub(crate) env: Ordered<Text>,
  #[serde(default)]
  pub(crate) env_file: Scalars,
  /// Run the deps side by side, output prefixed.
  pub(crate) parallel: Option<bool>,
  /// Named parameters: `[env, region=eu]`.
  #[serde(default)]
  pub(crate) args: Scalars,
  #[serde(default)]
  pub(crate) aliases: Scalars,
  /// Hidden from `dev list` (as is a name starting with `_`).
  pub(crate) private: Option<bool>,
  pub(crate) group: Option<Text>,
  /// `[linux, macos]`: elsewhere the task is skipped.
  #[serde(default)]
  pub(crate) platforms: Scalars,
  /// A question answered with y before the task runs.
  pub(crate) confirm: Option<Text>,
  /// Services started (healthy) first when not running, and stopped again after.
  #[serde(default)]
  pub(crate) needs: Vec<Text>,
  /// What `--watch` re-runs the task on (its `cwd` when not given).
  pub(crate) watch: Option<Spanned<RawWatch>>,
}

/// `depends_on: [backend]` or compose-like `depends_on: {backend: healthy}`.
#[derive(Debug, Default)]
pub(crate) struct DependsOn(pub(crate) Vec<(Text, Option<Text>)>);

/// A mapping that keeps the file's order and each key's location.
#[derive(Debug)]
pub(crate) struct Ordered<V>(pub(crate) Vec<(Text, V)>);

impl<V> Default for Ordered<V> {
  fn default() -> Self {
    Self(Vec::new())
  }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    struct OrderedVisitor<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
      type Value = Ordered<V>;

      fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping of names to values")
      }

      fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ordered::default())
      }

      fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ordered::default())
      }

      fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Text>()? {
          entries.push((key, map.next_value()?));
        }
        Ok(Ordered(entries))
      }
    }

    deserializer.deserialize_any(OrderedVisitor(PhantomData))
  }
}

impl<'de> Deserialize<'de> for RawTask {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    struct TaskVisitor;

    impl<'de> Visitor<'de> for TaskVisitor {
      type Value = RawTask;

      fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a command string or a mapping with `run`")
      }

      fn visit_str<E: de::Error>(self, command: &str) -> Result<Self::Value, E> {
        Ok(RawTask::Command(command.to_owned()))
      }

      scalars_as_strings!();

      fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        RawTaskFields::deserialize(MapAccessDeserializer::new(map))
          .map(|fields| RawTask::Full(Box::new(fields)))
      }
    }

    deserializer.deserialize_any(TaskVisitor)
  }
}

impl<'de> Deserialize<'de> for RawNamedPort {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    struct PortVisitor;

    impl<'de> Visitor<'de> for PortVisitor {
      type Value = RawNamedPort;

      fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a port number or a mapping with `port` and `fallback`")
      }

      fn visit_str<E: de::Error>(self, port: &str) -> Result<Self::Value, E> {
        Ok(RawNamedPort::Port(port.to_owned()))
      }

      scalars_as_strings!();

      fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        RawPortFields::deserialize(MapAccessDeserializer::new(map)).map(RawNamedPort::Full)
      }
    }

    deserializer.deserialize_any(PortVisitor)
  }
}

impl<'de> Deserialize<'de> for DependsOn {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    struct DependsOnVisitor;

    impl<'de> Visitor<'de> for DependsOnVisitor {
      type Value = DependsOn;

      fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of service names or a mapping of service names to conditions")
      }

      fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(DependsOn::default())
      }

      fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = seq.next_element::<Text>()? {
          names.push((name, None));
        }
        Ok(DependsOn(names))
      }

      fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = map.next_key::<Text>()? {
          names.push((name, Some(map.next_value::<Text>()?)));
        }
        Ok(DependsOn(names))
      }
    }

    deserializer.deserialize_any(DependsOnVisitor)
  }
}
