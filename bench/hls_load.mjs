// LL-HLS under load: a headless Chromium page broadcasts its fake camera; N
// simulated viewers on loopback follow the stream as LL-HLS players do
// (blocking playlist reload for the next part, then that part) for a bounded
// window. Prints requests per second served and how late each part reaches a
// viewer after its PROGRAM-DATE-TIME and after its end (packaging + serving).
// All on 127.0.0.1; needs an fd limit above 2 × viewers (scripts/bench raises it).
// Usage: node bench/hls_load.mjs [viewers=200] [seconds=20]
import http from "node:http";
import { startServer } from "../test/integration/lib/server.mjs";
import { launch, openRoom } from "../test/e2e/browser.mjs";

const viewers = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 20);
const agent = new http.Agent({ keepAlive: true, maxSockets: viewers * 2 });

function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.setTimeout(15000, () => req.destroy(new Error("timeout")));
  });
}

// The newest part of a playlist and the wall-clock time its media began.
function newestPart(text) {
  let pdt = 0, last = null, offset = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) { pdt = Date.parse(line.slice(25)); offset = 0; }
    const m = /#EXT-X-PART:DURATION=([0-9.]+),URI="seg(\d+)\.p(\d+)\.m4s"/.exec(line);
    if (m) {
      const start = pdt + offset * 1000;
      last = { msn: Number(m[2]), part: Number(m[3]), start, end: start + Number(m[1]) * 1000 };
      offset += Number(m[1]);
    }
  }
  return last;
}

const srv = await startServer();
const browser = await launch();
try {
  const pub = await openRoom(browser, srv.httpUrl, "hls_load", "Caster", "&type=broadcast");
  // A real viewer page gives the URL (its hls.js player loads it).
  const probe = await openRoom(browser, srv.httpUrl, "hls_load", "Probe", "&role=viewer");
  await probe.waitForFunction(() => globalThis.videoroomHls?.url, null, { timeout: 30000 });
  const url = new URL(await probe.evaluate(() => globalThis.videoroomHls.url)).pathname;
  void pub;
  if (!url) throw new Error("no hlsUrl");
  const base = url.slice(0, url.lastIndexOf("/") + 1);
  // Wait for the stream.
  let first;
  for (let i = 0; i < 100 && !first; i++) {
    const r = await get(srv.port, url).catch(() => null);
    if (r?.status === 200) first = newestPart(r.body.toString());
    if (!first) await new Promise((r) => setTimeout(r, 200));
  }
  if (!first) throw new Error("stream never started");

  // Part latency from the part's start (its PROGRAM-DATE-TIME: includes the
  // part's own duration) and from its end (start + duration: packaging and
  // serving alone).
  const latencies = [], fromEnd = [];
  let requests = 0, errors = 0;
  const end = Date.now() + seconds * 1000;
  // A failed request counts as an error and the viewer starts over from a plain
  // playlist load; every request is bounded (15 s), so the run is too.
  const tryGet = (path) => get(srv.port, path).catch(() => ({ status: 0, body: Buffer.alloc(0) }));
  async function viewer() {
    let at = null;
    while (Date.now() < end) {
      if (!at) {
        const r = await tryGet(url);
        requests++;
        at = r.status === 200 ? newestPart(r.body.toString()) : null;
        if (!at) { errors++; await new Promise((res) => setTimeout(res, 200)); }
        continue;
      }
      const r = await tryGet(`${url}?_HLS_msn=${at.msn}&_HLS_part=${at.part + 1}`);
      requests++;
      const newest = r.status === 200 ? newestPart(r.body.toString()) : null;
      if (!newest) { errors++; at = null; continue; }
      const p = await tryGet(`${base}seg${newest.msn}.p${newest.part}.m4s`);
      requests++;
      if (p.status !== 200) errors++;
      else {
        latencies.push(Date.now() - newest.start);
        fromEnd.push(Date.now() - newest.end);
      }
      at = newest;
    }
  }
  const t0 = Date.now();
  await Promise.all(Array.from({ length: viewers }, viewer));
  const elapsed = (Date.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  fromEnd.sort((a, b) => a - b);
  const q = (v, f) => (v.length ? Math.round(v[Math.min(v.length - 1, Math.floor(f * v.length))]) : "-");
  console.log(`| viewers | seconds | requests/s | errors | parts received | part latency p50 (ms) | p99 (ms) | max (ms) | after the part's end p50 / p99 (ms) |`);
  console.log(`|---|---|---|---|---|---|---|---|---|`);
  console.log(`| ${viewers} | ${elapsed.toFixed(1)} | ${(requests / elapsed).toFixed(0)} | ${errors} | ${latencies.length} | ${q(latencies, 0.5)} | ${q(latencies, 0.99)} | ${q(latencies, 1)} | ${q(fromEnd, 0.5)} / ${q(fromEnd, 0.99)} |`);
} finally {
  await browser.close();
  await srv.stop();
}
