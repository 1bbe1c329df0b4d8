// Chromium whose fake microphone plays tone bursts and silences from a WAV
// file (Chromium loops it): speech the server's voice activity detector sees
// for sure, unlike the default fake microphone's short beeps.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "./browser.mjs";

const RATE = 48000;

// 16-bit mono PCM WAV: `cycles` of a 1.5 s warbling tone (not a steady one,
// which noise suppression could learn away) then 2.5 s of digital silence.
export function burstsWav(cycles) {
  const samples = [];
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < 1.5 * RATE; i++) {
      const t = i / RATE;
      const f = 300 + 200 * Math.sin(2 * Math.PI * 3 * t);
      samples.push(0.4 * Math.sin(2 * Math.PI * f * t) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 5 * t)));
    }
    for (let i = 0; i < 2.5 * RATE; i++) samples.push(0);
  }
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(Math.round(s * 32767), i * 2));
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVE", 8);
  h.write("fmt ", 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

// Returns { browser, close }: close() ends the browser and removes the file.
export async function launchWithToneMic(cycles = 2) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "vr-tone-"));
  const wav = path.join(dir, "bursts.wav");
  writeFileSync(wav, burstsWav(cycles));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-audio-capture=${wav}`],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
