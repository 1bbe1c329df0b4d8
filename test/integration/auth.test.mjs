// Signed join tokens and join limits against the real binary, with the official
// phoenix client: with auth.secret every bad token case is refused `unauthorized`
// and a good one (minted by scripts/token) joins; rooms.max-joins-per-second-per-ip,
// rooms.max-rooms and rooms.max-peers are each hit while other clients are served,
// and every refusal is counted in vr_refused_total{reason}. The token server
// serves WSS (a scripts/dev-cert certificate), as a deployed node does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer, guard, sleep, BIN, ROOT } from "./lib/server.mjs";
import { Peer, roomTopic, closeAll } from "./lib/client.mjs";

const SECRET = "integration-secret-0123456789";
let authSrv; // auth.secret set
let rateSrv; // 3 joins per second per IP
let capSrv; // 2 rooms, 2 peers per room
let certDir;

before(async () => {
  certDir = mkdtempSync(path.join(os.tmpdir(), "vr-auth-"));
  execFileSync(path.join(ROOT, "scripts", "dev-cert"), [certDir], { stdio: "ignore" });
  const tls = { ca: readFileSync(path.join(certDir, "cert.pem"), "utf8"),
                cert: path.join(certDir, "cert.pem"), key: path.join(certDir, "key.pem") };
  [authSrv, rateSrv, capSrv] = await Promise.all([
    startServer({ "auth.secret": SECRET }, { tls }),
    startServer({ "rooms.max-joins-per-second-per-ip": 3 }),
    startServer({ "rooms.max-rooms": 2, "rooms.max-peers": 2 }),
  ]);
});

after(async () => {
  await closeAll();
  for (const s of [authSrv, rateSrv, capSrv]) if (s && !s.exited) await s.stop(2000);
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

const T = (name, fn) => test(name, guard(() => [authSrv, rateSrv, capSrv], fn));
const roomOf = (topic) => topic.slice("room:".length);
const now = () => Math.floor(Date.now() / 1000);

// scripts/token, with this test's binary and secret.
function mint(room, name, ...flags) {
  return execFileSync(path.join(ROOT, "scripts", "token"), [room, name, ...flags, `--auth.secret=${SECRET}`], {
    cwd: ROOT,
    env: { ...process.env, VIDEOROOM_BIN: BIN },
  })
    .toString()
    .trim();
}

// A JWT made by hand (bad tokens only): `hash` null leaves the signature empty.
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
function forge(header, claims, { key = SECRET, hash = "sha256" } = {}) {
  const signing = `${b64(header)}.${b64(claims)}`;
  const sig = hash ? crypto.createHmac(hash, key).update(signing).digest("base64url") : "";
  return `${signing}.${sig}`;
}

async function expectJoin(peer, topic, params, status, reason) {
  const r = await peer.join(topic, params);
  assert.equal(r.status, status, `${JSON.stringify(params)} → ${JSON.stringify(r.response)}`);
  if (reason) assert.deepEqual(r.response, { reason });
  return r;
}

T("with auth.secret every bad token is refused unauthorized, a good one joins", async () => {
  assert.ok(authSrv.wsUrl.startsWith("wss://"), "the phoenix client speaks WSS");
  const p = await Peer.connect(authSrv, "auth");
  const topic = roomTopic("auth");
  const room = roomOf(topic);
  const claims = { room, name: "Mallory", exp: now() + 600 };
  const hs256 = { alg: "HS256", typ: "JWT" };
  const bad = {
    "no token": { displayName: "Mallory" },
    "no token, no name": {},
    "malformed token": { token: "not-a-jwt" },
    "token not a string": { token: 42, displayName: "x" },
    "bad signature": { token: forge(hs256, claims, { key: "another-secret-0123456789" }) },
    "alg none": { token: forge({ alg: "none", typ: "JWT" }, claims, { hash: null }) },
    "alg none, signed anyway": { token: forge({ alg: "none", typ: "JWT" }, claims) },
    "alg HS512": { token: forge({ alg: "HS512", typ: "JWT" }, claims, { hash: "sha512" }) },
    "no exp": { token: forge(hs256, { room, name: "Mallory" }) },
    expired: { token: forge(hs256, { ...claims, exp: now() - 5 }) },
    "nbf in the future": { token: forge(hs256, { ...claims, nbf: now() + 300 }) },
    "other room": { token: mint("some_other_room", "Mallory") },
    "type mismatch for creating": { token: mint(room, "Mallory", "--type", "broadcast"), roomType: "audio" },
  };
  for (const [why, params] of Object.entries(bad)) {
    const r = await p.join(topic, params);
    assert.equal(r.status, "error", `${why}: ${JSON.stringify(r.response)}`);
    // "no token, no name" is not valid join params at all.
    assert.deepEqual(r.response, { reason: why === "no token, no name" ? "invalid_params" : "unauthorized" }, why);
  }
  const m = await authSrv.metrics();
  assert.equal(m.get("vr_refused_total", { reason: "unauthorized" }), Object.keys(bad).length - 1);
  assert.equal(m.sum("vr_rooms"), 0, "no bad token made a room");

  // Good tokens: the room's own, and a '*' viewer token that asks to publish.
  const ok = await expectJoin(p, topic, { token: mint(room, "Alice", "--ttl", "60") }, "ok");
  assert.equal(ok.response.role, "publisher");
  assert.equal(ok.response.ownerId, ok.response.peerId);
  const v = await Peer.connect(authSrv, "viewer");
  const vr = await expectJoin(v, topic, { token: mint("*", "Victor", "--role", "viewer"), role: "publisher" }, "ok");
  assert.equal(vr.response.role, "viewer");
  // A type claim makes the room of that type.
  const bcTopic = roomTopic("bc");
  const bc = await expectJoin(v, bcTopic, { token: mint("*", "Bea", "--type", "broadcast") }, "ok");
  assert.equal(bc.response.roomType, "broadcast");
  await p.close();
  await v.close();
});

T("joins per second per IP: rate_limited beyond it, other addresses served, then again", async () => {
  const p = await Peer.connect(rateSrv, "flood");
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => p.join(roomTopic(`rate${i}`), { displayName: "flood" })),
  );
  const limited = results.filter((r) => r.status === "error");
  assert.ok(limited.length >= 4, `refused ${limited.length} of 8: ${JSON.stringify(results.map((r) => r.response))}`);
  for (const r of limited) assert.deepEqual(r.response, { reason: "rate_limited" });
  // Another address (127.0.0.2 is loopback too) joins meanwhile.
  const other = new Peer(rateSrv.socketUrl, "other", { localAddress: "127.0.0.2" });
  await other.open();
  await expectJoin(other, roomTopic("other"), { displayName: "other" }, "ok");
  // A second later the first address joins again.
  await sleep(1100);
  await expectJoin(p, roomTopic("later"), { displayName: "flood" }, "ok");
  const m = await rateSrv.metrics();
  assert.equal(m.get("vr_refused_total", { reason: "join_rate" }), limited.length);
  await p.close();
  await other.close();
});

T("rooms.max-rooms refuses a new room (unavailable), rooms.max-peers a third peer (room_full)", async () => {
  const peers = await Promise.all(["a", "b", "c", "d"].map((n) => Peer.connect(capSrv, n)));
  const [a, b, c, d] = peers;
  const roomA = roomTopic("capA"), roomB = roomTopic("capB"), roomC = roomTopic("capC");
  await expectJoin(a, roomA, { displayName: "a" }, "ok");
  await expectJoin(b, roomB, { displayName: "b" }, "ok");
  await expectJoin(c, roomC, { displayName: "c" }, "error", "unavailable");
  // The rooms there take members until max-peers.
  await expectJoin(c, roomA, { displayName: "c" }, "ok");
  await expectJoin(d, roomA, { displayName: "d" }, "error", "room_full");
  await expectJoin(d, roomB, { displayName: "d" }, "ok");
  // A room that ends frees its place.
  await a.close();
  await c.close();
  let joined = false;
  for (let i = 0; i < 40 && !joined; i++) {
    const e = await Peer.connect(capSrv, "e");
    joined = (await e.join(roomTopic("capD"), { displayName: "e" })).status === "ok";
    if (!joined) await sleep(100);
  }
  assert.ok(joined, "a new room once room A ended");
  const m = await capSrv.metrics();
  assert.ok(m.get("vr_refused_total", { reason: "max_rooms" }) >= 1);
  assert.equal(m.get("vr_refused_total", { reason: "max_peers" }), 1);
  await b.close();
  await d.close();
});
