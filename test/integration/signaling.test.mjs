// Signaling against the real server, driven by the official `phoenix` npm client:
// join replies, roles, owner, raise hand, kick, media-session events, call relay,
// join errors, unmatched topics, closed tabs, room end, /healthz, /metrics, pages,
// and a clean SIGTERM shutdown. protocol.md sections 1, 2, 3 and 5.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { startServer, guard, httpGet, sleep, ROOT } from "./lib/server.mjs";
import { Peer, RawWs, roomTopic, closeAll, isEvent, isReplyTo } from "./lib/client.mjs";

let srv; // --rooms.max-publishers=2
let srvFull; // --rooms.max-publishers=2 --rooms.max-viewers=1
const QUIET_MS = 400; // how long "nothing else arrives" is watched

before(async () => {
  srv = await startServer({ "rooms.max-publishers": 2 });
  srvFull = await startServer({ "rooms.max-publishers": 2, "rooms.max-viewers": 1 });
});

afterEach(async () => {
  await closeAll();
});

after(async () => {
  await closeAll();
  for (const s of [srv, srvFull]) if (s && !s.exited) await s.stop(2000);
});

const T = (name, fn) => test(name, guard(() => [srv, srvFull], fn));

// A new tab: connect, join `topic` with {displayName, ...extra}; optionally enter
// the media session. Returns {peer, ch, id, reply, joinRef, name, accepted?}.
async function enter(server, topic, name, extra = {}, { media = false } = {}) {
  const peer = await Peer.connect(server, name);
  const r = await peer.joinOk(topic, { displayName: name, ...extra });
  const res = { peer, ch: r.channel, id: r.response.peerId, reply: r.response, joinRef: r.joinRef, name };
  if (media) res.accepted = await peer.mediaJoin(r.channel, { displayName: name });
  return res;
}

async function joinError(server, topic, params) {
  const peer = await Peer.connect(server, "err");
  const r = await peer.join(topic, params);
  return { peer, ...r };
}

const req = (p, event, payload) => p.peer.request(p.ch, event, payload);

function assertJoinReply(reply, { role, roomType, ownerId }) {
  assert.deepEqual(Object.keys(reply).sort(), ["chat", "ownerId", "peerId", "recording", "role", "roomType"], JSON.stringify(reply));
  assert.equal(typeof reply.peerId, "string");
  assert.ok(reply.peerId.length > 0, "peerId is not empty");
  assert.equal(reply.role, role);
  assert.equal(reply.roomType, roomType);
  if (ownerId !== undefined) assert.equal(reply.ownerId, ownerId);
}

// Waits until `pred(metrics)` holds (bounded); returns the last metrics.
async function metricsUntil(server, pred, what, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let m;
  for (;;) {
    m = await server.metrics();
    if (pred(m)) return m;
    if (Date.now() > deadline)
      throw new Error(`metrics: ${what} not reached within ${timeout} ms:\n${[...m.series].map(([k, v]) => `${k} ${v}`).join("\n")}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------

T("HTTP: /healthz answers 200 ok", async () => {
  const h = await httpGet(`${srv.httpUrl}/healthz`);
  assert.equal(h.status, 200);
  assert.equal(h.body.trim(), "ok");
});

T("HTTP: / and /room/ROOM serve the client's HTML (client/dist built)", async () => {
  const index = path.join(ROOT, "client", "dist", "index.html");
  assert.ok(existsSync(index), `${index} is missing: run \`npm run build:client\` (scripts/test does)`);
  for (const p of ["/", "/room/abc?display_name=x", "/room/abc?display_name=x&role=viewer&type=broadcast"]) {
    const r = await httpGet(`${srv.httpUrl}${p}`);
    assert.equal(r.status, 200, `GET ${p}`);
    assert.match(r.headers.get("content-type") || "", /text\/html/, `GET ${p} content-type`);
    assert.match(r.body, /<html|<!doctype html/i, `GET ${p} body is HTML`);
  }
});

T("HTTP: /metrics shows sockets, channels, rooms, peers, frames and bad frames", async () => {
  const topic = roomTopic("metrics");
  const a = await enter(srv, topic, "Ann");
  const v = await enter(srv, topic, "Vic", { role: "viewer" });
  assert.equal(v.reply.role, "viewer");
  await a.peer.heartbeat();
  const r = await httpGet(`${srv.httpUrl}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") || "", /text\/plain/);
  const m = await srv.metrics();
  for (const fam of ["vr_sockets", "vr_channels", "vr_rooms", "vr_peers", "vr_frames_in_total", "vr_frames_out_total", "vr_bad_frames_total"])
    assert.ok(m.has(fam), `/metrics has ${fam}:\n${r.body}`);
  assert.ok(m.sum("vr_sockets") >= 2, "vr_sockets counts our two sockets");
  assert.ok(m.sum("vr_channels") >= 2, "vr_channels counts our two channels");
  assert.ok(m.get("vr_rooms", { type: "group" }) >= 1, `vr_rooms{type="group"}:\n${r.body}`);
  assert.ok(m.get("vr_peers", { type: "group", role: "publisher" }) >= 1, `vr_peers publisher:\n${r.body}`);
  assert.ok(m.get("vr_peers", { type: "group", role: "viewer" }) >= 1, `vr_peers viewer:\n${r.body}`);
  assert.ok(m.sum("vr_frames_in_total") > 0, "frames in counted");
  assert.ok(m.sum("vr_frames_out_total") > 0, "frames out counted");
});

T("heartbeat and join reply: exact frames, server-made peer ids", async () => {
  // Raw frames first: the exact shapes of protocol.md section 1.
  const raw = await RawWs.connect(srv.wsUrl, "raw");
  raw.sendFrame([null, "7", "phoenix", "heartbeat", {}]);
  const hb = await raw.log.wait(isReplyTo("phoenix", "7"), { what: "heartbeat reply" });
  assert.deepEqual(hb.frame, [null, "7", "phoenix", "phx_reply", { status: "ok", response: {} }]);

  const topic = roomTopic("join");
  raw.sendFrame(["1", "2", topic, "phx_join", { displayName: "Ann" }]);
  const jr = (await raw.log.wait(isReplyTo(topic, "2"), { what: "join reply" })).frame;
  assert.equal(jr.length, 5);
  assert.deepEqual(jr.slice(0, 4), ["1", "2", topic, "phx_reply"]);
  assert.equal(jr[4].status, "ok", JSON.stringify(jr));
  const ann = jr[4].response;
  assertJoinReply(ann, { role: "publisher", roomType: "group" });
  assert.equal(ann.ownerId, ann.peerId, "the creator owns the room");

  // The phoenix client: its own heartbeat (socket.ping) and a join that tries to
  // choose its peer id.
  const bob = await Peer.connect(srv, "Bob");
  const rtt = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("socket.ping: no heartbeat reply")), 5000);
    assert.equal(bob.socket.ping((ms) => (clearTimeout(t), resolve(ms))), true);
  });
  assert.ok(rtt >= 0);
  const hb2 = await bob.heartbeat();
  assert.deepEqual(hb2[4], { status: "ok", response: {} });
  assert.equal(hb2[0], null);

  const r = await bob.join(topic, { displayName: "Bob", peerId: "spoofed-id", id: "spoofed-id" });
  if (r.status === "ok") {
    assertJoinReply(r.response, { role: "publisher", roomType: "group", ownerId: ann.peerId });
    assert.notEqual(r.response.peerId, "spoofed-id", "a client cannot choose its peer id");
    assert.notEqual(r.response.peerId, ann.peerId, "peer ids are unique");
  } else {
    assert.deepEqual(r.response, { reason: "invalid_params" });
  }
  const c = await enter(srv, topic, "Cid");
  assert.notEqual(c.id, ann.peerId);
  assert.equal(c.reply.ownerId, ann.peerId);
});

T("roles in a group room (max-publishers=2): publishers until full, then viewers; role wish", async () => {
  const topic = roomTopic("roles");
  const a = await enter(srv, topic, "A");
  assertJoinReply(a.reply, { role: "publisher", roomType: "group", ownerId: a.id });
  const b = await enter(srv, topic, "B", { role: "viewer" });
  assertJoinReply(b.reply, { role: "viewer", roomType: "group", ownerId: a.id });
  const c = await enter(srv, topic, "C", { roomType: "group" });
  assertJoinReply(c.reply, { role: "publisher", roomType: "group", ownerId: a.id });
  const d = await enter(srv, topic, "D", { role: "publisher" });
  assertJoinReply(d.reply, { role: "viewer", roomType: "group", ownerId: a.id });
  const e = await enter(srv, topic, "E");
  assertJoinReply(e.reply, { role: "viewer", roomType: "group", ownerId: a.id });
  const ids = new Set([a, b, c, d, e].map((p) => p.id));
  assert.equal(ids.size, 5, "peer ids are unique");
});

T("owner leaves (phx_leave → ok, then phx_close): next oldest publisher owns, all told", async () => {
  const topic = roomTopic("owner");
  const a = await enter(srv, topic, "A");
  const v = await enter(srv, topic, "V", { role: "viewer" });
  const c = await enter(srv, topic, "C");
  assert.equal(c.reply.role, "publisher");
  const marks = { v: v.peer.log.mark(), c: c.peer.log.mark() };

  const leave = a.ch.leave();
  const leaveOk = new Promise((resolve, reject) => {
    leave.receive("ok", resolve).receive("error", (r) => reject(new Error(`leave error ${JSON.stringify(r)}`)));
    leave.receive("timeout", () => reject(new Error("leave: no reply")));
  });
  await leaveOk;
  const reply = await a.peer.log.wait(isReplyTo(topic, leave.ref), { what: "leave reply" });
  assert.deepEqual(reply.frame, [a.joinRef, leave.ref, topic, "phx_reply", { status: "ok", response: {} }]);
  const close = await a.peer.log.wait(isEvent(topic, "phx_close"), { since: reply.index, what: "phx_close after leave" });
  assert.equal(close.frame[0], a.joinRef, "phx_close carries the channel's join ref");
  assert.deepEqual(close.frame[4], {});
  assert.ok(close.index > reply.index, "phx_close comes after the ok reply");

  for (const [p, since] of [[v, marks.v], [c, marks.c]]) {
    const f = await p.peer.waitEvent(topic, "ownerChanged", { since });
    assert.deepEqual(f[4], { ownerId: c.id }, `${p.name} told the new owner`);
    assert.equal(f[0], p.joinRef, "a server push carries the channel's join ref");
    assert.equal(f[1], null, "a server push has a null ref");
  }
  const after = await a.peer.log.collect((f) => Array.isArray(f) && f[2] === topic, { since: close.index + 1, ms: QUIET_MS });
  assert.deepEqual(after.map((e) => e.text), [], "nothing reaches a left channel");

  // The freed publisher seat goes to the next joiner; the new owner is reported.
  const f = await enter(srv, topic, "F");
  assertJoinReply(f.reply, { role: "publisher", roomType: "group", ownerId: c.id });
});

T("raise hand and answer hand: accept, room_full, deny, forbidden", async () => {
  const topic = roomTopic("hand");
  const a = await enter(srv, topic, "Owner");
  const v1 = await enter(srv, topic, "Viewer One", { role: "viewer" });
  const v2 = await enter(srv, topic, "Viewer Two", { role: "viewer" });
  assert.equal(v1.reply.role, "viewer");
  assert.equal(v2.reply.role, "viewer");

  // A publisher may not raise its hand.
  assert.deepEqual(await req(a, "raiseHand", {}), { status: "error", response: { reason: "forbidden" } });

  let mA = a.peer.log.mark();
  const mV2 = v2.peer.log.mark();
  assert.deepEqual(await req(v1, "raiseHand", {}), { status: "ok", response: {} });
  const raised = await a.peer.waitEvent(topic, "handRaised", { since: mA });
  assert.deepEqual(raised[4], { peerId: v1.id, displayName: "Viewer One" });
  assert.deepEqual(await v2.peer.eventsWithin(topic, "handRaised", { since: mV2, ms: 200 }), [], "only the owner hears a raised hand");

  // Only the owner answers.
  assert.deepEqual(await req(v2, "answerHand", { peerId: v1.id, accept: true }), { status: "error", response: { reason: "forbidden" } });
  assert.deepEqual(await req(a, "answerHand", { peerId: v1.id }), { status: "error", response: { reason: "invalid_params" } });

  // Accept with a free seat: v1 becomes a publisher, everyone is told.
  const marks = [a, v1, v2].map((p) => p.peer.log.mark());
  assert.deepEqual(await req(a, "answerHand", { peerId: v1.id, accept: true }), { status: "ok", response: {} });
  const answered = await v1.peer.waitEvent(topic, "handAnswered", { since: marks[1] });
  assert.deepEqual(answered[4], { accept: true });
  for (const [i, p] of [a, v1, v2].entries()) {
    const rc = await p.peer.waitEvent(topic, "roleChanged", { since: marks[i] });
    assert.deepEqual(rc[4], { peerId: v1.id, role: "publisher" }, `${p.name} gets roleChanged`);
  }
  // v1 now acts as a publisher: it may not raise its hand, it may kick.
  assert.deepEqual(await req(v1, "raiseHand", {}), { status: "error", response: { reason: "forbidden" } });

  // v2 raises; the seats are full (max-publishers=2): accept → room_full, nothing changes.
  mA = a.peer.log.mark();
  assert.deepEqual(await req(v2, "raiseHand", {}), { status: "ok", response: {} });
  assert.deepEqual((await a.peer.waitEvent(topic, "handRaised", { since: mA }))[4], { peerId: v2.id, displayName: "Viewer Two" });
  // A publisher that is not the owner may not answer.
  assert.deepEqual(await req(v1, "answerHand", { peerId: v2.id, accept: true }), { status: "error", response: { reason: "forbidden" } });
  const m2 = [a, v1, v2].map((p) => p.peer.log.mark());
  assert.deepEqual(await req(a, "answerHand", { peerId: v2.id, accept: true }), { status: "error", response: { reason: "room_full" } });
  assert.deepEqual(await v2.peer.eventsWithin(topic, "handAnswered", { since: m2[2], ms: QUIET_MS }), [], "no handAnswered after room_full");
  for (const [i, p] of [a, v1, v2].entries())
    assert.deepEqual(await p.peer.eventsWithin(topic, "roleChanged", { since: m2[i], ms: 0 }), [], `no roleChanged to ${p.name} after room_full`);
  // v2 is still a viewer: it may raise its hand (again).
  const mA3 = a.peer.log.mark();
  assert.deepEqual(await req(v2, "raiseHand", {}), { status: "ok", response: {} }, "v2 is still a viewer");
  assert.deepEqual((await a.peer.waitEvent(topic, "handRaised", { since: mA3 }))[4], { peerId: v2.id, displayName: "Viewer Two" });

  // Deny: handAnswered {accept:false}, no role change.
  const m3 = [a, v1, v2].map((p) => p.peer.log.mark());
  assert.deepEqual(await req(a, "answerHand", { peerId: v2.id, accept: false }), { status: "ok", response: {} });
  assert.deepEqual((await v2.peer.waitEvent(topic, "handAnswered", { since: m3[2] }))[4], { accept: false });
  for (const [i, p] of [a, v1, v2].entries())
    assert.deepEqual(await p.peer.eventsWithin(topic, "roleChanged", { since: m3[i], ms: i === 0 ? QUIET_MS : 0 }), [], `no roleChanged to ${p.name} after a deny`);
  const mA4 = a.peer.log.mark();
  assert.deepEqual(await req(v2, "raiseHand", {}), { status: "ok", response: {} }, "v2 is still a viewer");
  assert.deepEqual((await a.peer.waitEvent(topic, "handRaised", { since: mA4 }))[4], { peerId: v2.id, displayName: "Viewer Two" });
});

T("kick in a group room: any publisher kicks anyone; viewers can't; unknown peer", async () => {
  const topic = roomTopic("kick");
  const a = await enter(srv, topic, "A", {}, { media: true });
  const b = await enter(srv, topic, "B", {}, { media: true });
  const v = await enter(srv, topic, "V", {}, { media: true });
  assert.equal(b.reply.role, "publisher");
  assert.equal(v.reply.role, "viewer");

  const mA = a.peer.log.mark();
  assert.deepEqual(await req(v, "kick", { peerId: a.id }), { status: "error", response: { reason: "forbidden" } });
  assert.deepEqual(await req(a, "kick", { peerId: "no-such-peer" }), { status: "error", response: { reason: "not_found" } });
  assert.deepEqual(await req(a, "kick", {}), { status: "error", response: { reason: "invalid_params" } });
  assert.deepEqual(await a.peer.eventsWithin(topic, "kicked", { since: mA, ms: 200 }), [], "a refused kick changes nothing");

  // B (a publisher, not the owner) kicks the owner A.
  const mB = b.peer.log.mark();
  const mV = v.peer.log.mark();
  assert.deepEqual(await req(b, "kick", { peerId: a.id }), { status: "ok", response: {} });
  const kicked = await a.peer.log.wait(isEvent(topic, "kicked"), { since: mA, what: "kicked" });
  assert.deepEqual(kicked.frame[4], { by: b.id });
  assert.equal(kicked.frame[0], a.joinRef);
  const closed = await a.peer.log.wait(isEvent(topic, "phx_close"), { since: kicked.index, what: "phx_close after kicked" });
  assert.ok(closed.index > kicked.index, "kicked comes before phx_close");
  assert.equal(closed.frame[0], a.joinRef);
  for (const [p, since] of [[b, mB], [v, mV]]) {
    const left = await p.peer.waitMedia(topic, "peerLeft", { since, where: (d) => d.peerId === a.id });
    assert.deepEqual(left.data, { peerId: a.id });
    assert.deepEqual((await p.peer.waitEvent(topic, "ownerChanged", { since }))[4], { ownerId: b.id });
  }
  // The kicked channel is gone: a push on it is an unmatched topic.
  const ref = a.peer.pushRaw(topic, "raiseHand", {}, a.joinRef);
  const unmatched = await a.peer.log.wait(isReplyTo(topic, ref), { what: "reply on a kicked channel" });
  assert.deepEqual(unmatched.frame[4], { status: "error", response: { reason: "unmatched topic" } });
  // Kicking someone already gone.
  assert.deepEqual(await req(b, "kick", { peerId: a.id }), { status: "error", response: { reason: "not_found" } });

  // B kicks the viewer.
  const mB2 = b.peer.log.mark();
  assert.deepEqual(await req(b, "kick", { peerId: v.id }), { status: "ok", response: {} });
  assert.deepEqual((await v.peer.waitEvent(topic, "kicked", { since: mV }))[4], { by: b.id });
  await v.peer.waitEvent(topic, "phx_close", { since: mV });
  assert.deepEqual((await b.peer.waitMedia(topic, "peerLeft", { since: mB2 })).data, { peerId: v.id });
});

T("kick in a broadcast room: the publisher kicks viewers; viewers kick nobody", async () => {
  const topic = roomTopic("bcast");
  const p = await enter(srv, topic, "P", { roomType: "broadcast" });
  assertJoinReply(p.reply, { role: "publisher", roomType: "broadcast", ownerId: p.id });
  const v1 = await enter(srv, topic, "V1", { role: "publisher" });
  assertJoinReply(v1.reply, { role: "viewer", roomType: "broadcast", ownerId: p.id });
  const v2 = await enter(srv, topic, "V2");
  assertJoinReply(v2.reply, { role: "viewer", roomType: "broadcast", ownerId: p.id });

  assert.deepEqual(await req(v1, "kick", { peerId: v2.id }), { status: "error", response: { reason: "forbidden" } });
  assert.deepEqual(await req(v1, "kick", { peerId: p.id }), { status: "error", response: { reason: "forbidden" } });
  assert.deepEqual(await req(v1, "raiseHand", {}), { status: "error", response: { reason: "forbidden" } }, "no raised hands in broadcast rooms");
  assert.deepEqual(await req(p, "kick", { peerId: "no-such-peer" }), { status: "error", response: { reason: "not_found" } });

  const m = v1.peer.log.mark();
  assert.deepEqual(await req(p, "kick", { peerId: v1.id }), { status: "ok", response: {} });
  assert.deepEqual((await v1.peer.waitEvent(topic, "kicked", { since: m }))[4], { by: p.id });
  await v1.peer.waitEvent(topic, "phx_close", { since: m });
  // v2 is unaffected.
  assert.deepEqual((await v2.peer.heartbeat())[4], { status: "ok", response: {} });
  assert.deepEqual(await req(v2, "kick", { peerId: p.id }), { status: "error", response: { reason: "forbidden" } });
});

T("call rooms: caller and callee, a third join is room_full, relay both ways, no kicks", async () => {
  const topic = roomTopic("call");
  const a = await enter(srv, topic, "Caller", { roomType: "call" }, { media: true });
  assertJoinReply(a.reply, { role: "publisher", roomType: "call", ownerId: a.id });
  assert.equal(a.accepted.roomType, "call");
  assert.deepEqual(a.accepted.iceServers, []);
  const b = await enter(srv, topic, "Callee", {}, { media: true });
  assertJoinReply(b.reply, { role: "publisher", roomType: "call", ownerId: a.id });

  for (const params of [{ displayName: "Third" }, { displayName: "Third", role: "viewer" }, { displayName: "Third", roomType: "call" }]) {
    const r = await joinError(srv, topic, params);
    assert.deepEqual([r.status, r.response], ["error", { reason: "room_full" }], JSON.stringify(params));
  }

  assert.deepEqual(await req(a, "kick", { peerId: b.id }), { status: "error", response: { reason: "forbidden" } });
  assert.deepEqual(await req(b, "kick", { peerId: a.id }), { status: "error", response: { reason: "forbidden" } });

  let mB = b.peer.log.mark();
  const offer = { kind: "offer", sdp: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", nested: { n: [1, 2, { x: null }] } };
  a.peer.media(a.ch, "relay", { to: b.id, payload: offer });
  const got = await b.peer.waitMedia(topic, "relay", { since: mB });
  assert.deepEqual(got.data, { from: a.id, payload: offer });

  const mA = a.peer.log.mark();
  b.peer.media(b.ch, "relay", { to: a.id, payload: { kind: "answer" } });
  assert.deepEqual((await a.peer.waitMedia(topic, "relay", { since: mA })).data, { from: b.id, payload: { kind: "answer" } });

  // `from` is set by the server, never taken from the client.
  mB = b.peer.log.mark();
  a.peer.media(a.ch, "relay", { to: b.id, from: "spoofed", payload: { n: 1 } });
  assert.deepEqual((await b.peer.waitMedia(topic, "relay", { since: mB })).data, { from: a.id, payload: { n: 1 } });

  // Relay to an unknown peer: an error media event, the session goes on.
  const mA2 = a.peer.log.mark();
  a.peer.media(a.ch, "relay", { to: "no-such-peer", payload: {} });
  const err = await a.peer.waitMedia(topic, "error", { since: mA2 });
  assert.equal(typeof err.data.reason, "string");
  assert.equal(typeof err.data.message, "string");
});

T("media session: peerAccepted, peerJoined, peerUpdated, peerLeft; viewers can't publish; no relay in group", async () => {
  const topic = roomTopic("media");
  const a = await enter(srv, topic, "Ann", {}, { media: true });
  assert.deepEqual(a.accepted, {
    id: a.id,
    role: "publisher",
    roomType: "group",
    ownerId: a.id,
    peersInRoom: [],
    iceServers: [],
    simulcast: true, // a group room with rooms.simulcast (its default)
  });

  const mA = a.peer.log.mark();
  const b = await enter(srv, topic, "Bob", {}, { media: true });
  assert.deepEqual(b.accepted, {
    id: b.id,
    role: "publisher",
    roomType: "group",
    ownerId: a.id,
    peersInRoom: [{ id: a.id, metadata: { displayName: "Ann" }, role: "publisher", tracks: {} }],
    iceServers: [],
    simulcast: true,
  });
  assert.deepEqual((await a.peer.waitMedia(topic, "peerJoined", { since: mA })).data, {
    peer: { id: b.id, metadata: { displayName: "Bob" }, role: "publisher", tracks: {} },
  });

  const mA2 = a.peer.log.mark();
  const mB = b.peer.log.mark();
  const v = await enter(srv, topic, "Vic", {}, { media: true });
  assert.equal(v.accepted.role, "viewer");
  assert.deepEqual(v.accepted.iceServers, []);
  const inRoom = [...v.accepted.peersInRoom].sort((x, y) => (x.id < y.id ? -1 : 1));
  const expected = [
    { id: a.id, metadata: { displayName: "Ann" }, role: "publisher", tracks: {} },
    { id: b.id, metadata: { displayName: "Bob" }, role: "publisher", tracks: {} },
  ].sort((x, y) => (x.id < y.id ? -1 : 1));
  assert.deepEqual(inRoom, expected);
  const vicPeer = { peer: { id: v.id, metadata: { displayName: "Vic" }, role: "viewer", tracks: {} } };
  assert.deepEqual((await a.peer.waitMedia(topic, "peerJoined", { since: mA2 })).data, vicPeer);
  assert.deepEqual((await b.peer.waitMedia(topic, "peerJoined", { since: mB })).data, vicPeer);

  // updatePeerMetadata reaches the others, not the sender.
  const marks = [a, b, v].map((p) => p.peer.log.mark());
  const meta = { displayName: "Bobby", muted: true, extra: { n: 1 } };
  b.peer.media(b.ch, "updatePeerMetadata", { metadata: meta });
  for (const [i, p] of [[0, a], [2, v]])
    assert.deepEqual((await p.peer.waitMedia(topic, "peerUpdated", { since: marks[i] })).data, { peerId: b.id, metadata: meta });
  assert.deepEqual(await b.peer.mediaWithin(topic, "peerUpdated", { since: marks[1], ms: 200 }), [], "the sender is not told");

  // A viewer's publishOffer: an error media event; nothing announced.
  const m2 = [a, b, v].map((p) => p.peer.log.mark());
  v.peer.media(v.ch, "publishOffer", { sdp: "v=0\r\n", trackMetadata: {} });
  const perr = await v.peer.waitMedia(topic, "error", { since: m2[2] });
  assert.equal(typeof perr.data.reason, "string");
  assert.equal(typeof perr.data.message, "string");
  for (const [i, p] of [[0, a], [1, b]])
    assert.deepEqual(await p.peer.mediaWithin(topic, "tracksAdded", { since: m2[i], ms: i === 0 ? QUIET_MS : 0 }), []);

  // relay is for call rooms only.
  const m3 = [a, b].map((p) => p.peer.log.mark());
  a.peer.media(a.ch, "relay", { to: b.id, payload: { x: 1 } });
  const rerr = await a.peer.waitMedia(topic, "error", { since: m3[0] });
  assert.equal(typeof rerr.data.reason, "string");
  assert.equal(typeof rerr.data.message, "string");
  assert.deepEqual(await b.peer.mediaWithin(topic, "relay", { since: m3[1], ms: QUIET_MS }), []);

  // setTargetTrackVariant: only for a remote track, only h/m/l (protocol.md §6).
  for (const data of [{ trackId: "no-such-track", variant: "h" }, { trackId: `${b.id}:0`, variant: "x" }]) {
    const mark = a.peer.log.mark();
    a.peer.media(a.ch, "setTargetTrackVariant", data);
    const err = await a.peer.waitMedia(topic, "error", { since: mark });
    assert.equal(err.data.reason, "invalid_params", JSON.stringify(data));
  }

  // The session goes on after errors: media leave → peerLeft to the others.
  const m4 = [a, v].map((p) => p.peer.log.mark());
  b.peer.media(b.ch, "leave", {});
  for (const [i, p] of [[0, a], [1, v]])
    assert.deepEqual((await p.peer.waitMedia(topic, "peerLeft", { since: m4[i] })).data, { peerId: b.id });
  // A channel leave also ends the media session.
  const m5 = a.peer.log.mark();
  v.ch.leave();
  assert.deepEqual((await a.peer.waitMedia(topic, "peerLeft", { since: m5 })).data, { peerId: v.id });
});

T("join errors: invalid_room, invalid_params, room_type_mismatch (and edge values that pass)", async () => {
  for (const topic of ["room:bad!chars", "room:has space", "room:dots.not.ok", "room:ünï", `room:${"a".repeat(65)}`, "room:"]) {
    const r = await joinError(srv, topic, { displayName: "Ann" });
    assert.deepEqual([r.status, r.response], ["error", { reason: "invalid_room" }], topic);
    // The socket lives on.
    assert.deepEqual((await r.peer.heartbeat())[4], { status: "ok", response: {} });
  }
  const long = `room:Az09_-${Math.random().toString(36).slice(2, 8)}`.padEnd(5 + 64, "x");
  assert.equal(long.length, 5 + 64);
  const ok64 = await enter(srv, long, "Ann");
  assert.equal(ok64.reply.role, "publisher");

  const topic = roomTopic("params");
  const bad = [
    {},
    { displayName: "" },
    { displayName: "x".repeat(65) },
    { displayName: 42 },
    { displayName: null },
    { displayName: ["Ann"] },
    { displayName: "Ann", roomType: "party" },
    { displayName: "Ann", roomType: 5 },
    { displayName: "Ann", role: "admin" },
    { displayName: "Ann", role: "owner" },
  ];
  for (const params of bad) {
    const r = await joinError(srv, topic, params);
    assert.deepEqual([r.status, r.response], ["error", { reason: "invalid_params" }], JSON.stringify(params));
  }
  // 64 characters pass, also when they are not ASCII.
  const n64 = await enter(srv, topic, "x".repeat(64));
  assert.equal(n64.reply.roomType, "group");
  const u64 = await enter(srv, topic, "é".repeat(64));
  assert.equal(u64.reply.roomType, "group");

  // room_type_mismatch: the room is a group room; naming another type fails.
  for (const roomType of ["broadcast", "call", "audio"]) {
    const r = await joinError(srv, topic, { displayName: "Mia", roomType });
    assert.deepEqual([r.status, r.response], ["error", { reason: "room_type_mismatch" }], roomType);
  }
  const same = await enter(srv, topic, "Sam", { roomType: "group" });
  assert.equal(same.reply.roomType, "group");
});

T("join errors: room_full with max-viewers=1, and in call rooms", async () => {
  const topic = roomTopic("full");
  const a = await enter(srvFull, topic, "A");
  const b = await enter(srvFull, topic, "B");
  const c = await enter(srvFull, topic, "C");
  assert.deepEqual([a.reply.role, b.reply.role, c.reply.role], ["publisher", "publisher", "viewer"]);
  for (const params of [{ displayName: "D" }, { displayName: "D", role: "viewer" }, { displayName: "D", role: "publisher" }]) {
    const r = await joinError(srvFull, topic, params);
    assert.deepEqual([r.status, r.response], ["error", { reason: "room_full" }], JSON.stringify(params));
  }
  // A seat frees when a viewer leaves.
  c.ch.leave();
  await c.peer.waitEvent(topic, "phx_close");
  const deadline = Date.now() + 3000;
  let d;
  for (;;) {
    const r = await joinError(srvFull, topic, { displayName: "D" });
    if (r.status === "ok") {
      d = r;
      break;
    }
    assert.deepEqual(r.response, { reason: "room_full" });
    assert.ok(Date.now() < deadline, "the viewer seat was not freed within 3 s");
    await sleep(100);
  }
  assert.equal(d.response.role, "viewer");

  const call = roomTopic("fullcall");
  await enter(srvFull, call, "X", { roomType: "call" });
  await enter(srvFull, call, "Y");
  const r = await joinError(srvFull, call, { displayName: "Z" });
  assert.deepEqual([r.status, r.response], ["error", { reason: "room_full" }]);
});

T("a push to a topic that is not joined gets {reason: unmatched topic}", async () => {
  const p = await Peer.connect(srv, "P");
  const topic = roomTopic("unjoined");
  const ref = p.pushRaw(topic, "raiseHand", {});
  const f = (await p.log.wait(isReplyTo(topic, ref), { what: "unmatched topic reply" })).frame;
  assert.deepEqual(f, [null, ref, topic, "phx_reply", { status: "error", response: { reason: "unmatched topic" } }]);

  const raw = await RawWs.connect(srv.wsUrl, "raw");
  for (const [t, ev] of [[topic, "mediaEvent"], ["lobby:x", "hello"], ["room:x", "kick"]]) {
    const r = await raw.call(null, t, ev, {});
    assert.deepEqual(r, [null, r[1], t, "phx_reply", { status: "error", response: { reason: "unmatched topic" } }]);
  }
  // The socket lives on.
  assert.deepEqual((await raw.heartbeat())[4], { status: "ok", response: {} });
});

T("a tab closed without goodbye: others get peerLeft, and ownerChanged if it owned the room", async () => {
  const topic = roomTopic("tab");
  const a = await enter(srv, topic, "A", {}, { media: true });
  const b = await enter(srv, topic, "B", {}, { media: true });
  const v = await enter(srv, topic, "V", {}, { media: true });
  const mB = b.peer.log.mark();
  const mV = v.peer.log.mark();
  await a.peer.terminate();
  for (const [p, since] of [[b, mB], [v, mV]]) {
    assert.deepEqual((await p.peer.waitMedia(topic, "peerLeft", { since })).data, { peerId: a.id });
    assert.deepEqual((await p.peer.waitEvent(topic, "ownerChanged", { since }))[4], { ownerId: b.id });
  }
  const mB2 = b.peer.log.mark();
  await v.peer.terminate();
  assert.deepEqual((await b.peer.waitMedia(topic, "peerLeft", { since: mB2 })).data, { peerId: v.id });
  assert.deepEqual(await b.peer.eventsWithin(topic, "ownerChanged", { since: mB2, ms: QUIET_MS }), [], "a viewer leaving moves no ownership");
});

T("the room ends when its last peer leaves (vr_rooms back to 0); an audio room's roles", async () => {
  const topic = roomTopic("end");
  const a = await enter(srv, topic, "A", { roomType: "audio" });
  assertJoinReply(a.reply, { role: "publisher", roomType: "audio", ownerId: a.id });
  const b = await enter(srv, topic, "B");
  assertJoinReply(b.reply, { role: "publisher", roomType: "audio", ownerId: a.id });
  const c = await enter(srv, topic, "C");
  assertJoinReply(c.reply, { role: "viewer", roomType: "audio", ownerId: a.id });
  await metricsUntil(
    srv,
    (m) => m.get("vr_rooms", { type: "audio" }) === 1 && m.get("vr_peers", { type: "audio", role: "publisher" }) === 2 && m.get("vr_peers", { type: "audio", role: "viewer" }) === 1,
    'vr_rooms{type="audio"} = 1, 2 publishers and 1 viewer',
  );
  a.ch.leave();
  await c.peer.terminate();
  await b.peer.close();
  await metricsUntil(
    srv,
    (m) => (m.get("vr_rooms", { type: "audio" }) ?? 0) === 0 && (m.get("vr_peers", { type: "audio", role: "publisher" }) ?? 0) === 0 && (m.get("vr_peers", { type: "audio", role: "viewer" }) ?? 0) === 0,
    'vr_rooms{type="audio"} and vr_peers{type="audio"} back to 0',
  );
  // The same topic now makes a new room, of the type its new creator asks.
  const d = await enter(srv, topic, "D", { roomType: "broadcast" });
  assertJoinReply(d.reply, { role: "publisher", roomType: "broadcast", ownerId: d.id });
});

T("concurrent joins of a new room: one creator, one type, publishers up to the limit", async () => {
  for (let round = 0; round < 3; round++) {
    const topic = roomTopic("race");
    const peers = await Promise.all(Array.from({ length: 20 }, (_, i) => Peer.connect(srv, `R${i}`)));
    const wishes = peers.map((_, i) => (i % 2 ? "group" : "audio"));
    const replies = await Promise.all(peers.map((p, i) => p.join(topic, { displayName: `R${i}`, roomType: wishes[i] })));
    const ok = replies.map((r, i) => ({ r, i })).filter(({ r }) => r.status === "ok");
    assert.ok(ok.length > 0, "someone created the room");
    const type = ok[0].r.response.roomType;
    for (const { r, i } of replies.map((r, i) => ({ r, i }))) {
      if (wishes[i] === type) assert.equal(r.status, "ok", `R${i} asked for the room's own type: ${JSON.stringify(r.response)}`);
      else assert.deepEqual([r.status, r.response], ["error", { reason: "room_type_mismatch" }], `R${i} asked for ${wishes[i]}`);
    }
    const owners = new Set(ok.map(({ r }) => r.response.ownerId));
    const ids = new Set(ok.map(({ r }) => r.response.peerId));
    assert.equal(ids.size, ok.length, "unique peer ids");
    const publishers = ok.filter(({ r }) => r.response.role === "publisher").map(({ r }) => r.response.peerId);
    assert.equal(publishers.length, 2, "exactly max-publishers publishers");
    assert.equal(owners.size, 1, `one owner in every reply: ${[...owners]}`);
    assert.ok(publishers.includes([...owners][0]), "the owner is a publisher");
    await closeAll();
  }
});

T("churn: a room emptied while another peer joins it never answers unavailable", async () => {
  const topic = roomTopic("churn");
  for (let round = 0; round < 20; round++) {
    const a = await enter(srv, topic, "A");
    assert.equal(a.reply.role, "publisher");
    const b = await Peer.connect(srv, "B");
    const [, rb] = await Promise.all([new Promise((resolve) => a.ch.leave().receive("ok", resolve)), b.join(topic, { displayName: "B" })]);
    assert.equal(rb.status, "ok", `round ${round}: ${JSON.stringify(rb.response)}`);
    assert.equal(rb.response.role, "publisher");
    await closeAll();
  }
  await metricsUntil(srv, (m) => (m.get("vr_rooms", { type: "group" }) ?? 0) === 0, 'vr_rooms{type="group"} back to 0');
});

T("no leaks: with every client gone, rooms, peers, channels and sockets are back to 0", async () => {
  await closeAll();
  for (const s of [srv, srvFull])
    await metricsUntil(
      s,
      (m) => m.sum("vr_rooms") === 0 && m.sum("vr_peers") === 0 && m.sum("vr_channels") === 0 && m.sum("vr_sockets") === 0,
      "vr_rooms, vr_peers, vr_channels, vr_sockets all 0",
    );
});

T("SIGTERM with clients connected: the server closes them and exits 0 within 5 s", async () => {
  const topic = roomTopic("bye");
  const a = await enter(srv, topic, "A", {}, { media: true });
  await enter(srvFull, topic, "B");
  for (const s of [srv, srvFull]) {
    const r = await s.stop(5000);
    if (r.timedOut || r.code !== 0) s.dump("server output at shutdown");
    assert.equal(r.timedOut, false, `exit within 5 s (took ${r.ms} ms)`);
    assert.equal(r.signal, null, "no signal death");
    assert.equal(r.code, 0, "exit code 0");
  }
  const deadline = Date.now() + 2000;
  while (!a.peer.closeEvent && Date.now() < deadline) await sleep(20);
  assert.ok(a.peer.closeEvent, "the client's WebSocket was closed");
});
