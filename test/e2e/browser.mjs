// Headless Chromium with a fake camera and microphone, driving the room page.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { chromium } from "playwright-core";
import { startServer } from "../integration/lib/server.mjs";

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--headless", "--disable-gpu",
  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection", "--disable-background-networking",
  "--disable-features=WebRtcHideLocalIpsWithMdns",
];

export async function launch() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

// The server (startServer's overrides) and the Chromium a test file's tests
// share: `env.srv` and `env.browser` are set before the first test; after the
// last one the server must exit cleanly. `env.servers` is for guard().
export function serverAndBrowser(overrides = {}) {
  const env = { srv: null, browser: null, servers: [] };
  before(async () => {
    env.srv = await startServer(overrides);
    env.servers.push(env.srv);
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    const { code } = await env.srv.stop();
    assert.equal(code, 0, "the server exits cleanly");
  });
  return env;
}

// Opens the room page in a fresh context (its own peer) and waits until joined.
export async function openRoom(browser, baseUrl, room, name, query = "") {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${baseUrl}/room/${room}?display_name=${encodeURIComponent(name)}${query}`);
  await page.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  return page;
}

export const stats = (page) => page.evaluate(() => window.videoroom.stats());
export const peerId = (page) => page.evaluate(() => window.videoroom.peerId);

// Polls `pred(await read())` until true or the time is up; returns the last reading.
export async function poll(read, pred, what, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await read();
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

// Polls `pred(await stats(page))` until true or the time is up.
export const waitStats = (page, pred, what, timeoutMs = 20000) => poll(() => stats(page), pred, what, timeoutMs);

// The width of each video layer `page` sends now, by rid ({ h: 640, m: 320 }),
// the widest one encoding (top), and the encodings. Under CPU load a browser
// sends every layer smaller (qualityLimitationReason "cpu"): tests compare what
// a subscriber decodes with this rather than with the camera's size.
export async function sentVideo(page) {
  const sent = { encodings: (await stats(page)).outbound.filter((o) => o.kind === "video") };
  for (const o of sent.encodings) if (o.rid) sent[o.rid] = o.frameWidth;
  sent.top = Math.max(0, ...sent.encodings.filter((o) => o.framesEncoded > 0).map((o) => o.frameWidth ?? 0));
  return sent;
}

// Sum of a field over the inbound tracks of `kind` from `from`.
export function received(s, from, kind, field) {
  return s.inbound.filter((t) => t.peerId === from && t.kind === kind).reduce((a, t) => a + t[field], 0);
}
