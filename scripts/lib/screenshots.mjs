// Used by scripts/screenshots: lobby and 4-person room at desktop and phone sizes,
// and the meeting features (a screen share, chat, recording, a muted camera).
//   node scripts/lib/screenshots.mjs OUT_DIR   (VIDEOROOM_BIN, VIDEOROOM_ROOT set)
import { mkdirSync } from "node:fs";
import path from "node:path";
import { startServer } from "../../test/integration/lib/server.mjs";
import { launch, openRoom, peerId, poll, received, stats } from "../../test/e2e/browser.mjs";

const out = process.argv[2] ?? "client/screenshots";
mkdirSync(out, { recursive: true });
const DESKTOP = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };
const shot = async (page, name) => {
  await page.screenshot({ path: path.join(out, `${name}.png`) });
  console.log(path.join(out, `${name}.png`));
};

const srv = await startServer();
const browser = await launch();
try {
  // The lobby: live preview, name, pickers, level meter, join-muted toggles.
  for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    await page.goto(`${srv.httpUrl}/room/standup`);
    await page.waitForFunction(() => document.getElementById("preview").readyState >= 2, null, { timeout: 10000 });
    await page.fill("[data-testid=lobby-name]", "Ann");
    await page.waitForTimeout(800);
    await shot(page, `lobby-${size}`);
    await ctx.close();
  }

  // Four people in a room, seen by the first. Bob's getDisplayMedia is a canvas
  // "slide" (headless Chromium has no screen to share).
  const pages = [];
  for (const name of ["Ann", "Bob", "Cid", "Dee"]) pages.push(await openRoom(browser, srv.httpUrl, "standup", name));
  await pages[1].context().close();
  pages[1] = await openWithSlide(browser, srv.httpUrl, "standup", "Bob");
  const ids = await Promise.all(pages.map(peerId));
  const me = pages[0];
  await poll(() => stats(me), (s) => ids.slice(1).every((id) => received(s, id, "video", "framesDecoded") > 30),
    "Ann decoding everyone", 30000);
  await me.setViewportSize(DESKTOP);
  await me.waitForTimeout(500);
  await shot(me, "room-desktop");
  await me.setViewportSize(PHONE);
  await me.waitForTimeout(800);
  await shot(me, "room-phone");

  // Bob shares a slide, Cid chats, Dee turns the camera off, Ann records.
  await me.setViewportSize(DESKTOP);
  await pages[1].click("[data-testid=share-screen]");
  await pages[3].click("[data-testid=mute-video]");
  await me.click("[data-testid=record]");
  for (const [p, text] of [[pages[2], "Can everyone see the slide?"], [pages[1], "Slide 3 has the numbers <b>in bold</b>"]]) {
    if (await p.isHidden("[data-testid=chat]")) await p.click("[data-testid=chat-toggle]");
    await p.fill("[data-testid=chat-input]", text);
    await p.press("[data-testid=chat-input]", "Enter");
  }
  await me.waitForSelector("#grid .tile.screen.large video", { timeout: 15000 });
  await poll(() => me.$eval("#grid .tile.screen.large video", (v) => v.videoWidth), (w) => w > 0, "the slide playing", 15000);
  // (a server without trackUpdated shows no muted icon: the picture is taken anyway)
  await me.waitForSelector(`[data-testid="muted-video-${ids[3]}"]`, { timeout: 10000 }).catch(() => undefined);
  await me.click("[data-testid=chat-toggle]");
  await poll(() => me.$$eval("[data-testid=chat-log] li", (l) => l.length), (n) => n === 2, "the chat", 10000);
  await me.waitForTimeout(800);
  await shot(me, "meeting-desktop");
  for (const p of pages) await p.context().close();
} finally {
  await browser.close();
  await srv.stop();
}

async function openWithSlide(browser, baseUrl, room, name) {
  const ctx = await browser.newContext();
  await ctx.addInitScript(() => {
    navigator.mediaDevices.getDisplayMedia = async () => {
      const canvas = Object.assign(document.createElement("canvas"), { width: 1280, height: 720 });
      const g = canvas.getContext("2d");
      const draw = () => {
        g.fillStyle = "#f4f1ea";
        g.fillRect(0, 0, 1280, 720);
        g.fillStyle = "#1f5fcf";
        g.fillRect(0, 0, 1280, 120);
        g.fillStyle = "#fff";
        g.font = "bold 56px sans-serif";
        g.fillText("Q3 review", 60, 82);
        g.fillStyle = "#222";
        g.font = "40px sans-serif";
        ["• Latency down 18%", "• 2 new regions", "• Recording shipped"].forEach((t, i) => g.fillText(t, 80, 240 + i * 90));
        g.fillStyle = "#1f5fcf";
        [220, 300, 260, 380].forEach((h, i) => g.fillRect(760 + i * 110, 640 - h, 80, h));
      };
      setInterval(draw, 100);
      draw();
      return canvas.captureStream(10);
    };
  });
  const page = await ctx.newPage();
  await page.goto(`${baseUrl}/room/${room}?display_name=${encodeURIComponent(name)}`);
  await page.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  return page;
}
