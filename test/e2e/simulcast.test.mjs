// Simulcast as far as it goes today (README, Simulcast): a camera published
// with three rid encodings (&simulcast=1) still reaches a default subscriber,
// and &video=low asks for a variant without an error. The server does not yet
// accept simulcast in its answer, so Chrome sends one encoding.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { guard, startServer } from "../integration/lib/server.mjs";
import { launch, openRoom, peerId, received, waitStats } from "./browser.mjs";

let srv, browser;
const servers = [];

before(async () => {
  srv = await startServer();
  servers.push(srv);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  const { code } = await srv.stop();
  assert.equal(code, 0, "the server exits cleanly");
});

test("a simulcast publisher is decoded by a default and a ?video=low subscriber", guard(() => servers, async () => {
  const pub = await openRoom(browser, srv.httpUrl, "e2e_simulcast", "Pub", "&simulcast=1");
  const sub = await openRoom(browser, srv.httpUrl, "e2e_simulcast", "Sub");
  // Listening from the start: the page logs refused media events as "media error".
  const errors = [];
  const low = await (await browser.newContext()).newPage();
  low.on("console", (m) => m.text().includes("media error") && errors.push(m.text()));
  await low.goto(`${srv.httpUrl}/room/e2e_simulcast?display_name=Low&video=low`);
  const id = await peerId(pub);
  for (const page of [sub, low])
    await waitStats(page, (s) => received(s, id, "video", "framesDecoded") > 30, "frames from the simulcast publisher");
  // Chrome keeps the three encodings but sends only the first (l, 160 wide)
  // while the answer refuses simulcast: the other two stay at 0 packets.
  const out = (await pub.evaluate(() => window.videoroom.stats())).outbound.filter((o) => o.kind === "video");
  assert.equal(out.length, 3, "three video encodings");
  assert.equal(out.filter((o) => o.packetsSent > 0).length, 1, "one of them sent");
  assert.deepEqual(errors, [], "setTargetTrackVariant is accepted");
  for (const p of [pub, sub, low]) await p.context().close();
}));
