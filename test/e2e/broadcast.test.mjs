// A broadcast in real browsers: one page publishes its fake camera, a viewer
// page plays the LL-HLS stream through hls.js (no WebRTC from the server) and
// its video's currentTime advances with decoded frames.
import assert from "node:assert/strict";
import { test } from "node:test";
import { guard } from "../integration/lib/server.mjs";
import { openRoom, poll, stats, serverAndBrowser } from "./browser.mjs";

const env = serverAndBrowser();

// The furthest-played video element of the page (the broadcaster's tile).
const playback = (page) => page.evaluate(() => {
  let best = { currentTime: 0, frames: 0 };
  for (const v of document.querySelectorAll("video")) {
    const frames = v.getVideoPlaybackQuality().totalVideoFrames;
    if (v.currentTime > best.currentTime) best = { currentTime: v.currentTime, frames };
  }
  const date = globalThis.videoroomHls?.playingDate;
  return { ...best, latencyMs: date ? Date.now() - date.getTime() : null };
});

const until = (page, pred, what, timeoutMs) => poll(() => playback(page), pred, what, timeoutMs);

test("a viewer plays the broadcast over LL-HLS with hls.js; the end is shown", guard(() => env.servers, async () => {
  const pub = await openRoom(env.browser, env.srv.httpUrl, "e2e_live", "Caster", "&type=broadcast");
  const viewer = await openRoom(env.browser, env.srv.httpUrl, "e2e_live", "Watcher", "&role=viewer");
  assert.equal(await viewer.evaluate(() => window.videoroom.role), "viewer");

  const first = await until(viewer, (p) => p.currentTime > 0.5 && p.frames > 10, "HLS playback", 60000);
  const later = await until(viewer, (p) => p.currentTime > first.currentTime + 2 && p.frames > first.frames + 30,
    "playback advancing", 30000);
  assert.ok(later.frames > first.frames);

  // Viewers hold no WebRTC media from the server.
  const s = await stats(viewer);
  assert.equal(s.inbound.length, 0, `no inbound RTP at the viewer: ${JSON.stringify(s.inbound)}`);

  // Publisher-to-viewer latency from EXT-X-PROGRAM-DATE-TIME against this clock.
  const samples = [];
  for (let i = 0; i < 20; i++) {
    const p = await playback(viewer);
    if (p.latencyMs !== null) samples.push(p.latencyMs);
    await new Promise((r) => setTimeout(r, 500));
  }
  samples.sort((a, b) => a - b);
  console.log(`hls latency ms: median ${samples[Math.floor(samples.length / 2)]} worst ${samples.at(-1)} (${samples.length} samples)`);
  assert.ok(samples.length > 10, "hls.js reports the playing date");

  // The publisher leaves: the viewer says the broadcast ended.
  await pub.context().close();
  await viewer.waitForFunction(() => document.body.innerText.includes("ended"), null, { timeout: 15000 });
  await viewer.context().close();
}));
