// Deployed as issue 8 asks: two Chromium pages over HTTPS (a dev-cert
// certificate), each joining with a signed token (auth.secret, scripts/token),
// decode each other's video and hear each other; a page with a token for
// another room is refused and joins nothing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { BIN, ROOT, guard, startServer } from "../integration/lib/server.mjs";
import { launch, peerId, received, stats, waitStats } from "./browser.mjs";

const SECRET = "e2e-https-token-secret-0123456789";
let dir, srv, browser;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "vr-https-"));
  execFileSync(path.join(ROOT, "scripts", "dev-cert"), [dir], { stdio: "ignore" });
  const tls = { ca: readFileSync(path.join(dir, "cert.pem"), "utf8"),
                cert: path.join(dir, "cert.pem"), key: path.join(dir, "key.pem") };
  srv = await startServer({ "auth.secret": SECRET }, { tls });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  const { code } = await srv.stop();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(code, 0, "the server exits cleanly");
});

function mint(room, name) {
  return execFileSync(path.join(ROOT, "scripts", "token"), [room, name, "--ttl", "600", `--auth.secret=${SECRET}`],
    { cwd: ROOT, env: { ...process.env, VIDEOROOM_BIN: BIN } }).toString().trim();
}

// The room page over https (the certificate is self-signed: the context accepts it).
async function open(room, name, token) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  await page.goto(`${srv.httpUrl}/room/${room}?display_name=${encodeURIComponent(name)}&token=${token}`);
  return page;
}

test("two pages over HTTPS with tokens decode each other; a token for another room is refused", guard(() => [srv], async () => {
  assert.ok(srv.httpUrl.startsWith("https://"));
  const a = await open("secure", "Ann", mint("secure", "Ann"));
  const b = await open("secure", "Bob", mint("secure", "Bob"));
  for (const p of [a, b])
    await p.waitForFunction(() => window.videoroom?.state === "joined", null, { timeout: 15000 });
  assert.equal(await a.evaluate(() => window.isSecureContext), true);
  const [ia, ib] = await Promise.all([peerId(a), peerId(b)]);
  await waitStats(a, (s) => received(s, ib, "video", "framesDecoded") > 10 &&
    received(s, ib, "audio", "packetsReceived") > 20, "Ann decoding Bob");
  await waitStats(b, (s) => received(s, ia, "video", "framesDecoded") > 10 &&
    received(s, ia, "audio", "packetsReceived") > 20, "Bob decoding Ann");

  // A token minted for another room: the join is refused, nothing is received.
  const c = await open("secure", "Cid", mint("elsewhere", "Cid"));
  await new Promise((r) => setTimeout(r, 3000));
  assert.notEqual(await c.evaluate(() => window.videoroom?.state), "joined");
  const m = await srv.metrics();
  assert.ok(m.get("vr_refused_total", { reason: "unauthorized" }) >= 1, "the refusal is counted");
  const s = await stats(a);
  assert.ok(s.inbound.every((t) => t.peerId === ib), "Ann receives only Bob");
  for (const p of [a, b, c]) await p.context().close();
}));
