// Several videoroom nodes as one cluster on loopback, for node tests: short
// heartbeats so that lost nodes are noticed fast.
import { freePort, startServer } from "./server.mjs";

export const HEARTBEAT_MS = 200;
export const CONNECTION_TIMEOUT_MS = 1000;

// Starts `n` nodes, the first alone and the others seeded by it. Each server
// object gets `nodeName` ("127.0.0.1:PORT", its name in the cluster).
// `connectionTimeoutMs`: how long a silent node is still counted.
// `perNode(i)`: more config overrides for node i.
export async function startCluster(n, { connectionTimeoutMs = CONNECTION_TIMEOUT_MS, perNode = () => ({}) } = {}) {
  const nodes = [];
  for (let i = 0; i < n; i++) {
    const nodePort = await freePort();
    const seeds = i === 0 ? "[]" : `["${nodes[0].nodeName}"]`;
    const srv = await startServer({
      "cluster.node-port": nodePort,
      "cluster.seeds": seeds,
      "cluster.heartbeat-interval": `${HEARTBEAT_MS}ms`,
      "cluster.connection-timeout": `${connectionTimeoutMs}ms`,
      ...perNode(i),
    });
    srv.nodeName = `127.0.0.1:${nodePort}`;
    nodes.push(srv);
  }
  return nodes;
}

// Waits until each of `nodes` counts exactly them in its /healthz.
export async function waitConverged(nodes, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(nodes.map(async (s) => (await fetch(`${s.httpUrl}/healthz`)).text()));
    if (views.every((v) => v.includes(`cluster nodes ${nodes.length}\n`))) return;
    if (Date.now() > end) throw new Error(`cluster did not converge: ${JSON.stringify(views)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The placement oracle: actors/rendezvous.cpp, again (FNV-1a 64, then the
// splitmix64 finalizer), so a test can name the node a room must live on.
const MASK = (1n << 64n) - 1n;
function fnv1a(h, s) {
  for (const b of Buffer.from(s)) h = ((h ^ BigInt(b)) * 1099511628211n) & MASK;
  return h;
}
function mix(x) {
  x ^= x >> 30n;
  x = (x * 0xbf58476d1ce4e5b9n) & MASK;
  x ^= x >> 27n;
  x = (x * 0x94d049bb133111ebn) & MASK;
  return x ^ (x >> 31n);
}
export function rendezvousOwner(room, names) {
  let best = null, bestWeight = -1n;
  for (const n of names) {
    const w = mix(fnv1a(fnv1a(fnv1a(14695981039346656037n, n), "\0"), room));
    if (w > bestWeight || (w === bestWeight && n < best)) [best, bestWeight] = [n, w];
  }
  return best;
}

// The first `${prefix}${k}` that `among` place on node `on`.
export function roomOn(on, among, prefix) {
  for (let k = 0; ; k++) {
    const room = `${prefix}${k}`;
    if (rendezvousOwner(room, among.map((s) => s.nodeName)) === on.nodeName) return room;
  }
}
