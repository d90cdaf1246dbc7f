//! The HTTP health probe against real servers: bodies framed by length or chunks, a server
//! that keeps the connection open, redirects, the `Host:` header, and HTTPS with a
//! self-signed certificate on loopback.

use crate::harness::*;

/// `dev health --json` for one service running `server.py <mode>` with `env` and `health`,
/// while a foreground `dev up` runs it (whether its probe passes or not).
fn probe(mode: &str, env: &str, health: &str) -> (Test, serde_json::Value) {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: {env} exec python3 -u server.py {mode}\n    port: {port}\n    health: {health}\n"
  ));
  let mut dev = test.spawn(&[]);
  wait_until("api listens", std::time::Duration::from_secs(10), || {
    is_listening(port)
  });
  let done = test.run(&["health", "--json"]);
  let row = done.json()[0].clone();
  signal(dev.id(), libc::SIGINT);
  wait_child(&mut dev, std::time::Duration::from_secs(10));
  (test, row)
}

#[test]
fn a_server_that_keeps_the_connection_open_is_not_waited_out() {
  let (_test, row) = probe(
    "http",
    "KEEPALIVE=1 BODY=ready",
    "{ http: 'http://127.0.0.1:$PORT/', body: ready, timeout: 5s }",
  );
  assert_eq!(row["healthy"], true, "{row}");
  // Read by its Content-Length: the answer, not the 5 s timeout, ended the probe.
  assert!(row["latency_ms"].as_f64().unwrap() < 2500.0, "{row}");
}

#[test]
fn a_chunked_body_is_searched_whole() {
  // `ready-to-serve` in 3-byte chunks: `rea`, `dy-`, … — the chunk-size lines between them
  // used to split the searched text.
  let (_test, row) = probe(
    "http",
    "CHUNKED=1 BODY=ready-to-serve",
    "{ http: 'http://127.0.0.1:$PORT/', body: ready-to-serve }",
  );
  assert_eq!(row["healthy"], true, "{row}");
}

#[test]
fn redirects_count_as_up_unless_a_status_is_asked_for_and_then_say_where() {
  let (_test, row) = probe(
    "http",
    "STATUS=302 LOCATION=/login",
    "{ http: 'http://127.0.0.1:$PORT/' }",
  );
  assert_eq!(row["healthy"], true, "{row}");
  assert_eq!(row["detail"], "HTTP 302 → /login", "{row}");
  let (_test, row) = probe(
    "http",
    "STATUS=302 LOCATION=/login",
    // A deadline python meets even under load (with 1 s, dev sometimes stopped the service
    // before it listened); the helper interrupts dev once health has answered.
    "{ http: 'http://127.0.0.1:$PORT/', status: 200, start_timeout: 10s }",
  );
  assert_eq!(row["healthy"], false, "{row}");
  assert_eq!(
    row["detail"],
    "HTTP 302 (expected 200): redirected to /login; point the probe at the final URL",
    "{row}"
  );
}

#[test]
fn the_host_header_carries_the_port() {
  let (_test, row) = probe(
    "http",
    "ECHO_HOST=1",
    "{ http: 'http://127.0.0.1:$PORT/', body: '127.0.0.1:' }",
  );
  assert_eq!(row["healthy"], true, "{row}");
}

#[test]
fn https_with_a_self_signed_certificate_is_accepted_on_loopback() {
  for host in ["127.0.0.1", "localhost"] {
    let (_test, row) = probe(
      "https",
      "BODY=secure",
      &format!("{{ http: 'https://{host}:$PORT/', body: secure }}"),
    );
    assert_eq!(row["healthy"], true, "{host}: {row}");
    assert_eq!(row["status"], 200, "{row}");
  }
}
