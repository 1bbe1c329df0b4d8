// Hostile input against the real server with a raw `ws` client: malformed frames,
// deep nesting, invalid UTF-8, oversized and binary frames, idle and half-open
// connections, path traversal. After each abuse a well-behaved phoenix client on a
// separate socket still joins and gets a heartbeat reply, and another channel on the
// abused socket (when that socket is still open) still answers. protocol.md section 1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer, guard, httpGet, sleep } from "./lib/server.mjs";
import { Peer, RawWs, roomTopic, closeAll, isReplyTo } from "./lib/client.mjs";

let srv; // --socket.max-frame-bytes=65536 --socket.idle-timeout=2s
let big; // default limits (1 MiB frames, 60 s idle): room for 100000-deep nesting
let abused; // { raw, topic, joinRef }: a raw socket with a joined channel, abused all along
const QUIET_MS = 300;

const BAD_FRAME = { status: "error", response: { reason: "bad_frame" } };

before(async () => {
  [srv, big] = await Promise.all([
    startServer({ "socket.max-frame-bytes": 65536, "socket.idle-timeout": "2s" }),
    startServer({}),
  ]);
  abused = await rawWithChannel(srv, "abused");
});

after(async () => {
  await closeAll();
  for (const s of [srv, big]) if (s && !s.exited) await s.stop(2000);
});

const T = (name, fn) => test(name, guard(() => [srv, big], fn));

// A raw socket (heartbeat every 500 ms against the 2 s idle timeout) with one joined channel.
async function rawWithChannel(server, name) {
  const raw = await RawWs.connect(server.wsUrl, name, { keepAliveMs: 500 });
  const topic = roomTopic(name);
  const joinRef = "j1";
  const r = await raw.call(joinRef, topic, "phx_join", { displayName: name });
  assert.equal(r[4].status, "ok", `join on the raw socket: ${JSON.stringify(r)}`);
  assert.equal(r[4].response.role, "publisher");
  return { raw, topic, joinRef };
}

// A fresh phoenix client on its own socket joins a new room and gets a heartbeat reply.
async function wellBehaved(server = srv) {
  const p = await Peer.connect(server, "probe");
  try {
    const r = await p.joinOk(roomTopic("probe"), { displayName: "Probe" });
    assert.equal(r.response.role, "publisher");
    assert.equal(r.response.ownerId, r.response.peerId);
    const hb = await p.heartbeat();
    assert.deepEqual(hb[4], { status: "ok", response: {} });
  } finally {
    await p.close();
  }
  const h = await httpGet(`${server.httpUrl}/healthz`);
  assert.equal(h.status, 200);
}

// The abused socket still answers: heartbeat, a request on its joined channel, a new join.
async function sameSocketWorks(a = abused) {
  assert.ok(a.raw.isOpen, `${a.raw.name} is still open (close: ${JSON.stringify(a.raw.closeEvent)})`);
  assert.deepEqual((await a.raw.heartbeat())[4], { status: "ok", response: {} });
  const k = await a.raw.call(a.joinRef, a.topic, "kick", { peerId: "no-such-peer" });
  assert.deepEqual(k, [a.joinRef, k[1], a.topic, "phx_reply", { status: "error", response: { reason: "not_found" } }]);
  const t2 = roomTopic("second");
  const j = await a.raw.call("j2", t2, "phx_join", { displayName: "Second" });
  assert.equal(j[4].status, "ok", JSON.stringify(j));
  const l = await a.raw.call("j2", t2, "phx_leave", {});
  assert.deepEqual(l[4], { status: "ok", response: {} });
}

async function badFrames(server) {
  return (await server.metrics()).sum("vr_bad_frames_total");
}

// Frames received since `since` within `ms`, other than keep-alive heartbeat replies
// and room pushes that have nothing to do with the abuse (ownerChanged, which the
// server may push to a room's creator right after its join).
async function repliesWithin(raw, since, ms = QUIET_MS) {
  const benign = (f) =>
    Array.isArray(f) &&
    ((f[2] === "phoenix" && typeof f[1] === "string" && f[1].startsWith("ka")) || (f[1] === null && f[3] === "ownerChanged"));
  const es = await raw.log.collect((f) => !benign(f), { since, ms });
  return es.map((e) => e.text);
}

// Sends `texts`; each is answered with nothing. Bad frames grow by at least texts.length.
async function expectIgnored(raw, server, texts) {
  const before = await badFrames(server);
  const since = raw.log.mark();
  for (const t of texts) raw.sendText(t);
  assert.deepEqual(await repliesWithin(raw, since), [], `no reply to ${JSON.stringify(texts)}`);
  const after = await badFrames(server);
  assert.ok(after - before >= texts.length, `vr_bad_frames_total grew by ${after - before}, expected ≥ ${texts.length}`);
}

// Sends `frame` (text) and expects exactly `expected` as the reply with ref `ref`.
async function expectBadFrame(raw, text, { joinRef, ref, topic }) {
  const since = raw.log.mark();
  raw.sendText(text);
  const e = await raw.log.wait(isReplyTo(topic, ref), { since, what: `bad_frame reply to ${text.slice(0, 80)}` });
  if (joinRef !== undefined) assert.deepEqual(e.frame, [joinRef, ref, topic, "phx_reply", BAD_FRAME], text);
  else assert.deepEqual(e.frame.slice(1), [ref, topic, "phx_reply", BAD_FRAME], text);
}

function nested(depth, open = "[", close = "]") {
  return open.repeat(depth) + close.repeat(depth);
}

// ---------------------------------------------------------------------------------

T("non-JSON text frames are ignored and counted", async () => {
  await expectIgnored(abused.raw, srv, ["hello", "[", '{"a":', `[null,"x1","${abused.topic}"`, "", " ", "\u0000", "]]]]", "[null,\"x2\",\"room:a\",\"ev\",{}]]"]);
  await sameSocketWorks();
  await wellBehaved();
});

T("JSON that is not an array is ignored and counted", async () => {
  await expectIgnored(abused.raw, srv, ['{"a":1}', "{}", "42", '"text"', "null", "true", '{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"x3"}']);
  await sameSocketWorks();
  await wellBehaved();
});

T("wrong arity: bad_frame when ref and topic are usable, else ignored", async () => {
  const { raw, topic, joinRef } = abused;
  const other = roomTopic("unjoined");
  await expectBadFrame(raw, JSON.stringify([null, "a1", topic, "kick"]), { joinRef: null, ref: "a1", topic });
  await expectBadFrame(raw, JSON.stringify([joinRef, "a2", topic, "kick", { peerId: "x" }, "extra"]), { joinRef, ref: "a2", topic });
  await expectBadFrame(raw, JSON.stringify([null, "a3", other, "phx_join", { displayName: "X" }, 6]), { joinRef: null, ref: "a3", topic: other });
  await expectBadFrame(raw, JSON.stringify([null, "a4", "phoenix", "heartbeat"]), { joinRef: null, ref: "a4", topic: "phoenix" });
  await expectBadFrame(raw, JSON.stringify([null, "a6", topic, "kick", {}, 1, 2, 3, 4]), { joinRef: null, ref: "a6", topic });
  await expectIgnored(raw, srv, ["[]", "[null]", '[null,"a5"]']);
  await sameSocketWorks();
  await wellBehaved();
});

T("wrong types: bad_frame when ref and topic are usable, else ignored; no channel made", async () => {
  const { raw, topic, joinRef } = abused;
  const other = roomTopic("types");
  await expectIgnored(raw, srv, [
    JSON.stringify([null, 5, topic, "kick", {}]),
    JSON.stringify([null, "b1", { a: 1 }, "kick", {}]),
    JSON.stringify([null, "b2", 5, "kick", {}]),
    JSON.stringify([null, null, topic, "kick", "x"]),
    JSON.stringify([null, ["b3"], topic, "kick", {}]),
  ]);
  await expectBadFrame(raw, JSON.stringify([joinRef, "b4", topic, "kick", "payload"]), { joinRef, ref: "b4", topic });
  await expectBadFrame(raw, JSON.stringify([joinRef, "b5", topic, 42, {}]), { joinRef, ref: "b5", topic });
  await expectBadFrame(raw, JSON.stringify([joinRef, "b6", topic, "kick", []]), { joinRef, ref: "b6", topic });
  await expectBadFrame(raw, JSON.stringify([joinRef, "b7", topic, "kick", null]), { joinRef, ref: "b7", topic });
  await expectBadFrame(raw, JSON.stringify([null, "b8", other, "phx_join", "displayName"]), { joinRef: null, ref: "b8", topic: other });
  await expectBadFrame(raw, JSON.stringify([null, "b9", other, null, {}]), { joinRef: null, ref: "b9", topic: other });
  await expectBadFrame(raw, JSON.stringify([7, "b10", topic, "kick", {}]), { ref: "b10", topic });
  // The refused phx_join made no channel: a push there is an unmatched topic.
  const u = await raw.call(null, other, "kick", { peerId: "x" });
  assert.deepEqual(u[4], { status: "error", response: { reason: "unmatched topic" } });
  // A payload of the wrong shape inside a valid frame: the channel answers, it does not die.
  const k = await raw.call(joinRef, topic, "kick", { peerId: 42 });
  assert.deepEqual(k[4], { status: "error", response: { reason: "invalid_params" } });
  const since = raw.log.mark();
  raw.sendFrame([joinRef, "b11", topic, "mediaEvent", { data: 42 }]);
  raw.sendFrame([joinRef, "b12", topic, "mediaEvent", { data: "{not json" }]);
  raw.sendFrame([joinRef, "b13", topic, "mediaEvent", { data: JSON.stringify({ type: 5, data: [] }) }]);
  const errs = await raw.log.collect((f) => Array.isArray(f) && f[2] === topic && (f[3] === "mediaEvent" || f[3] === "phx_reply"), { since, ms: QUIET_MS });
  for (const e of errs) {
    if (e.frame[3] === "phx_reply") assert.equal(e.frame[4].status, "error", e.text);
    else assert.equal(JSON.parse(e.frame[4].data).type, "error", e.text);
  }
  await sameSocketWorks();
  await wellBehaved();
});

T("deep nesting: refused (bad_frame or ignored), the server stays up", async (t) => {
  const { raw, topic, joinRef } = abused;
  // Under the 64 KiB frame limit of `srv`: 30000 levels.
  for (const [ref, text] of [
    ["d1", `[${JSON.stringify(joinRef)},"d1",${JSON.stringify(topic)},"kick",{"a":${nested(30000)}}]`],
    ["d2", `[${JSON.stringify(joinRef)},"d2",${JSON.stringify(topic)},"kick",${nested(10000, '{"a":', "}").replace(/\{"a":\}/, "{}")}]`],
    ["d3", `${"[".repeat(30000)}`],
  ]) {
    const since = raw.log.mark();
    raw.sendText(text);
    const got = await repliesWithin(raw, since);
    for (const r of got) assert.deepEqual(JSON.parse(r).slice(1), [ref, topic, "phx_reply", BAD_FRAME], `reply to deep frame ${ref}`);
    t.diagnostic(`${ref} (${text.length} bytes): ${got.length ? "bad_frame reply" : "no reply"}`);
  }
  // In a media event's inner JSON string.
  const since = raw.log.mark();
  raw.sendFrame([joinRef, "d4", topic, "mediaEvent", { data: `{"type":"join","data":{"metadata":${nested(30000)}}}` }]);
  const inner = await raw.log.collect((f) => Array.isArray(f) && f[2] === topic && f[3] === "mediaEvent", { since, ms: QUIET_MS });
  for (const e of inner) assert.equal(JSON.parse(e.frame[4].data).type, "error", e.text);
  t.diagnostic(`d4 (deep media event): ${inner.map((e) => e.text).join(" ") || "no reply"}`);
  await sameSocketWorks();
  await wellBehaved();

  // 100000 levels on the server with 1 MiB frames.
  const b = await rawWithChannel(big, "deep");
  for (const [ref, text] of [
    ["e1", `[null,"e1",${JSON.stringify(b.topic)},"kick",{"a":${nested(100000)}}]`],
    ["e2", `[null,"e2",${JSON.stringify(b.topic)},"kick",{"a":${"[".repeat(100000)}`],
    ["e3", `[null,"e3",${JSON.stringify(b.topic)},"kick",${'{"a":'.repeat(100000)}1${"}".repeat(100000)}]`],
    ["e4", nested(100000)],
  ]) {
    const since2 = b.raw.log.mark();
    b.raw.sendText(text);
    const got = await repliesWithin(b.raw, since2);
    for (const r of got) assert.deepEqual(JSON.parse(r).slice(1), [ref, b.topic, "phx_reply", BAD_FRAME], `reply to deep frame ${ref}`);
    t.diagnostic(`${ref} (${text.length} bytes): ${got.length ? "bad_frame reply" : "no reply"}`);
  }
  const since3 = b.raw.log.mark();
  b.raw.sendFrame([b.joinRef, "e5", b.topic, "mediaEvent", { data: `{"type":"join","data":{"metadata":${nested(100000)}}}` }]);
  for (const e of await b.raw.log.collect((f) => Array.isArray(f) && f[2] === b.topic && f[3] === "mediaEvent", { since: since3, ms: QUIET_MS }))
    assert.equal(JSON.parse(e.frame[4].data).type, "error", e.text);
  await sameSocketWorks(b);
  await wellBehaved(big);
  await b.raw.close();
});

T("invalid UTF-8 in a text frame: closed with 1007, or refused while the socket lives", async (t) => {
  for (const bytes of [
    Buffer.concat([Buffer.from('[null,"u1","room:utf8","kick",{"peerId":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}]')]),
    Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc]),
    Buffer.concat([Buffer.from('[null,"u2","phoenix","heartbeat",{"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]')]), // a UTF-16 surrogate
  ]) {
    const a = await rawWithChannel(srv, "utf8");
    const since = a.raw.log.mark();
    a.raw.ws.send(bytes, { binary: false });
    const closed = await Promise.race([a.raw.closed, sleep(1000).then(() => null)]);
    if (closed) {
      t.diagnostic(`${bytes.toString("hex").slice(0, 40)}…: closed with ${closed.code}`);
      assert.equal(closed.code, 1007, `close code after invalid UTF-8 (${bytes.toString("hex")})`);
    } else {
      const got = await repliesWithin(a.raw, since, 0);
      t.diagnostic(`${bytes.toString("hex").slice(0, 40)}…: socket open, replies: ${got.join(" ") || "none"}`);
      for (const r of got) assert.deepEqual(JSON.parse(r)[4], BAD_FRAME, r);
      await sameSocketWorks(a);
    }
    await a.raw.close();
    await sameSocketWorks();
    await wellBehaved();
  }
});

T("a frame over socket.max-frame-bytes closes the socket with 1009; one under it does not", async () => {
  // Just under the limit: a valid frame of ~60000 bytes is served.
  const ok = await rawWithChannel(srv, "under");
  const meta = { displayName: "Big", blob: "x".repeat(60000) };
  ok.raw.sendFrame([ok.joinRef, "m1", ok.topic, "mediaEvent", { data: JSON.stringify({ type: "join", data: { metadata: meta } }) }]);
  await sleep(QUIET_MS);
  assert.ok(ok.raw.isOpen, "a 60 KB frame does not close the socket");
  await sameSocketWorks(ok);

  // 70000 bytes: close code 1009.
  const a = await rawWithChannel(srv, "over");
  const text = JSON.stringify([a.joinRef, "m2", a.topic, "kick", { peerId: "x".repeat(70000) }]);
  assert.ok(text.length > 70000);
  a.raw.sendText(text);
  const c = await Promise.race([a.raw.closed, sleep(5000).then(() => null)]);
  assert.ok(c, "the socket was closed within 5 s");
  assert.equal(c.code, 1009);

  // The same total in fragments each under the limit: still too big a message.
  const f = await rawWithChannel(srv, "fragments");
  const chunk = "y".repeat(8000);
  f.raw.ws.send(`[null,"m3",${JSON.stringify(f.topic)},"kick",{"peerId":"`, { binary: false, fin: false });
  for (let i = 0; i < 9; i++) f.raw.ws.send(chunk, { binary: false, fin: false });
  f.raw.ws.send('"}]', { binary: false, fin: true });
  const cf = await Promise.race([f.raw.closed, sleep(5000).then(() => null)]);
  assert.ok(cf, "a fragmented 72 KB message closes the socket within 5 s");
  assert.equal(cf.code, 1009);

  // Over 1 MiB on the server with default limits.
  for (const size of [1048577, 4 * 1048576]) {
    const b = await RawWs.connect(big.wsUrl, `over-${size}`);
    b.sendText("z".repeat(size));
    const cb = await Promise.race([b.closed, sleep(5000).then(() => null)]);
    assert.ok(cb, `a ${size}-byte frame closes the socket within 5 s`);
    assert.equal(cb.code, 1009, `close code after a ${size}-byte frame (default 1 MiB limit)`);
  }

  await sameSocketWorks();
  await sameSocketWorks(ok);
  await wellBehaved();
  await wellBehaved(big);
});

T("binary frames are ignored and counted", async () => {
  const { raw } = abused;
  const before = await badFrames(srv);
  const since = raw.log.mark();
  raw.ws.send(Buffer.from(JSON.stringify([null, "bin1", "phoenix", "heartbeat", {}])), { binary: true });
  raw.ws.send(Buffer.from([0, 1, 2, 3, 255]), { binary: true });
  raw.ws.send(Buffer.alloc(0), { binary: true });
  assert.deepEqual(await repliesWithin(raw, since), [], "no reply to binary frames");
  assert.equal(raw.binaryFrames, 0, "no binary frames back");
  const after = await badFrames(srv);
  assert.ok(after - before >= 3, `vr_bad_frames_total grew by ${after - before}, expected ≥ 3`);
  await sameSocketWorks();
  await wellBehaved();
});

T("a burst of 500 heartbeats is answered in full and in order", async () => {
  const { raw } = abused;
  const since = raw.log.mark();
  for (let i = 0; i < 500; i++) raw.sendFrame([null, `burst${i}`, "phoenix", "heartbeat", {}]);
  await raw.log.wait((f) => Array.isArray(f) && f[1] === "burst499", { since, timeout: 5000, what: "the 500th heartbeat reply" });
  const refs = raw.log.frames.slice(since).map((e) => e.frame?.[1]).filter((r) => typeof r === "string" && r.startsWith("burst"));
  assert.deepEqual(refs, Array.from({ length: 500 }, (_, i) => `burst${i}`));
  await sameSocketWorks();
});

T("a second phx_join of a joined topic replaces the channel (phx_close for the old one, no ghost peer)", async () => {
  const a = await rawWithChannel(srv, "dup");
  const first = await a.raw.call(a.joinRef, a.topic, "kick", { peerId: "x" });
  assert.deepEqual(first[4], { status: "error", response: { reason: "not_found" } });
  const since = a.raw.log.mark();
  const r = await a.raw.call("j9", a.topic, "phx_join", { displayName: "dup again" });
  assert.equal(r[0], "j9");
  assert.equal(r[4].status, "ok", JSON.stringify(r));
  const me = r[4].response.peerId;
  const close = a.raw.log.find((f) => Array.isArray(f) && f[2] === a.topic && f[3] === "phx_close", since);
  assert.ok(close, "the old channel was closed");
  assert.equal(close.frame[0], a.joinRef, "phx_close carries the old join ref");
  // The old peer is gone from the room: the new one ends up its owner.
  if (r[4].response.ownerId !== me) {
    const oc = await a.raw.log.wait((f) => Array.isArray(f) && f[2] === a.topic && f[3] === "ownerChanged" && f[4].ownerId === me, { since, what: "ownerChanged to the rejoined peer" });
    assert.equal(oc.frame[0], "j9");
  }
  // The old join ref no longer reaches a channel; the new one does.
  const stale = await a.raw.call(a.joinRef, a.topic, "kick", { peerId: "x" });
  assert.deepEqual(stale[4], { status: "error", response: { reason: "unmatched topic" } });
  const fresh = await a.raw.call("j9", a.topic, "kick", { peerId: "x" });
  assert.deepEqual(fresh[4], { status: "error", response: { reason: "not_found" } });
  // A newcomer sees one peer in the room, not two.
  const p = await Peer.connect(srv, "newcomer");
  const j = await p.joinOk(a.topic, { displayName: "New" });
  assert.equal(j.response.ownerId, me);
  const acc = await p.mediaJoin(j.channel, { displayName: "New" });
  assert.deepEqual(acc.peersInRoom, [], "the rejoined peer has not entered the media session; no ghost either");
  await p.close();
  await a.raw.close();
  await sameSocketWorks();
  await wellBehaved();
});

T("an idle socket is closed after socket.idle-timeout (2 s); a heartbeating one is not", async (t) => {
  const idle = await RawWs.connect(srv.wsUrl, "idle");
  const peer = await Peer.connect(srv, "heartbeating"); // phoenix heartbeats every 1 s
  await peer.joinOk(roomTopic("idle"), { displayName: "H" });
  const t0 = idle.openedAt;
  const c = await Promise.race([idle.closed, sleep(6000).then(() => null)]);
  assert.ok(c, "the idle socket was closed within 6 s");
  const ms = c.at - t0;
  assert.ok(ms >= 1500, `closed after ${ms} ms, not before the 2 s timeout`);
  t.diagnostic(`idle socket closed after ${ms} ms with code ${c.code}`);
  assert.equal(c.code, 1001, "an idle socket gets a close frame (going away)");
  assert.equal(peer.closeEvent, null, "the heartbeating phoenix socket is still open");
  assert.deepEqual((await peer.heartbeat())[4], { status: "ok", response: {} });
  await peer.close();
  await sameSocketWorks();
  await wellBehaved();
});

T("200 half-open connections and oversized headers do not block others", async () => {
  const socks = [];
  const connectOne = (send) =>
    new Promise((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port: srv.port }, () => {
        if (send) s.write(send);
        resolve(s);
      });
      s.on("error", () => resolve(s));
      s.setTimeout(10000, () => s.destroy());
      socks.push(s);
    });
  try {
    const half = `GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`;
    await Promise.all(Array.from({ length: 200 }, (_, i) => connectOne(i % 2 ? half : null)));
    // While they hang: others are served.
    await wellBehaved();
    await sameSocketWorks();
    const m = await srv.metrics();
    assert.ok(m.has("vr_sockets"));
    // A header far too large: refused or closed, not served, and nothing breaks.
    const huge = await new Promise((resolve) => {
      let data = "";
      const s = net.connect({ host: "127.0.0.1", port: srv.port }, () => {
        s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(200000)}\r\n\r\n`);
      });
      s.on("data", (d) => (data += d.toString()));
      s.on("error", () => {});
      s.on("close", () => resolve(data));
      setTimeout(() => s.destroy(), 3000);
      socks.push(s);
    });
    assert.doesNotMatch(huge, /^HTTP\/1\.1 200/, "a 200 KB header is not served");
    await wellBehaved();
  } finally {
    for (const s of socks) s.destroy();
  }
  await sameSocketWorks();
});

T("path traversal does not leave the static directory", async () => {
  const rawGet = (target) =>
    new Promise((resolve) => {
      let data = "";
      const s = net.connect({ host: "127.0.0.1", port: srv.port }, () => {
        s.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      });
      s.on("data", (d) => (data += d.toString()));
      s.on("error", () => {});
      s.on("close", () => resolve(data));
      setTimeout(() => s.destroy(), 3000);
    });
  for (const target of [
    "/../config/test.conf",
    "/../../config/test.conf",
    "/%2e%2e/config/test.conf",
    "/..%2fconfig%2ftest.conf",
    "/room/../../config/test.conf",
    "/assets/../../config/test.conf",
    "/....//config/test.conf",
    "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/../../../../../../etc/passwd",
  ]) {
    const r = await rawGet(target);
    assert.doesNotMatch(r, /max-frame-bytes|root:x?:0:0/, `GET ${target} must not serve files outside client/dist`);
  }
  await wellBehaved();
});

T("SIGTERM with abused and idle-free sockets open: exits 0 within 5 s", async () => {
  await sameSocketWorks();
  const peer = await Peer.connect(big, "last");
  await peer.joinOk(roomTopic("last"), { displayName: "Last" });
  for (const s of [srv, big]) {
    const r = await s.stop(5000);
    if (r.timedOut || r.code !== 0) s.dump("server output at shutdown");
    assert.equal(r.timedOut, false, `exit within 5 s (took ${r.ms} ms)`);
    assert.equal(r.signal, null, "no signal death");
    assert.equal(r.code, 0, "exit code 0");
  }
  const c = await Promise.race([abused.raw.closed, sleep(2000).then(() => null)]);
  assert.ok(c, "the abused socket was closed by the shutdown");
});
