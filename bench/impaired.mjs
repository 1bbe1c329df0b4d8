// The impaired-network benchmark (issue 22): one Chromium publisher and three
// Chromium subscribers (viewers) in a group room, on 127.0.0.1 in a network
// namespace of its own (test/netem):
//   clean   straight to the server, the reference;
//   lossy   100 ms RTT (50 ms each way, ±5 ms jitter) and 0, 2, 5, 10% loss each way;
//   capped  300 kbit/s toward it (250 ms drop-tail queue).
// The publisher goes through a relay too (no impairment), so a last phase can put
// 5% loss on its path. Per phase and subscriber: frames decoded per second, freezes,
// NACKs, retransmissions, PLIs, bitrate and the variant (resolution) received;
// whether the subscribers that are not capped keep the top variant while one is.
// Writes bench/results/impaired-latest.md and .dat (bench/impaired.gp plots it).
// The publisher sends simulcast (h/m/l) unless `--no-simulcast` is given, so a
// viewer's variant follows its own link.
// Usage: test/netem/in-netns node bench/impaired.mjs [seconds per phase = 20] [--no-simulcast]
import { writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import { startServer, sleep } from "../test/integration/lib/server.mjs";
import { launch, poll } from "../test/e2e/browser.mjs";
import { startNetem } from "../test/netem/netem.mjs";
import { delta, openPage, videoStats, waitPublishing } from "../test/netem/pages.mjs";

const args = process.argv.slice(2);
const simulcast = !args.includes("--no-simulcast");
const seconds = Number(args.find((a) => !a.startsWith("--")) ?? 20);
const SETTLE_MS = 4000; // after a change of loss: NACK/PLI state and the BWE settle
const LOSSES = [0, 2, 5, 10];
const RESULTS = "bench/results";

const RTT_100 = { delayMs: 50, jitterMs: 5 };
const phases = [
  ...LOSSES.map((loss) => ({ name: `lossy ${loss}%`, loss, lossy: { loss }, pub: { loss: 0 } })),
  { name: "publisher 5%", loss: null, lossy: { loss: 0 }, pub: { loss: 5 } },
];

// Bounded: setup, every phase and the teardown, with room to spare.
const budgetMs = 120000 + phases.length * (seconds * 1000 + SETTLE_MS + 5000);
setTimeout(() => {
  console.error(`bench/impaired: not done within ${budgetMs / 1000} s`);
  process.exit(1);
}, budgetMs).unref();

const srv = await startServer({ "rooms.simulcast": simulcast });
const net = await startNetem();
const browser = await launch();
const room = "bench_impaired";
const subs = [];
let pub;
try {
  pub = await openPage(browser, srv.httpUrl, room, "publisher", { net, profile: {}, query: simulcast ? "&simulcast=1" : "" });
  await waitPublishing(pub);
  subs.push(
    { ...(await openPage(browser, srv.httpUrl, room, "clean", { query: "&role=viewer" })), path: "direct" },
    { ...(await openPage(browser, srv.httpUrl, room, "lossy", { query: "&role=viewer", net, profile: { up: RTT_100, down: RTT_100 } })), path: "100 ms RTT + loss" },
    { ...(await openPage(browser, srv.httpUrl, room, "capped", { query: "&role=viewer", net, profile: { down: { kbps: 300, queueMs: 250 } } })), path: "300 kbit/s" },
  );
  for (const s of subs) await poll(() => videoStats(s.page), (v) => v.in.framesDecoded > 30, `${s.name} decoding`, 60000);

  const rows = [];
  for (const ph of phases) {
    await net.setLoss(subs[1].link, ph.lossy);
    await net.setLoss(pub.link, ph.pub);
    await sleep(SETTLE_MS);
    const drops0 = await Promise.all([net.counters(subs[1].link), net.counters(subs[2].link), net.counters(pub.link)]);
    const before = await Promise.all([pub, ...subs].map((p) => videoStats(p.page)));
    await sleep(seconds * 1000);
    const after = await Promise.all([pub, ...subs].map((p) => videoStats(p.page)));
    const drops1 = await Promise.all([net.counters(subs[1].link), net.counters(subs[2].link), net.counters(pub.link)]);
    const d = before.map((b, i) => delta(b, after[i]));
    // The top variant: the publisher's widest layer, the smaller of its width at the
    // window's ends (a resolution change mid-window reaches viewers a frame later).
    const top = Math.min(before[0].out.frameWidth, after[0].out.frameWidth);
    rows.push({ phase: ph, pub: d[0], subs: d.slice(1), top, drops: drops0.map((c0, i) => dropDelta(c0, drops1[i])) });
    console.error(`bench/impaired: ${ph.name}: ${d.slice(1).map((x, i) => `${subs[i].name} ${fps(x).toFixed(1)} fps`).join(", ")}`);
  }
  report(rows);
} finally {
  await browser.close();
  await net.stop();
  await srv.stop();
}

function fps(d) {
  return d.in.framesDecoded / d.seconds;
}

function dropDelta(a, b) {
  return {
    down: b.nftDrops.down - a.nftDrops.down,
    up: b.nftDrops.up - a.nftDrops.up,
    queue: b.relayed.queueDrops - a.relayed.queueDrops,
  };
}

function report(rows) {
  const f1 = (x) => x.toFixed(1);
  const lines = [
    "# Impaired network: NACK/RTX, freezes and variants (bench/impaired.mjs)",
    "",
    `${new Date().toISOString()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), ` +
      `${seconds} s per phase after ${SETTLE_MS / 1000} s to settle; everything on 127.0.0.1 in a network namespace of its own.`,
    `One Chromium publisher (fake camera, ${simulcast ? "simulcast h/m/l" : "one layer, no simulcast"}, relayed, unimpaired unless the phase says so) and three Chromium viewers:`,
    "`clean` (direct), `lossy` (100 ms RTT, ±5 ms jitter, the phase's loss each way by nftables) and",
    "`capped` (300 kbit/s toward it, 250 ms queue). Counters are the browsers' getStats over the window:",
    "fps = framesDecoded/s; freezes = freezeCount (totalFreezesDuration); NACKs and PLIs sent by the viewer;",
    "RTX = retransmittedPacketsReceived; variant = frameWidth×frameHeight received; top = the publisher's widest layer.",
    "",
    "| phase | viewer | path | fps | % of clean | freezes (s) | NACKs | RTX | PLIs | lost | kbit/s | variant | top variant | dropped (nft down/up, queue) |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
  ];
  for (const r of rows) {
    const clean = fps(r.subs[0]);
    r.subs.forEach((d, i) => {
      const s = subs[i];
      const drops = i === 0 ? "" : `${r.drops[i - 1].down}/${r.drops[i - 1].up}, ${r.drops[i - 1].queue}`;
      lines.push(
        `| ${r.phase.name} | ${s.name} | ${s.path} | ${f1(fps(d))} | ${Math.round((100 * fps(d)) / clean)} | ` +
          `${d.in.freezeCount} (${f1(d.in.totalFreezesDuration)}) | ${d.in.nackCount} | ${d.in.retransmittedPacketsReceived} | ` +
          `${d.in.pliCount} | ${d.in.packetsLost} | ${Math.round((d.in.bytesReceived * 8) / d.seconds / 1000)} | ` +
          `${d.in.frameWidth}×${d.in.frameHeight} | ${d.in.frameWidth >= r.top ? "yes" : "no"} | ${drops} |`,
      );
    });
  }
  lines.push(
    "",
    "Publisher (what the server asked of it and what it sent):",
    "",
    "| phase | sent fps | NACKs received | RTX sent | PLIs received | kbit/s | layers (rid: width) | dropped on its path (nft down/up) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  );
  for (const r of rows) {
    const p = r.pub;
    const layers = p.out.layers.map((l) => `${l.rid ?? "-"}: ${l.frameWidth}`).join(", ");
    lines.push(
      `| ${r.phase.name} | ${f1(p.out.framesEncodedMax / p.seconds)} | ${p.out.nackCount} | ${p.out.retransmittedPacketsSent} | ` +
        `${p.out.pliCount} | ${Math.round((p.out.bytesSent * 8) / p.seconds / 1000)} | ${layers} | ${r.drops[2].down}/${r.drops[2].up} |`,
    );
  }
  const at5 = rows.find((r) => r.phase.loss === 5);
  const keep = (fps(at5.subs[1]) / fps(at5.subs[0])) * 100;
  // The capped viewer must not drag the others down: the clean one keeps the
  // top layer (the lossy one may be moved down by its own loss).
  const topKept = rows.every((r) => r.subs[0].in.frameWidth >= r.top);
  lines.push(
    "",
    `At 5% loss the lossy viewer decodes ${Math.round(keep)}% of the clean viewer's frame rate (goal: at least 90%).`,
    `While one viewer is capped, the clean viewer ${topKept ? "keeps" : "does NOT always keep"} the top variant.`,
    "",
  );
  const md = lines.join("\n");
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}/impaired-latest.md`, md);
  // gnuplot: loss %, then fps of clean, lossy, capped (loss phases only).
  const dat = ["# loss_percent clean_fps lossy_fps capped_fps"];
  for (const r of rows.filter((x) => x.phase.loss !== null)) dat.push([r.phase.loss, ...r.subs.map((d) => f1(fps(d)))].join(" "));
  writeFileSync(`${RESULTS}/impaired-latest.dat`, dat.join("\n") + "\n");
  process.stdout.write(md);
}
