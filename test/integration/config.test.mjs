// Start-up configuration: bad keys stop the server with a message naming the
// key; configured STUN/TURN servers reach browsers in peerAccepted.iceServers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { Peer, closeAll, roomTopic } from "./lib/client.mjs";
import { BIN, ROOT, guard, startServer } from "./lib/server.mjs";

const servers = [];
after(async () => {
  await closeAll();
  for (const s of servers) assert.equal((await s.stop()).code, 0);
});

function startWith(args) {
  return spawnSync(BIN, args, { cwd: ROOT, encoding: "utf8", timeout: 10000 });
}

function confFile(text) {
  const f = path.join(mkdtempSync(path.join(tmpdir(), "vr-conf-")), "bad.conf");
  writeFileSync(f, text);
  return f;
}

test("an unknown key or an ill-typed value stops start-up, naming the key", () => {
  const cases = [
    [[`--config-file=${confFile("[http]\nport=4999\nbogus=1\n")}`], "http.bogus"],
    [[`--config-file=${confFile("[nope]\nx=1\n")}`], "nope.x"],
    [[`--config-file=${confFile('[http]\nport="many"\n')}`], "http.port"],
    [[`--config-file=${confFile("[rooms]\nmax-viewers=-3\n")}`], "rooms.max-viewers"],
    [["--config-file=config/test.conf", "--http.nope=1"], "http.nope"],
    [["--config-file=config/test.conf", "--http.port=abc"], "http.port"],
    [["--config-file=config/test.conf", "--rooms.default-type=party"], "rooms.default-type"],
    [["--config-file=config/test.conf", "--ice.stun-servers=[\"stun.example:3478\"]"], "ice.stun-servers"],
    [["--config-file=/nonexistent/videoroom.conf"], "/nonexistent/videoroom.conf"],
  ];
  for (const [args, key] of cases) {
    const r = startWith(args);
    assert.equal(r.status, 2, `${args.join(" ")}: exit 2, got ${r.status} (${r.stderr})`);
    assert.ok(r.stderr.includes(key), `${args.join(" ")}: message names ${key}: ${r.stderr}`);
  }
});

test("configured STUN and TURN servers reach peerAccepted.iceServers", guard(servers, async () => {
  const srv = await startServer({
    "ice.stun-servers": '["stun://127.0.0.1:3478"]',
    "ice.turn-servers": '["turn://alice:s3cret@127.0.0.1:3479"]',
  });
  servers.push(srv);
  const peer = await Peer.connect(srv, "Ann");
  const topic = roomTopic("ice");
  const { channel } = await peer.joinOk(topic, { displayName: "Ann" });
  const mark = peer.log.mark();
  peer.media(channel, "join", { metadata: { displayName: "Ann" } });
  const accepted = await peer.waitMedia(topic, "peerAccepted", { since: mark });
  assert.deepEqual(accepted.data.iceServers, [
    { urls: "stun:127.0.0.1:3478" },
    { urls: "turn:127.0.0.1:3479", username: "alice", credential: "s3cret" },
  ]);
}));
