// LL-HLS under load: a headless Chromium page broadcasts its fake camera; 200
// simulated viewers on loopback follow the stream as LL-HLS players do
// (blocking playlist reload for the next part, then that part) for a bounded
// window. Prints requests per second served and how late each part reaches a
// viewer after its PROGRAM-DATE-TIME (packaging + serving latency).
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
    if (m) { last = { msn: Number(m[2]), part: Number(m[3]), start: pdt + offset * 1000 }; offset += Number(m[1]); }
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

  const latencies = [];
  let requests = 0, errors = 0;
  const end = Date.now() + seconds * 1000;
  async function viewer() {
    let r = await get(srv.port, url);
    requests++;
    let at = newestPart(r.body.toString());
    while (Date.now() < end) {
      const next = `_HLS_msn=${at.msn}&_HLS_part=${at.part + 1}`;
      r = await get(srv.port, `${url}?${next}`).catch(() => ({ status: 0 }));
      requests++;
      if (r.status !== 200) { errors++; r = await get(srv.port, url); requests++; at = newestPart(r.body.toString()); continue; }
      const text = r.body.toString();
      const newest = newestPart(text);
      const p = await get(srv.port, `${base}seg${newest.msn}.p${newest.part}.m4s`).catch(() => ({ status: 0 }));
      requests++;
      if (p.status !== 200) errors++;
      else latencies.push(Date.now() - newest.start);
      at = newest;
    }
  }
  const t0 = Date.now();
  await Promise.all(Array.from({ length: viewers }, viewer));
  const elapsed = (Date.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (f) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))];
  console.log(`| viewers | seconds | requests/s | errors | part latency p50 (ms) | p99 (ms) | max (ms) |`);
  console.log(`|---|---|---|---|---|---|---|`);
  console.log(`| ${viewers} | ${elapsed.toFixed(1)} | ${(requests / elapsed).toFixed(0)} | ${errors} | ${Math.round(q(0.5))} | ${Math.round(q(0.99))} | ${Math.round(latencies.at(-1))} |`);
} finally {
  await browser.close();
  await srv.stop();
}
