#!/usr/bin/env python3
"""Restart on change, side by side: dev (`watch:`), nodemon (npm) and watchexec (crates.io)
each restarting the same python HTTP server.

1. save -> new server ready: a file is written; the time until an HTTP GET is answered by a
   new process (the server answers its pid), 10 saves each.
2. idle cost with a 50,000-file node_modules: inotify watches registered (counted in
   /proc/<pid>/fdinfo), RSS and CPU of the watching processes over IDLE seconds.
3. a burst of 100 saves in 1 s: how many times the server started.
The server notes each start in a file beside the project (never inside: a tool watching the
whole directory would restart on it).

usage: watch.py DEV [NODEMON] [WATCHEXEC] [IDLE_SECONDS]"""

import os, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

DEV = os.path.abspath(sys.argv[1])
NODEMON = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
WATCHEXEC = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
IDLE = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
SAVES = 10

SERVER = """import http.server, os, sys
open(os.environ["STARTS"], "a").write(f"{os.getpid()}\\n")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = str(os.getpid()).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer.allow_reuse_address = True
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"""


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    return port


def answer(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.5) as r:
            return r.read().decode()
    except Exception:
        return None


def wait_new(port, old, limit=20.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        pid = answer(port)
        if pid and pid != old:
            return pid
        time.sleep(0.002)
    raise SystemExit(f"no new server on {port} within {limit}s")


def project(node_modules=0):
    d = tempfile.mkdtemp(prefix="dev-bench-watch-")
    os.makedirs(f"{d}/app")
    open(f"{d}/app/main.py", "w").write("x = 0\n")
    open(f"{d}/server.py", "w").write(SERVER)
    for i in range(node_modules // 10):
        sub = f"{d}/node_modules/pkg{i // 100}/lib{i % 100}"
        os.makedirs(sub, exist_ok=True)
        for j in range(10):
            open(f"{sub}/f{j}.js", "w").close()
    return d


class Tool:
    def __init__(self, name, start, stop, watchers):
        self.name, self.start, self.stop, self.watchers = name, start, stop, watchers


def dev_tool(debounce, whole=False):
    def start(d, port):
        watch = "true" if whole else f"{{paths: [app], debounce: {debounce}ms}}"
        open(f"{d}/devtasks.yaml", "w").write(
            f"services:\n  api:\n    run: exec python3 -u server.py\n    port: {port}\n"
            f"    watch: {watch}\n    env: {{STARTS: {d}.starts}}\n")
        subprocess.run([DEV, "up", "-d"], cwd=d, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return None

    def stop(d, _):
        subprocess.run([DEV, "stop"], cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def watchers(d, _):
        import json
        return [json.load(open(f"{d}/.dev/api.json"))["keeper"]["pid"]]

    return Tool(f"dev (debounce {debounce} ms)", start, stop, watchers)


def child_tool(name, command):
    def start(d, port):
        return subprocess.Popen(command(d), cwd=d, env={**os.environ, "PORT": str(port), "STARTS": f"{d}.starts"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def stop(_, process):
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL); process.wait()

    def watchers(_, process):
        return [process.pid]

    return Tool(name, start, stop, watchers)


def tools(whole=False):
    found = [dev_tool(200, whole), dev_tool(50, whole)]
    if NODEMON:
        watch = ["--watch", "."] if whole else ["--watch", "app"]
        found.append(child_tool("nodemon", lambda d: [NODEMON, *watch, "--ext", "py,js", "--signal",
                                                       "SIGTERM", "--exec", "python3 server.py"]))
    if WATCHEXEC:
        watch = ["-w", "."] if whole else ["-w", "app"]
        found.append(child_tool("watchexec", lambda d: [WATCHEXEC, *watch, "-r", "--",
                                                          "python3", "server.py"]))
    return found[:1] + found[2:] if whole else found


def inotify_watches(pid):
    count = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fdinfo"):
            try:
                count += sum(1 for line in open(f"/proc/{pid}/fdinfo/{fd}") if line.startswith("inotify wd:"))
            except OSError:
                pass
    except OSError:
        pass
    return count


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def save_to_ready():
    print(f"-- save -> new server ready ({SAVES} saves each, median and p90)")
    for tool in tools():
        d, port = project(), free_port()
        handle = tool.start(d, port)
        old = wait_new(port, None)
        times = []
        for i in range(SAVES):
            time.sleep(0.6)
            t0 = time.monotonic()
            open(f"{d}/app/main.py", "w").write(f"x = {i}\n")
            old = wait_new(port, old)
            times.append((time.monotonic() - t0) * 1000)
        tool.stop(d, handle)
        times.sort()
        print(f"  {tool.name:24} median {statistics.median(times):7.1f} ms   p90 {times[int(len(times) * 0.9) - 1]:7.1f} ms")


def idle_cost():
    print(f"-- idle, watching a project with a 50,000-file node_modules, over {IDLE:.0f} s")
    d = project(node_modules=50_000)
    for tool in tools(whole=True):
        port = free_port()
        handle = tool.start(d, port)
        wait_new(port, None, limit=120)
        time.sleep(2)
        pids = tool.watchers(d, handle)
        watches = sum(inotify_watches(p) for p in pids)
        cpu0 = sum(cpu_seconds(p) for p in pids)
        time.sleep(IDLE)
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        rss = sum(rss_kib(p) for p in pids) / 1024
        tool.stop(d, handle)
        print(f"  {tool.name:24} inotify watches {watches:6}   RSS {rss:6.1f} MiB   CPU {cpu * 1000:7.1f} ms")


def burst():
    print("-- a burst of 100 saves in 1 s: server starts after the first")
    for tool in tools():
        d, port = project(), free_port()
        handle = tool.start(d, port)
        wait_new(port, None)
        time.sleep(0.6)
        before = len(open(f"{d}.starts").read().split())
        for i in range(100):
            open(f"{d}/app/main.py", "w").write(f"x = {i}\n")
            time.sleep(0.01)
        time.sleep(3)
        after = len(open(f"{d}.starts").read().split())
        tool.stop(d, handle)
        print(f"  {tool.name:24} {after - before} restart(s)")


save_to_ready()
burst()
idle_cost()
