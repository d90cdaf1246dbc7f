// Demo frontend: a page (node, no npm packages) that calls the backend at $API_URL.
const http = require("http");

const port = Number(process.env.PORT || 5173);
const apiUrl = process.env.API_URL || "http://127.0.0.1:8000";

const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>dev demo</title></head>
<body style="font-family: system-ui; margin: 3rem">
<h1>dev demo</h1>
<p>Backend: <code>${apiUrl}</code></p>
<pre id="out">calling the backend…</pre>
<script>
fetch(${JSON.stringify(apiUrl + "/api/hello")})
  .then((r) => r.json())
  .then((body) => { document.getElementById("out").textContent = JSON.stringify(body, null, 2); })
  .catch((e) => { document.getElementById("out").textContent = "backend unreachable: " + e; });
</script>
</body></html>`;

const server = http.createServer((req, res) => {
  console.log(`${req.method} ${req.url}`);
  if (req.url === "/health") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ status: "ok" }));
    return;
  }
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(page);
});

server.listen(port, "127.0.0.1", () => {
  console.log(`frontend listening on http://127.0.0.1:${port} (API at ${apiUrl})`);
});

process.on("SIGTERM", () => {
  console.log("frontend shutting down");
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
