// Room chat against the real server (protocol.md section 6): the `chat` request,
// the `chat` push every member gets (sender and viewers included, call rooms
// too), the history in the join reply (the last 50, oldest first), the checks on
// the text (trimmed, 1..2000 code points, carried as data) and the per-peer rate
// limit. Also the refusals of updateTrackMetadata that need no media (the
// update itself, with real tracks, is in test/sfu: sfu_track_metadata_test.cpp).
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer, guard } from "./lib/server.mjs";
import { Peer, roomTopic, closeAll, isEvent } from "./lib/client.mjs";

let srv;
const QUIET_MS = 400; // how long "nothing else arrives" is watched

before(async () => {
  srv = await startServer();
});

afterEach(async () => {
  await closeAll();
});

after(async () => {
  await closeAll();
  if (srv && !srv.exited) await srv.stop(2000);
});

const T = (name, fn) => test(name, guard(() => [srv], fn));

async function enter(topic, name, extra = {}) {
  const peer = await Peer.connect(srv, name);
  const r = await peer.joinOk(topic, { displayName: name, ...extra });
  return { peer, ch: r.channel, id: r.response.peerId, reply: r.response, name };
}

const chat = (p, text) => p.peer.request(p.ch, "chat", { text });

// The `chat` pushes `p` got on `topic` since `since`, waiting QUIET_MS.
async function chatsWithin(p, topic, since) {
  return (await p.peer.eventsWithin(topic, "chat", { since, ms: QUIET_MS })).map((f) => f[4]);
}

T("every member gets a chat message, the sender and a viewer included", async () => {
  const topic = roomTopic("chat");
  const a = await enter(topic, "Alice");
  const b = await enter(topic, "Bob");
  const v = await enter(topic, "Vera", { role: "viewer" });
  assert.equal(v.reply.role, "viewer");
  assert.deepEqual(a.reply.chat, []);
  const marks = [a, b, v].map((p) => p.peer.log.mark());
  const before = Date.now();
  assert.deepEqual(await chat(b, "  hello there \n"), { status: "ok", response: {} });
  const after = Date.now();
  for (const [i, p] of [a, b, v].entries()) {
    const f = await p.peer.waitEvent(topic, "chat", { since: marks[i] });
    assert.deepEqual(Object.keys(f[4]), ["from", "name", "text", "at"]);
    assert.equal(f[4].from, b.id);
    assert.equal(f[4].name, "Bob");
    assert.equal(f[4].text, "hello there");
    assert.ok(Number.isInteger(f[4].at) && f[4].at >= before - 1000 && f[4].at <= after + 1000, `at ${f[4].at}`);
    assert.equal(f[1], null, "a push has no ref");
  }
  // A viewer chats too.
  const m = a.peer.log.mark();
  assert.equal((await chat(v, "from the back")).status, "ok");
  const f = await a.peer.waitEvent(topic, "chat", { since: m });
  assert.equal(f[4].from, v.id);
  assert.equal(f[4].text, "from the back");
});

T("a late joiner's join reply holds the last 50 messages, oldest first", async () => {
  const topic = roomTopic("hist");
  // Six senders in turn, each well under its burst of 10.
  const senders = [];
  for (let i = 0; i < 6; i++) senders.push(await enter(topic, `S${i}`, i >= 4 ? { role: "viewer" } : {}));
  for (let n = 0; n < 55; n++) {
    const r = await chat(senders[n % 6], `m${n}`);
    assert.equal(r.status, "ok", `message ${n}: ${JSON.stringify(r)}`);
  }
  const late = await enter(topic, "Late");
  const hist = late.reply.chat;
  assert.equal(hist.length, 50);
  assert.deepEqual(
    hist.map((m) => m.text),
    Array.from({ length: 50 }, (_, i) => `m${i + 5}`),
  );
  for (const [i, m] of hist.entries()) {
    const sender = senders[(i + 5) % 6];
    assert.deepEqual(Object.keys(m), ["from", "name", "text", "at"]);
    assert.equal(m.from, sender.id);
    assert.equal(m.name, sender.name);
    if (i > 0) assert.ok(m.at >= hist[i - 1].at, "in the order the room took them");
  }
  // The same in a second join reply: history is not consumed by a join.
  const later = await enter(topic, "Later");
  assert.deepEqual(later.reply.chat, hist);
  // The other keys of the join reply are as before.
  assert.deepEqual(Object.keys(late.reply).sort(), ["chat", "ownerId", "peerId", "recording", "role", "roomType"]);
});

T("empty, blank and over-long texts are invalid_params; 2000 emoji are fine", async () => {
  const topic = roomTopic("len");
  const a = await enter(topic, "Alice");
  const b = await enter(topic, "Bob");
  const since = b.peer.log.mark();
  for (const text of ["", "   ", " \n\t\r ", "\u3000\u200b", "x".repeat(2001), "😀".repeat(2001)]) {
    const r = await chat(a, text);
    assert.deepEqual(r, { status: "error", response: { reason: "invalid_params" } }, `text of ${text.length} units`);
  }
  for (const payload of [{}, { text: 5 }, { text: null }, { text: ["a"] }]) {
    const r = await a.peer.request(a.ch, "chat", payload);
    assert.deepEqual(r, { status: "error", response: { reason: "invalid_params" } }, JSON.stringify(payload));
  }
  assert.deepEqual(await chatsWithin(b, topic, since), [], "a refused text reaches nobody");
  // 2000 code points (4000 UTF-16 units, 8000 UTF-8 bytes) pass, whitespace trimmed.
  const emoji = "😀".repeat(2000);
  assert.equal((await chat(a, ` ${emoji}\n`)).status, "ok");
  const f = await b.peer.waitEvent(topic, "chat", { since });
  assert.equal(f[4].text, emoji);
  const x2000 = "x".repeat(2000);
  assert.equal((await chat(a, x2000)).status, "ok");
  assert.equal((await b.peer.waitEvent(topic, "chat", { since, where: (p) => p.text === x2000 }))[4].text, x2000);
});

T("text is data: markup and quotes arrive exactly as sent", async () => {
  const topic = roomTopic("html");
  const a = await enter(topic, "Alice");
  const b = await enter(topic, "Bob");
  const since = b.peer.log.mark();
  assert.equal((await chat(a, "<b>x</b>")).status, "ok");
  const e = await b.peer.log.wait(isEvent(topic, "chat"), { since });
  assert.equal(e.frame[4].text, "<b>x</b>");
  assert.ok(e.text.includes('"text":"<b>x</b>"'), e.text);
  const tricky = `"quoted" \\ back</script>\u2028end`;
  assert.equal((await chat(a, tricky)).status, "ok");
  const g = await b.peer.waitEvent(topic, "chat", { since, where: (p) => p.text !== "<b>x</b>" });
  assert.equal(g[4].text, tricky);
  // So does the history.
  const late = await enter(topic, "Late");
  assert.deepEqual(
    late.reply.chat.map((m) => m.text),
    ["<b>x</b>", tricky],
  );
});

T("a peer that chats too fast is refused with rate_limited, and others are not", async () => {
  const topic = roomTopic("rate");
  const a = await enter(topic, "Alice");
  const b = await enter(topic, "Bob");
  const since = b.peer.log.mark();
  // 30 at once: at most the burst of 10 plus what refills meanwhile get through.
  const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(a, `flood ${i}`)));
  const ok = replies.filter((r) => r.status === "ok").length;
  const limited = replies.filter((r) => r.status === "error" && r.response.reason === "rate_limited").length;
  assert.equal(ok + limited, 30, JSON.stringify(replies));
  assert.ok(ok >= 10 && ok < 20, `ok ${ok}`);
  assert.ok(limited > 10, `rate_limited ${limited}`);
  // Only what was accepted went out.
  const got = await chatsWithin(b, topic, since);
  assert.equal(got.length, ok);
  // The limit is per peer: Bob still chats.
  assert.equal((await chat(b, "my turn")).status, "ok");
  // And Alice again once her bucket refilled a little.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await chat(a, "calm now")).status, "ok");
});

T("a call room chats too", async () => {
  const topic = roomTopic("call");
  const a = await enter(topic, "Caller", { roomType: "call" });
  const b = await enter(topic, "Callee", { roomType: "call" });
  assert.equal(b.reply.roomType, "call");
  const [ma, mb] = [a.peer.log.mark(), b.peer.log.mark()];
  assert.equal((await chat(b, "can you hear me?")).status, "ok");
  for (const [p, m] of [[a, ma], [b, mb]]) {
    const f = await p.peer.waitEvent(topic, "chat", { since: m });
    assert.equal(f[4].from, b.id);
    assert.equal(f[4].name, "Callee");
    assert.equal(f[4].text, "can you hear me?");
  }
});

T("updateTrackMetadata for a track that is not there is an error media event", async () => {
  const topic = roomTopic("tmeta");
  const a = await enter(topic, "Alice");
  const b = await enter(topic, "Bob");
  // Outside the media session: not_joined, as for every media event.
  let since = a.peer.log.mark();
  a.peer.media(a.ch, "updateTrackMetadata", { trackId: "nope", trackMetadata: { muted: true } });
  let err = await a.peer.waitMedia(topic, "error", { since });
  assert.equal(err.data.reason, "not_joined");
  await a.peer.mediaJoin(a.ch, { displayName: "Alice" });
  await b.peer.mediaJoin(b.ch, { displayName: "Bob" });
  const sinceB = b.peer.log.mark();
  since = a.peer.log.mark();
  a.peer.media(a.ch, "updateTrackMetadata", { trackId: "nope", trackMetadata: { muted: true } });
  err = await a.peer.waitMedia(topic, "error", { since });
  assert.equal(err.data.reason, "invalid_params");
  since = a.peer.log.mark();
  a.peer.media(a.ch, "updateTrackMetadata", { trackId: "nope", trackMetadata: "muted" });
  err = await a.peer.waitMedia(topic, "error", { since });
  assert.equal(err.data.reason, "invalid_params");
  assert.deepEqual(await b.peer.mediaWithin(topic, "trackUpdated", { since: sinceB, ms: QUIET_MS }), []);
});
