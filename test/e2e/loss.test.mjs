// NACK/RTX under loss (issue 22): with 5% packet loss on one browser's path
// (nftables in a network namespace of the test's own, test/netem), video keeps at
// least 90% of its frame rate because lost packets are asked for again (NACK) and
// sent again (RTX): toward a subscriber by the server, toward the server by the
// publisher. Run by ctest under test/netem/in-netns.
// The publishers send one layer (&simulcast=0): these tests isolate the
// retransmission of one stream. Simulcast under loss and a capped path (the
// server moving a viewer to a smaller layer) is e2e: simulcast_adapt, and the
// figures with simulcast are bench/results/impaired-latest.md.
import assert from "node:assert/strict";
import { test } from "node:test";
import { guard, sleep } from "../integration/lib/server.mjs";
import { captureStats } from "../netem/netem.mjs";
import { delta, openPage, serverBrowserAndNetem, videoStats, waitPublishing } from "../netem/pages.mjs";
import { poll } from "./browser.mjs";

const WINDOW_MS = 15000;
const env = serverBrowserAndNetem();
const servers = env.servers;

// Waits until the `receivers` decode video, lets it settle, then reads each
// page's video stats over WINDOW_MS and returns the deltas.
async function measure(pages, receivers) {
  for (const p of receivers)
    await poll(() => videoStats(p.page), (s) => s.in.framesDecoded > 30, `${p.name} decoding video`, 30000);
  await sleep(2000);
  const before = await Promise.all(pages.map((p) => videoStats(p.page)));
  await sleep(WINDOW_MS);
  const after = await Promise.all(pages.map((p) => videoStats(p.page)));
  return pages.map((_, i) => delta(before[i], after[i]));
}

const fps = (d) => d.in.framesDecoded / d.seconds;

test("at 5% loss on a subscriber's path it keeps >= 90% of the clean subscriber's frame rate (NACK, RTX from the server)", guard(() => servers, async () => {
  const pub = await openPage(env.browser, env.srv.httpUrl, "e2e_loss_down", "Pub", { query: "&simulcast=0" });
  await waitPublishing(pub);
  const clean = await openPage(env.browser, env.srv.httpUrl, "e2e_loss_down", "Clean", { query: "&role=viewer" });
  const lossy = await openPage(env.browser, env.srv.httpUrl, "e2e_loss_down", "Lossy", { query: "&role=viewer", net: env.net, profile: { loss: 5 } });
  const [, dClean, dLossy] = await measure([pub, clean, lossy], [clean, lossy]);

  const c = await env.net.counters(lossy.link);
  assert.ok(c.relayed.down > 300, `the lossy subscriber's media went through its relay: ${JSON.stringify(c)}`);
  assert.ok(c.nftDrops.down > 10, `nftables dropped packets on its path: ${JSON.stringify(c)}`);
  assert.ok(fps(dClean) > 10, `the clean subscriber decodes (${fps(dClean).toFixed(1)} fps)`);
  assert.ok(fps(dLossy) >= 0.9 * fps(dClean),
    `lossy ${fps(dLossy).toFixed(1)} fps >= 90% of clean ${fps(dClean).toFixed(1)} fps (${JSON.stringify(dLossy.in)})`);
  assert.ok(dLossy.in.nackCount > 0, `the lossy subscriber sent NACKs: ${JSON.stringify(dLossy.in)}`);
  assert.ok(dLossy.in.retransmittedPacketsReceived > 0, `and got retransmissions: ${JSON.stringify(dLossy.in)}`);
  for (const p of [pub, clean, lossy]) await p.page.context().close();
}));

// A viewer's subscribe m-lines come in the order the publisher's tracks first
// send: here video (the publisher joins with its microphone muted), then audio
// in a second offer once it unmutes. webrtcbin names a new RTX SSRC for the
// video in that re-offer while its RTX sender keeps the first: without the
// server pinning them (sdp::pin_rtx_ssrcs) the browser dropped every
// retransmission and the lossy viewer got about 2 fps.
test("at 5% loss a viewer whose first m-line is video, re-offered, still gets the server's RTX", guard(() => servers, async () => {
  const ctx = await env.browser.newContext();
  await captureStats(ctx);
  const page = await ctx.newPage();
  await page.goto(`${env.srv.httpUrl}/room/e2e_loss_video_first?simulcast=0`);
  await page.fill("[data-testid=lobby-name]", "Pub");
  await page.check("[data-testid=join-muted-audio]");
  await page.click("[data-testid=join]");
  await page.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  const pub = { page, name: "Pub" };
  await waitPublishing(pub);
  const clean = await openPage(env.browser, env.srv.httpUrl, "e2e_loss_video_first", "Clean", { query: "&role=viewer" });
  const lossy = await openPage(env.browser, env.srv.httpUrl, "e2e_loss_video_first", "Lossy", { query: "&role=viewer", net: env.net, profile: { loss: 5 } });
  const kinds = (p) => p.page.evaluate(() => [...(window.__vrPcs[0]?.remoteDescription?.sdp ?? "").matchAll(/^m=(\w+)/gm)].map((m) => m[1]).join(","));
  for (const v of [clean, lossy]) await poll(() => kinds(v), (k) => k === "video", `${v.name}'s first offer: video only`, 15000);
  await page.click("[data-testid=mute-audio]");  // unmute: audio flows, a second offer adds it
  for (const v of [clean, lossy]) await poll(() => kinds(v), (k) => k === "video,audio", `${v.name}'s re-offer: video, then audio`, 15000);
  const [, dClean, dLossy] = await measure([pub, clean, lossy], [clean, lossy]);

  const c = await env.net.counters(lossy.link);
  // On failure: the RTX SSRC the viewer was told, and the RTP it was sent per "payloadType/ssrc".
  const fid = await lossy.page.evaluate(() => window.__vrPcs[0].remoteDescription.sdp.match(/a=ssrc-group:FID.*/g));
  const seen = `FID ${JSON.stringify(fid)}, sent ${JSON.stringify(c.relayed.rtpDown)}`;
  assert.ok(c.nftDrops.down > 10, `nftables dropped packets on the lossy viewer's path: ${JSON.stringify(c)}`);
  assert.ok(fps(dClean) > 10, `the clean viewer decodes (${fps(dClean).toFixed(1)} fps)`);
  assert.ok(fps(dLossy) >= 0.9 * fps(dClean),
    `lossy ${fps(dLossy).toFixed(1)} fps >= 90% of clean ${fps(dClean).toFixed(1)} fps (${JSON.stringify(dLossy.in)}; ${seen})`);
  assert.ok(dLossy.in.nackCount > 0, `the lossy viewer sent NACKs: ${JSON.stringify(dLossy.in)}`);
  assert.ok(dLossy.in.retransmittedPacketsReceived >= 0.5 * dLossy.in.nackCount,
    `and counted the retransmissions: ${JSON.stringify(dLossy.in)}; ${seen}`);
  for (const p of [pub, clean, lossy]) await p.page.context().close();
}));

test("at 5% loss on the publisher's path subscribers keep >= 90% of its frame rate (NACK from the server, RTX from the env.browser)", guard(() => servers, async () => {
  const pub = await openPage(env.browser, env.srv.httpUrl, "e2e_loss_up", "Pub", { query: "&simulcast=0", net: env.net, profile: { loss: 5 } });
  await waitPublishing(pub);
  const sub = await openPage(env.browser, env.srv.httpUrl, "e2e_loss_up", "Sub", { query: "&role=viewer" });
  const [dPub, dSub] = await measure([pub, sub], [sub]);

  const c = await env.net.counters(pub.link);
  assert.ok(c.relayed.up > 300 && c.nftDrops.up > 10, `the publisher's media went through its lossy relay: ${JSON.stringify(c)}`);
  const sent = dPub.out.framesEncodedMax / dPub.seconds;
  assert.ok(sent > 10, `the publisher encodes (${sent.toFixed(1)} fps)`);
  assert.ok(fps(dSub) >= 0.9 * sent, `subscriber ${fps(dSub).toFixed(1)} fps >= 90% of the ${sent.toFixed(1)} fps sent (${JSON.stringify(dSub.in)})`);
  assert.ok(dPub.out.nackCount > 0, `the server sent the publisher NACKs: ${JSON.stringify(dPub.out)}`);
  assert.ok(dPub.out.retransmittedPacketsSent > 0, `and it retransmitted: ${JSON.stringify(dPub.out)}`);
  for (const p of [pub, sub]) await p.page.context().close();
}));
