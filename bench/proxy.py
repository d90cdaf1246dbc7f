"""dev's proxy against the service directly: what names cost.

  small:     GET / over one keep-alive connection, p50/p99 per request (python http.client)
  body:      a 100 MiB response body, MB/s
  websocket: echo round trip of a small text frame, p50/p99
  memory:    the idle proxy's resident set
  restart:   `dev restart` onto another port, until the name answers from the new port, and
             until the new port answers directly (the difference is the proxy's following)

Trials are interleaved (direct, proxy, direct, proxy, ...). Per-user state and the proxy's
port are this run's own (DEV_RUNTIME_DIR, DEV_PROXY_PORT), so a proxy already running for
the user is left alone. Usage: proxy.py DEV [REQUESTS]
"""
import http.client, os, shutil, socket, statistics, subprocess, sys, tempfile, time

DEV = sys.argv[1]
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
HERE = os.path.dirname(os.path.abspath(__file__))
NAMED = os.path.join(HERE, "..", "tests", "fixtures", "named.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(port):
    return (f"services:\n  web:\n    run: python3 named.py\n    port: {port}\n"
            f"    health: {{ http: \"http://127.0.0.1:$PORT/\" }}\n")


def pct(samples, p):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * p))]


def small(port, host, n):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", "/", headers={"Host": host})
        conn.getresponse().read()
        times.append(time.perf_counter() - t)
    conn.close()
    return times


def body(port, host, mib=100):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET /big?mb={mib} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    buf = bytearray(1 << 20)
    view, total, t = memoryview(buf), 0, time.perf_counter()
    while True:
        n = s.recv_into(view)
        if not n:
            break
        total += n
    elapsed = time.perf_counter() - t
    s.close()
    assert total > mib << 20, total
    return (mib << 20) / elapsed / 1e6


def websocket(port, host, n=2000):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += s.recv(1)
    frame = bytes([0x81, 0x80 | 5, 0, 0, 0, 0]) + b"hello"
    times = []
    for _ in range(n):
        t = time.perf_counter()
        s.sendall(frame)
        got = b""
        while len(got) < 7:
            got += s.recv(64)
        times.append(time.perf_counter() - t)
    s.close()
    return times


def get_body(port, host):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("GET", "/", headers={"Host": host, "Connection": "close"})
        r = c.getresponse()
        return r.status, r.read().decode()
    except OSError:
        return None, ""


def main():
    work = tempfile.mkdtemp()
    project = os.path.join(work, "bench")
    os.mkdir(project)
    shutil.copy(NAMED, project)
    port, proxy = free_port(), free_port()
    open(os.path.join(project, "devtasks.yaml"), "w").write(config(port))
    env = {**os.environ, "DEV_RUNTIME_DIR": os.path.join(work, "runtime"), "DEV_PROXY_PORT": str(proxy),
           "DEV_PROXY": "on", "NO_COLOR": "1"}
    run = lambda *args: subprocess.run([DEV, *args], cwd=project, env=env, check=True,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("up", "-d")
    name = f"web.bench.localhost:{proxy}"
    try:
        direct, proxied = [], []
        for _ in range(5):
            direct += small(port, f"127.0.0.1:{port}", REQUESTS // 5)
            proxied += small(proxy, name, REQUESTS // 5)
        d50, p50 = pct(direct, .5) * 1e3, pct(proxied, .5) * 1e3
        d99, p99 = pct(direct, .99) * 1e3, pct(proxied, .99) * 1e3
        print(f"small GET keep-alive  direct p50 {d50:.3f} ms p99 {d99:.3f} ms   proxy p50 {p50:.3f} ms "
              f"p99 {p99:.3f} ms   added p50 {p50 - d50:+.3f} ms (goal ≤ 0.2 ms)")
        bd, bp = [], []
        for _ in range(3):
            bd.append(body(port, f"127.0.0.1:{port}"))
            bp.append(body(proxy, name))
        md, mp = statistics.median(bd), statistics.median(bp)
        print(f"100 MiB body          direct {md:.0f} MB/s   proxy {mp:.0f} MB/s   ratio {mp / md:.2f}x (goal ≥ 0.8x)")
        wd, wp = websocket(port, f"127.0.0.1:{port}"), websocket(proxy, name)
        print(f"websocket echo        direct p50 {pct(wd, .5) * 1e3:.3f} ms p99 {pct(wd, .99) * 1e3:.3f} ms   "
              f"proxy p50 {pct(wp, .5) * 1e3:.3f} ms p99 {pct(wp, .99) * 1e3:.3f} ms")
        pid = int(__import__("json").load(open(os.path.join(work, "runtime", "proxy.json")))["owner"]["pid"])
        time.sleep(1)
        rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
        print(f"idle proxy memory     {int(rss) / 1024:.1f} MiB RSS (after the runs above)")
        follow, answer = [], []
        for trial in range(5):
            new = free_port()
            open(os.path.join(project, "devtasks.yaml"), "w").write(config(new))
            t = time.perf_counter()
            restart = subprocess.Popen([DEV, "restart", "web"], cwd=project, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            direct_at = None
            while True:
                if direct_at is None and get_body(new, f"127.0.0.1:{new}")[0] == 200:
                    direct_at = time.perf_counter() - t
                status, text = get_body(proxy, name)
                if status == 200 and text.strip().endswith(f" {new}"):
                    break
                time.sleep(0.002)
            named_at = time.perf_counter() - t
            if direct_at is None:
                direct_at = named_at
            restart.wait()
            follow.append(named_at)
            answer.append(direct_at)
        print(f"restart onto new port name answers after {statistics.median(follow) * 1e3:.0f} ms, "
              f"the new port directly after {statistics.median(answer) * 1e3:.0f} ms (median of 5)")
    finally:
        subprocess.run([DEV, "stop"], cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


main()
