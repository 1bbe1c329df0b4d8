// TLS served by the node (http.tls-cert, http.tls-key): certificates made by
// scripts/dev-cert in a temp dir; clients trust that certificate as their CA.
// HTTPS serves / and /healthz, the official phoenix client joins over WSS, plain
// HTTP on the port gets a 400, SIGHUP with a new certificate reaches new
// connections while an open WSS socket keeps working, and a missing or bad file
// stops start-up (exit code 2) with its name.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { startServer, guard, httpsGet, ROOT, BIN, freePort } from "./lib/server.mjs";
import { Peer, RawWs, roomTopic, closeAll } from "./lib/client.mjs";

let dir; // temp dir: a/ and b/ (two dev-cert pairs), live/ (what the server loads)
let srv;
let certA, certB; // PEM text

function devCert(sub) {
  const out = execFileSync(path.join(ROOT, "scripts", "dev-cert"), [path.join(dir, sub)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  assert.match(out, /--http\.tls-cert=\S+cert\.pem --http\.tls-key=\S+key\.pem/);
  return readFileSync(path.join(dir, sub, "cert.pem"), "utf8");
}

function fingerprint(pem) {
  return new crypto.X509Certificate(pem).fingerprint256;
}

// Runs the binary and waits for its exit: { code, stderr }.
function runToExit(args, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (c) => (stderr += c));
    p.stdout.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`still running after ${timeoutMs} ms: ${args.join(" ")}\n${stderr}`));
    }, timeoutMs);
    p.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}


before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "vr-tls-test-"));
  certA = devCert("a");
  certB = devCert("b");
  const live = path.join(dir, "live");
  execFileSync("mkdir", ["-p", live]);
  copyFileSync(path.join(dir, "a", "cert.pem"), path.join(live, "cert.pem"));
  copyFileSync(path.join(dir, "a", "key.pem"), path.join(live, "key.pem"));
  srv = await startServer(
    {},
    { tls: { ca: [certA, certB], cert: path.join(live, "cert.pem"), key: path.join(live, "key.pem") } },
  );
});

after(async () => {
  await closeAll();
  if (srv && !srv.exited) await srv.stop(3000);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const T = (name, fn) => test(name, guard(() => [srv], fn));

T("dev-cert names localhost, 127.0.0.1 and this host", () => {
  const x = new crypto.X509Certificate(certA);
  assert.match(x.subjectAltName, /DNS:localhost/);
  assert.match(x.subjectAltName, /IP Address:127\.0\.0\.1/);
  assert.ok(x.subjectAltName.includes(`DNS:${os.hostname()}`), x.subjectAltName);
  assert.ok(x.checkHost("localhost"));
  assert.ok(x.checkIP("127.0.0.1"));
});

T("HTTPS serves / and /healthz; the log says https", async () => {
  const home = await srv.get(`${srv.httpUrl}/`);
  assert.equal(home.status, 200);
  assert.match(home.body, /<html/i);
  const health = await srv.get(`${srv.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(health.body, "ok\n");
  assert.equal(health.fingerprint, fingerprint(certA));
  // The certificate names localhost too.
  const byName = await httpsGet(`https://localhost:${srv.port}/healthz`, certA);
  assert.equal(byName.status, 200);
  assert.match(srv.log(), /listening on https:\/\/127\.0\.0\.1:/);
});

T("TLS 1.2 and 1.3 are accepted, TLS 1.1 is not", async () => {
  const connect = (opts) =>
    new Promise((resolve) => {
      const s = tls.connect({ host: "127.0.0.1", port: srv.port, ca: certA, servername: "localhost", ...opts });
      s.once("secureConnect", () => {
        const v = s.getProtocol();
        s.end();
        resolve(v);
      });
      s.once("error", (e) => resolve(`error: ${e.code || e.message}`));
    });
  assert.equal(await connect({ minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }), "TLSv1.2");
  assert.equal(await connect({ minVersion: "TLSv1.3" }), "TLSv1.3");
  const old = await connect({ minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT:@SECLEVEL=0" });
  assert.match(old, /^error/);
});

T("plain HTTP on the TLS port gets a short 400 that says to use https", async () => {
  const text = await new Promise((resolve, reject) => {
    const s = net.connect(srv.port, "127.0.0.1", () =>
      s.write(`GET /room/x HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`),
    );
    let got = "";
    s.on("data", (c) => (got += c));
    s.on("end", () => resolve(got));
    s.on("error", reject);
    s.setTimeout(5000, () => reject(new Error(`no answer, got: ${got}`)));
  });
  assert.match(text, /^HTTP\/1\.1 400 /);
  assert.match(text, /[Cc]onnection: close/);
  assert.ok(text.includes(`use https://127.0.0.1:${srv.port}/room/x`), text);
  // fetch over plain http:// sees it too, and the server goes on serving HTTPS.
  const r = await fetch(`http://127.0.0.1:${srv.port}/healthz`, { signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 400);
  assert.equal((await srv.get(`${srv.httpUrl}/healthz`)).status, 200);
  const m = await srv.metrics();
  assert.ok(m.get("vr_refused_total", { reason: "not_tls" }) >= 2);
});

T("the phoenix client joins a room over WSS", async () => {
  const a = await Peer.connect(srv, "alice");
  const b = await Peer.connect(srv, "bob");
  const topic = roomTopic("tls");
  const ra = await a.joinOk(topic, { displayName: "Alice" });
  const rb = await b.joinOk(topic, { displayName: "Bob" });
  assert.equal(ra.response.role, "publisher");
  assert.equal(rb.response.ownerId, ra.response.peerId);
  assert.deepEqual((await a.heartbeat())[4], { status: "ok", response: {} });
  assert.equal(a.ws.url.startsWith("wss://"), true);
  await a.close();
  await b.close();
});

T("SIGHUP: new connections get the new certificate, an open WSS socket keeps working", async () => {
  const open = await Peer.connect(srv, "long-lived");
  const topic = roomTopic("hup");
  await open.joinOk(topic, { displayName: "Long" });
  assert.equal(open.ws._socket.getPeerCertificate().fingerprint256, fingerprint(certA));

  const live = path.join(dir, "live");
  copyFileSync(path.join(dir, "b", "cert.pem"), path.join(live, "cert.pem"));
  copyFileSync(path.join(dir, "b", "key.pem"), path.join(live, "key.pem"));
  srv.proc.kill("SIGHUP");
  let seen;
  for (let i = 0; i < 50; i++) {
    seen = (await httpsGet(`${srv.httpUrl}/healthz`, [certA, certB])).fingerprint;
    if (seen === fingerprint(certB)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(seen, fingerprint(certB), "a new connection sees the new certificate");
  assert.match(srv.log(), /SIGHUP: TLS certificate reloaded/);
  // Only the new certificate's CA is needed now.
  assert.equal((await httpsGet(`${srv.httpUrl}/healthz`, certB)).status, 200);

  // The socket opened before the reload is still up, on the old certificate.
  assert.deepEqual((await open.heartbeat())[4], { status: "ok", response: {} });
  const other = await Peer.connect(srv, "after-reload");
  const r = await other.joinOk(topic, { displayName: "Later" });
  assert.equal(r.response.role, "publisher");
  assert.equal(other.ws._socket.getPeerCertificate().fingerprint256, fingerprint(certB));
  assert.equal(open.ws._socket.getPeerCertificate().fingerprint256, fingerprint(certA));
  assert.equal(open.closeEvent, null);

  // A broken key on the next SIGHUP: logged, the current certificate stays.
  writeFileSync(path.join(live, "key.pem"), "not a key\n");
  srv.proc.kill("SIGHUP");
  for (let i = 0; i < 50 && !/TLS reload failed/.test(srv.log()); i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.match(srv.log(), /TLS reload failed, keeping the old certificate: '[^']*key\.pem'/);
  const still = await httpsGet(`${srv.httpUrl}/healthz`, certB);
  assert.equal(still.status, 200);
  assert.equal(still.fingerprint, fingerprint(certB));
  assert.deepEqual((await open.heartbeat())[4], { status: "ok", response: {} });
  await open.close();
  await other.close();
});

test("a missing or bad certificate or key stops start-up with exit code 2, naming the file", async () => {
  const port = await freePort();
  const base = [`--config-file=config/test.conf`, `--http.port=${port}`];
  const missing = path.join(dir, "nope", "cert.pem");
  const bad = path.join(dir, "bad.pem");
  writeFileSync(bad, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
  const cases = [
    [[`--http.tls-cert=${missing}`, `--http.tls-key=${path.join(dir, "a", "key.pem")}`], missing],
    [[`--http.tls-cert=${bad}`, `--http.tls-key=${path.join(dir, "a", "key.pem")}`], bad],
    [[`--http.tls-cert=${path.join(dir, "a", "cert.pem")}`, `--http.tls-key=${bad}`], bad],
    // the key of another certificate
    [[`--http.tls-cert=${path.join(dir, "a", "cert.pem")}`, `--http.tls-key=${path.join(dir, "b", "key.pem")}`],
      path.join(dir, "b", "key.pem")],
  ];
  for (const [args, file] of cases) {
    const { code, stderr } = await runToExit([...base, ...args]);
    assert.equal(code, 2, stderr);
    assert.ok(stderr.includes(`'${file}'`), `the message names ${file}: ${stderr}`);
    assert.doesNotMatch(stderr, /listening on/);
  }
  // One without the other is a configuration error.
  const alone = await runToExit([...base, `--http.tls-cert=${path.join(dir, "a", "cert.pem")}`]);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /http\.tls-cert needs http\.tls-key/);
  const keyAlone = await runToExit([...base, `--http.tls-key=${path.join(dir, "a", "key.pem")}`]);
  assert.equal(keyAlone.code, 2);
  assert.match(keyAlone.stderr, /http\.tls-key needs http\.tls-cert/);
});

T("a raw WSS client with the CA works; one without it is refused by its own TLS check", async () => {
  const raw = await RawWs.connect(srv.wsUrl, "raw-wss", { wsOptions: { ca: certB } });
  const hb = await raw.heartbeat();
  assert.deepEqual(hb[4], { status: "ok", response: {} });
  await raw.close();
  await assert.rejects(RawWs.connect(srv.wsUrl, "untrusting"), /self[- ]signed|unable to verify|certificate/i);
});
