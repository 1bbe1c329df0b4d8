// Recording with real browsers: a node client joins first (the owner), two
// Chromium room pages publish camera and microphone, the owner records about
// 4 s; every file the manifest lists (video and audio of both pages) is
// decoded by ffprobe, lasts about as long as it was recorded, and a simulcast
// camera is written from its widest layer.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { guard, sleep, startServer } from "../integration/lib/server.mjs";
import { Peer, closeAll } from "../integration/lib/client.mjs";
import { launch, openRoom, peerId, poll, received, sentVideo, waitStats } from "./browser.mjs";
import { manifest, probe, widestFrame } from "./recording_files.mjs";

let srv, browser;
const servers = [];
const recDir = mkdtempSync(path.join(tmpdir(), "vr-recording-e2e-"));

before(async () => {
  srv = await startServer({ "recording.dir": recDir });
  servers.push(srv);
  browser = await launch();
});

after(async () => {
  await closeAll();
  await browser?.close();
  const { code } = await srv.stop();
  rmSync(recDir, { recursive: true, force: true });
  assert.equal(code, 0, "the server exits cleanly");
});

const roomManifest = () => manifest(recDir, "e2e_rec");

test("the owner records two browsers: every track's file decodes with the recorded duration", guard(() => servers, async () => {
  const owner = await Peer.connect(srv, "owner");
  const joined = await owner.joinOk("room:e2e_rec", { displayName: "Owner" });
  assert.equal(joined.response.ownerId, joined.response.peerId, "the node client owns the room");

  const pages = [await openRoom(browser, srv.httpUrl, "e2e_rec", "Ann"), await openRoom(browser, srv.httpUrl, "e2e_rec", "Bob")];
  const ids = await Promise.all(pages.map(peerId));
  // Media flows through the server both ways before recording starts.
  await waitStats(pages[0], (s) => received(s, ids[1], "video", "framesDecoded") > 10, "Ann decoding Bob");
  await waitStats(pages[1], (s) => received(s, ids[0], "video", "framesDecoded") > 10, "Bob decoding Ann");

  const mark = owner.log.mark();
  assert.equal((await owner.request(joined.channel, "recordStart", {})).status, "ok");
  const started = Date.now();
  assert.deepEqual((await owner.waitEvent("room:e2e_rec", "recordingChanged", { since: mark }))[4], { active: true, by: joined.response.peerId });
  // The pages' tracks are being written: all four have their first frame.
  await poll(roomManifest, (m) => m?.tracks.length === 4 && m.tracks.every((t) => t.startOffsetMs !== null), "four tracks started", 10000);
  await poll(() => srv.metrics(), (x) => x.get("vr_recording_tracks") === 4, "vr_recording_tracks 4", 5000);
  await sleep(Math.max(0, 4000 - (Date.now() - started)));
  const sent = await Promise.all(pages.map(sentVideo));
  assert.equal((await owner.request(joined.channel, "recordStop", {})).status, "ok");
  const recorded = (Date.now() - started) / 1000;

  const m = await poll(roomManifest, (x) => typeof x?.stoppedAt === "string", "the manifest closed", 10000);
  await poll(() => srv.metrics(), (x) => x.get("vr_recording_tracks") === 0, "vr_recording_tracks 0", 5000);
  assert.deepEqual(m.peers.map((p) => [p.id, p.displayName]).sort(), [[ids[0], "Ann"], [ids[1], "Bob"]].sort());
  for (const id of ids)
    assert.deepEqual(m.tracks.filter((t) => t.peerId === id).map((t) => t.kind).sort(), ["audio", "video"], `tracks of ${id}`);
  for (const t of m.tracks) {
    const file = path.join(m.dir, t.file);
    // Finished files have a duration (the muxer writes it on EOS).
    const p = await poll(() => probe(file), (x) => x.duration > 0, `${t.file} finished`, 10000);
    const expected = recorded - t.startOffsetMs / 1000;
    assert.ok(Math.abs(p.duration - expected) <= 1.0, `${t.file}: ${p.duration} s, recorded ${expected} s`);
    if (t.kind === "video") {
      assert.equal(p.codec, t.codec === "H264" ? "h264" : t.codec.toLowerCase(), t.file);
      assert.ok(p.frames >= 2 * 10, `${t.file}: ${p.frames} video frames decoded`);
      const s = sent[ids.indexOf(t.peerId)];
      assert.ok(s.h > s.m, `${t.peerId} publishes simulcast: ${JSON.stringify(s)}`);
      const w = widestFrame(file);
      assert.ok(w > s.m, `${t.file}: ${w} wide, from the top layer (${JSON.stringify(s)})`);
    } else {
      assert.equal(p.codec, "opus", t.file);
      assert.ok(p.frames >= 2 * 50, `${t.file}: ${p.frames} audio frames decoded`);
    }
  }
  for (const p of pages) await p.context().close();
}));
