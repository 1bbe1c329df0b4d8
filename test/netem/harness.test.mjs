// The impairment harness itself, with plain UDP sockets on 127.0.0.1 standing in
// for a browser and the server: nftables loss hits only its relay and about the
// share asked for, delay is added both ways, and the bandwidth cap holds.
// Run by ctest under test/netem/in-netns (as the tests that use the harness).
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { after, before, test } from "node:test";
import { startNetem } from "./netem.mjs";

const HOST = "127.0.0.1";
let net;
const sockets = [];

before(async () => {
  net = await startNetem();
});

after(async () => {
  for (const s of sockets) s.close();
  await net?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function socket() {
  const s = dgram.createSocket("udp4");
  sockets.push(s);
  await new Promise((r) => s.bind(0, HOST, r));
  s.received = [];
  s.on("message", (b, rinfo) => s.received.push({ b, at: performance.now(), rinfo }));
  return s;
}

// A "browser" and a "server" socket joined by a relay on a link of `profile`;
// the browser has spoken first, so the relay knows where to send.
async function path(profile) {
  const link = net.link(profile);
  const relay = await net.openRelay(link);
  const [browser, server] = await Promise.all([socket(), socket()]);
  await net.setTarget(relay, server.address().port);
  browser.send("hello", relay.front, HOST);
  const end = Date.now() + 2000;
  while (server.received.length === 0 && Date.now() < end) await sleep(10);
  assert.equal(server.received.length, 1, "the relay carries the browser's first packet");
  server.received.length = 0;
  return { link, relay, browser, server };
}

// Sends `n` packets of `size` bytes, `batch` at a time every millisecond or so.
async function send(from, port, n, size = 200, batch = 5) {
  for (let i = 0; i < n; i += batch) {
    for (let j = i; j < Math.min(n, i + batch); j++) {
      const b = Buffer.alloc(size);
      b.writeUInt32BE(j, 0);
      from.send(b, port, HOST);
    }
    await sleep(1);
  }
}

test("nftables drops about the share of packets asked for, and only on its own relay", async () => {
  const lossy = await path({ lossDown: 10 });
  const clean = await path({});
  const N = 2000;
  await Promise.all([
    send(lossy.server, lossy.relay.back, N),
    send(clean.server, clean.relay.back, N),
  ]);
  await sleep(500);
  const got = lossy.browser.received.length;
  assert.ok(got > 0.8 * N && got < 0.97 * N, `10% loss: ${got} of ${N} arrived`);
  assert.ok(clean.browser.received.length >= 0.99 * N, `no loss: ${clean.browser.received.length} of ${N} arrived`);
  const c = await net.counters(lossy.link);
  assert.equal(c.nftDrops.down, N - got, `nftables counted the drops: ${JSON.stringify(c.nftDrops)}`);
  assert.equal(c.nftDrops.up, 0, "nothing dropped the other way");

  // Changing the loss while packets flow: none now.
  await net.setLoss(lossy.link, { lossDown: 0 });
  lossy.browser.received.length = 0;
  await send(lossy.server, lossy.relay.back, 500);
  await sleep(500);
  assert.ok(lossy.browser.received.length >= 495, `after setLoss 0: ${lossy.browser.received.length} of 500`);
});

test("delay is added in each direction", async () => {
  const p = await path({ up: { delayMs: 40 }, down: { delayMs: 60 } });
  // The "server" answers every packet at once: one round trip = up + down.
  p.server.on("message", (b, rinfo) => p.server.send(b, rinfo.port, HOST));
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    p.browser.received.length = 0;
    p.browser.send(Buffer.from([i]), p.relay.front, HOST);
    const end = Date.now() + 3000;
    while (p.browser.received.length === 0 && Date.now() < end) await sleep(2);
    assert.equal(p.browser.received.length, 1, "the answer came back");
    const rtt = p.browser.received[0].at - t0;
    // Each hop's timer may fire up to 1 ms early (libuv's millisecond clock).
    assert.ok(rtt >= 98, `round trip ${rtt.toFixed(1)} ms >= 40 + 60 ms (less 1 ms a hop)`);
  }
});

test("the bandwidth cap lets through its rate (plus its queue) and drops the rest", async () => {
  const p = await path({ down: { kbps: 300, queueMs: 200 } });
  // 1 Mbit/s for 2 s: 1000-byte packets, 125 a second.
  const seconds = 2;
  for (let i = 0; i < 125 * seconds; i += 5) {
    for (let j = 0; j < 5; j++) p.server.send(Buffer.alloc(1000), p.relay.back, HOST);
    await sleep(40);
  }
  await sleep(600); // the queue drains
  const bytes = p.browser.received.reduce((a, x) => a + x.b.length, 0);
  const capBytes = (300_000 / 8) * seconds;
  const queueBytes = (300_000 / 8) * 0.2;
  // Sending may take longer than 2 s on a busy machine: the bound grows with it.
  assert.ok(bytes <= capBytes * 1.5 + queueBytes, `${bytes} bytes through a 300 kbit/s cap`);
  assert.ok(bytes >= 0.6 * capBytes, `${bytes} bytes: the cap still carries about its rate`);
  const c = await net.counters(p.link);
  assert.ok(c.relayed.queueDrops > 0, `the queue dropped the excess: ${JSON.stringify(c.relayed)}`);
});
