//! Output that goes nowhere: a pipe whose reader exited (`dev … | head -1`) ends `dev`
//! quietly with 0, and a terminal that is closed stops what runs — never a panic.

use std::{
  io::{BufRead, BufReader},
  process::Stdio,
  time::{Duration, Instant},
};

use crate::harness::*;

/// Runs `dev args`, reads one line of its stdout, closes the pipe, and returns its exit
/// code and stderr once it ended (bounded: 10 s).
fn read_one_line_then_close(test: &Test, args: &[&str]) -> (i32, String, Duration) {
  let mut child = test
    .command(args)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
  let mut reader = BufReader::new(child.stdout.take().unwrap());
  let mut line = String::new();
  reader.read_line(&mut line).unwrap();
  assert!(!line.is_empty(), "dev {args:?} printed nothing");
  drop(reader);
  let closed = Instant::now();
  let code = wait_child(&mut child, Duration::from_secs(10));
  let took = closed.elapsed();
  let mut stderr = String::new();
  std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
  (code, stderr, took)
}

#[test]
fn commands_whose_reader_went_away_end_quietly_with_0() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)
    .mode("http")
    .field("health: { http: 'http://127.0.0.1:$PORT/', interval: 100ms }")]);
  test.run(&["up", "-d"]).success();
  // 400 ports to check, free now: the test passes beside other listeners on the machine
  // (it assumed 18000–18399 free). One of ours listens in the range, to prove it.
  let held = free_port();
  let _listener = std::net::TcpListener::bind(("127.0.0.1", held)).unwrap();
  let ports: Vec<String> = (held..u16::MAX)
    .filter(|port| is_bindable(*port))
    .take(400)
    .map(|p| p.to_string())
    .collect();
  let mut check = vec!["port", "check"];
  check.extend(ports.iter().map(String::as_str));
  let commands: Vec<Vec<&str>> = vec![
    vec!["port", "find", "1024", "-n", "5000"],
    check,
    vec!["health", "--watch"],
    vec!["status", "--json"],
    vec!["list", "--json"],
    vec!["port", "who", "--json", "1", "2", "3"],
  ];
  for args in &commands {
    let (code, stderr, _) = read_one_line_then_close(&test, args);
    assert_eq!(code, 0, "dev {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "dev {args:?}: {stderr}");
  }
  test.run(&["stop"]).success();
}

#[test]
fn following_a_quiet_log_ends_when_the_reader_does() {
  let test = Test::with_config("services:\n  quiet:\n    run: echo READY; sleep 60\n");
  test.run(&["up", "-d"]).success();
  wait_until("READY logged", Duration::from_secs(5), || {
    test.log("quiet").contains("READY")
  });
  for args in [
    vec!["logs", "-f", "quiet"],
    vec!["logs", "-f", "-n", "1", "quiet"],
  ] {
    // The service never prints again: only noticing the closed pipe ends `dev logs -f`.
    let (code, stderr, took) = read_one_line_then_close(&test, &args);
    assert_eq!(code, 0, "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?} to notice");
  }
  test.run(&["stop"]).success();
}

#[test]
fn a_foreground_dev_whose_output_is_closed_stops_everything() {
  let test = Test::with_config(
    "services:\n  chatty:\n    run: 'i=0; while true; do i=$((i+1)); echo line $i; sleep 0.01; done'\n",
  );
  let (code, stderr, _) = read_one_line_then_close(&test, &[]);
  assert_eq!(code, 0, "{stderr}");
  assert!(stderr.contains("chatty stopped"), "{stderr}");
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn closing_the_terminal_of_a_foreground_dev_stops_its_services_without_a_panic() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  let (output, code) = test.hang_up_terminal(&[], "api │ listening");
  // Ended by itself (SIGHUP is a request to stop), not by SIGABRT or a kill.
  assert!(code == 0 || code == 129, "exit {code}: {output}");
  assert!(!output.contains("panicked"), "{output}");
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
}
