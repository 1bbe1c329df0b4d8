// Bundles the browser client into client/dist (run from the repo root by the
// scripts as `npm run build:client`). Type-checks first; quiet on success.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true }); // no stale chunks
mkdirSync(dist, { recursive: true });

try {
  execFileSync(join(here, "..", "node_modules", ".bin", "tsc"), ["-p", here, "--noEmit"], {
    stdio: "inherit",
  });
} catch {
  process.exit(1);
}

await build({
  entryPoints: { home: join(here, "src/home.ts"), room: join(here, "src/room.ts") },
  outdir: dist,
  bundle: true,
  minify: true,
  sourcemap: true,
  target: "es2020",
  format: "esm",
  splitting: true, // hls.js becomes a chunk loaded only by broadcast viewers
  chunkNames: "[name]-[hash]",
  logLevel: "error",
});

for (const f of readdirSync(join(here, "static"))) cpSync(join(here, "static", f), join(dist, f));
