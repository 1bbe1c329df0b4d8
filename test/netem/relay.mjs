// A UDP relay on 127.0.0.1 that adds delay, jitter and a bandwidth cap to one
// browser connection (the kernel has no netem; loss is nftables' job, netem.mjs).
// It runs as its own process so the test's event loop (Playwright traffic) adds
// no jitter of its own. Commands on stdin, one JSON object a line; each answered
// on stdout with one JSON line carrying the same `seq`:
//   {"seq", "cmd": "open", "profile"}    → {"seq", "id", "front", "back"}
//   {"seq", "cmd": "target", "id", "port"}  the server's ICE port (127.0.0.1)
//   {"seq", "cmd": "profile", "id", "profile"}
//   {"seq", "cmd": "stats"}               → {"seq", "relays": {id: counters}}
// profile: {"up": DIR, "down": DIR}, DIR = {"delayMs", "jitterMs", "kbps", "queueMs"}
// (all optional; "down" is server → browser). A relay is a pair of sockets: the
// browser talks to `front` (its remote candidate), the server to `back` (the
// browser's candidate as the server sees it), like a NAT with one mapping.
import dgram from "node:dgram";
import readline from "node:readline";

const HOST = "127.0.0.1";

// One direction of a link: FIFO delivery after delay ± jitter (no reordering),
// serialised at `kbps` with a drop-tail queue of `queueMs`.
class Link {
  constructor(send) {
    this.send = send;
    this.set({});
    this.linkFree = 0; // when the link finishes sending what is queued (ms, monotonic)
    this.lastDue = 0;
    // rtp: packets per "payloadType/ssrc" (RTP headers are clear under SRTP).
    this.counters = { packets: 0, bytes: 0, queueDrops: 0, rtp: {} };
  }

  set({ delayMs = 0, jitterMs = 0, kbps = 0, queueMs = 200 } = {}) {
    Object.assign(this, { delayMs, jitterMs, kbps, queueMs });
  }

  push(buf) {
    const now = performance.now();
    let leave = now;
    if (this.kbps > 0) {
      const start = Math.max(now, this.linkFree);
      if (start - now > this.queueMs) {
        this.counters.queueDrops++;
        return;
      }
      this.linkFree = start + (buf.length * 8) / this.kbps; // kbit/s = bit/ms
      leave = this.linkFree;
    }
    const jitter = this.jitterMs > 0 ? (Math.random() * 2 - 1) * this.jitterMs : 0;
    const due = Math.max(leave + this.delayMs + jitter, this.lastDue);
    this.lastDue = due;
    this.counters.packets++;
    this.counters.bytes += buf.length;
    // RTP (version 2, not RTCP's payload types 192-223 under rtcp-mux).
    if (buf.length >= 12 && buf[0] >> 6 === 2 && (buf[1] < 192 || buf[1] > 223)) {
      const key = `${buf[1] & 0x7f}/${buf.readUInt32BE(8)}`;
      this.counters.rtp[key] = (this.counters.rtp[key] ?? 0) + 1;
    }
    // Timers count whole milliseconds (rounded up here; libuv's loop clock may
    // still fire one up to 1 ms early).
    const wait = due - performance.now();
    if (wait <= 0) this.send(buf);
    else setTimeout(() => this.send(buf), Math.ceil(wait));
  }
}

const relays = new Map();
let nextId = 1;

function bind(sock) {
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, HOST, () => resolve(sock.address().port));
  });
}

async function open(profile) {
  const id = nextId++;
  const front = dgram.createSocket("udp4");
  const back = dgram.createSocket("udp4");
  const r = { front, back, browser: null, target: null };
  // up: browser → front → back → server; down: server → back → front → browser.
  r.up = new Link((b) => r.target && back.send(b, r.target, HOST));
  r.down = new Link((b) => r.browser && front.send(b, r.browser.port, r.browser.address));
  front.on("message", (b, rinfo) => {
    r.browser = rinfo; // the browser's socket: the only sender to `front`
    r.up.push(b);
  });
  back.on("message", (b, rinfo) => {
    if (rinfo.port === r.target) r.down.push(b);
  });
  for (const s of [front, back]) s.on("error", () => {}); // e.g. ICMP unreachable after a close
  const [fp, bp] = await Promise.all([bind(front), bind(back)]);
  setProfile(r, profile);
  relays.set(id, r);
  return { id, front: fp, back: bp };
}

function setProfile(r, profile = {}) {
  r.up.set(profile.up);
  r.down.set(profile.down);
}

const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
    const r = relays.get(msg.id);
    switch (msg.cmd) {
      case "open":
        return out({ seq: msg.seq, ...(await open(msg.profile)) });
      case "target":
        r.target = msg.port;
        return out({ seq: msg.seq });
      case "profile":
        setProfile(r, msg.profile);
        return out({ seq: msg.seq });
      case "stats":
        return out({
          seq: msg.seq,
          relays: Object.fromEntries([...relays].map(([id, x]) => [id, { up: x.up.counters, down: x.down.counters }])),
        });
      default:
        throw new Error(`unknown command ${msg.cmd}`);
    }
  } catch (e) {
    out({ seq: msg?.seq, error: String(e?.message ?? e) });
  }
});
// The parent closed our stdin (it ended or died): so do we.
rl.on("close", () => process.exit(0));
