// Simulcast adapts by itself (issue 22, README "Simulcast"): a subscriber
// whose path is capped at 300 kbit/s (test/netem relay) is moved to a lower
// layer by the server, from the loss its receiver reports show, and keeps
// decoding while an uncapped one keeps the full picture; a layer the publisher
// stops sending is announced disabled (and enabled when it comes back) while
// its subscribers move to another; the publisher's congestion control gets
// feedback from the server (its available bitrate grows). Run by ctest under
// test/netem/in-netns.
import assert from "node:assert/strict";
import { test } from "node:test";
import { guard } from "../integration/lib/server.mjs";
import { openPage, serverBrowserAndNetem, waitPublishing } from "../netem/pages.mjs";
import { peerId, poll, sentVideo, stats } from "./browser.mjs";

const env = serverBrowserAndNetem({ "rooms.simulcast": "true" });
const servers = env.servers;

// The one remote video track of `from` this page receives: its stats.
async function video(page, from) {
  const s = await stats(page);
  return s.inbound.find((t) => t.peerId === from && t.kind === "video") ?? { framesDecoded: 0 };
}
// The same, with the width the publisher's h layer has now (sentH): a layer
// "at full size" is as wide as the publisher sends it, which CPU load shrinks.
const videoAndH = (page, publisher, from) => async () => {
  const [v, sent] = await Promise.all([video(page, from), sentVideo(publisher)]);
  return { ...v, sentH: sent.h };
};
const full = (v) => v.sentH > 0 && v.frameWidth === v.sentH;
const variants = (page) => page.evaluate(() => window.videoroom.variants());
const notices = (page) => page.evaluate(() => window.videoroom.variantNotices());

// The publisher's send-side bandwidth estimate (selected candidate pair).
const availableOutgoing = (page) =>
  page.evaluate(async () => {
    let best = 0;
    for (const pc of window.__vrPcs ?? []) {
      if (pc.connectionState !== "connected") continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "candidate-pair" && s.nominated && s.availableOutgoingBitrate)
          best = Math.max(best, s.availableOutgoingBitrate);
      });
    }
    return best;
  });

// Sets `active` of the publisher's encoding with that rid.
const setActive = (page, rid, active) =>
  page.evaluate(async ([rid, active]) => {
    for (const pc of window.__vrPcs ?? [])
      for (const sender of pc.getSenders()) {
        const p = sender.getParameters();
        const e = p.encodings?.find((x) => x.rid === rid);
        if (!e) continue;
        e.active = active;
        await sender.setParameters(p);
        return true;
      }
    return false;
  }, [rid, active]);

test("a subscriber capped at 300 kbit/s is switched down by itself; the uncapped keeps h; the publisher's estimate grows", guard(() => servers, async () => {
  const room = "e2e_simulcast_cap";
  const pub = await openPage(env.browser, env.srv.httpUrl, room, "Pub", { query: "&simulcast=1" });
  // Chrome's estimate as soon as it has one (its start value, 300 kbit/s).
  const start = await poll(() => availableOutgoing(pub.page), (b) => b > 0, "the publisher's availableOutgoingBitrate", 15000);
  await waitPublishing(pub);
  const pid = await peerId(pub.page);
  const clean = await openPage(env.browser, env.srv.httpUrl, room, "Clean", { query: "&role=viewer" });
  const capped = await openPage(env.browser, env.srv.httpUrl, room, "Capped", {
    query: "&role=viewer", net: env.net, profile: { down: { kbps: 300, queueMs: 250 } },
  });

  const first = await poll(videoAndH(clean.page, pub.page, pid), (v) => v.framesDecoded > 30 && full(v), "the clean viewer decodes h-wide frames", 40000);
  const tid = first.trackId;
  // The server moves the capped viewer down without being asked.
  const told = await poll(() => variants(capped.page), (m) => m[tid] === "m" || m[tid] === "l", "trackVariantSwitched to a lower layer for the capped viewer", 40000);
  assert.ok(told[tid] !== "h");
  const low = await poll(() => video(capped.page, pid), (v) => v.framesDecoded > 30 && v.frameWidth > 0 && v.frameWidth <= 320, "the capped viewer decodes frames at most 320 wide", 30000);
  await poll(() => video(capped.page, pid), (v) => v.framesDecoded > low.framesDecoded + 30 && v.frameWidth <= 320, "and keeps decoding them", 20000);
  const c = await env.net.counters(capped.link);
  assert.ok(c.relayed.down > 300, `the capped viewer's media went through its relay: ${JSON.stringify(c)}`);
  // Meanwhile the clean viewer still gets the full picture.
  const stillFull = await video(clean.page, pid);
  await poll(videoAndH(clean.page, pub.page, pid), (v) => full(v) && v.framesDecoded > stillFull.framesDecoded + 30, "the clean viewer keeps h-wide frames", 20000);
  assert.equal((await variants(clean.page))[tid], "h", "the clean viewer was never moved off h");

  // Publisher congestion feedback: the answer accepted transport-wide sequence
  // numbers (the server answers them with transport-cc feedback), and Chrome's
  // send-side estimate exists and grows above where it started (it cannot
  // without feedback; with transport-cc negotiated but no feedback it falls).
  const answers = await pub.page.evaluate(() => window.__vrPcs.map((pc) => pc.remoteDescription?.sdp ?? ""));
  assert.ok(answers.some((s) => /a=extmap:\d+ http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01/.test(s)),
    "the publish answer accepts the transport-wide-cc extension");
  // The answer starts Chrome at 1 Mbit/s (x-google-start-bitrate): with the
  // feedback the estimate holds there or grows; without it, it fell to ~70
  // kbit/s. (Chrome's own start is 300 kbit/s.)
  await poll(() => availableOutgoing(pub.page), (b) => b >= 1000000, `the publisher's availableOutgoingBitrate holds at 1 Mbit/s or more (it started at ${start})`, 30000);
  for (const p of [pub, clean, capped]) await p.page.context().close();
}));

test("a layer the publisher stops is disabled for its subscribers, who move to another, and enabled when it comes back", guard(() => servers, async () => {
  const room = "e2e_simulcast_idle";
  const pub = await openPage(env.browser, env.srv.httpUrl, room, "Pub", { query: "&simulcast=1" });
  await waitPublishing(pub);
  const pid = await peerId(pub.page);
  const sub = await openPage(env.browser, env.srv.httpUrl, room, "Sub", { query: "&role=viewer" });
  const first = await poll(videoAndH(sub.page, pub.page, pid), (v) => v.framesDecoded > 30 && full(v), "the viewer decodes h-wide frames", 40000);
  const tid = first.trackId;

  assert.ok(await setActive(pub.page, "h", false), "the publisher has an h encoding");
  const off = await poll(() => notices(sub.page), (n) => n.some((x) => x.trackId === tid && x.variant === "h" && !x.enabled), "trackVariantDisabled for h", 20000);
  assert.ok(!off.some((x) => x.enabled), "nothing enabled before");
  const moved = await poll(() => video(sub.page, pid), (v) => v.frameWidth > 0 && v.frameWidth <= 320 && v.framesDecoded > first.framesDecoded + 30, "frames of a lower layer after h stopped", 20000);
  await poll(() => video(sub.page, pid), (v) => v.framesDecoded > moved.framesDecoded + 30, "and they keep coming", 20000);
  assert.notEqual((await variants(sub.page))[tid], "h", "trackVariantSwitched named the lower layer");

  assert.ok(await setActive(pub.page, "h", true));
  await poll(() => notices(sub.page), (n) => n.some((x) => x.trackId === tid && x.variant === "h" && x.enabled), "trackVariantEnabled for h", 20000);
  await poll(videoAndH(sub.page, pub.page, pid), full, "back to h-wide frames", 20000);
  for (const p of [pub, sub]) await p.page.context().close();
}));
