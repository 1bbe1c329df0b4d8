// Starts and stops the real videoroom binary for an integration test file.
//
//   const srv = await startServer({ "rooms.max-publishers": 2 });
//   ... srv.port, srv.httpUrl, srv.wsUrl ...
//   const { code, signal } = await srv.stop();   // SIGTERM, bounded wait
//
// The server's stdout and stderr are kept (the last 256 KiB) and printed by
// `srv.dump()` (called by `guard()` when a test fails).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";

export const ROOT = process.env.VIDEOROOM_ROOT || process.cwd();
export const BIN = process.env.VIDEOROOM_BIN || path.join(ROOT, "build", "videoroom");

const LOG_LIMIT = 256 * 1024;

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A free TCP port on 127.0.0.1 (bind port 0, read it, close).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// GET with a bounded time on a fresh connection each time (no agent, so no
// kept-alive connection lingers to count against a server's per-IP limit). An
// https URL trusts `ca` (PEM). Resolves { status, headers (a Headers), body } and,
// over TLS, the server certificate's SHA-256 fingerprint.
export function httpGet(url, timeoutMs = 5000, { ca } = {}) {
  const tls = url.startsWith("https:");
  return new Promise((resolve, reject) => {
    const opts = { agent: false, timeout: timeoutMs, ...(tls ? { ca } : {}) };
    const req = (tls ? https : http).get(url, opts, (res) => {
      const fingerprint = tls ? res.socket.getPeerCertificate()?.fingerprint256 : undefined;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) headers.set(k, [].concat(v).join(", "));
        resolve({ status: res.statusCode, headers, body, fingerprint });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
    req.on("error", reject);
  });
}

export const httpsGet = (url, ca, timeoutMs = 5000) => httpGet(url, timeoutMs, { ca });

// Prometheus text → Map("name{k="v",...}" → number) plus a get(name, labels) helper.
export function parseMetrics(text) {
  const series = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) {
      for (const lm of m[2].slice(1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
        labels[lm[1]] = lm[2];
    }
    series.set(seriesKey(m[1], labels), Number(m[3]));
  }
  return {
    series,
    has: (name) => [...series.keys()].some((k) => k === name || k.startsWith(name + "{")),
    // Value of one series; undefined when absent.
    get: (name, labels = {}) => series.get(seriesKey(name, labels)),
    // Sum of every series of a family whose labels include `labels`.
    sum: (name, labels = {}) => {
      let total = 0;
      for (const [k, v] of series) {
        const { name: n, labels: l } = splitKey(k);
        if (n !== name) continue;
        if (Object.entries(labels).every(([lk, lv]) => l[lk] === lv)) total += v;
      }
      return total;
    },
  };
}

function seriesKey(name, labels) {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return name;
  return `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
}

function splitKey(key) {
  const i = key.indexOf("{");
  if (i < 0) return { name: key, labels: {} };
  const labels = {};
  for (const lm of key.slice(i + 1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
    labels[lm[1]] = lm[2];
  return { name: key.slice(0, i), labels };
}

// With `tls: { ca, cert, key }` (PEM text of the CA and the paths of the server's
// files) the server serves HTTPS/WSS: the URLs are https/wss and clients trust `ca`
// (srv.wsOptions for `ws`, srv.get for HTTP).
export async function startServer(overrides = {}, { readyTimeoutMs = 10000, tls = null } = {}) {
  if (!existsSync(BIN))
    throw new Error(`server binary not found: ${BIN} (build it, or set VIDEOROOM_BIN)`);
  const port = await freePort();
  const args = [`--config-file=config/test.conf`, `--http.port=${port}`];
  if (tls) args.push(`--http.tls-cert=${tls.cert}`, `--http.tls-key=${tls.key}`);
  const s = tls ? "s" : "";
  for (const [k, v] of Object.entries(overrides)) args.push(`--${k}=${v}`);
  const proc = spawn(BIN, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (chunk) => {
    log += chunk.toString();
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT);
  };
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  proc.on("error", (err) => keep(`\n[spawn error] ${err.message}\n`));

  const srv = {
    port,
    args,
    httpUrl: `http${s}://127.0.0.1:${port}`,
    socketUrl: `ws${s}://127.0.0.1:${port}/socket`,
    wsUrl: `ws${s}://127.0.0.1:${port}/socket/websocket?vsn=2.0.0`,
    wsOptions: tls ? { ca: tls.ca } : undefined,
    get: (url, timeoutMs = 5000) => httpGet(url, timeoutMs, { ca: tls?.ca }),
    proc,
    get exited() {
      return exited;
    },
    log: () => log,
    dump(title = "server output") {
      process.stderr.write(
        `\n----- ${title} (${BIN} ${args.join(" ")}) -----\n${log}\n----- end of ${title} -----\n`,
      );
    },
    async metrics() {
      const r = await srv.get(`${srv.httpUrl}/metrics`);
      if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
      return parseMetrics(r.body);
    },
    // SIGTERM, then wait up to `timeoutMs` for the exit; SIGKILL after that.
    // Returns { code, signal, ms, timedOut }.
    async stop(timeoutMs = 5000) {
      if (exited) return { ...exited, ms: 0, timedOut: false, alreadyExited: true };
      const t0 = Date.now();
      proc.kill("SIGTERM");
      const timer = sleep(timeoutMs).then(() => null);
      const r = await Promise.race([exitPromise, timer]);
      if (r === null) {
        proc.kill("SIGKILL");
        const k = await exitPromise;
        return { ...k, ms: Date.now() - t0, timedOut: true };
      }
      return { ...r, ms: Date.now() - t0, timedOut: false };
    },
  };

  // Bounded wait for /healthz to answer 200.
  const deadline = Date.now() + readyTimeoutMs;
  let lastErr = "";
  for (;;) {
    if (exited) {
      srv.dump("server output (exited at start-up)");
      throw new Error(`server exited at start-up with ${JSON.stringify(exited)}`);
    }
    try {
      const r = await srv.get(`${srv.httpUrl}/healthz`, 1000);
      if (r.status === 200) break;
      lastErr = `status ${r.status}`;
    } catch (e) {
      lastErr = e.message;
    }
    if (Date.now() > deadline) {
      srv.dump("server output (not ready)");
      proc.kill("SIGKILL");
      throw new Error(`server not ready on /healthz within ${readyTimeoutMs} ms: ${lastErr}`);
    }
    await sleep(50);
  }
  return srv;
}

// Wraps a test body: when it throws, prints the output of the given server(s).
// `servers` is a function returning the server objects (they are made in before()).
export function guard(servers, fn) {
  return async (t) => {
    try {
      return await fn(t);
    } catch (err) {
      for (const s of [].concat(servers()).filter(Boolean)) s.dump(`server output after failure of "${t.name}"`);
      throw err;
    }
  };
}
