// Used by scripts/screenshots: lobby and 4-person room at desktop and phone sizes.
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

  // Four people in a room, seen by the first.
  const pages = [];
  for (const name of ["Ann", "Bob", "Cid", "Dee"]) pages.push(await openRoom(browser, srv.httpUrl, "standup", name));
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
  for (const p of pages) await p.context().close();
} finally {
  await browser.close();
  await srv.stop();
}
