// Network impairment for browser tests and benchmarks, everything on 127.0.0.1.
//
// The test runs in a network namespace of its own (test/netem/in-netns), so the
// server, the browsers and this harness share a private loopback. A page given a
// profile (impair()) sends each of its RTCPeerConnections through its own UDP
// relay (relay.mjs): an init script rewrites the 127.0.0.1 host candidates both
// ways (the server's to the relay's front port, the browser's to its back port),
// so ICE can only pair through the relay, which adds delay, jitter and a
// bandwidth cap. Loss is the kernel's: nftables rules on the relay's front port
// (`numgen random mod 100 < N drop` on the input hook), up and down separately.
//
//   const net = await startNetem();
//   const ctx = await browser.newContext();
//   const link = await net.impair(ctx, { lossDown: 5, down: { delayMs: 50 } });
//   ... await net.setLoss(link, { lossDown: 10 }); await net.stop();
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TABLE = "vr_netem";

// True when this process runs in the network namespace test/netem/in-netns made
// (it names it in VR_NETNS): only there may the harness change nftables.
export function inPrivateNetns() {
  try {
    return !!process.env.VR_NETNS && readlinkSync("/proc/self/ns/net") === process.env.VR_NETNS;
  } catch {
    return false;
  }
}

function nft(script) {
  const r = spawnSync("nft", ["-f", "-"], { input: script, encoding: "utf8", timeout: 5000 });
  if (r.status !== 0) throw new Error(`nft failed (${r.status}): ${r.stderr || r.error}\n${script}`);
}

function nftJson(...args) {
  const r = spawnSync("nft", ["-j", ...args], { encoding: "utf8", timeout: 5000 });
  if (r.status !== 0) throw new Error(`nft -j ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const lossRule = (chain, pct) =>
  `flush chain inet ${TABLE} ${chain}\n` +
  (pct > 0 ? `add rule inet ${TABLE} ${chain} numgen random mod 100 < ${Math.round(pct)} counter drop\n` : "");

export async function startNetem() {
  assert.ok(inPrivateNetns(), "the impairment harness changes nftables: run it in a network namespace of its own (test/netem/in-netns CMD)");
  nft(
    `add table inet ${TABLE}\ndelete table inet ${TABLE}\n` +
      `add table inet ${TABLE}\nadd chain inet ${TABLE} input { type filter hook input priority 0; policy accept; }\n`,
  );

  const proc = spawn(process.execPath, [path.join(HERE, "relay.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting = new Map();
  let seq = 0;
  readline.createInterface({ input: proc.stdout }).on("line", (line) => {
    const msg = JSON.parse(line);
    const w = waiting.get(msg.seq);
    waiting.delete(msg.seq);
    if (msg.error) w?.reject(new Error(`relay: ${msg.error}`));
    else w?.resolve(msg);
  });
  const exited = new Promise((resolve) => proc.on("exit", resolve));
  const call = (cmd, args = {}) =>
    new Promise((resolve, reject) => {
      const s = ++seq;
      waiting.set(s, { resolve, reject });
      proc.stdin.write(JSON.stringify({ seq: s, cmd, ...args }) + "\n");
    });

  const links = [];

  async function addRelay(link) {
    const r = await call("open", { profile: link.profile });
    nft(
      `add chain inet ${TABLE} down_${r.front}\nadd chain inet ${TABLE} up_${r.front}\n` +
        // Down: the relay's front socket sends to the browser; up: the browser sends to it.
        `add rule inet ${TABLE} input ip saddr 127.0.0.1 udp sport ${r.front} jump down_${r.front}\n` +
        `add rule inet ${TABLE} input ip daddr 127.0.0.1 udp dport ${r.front} jump up_${r.front}\n` +
        lossRule(`down_${r.front}`, link.loss.down) +
        lossRule(`up_${r.front}`, link.loss.up),
    );
    link.relays.push(r);
    return r;
  }

  return {
    // A link without a browser, and a relay on it (the harness test drives
    // them with plain UDP sockets): relay.front / relay.back are its ports.
    link(profile = {}) {
      const link = { profile: { up: profile.up, down: profile.down }, loss: lossOf(profile), relays: [] };
      links.push(link);
      return link;
    },
    openRelay: (link) => addRelay(link),
    setTarget: (relay, port) => call("target", { id: relay.id, port }),

    // Sends every RTCPeerConnection of the pages of `context` (a Playwright
    // BrowserContext, before its first page) through a relay of its own.
    // profile: { loss?, lossDown?, lossUp? (percent), down?, up? (relay.mjs DIR) }.
    async impair(context, profile = {}) {
      const link = this.link(profile);
      await context.exposeFunction("__vrNetemOpen", () => addRelay(link));
      await context.exposeFunction("__vrNetemTarget", (id, port) => call("target", { id, port }));
      await context.addInitScript(pcHook, { relay: true });
      return link;
    },

    // Changes a link's loss (nftables) and, when given, its delay/jitter/cap.
    async setLoss(link, profile) {
      link.loss = lossOf(profile, link.loss);
      if (profile.up || profile.down) link.profile = { up: profile.up ?? link.profile.up, down: profile.down ?? link.profile.down };
      for (const r of link.relays) {
        nft(lossRule(`down_${r.front}`, link.loss.down) + lossRule(`up_${r.front}`, link.loss.up));
        if (profile.up || profile.down) await call("profile", { id: r.id, profile: link.profile });
      }
    },

    // Packets nftables dropped and the relays carried, per link (RTP packets also
    // per "payloadType/ssrc", as they entered the relay: e.g. RTX on the wire).
    async counters(link) {
      const drops = { down: 0, up: 0 };
      for (const item of nftJson("list", "table", "inet", TABLE).nftables) {
        const rule = item.rule;
        if (!rule) continue;
        const m = /^(down|up)_(\d+)$/.exec(rule.chain);
        if (!m || !link.relays.some((r) => r.front === Number(m[2]))) continue;
        const counter = rule.expr.find((e) => e.counter)?.counter;
        if (counter) drops[m[1]] += counter.packets;
      }
      const { relays } = await call("stats");
      const carried = { down: 0, up: 0, queueDrops: 0, rtpDown: {}, rtpUp: {} };
      const add = (into, from) => {
        for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
      };
      for (const r of link.relays) {
        const { up, down } = relays[r.id];
        carried.down += down.packets;
        carried.up += up.packets;
        carried.queueDrops += down.queueDrops + up.queueDrops;
        add(carried.rtpDown, down.rtp);
        add(carried.rtpUp, up.rtp);
      }
      return { nftDrops: drops, relayed: carried };
    },

    async stop() {
      proc.stdin.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      proc.kill("SIGKILL");
      nft(`delete table inet ${TABLE}\n`);
    },
  };
}

function lossOf(p, base = { down: 0, up: 0 }) {
  return {
    down: p.lossDown ?? p.loss ?? base.down,
    up: p.lossUp ?? p.loss ?? base.up,
  };
}

// Records every RTCPeerConnection of a page (rtpStats() reads them), for pages
// that are not impaired. Call before the context's first page.
export async function captureStats(context) {
  await context.addInitScript(pcHook, { relay: false });
}

// Every inbound-rtp / outbound-rtp / remote-inbound-rtp entry of a page's connections,
// raw (nackCount, pliCount, freezeCount, frameWidth... as the browser names them).
export function rtpStats(page) {
  return page.evaluate(async () => {
    const out = [];
    for (const pc of window.__vrPcs ?? []) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((s) => {
        if (["inbound-rtp", "outbound-rtp", "remote-inbound-rtp"].includes(s.type)) out.push({ ...s });
      });
    }
    return out;
  });
}

// Runs in the page before its scripts (Playwright init script). With `relay`,
// every connection gets a relay from the harness (__vrNetemOpen) and its
// 127.0.0.1 UDP host candidates are rewritten to the relay's ports; all other
// candidates (TCP, IPv6) are dropped, so no path bypasses the relay.
function pcHook({ relay }) {
  const Native = window.RTCPeerConnection;
  const CAND = /^(a=)?(candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 )(\d+)( typ host.*)$/i;
  window.__vrPcs = [];

  class Hooked extends Native {
    constructor(...args) {
      super(...args);
      window.__vrPcs.push(this);
      if (!relay) return;
      this.__relay = window.__vrNetemOpen().then((r) => (this.__r = r));
    }
  }
  if (relay) {
    const P = Hooked.prototype;
    // The server's candidate (its one bundled port) → the relay's front port.
    P.__remote = async function (line) {
      const r = await this.__relay;
      const m = CAND.exec(line);
      if (!m) return null;
      const port = Number(m[3]);
      if (r.target === undefined) {
        r.target = port;
        await window.__vrNetemTarget(r.id, port);
      }
      return port === r.target ? `${m[1] ?? ""}${m[2]}${r.front}${m[4]}` : null;
    };
    // Our own candidate → the relay's back port (where the server sees us).
    P.__local = function (line) {
      const m = CAND.exec(line);
      return m ? `${m[1] ?? ""}${m[2]}${this.__r.back}${m[4]}` : null;
    };
    P.__sdp = async function (sdp, map) {
      const out = [];
      for (const line of sdp.split("\r\n")) {
        if (!line.startsWith("a=candidate:")) out.push(line);
        else {
          const l = await map(line);
          if (l) out.push(l);
        }
      }
      return out.join("\r\n");
    };
    P.setRemoteDescription = async function (desc) {
      return Native.prototype.setRemoteDescription.call(this, { type: desc.type, sdp: await this.__sdp(desc.sdp, (l) => this.__remote(l)) });
    };
    P.addIceCandidate = async function (init) {
      if (!init?.candidate) return Native.prototype.addIceCandidate.call(this, init);
      const c = await this.__remote(init.candidate);
      if (c) return Native.prototype.addIceCandidate.call(this, { ...init, candidate: c });
    };
    P.setLocalDescription = async function (...args) {
      await this.__relay; // localDescription (read right after) needs the ports
      return Native.prototype.setLocalDescription.apply(this, args);
    };
    const localDesc = Object.getOwnPropertyDescriptor(Native.prototype, "localDescription");
    Object.defineProperty(P, "localDescription", {
      get() {
        const d = localDesc.get.call(this);
        if (!d || !this.__r) return d;
        const sdp = d.sdp.split("\r\n").map((l) => (l.startsWith("a=candidate:") ? this.__local(l) : l)).filter((l) => l !== null).join("\r\n");
        return { type: d.type, sdp, toJSON: () => ({ type: d.type, sdp }) };
      },
    });
    const onCand = Object.getOwnPropertyDescriptor(Native.prototype, "onicecandidate");
    Object.defineProperty(P, "onicecandidate", {
      get() {
        return this.__onCand ?? null;
      },
      set(handler) {
        this.__onCand = handler;
        onCand.set.call(this, !handler ? null : async (e) => {
          await this.__relay;
          const c = e.candidate;
          if (!c || !c.candidate) return handler.call(this, e);
          const line = this.__local(c.candidate);
          if (line) handler.call(this, { candidate: { candidate: line, sdpMLineIndex: c.sdpMLineIndex, sdpMid: c.sdpMid, usernameFragment: c.usernameFragment } });
        });
      },
    });
  }
  window.RTCPeerConnection = Hooked;
}
