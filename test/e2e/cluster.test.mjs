// Real browsers on two nodes of a three-node cluster: they meet in the room on
// the third node and decode each other; when that node is killed, the pages
// rejoin by themselves and media flows again in the room made on a survivor.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { guard } from "../integration/lib/server.mjs";
import { roomOn, startCluster, waitConverged } from "../integration/lib/cluster.mjs";
import { launch, openRoom, peerId, poll, received, stats, waitStats } from "./browser.mjs";

let nodes = [], browser;

before(async () => {
  // Two pages encoding and decoding video load both cores: with the node
  // tests' 1 s timeout, all three nodes once counted each other lost (no
  // heartbeat for a second), which broke the room mid-test. The node kill
  // below is noticed 3 s later instead.
  nodes = await startCluster(3, { connectionTimeoutMs: 3000 });
  await waitConverged(nodes);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const [i, s] of nodes.entries()) {
    const { code, alreadyExited } = await s.stop();
    if (!alreadyExited) assert.equal(code, 0, `node ${i} exits cleanly`);
  }
});

const groupRooms = async (s) => (await s.metrics()).get("vr_rooms", { type: "group" }) ?? 0;

async function decodes(page, from, what) {
  const base = received(await stats(page), from, "video", "framesDecoded");
  await waitStats(page, (s) => received(s, from, "video", "framesDecoded") > base + 10 &&
    received(s, from, "audio", "packetsReceived") > 20, what, 30000);
}

test("pages on two nodes decode each other through the room on a third; they survive its loss",
  guard(() => nodes, async () => {
    const room = roomOn(nodes[2], nodes, "e2e_cluster_");
    const ann = await openRoom(browser, nodes[0].httpUrl, room, "Ann");
    const bob = await openRoom(browser, nodes[1].httpUrl, room, "Bob");
    const [ia, ib] = await Promise.all([peerId(ann), peerId(bob)]);
    await decodes(ann, ib, "Ann decoding Bob");
    await decodes(bob, ia, "Bob decoding Ann");
    assert.equal(await groupRooms(nodes[2]), 1, "the room lives on the node the hash names");
    assert.equal(await groupRooms(nodes[0]), 0);
    assert.equal(await groupRooms(nodes[1]), 0);

    // The room's node dies: phoenix rejoins both pages, the room is made again
    // on a survivor and each page decodes the other's new session.
    const t0 = Date.now();
    nodes[2].proc.kill("SIGKILL");
    const [na, nb] = await Promise.all([
      poll(() => peerId(ann), (id) => id && id !== ia, "Ann rejoined", 30000),
      poll(() => peerId(bob), (id) => id && id !== ib, "Bob rejoined", 30000),
    ]);
    await decodes(ann, nb, "Ann decoding Bob after the rejoin");
    await decodes(bob, na, "Bob decoding Ann after the rejoin");
    console.log(`cluster e2e: room's node killed -> both pages decode again after ${Date.now() - t0} ms`);
    const survivors = (await groupRooms(nodes[0])) + (await groupRooms(nodes[1]));
    assert.equal(survivors, 1, "one room, on a survivor");
    for (const p of [ann, bob]) await p.context().close();
  }));
