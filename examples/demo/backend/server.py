"""Demo backend: a stdlib-only JSON API with a /health endpoint. Honours $PORT."""

import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.time()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok", "uptime_s": round(time.time() - STARTED, 1)})
        elif self.path == "/api/hello":
            self.reply(200, {"message": "Hello from the dev demo backend", "pid": os.getpid()})
        else:
            self.reply(404, {"error": f"no route {self.path}"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print(f"{self.address_string()} {fmt % args}", flush=True)


def main():
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    # Stop cleanly on SIGTERM, the way dev asks services to stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"backend listening on http://127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        print("backend shutting down", flush=True)


if __name__ == "__main__":
    main()
