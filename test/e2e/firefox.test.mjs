// Interop (issue 22): a Firefox page and a Chromium page in one group room decode
// each other's video and receive each other's audio through the server, without
// and with simulcast (both publishing three rid layers). Firefox is Debian's
// firefox-esr, driven headless over WebDriver BiDi by puppeteer-core.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { guard, startServer } from "../integration/lib/server.mjs";
import { Peer, closeAll } from "../integration/lib/client.mjs";
import { launch, openRoom, peerId, poll, received, sentVideo, stats, waitStats } from "./browser.mjs";
import { manifest, widestFrame } from "./recording_files.mjs";

const FIREFOX = "/usr/bin/firefox-esr";

// Fake camera and microphone without a prompt; host candidates on loopback with
// their real address (no mDNS name), as the Chromium flags in browser.mjs do.
const FIREFOX_PREFS = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  "media.autoplay.default": 0, // allowed: the remote <video> plays without a click
};

let srv, srvSimulcast, chromium, firefox;
const servers = [];
const recDir = mkdtempSync(path.join(tmpdir(), "vr-firefox-e2e-"));

async function launchFirefox() {
  assert.ok(existsSync(FIREFOX), "firefox-esr is not installed (Debian package firefox-esr)");
  const { default: puppeteer } = await import("puppeteer-core");
  return puppeteer.launch({ browser: "firefox", executablePath: FIREFOX, headless: true, extraPrefsFirefox: FIREFOX_PREFS });
}

before(async () => {
  [srv, srvSimulcast] = await Promise.all([startServer(), startServer({ "rooms.simulcast": "true", "recording.dir": recDir })]);
  servers.push(srv, srvSimulcast);
  [chromium, firefox] = await Promise.all([launch(), launchFirefox()]);
});

after(async () => {
  await closeAll();
  await firefox?.close();
  await chromium?.close();
  for (const s of [srv, srvSimulcast]) {
    const { code } = await s.stop();
    assert.equal(code, 0, "the server exits cleanly");
  }
  rmSync(recDir, { recursive: true, force: true });
});

// The remote <video> of `from` on a page: its size and play position.
const remoteVideo = (from) => {
  const v = document.querySelector(`[data-peer-id="${from}"] video[data-remote]`);
  return v ? { width: v.videoWidth, time: v.currentTime } : null;
};

// Opens `room` in Firefox (`query` appended to the URL) and in Chromium; checks
// that each decodes the other's video (at least `minFrames` in 3 s, after the
// start) and receives its audio, and that each page's remote <video> plays.
// Returns both pages and peer ids.
async function decodeEachOther(server, room, query, minFrames) {
  // puppeteer's Page has evaluate/waitForFunction like Playwright's; the helpers
  // of browser.mjs that only evaluate work on both.
  const fox = await firefox.newPage();
  await fox.goto(`${server.httpUrl}/room/${room}?display_name=Fox${query}`);
  await fox.waitForFunction(() => window.videoroom?.state === "joined", { timeout: 15000 });
  const chrome = await openRoom(chromium, server.httpUrl, room, "Chris", query);
  const [idFox, idChrome] = await Promise.all([peerId(fox), peerId(chrome)]);
  assert.notEqual(idFox, idChrome);

  // Video decoded and audio received on each side...
  const both = (s, from) => received(s, from, "video", "framesDecoded") > 20 && received(s, from, "audio", "bytesReceived") > 2000;
  const a0 = await waitStats(fox, (s) => both(s, idChrome), "Firefox decoding Chromium", 30000);
  const b0 = await waitStats(chrome, (s) => both(s, idFox), "Chromium decoding Firefox", 30000);
  // ...and still flowing a few seconds later (not a burst at start-up).
  await new Promise((r) => setTimeout(r, 3000));
  const [a1, b1] = await Promise.all([stats(fox), stats(chrome)]);
  for (const [who, s0, s1, from] of [["Firefox", a0, a1, idChrome], ["Chromium", b0, b1, idFox]]) {
    const frames = received(s1, from, "video", "framesDecoded") - received(s0, from, "video", "framesDecoded");
    const bytes = received(s1, from, "audio", "bytesReceived") - received(s0, from, "audio", "bytesReceived");
    assert.ok(frames >= minFrames, `${who} decoded ${frames} frames in 3 s (want ${minFrames})`);
    assert.ok(bytes > 3000, `${who} received ${bytes} audio bytes in 3 s`);
  }

  // What is decoded is shown: each page's remote <video> has a size and plays.
  for (const [who, page, from] of [["Firefox", fox, idChrome], ["Chromium", chrome, idFox]]) {
    const v0 = await poll(() => page.evaluate(remoteVideo, from), (v) => v?.width > 0, `${who}'s <video> of the other`, 10000);
    await poll(() => page.evaluate(remoteVideo, from), (v) => v.time > v0.time + 0.5, `${who}'s <video> playing`, 10000);
  }
  return { fox, chrome, idFox, idChrome };
}

test("a Firefox page and a Chromium page decode each other's video and hear each other", guard(() => servers, async () => {
  const { fox, chrome } = await decodeEachOther(srv, "e2e_firefox", "", 16);
  await fox.close();
  await chrome.context().close();
}));

// The video tracks `from` a page receives, as its stats list them.
const videoFrom = async (page, from) => (await stats(page)).inbound.find((t) => t.peerId === from && t.kind === "video");

// What `page` decodes of `from`'s camera, and what `publisher` (the page of
// `from`) sends now (sentVideo).
async function receivedAndSent(page, from, publisher) {
  const [got, sent] = await Promise.all([videoFrom(page, from), sentVideo(publisher)]);
  return { got, sent };
}

test("with simulcast, Firefox and Chromium publish layers and decode each other at full rate", guard(() => servers, async () => {
  // A node client owns the room and records it from before the pages publish:
  // each camera is to be written from its top layer, Firefox's too, which
  // starts after its other layers.
  const owner = await Peer.connect(srvSimulcast, "owner");
  const joined = await owner.joinOk("room:e2e_firefox_simulcast", { displayName: "Owner" });
  assert.equal((await owner.request(joined.channel, "recordStart", {})).status, "ok");
  // At least 10 fps each way, measured over 3 s.
  const { fox, chrome, idFox, idChrome } = await decodeEachOther(srvSimulcast, "e2e_firefox_simulcast", "&simulcast=1", 30);
  // Both really send several layers (each answer accepted simulcast with rids
  // the server reads: Firefox's only when its rid extension is answered recvonly).
  for (const [who, page] of [["Firefox", fox], ["Chromium", chrome]]) {
    const out = (await stats(page)).outbound.filter((o) => o.kind === "video" && o.packetsSent > 0);
    assert.ok(out.length >= 2, `${who} sends several video encodings: ${JSON.stringify(out)}`);
  }
  // Subscribers get h by default (full size: the fake cameras are 640 wide),
  // and a Chromium page asking for low gets at most 320 wide, of each.
  const low = await openRoom(chromium, srvSimulcast.httpUrl, "e2e_firefox_simulcast", "Low", "&video=low");
  // Each subscriber gets the other's top layer, as wide as it is sent now.
  // Firefox starts its h a moment after its other layers (later under load):
  // a subscriber linked before it came is switched up when it comes.
  await poll(() => receivedAndSent(fox, idChrome, chrome), ({ got, sent }) => got?.frameWidth === sent.h && sent.h >= 320,
    "Firefox of Chromium: frames as wide as Chromium's h encoding", 30000);
  await poll(() => receivedAndSent(chrome, idFox, fox), ({ got, sent }) => got?.frameWidth === sent.top && sent.top >= 320,
    "Chromium of Firefox: frames as wide as Firefox's widest encoding", 60000);
  const sent = { [idFox]: await sentVideo(fox), [idChrome]: await sentVideo(chrome) };
  assert.equal((await owner.request(joined.channel, "recordStop", {})).status, "ok");
  const m = await poll(() => manifest(recDir, "e2e_firefox_simulcast"), (x) => typeof x?.stoppedAt === "string", "the recording's manifest closed", 10000);
  for (const [who, id] of [["Firefox", idFox], ["Chromium", idChrome]]) {
    const t = m.tracks.find((x) => x.peerId === id && x.kind === "video");
    assert.ok(t, `${who}'s camera recorded: ${JSON.stringify(m.tracks)}`);
    await poll(async () => widestFrame(path.join(m.dir, t.file)), (w) => w > sent[id].m, `${who}'s camera recorded from its top layer (${JSON.stringify(sent[id])})`, 10000);
  }
  for (const [who, from] of [["Firefox", idFox], ["Chromium", idChrome]]) {
    const v0 = await poll(() => videoFrom(low, from), (v) => v?.framesDecoded > 10 && v.frameWidth > 0 && v.frameWidth <= 320,
      `low subscriber: frames of ${who} at most 320 wide`, 30000);
    await poll(() => videoFrom(low, from), (v) => v.framesDecoded > v0.framesDecoded + 15 && v.frameWidth <= 320,
      `low subscriber: ${who}'s low layer keeps coming`, 10000);
  }
  await low.context().close();

  // Firefox switches layers mid-stream (the rewriter's one SSRC, continuous
  // sequence numbers and timestamps; VP8 picture ids jump) and decodes on.
  const trackId = (await videoFrom(fox, idChrome)).trackId;
  // Chromium may send every layer smaller when its CPU is short
  // (qualityLimitationReason "cpu"), so sizes are compared with what it sends now.
  const fits = { l: (w, sent) => w < sent.h, h: (w, sent) => w === sent.h };
  for (const variant of ["l", "h"]) {
    const before = await videoFrom(fox, idChrome);
    await fox.evaluate((t, v) => window.videoroom.setTargetVariant(t, v), trackId, variant);
    await poll(() => receivedAndSent(fox, idChrome, chrome),
      ({ got, sent }) => fits[variant](got.frameWidth, sent) && got.framesDecoded > before.framesDecoded + 30,
      `Firefox: frames of the new layer after asking for ${variant}`, 20000);
  }
  await fox.close();
  await chrome.context().close();
}));
