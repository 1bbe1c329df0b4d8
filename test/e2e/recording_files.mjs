// Reading what a room recording wrote (recording.dir): the manifest of a
// room's one recording and ffprobe's view of each file.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

// ffprobe's view of a file: codec, decoded frames, container duration (NaN if none).
export function probe(file) {
  const out = execFileSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries",
    "stream=codec_type,codec_name,nb_read_frames:format=duration", "-of", "json", file], { encoding: "utf8" });
  const j = JSON.parse(out);
  const s = j.streams[0] ?? {};
  return { type: s.codec_type, codec: s.codec_name, frames: Number(s.nb_read_frames), duration: Number(j.format?.duration) };
}

// The widest decoded frame of a video file. A simulcast camera recorded from
// its top layer has frames as wide as that layer was when recording stopped,
// wider than the layer below it then (under CPU load a browser makes every
// layer smaller over time, so sizes are compared with what it sends at the end).
export function widestFrame(file) {
  const out = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=width",
    "-of", "csv=p=0", file], { encoding: "utf8" });
  return Math.max(0, ...out.split("\n").map(Number).filter((w) => w > 0));
}

// The manifest of `room`'s recording under `recDir` (with its `dir`), or null
// until there is exactly one.
export function manifest(recDir, room) {
  const dirs = existsSync(recDir) ? readdirSync(recDir).filter((d) => d.startsWith(`${room}-`)) : [];
  if (dirs.length !== 1) return null;
  const file = path.join(recDir, dirs[0], "manifest.json");
  return existsSync(file) ? { dir: path.join(recDir, dirs[0]), ...JSON.parse(readFileSync(file, "utf8")) } : null;
}
