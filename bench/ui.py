#!/usr/bin/env python3
"""The dashboard's own cost, side by side with mprocs, each in a real terminal (tmux, 160x45):

1. idle: CPU of the UI process over IDLE seconds, five quiet services running;
2. burst: one more service prints 2,000,000 lines of 100 bytes; CPU and wall time of the UI
   process from the start of the burst to its end, and whether the log file has every line.

Only the UI process is measured (dev's keepers and mprocs's children are the services' cost,
not the dashboard's). usage: ui.py DEV [MPROCS] [IDLE_SECONDS] [LINES]
BURST_LOG='{max_size: 10MB, keep: 3}' measures the burst with dev's default rotation (the log
then keeps only its last 40 MB)."""

import os, shutil, subprocess, sys, tempfile, time

DEV = os.path.abspath(sys.argv[1])
MPROCS = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
IDLE = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
LINES = int(sys.argv[4]) if len(sys.argv) > 4 else 2_000_000

QUIET = "python3 -c 'import time; print(\"up\", flush=True); time.sleep(100000)'"
BURST = (f"python3 -c 'import sys; line = \"x\" * 90; "
         f"[sys.stdout.write(f\"{{i:09d}} {{line}}\\n\") for i in range({LINES})]; "
         f"sys.stdout.flush(); open(\"burst.done\", \"w\")'; sleep 100000")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tmux(socket, *args):
    return subprocess.run(["tmux", "-L", socket, "-f", "/dev/null", *args], capture_output=True,
                          text=True, env={**os.environ, "TERM": "xterm-256color"}).stdout


def pane_pid(socket, program):
    """The pid of `program` running in the pane (the pane's shell execs it)."""
    for _ in range(200):
        pid = tmux(socket, "display", "-p", "-t", "0", "#{pane_pid}").strip()
        if pid and os.path.basename(os.readlink(f"/proc/{pid}/exe")).startswith(program):
            return int(pid)
        time.sleep(0.05)
    raise SystemExit(f"{program} did not start in tmux")


def measure(name, directory, command, start_burst, program):
    socket = f"bench-ui-{os.getpid()}-{name}"
    tmux(socket, "new-session", "-d", "-x", "160", "-y", "45", "-c", directory, f"exec {command}")
    pid = pane_pid(socket, program)
    time.sleep(3)
    before = cpu_seconds(pid)
    time.sleep(IDLE)
    idle = cpu_seconds(pid) - before
    done = os.path.join(directory, "burst.done")
    before, started = cpu_seconds(pid), time.monotonic()
    start_burst()
    while not os.path.exists(done):
        time.sleep(0.05)
    wall = time.monotonic() - started
    time.sleep(1)  # what the UI still does with the end of the burst
    burst = cpu_seconds(pid) - before
    tmux(socket, "kill-server")
    print(f"  {name:8} idle {idle / IDLE * 100:5.2f}% of a core   burst: {burst:6.2f} s CPU in "
          f"{wall:5.1f} s ({burst / wall * 100:5.1f}% of a core)")
    return burst


def dev_case():
    d = tempfile.mkdtemp(prefix="dev-bench-ui-")
    services = "".join(f"  quiet{i}:\n    run: {QUIET}\n" for i in range(5))
    burst_log = os.environ.get("BURST_LOG", "{max_size: 1GB}")
    services += f"  burst:\n    run: {BURST}\n    log: {burst_log}\n"
    open(f"{d}/devtasks.yaml", "w").write("services:\n" + services)
    subprocess.run([DEV, "up", "-d", *[f"quiet{i}" for i in range(5)]], cwd=d, check=True,
                   stdout=subprocess.DEVNULL)
    burst = lambda: subprocess.run([DEV, "up", "-d", "burst"], cwd=d, check=True,
                                   stdout=subprocess.DEVNULL)
    cpu = measure("dev ui", d, f"{DEV} ui", burst, "dev")
    lines = sum(1 for line in open(f"{d}/logs/burst.log", "rb") if not line.startswith(b"\xe2\x94\x80"))
    subprocess.run([DEV, "stop"], cwd=d, stdout=subprocess.DEVNULL)
    print(f"           the log file has {lines:,} of {LINES:,} lines")
    shutil.rmtree(d, ignore_errors=True)
    return cpu


print("-- the dashboard: idle CPU with 5 services, then a 2,000,000-line burst (tmux 160x45)")
dev_cpu = dev_case()
if MPROCS:
    d = tempfile.mkdtemp(prefix="dev-bench-ui-")
    procs = "".join(f"  quiet{i}:\n    shell: \"{QUIET.replace(chr(34), chr(92) + chr(34))}\"\n"
                    for i in range(5))
    quoted = BURST.replace("\\", "\\\\").replace("\"", "\\\"")  # inside a YAML "…"
    procs += f"  burst:\n    shell: \"while [ ! -e go ]; do sleep 0.05; done; {quoted}\"\n"
    open(f"{d}/mprocs.yaml", "w").write("procs:\n" + procs)
    go = lambda: open(f"{d}/go", "w").close()
    mprocs_cpu = measure("mprocs", d, f"{MPROCS} --config mprocs.yaml", go, "mprocs")
    print(f"  burst CPU ratio dev ui / mprocs: {dev_cpu / mprocs_cpu:.2f}x")
    shutil.rmtree(d, ignore_errors=True)
