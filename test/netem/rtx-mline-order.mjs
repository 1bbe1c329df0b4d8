// Checks the fixed issue of README "Impaired networks": viewers that join
// right after the publisher, before its media reaches the server, get video on
// the subscribe connection's first m-line about one time in four, then audio in
// a re-offer, which made Chromium drop all the server's RTX (new RTX SSRC in
// every webrtcbin offer; now pinned). Prints, per run, each viewer's m-line
// order, NACKs sent, retransmissions Chromium counted, and the RTP it was sent
// per "payloadType/ssrc" (RTX is payload type 97).
// Usage: test/netem/in-netns node test/netem/rtx-mline-order.mjs [runs = 6]
import { startServer } from "../integration/lib/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { startNetem } from "./netem.mjs";
import { openPage, videoStats } from "./pages.mjs";

const runs = Number(process.argv[2] ?? 6);
const net = await startNetem();
const browser = await launch();
try {
  for (let run = 0; run < runs; run++) {
    const srv = await startServer();
    const room = `rtx_order_${run}`;
    const pub = await openPage(browser, srv.httpUrl, room, "pub");
    const viewers = [];
    for (const name of ["v0", "v1"])
      viewers.push(await openPage(browser, srv.httpUrl, room, name, { query: "&role=viewer", net, profile: { loss: 5 } }));
    await new Promise((r) => setTimeout(r, 8000));
    for (const v of viewers) {
      const s = await videoStats(v.page);
      const sdp = await v.page.evaluate(() => window.__vrPcs[0]?.remoteDescription?.sdp ?? "");
      const { relayed } = await net.counters(v.link);
      console.log(
        `run ${run} ${v.name}: ${(sdp.match(/a=mid:\S+/g) ?? []).join(" ")}; nack ${s.in.nackCount}, ` +
          `rtx counted ${s.in.retransmittedPacketsReceived}; sent ${JSON.stringify(relayed.rtpDown)}`,
      );
    }
    for (const p of [pub, ...viewers]) await p.page.context().close();
    await srv.stop();
  }
} finally {
  await browser.close();
  await net.stop();
}
