// Recording (recordStart / recordStop): only the owner of a group or audio
// room may start or stop it; every member, the sender too, gets
// recordingChanged {active, by}; a late joiner learns it from its join reply;
// the server writes a recording directory with a manifest under recording.dir.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, guard, sleep } from "./lib/server.mjs";
import { Peer, roomTopic, closeAll } from "./lib/client.mjs";

let srv; // recording.dir = a temp dir
let srvOff; // recording.enabled = false
const recDir = mkdtempSync(path.join(tmpdir(), "vr-recording-it-"));
const QUIET_MS = 400;

before(async () => {
  srv = await startServer({ "recording.dir": recDir });
  srvOff = await startServer({ "recording.enabled": false, "recording.dir": recDir });
});

afterEach(async () => {
  await closeAll();
});

after(async () => {
  await closeAll();
  for (const s of [srv, srvOff]) if (s && !s.exited) await s.stop(2000);
  rmSync(recDir, { recursive: true, force: true });
});

const T = (name, fn) => test(name, guard(() => [srv, srvOff], fn));

async function enter(server, topic, name, extra = {}) {
  const peer = await Peer.connect(server, name);
  const r = await peer.joinOk(topic, { displayName: name, ...extra });
  return { peer, ch: r.channel, id: r.response.peerId, reply: r.response, name };
}

const req = (p, event) => p.peer.request(p.ch, event, {});
const forbidden = { status: "error", response: { reason: "forbidden" } };
const ok = { status: "ok", response: {} };

// The manifest of the recording of `room` (its directory is ROOM-UTCTIME), once it holds `pred`.
async function manifestOf(room, pred, timeout = 5000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const dirs = existsSync(recDir) ? readdirSync(recDir).filter((d) => d.startsWith(room + "-")) : [];
    for (const d of dirs) {
      const file = path.join(recDir, d, "manifest.json");
      if (!existsSync(file)) continue;
      const m = JSON.parse(readFileSync(file, "utf8"));
      if (pred(m)) return { dir: d, manifest: m };
    }
    if (Date.now() > deadline) throw new Error(`no manifest for ${room} matching ${pred}`);
    await sleep(50);
  }
}

T("only the owner starts and stops recording; everyone hears recordingChanged; late joiners see it", async () => {
  const topic = roomTopic("rec");
  const room = topic.slice("room:".length);
  const a = await enter(srv, topic, "Owner");
  const b = await enter(srv, topic, "Bee");
  assert.equal(a.reply.ownerId, a.id);
  assert.deepEqual(a.reply.recording, { active: false, by: null });

  // Not the owner: forbidden, nothing pushed.
  let marks = [a, b].map((p) => p.peer.log.mark());
  assert.deepEqual(await req(b, "recordStart"), forbidden);
  for (const [i, p] of [a, b].entries())
    assert.deepEqual(await p.peer.eventsWithin(topic, "recordingChanged", { since: marks[i], ms: i ? QUIET_MS : 0 }), []);

  // The owner starts: everyone, the owner too, is told who.
  marks = [a, b].map((p) => p.peer.log.mark());
  assert.deepEqual(await req(a, "recordStart"), ok);
  for (const [i, p] of [a, b].entries()) {
    const f = await p.peer.waitEvent(topic, "recordingChanged", { since: marks[i] });
    assert.deepEqual(f[4], { active: true, by: a.id }, `${p.name} gets recordingChanged`);
  }
  // The server started a recording of this room: its manifest names the room.
  const started = await manifestOf(room, (m) => m.room === room && m.stoppedAt === null);
  assert.match(started.manifest.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // A late joiner learns it from its join reply.
  const c = await enter(srv, topic, "Cee");
  assert.deepEqual(c.reply.recording, { active: true, by: a.id });

  // Starting twice changes nothing and says nothing.
  marks = [a, b, c].map((p) => p.peer.log.mark());
  assert.deepEqual(await req(a, "recordStart"), ok);
  assert.deepEqual(await b.peer.eventsWithin(topic, "recordingChanged", { since: marks[1], ms: QUIET_MS }), []);

  // Others cannot stop it either.
  assert.deepEqual(await req(c, "recordStop"), forbidden);

  // The owner stops: everyone is told; the manifest is closed.
  marks = [a, b, c].map((p) => p.peer.log.mark());
  assert.deepEqual(await req(a, "recordStop"), ok);
  for (const [i, p] of [a, b, c].entries()) {
    const f = await p.peer.waitEvent(topic, "recordingChanged", { since: marks[i] });
    assert.deepEqual(f[4], { active: false, by: a.id }, `${p.name} gets recordingChanged`);
  }
  const stopped = await manifestOf(room, (m) => typeof m.stoppedAt === "string");
  assert.equal(stopped.dir, started.dir);
  assert.deepEqual(stopped.manifest.tracks, []);

  const d = await enter(srv, topic, "Dee");
  assert.deepEqual(d.reply.recording, { active: false, by: null });
  assert.deepEqual(await req(a, "recordStop"), ok, "stopping twice is fine too");
});

T("broadcast and call rooms cannot be recorded (invalid_params)", async () => {
  for (const roomType of ["broadcast", "call"]) {
    const topic = roomTopic(`rec-${roomType}`);
    const a = await enter(srv, topic, "Owner", { roomType });
    assert.deepEqual(await req(a, "recordStart"), { status: "error", response: { reason: "invalid_params" } }, roomType);
  }
});

T("an audio room's owner may record it", async () => {
  const topic = roomTopic("rec-audio");
  const a = await enter(srv, topic, "Owner", { roomType: "audio" });
  const mark = a.peer.log.mark();
  assert.deepEqual(await req(a, "recordStart"), ok);
  assert.deepEqual((await a.peer.waitEvent(topic, "recordingChanged", { since: mark }))[4], { active: true, by: a.id });
});

T("with recording.enabled=false recordStart is unavailable", async () => {
  const topic = roomTopic("rec-off");
  const a = await enter(srvOff, topic, "Owner");
  const mark = a.peer.log.mark();
  assert.deepEqual(await req(a, "recordStart"), { status: "error", response: { reason: "unavailable" } });
  assert.deepEqual(await a.peer.eventsWithin(topic, "recordingChanged", { since: mark, ms: QUIET_MS }), []);
});
