//! 100 start/stop cycles of a 3-level tree whose grandchild calls setsid and ignores
//! SIGTERM, ended in turn by Ctrl+C, `dev stop`, `dev <svc>-restart` (then stop), and
//! `kill -9` of `dev` followed by another `dev` command: no survivor, the port bindable
//! after each cycle.

use std::{
  os::unix::process::CommandExt,
  time::{Duration, Instant},
};

use crate::harness::*;

const CYCLES: usize = 100;

#[derive(Clone, Copy, Debug)]
enum End {
  CtrlC,
  Stop,
  Restart,
  Kill9,
}

under_both_containments!(a_hundred_cycles_leave_no_survivor_and_a_bindable_port);

fn a_hundred_cycles_leave_no_survivor_and_a_bindable_port(how: Containment) {
  let port = free_port();
  let test = Test::new()
    .contained(how)
    .config(&server_config("tree", port, "tree", "100ms"));
  let started = Instant::now();
  let mut survivors: Vec<(usize, End, Vec<String>)> = Vec::new();
  let mut unbindable = Vec::new();
  for cycle in 0..CYCLES {
    let end = [End::CtrlC, End::Stop, End::Restart, End::Kill9][cycle % 4];
    match end {
      End::CtrlC | End::Kill9 => {
        let mut dev = test.command(&[]);
        dev
          .stdout(std::process::Stdio::null())
          .stderr(std::process::Stdio::null())
          .process_group(0);
        let mut dev = dev.spawn().unwrap();
        wait_until("the tree listens", Duration::from_secs(20), || {
          is_listening(port)
        });
        if let End::CtrlC = end {
          // The terminal's Ctrl+C: SIGINT to dev's whole foreground group.
          signal(-(dev.id() as i32) as u32, libc::SIGINT);
          assert_eq!(wait_child(&mut dev, Duration::from_secs(20)), 0);
        } else {
          signal(dev.id(), libc::SIGKILL);
          wait_child(&mut dev, Duration::from_secs(20));
          // Any command afterwards: it must find nothing left to clean, or clean it.
          test.run(&["status"]).success();
        }
      }
      End::Stop | End::Restart => {
        test.run(&["up", "-d"]).success();
        if let End::Restart = end {
          // By identity: a new process may be given an old one's pid.
          let before: Vec<procs::Seen> = test
            .processes()
            .into_iter()
            .filter_map(procs::Seen::now)
            .collect();
          test.run(&["tree-restart"]).success();
          assert!(
            is_listening(port),
            "cycle {cycle}: not listening after restart"
          );
          let ours = test.processes();
          let left: Vec<u32> = before
            .iter()
            .filter(|seen| seen.is_alive() && ours.contains(&seen.pid))
            .map(|seen| seen.pid)
            .filter(|pid| {
              // The keeper stays across a restart; the service's processes do not.
              !procs::command_line(*pid).contains("__keep")
            })
            .collect();
          let described: Vec<String> = left.iter().map(|pid| procs::describe(*pid)).collect();
          assert!(
            left.is_empty(),
            "cycle {cycle}: restart left {described:#?}"
          );
        }
        test.run(&["stop"]).success();
      }
    }
    // Bounded: the keeper may still be finishing after its dev returned (Ctrl+C, kill -9).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !test.processes().is_empty() && Instant::now() < deadline {
      std::thread::sleep(Duration::from_millis(5));
    }
    let left = test.processes();
    if !left.is_empty() {
      let described = left
        .iter()
        .map(|pid| {
          let log = test.log("tree");
          let tail: Vec<&str> = log.lines().rev().take(12).collect();
          format!(
            "{}\nlog tail (newest first): {tail:#?}",
            procs::describe(*pid)
          )
        })
        .collect();
      survivors.push((cycle, end, described));
      for pid in left {
        signal(pid, libc::SIGKILL);
      }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while !is_bindable(port) && Instant::now() < deadline {
      std::thread::sleep(Duration::from_millis(5));
    }
    if !is_bindable(port) {
      unbindable.push(cycle);
    }
  }
  eprintln!(
    "figure: {how:?}: {CYCLES} cycles in {:.1}s, {} with survivors, {} with the port unbindable",
    started.elapsed().as_secs_f64(),
    survivors.len(),
    unbindable.len()
  );
  assert!(survivors.is_empty(), "survivors: {survivors:#?}");
  assert!(
    unbindable.is_empty(),
    "port not bindable after cycles {unbindable:?}"
  );
}
