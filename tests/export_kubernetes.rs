//! `dev export kubernetes`: the manifests pass the Kubernetes API schema (kubernetes-validate,
//! strict: no field Kubernetes does not know), and say what the task file says — probes,
//! grace, ports, the waits for dependencies — without a secret's value in them.

use std::{path::Path, process::Command};

use serde_json::{Value, json};

use crate::harness::{Test, free_port, python_tool};

/// The newest schema kubernetes-validate 1.37.0 ships.
const KUBERNETES: &str = "1.37.0";

/// A project with every probe kind, a liveness probe, two named ports, a dependency on a
/// port and one on a service that has none, and a value that looks secret.
fn project() -> (Test, u16, u16, u16) {
  let (db, http, admin) = (free_port(), free_port(), free_port());
  let test = Test::with_config(&format!(
    "env_file: .env
services:
  db:
    run: exec python3 -u db.py
    port: {db}
    health: {{ tcp: \"127.0.0.1:$PORT\" }}
    stop: {{ grace: 4s }}
  api:
    run: exec python3 -u server.py
    ports: {{ http: {http}, admin: {admin} }}
    env: {{ API_TOKEN: tok-s3cr3t-value, MODE: staging, DB_ADDR: \"127.0.0.1:${{db.port}}\" }}
    health: {{ http: \"http://127.0.0.1:${{api.ports.http}}/ready\", interval: 3s, retries: 4 }}
    liveness: {{ exec: \"test -f /tmp/alive\" }}
    depends_on: [db]
    stop: {{ signal: INT, grace: 7s }}
  worker:
    run: ./worker --queue jobs
    depends_on: {{ api: healthy }}
"
  ));
  test.write(".env", "SHARED=from-the-env-file\n");
  (test, db, http, admin)
}

/// kubernetes-validate accepts every document of `file`; it is first shown to refuse a field
/// Kubernetes does not know, so that its yes means something.
#[track_caller]
fn assert_valid(file: &Path) {
  let validator = python_tool("kubernetes-validate", "kubernetes-validate==1.37.0");
  let validate = |path: &Path| {
    let output = Command::new(&validator)
      .args(["-k", KUBERNETES, "--strict"])
      .arg(path)
      .output()
      .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
      + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
  };
  let broken = file.with_file_name("broken.yaml");
  std::fs::write(
    &broken,
    "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}], grace: 1}\n",
  )
  .unwrap();
  assert!(
    !validate(&broken).0,
    "kubernetes-validate accepted an unknown field"
  );
  std::fs::remove_file(&broken).unwrap();
  let (ok, said) = validate(file);
  assert!(
    ok,
    "kubernetes-validate refused {}:\n{said}\n{}",
    file.display(),
    std::fs::read_to_string(file).unwrap()
  );
}

/// The document of this kind and name.
#[track_caller]
fn find<'a>(documents: &'a [Value], kind: &str, name: &str) -> &'a Value {
  documents
    .iter()
    .find(|doc| doc["kind"] == kind && doc["metadata"]["name"] == name)
    .unwrap_or_else(|| panic!("no {kind} {name} in {documents:#?}"))
}

#[test]
fn kubernetes_export_passes_the_schema_with_probes_grace_ports_and_waits_from_the_task_file() {
  let (test, db, http, admin) = project();
  let done = test.args(&["export", "kubernetes"]).status(0).run();
  let text = done.stdout();
  test.write("manifests.yaml", &text);
  assert_valid(&test.path().join("manifests.yaml"));
  let documents: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
  let api = &find(&documents, "Deployment", "api")["spec"]["template"]["spec"];
  assert_eq!(api["terminationGracePeriodSeconds"], 7, "{text}");
  let wait = format!("until nc -z db {db}; do sleep 1; done");
  assert_eq!(
    api["initContainers"][0]["command"],
    json!(["sh", "-c", wait])
  );
  let container = &api["containers"][0];
  assert_eq!(
    container["ports"],
    json!([{"name": "http", "containerPort": http}, {"name": "admin", "containerPort": admin}])
  );
  let ready = &container["readinessProbe"];
  assert_eq!(ready["httpGet"]["path"], "/ready", "{text}");
  assert_eq!(ready["httpGet"]["port"], http);
  assert_eq!(
    (&ready["periodSeconds"], &ready["failureThreshold"]),
    (&json!(3), &json!(4))
  );
  assert_eq!(
    container["livenessProbe"]["exec"]["command"],
    json!(["sh", "-c", "test -f /tmp/alive"])
  );
  let db_spec = &find(&documents, "Deployment", "db")["spec"]["template"]["spec"];
  assert_eq!(db_spec["terminationGracePeriodSeconds"], 4);
  assert_eq!(
    db_spec["containers"][0]["readinessProbe"]["tcpSocket"]["port"],
    db
  );
  let worker = &find(&documents, "Deployment", "worker")["spec"]["template"]["spec"];
  let wait = format!("until nc -z api {http}; do sleep 1; done");
  assert_eq!(worker["initContainers"][0]["command"][2], wait.as_str());
  assert!(text.contains("image: debian:stable-slim  # TODO"), "{text}");
  assert_eq!(
    find(&documents, "Service", "api")["spec"]["ports"],
    json!([
      {"name": "http", "port": http, "targetPort": http},
      {"name": "admin", "port": admin, "targetPort": admin}
    ])
  );
  // Other services by name, as seen from a pod.
  let env = &find(&documents, "ConfigMap", "api-env")["data"];
  assert_eq!(env["DB_ADDR"], format!("db:{db}"));
  assert_eq!(env["MODE"], "staging");
}

#[test]
fn kubernetes_export_references_secrets_and_never_writes_their_values() {
  let (test, ..) = project();
  let done = test
    .args(&["export", "kubernetes"])
    .status(0)
    .stderr_contains("API_TOKEN read from the Secret `api-secret`")
    .run();
  let text = done.stdout();
  assert!(!text.contains("tok-s3cr3t-value"), "{text}");
  assert!(!text.contains("from-the-env-file"), "{text}");
  assert!(
    text.contains("kubectl create secret generic api-secret --from-literal=API_TOKEN="),
    "{text}"
  );
  let documents: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
  assert!(find(&documents, "ConfigMap", "api-env")["data"]["API_TOKEN"].is_null());
  let container =
    &find(&documents, "Deployment", "api")["spec"]["template"]["spec"]["containers"][0];
  assert_eq!(
    container["env"],
    json!([{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-secret", "key": "API_TOKEN"}}}])
  );
  // The env file's values: from a Secret made of it, before the ConfigMap (which wins).
  assert_eq!(
    container["envFrom"],
    json!([{"secretRef": {"name": "api-env-file"}}, {"configMapRef": {"name": "api-env"}}])
  );
}

#[test]
fn kubernetes_export_into_a_directory_writes_a_file_per_service_and_replaces_none_without_force() {
  let (test, ..) = project();
  let dir = test.path().join("k8s");
  std::fs::create_dir(&dir).unwrap();
  let theirs = "# the team's own\napiVersion: v1\nkind: Namespace\nmetadata: {name: api}\n";
  std::fs::write(dir.join("api.yaml"), theirs).unwrap();
  let dir_arg = dir.to_str().unwrap();
  test
    .args(&["export", "kubernetes", "--dir", dir_arg])
    .status(2)
    .stderr_contains("api.yaml already exists")
    .stderr_contains("--force")
    .run();
  assert_eq!(
    std::fs::read_to_string(dir.join("api.yaml")).unwrap(),
    theirs
  );
  assert!(!dir.join("configmap.yaml").exists(), "written in part");
  test
    .args(&["export", "kubernetes", "--dir", dir_arg, "--force"])
    .status(0)
    .run();
  for file in ["configmap.yaml", "db.yaml", "api.yaml", "worker.yaml"] {
    assert_valid(&dir.join(file));
  }
  assert_ne!(
    std::fs::read_to_string(dir.join("api.yaml")).unwrap(),
    theirs
  );
}

/// Two services that make one Kubernetes name: refused, naming both, nothing written.
#[test]
fn kubernetes_export_refuses_two_services_that_make_one_name() {
  let test = Test::with_config(
    "services:\n  api_v1:\n    run: python3 -m http.server\n  api-v1:\n    run: python3 -m http.server\n",
  );
  test
    .args(&["export", "kubernetes"])
    .status(2)
    .stderr_contains("`api_v1` and `api-v1` both become `api-v1`")
    .run();
}
