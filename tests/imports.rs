//! `dev init --from <file>`: each kind of file a project already has is translated, then
//! started for real (python3 servers on free ports), its order and health checks carried
//! over; bad sources are refused with the file's place and nothing written.

use std::{
  fs,
  io::{Read, Write},
  net::TcpStream,
  time::Duration,
};

use crate::harness::{Test, free_port};

/// Serves on port argv[2] only if argv[1] answers now: a dependency started too early (its
/// dependent not awaited healthy, or a one-shot not completed) makes this exit 1.
const GATE_PY: &str = "import sys, urllib.request, http.server\n\
urllib.request.urlopen(sys.argv[1], timeout=2)\n\
print('dependency answered', flush=True)\n\
http.server.HTTPServer(('127.0.0.1', int(sys.argv[2])), http.server.SimpleHTTPRequestHandler).serve_forever()\n";

/// The whole answer to an HTTP GET of 127.0.0.1:`port`/ (empty when nothing answers).
fn get(port: u16) -> String {
  let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
    return String::new();
  };
  stream
    .set_read_timeout(Some(Duration::from_secs(5)))
    .unwrap();
  let _ = stream.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  let mut answer = String::new();
  let _ = stream.read_to_string(&mut answer);
  answer
}

/// Whether an HTTP GET of 127.0.0.1:`port` answers 200.
fn answers(port: u16) -> bool {
  get(port).split_whitespace().nth(1) == Some("200")
}

/// `dev init --from <file>`, `dev config` on what it wrote, and the services as `dev list
/// --json` sees them.
fn import(test: &Test, file: &str, said: &str) -> serde_json::Value {
  test
    .args(&["init", "--from", file])
    .status(0)
    .stderr_contains(said)
    .run();
  test.run(&["config"]).success();
  let listed = test.run(&["list", "--json"]);
  listed.success();
  listed.json()
}

fn service<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
  json["services"]
    .as_array()
    .unwrap()
    .iter()
    .find(|s| s["name"] == name)
    .unwrap_or_else(|| panic!("no service {name} in {json:#}"))
}

fn written(test: &Test) -> String {
  fs::read_to_string(test.path().join("devtasks.yaml")).unwrap()
}

#[test]
fn compose_services_start_in_order_and_container_only_ones_are_said() {
  let test = Test::new();
  let (api, web) = (free_port(), free_port());
  test.write("gate.py", GATE_PY);
  test.write(
    "docker-compose.yml",
    &format!(
      "services:\n\
      \x20 db:\n    image: postgres:16\n    volumes: [pgdata:/var/lib/postgresql/data]\n\
      \x20 api:\n    image: python:3.12\n    command: python3 -u server.py http\n\
      \x20   ports: [\"{api}:{api}\"]\n    environment:\n      DELAY: \"1\"\n\
      \x20   healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:{api}/\"]\n      interval: 1s\n\
      \x20 web:\n    image: python:3.12\n    command: [\"python3\", \"-u\", \"gate.py\", \"http://127.0.0.1:{api}/\", \"{web}\"]\n\
      \x20   ports: [\"{web}:{web}\"]\n    environment: [\"MODE=dev\"]\n\
      \x20   depends_on:\n      api: {{ condition: service_healthy }}\n      db: {{ condition: service_started }}\n\
      volumes:\n  pgdata:\n"
    ),
  );
  let json = import(&test, "docker-compose.yml", "as a Docker Compose file");
  let text = written(&test);
  assert!(
    text.contains("# db: not carried over: image `postgres:16`"),
    "{text}"
  );
  assert!(
    text.contains("# not carried over: top-level `volumes:`"),
    "{text}"
  );
  assert!(
    text.contains("# not carried over: depends_on `db: started`"),
    "{text}"
  );
  assert_eq!(service(&json, "api")["port"], api);
  assert_eq!(service(&json, "api")["health"]["probe"], "http");
  assert_eq!(service(&json, "web")["depends_on"]["api"], "healthy");
  // The web's port was literal in its command: it is $PORT now, on the same port.
  assert_eq!(service(&json, "web")["port"], web);
  assert!(text.contains("gate.py http://127.0.0.1:"), "{text}");
  test.run(&["up", "-d"]).success();
  assert!(answers(api) && answers(web), "{}", test.log("web"));
  assert!(test.log("web").contains("dependency answered"));
  test.run(&["stop"]).success();
}

#[test]
fn process_compose_one_shots_probes_and_disabled_processes_carry_over() {
  let test = Test::new();
  let (api, web, idle) = (free_port(), free_port(), free_port());
  test.write("gate.py", GATE_PY);
  test.write(
    "process-compose.yaml",
    &format!(
      "version: \"0.5\"\nenvironment: [\"GREETING=hi\"]\nprocesses:\n\
      \x20 migrate:\n    command: \"sleep 1 && touch migrated\"\n\
      \x20 api:\n    command: \"test -f migrated && sleep 1 && exec python3 -m http.server {api} --bind 127.0.0.1\"\n\
      \x20   depends_on:\n      migrate: {{ condition: process_completed_successfully }}\n\
      \x20   readiness_probe:\n      http_get: {{ host: 127.0.0.1, scheme: http, path: /, port: {api} }}\n      period_seconds: 1\n\
      \x20 web:\n    command: \"python3 -u gate.py http://127.0.0.1:{api}/ {web}\"\n\
      \x20   depends_on:\n      api: {{ condition: process_healthy }}\n\
      \x20   readiness_probe:\n      http_get: {{ host: localhost, port: {web} }}\n\
      \x20 idle:\n    command: \"python3 -m http.server {idle} --bind 127.0.0.1\"\n    disabled: true\n\
      \x20   availability: {{ restart: on_failure, max_restarts: 2 }}\n"
    ),
  );
  let json = import(&test, "process-compose.yaml", "as a process-compose file");
  let api_service = service(&json, "api");
  assert_eq!(
    api_service["depends_on"]["migrate"],
    "completed_successfully"
  );
  assert_eq!(api_service["health"]["target"], "http://127.0.0.1:$PORT/");
  // A restart would hide a start out of order: only `idle` has one.
  assert_eq!(service(&json, "idle")["restart"]["when"], "on-failure");
  assert_eq!(service(&json, "idle")["restart"]["max"], 2);
  assert_eq!(service(&json, "web")["depends_on"]["api"], "healthy");
  test.run(&["up", "-d"]).success();
  assert!(answers(api) && answers(web), "{}", test.log("web"));
  // `disabled: true`: not started by a bare `dev up`.
  assert!(!answers(idle), "{}", written(&test));
  test.run(&["stop"]).success();
}

#[test]
fn mprocs_procs_run_in_their_cwd_and_autostart_false_waits() {
  let test = Test::new();
  let (site, manual) = (free_port(), free_port());
  test.write("site/index.html", "from the site dir");
  test.write(
    "mprocs.yaml",
    &format!(
      "procs:\n\
      \x20 \"my site\":\n    cmd: [\"python3\", \"-m\", \"http.server\", \"{site}\", \"--bind\", \"127.0.0.1\"]\n\
      \x20   cwd: \"<CONFIG_DIR>/site\"\n    env: {{ GREETING: hi }}\n    stop: SIGINT\n\
      \x20 manual:\n    shell: \"python3 -m http.server {manual} --bind 127.0.0.1\"\n    autostart: false\n"
    ),
  );
  let json = import(&test, "mprocs.yaml", "as an mprocs file");
  let site_service = service(&json, "my-site");
  assert_eq!(site_service["port"], site);
  assert!(written(&test).contains("# `my site` in mprocs.yaml"));
  test.run(&["up", "-d"]).success();
  // Served from `cwd: <CONFIG_DIR>/site`.
  assert!(get(site).contains("from the site dir"), "{}", get(site));
  assert!(!answers(manual));
  test.run(&["stop"]).success();
}

#[test]
fn a_procfile_is_imported_with_its_ports_and_odd_lines_named() {
  let test = Test::new();
  let (web, api) = (free_port(), free_port());
  test.write(
    "Procfile",
    &format!(
      "web: python3 -m http.server {web} --bind 127.0.0.1\n\
       api: python3 -m http.server $PORT --bind 127.0.0.1\n\
       not a process line\n\
       worker: python3 -c \"import os; open('queue.txt', 'w').write(os.environ.get('QUEUE', 'none'))\"\n"
    ),
  );
  // foreman gives every process the `.env` beside the Procfile; so does the import.
  test.write(".env", "QUEUE=default\n");
  import(&test, "Procfile", "as a Procfile");
  assert!(written(&test).contains("# not carried over: Procfile line 3 `not a process line`"));
  test
    .args(&["up", "-d"])
    .env("DEV_API_PORT", &api.to_string())
    .status(0)
    .run();
  assert!(answers(web) && answers(api));
  crate::harness::wait_until("the worker ran", std::time::Duration::from_secs(20), || {
    std::fs::read_to_string(test.path().join("queue.txt")).is_ok_and(|text| !text.is_empty())
  });
  assert_eq!(
    std::fs::read_to_string(test.path().join("queue.txt")).unwrap(),
    "default"
  );
  test.run(&["stop"]).success();
}

#[test]
fn package_json_scripts_become_services_and_tasks() {
  let test = Test::new();
  let (dev, start) = (free_port(), free_port());
  test.write(
    "package.json",
    &format!(
      "{{\n  \"name\": \"shop\",\n  \"scripts\": {{\n\
       \"dev\": \"python3 -m http.server {dev} --bind 127.0.0.1\",\n\
       \"start\": \"python3 -m http.server {start} --bind 127.0.0.1\",\n\
       \"test:unit\": \"python3 -c \\\"print('unit tests ran')\\\"\",\n\
       \"postinstall\": \"echo installed\"\n  }}\n}}\n"
    ),
  );
  let json = import(&test, "package.json", "as a package.json");
  assert_eq!(service(&json, "dev")["run"], "npm run dev");
  assert_eq!(service(&json, "dev")["port"], dev);
  assert!(written(&test).contains("not carried over: scripts `postinstall`"));
  test
    .args(&["test-unit"])
    .status(0)
    .stdout_contains("unit tests ran")
    .run();
  test.run(&["up", "-d"]).success();
  assert!(answers(dev));
  // `start` is the same app another way: under a profile, not started alongside.
  assert!(!answers(start));
  test.run(&["stop"]).success();
}

#[test]
fn a_malformed_source_names_its_line_and_writes_nothing() {
  let test = Test::new();
  test.write(
    "compose.yaml",
    "services:\n  api:\n    command: [a, b\n    ports: x\n",
  );
  test
    .args(&["init", "--from", "compose.yaml"])
    .status(2)
    .stderr_contains("compose.yaml is not valid YAML")
    .stderr_contains("compose.yaml:4:")
    .run();
  test.write(
    "package.json",
    "{\n  \"scripts\": {\n    \"dev\": \"x\",\n  }\n}\n",
  );
  test
    .args(&["init", "--from", "package.json"])
    .status(2)
    .stderr_contains("package.json:4:3")
    .run();
  test
    .args(&["init", "--from", "missing.yml"])
    .status(2)
    .stderr_contains("cannot read missing.yml")
    .run();
  assert!(!test.path().join("devtasks.yaml").exists());
}

#[test]
fn an_unknown_format_is_refused_and_content_decides_for_an_odd_name() {
  let test = Test::new();
  test.write("notes.txt", "hello world\n");
  test
    .args(&["init", "--from", "notes.txt"])
    .status(2)
    .stderr_contains("cannot tell what kind of file notes.txt is")
    .run();
  assert!(!test.path().join("devtasks.yaml").exists());
  test.write("stack.yml", "processes:\n  a:\n    command: sleep 1\n");
  import(&test, "stack.yml", "as a process-compose file");
}

#[test]
fn an_existing_task_file_is_kept_unless_forced() {
  let test = Test::with_config("services: {}\n");
  test.write("Procfile", "web: python3 -m http.server $PORT\n");
  test
    .args(&["init", "--from", "Procfile"])
    .status(2)
    .stderr_contains("devtasks.yaml already exists")
    .stderr_contains("`dev init --from Procfile --force` replaces it")
    .run();
  assert_eq!(written(&test), "services: {}\n");
  test
    .args(&["init", "--from", "Procfile", "--force"])
    .status(0)
    .run();
  assert!(written(&test).contains("web:"));
}
