//! `dev export` never replaces a file without `--force`, and never copies an env file's
//! values (secrets) into what it writes unless `--inline-env` asks: it references the file,
//! read back by the tool it is for.

use std::process::Command;

use crate::harness::{Test, python_tool};

const PROJECT: &str = "env_file: .env
services:
  api:
    run: echo \"secret=$SECRET port=$PORT\"
    port: 8000
";

fn project() -> Test {
  let test = Test::with_config(PROJECT);
  test.write(".env", "SECRET=s3cr3t-value\n");
  test
}

#[test]
fn export_into_a_directory_never_replaces_an_existing_procfile_or_compose_file() {
  let test = project();
  let procfile = "web: gunicorn app:app\nrelease: ./manage.py migrate\n";
  let compose = "services:\n  db:\n    image: postgres:16\n";
  test.write("Procfile", procfile);
  test.write("docker-compose.yml", compose);
  let dir = test.path().to_str().unwrap().to_owned();
  for (format, file, before) in [
    ("procfile", "Procfile", procfile),
    ("compose", "docker-compose.yml", compose),
  ] {
    test
      .args(&["export", format, "--dir", &dir])
      .status(2)
      .stderr_contains(&format!("{file} already exists"))
      .stderr_contains("--force")
      .run();
    assert_eq!(
      std::fs::read_to_string(test.path().join(file)).unwrap(),
      before
    );
    test
      .args(&["export", format, "--dir", &dir, "--force"])
      .status(0)
      .stderr_contains(&format!("wrote {}", file))
      .run();
    assert_ne!(
      std::fs::read_to_string(test.path().join(file)).unwrap(),
      before
    );
  }
}

#[test]
fn compose_references_the_env_file_instead_of_copying_its_secrets() {
  let test = project();
  let done = test
    .args(&["export", "compose"])
    .status(0)
    .stderr_contains("are not copied")
    .stderr_contains("--inline-env")
    .run();
  let text = done.stdout();
  assert!(!text.contains("s3cr3t-value"), "{text}");
  let compose: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
  assert_eq!(
    compose["services"]["api"]["env_file"][0], "./.env",
    "{text}"
  );
  assert_eq!(compose["services"]["api"]["environment"]["PORT"], "8000");
  test.write("docker-compose.yml", &text);
  let checked = Command::new(python_tool("check-jsonschema", "check-jsonschema"))
    .args(["--builtin-schema", "vendor.compose-spec"])
    .arg(test.path().join("docker-compose.yml"))
    .output()
    .unwrap();
  assert!(
    checked.status.success(),
    "{}",
    String::from_utf8_lossy(&checked.stdout)
  );
  // Asked for, the values are copied.
  let inline = test
    .args(&["export", "compose", "--inline-env"])
    .status(0)
    .run();
  assert!(
    inline.stdout().contains("SECRET: \"s3cr3t-value\""),
    "{}",
    inline.stdout()
  );
}

#[test]
#[cfg(target_os = "linux")]
fn systemd_units_read_the_env_file_instead_of_carrying_its_secrets() {
  let test = project();
  let dir = test.path().join("units");
  test
    .args(&["export", "systemd", "--dir", dir.to_str().unwrap()])
    .status(0)
    .stderr_contains("EnvironmentFile=")
    .run();
  let unit = std::fs::read_to_string(dir.join("dev-api.service")).unwrap();
  assert!(!unit.contains("s3cr3t-value"), "{unit}");
  let env_file = std::fs::canonicalize(test.path().join(".env")).unwrap();
  assert!(
    unit.contains(&format!("EnvironmentFile={}\n", env_file.display())),
    "{unit}"
  );
  assert!(unit.contains("Environment=\"PORT=8000\""), "{unit}");
}

#[test]
fn a_procfile_leaves_secrets_in_the_env_file_that_honcho_reads() {
  let test = project();
  let done = test
    .args(&["export", "procfile"])
    .status(0)
    .stderr_contains("honcho read `.env`")
    .run();
  assert!(!done.stdout().contains("s3cr3t-value"), "{}", done.stdout());
  test.write("Procfile", &done.stdout());
  // honcho reads .env beside the Procfile: the service still gets its secret.
  let started = Command::new(python_tool("honcho", "honcho"))
    .arg("start")
    .current_dir(test.path())
    .output()
    .unwrap();
  let said = String::from_utf8_lossy(&started.stdout);
  assert!(said.contains("secret=s3cr3t-value port=8000"), "{said}");
}

#[test]
fn env_files_that_a_procfile_or_launchd_cannot_reference_need_inline_env() {
  let test = Test::with_config(&PROJECT.replace(".env", "secrets.env"));
  test.write("secrets.env", "SECRET=s3cr3t-value\n");
  for format in ["procfile", "launchd"] {
    let done = test
      .args(&["export", format])
      .status(2)
      .stderr_contains("secrets.env")
      .stderr_contains("--inline-env")
      .run();
    assert!(!done.stdout().contains("s3cr3t-value"));
    let inline = test
      .args(&["export", format, "--inline-env"])
      .status(0)
      .run();
    assert!(
      inline.stdout().contains("s3cr3t-value"),
      "{}",
      inline.stdout()
    );
  }
}
