// Voice activity: Chromium's fake microphone plays a file of tone bursts and
// silences; Chromium writes each packet's audio level (RFC 6464) once the
// server's answer accepts the extension, and the other page gets
// vadNotification speech / silence for the speaker's audio track.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { guard, startServer } from "../integration/lib/server.mjs";
import { peerId, poll, received, waitStats } from "./browser.mjs";
import { launchWithToneMic } from "./tone_mic.mjs";

let srv, browser, tone;
const servers = [];

before(async () => {
  srv = await startServer();
  servers.push(srv);
  tone = await launchWithToneMic(2);
  browser = tone.browser;
});

after(async () => {
  await tone?.close();
  const { code } = await srv.stop();
  assert.equal(code, 0, "the server exits cleanly");
});

// Opens the room page with every media event the page receives recorded
// (decoded from the channel's text frames) in `events`.
async function openRecorded(room, name) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const events = [];
  page.on("websocket", (ws) =>
    ws.on("framereceived", ({ payload }) => {
      if (typeof payload !== "string") return;
      let frame;
      try {
        frame = JSON.parse(payload);
      } catch {
        return;
      }
      if (Array.isArray(frame) && frame[3] === "mediaEvent" && typeof frame[4]?.data === "string")
        events.push({ at: Date.now(), ...JSON.parse(frame[4].data) });
    }));
  await page.goto(`${srv.httpUrl}/room/${room}?display_name=${name}`);
  await page.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  return { page, events };
}

test("a speaking page's audio track is notified as speech, then silence, to the other page", guard(() => servers, async () => {
  const a = await openRecorded("e2e_vad", "Ann");
  const b = await openRecorded("e2e_vad", "Bob");
  const ia = await peerId(a.page);

  // Bob hears Ann: her audio reaches his page.
  await waitStats(b.page, (s) => received(s, ia, "audio", "packetsReceived") > 20, "audio from Ann");
  // Ann's tracks reach Bob in tracksAdded, or in peerAccepted's peersInRoom
  // when Ann's offer was answered before Bob joined.
  const annTracks = (e) => e.type === "tracksAdded" && e.data.peerId === ia ? e.data.tracks
    : e.type === "peerAccepted" ? e.data.peersInRoom.find((p) => p.id === ia)?.tracks : undefined;
  const audioOf = (tracks) => Object.entries(tracks ?? {}).find(([, t]) => t.kind === "audio")?.[0];
  const track = await poll(async () => b.events.map((e) => audioOf(annTracks(e))).find((id) => id),
    (id) => id !== undefined, "Ann's audio track announced to Bob");

  const vad = () => b.events.filter((e) => e.type === "vadNotification" && e.data.trackId === track)
    .map((e) => e.data.status);
  // A burst is speech, the silence after it silence: both reach Bob, alternating.
  const seen = await poll(async () => vad(), (v) => v.includes("speech") && v.lastIndexOf("silence") > v.indexOf("speech"),
    "speech then silence of Ann's track", 30000);
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `changes only: ${seen}`);

  // Ann's own page hears of her voice too.
  assert.ok(a.events.some((e) => e.type === "vadNotification" && e.data.trackId === track), "the speaker is told too");

  const m = await srv.metrics();
  assert.ok((m.get("vr_vad_notifications_total") ?? 0) >= 2, "notifications counted in /metrics");
  for (const p of [a.page, b.page]) await p.context().close();
}));
