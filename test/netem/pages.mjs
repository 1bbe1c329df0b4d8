// Room pages for impaired tests and the impaired benchmark: a page with or without
// an impaired path, and the raw RTP stats of its video.
import { after, before } from "node:test";
import { serverAndBrowser } from "../e2e/browser.mjs";
import { captureStats, rtpStats, startNetem } from "./netem.mjs";

// Opens the room page in a fresh context; with `profile`, through `net.impair`.
// Returns { page, link } once joined.
export async function openPage(browser, baseUrl, room, name, { query = "", net = null, profile = null } = {}) {
  const ctx = await browser.newContext();
  const link = profile ? await net.impair(ctx, profile) : null;
  if (!profile) await captureStats(ctx);
  const page = await ctx.newPage();
  await page.goto(`${baseUrl}/room/${room}?display_name=${encodeURIComponent(name)}${query}`);
  await page.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  return { page, link, name };
}

// Waits until a publisher's video has been going for a while, so that viewers
// that join next get the room's tracks in one subscribe offer. (Viewers that
// join before the publisher's media starts get the tracks in the order their
// packets reach the server: loss.test.mjs has a case for that order.)
export async function waitPublishing(pub, frames = 40) {
  const end = Date.now() + 30000;
  while ((await videoStats(pub.page)).out.framesEncoded < frames) {
    if (Date.now() > end) throw new Error(`${pub.name} not publishing video within 30 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const sum = (xs, f) => xs.reduce((a, x) => a + (x[f] ?? 0), 0);

// The video a page receives (summed over its inbound video streams) or sends
// (over its outbound ones: simulcast layers), with the fields the tests and the
// benchmark read. `at` is when it was read (ms).
export async function videoStats(page) {
  const all = await rtpStats(page);
  const inb = all.filter((s) => s.type === "inbound-rtp" && s.kind === "video");
  const out = all.filter((s) => s.type === "outbound-rtp" && s.kind === "video");
  const widest = (xs) => xs.reduce((w, s) => Math.max(w, s.frameWidth ?? 0), 0);
  return {
    at: Date.now(),
    in: {
      streams: inb.length,
      framesDecoded: sum(inb, "framesDecoded"),
      freezeCount: sum(inb, "freezeCount"),
      totalFreezesDuration: sum(inb, "totalFreezesDuration"),
      nackCount: sum(inb, "nackCount"),
      pliCount: sum(inb, "pliCount"),
      packetsReceived: sum(inb, "packetsReceived"),
      packetsLost: sum(inb, "packetsLost"),
      retransmittedPacketsReceived: sum(inb, "retransmittedPacketsReceived"),
      bytesReceived: sum(inb, "bytesReceived"),
      frameWidth: widest(inb),
      frameHeight: inb.reduce((h, s) => Math.max(h, s.frameHeight ?? 0), 0),
    },
    out: {
      streams: out.length,
      framesEncoded: sum(out, "framesEncoded"),
      // The frame rate sent: the busiest layer's (all layers of a simulcast
      // camera encode the same frames when the path carries them).
      framesEncodedMax: out.reduce((m, s) => Math.max(m, s.framesEncoded ?? 0), 0),
      nackCount: sum(out, "nackCount"),
      pliCount: sum(out, "pliCount"),
      retransmittedPacketsSent: sum(out, "retransmittedPacketsSent"),
      bytesSent: sum(out, "bytesSent"),
      frameWidth: widest(out),
      layers: out.map((s) => ({ rid: s.rid ?? null, frameWidth: s.frameWidth ?? 0, active: s.active ?? true })),
    },
  };
}

// The change of every counter between two videoStats readings, and its length (s).
export function delta(a, b) {
  const d = { seconds: (b.at - a.at) / 1000, in: {}, out: {} };
  for (const side of ["in", "out"])
    for (const [k, v] of Object.entries(b[side])) d[side][k] = typeof v === "number" && !/^frame(Width|Height)$|^streams$/.test(k) ? v - (a[side][k] ?? 0) : v;
  return d;
}

// serverAndBrowser (test/e2e/browser.mjs) plus the impairment harness: `env.net`
// is set before the first test too and stopped after the last one.
export function serverBrowserAndNetem(overrides = {}) {
  const env = serverAndBrowser(overrides);
  before(async () => {
    env.net = await startNetem();
  });
  after(async () => {
    await env.net?.stop();
  });
  return env;
}
