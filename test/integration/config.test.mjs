// Start-up configuration: bad keys stop the server with a message naming the
// key; configured STUN/TURN servers reach browsers in peerAccepted.iceServers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { Peer, closeAll, roomTopic } from "./lib/client.mjs";
import { BIN, ROOT, freePort, guard, startServer } from "./lib/server.mjs";

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
    [["--config-file=config/test.conf", '--cluster.seeds=["127.0.0.1:4370"]'], "cluster.seeds"],
    [["--config-file=config/test.conf", "--cluster.node-port=4370", '--cluster.seeds=["nohost"]'], "cluster.seeds"],
    [["--config-file=config/test.conf", "--cluster.node-port=4370", "--cluster.connection-timeout=100ms"],
     "cluster.connection-timeout"],
    [["--config-file=config/test.conf", "--cluster.node-port=99999"], "cluster.node-port"],
    [["--config-file=config/test.conf", "--http.public-url=node1.example.com"], "http.public-url"],
    [["--config-file=config/test.conf", "--vad.threshold-dbov=0"], "vad.threshold-dbov"],
    [["--config-file=config/test.conf", "--vad.threshold-dbov=128"], "vad.threshold-dbov"],
    [["--config-file=config/test.conf", "--vad.silence-after=0s"], "vad.silence-after"],
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

test("a cluster node that cannot reach its seed says so, and serves its own rooms", guard(servers, async () => {
  const [nodePort, deadSeed] = [await freePort(), await freePort()];
  const srv = await startServer({
    "cluster.node-port": nodePort,
    "cluster.seeds": `["127.0.0.1:${deadSeed}"]`,
    "cluster.heartbeat-interval": "200ms",
    "cluster.connection-timeout": "1s",
  });
  servers.push(srv);
  let health = "";
  for (let i = 0; i < 50 && !health.includes("unreachable"); i++) {
    await new Promise((r) => setTimeout(r, 100));
    health = (await (await fetch(`${srv.httpUrl}/healthz`)).text());
  }
  assert.match(health, /^ok\n/);
  assert.match(health, new RegExp(`cluster node 127\\.0\\.0\\.1:${nodePort}\n`));
  assert.match(health, /cluster nodes 1\n/);
  assert.match(health, new RegExp(`unreachable 127\\.0\\.0\\.1:${deadSeed} `));
  assert.match(srv.log(), new RegExp(`cannot reach seed 127\\.0\\.0\\.1:${deadSeed}`));
  const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  assert.match(metrics, /^vr_cluster_nodes 1$/m);
  assert.match(metrics, /^vr_cluster_unreachable 1$/m);
  // Its own rooms work as on a single node.
  const peer = await Peer.connect(srv, "Ann");
  const topic = roomTopic("alone");
  const { channel } = await peer.joinOk(topic, { displayName: "Ann" });
  const mark = peer.log.mark();
  peer.media(channel, "join", { metadata: { displayName: "Ann" } });
  await peer.waitMedia(topic, "peerAccepted", { since: mark });
}));

test("a cluster port that is taken stops start-up", async () => {
  const taken = net.createServer();
  await new Promise((r) => taken.listen(0, "127.0.0.1", r));
  const port = taken.address().port;
  try {
    const r = startWith(["--config-file=config/test.conf", "--http.port=0", `--cluster.node-port=${port}`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot listen for cluster nodes on 127\\.0\\.0\\.1:${port}`));
  } finally {
    taken.close();
  }
});
