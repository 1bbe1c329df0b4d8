// Test clients: a Peer wraps the official `phoenix` npm Socket running on the `ws`
// package, and records every frame the server sends (as the raw 5-element array)
// so tests can wait for one with a bounded timeout and check the exact fields.
// RawWs is a plain `ws` WebSocket for hostile input.
import { Socket } from "phoenix";
import WebSocket from "ws";

export const DEFAULT_TIMEOUT = 5000;
const live = new Set(); // every Peer/RawWs not closed yet, for closeAll()

let uniq = 0;
// A fresh room topic: room:<prefix>_<counter>_<random>.
export function roomTopic(prefix = "t") {
  uniq += 1;
  return `room:${prefix}_${uniq}_${Math.random().toString(36).slice(2, 8)}`;
}

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// Decodes a mediaEvent payload {"data": STRING} → {type, data}; throws when malformed.
export function decodeMedia(payload) {
  if (!payload || typeof payload.data !== "string")
    throw new Error(`mediaEvent payload is not {"data": STRING}: ${JSON.stringify(payload)}`);
  const inner = JSON.parse(payload.data);
  return inner;
}

// Records frames (decoded JSON arrays or raw text) and lets tests wait for them.
class FrameLog {
  constructor(name) {
    this.name = name;
    this.frames = []; // { at, frame, text }
    this.waiters = new Set();
  }
  add(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      frame = undefined;
    }
    const entry = { at: Date.now(), frame, text, index: this.frames.length };
    this.frames.push(entry);
    for (const w of [...this.waiters]) {
      if (entry.index >= w.since && w.pred(entry.frame, entry)) {
        this.waiters.delete(w);
        w.resolve(entry);
      }
    }
  }
  mark() {
    return this.frames.length;
  }
  find(pred, since = 0) {
    for (let i = since; i < this.frames.length; i++)
      if (pred(this.frames[i].frame, this.frames[i])) return this.frames[i];
    return undefined;
  }
  // Resolves with the first entry (index ≥ since) matching pred; rejects after timeout.
  wait(pred, { since = 0, timeout = DEFAULT_TIMEOUT, what = "a frame" } = {}) {
    const found = this.find(pred, since);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      let timer;
      const w = {
        pred,
        since,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      this.waiters.add(w);
      timer = setTimeout(() => {
        if (!this.waiters.has(w)) return;
        this.waiters.delete(w);
        const seen = this.frames.slice(since).map((e) => e.text).join("\n  ");
        reject(new Error(`${this.name}: no ${what} within ${timeout} ms; frames seen since:\n  ${seen}`));
      }, timeout);
    });
  }
  // Waits `ms` and returns every matching entry (index ≥ since): for "nothing arrives" checks.
  async collect(pred, { since = 0, ms = 300 } = {}) {
    await new Promise((r) => setTimeout(r, ms));
    return this.frames.slice(since).filter((e) => pred(e.frame, e));
  }
}

// frame predicates
export const isEvent = (topic, event) => (f) =>
  Array.isArray(f) && f[2] === topic && f[3] === event;
export const isReplyTo = (topic, ref) => (f) =>
  Array.isArray(f) && f[1] === ref && f[2] === topic && f[3] === "phx_reply";
export const isMedia = (topic, type, dataPred = () => true) => (f) => {
  if (!Array.isArray(f) || f[2] !== topic || f[3] !== "mediaEvent") return false;
  try {
    const m = decodeMedia(f[4]);
    return m.type === type && dataPred(m.data);
  } catch {
    return false;
  }
};

// A peer: one phoenix Socket (= one browser tab) on the `ws` transport.
export class Peer {
  // `wsOptions` go to ws's WebSocket (e.g. { ca } for a wss:// server).
  constructor(url, name = "peer", wsOptions = undefined) {
    this.name = name;
    this.log = new FrameLog(name);
    this.closeEvent = null;
    const log = this.log;
    const self = this;
    // The transport: ws's WebSocket, recording every text frame the server sends.
    class RecordingWebSocket extends WebSocket {
      constructor(address, protocols) {
        super(address, protocols, wsOptions);
        self.ws = this;
        this.on("message", (data, isBinary) => {
          if (!isBinary) log.add(data.toString());
        });
        this.on("close", (code, reason) => {
          self.closeEvent = { code, reason: reason.toString() };
        });
      }
    }
    this.socket = new Socket(url, {
      transport: RecordingWebSocket,
      params: {},
      heartbeatIntervalMs: 1000,
      timeout: DEFAULT_TIMEOUT,
      reconnectAfterMs: () => 3600 * 1000, // never within a test; close() clears it
      rejoinAfterMs: () => 3600 * 1000,
    });
    this.channels = new Map(); // topic → channel
    live.add(this);
  }

  static async connect(srv, name) {
    const p = new Peer(srv.socketUrl, name, srv.wsOptions);
    await p.open();
    return p;
  }

  open(timeout = DEFAULT_TIMEOUT) {
    return withTimeout(
      new Promise((resolve, reject) => {
        const ok = this.socket.onOpen(() => {
          this.socket.off([ok, err]);
          resolve();
        });
        const err = this.socket.onError((e) => {
          this.socket.off([ok, err]);
          reject(new Error(`${this.name}: socket error on connect: ${e?.message || e}`));
        });
        this.socket.connect();
      }),
      timeout,
      `${this.name}: socket open`,
    );
  }

  // Joins a topic. Resolves {status: "ok"|"error", response, channel, joinRef};
  // on error the channel's automatic rejoin is stopped.
  join(topic, params, timeout = DEFAULT_TIMEOUT) {
    const channel = this.socket.channel(topic, params);
    return withTimeout(
      new Promise((resolve, reject) => {
        channel
          .join(timeout)
          .receive("ok", (response) => {
            this.channels.set(topic, channel);
            resolve({ status: "ok", response, channel, joinRef: channel.joinRef() });
          })
          .receive("error", (response) => {
            // Stop phoenix.js from rejoining by itself.
            channel.rejoinTimer.reset();
            this.socket.remove(channel);
            resolve({ status: "error", response, channel, joinRef: channel.joinRef() });
          })
          .receive("timeout", () => {
            channel.rejoinTimer.reset();
            this.socket.remove(channel);
            reject(new Error(`${this.name}: join ${topic} timed out`));
          });
      }),
      timeout + 1000,
      `${this.name}: join ${topic}`,
    );
  }

  // Joins and asserts ok; returns the reply response with the channel attached.
  async joinOk(topic, params) {
    const r = await this.join(topic, params);
    if (r.status !== "ok")
      throw new Error(`${this.name}: join ${topic} ${JSON.stringify(params)} failed: ${JSON.stringify(r.response)}`);
    return r;
  }

  // A request push; resolves {status, response}.
  request(channel, event, payload, timeout = DEFAULT_TIMEOUT) {
    return withTimeout(
      new Promise((resolve, reject) => {
        channel
          .push(event, payload, timeout)
          .receive("ok", (response) => resolve({ status: "ok", response }))
          .receive("error", (response) => resolve({ status: "error", response }))
          .receive("timeout", () => reject(new Error(`${this.name}: ${event} on ${channel.topic}: no reply`)));
      }),
      timeout + 1000,
      `${this.name}: ${event}`,
    );
  }

  // Sends a frame through the phoenix socket (no reply expected, no timer left behind).
  // Returns the ref used.
  pushRaw(topic, event, payload, joinRef = null) {
    const ref = this.socket.makeRef();
    this.socket.push({ topic, event, payload, ref, join_ref: joinRef });
    return ref;
  }

  // A media event: payload {"data": JSON.stringify({type, data})}.
  media(channel, type, data = {}) {
    return this.pushRaw(channel.topic, "mediaEvent", { data: JSON.stringify({ type, data }) }, channel.joinRef());
  }

  // Waits for a server push of `event` on `topic`; resolves the raw frame.
  async waitEvent(topic, event, { since = 0, timeout = DEFAULT_TIMEOUT, where = () => true } = {}) {
    const e = await this.log.wait((f) => isEvent(topic, event)(f) && where(f[4]), {
      since,
      timeout,
      what: `"${event}" on ${topic}`,
    });
    return e.frame;
  }

  // Waits for a mediaEvent of `type` on `topic`; resolves the inner {type, data}.
  async waitMedia(topic, type, { since = 0, timeout = DEFAULT_TIMEOUT, where = () => true } = {}) {
    const e = await this.log.wait(isMedia(topic, type, where), {
      since,
      timeout,
      what: `mediaEvent "${type}" on ${topic}`,
    });
    return decodeMedia(e.frame[4]);
  }

  // Media events of `type` on `topic` received (index ≥ since) within `ms`.
  async mediaWithin(topic, type, { since = 0, ms = 300 } = {}) {
    const es = await this.log.collect(isMedia(topic, type), { since, ms });
    return es.map((e) => decodeMedia(e.frame[4]));
  }

  // Frames of `event` on `topic` received (index ≥ since) within `ms`.
  async eventsWithin(topic, event, { since = 0, ms = 300 } = {}) {
    const es = await this.log.collect(isEvent(topic, event), { since, ms });
    return es.map((e) => e.frame);
  }

  // Media join: {type: "join", data: {metadata: {displayName}}} → the peerAccepted data.
  async mediaJoin(channel, metadata) {
    const since = this.log.mark();
    this.media(channel, "join", { metadata });
    const m = await this.waitMedia(channel.topic, "peerAccepted", { since });
    return m.data;
  }

  // Heartbeat [null, ref, "phoenix", "heartbeat", {}]; resolves the raw reply frame.
  async heartbeat(timeout = DEFAULT_TIMEOUT) {
    const ref = this.pushRaw("phoenix", "heartbeat", {});
    const e = await this.log.wait(isReplyTo("phoenix", ref), { timeout, what: `heartbeat reply ${ref}` });
    return e.frame;
  }

  // Closes the TCP connection without a WebSocket close frame (a killed tab).
  async terminate(timeout = DEFAULT_TIMEOUT) {
    const ws = this.ws;
    const closed = new Promise((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) resolve();
      else ws.once("close", resolve);
    });
    ws.terminate();
    await withTimeout(closed, timeout, `${this.name}: terminate`);
    await this.close();
  }

  // Clean close: stops every timer phoenix.js holds and closes the WebSocket.
  async close(timeout = DEFAULT_TIMEOUT) {
    if (!live.has(this)) return;
    live.delete(this);
    for (const ch of this.socket.channels) ch.rejoinTimer.reset();
    await withTimeout(
      new Promise((resolve) => this.socket.disconnect(resolve)),
      timeout,
      `${this.name}: disconnect`,
    ).catch(() => this.ws?.terminate());
  }
}

// A plain WebSocket client for hostile input: sends anything, records everything.
export class RawWs {
  constructor(url, name = "raw", wsOptions = {}) {
    this.name = name;
    this.log = new FrameLog(name);
    this.closeEvent = null;
    this.ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, ...wsOptions });
    this.binaryFrames = 0;
    this.ws.on("message", (data, isBinary) => {
      if (isBinary) this.binaryFrames += 1;
      else this.log.add(data.toString());
    });
    this.ws.on("error", (err) => {
      this.error = err;
    });
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => {
        this.closeEvent = { code, reason: reason.toString(), at: Date.now() };
        this.stopKeepAlive();
        live.delete(this);
        resolve(this.closeEvent);
      });
    });
    this.keepAlive = null;
    this.ref = 0;
    live.add(this);
  }

  static async connect(url, name, { keepAliveMs = 0, wsOptions = {} } = {}) {
    const c = new RawWs(url, name, wsOptions);
    await withTimeout(
      new Promise((resolve, reject) => {
        c.ws.once("open", resolve);
        c.ws.once("error", reject);
      }),
      DEFAULT_TIMEOUT,
      `${name}: open`,
    );
    c.openedAt = Date.now();
    if (keepAliveMs > 0) c.startKeepAlive(keepAliveMs);
    return c;
  }

  nextRef() {
    this.ref += 1;
    return `r${this.ref}`;
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  // Heartbeats so an idle timeout never closes this socket during a test.
  startKeepAlive(ms) {
    this.stopKeepAlive();
    this.keepAlive = setInterval(() => {
      if (this.isOpen) this.ws.send(JSON.stringify([null, `ka${++this.ref}`, "phoenix", "heartbeat", {}]));
    }, ms);
  }

  stopKeepAlive() {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  sendText(text) {
    this.ws.send(text, { binary: false });
  }

  sendFrame(arr) {
    this.ws.send(JSON.stringify(arr), { binary: false });
  }

  // Sends [join_ref, ref, topic, event, payload] and waits for the phx_reply with that ref.
  async call(joinRef, topic, event, payload, timeout = DEFAULT_TIMEOUT) {
    const ref = this.nextRef();
    const since = this.log.mark();
    this.sendFrame([joinRef, ref, topic, event, payload]);
    const e = await this.log.wait(isReplyTo(topic, ref), { since, timeout, what: `reply to ${event} (${ref})` });
    return e.frame;
  }

  async heartbeat(timeout = DEFAULT_TIMEOUT) {
    return this.call(null, "phoenix", "heartbeat", {}, timeout);
  }

  async close(timeout = DEFAULT_TIMEOUT) {
    this.stopKeepAlive();
    if (this.ws.readyState === WebSocket.CLOSED) return this.closeEvent;
    if (this.ws.readyState !== WebSocket.CLOSING) this.ws.close(1000);
    return withTimeout(this.closed, timeout, `${this.name}: close`).catch(() => {
      this.ws.terminate();
      return this.closed;
    });
  }
}

// Closes every Peer and RawWs still open (for after()).
export async function closeAll() {
  await Promise.all([...live].map((c) => c.close().catch(() => {})));
}
