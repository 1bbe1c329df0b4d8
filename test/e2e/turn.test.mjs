// TURN for people behind NAT (issue 21): with ice.turn-secret, peerAccepted
// carries time-limited TURN REST API credentials, and a Chromium page forced to
// relay (`?relay=1`) publishes and receives through Debian's coturn, which this
// test starts itself on loopback (no daemon, no config file, a scratch dir).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Peer, closeAll, roomTopic } from "../integration/lib/client.mjs";
import { BIN, ROOT, freePort, guard, sleep, startServer } from "../integration/lib/server.mjs";
import { launch, openRoom, peerId, poll, received, waitStats } from "./browser.mjs";

const TURNSERVER = "/usr/sbin/turnserver";
const TURNSERVER_PATHS = [TURNSERVER, "/usr/bin/turnserver"];
const SECRET = randomBytes(12).toString("hex");

let turn, browser;
const servers = [];

// coturn on 127.0.0.1 with the TURN REST API (use-auth-secret). It refuses to
// relay to loopback peers unless told (--allow-loopback-peers), and its telnet
// CLI (port 5766) is turned off. Resolves once its TCP listener answers.
async function startCoturn() {
  const bin = TURNSERVER_PATHS.find((p) => existsSync(p));
  assert.ok(bin, "coturn is not installed (Debian package coturn: apt-get install coturn)");
  const dir = mkdtempSync(path.join(tmpdir(), "vr-coturn-"));
  const port = await freePort();
  // A relay port range of its own, away from the server's ICE ports (test.conf: 40000-40999).
  const minPort = 50000 + 100 * Math.floor(Math.random() * 100);
  const args = [
    "-n", // no config file
    `--listening-ip=127.0.0.1`, `--relay-ip=127.0.0.1`, `--listening-port=${port}`,
    `--min-port=${minPort}`, `--max-port=${minPort + 99}`,
    "--use-auth-secret", `--static-auth-secret=${SECRET}`, "--realm=videoroom",
    "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers", "--fingerprint",
    `--userdb=${path.join(dir, "turndb")}`, `--pidfile=${path.join(dir, "turnserver.pid")}`,
    "--log-file=stdout", "--simple-log", "--verbose",
  ];
  const proc = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (chunk) => {
    log += chunk.toString();
    if (log.length > 512 * 1024) log = log.slice(-512 * 1024);
  };
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  let exited = null;
  const exit = new Promise((resolve) => proc.on("exit", (code, signal) => resolve((exited = { code, signal }))));
  const t = {
    port,
    url: `turn://127.0.0.1:${port}`,
    log: () => log,
    dump: () => process.stderr.write(`\n----- coturn (${bin} ${args.join(" ")}) -----\n${log}\n----- end of coturn -----\n`),
    async stop() {
      if (!exited) {
        proc.kill("SIGTERM");
        if ((await Promise.race([exit, sleep(3000).then(() => null)])) === null) proc.kill("SIGKILL");
        await exit;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 10000;
  for (;;) {
    if (exited) {
      t.dump();
      throw new Error(`coturn exited at start-up: ${JSON.stringify(exited)}`);
    }
    const up = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) return t;
    if (Date.now() > deadline) {
      t.dump();
      await t.stop();
      throw new Error("coturn not listening within 10 s");
    }
    await sleep(100);
  }
}

before(async () => {
  turn = await startCoturn();
});

after(async () => {
  await closeAll();
  await browser?.close();
  for (const s of servers) assert.equal((await s.stop()).code, 0, "the server exits cleanly");
  await turn?.stop();
});

const dumps = () => [...servers, turn];
const restPassword = (username) => createHmac("sha1", SECRET).update(username).digest("base64");

test("ice.turn-secret needs ice.turn-servers; TURN entries without a user need ice.turn-secret", () => {
  const cases = [
    [["--ice.turn-secret=x"], "ice.turn-secret"],
    [['--ice.turn-servers=["turn://127.0.0.1:3478"]'], "ice.turn-servers"],
    [["--ice.turn-secret=x", '--ice.turn-servers=["turn://127.0.0.1:3478"]', "--ice.turn-ttl=1s"], "ice.turn-ttl"],
  ];
  for (const [args, key] of cases) {
    const r = spawnSync(BIN, ["--config-file=config/test.conf", ...args], { cwd: ROOT, encoding: "utf8", timeout: 10000 });
    assert.equal(r.status, 2, `${args.join(" ")}: exit 2, got ${r.status} (${r.stderr})`);
    assert.ok(r.stderr.includes(key), `${args.join(" ")}: message names ${key}: ${r.stderr}`);
  }
});

test("peerAccepted gives each peer its own time-limited TURN credentials; static ones stay", guard(dumps, async () => {
  const srv = await startServer({
    "ice.turn-secret": SECRET,
    "ice.turn-ttl": "1h",
    "ice.turn-servers": `["${turn.url}", "turn://alice:s3cret@127.0.0.1:3479"]`,
  });
  servers.push(srv);
  const topic = roomTopic("turn");
  const ids = [];
  for (const name of ["Ann", "Bob"]) {
    const peer = await Peer.connect(srv, name);
    const { channel } = await peer.joinOk(topic, { displayName: name });
    const mark = peer.log.mark();
    peer.media(channel, "join", { metadata: { displayName: name } });
    const t0 = Math.floor(Date.now() / 1000);
    const { data } = await peer.waitMedia(topic, "peerAccepted", { since: mark });
    ids.push(data.id);
    assert.equal(data.iceServers.length, 2, JSON.stringify(data.iceServers));
    const [rest, fixed] = data.iceServers;
    assert.equal(rest.urls, `turn:127.0.0.1:${turn.port}`);
    const m = /^(\d+):(.+)$/.exec(rest.username);
    assert.ok(m, `username EXPIRY:PEERID, got ${rest.username}`);
    assert.equal(m[2], data.id, "the username names the peer");
    assert.ok(Math.abs(Number(m[1]) - (t0 + 3600)) <= 5, `expiry now + ice.turn-ttl, got ${m[1]} (now ${t0})`);
    assert.equal(rest.credential, restPassword(rest.username), "credential = base64(HMAC-SHA1(secret, username))");
    assert.deepEqual(fixed, { urls: "turn:127.0.0.1:3479", username: "alice", credential: "s3cret" });
  }
  assert.notEqual(ids[0], ids[1]);
  await srv.stop();
}));

test("a relay-only page publishes and receives through coturn; its selected pairs are relay", guard(dumps, async () => {
  const srv = await startServer({ "ice.turn-secret": SECRET, "ice.turn-servers": `["${turn.url}"]` });
  servers.push(srv);
  browser = await launch();
  const relayed = await openRoom(browser, srv.httpUrl, "e2e_turn", "Ann", "&relay=1");
  const direct = await openRoom(browser, srv.httpUrl, "e2e_turn", "Bob");
  const [ia, ib] = await Promise.all([peerId(relayed), peerId(direct)]);

  // Media both ways: what Ann publishes through coturn is decoded by Bob, and
  // what Bob publishes reaches Ann through coturn.
  await waitStats(direct, (s) => received(s, ia, "video", "framesDecoded") > 10 &&
    received(s, ia, "audio", "packetsReceived") > 20, "Bob decoding Ann (published through TURN)", 30000);
  await waitStats(relayed, (s) => received(s, ib, "video", "framesDecoded") > 10 &&
    received(s, ib, "audio", "packetsReceived") > 20, "Ann decoding Bob (received through TURN)", 30000);

  // Both of Ann's connections to the server run over a relay candidate of hers.
  const paths = await poll(() => relayed.evaluate(() => window.videoroom.icePaths()),
    (ps) => ps.length === 2, "Ann's two selected candidate pairs");
  for (const p of paths) assert.equal(p.local, "relay", `Ann's ${p.pc} pair: local candidate ${JSON.stringify(p)}`);
  const bobPaths = await direct.evaluate(() => window.videoroom.icePaths());
  assert.ok(bobPaths.length === 2 && bobPaths.every((p) => p.local !== "relay"),
    `Bob (no relay=1) does not use TURN: ${JSON.stringify(bobPaths)}`);

  // coturn accepted Ann's REST credentials (the username names her peer id).
  const allocated = new RegExp(`user <\\d+:${ia}>: incoming packet ALLOCATE processed, success`);
  await poll(() => turn.log(), (l) => allocated.test(l), "coturn allocating for Ann's TURN username", 5000);

  for (const p of [relayed, direct]) await p.context().close();
  await srv.stop();
}));

test("with a secret coturn does not share, a relay-only page gets no media", guard(dumps, async () => {
  const srv = await startServer({ "ice.turn-secret": "not-the-coturn-secret", "ice.turn-servers": `["${turn.url}"]` });
  servers.push(srv);
  browser ??= await launch();
  const direct = await openRoom(browser, srv.httpUrl, "e2e_turn_bad", "Dee");
  const relayed = await openRoom(browser, srv.httpUrl, "e2e_turn_bad", "Cid", "&relay=1");
  const [ic, id] = await Promise.all([peerId(relayed), peerId(direct)]);
  // coturn refuses Cid's credentials...
  const refused = new RegExp(`user <\\d+:${ic}>: [^\\n]*error 401`);
  await poll(() => turn.log(), (l) => refused.test(l), "coturn refusing Cid's TURN credentials", 10000);
  // ...so Cid, who may only relay, has no path to the server and receives nothing.
  await sleep(3000);
  const s = await relayed.evaluate(() => window.videoroom.stats());
  assert.equal(received(s, id, "video", "framesDecoded"), 0, "no video without TURN");
  assert.deepEqual(await relayed.evaluate(() => window.videoroom.icePaths()), [], "no selected candidate pair");
  for (const p of [relayed, direct]) await p.context().close();
  await srv.stop();
}));
