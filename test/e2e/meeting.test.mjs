// The meeting app around the media (issue 25): the lobby of `/room/ROOM` without
// a name, switching camera while joined, and the grid that fills the window.
import assert from "node:assert/strict";
import { test } from "node:test";
import { guard } from "../integration/lib/server.mjs";
import { openRoom, peerId, poll, received, stats, waitStats, serverAndBrowser } from "./browser.mjs";

const env = serverAndBrowser();

// Counts the WebSocket frames the page sends that name `event` (phx_join, publishOffer).
function countSent(page, event) {
  const counter = { n: 0 };
  page.on("websocket", (ws) =>
    ws.on("framesent", (f) => {
      const text = typeof f.payload === "string" ? f.payload : f.payload.toString();
      if (text.includes(event)) counter.n++; // media events travel as JSON text inside the frame
    }));
  return counter;
}

test("the lobby previews the camera, lists the devices and sends no phx_join until Join", guard(() => env.servers, async () => {
  const ctx = await env.browser.newContext();
  const page = await ctx.newPage();
  const joins = countSent(page, "phx_join");
  await page.goto(`${env.srv.httpUrl}/room/e2e_lobby`);
  await page.waitForSelector("[data-testid=lobby]:not([hidden])");

  // A playing preview: data to show, and time that moves on.
  await page.waitForFunction(() => document.getElementById("preview").readyState >= 2, null, { timeout: 10000 });
  const t0 = await page.evaluate(() => document.getElementById("preview").currentTime);
  await poll(() => page.evaluate(() => document.getElementById("preview").currentTime), (t) => t > t0 + 0.5, "the preview playing");

  // The pickers hold the fake devices enumerateDevices gives.
  const devices = await page.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).map((d) => [d.kind, d.deviceId]));
  const options = (sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value));
  const cams = await options("[data-testid=lobby-camera]");
  const mics = await options("[data-testid=lobby-mic]");
  assert.ok(cams.length >= 1 && cams.every((id) => devices.some(([k, d]) => k === "videoinput" && d === id)), `cameras ${cams}`);
  assert.ok(mics.length >= 1 && mics.every((id) => devices.some(([k, d]) => k === "audioinput" && d === id)), `microphones ${mics}`);
  assert.ok(await page.$eval("[data-testid=lobby-camera]", (s) => s.selectedOptions[0]?.textContent.length > 0), "camera named");

  // The level meter moves with the fake microphone's beeps (after a click, as a person would).
  await page.click("[data-testid=lobby-name]");
  await poll(() => page.getAttribute("[data-testid=mic-level]", "aria-valuenow"), (v) => Number(v) > 0, "the mic level meter", 8000);

  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(joins.n, 0, "no phx_join before Join");
  assert.equal(await page.evaluate(() => window.videoroom.state), "joining");

  await page.fill("[data-testid=lobby-name]", "Lobby Lu");
  await page.check("[data-testid=join-muted-audio]");
  await page.click("[data-testid=join]");
  await page.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  assert.equal(joins.n, 1, "one phx_join after Join");
  assert.equal(await page.evaluate(() => localStorage.getItem("videoroom.displayName")), "Lobby Lu", "the name is remembered");
  assert.match(await page.textContent(".tile.self .name"), /Lobby Lu/);
  assert.equal(await page.textContent("[data-testid=mute-audio]"), "Unmute mic", "joined muted");

  // Keyboard shortcuts m and v; the invite link has neither name nor token.
  await page.keyboard.press("m");
  assert.equal(await page.textContent("[data-testid=mute-audio]"), "Mute mic", "m unmutes");
  await page.keyboard.press("v");
  assert.equal(await page.textContent("[data-testid=mute-video]"), "Camera on", "v turns the camera off");
  assert.equal(await page.getAttribute("[data-testid=mute-video]", "aria-pressed"), "true");
  await page.click("[data-testid=copy-link]");
  const toast = await page.textContent(".toast");
  assert.ok(toast.includes(`${env.srv.httpUrl}/room/e2e_lobby`) && !/display_name|token/.test(toast), toast);

  // Next visit: the name is filled in.
  await page.goto(`${env.srv.httpUrl}/room/e2e_lobby`);
  await page.waitForSelector("[data-testid=lobby]:not([hidden])");
  assert.equal(await page.inputValue("[data-testid=lobby-name]"), "Lobby Lu");
  await page.setViewportSize({ width: 390, height: 844 });
  const w = await page.evaluate(() => [document.scrollingElement.scrollWidth, innerWidth]);
  assert.ok(w[0] <= w[1], `the lobby fits a phone's width: ${w}`);
  await ctx.close();
}));

test("a refused camera and microphone get a message that says what to do", guard(() => env.servers, async () => {
  const ctx = await env.browser.newContext();
  await ctx.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = async () => {
      throw new DOMException("Permission denied", "NotAllowedError");
    };
  });
  const page = await ctx.newPage();
  await page.goto(`${env.srv.httpUrl}/room/e2e_denied`);
  await page.waitForSelector("#lobby-error:not([hidden])");
  assert.match(await page.textContent("#lobby-error"), /denied.*allow them for this site.*reload/s);
  await page.fill("[data-testid=lobby-name]", "Den");
  await page.click("[data-testid=join]");
  await page.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  await ctx.close();
}));

// The second camera: Chromium's fake device is one camera, so this test adds a
// "Canvas camera" (a canvas captureStream track, 320x180) to enumerateDevices and
// getUserMedia of Ann's page.
async function withCanvasCamera(ctx) {
  await ctx.addInitScript(() => {
    const md = navigator.mediaDevices;
    const enumerate = md.enumerateDevices.bind(md);
    const gum = md.getUserMedia.bind(md);
    md.enumerateDevices = async () => [...(await enumerate()),
      { deviceId: "canvas-camera", groupId: "canvas", kind: "videoinput", label: "Canvas camera", toJSON() { return this; } }];
    md.getUserMedia = async (c) => {
      if (c?.video?.deviceId?.exact === "canvas-camera") {
        const canvas = document.createElement("canvas");
        canvas.width = 320;
        canvas.height = 180;
        const g = canvas.getContext("2d");
        let n = 0;
        setInterval(() => {
          g.fillStyle = `hsl(${(n++ * 9) % 360} 70% 45%)`;
          g.fillRect(0, 0, 320, 180);
          g.fillStyle = "#fff";
          g.fillText(String(n), 20, 40);
        }, 40);
        const track = canvas.captureStream(25).getVideoTracks()[0];
        window.canvasTrack = track;
        return new MediaStream([track]);
      }
      return gum(c);
    };
  });
}

test("switching camera keeps the others decoding, without a new publishOffer", guard(() => env.servers, async () => {
  const ctx = await env.browser.newContext();
  await withCanvasCamera(ctx);
  const ann = await ctx.newPage();
  const offers = countSent(ann, "publishOffer");
  await ann.goto(`${env.srv.httpUrl}/room/e2e_switch?display_name=Ann`);
  await ann.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  const bob = await openRoom(env.browser, env.srv.httpUrl, "e2e_switch", "Bob");
  const ia = await peerId(ann);
  await waitStats(bob, (s) => received(s, ia, "video", "framesDecoded") > 10, "Bob decoding Ann");
  assert.equal(offers.n, 1, "one publish offer");
  const remote = `[data-testid="tile-${ia}"] video`;
  assert.equal(await bob.$eval(remote, (v) => v.videoWidth), 640, "the fake camera's width");

  await ann.click("[data-testid=devices-toggle]");
  await ann.waitForSelector("[data-testid=camera-select] option[value=canvas-camera]", { state: "attached" });
  await ann.selectOption("[data-testid=camera-select]", "canvas-camera");
  await ann.waitForFunction(() => document.querySelector(".tile.self video")?.srcObject?.getVideoTracks()[0] === window.canvasTrack);

  // Bob now decodes the canvas (320 wide), and keeps decoding.
  await poll(() => bob.$eval(remote, (v) => v.videoWidth), (w) => w === 320, "Bob seeing the canvas camera");
  const base = received(await stats(bob), ia, "video", "framesDecoded");
  await waitStats(bob, (s) => received(s, ia, "video", "framesDecoded") > base + 20, "Bob decoding after the switch");
  assert.equal(offers.n, 1, "no new publishOffer (replaceTrack)");
  await ctx.close();
  await bob.context().close();
}));

// Share of the window covered by the visible parts of the video tiles.
const tileCover = (page) => page.evaluate(() => {
  let area = 0;
  for (const t of document.querySelectorAll("#grid .tile")) {
    const r = t.getBoundingClientRect();
    const w = Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0));
    const h = Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));
    area += w * h;
  }
  return area / (innerWidth * innerHeight);
});

test("four people fill half the window at 1280x720, and a phone gets one column", guard(() => env.servers, async () => {
  const pages = [];
  for (const name of ["Ann", "Bob", "Cid", "Dee"]) pages.push(await openRoom(env.browser, env.srv.httpUrl, "e2e_grid", name));
  const page = pages[0];
  await page.waitForFunction(() => document.querySelectorAll("#grid .tile").length === 4, null, { timeout: 15000 });
  assert.deepEqual(await page.evaluate(() => [innerWidth, innerHeight]), [1280, 720]);
  await poll(() => tileCover(page), (c) => c >= 0.5, "4 tiles covering half of 1280x720");
  const ratios = await page.$$eval("#grid .tile", (ts) => ts.map((t) => t.clientWidth / t.clientHeight));
  assert.ok(ratios.every((r) => Math.abs(r - 16 / 9) < 0.02), `16:9 tiles: ${ratios}`);
  // Each other person's tile has a network-quality dot from getStats.
  await page.waitForFunction(() => document.querySelectorAll("#grid .tile:not(.self) .quality[data-quality]").length === 3,
    null, { timeout: 10000 });

  await page.setViewportSize({ width: 390, height: 844 });
  await poll(() => page.$$eval("#grid .tile", (ts) => new Set(ts.map((t) => Math.round(t.getBoundingClientRect().left))).size),
    (n) => n === 1, "one column at 390x844");
  const fit = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth, innerWidth,
    tileWidth: document.querySelector("#grid .tile").getBoundingClientRect().width,
    controlsBottom: document.querySelector(".bar .controls").getBoundingClientRect().bottom, innerHeight,
  }));
  assert.ok(fit.scrollWidth <= fit.innerWidth, `no horizontal scroll: ${JSON.stringify(fit)}`);
  assert.ok(fit.tileWidth >= 0.85 * fit.innerWidth, `tiles span the phone's width: ${JSON.stringify(fit)}`);
  assert.ok(Math.abs(fit.controlsBottom - fit.innerHeight) < 2, `controls at the bottom: ${JSON.stringify(fit)}`);
  for (const p of pages) await p.context().close();
}));
