// The room page's meeting features (issues 23, 25): chat, the recording dot,
// the active-speaker highlight, screen sharing and a mute the others see.
import assert from "node:assert/strict";
import { test } from "node:test";
import { guard } from "../integration/lib/server.mjs";
import { openRoom, peerId, poll, received, stats, waitStats, serverAndBrowser } from "./browser.mjs";
import { launchWithToneMic } from "./tone_mic.mjs";

const env = serverAndBrowser();

const close = async (...pages) => {
  for (const p of pages) await p.context().close();
};

// The texts of a page's chat log: [name, text, time] per message.
const chatLog = (page) => page.$$eval("[data-testid=chat-log] li", (lis) => lis.map((li) =>
  [li.querySelector(".chat-name").textContent, li.querySelector(".chat-text").textContent, li.querySelector(".chat-time").textContent]));

test("chat: two pages chat, markup stays text, a late joiner sees the history", guard(() => env.servers, async () => {
  const ann = await openRoom(env.browser, env.srv.httpUrl, "e2e_chat", "Ann");
  const bob = await openRoom(env.browser, env.srv.httpUrl, "e2e_chat", "Bob");
  await ann.waitForSelector(`[data-testid="tile-${await peerId(bob)}"]`);

  // c opens the chat with the input focused; Enter sends.
  await ann.keyboard.press("c");
  await ann.waitForSelector("[data-testid=chat]:not([hidden])");
  assert.equal(await ann.evaluate(() => document.activeElement?.id), "chat-input");
  const evil = "<b>bold?</b> <img src=x onerror=window.pwned=1> & more";
  await ann.keyboard.type(evil);
  await ann.keyboard.press("Enter");

  // Bob's chat is closed: an unread count, then the message as text.
  await bob.waitForSelector("[data-testid=chat-unread]:not([hidden])");
  assert.equal(await bob.textContent("[data-testid=chat-unread]"), "1");
  await bob.click("[data-testid=chat-toggle]");
  assert.equal(await bob.isHidden("[data-testid=chat-unread]"), true, "opening the chat clears the count");
  const [m] = await chatLog(bob);
  assert.equal(m[0], "Ann");
  assert.equal(m[1], evil, "the text exactly as typed");
  assert.match(m[2], /\d/, "a time is shown");
  assert.equal(await bob.$$eval("[data-testid=chat-log] b, [data-testid=chat-log] img", (els) => els.length), 0, "no markup made");
  assert.equal(await bob.evaluate(() => window.pwned), undefined);

  await bob.fill("[data-testid=chat-input]", "hello Ann");
  await bob.press("[data-testid=chat-input]", "Enter");
  await poll(() => chatLog(ann), (l) => l.length === 2, "Ann getting Bob's reply");
  assert.deepEqual((await chatLog(ann)).map((x) => x.slice(0, 2)), [["Ann (you)", evil], ["Bob", "hello Ann"]]);

  // The late joiner gets the history in the join reply.
  const cid = await openRoom(env.browser, env.srv.httpUrl, "e2e_chat", "Cid");
  await cid.click("[data-testid=chat-toggle]");
  assert.deepEqual((await chatLog(cid)).map((x) => x.slice(0, 2)), [["Ann", evil], ["Bob", "hello Ann"]]);
  await close(ann, bob, cid);
}));

test("recording: the owner's record button puts the red dot on every page", guard(() => env.servers, async () => {
  const ann = await openRoom(env.browser, env.srv.httpUrl, "e2e_rec_ui", "Ann");
  const bob = await openRoom(env.browser, env.srv.httpUrl, "e2e_rec_ui", "Bob");
  assert.equal(await ann.evaluate(() => window.videoroom.ownerId === window.videoroom.peerId), true, "Ann owns the room");
  assert.equal(await bob.isHidden("[data-testid=record]"), true, "no record button for others");
  assert.equal(await ann.isHidden("[data-testid=rec-dot]"), true);

  await ann.click("[data-testid=record]");
  for (const p of [ann, bob]) await p.waitForSelector("[data-testid=rec-dot]:not([hidden])", { timeout: 10000 });
  assert.match(await bob.getAttribute("[data-testid=rec-dot]", "aria-label"), /recorded/);
  assert.equal(await ann.getAttribute("[data-testid=record]", "aria-pressed"), "true");

  // A late joiner sees it from the join reply.
  const cid = await openRoom(env.browser, env.srv.httpUrl, "e2e_rec_ui", "Cid");
  await cid.waitForSelector("[data-testid=rec-dot]:not([hidden])", { timeout: 5000 });

  await ann.click("[data-testid=record]");
  for (const p of [ann, bob, cid]) await p.waitForSelector("[data-testid=rec-dot]", { state: "hidden", timeout: 10000 });
  await close(ann, bob, cid);
}));

test("active speaker: the speaker's tile is highlighted on the other page and large in speaker view", guard(() => env.servers, async () => {
  // Ann's microphone plays tone bursts: the server's voice activity says speech.
  const tone = await launchWithToneMic(2);
  const ann = await openRoom(tone.browser, env.srv.httpUrl, "e2e_vad_ui", "Ann");
  const bob = await openRoom(env.browser, env.srv.httpUrl, "e2e_vad_ui", "Bob");
  const ia = await peerId(ann);
  await bob.waitForSelector(`[data-testid="tile-${ia}"][data-speaking=true].speaking`, { timeout: 20000 });
  await bob.keyboard.press("l");
  assert.equal(await bob.getAttribute("[data-testid=speaker-view]", "aria-pressed"), "true");
  await bob.waitForSelector(`#grid.stage [data-testid="tile-${ia}"].large`, { timeout: 20000 });
  await close(ann, bob);
  await tone.close();
}));

// getDisplayMedia answered by a moving canvas (headless Chromium has no screen
// to pick); `window.screenTrack` is the track handed out last.
async function withCanvasScreen(ctx) {
  await ctx.addInitScript(() => {
    navigator.mediaDevices.getDisplayMedia = async () => {
      const canvas = document.createElement("canvas");
      canvas.width = 1280;
      canvas.height = 720;
      const g = canvas.getContext("2d");
      let n = 0;
      const timer = setInterval(() => {
        g.fillStyle = `hsl(${(n++ * 7) % 360} 60% 40%)`;
        g.fillRect(0, 0, 1280, 720);
        g.fillStyle = "#fff";
        g.font = "64px sans-serif";
        g.fillText(`slide ${n}`, 80, 160);
      }, 50);
      const track = canvas.captureStream(20).getVideoTracks()[0];
      track.addEventListener("ended", () => clearInterval(timer));
      window.screenTrack = track;
      return new MediaStream([track]);
    };
  });
}

// Publish offers the page sends, with their trackMetadata.
function publishOffers(page) {
  const offers = [];
  page.on("websocket", (ws) => ws.on("framesent", (f) => {
    const text = typeof f.payload === "string" ? f.payload : f.payload.toString();
    if (!text.includes("publishOffer")) return;
    const [, , , event, payload] = JSON.parse(text);
    if (event !== "mediaEvent") return;
    const inner = JSON.parse(payload.data);
    if (inner.type === "publishOffer") offers.push(inner.data.trackMetadata);
  }));
  return offers;
}

const screenFrames = (s, from) => s.inbound.filter((t) => t.peerId === from && t.type === "screen")
  .reduce((a, t) => a + t.framesDecoded, 0);

test("screen share: the other page decodes it in the large tile; stopping removes it", guard(() => env.servers, async () => {
  const ctx = await env.browser.newContext();
  await withCanvasScreen(ctx);
  const ann = await ctx.newPage();
  const offers = publishOffers(ann);
  await ann.goto(`${env.srv.httpUrl}/room/e2e_screen?display_name=Ann`);
  await ann.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  const bob = await openRoom(env.browser, env.srv.httpUrl, "e2e_screen", "Bob");
  const ia = await peerId(ann);
  await waitStats(bob, (s) => received(s, ia, "video", "framesDecoded") > 5, "Bob decoding Ann's camera");
  assert.deepEqual(Object.values(offers[0]).map((m) => m.type).sort(), ["camera", "microphone"]);

  for (const how of ["button", "browser"]) {
    const base = screenFrames(await stats(bob), ia); // the second round may reuse the receiver
    await ann.click("[data-testid=share-screen]");
    await poll(() => offers.length, (n) => n >= 2, "a second publish offer");
    assert.deepEqual(Object.values(offers.at(-1)).map((m) => m.type).sort(), ["camera", "microphone", "screen"]);

    // Bob: a second video track of Ann's, typed screen, decoded, in the large tile.
    await waitStats(bob, (s) => screenFrames(s, ia) > base + 10, `Bob decoding Ann's screen (${how})`);
    const large = "#grid.stage .tile.screen.large video";
    await bob.waitForSelector(large, { timeout: 10000 });
    await poll(() => bob.$eval(large, (v) => v.videoWidth), (w) => w > 0, "the large tile playing the screen");
    assert.match(await bob.textContent("#grid .tile.screen.large .name"), /Ann's screen/);
    assert.equal(await bob.$$eval("#grid .tile:not(.large)", (ts) => ts.length), 2, "the two cameras in the strip");
    const camera = received(await stats(bob), ia, "video", "framesDecoded") - screenFrames(await stats(bob), ia);
    assert.ok(camera > 5, "the camera still decoded beside the screen");

    // Stop by the button, or by the browser's own "stop sharing" (the track ends).
    const before = offers.length;
    if (how === "button") await ann.click("[data-testid=share-screen]");
    else await ann.evaluate(() => window.screenTrack.dispatchEvent(new Event("ended")));
    await poll(() => offers.length, (n) => n > before, "a publish offer without the screen");
    assert.deepEqual(Object.values(offers.at(-1)).map((m) => m.type).sort(), ["camera", "microphone"]);
    await bob.waitForSelector("#grid .tile.screen", { state: "detached", timeout: 10000 });
    assert.equal(await bob.$$eval("#grid .tile.large", (ts) => ts.length), 0, "back to the even grid");
    assert.equal(await ann.textContent("[data-testid=share-screen]"), "Share screen");
    offers.length = 1; // the next round counts from here
  }
  await close(ann, bob);
}));

const cameraBytesSent = async (page) => (await stats(page)).outbound
  .filter((o) => o.type === "camera").reduce((a, o) => a + o.bytesSent, 0);

test("mute: the others see it, nothing is sent, unmute brings the video back", guard(() => env.servers, async () => {
  const ann = await openRoom(env.browser, env.srv.httpUrl, "e2e_mute_ui", "Ann");
  const bob = await openRoom(env.browser, env.srv.httpUrl, "e2e_mute_ui", "Bob");
  const ia = await peerId(ann);
  await waitStats(bob, (s) => received(s, ia, "video", "framesDecoded") > 5, "Bob decoding Ann");
  assert.ok((await cameraBytesSent(ann)) > 0, "the camera sends");
  assert.equal(await bob.$(`[data-testid="muted-video-${ia}"]`), null);

  await ann.click("[data-testid=mute-video]");
  await bob.waitForSelector(`[data-testid="muted-video-${ia}"]`, { timeout: 10000 });
  assert.equal(await bob.getAttribute(`[data-testid="muted-video-${ia}"]`, "aria-label"), "camera off");
  assert.equal(await bob.getAttribute(`[data-testid="tile-${ia}"]`, "data-muted-video"), "true");
  // The sender stopped: bytesSent settles (within a bounded wait) and stays.
  const settled = await poll(async () => {
    const a = await cameraBytesSent(ann);
    await new Promise((r) => setTimeout(r, 1000));
    return [a, await cameraBytesSent(ann)];
  }, ([a, b]) => a === b, "Ann's camera to stop sending", 10000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await cameraBytesSent(ann), settled[1], "no camera bytes while muted");

  // A late joiner sees the muted state from peersInRoom.
  const cid = await openRoom(env.browser, env.srv.httpUrl, "e2e_mute_ui", "Cid");
  await cid.waitForSelector(`[data-testid="muted-video-${ia}"]`, { timeout: 10000 });

  const frames = received(await stats(bob), ia, "video", "framesDecoded");
  await ann.click("[data-testid=mute-video]");
  await waitStats(bob, (s) => received(s, ia, "video", "framesDecoded") > frames + 20, "Bob decoding Ann again");
  await bob.waitForSelector(`[data-testid="muted-video-${ia}"]`, { state: "detached", timeout: 10000 });
  assert.ok((await cameraBytesSent(ann)) > settled[1], "the camera sends again");
  await close(ann, bob, cid);
}));
