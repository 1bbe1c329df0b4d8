// Real browsers through the SFU: each page decodes the others' video and
// receives their audio; peers leave and join; audio rooms carry audio only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { guard } from "../integration/lib/server.mjs";
import { openRoom, peerId, received, stats, waitStats, serverAndBrowser } from "./browser.mjs";

const env = serverAndBrowser();

// Every page decodes video frames and receives audio packets from every other.
async function assertAllSeeAll(pages, ids) {
  for (const [i, page] of pages.entries()) {
    for (const [j, other] of ids.entries()) {
      if (i === j) continue;
      const before = await stats(page);
      const base = received(before, other, "video", "framesDecoded");
      await waitStats(page, (s) => received(s, other, "video", "framesDecoded") > base + 10 &&
        received(s, other, "audio", "packetsReceived") > 20, `page ${i} decoding peer ${j}`);
    }
  }
}

test("three browsers see and hear each other; one leaves, another joins and is seen", guard(() => env.servers, async () => {
  const pages = [];
  for (const name of ["Ann", "Bob", "Cid"]) pages.push(await openRoom(env.browser, env.srv.httpUrl, "e2e_group", name));
  const ids = await Promise.all(pages.map(peerId));
  await assertAllSeeAll(pages, ids);

  // Bob leaves: his tile and his media go away for the others.
  await pages[1].click("[data-testid=leave]");
  await pages[0].waitForFunction((id) => !window.videoroom.peers().some((p) => p.id === id), ids[1], { timeout: 10000 });
  const frozen = received(await stats(pages[0]), ids[1], "video", "packetsReceived");
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(received(await stats(pages[0]), ids[1], "video", "packetsReceived") <= frozen,
    "no packets of a peer that left");

  // Dee joins and is seen by those who stayed, and sees them.
  const dee = await openRoom(env.browser, env.srv.httpUrl, "e2e_group", "Dee");
  const stay = [pages[0], pages[2], dee];
  await assertAllSeeAll(stay, [ids[0], ids[2], await peerId(dee)]);
  for (const p of [...pages, dee]) await p.context().close();
}));

test("an audio room carries audio only", guard(() => env.servers, async () => {
  const a = await openRoom(env.browser, env.srv.httpUrl, "e2e_audio", "Ann", "&type=audio");
  const b = await openRoom(env.browser, env.srv.httpUrl, "e2e_audio", "Bob", "&type=audio");
  const [ia, ib] = await Promise.all([peerId(a), peerId(b)]);
  await waitStats(a, (s) => received(s, ib, "audio", "packetsReceived") > 50, "audio from Bob");
  await waitStats(b, (s) => received(s, ia, "audio", "packetsReceived") > 50, "audio from Ann");
  for (const p of [a, b]) {
    const s = await stats(p);
    assert.equal(s.inbound.filter((t) => t.kind === "video").length, 0, "no video track received");
    assert.ok(s.outbound.every((t) => t.kind === "audio"), "only audio is published");
  }
  for (const p of [a, b]) await p.context().close();
}));
