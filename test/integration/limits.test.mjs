// Limits at the HTTP/WebSocket edge, each hit against the real binary: connections
// per IP (429), request head and body size (431, 413), a stalled request head
// (slowloris: dropped after http.request-timeout), WebSocket frames per second
// (close 1008). Each refusal is counted in vr_refused_total{reason}, and after each
// the server keeps serving other clients (a phoenix client joins, /healthz answers).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer, guard, sleep } from "./lib/server.mjs";
import { Peer, RawWs, roomTopic, closeAll } from "./lib/client.mjs";
import WebSocket from "ws";

let srv; // small head/body limits, 1 s request timeout, 20 frames/s
let perIp; // at most 3 connections per address

before(async () => {
  [srv, perIp] = await Promise.all([
    startServer({
      "http.max-header-bytes": 2048,
      "http.max-body-bytes": 1024,
      "http.request-timeout": "1s",
      "socket.max-messages-per-second": 20,
    }),
    // A long request timeout: the idle connection of the test must stay open
    // however slowly the machine runs it.
    startServer({ "socket.max-connections-per-ip": 3, "http.request-timeout": "60s" }),
  ]);
});

after(async () => {
  await closeAll();
  for (const s of [srv, perIp]) if (s && !s.exited) await s.stop(3000);
});

const T = (name, fn) => test(name, guard(() => [srv, perIp], fn));

// Read on a connection of its own that is closed at once (fetch would keep one
// open, which counts against the per-IP limit).
async function refused(server, reason) {
  const r = await rawExchange(server.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const m = new RegExp(`^vr_refused_total\\{reason="${reason}"\\} (\\d+)$`, "m").exec(r.text);
  return m ? Number(m[1]) : 0;
}

// The count once it reaches `n`, or what it is after 3 s.
async function refusedReaches(server, reason, n) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const v = await refused(server, reason);
    if (v >= n || Date.now() > deadline) return v;
    await sleep(50);
  }
}

async function stillServes(server) {
  const p = await Peer.connect(server, "probe");
  try {
    const r = await p.joinOk(roomTopic("probe"), { displayName: "Probe" });
    assert.equal(r.response.role, "publisher");
    assert.deepEqual((await p.heartbeat())[4], { status: "ok", response: {} });
  } finally {
    await p.close();
  }
  assert.equal((await server.get(`${server.httpUrl}/healthz`)).status, 200);
}

// Sends `text` on a fresh TCP connection and resolves everything the server
// sends until it closes (or `ms` pass: then { text, open: true }).
function rawExchange(port, text, ms = 5000) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(text));
    let got = "";
    const t0 = Date.now();
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text: got, open: true, ms: Date.now() - t0 });
    }, ms);
    s.on("data", (c) => (got += c));
    s.on("close", () => {
      clearTimeout(timer);
      resolve({ text: got, open: false, ms: Date.now() - t0 });
    });
    s.on("error", (e) => {
      if (e.code === "ECONNRESET") return; // resolved by "close"
      clearTimeout(timer);
      reject(e);
    });
  });
}

T("a request head over http.max-header-bytes gets 431", async () => {
  const before = await refused(srv, "header_size");
  const ok = await rawExchange(srv.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${"a".repeat(1000)}\r\nConnection: close\r\n\r\n`);
  assert.match(ok.text, /^HTTP\/1\.1 200 /);
  const big = await rawExchange(srv.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${"a".repeat(4000)}\r\n\r\n`);
  assert.match(big.text, /^HTTP\/1\.1 431 /);
  assert.match(big.text, /request head larger than 2048 bytes/);
  assert.equal(big.open, false, "the connection is closed after the 431");
  // fetch sees the status as well
  const r = await fetch(`${srv.httpUrl}/healthz`, { headers: { "x-pad": "b".repeat(5000) }, signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 431);
  assert.equal(await refused(srv, "header_size"), before + 2);
  await stillServes(srv);
});

T("a request body over http.max-body-bytes gets 413", async () => {
  const before = await refused(srv, "body_size");
  const big = await rawExchange(srv.port, `POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n${"z".repeat(4096)}`);
  assert.match(big.text, /^HTTP\/1\.1 413 /);
  assert.match(big.text, /request body larger than 1024 bytes/);
  const small = await rawExchange(srv.port, `POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789`);
  assert.match(small.text, /^HTTP\/1\.1 405 /, "a body within the limit is read (and the method refused)");
  assert.equal(await refused(srv, "body_size"), before + 1);
  await stillServes(srv);
});

T("a request head that stalls (slowloris) is dropped after http.request-timeout", async () => {
  const before = await refused(srv, "request_timeout");
  const slow = new Promise((resolve) => {
    const s = net.connect(srv.port, "127.0.0.1");
    const t0 = Date.now();
    let i = 0;
    s.on("connect", () => s.write("GET /healthz HTTP/1.1\r\n"));
    // One header byte every 300 ms: the head never completes within 1 s.
    const drip = setInterval(() => {
      if (!s.destroyed) s.write(i++ % 2 ? "a" : "X");
    }, 300);
    let got = "";
    s.on("data", (c) => (got += c));
    s.on("error", () => {});
    s.on("close", () => {
      clearInterval(drip);
      resolve({ ms: Date.now() - t0, got });
    });
  });
  // Meanwhile others are served.
  await stillServes(srv);
  const { ms, got } = await slow;
  // Dropped, not kept: the upper bound only allows for a slow machine.
  assert.ok(ms >= 900 && ms < 8000, `dropped after ${ms} ms`);
  assert.equal(got, "", "nothing was answered to the partial request");
  // Beast closes the socket before the server's read handler counts it.
  assert.equal(await refusedReaches(srv, "request_timeout", before + 1), before + 1);
  // An idle kept-alive connection is closed the same way but not counted.
  const idle = await rawExchange(srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 9000);
  assert.match(idle.text, /^HTTP\/1\.1 200 /);
  assert.equal(idle.open, false);
  assert.ok(idle.ms < 8000, `idle connection closed after ${idle.ms} ms`);
  assert.equal(await refused(srv, "request_timeout"), before + 1);
});

T("a WebSocket over socket.max-messages-per-second is closed with 1008; a steady one is not", async () => {
  const before = await refused(srv, "message_rate");
  const steady = await RawWs.connect(srv.wsUrl, "steady");
  const flood = await RawWs.connect(srv.wsUrl, "flood");
  // 20/s with bursts of 5 s worth (100): 300 at once is over.
  for (let i = 0; i < 300; i++) flood.sendFrame([null, `f${i}`, "phoenix", "heartbeat", {}]);
  const ev = await flood.closed;
  assert.equal(ev.code, 1008);
  assert.equal(ev.reason, "too many messages");
  // At most the burst's worth was taken (replies still queued are dropped with the close).
  const answered = flood.log.frames.length;
  assert.ok(answered <= 110, `${answered} frames answered before the close`);
  // 10 frames a second for 2 s stays open.
  for (let i = 0; i < 20; i++) {
    const hb = await steady.heartbeat();
    assert.deepEqual(hb[4], { status: "ok", response: {} });
    await sleep(100);
  }
  assert.ok(steady.isOpen);
  await steady.close();
  assert.equal(await refused(srv, "message_rate"), before + 1);
  await stillServes(srv);
});

T("connections per IP: beyond socket.max-connections-per-ip HTTP and WebSocket get 429", async () => {
  const before = await refused(perIp, "connections_per_ip");
  // Three open connections from 127.0.0.1: two WebSockets and one idle TCP connection.
  const a = await Peer.connect(perIp, "a");
  const topic = roomTopic("ip");
  await a.joinOk(topic, { displayName: "A" });
  const b = await RawWs.connect(perIp.wsUrl, "b");
  const idle = net.connect(perIp.port, "127.0.0.1");
  await new Promise((r) => idle.on("connect", r));
  await sleep(100);

  const r = await rawExchange(perIp.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.match(r.text, /^HTTP\/1\.1 429 /);
  assert.match(r.text, /too many connections from your address \(at most 3\)/);
  const status = await new Promise((resolve, reject) => {
    const ws = new WebSocket(perIp.wsUrl);
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode);
      ws.terminate();
    });
    ws.on("open", () => reject(new Error("a fourth connection was upgraded")));
    ws.on("error", () => {});
  });
  assert.equal(status, 429);

  // The open ones keep working.
  assert.deepEqual((await a.heartbeat())[4], { status: "ok", response: {} });
  assert.deepEqual((await b.heartbeat())[4], { status: "ok", response: {} });
  // Closing one frees its place, by the time the client sees it closed: with
  // two open, one request after another each gets the third place.
  idle.destroy();
  await sleep(200);
  for (let i = 0; i < 20; i++) {
    const one = await rawExchange(perIp.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(one.text, /^HTTP\/1\.1 200 /, `request ${i} right after the one before`);
  }
  await b.close();
  await sleep(200);
  // (Reading /metrics needs a place of its own too.)
  assert.equal(await refused(perIp, "connections_per_ip"), before + 2);
  const p = await Peer.connect(perIp, "c");
  const rc = await p.joinOk(topic, { displayName: "C" });
  assert.equal(rc.response.role, "publisher");
  await p.close();
  await a.close();
  await sleep(200);
  await stillServes(perIp);
});
