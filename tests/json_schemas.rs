//! Every `--json` output against its schema in `schemas/`: the shapes README documents are
//! the shapes scripts get. The validator covers the part of JSON Schema those files use
//! (type, properties, required, additionalProperties, items, enum, const, anyOf, $ref).

use std::time::Duration;

use serde_json::Value;

use crate::harness::*;

fn schema(name: &str) -> Value {
  let path = format!("{}/schemas/{name}.json", env!("CARGO_MANIFEST_DIR"));
  serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Why `value` does not match `schema` (within `root`, for `$ref`), if it does not.
fn mismatch(value: &Value, schema: &Value, root: &Value, at: &str) -> Option<String> {
  if let Some(reference) = schema["$ref"].as_str() {
    let name = reference.strip_prefix("#/$defs/").expect("local $ref");
    return mismatch(value, &root["$defs"][name], root, at);
  }
  if let Some(options) = schema["anyOf"].as_array() {
    let reasons: Vec<String> = options
      .iter()
      .filter_map(|option| mismatch(value, option, root, at))
      .collect();
    return (reasons.len() == options.len()).then(|| format!("{at}: none of {reasons:?}"));
  }
  if let Some(constant) = schema.get("const")
    && value != constant
  {
    return Some(format!("{at}: {value} is not {constant}"));
  }
  if let Some(allowed) = schema["enum"].as_array()
    && !allowed.contains(value)
  {
    return Some(format!("{at}: {value} is not one of {allowed:?}"));
  }
  let types: Vec<&str> = match &schema["type"] {
    Value::String(one) => vec![one.as_str()],
    Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
    _ => Vec::new(),
  };
  let is = |kind: &str| match kind {
    "null" => value.is_null(),
    "boolean" => value.is_boolean(),
    "integer" => value.is_i64() || value.is_u64(),
    "number" => value.is_number(),
    "string" => value.is_string(),
    "array" => value.is_array(),
    "object" => value.is_object(),
    other => panic!("unknown type {other}"),
  };
  if !types.is_empty() && !types.iter().any(|kind| is(kind)) {
    return Some(format!("{at}: {value} is not {types:?}"));
  }
  if let Some(items) = value.as_array()
    && schema.get("items").is_some()
  {
    for (index, item) in items.iter().enumerate() {
      if let Some(why) = mismatch(item, &schema["items"], root, &format!("{at}[{index}]")) {
        return Some(why);
      }
    }
  }
  if let Some(object) = value.as_object() {
    for required in schema["required"].as_array().into_iter().flatten() {
      let key = required.as_str().unwrap();
      if !object.contains_key(key) {
        return Some(format!("{at}: `{key}` is missing"));
      }
    }
    for (key, item) in object {
      let here = format!("{at}.{key}");
      let why = match (
        schema["properties"].get(key),
        &schema["additionalProperties"],
      ) {
        (Some(property), _) => mismatch(item, property, root, &here),
        (None, Value::Bool(false)) => Some(format!("{here} is not in the schema")),
        (None, extra) if extra.is_object() => mismatch(item, extra, root, &here),
        (None, _) => None,
      };
      if why.is_some() {
        return why;
      }
    }
  }
  None
}

#[track_caller]
pub(crate) fn assert_matches(test: &Test, args: &[&str], schema_name: &str) {
  let done = test.run(args);
  let value = done.json();
  let schema = schema(schema_name);
  if let Some(why) = mismatch(&value, &schema, &schema, "$") {
    panic!("dev {args:?} does not match schemas/{schema_name}.json: {why}\n{value:#}");
  }
}

// Unix only: the validator lives in a virtualenv's `bin/`.
#[cfg(unix)]
#[test]
fn the_validator_rejects_what_does_not_match() {
  let schema = schema("port-free");
  let good =
    serde_json::json!({"port": 1, "stopped": [], "bindable_after_ms": null, "parents_left": []});
  assert_eq!(mismatch(&good, &schema, &schema, "$"), None);
  for bad in [
    serde_json::json!({"port": "1", "stopped": [], "bindable_after_ms": null}),
    serde_json::json!({"port": 1, "stopped": []}),
    serde_json::json!({"port": 1, "stopped": [], "bindable_after_ms": 0, "extra": true}),
    serde_json::json!({"port": 1, "stopped": [{"pid": 1}], "bindable_after_ms": 0}),
  ] {
    assert!(mismatch(&bad, &schema, &schema, "$").is_some(), "{bad}");
  }
}

// Unix only: python3 servers started with `exec`.
#[cfg(unix)]
#[test]
fn every_json_output_matches_its_schema() {
  let (api, web, held) = (free_port(), free_port(), free_port());
  let mut test = Test::with_config(&format!(
    "env_file: .env
reserved: [{held}]
services:
  api:
    description: the API
    run: exec python3 -u server.py http
    port: {api}
    fallback: auto
    ports: {{ ws: {{ port: {}, fallback: [{}, {}] }} }}
    env: {{ GREETING: hi }}
    health: {{ http: 'http://127.0.0.1:$PORT/', status: 200, body: ok }}
    liveness: {{ interval: 5s }}
    restart: on-failure
    stop: {{ signal: INT, grace: 3s }}
    log: {{ timestamps: true }}
  web:
    run: exec python3 -u server.py
    port: {web}
    depends_on: {{ api: healthy }}
    profiles: [front]
  worker:
    run: sleep 60
    health: {{ exec: 'true' }}
tasks:
  build: echo building
  deploy: {{ run: 'echo ${{env}}', args: [env, region=eu], aliases: [d], group: ops, platforms: [linux], confirm: Sure?, needs: [api], env: {{ X: y }} }}
",
    free_port(),
    free_port(),
    free_port()
  ));
  test.write(".env", "A=1\n");
  // Names through a proxy of the test's own: `url` fields are strings, not null.
  test.with_proxy();
  test.run(&["up", "-d", "api", "web"]).success();
  let _foreign = test.foreign(held, "127.0.0.1", "plain");
  assert_matches(&test, &["list", "--json"], "list");
  assert_matches(&test, &["status", "--json"], "status");
  // Running, stopped (worker) and not-running rows, healthy and not.
  assert_matches(&test, &["health", "--json"], "health");
  assert_matches(&test, &["env", "--json"], "env");
  assert_matches(&test, &["config", "--json"], "config");
  assert_matches(&test, &["ps", "--json"], "ps");
  assert_matches(&test, &["list", "--all", "--json"], "projects");
  assert_matches(
    &test,
    &[
      "port",
      "who",
      "--json",
      &api.to_string(),
      &held.to_string(),
      "1",
    ],
    "port-report",
  );
  assert_matches(
    &test,
    &[
      "port",
      "check",
      "--json",
      &web.to_string(),
      &held.to_string(),
    ],
    "port-report",
  );
  assert_matches(
    &test,
    &["port", "find", "--json", "-n", "3", "20000"],
    "port-find",
  );
  assert_matches(
    &test,
    &["port", "free", "--json", "--yes", &held.to_string()],
    "port-free",
  );
  // An exited service in status: worker exits at once.
  test.write(
    "devtasks.yaml",
    "services:\n  worker:\n    run: exit 4\n    restart: 'no'\n",
  );
  let _ = test.run(&["up", "-d"]);
  wait_until("worker exited", Duration::from_secs(5), || {
    test
      .status_json()
      .as_array()
      .unwrap()
      .iter()
      .any(|row| row["state"] == "exited")
  });
  assert_matches(&test, &["status", "--json"], "status");
  test.run(&["stop"]);
}

/// README promises one unit for durations in every `--json` output: milliseconds, named
/// `…_ms`. A field in seconds (`uptime_seconds`) broke it once.
#[test]
fn every_duration_in_every_schema_is_in_milliseconds() {
  fn property_names(value: &Value, names: &mut Vec<String>) {
    match value {
      Value::Object(map) => {
        if let Some(Value::Object(properties)) = map.get("properties") {
          names.extend(properties.keys().cloned());
        }
        map.values().for_each(|value| property_names(value, names));
      }
      Value::Array(values) => values.iter().for_each(|value| property_names(value, names)),
      _ => {}
    }
  }
  let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");
  for entry in std::fs::read_dir(dir).unwrap() {
    let path = entry.unwrap().path();
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut names = Vec::new();
    property_names(&schema, &mut names);
    for name in names {
      let in_seconds = ["_seconds", "_secs", "_sec"]
        .iter()
        .any(|unit| name.ends_with(unit));
      assert!(
        !in_seconds,
        "{}: `{name}` is not in milliseconds",
        path.display()
      );
    }
  }
}

/// `dev port free --json` of a dev service's port: the service and its project are named
/// (an agent freeing a port learns whose service it stopped), within the schema.
#[cfg(unix)]
#[test]
fn freeing_a_dev_services_port_names_its_project_within_the_schema() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)]);
  test.run(&["up", "-d"]).success();
  let value = test
    .run(&["port", "free", "--json", &port.to_string()])
    .json();
  let schema = schema("port-free");
  assert_eq!(mismatch(&value, &schema, &schema, "$"), None, "{value:#}");
  let stopped = &value["stopped"][0];
  assert_eq!(stopped["service"], "api", "{value:#}");
  let project = stopped["project"].as_str().unwrap_or_default();
  let name = test
    .path()
    .file_name()
    .unwrap()
    .to_string_lossy()
    .into_owned();
  assert!(project.ends_with(&name), "{value:#}");
}
