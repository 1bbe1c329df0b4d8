// Simulcast (issue 22, README "Simulcast"): a group-room camera is published as
// three rid encodings; each subscriber decodes the one layer the server forwards
// to it: h by default, l with &video=low, and another one on
// setTargetTrackVariant mid-stream (switched at a keyframe, announced by
// trackVariantSwitched, without freezing the picture).
import assert from "node:assert/strict";
import { test } from "node:test";
import { guard } from "../integration/lib/server.mjs";
import { openRoom, peerId, poll, sentVideo, stats, waitStats, serverAndBrowser } from "./browser.mjs";

const env = serverAndBrowser({ "rooms.simulcast": "true" });

// The one remote video track of `from` this page receives: its stats.
async function video(page, from) {
  const s = await stats(page);
  return s.inbound.find((t) => t.peerId === from && t.kind === "video") ?? { framesDecoded: 0 };
}

const variants = (page) => page.evaluate(() => window.videoroom.variants());

test("subscribers decode the layer they ask for and switch mid-stream", guard(() => env.servers, async () => {
  const pub = await openRoom(env.browser, env.srv.httpUrl, "e2e_simulcast", "Pub", "&simulcast=1");
  const sub = await openRoom(env.browser, env.srv.httpUrl, "e2e_simulcast", "Sub");
  const low = await openRoom(env.browser, env.srv.httpUrl, "e2e_simulcast", "Low", "&video=low");
  const id = await peerId(pub);
  const read = (page) => () => video(page, id);
  // With the width of the publisher's h layer now (sentH): CPU load shrinks it.
  const readAndH = (page) => async () => ({ ...(await video(page, id)), sentH: (await sentVideo(pub)).h });
  const full = (v) => v.sentH > 0 && v.frameWidth === v.sentH;

  // The default subscriber gets the full picture (the fake camera is 640x480,
  // the h layer as wide unless the publisher's CPU is short).
  const top = await poll(readAndH(sub), (v) => v.framesDecoded > 30 && full(v), "frames as wide as h", 40000);
  await poll(read(low), (v) => v.framesDecoded > 30 && v.frameWidth > 0 && v.frameWidth <= 320, "frames at most 320 wide (low)", 40000);
  // Chrome really sends several layers (the answer accepted simulcast).
  const out = (await stats(pub)).outbound.filter((o) => o.kind === "video" && o.packetsSent > 0);
  assert.ok(out.length >= 2, `several video encodings sent: ${JSON.stringify(out)}`);
  assert.equal((await variants(sub))[top.trackId], "h", "the default subscriber was told it gets h");
  assert.notEqual((await variants(low))[top.trackId], "h", "the low subscriber was told it gets a lower layer");
  // The tiles say so: no badge on the default subscriber's, "SD"/"LD" on the low one's.
  const badge = (page) => page.evaluate((pid) => {
    const tile = document.querySelector(`.tile[data-peer-id="${pid}"]`);
    const b = tile?.querySelector(".layer");
    return { layer: tile?.dataset.layer, text: b?.textContent, shown: !!b && !b.hidden && b.offsetWidth > 0,
      label: tile?.querySelector(".quality")?.getAttribute("aria-label") };
  }, id);
  await poll(() => badge(sub), (b) => b.layer === "h" && !b.shown && /high quality layer/.test(b.label), "no layer badge on the full-quality tile");
  await poll(() => badge(low), (b) => ["m", "l"].includes(b.layer) && b.shown && ["SD", "LD"].includes(b.text) && /(medium|low) quality layer/.test(b.label),
    "an SD/LD badge on the low subscriber's tile");

  // h → l → h on one subscriber: the picture changes size and never stops.
  const trackId = top.trackId;
  for (const [variant, fits] of [["l", (v) => v.frameWidth <= 320 && v.frameWidth < v.sentH], ["h", full]]) {
    const before = await video(sub, id);
    await sub.evaluate(([t, v]) => window.videoroom.setTargetVariant(t, v), [trackId, variant]);
    const after = await poll(readAndH(sub), (v) => fits(v) && v.framesDecoded > before.framesDecoded + 30,
      `frames of the new layer after asking for ${variant}`, 20000);
    assert.ok(after.framesDecoded > before.framesDecoded, "decoding went on");
    const told = await poll(() => variants(sub), (m) => variant === "h" ? m[trackId] === "h" : m[trackId] !== "h",
      `trackVariantSwitched for ${variant}`, 5000);
    assert.ok(told[trackId], "trackVariantSwitched names the layer");
  }
  // Still decoding after the last switch (no freeze).
  const last = await video(sub, id);
  await waitStats(sub, (s) => s.inbound.some((t) => t.trackId === trackId && t.framesDecoded > last.framesDecoded + 15),
    "frames keep coming after the switches");
  assert.ok((await sub.evaluate(() => window.videoroom.variantSwitches)) >= 3, "a trackVariantSwitched per switch");
  for (const p of [pub, sub, low]) await p.context().close();
}));
