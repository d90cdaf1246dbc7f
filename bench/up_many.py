#!/usr/bin/env python3
"""Starting many services, and stopping one, side by side with what the OS alone costs.

  up:   `dev up -d` of N small Python HTTP servers (each with an `http:` health probe, no
        dependencies) until it returns (every one ready), against a bare shell loop that
        starts the same N servers and polls until each accepts a connection. N = 10, 30, 60;
        rounds interleaved A/B (the order alternates), medians and the ratio dev/bare.
  stop: `dev stop` of one cooperative server until its port is bindable, against
        `/bin/kill -TERM -- -PGID` of the same server started bare, interleaved; under the
        subreaper and under the containment macOS uses (DEV_TEST_CONTAINMENT=marked).

Usage: up_many.py DEV [--rounds R] [--quick] [--sizes 10,30,60] [--stop-trials T] [--baseline OLD_DEV]
  --quick: 1 round per size and 10 stop trials (a smoke run of about half a minute).
Every process started here is ended by its group or by `dev stop`; ports are 127.0.0.1 only.
"""
import argparse, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

# The "10-line server": what each service runs, on both sides.
SERVER = """import os, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen(64)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")
    c.close()
"""

# The bare loop: start every server, each in a session of its own as dev's keepers do (with
# the kernel's autogroup scheduling a session is a unit of CPU share: one session for all N
# would give the bare side less CPU than dev's N on a busy machine), say their pids, then
# poll each (bash's /dev/tcp, a builtin 2 ms pause) until it accepts a connection. No fork
# per poll: as tight as a shell loop gets.
BARE = r"""
for p in "$@"; do PORT=$p setsid "$PY" "$SRV" </dev/null >/dev/null 2>&1 & echo $!; done
exec 9<> <(:)
for p in "$@"; do
  until { exec 8<>"/dev/tcp/127.0.0.1/$p"; } 2>/dev/null; do read -t 0.002 -u 9 || :; done
  exec 8>&-
done
"""

NULL = subprocess.DEVNULL
# The interpreter itself, not a wrapper found on PATH (a pyenv shim costs 100+ ms a start).
PYTHON = os.path.realpath(sys.executable)


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def bindable(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait(cond, timeout=20, what="a condition"):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.0005)


def all_bindable(ports, timeout=20):
    wait(lambda: all(bindable(p) for p in ports), timeout, "ports to be bindable")


class Bench:
    def __init__(self, dev, work, env):
        self.dev, self.work, self.env = dev, work, env
        self.server = os.path.join(work, "srv.py")
        with open(self.server, "w") as f:
            f.write(SERVER)
        self.groups = []  # process groups started bare, ended however the bench ends

    def project(self, ports):
        project = os.path.join(self.work, f"p{len(ports)}")
        os.makedirs(project, exist_ok=True)
        with open(os.path.join(project, "devtasks.yaml"), "w") as f:
            f.write("services:\n")
            for i, port in enumerate(ports):
                f.write(f"  s{i}:\n    run: exec {PYTHON} {self.server}\n    port: {port}\n"
                        f"    health: {{ http: 'http://127.0.0.1:$PORT/' }}\n")
        return project

    def dev_up(self, project, ports, dev=None):
        all_bindable(ports)
        t = time.perf_counter()
        up = subprocess.run([dev or self.dev, "up", "-d"], cwd=project, stdout=NULL, stderr=subprocess.PIPE,
                            env=self.env, timeout=120)
        took = time.perf_counter() - t
        subprocess.run([self.dev, "stop"], cwd=project, stdout=NULL, stderr=NULL, env=self.env, timeout=120)
        if up.returncode != 0:
            raise SystemExit(f"dev up -d failed: {up.stderr.decode(errors='replace')}")
        all_bindable(ports)
        return took

    def bare_up(self, ports):
        all_bindable(ports)
        env = dict(os.environ, SRV=self.server, PY=PYTHON)
        t = time.perf_counter()
        shell = subprocess.Popen(["bash", "-c", BARE, "bare", *map(str, ports)], env=env,
                                 stdout=subprocess.PIPE, stderr=NULL, text=True)
        try:
            out, _ = shell.communicate(timeout=120)
            took = time.perf_counter() - t
        finally:
            if shell.poll() is None:
                shell.kill()
                out, _ = shell.communicate()
            # Each server leads a session and group of its own (setsid without a fork: a
            # background job of a shell without job control is no group leader).
            self.groups.extend(int(pid) for pid in out.split())
            self.cleanup()
        all_bindable(ports)
        return took

    def end_group(self, pgid):
        # Only a group this bench started.
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.groups.remove(pgid)

    def cleanup(self):
        for pgid in list(self.groups):
            self.end_group(pgid)

    def dev_stop(self, project, port, env, dev=None):
        dev = dev or self.dev
        subprocess.run([dev, "up", "-d"], cwd=project, check=True, stdout=NULL, stderr=NULL,
                       env=env, timeout=60)
        wait(lambda: listening(port), what="the server")
        t = time.perf_counter()
        subprocess.run([dev, "stop"], cwd=project, check=True, stdout=NULL, stderr=NULL, env=env,
                       timeout=60)
        wait(lambda: bindable(port), what="the port after dev stop")
        return time.perf_counter() - t

    def kill_stop(self, port):
        p = subprocess.Popen([sys.executable, self.server], env=dict(os.environ, PORT=str(port)),
                             start_new_session=True, stdout=NULL)
        self.groups.append(p.pid)
        try:
            wait(lambda: listening(port), what="the bare server")
            t = time.perf_counter()
            subprocess.run(["/bin/kill", "-TERM", "--", f"-{p.pid}"], check=True)
            p.wait(timeout=20)
            wait(lambda: bindable(port), what="the port after kill")
            return time.perf_counter() - t
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            self.groups.remove(p.pid)


def up_table(bench, sizes, rounds, baseline=None):
    print(f"-- dev up -d of N services until all ready vs a bare loop until each accepts ({rounds} rounds, interleaved)")
    extra = "  dev (baseline)  ratio" if baseline else ""
    print(f"  {'N':>3}  {'bare loop':>10}  {'dev up -d':>10}  {'ratio':>6}{extra}  per service over bare")
    rows = []
    for n in sizes:
        ports = free_ports(n)
        project = bench.project(ports)
        runs = {"bare": lambda: bench.bare_up(ports), "dev": lambda: bench.dev_up(project, ports)}
        if baseline:
            runs["old"] = lambda: bench.dev_up(project, ports, baseline)
        times = {name: [] for name in runs}
        names = list(runs)
        for r in range(rounds):
            # The order rotates: no side always runs on a machine another one warmed.
            for name in names[r % len(names):] + names[:r % len(names)]:
                times[name].append(runs[name]())
        mb, md = statistics.median(times["bare"]), statistics.median(times["dev"])
        rows.append((n, mb, md))
        old = ""
        if baseline:
            mo = statistics.median(times["old"])
            old = f"  {mo:>13.3f}s  {mo / mb:>5.2f}x"
        print(f"  {n:>3}  {mb:>9.3f}s  {md:>9.3f}s  {md / mb:>5.2f}x{old}  {(md - mb) / n * 1000:+.1f} ms"
              f"   (dev {min(times['dev']):.3f}–{max(times['dev']):.3f}, bare {min(times['bare']):.3f}–{max(times['bare']):.3f})", flush=True)
    return rows


def stop_table(bench, trials, baseline=None):
    print(f"-- dev stop of one cooperative server until its port is bindable vs /bin/kill -TERM -- -PGID ({trials} trials, interleaved)")
    for containment in ("subreaper", "marked"):
        env = dict(bench.env)
        if containment == "marked":
            env["DEV_TEST_CONTAINMENT"] = "marked"
        port = free_ports(1)[0]
        project = os.path.join(bench.work, f"stop-{containment}")
        os.makedirs(project, exist_ok=True)
        with open(os.path.join(project, "devtasks.yaml"), "w") as f:
            f.write(f"services:\n  api:\n    run: exec {PYTHON} {bench.server}\n    port: {port}\n")
        runs = {"dev": lambda: bench.dev_stop(project, port, env), "kill": lambda: bench.kill_stop(port)}
        if baseline:
            runs["old"] = lambda: bench.dev_stop(project, port, env, baseline)
        times = {name: [] for name in runs}
        names = list(runs)
        for i in range(trials):
            for name in names[i % len(names):] + names[:i % len(names)]:
                times[name].append(runs[name]())
        md, mk = statistics.median(times["dev"]), statistics.median(times["kill"])
        old = ""
        if baseline:
            mo = statistics.median(times["old"])
            old = f"   baseline dev stop {mo * 1000:6.2f} ms (ratio {mo / mk:.2f}x)"
        print(f"  {containment:<9}  dev stop {md * 1000:6.2f} ms   /bin/kill {mk * 1000:6.2f} ms   ratio {md / mk:.2f}x{old}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dev")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stop-trials", type=int, default=20)
    parser.add_argument("--sizes", default="10,30,60")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-stop", action="store_true")
    parser.add_argument("--no-up", action="store_true")
    parser.add_argument("--baseline", help="another dev binary (an older build), measured in the same rounds")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.stop_trials = 1, 10
    work = tempfile.mkdtemp(prefix="dev-bench-many-")
    # A ledger of its own: the bench measures dev, not another run's hold on the machine's lock.
    env = dict(os.environ, DEV_RUNTIME_DIR=os.path.join(work, "runtime"))
    bench = Bench(os.path.abspath(args.dev), work, env)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    try:
        if not args.no_up:
            up_table(bench, [int(n) for n in args.sizes.split(",")], args.rounds, args.baseline)
        if not args.no_stop:
            stop_table(bench, args.stop_trials, args.baseline)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        bench.cleanup()
        for entry in os.listdir(work):
            if entry.startswith("p") or entry.startswith("stop-"):
                subprocess.run([bench.dev, "stop"], cwd=os.path.join(work, entry), stdout=NULL, stderr=NULL,
                               env=env, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
