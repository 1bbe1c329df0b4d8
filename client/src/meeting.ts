// The room page's meeting controls around the media: the grid that fills the
// window, keyboard shortcuts (m: mic, v: camera, c: chat, s: share screen,
// l: speaker view), the invite link, the device
// panel (camera and microphone switched with replaceTrack, speaker with setSinkId).
import { canPickSpeaker, fillSelect, openTrack, permissionMessage, trackDevice, type TrackKind } from "./devices";
import { fitGrid } from "./layout";
import type { InboundStat } from "./media";

export type MeetingHooks = {
  room: string;
  // The local camera and microphone stream, once asked for.
  localStream: () => Promise<MediaStream | null> | null;
  // Puts `fresh` in place of the local track of its kind (no renegotiation).
  replaceLocalTrack: (fresh: MediaStreamTrack) => Promise<void>;
  toast: (text: string) => void;
  // Inbound stats per remote track, with the peer that sends it.
  inboundStats: () => Promise<(InboundStat & { peerId: string | null })[]>;
  // The simulcast layer (h, m, l) received of a peer's camera, if it has layers.
  layerOf: (peerId: string) => string | undefined;
};

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// The room's link to share: no name, no token, no personal options.
export const inviteLink = (room: string) => `${location.origin}/room/${encodeURIComponent(room)}`;

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Plain http on a LAN has no clipboard API: the old way.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

export function setupMeeting(h: MeetingHooks): void {
  const grid = byId("grid");
  fitGrid(grid);

  // Keyboard shortcuts, not while typing and not with modifiers.
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || document.body.classList.contains("in-lobby")) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName))) return;
    const keys: Record<string, string> = { m: "mute-audio", v: "mute-video", c: "chat-toggle", s: "share-screen", l: "speaker-view" };
    const id = keys[e.key.toLowerCase()];
    const b = id ? byId<HTMLButtonElement>(id) : null;
    if (b && !b.disabled && !b.hidden) {
      e.preventDefault();
      b.click();
    }
  });

  byId("copy-link").onclick = async () => {
    const link = inviteLink(h.room);
    h.toast((await copyText(link)) ? `Link copied: ${link}` : `Share this link: ${link}`);
  };

  // Devices panel.
  const panel = byId("devices");
  const toggle = byId<HTMLButtonElement>("devices-toggle");
  const selects: Record<TrackKind, HTMLSelectElement> = { video: byId("camera-select"), audio: byId("mic-select") };
  const speaker = byId<HTMLSelectElement>("speaker-select");
  byId("speaker-row").hidden = !canPickSpeaker();
  let sinkId = "";

  const refresh = async () => {
    const stream = await h.localStream();
    await fillSelect(selects.video, "videoinput", trackDevice(stream?.getVideoTracks()[0]));
    await fillSelect(selects.audio, "audioinput", trackDevice(stream?.getAudioTracks()[0]));
    if (canPickSpeaker()) await fillSelect(speaker, "audiooutput", sinkId);
  };
  toggle.onclick = () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) void refresh();
  };
  navigator.mediaDevices?.addEventListener?.("devicechange", () => {
    if (!panel.hidden) void refresh();
  });

  for (const kind of ["video", "audio"] as const) {
    selects[kind].onchange = async () => {
      const stream = await h.localStream();
      if (!stream?.getTracks().some((t) => t.kind === kind)) {
        h.toast(`You joined without a ${kind === "video" ? "camera" : "microphone"}: rejoin to use one.`);
        return;
      }
      try {
        await h.replaceLocalTrack(await openTrack(kind, selects[kind].value));
      } catch (e) {
        h.toast(permissionMessage(e));
      }
    };
  }

  // The speaker: every remote video element (they carry the sound), new ones too.
  type Sinkable = HTMLMediaElement & { setSinkId(id: string): Promise<void> };
  const applySink = () => {
    if (!sinkId) return;
    for (const v of grid.querySelectorAll<HTMLVideoElement>("video[data-remote]"))
      void (v as Sinkable).setSinkId(sinkId).catch(() => undefined);
  };
  speaker.onchange = () => {
    sinkId = speaker.value;
    applySink();
  };
  new MutationObserver(applySink).observe(grid, { childList: true });

  watchQuality(grid, h.inboundStats, h.layerOf);
}

export type Quality = "good" | "fair" | "poor";

// Network quality of one peer's media from what arrived since the last look:
// packet loss, round-trip time and video frame rate.
export function quality(loss: number, rtt: number | undefined, fps: number | undefined): Quality {
  if (loss > 0.08 || (rtt ?? 0) > 0.6 || (fps !== undefined && fps < 5)) return "poor";
  if (loss > 0.02 || (rtt ?? 0) > 0.3 || (fps !== undefined && fps < 12)) return "fair";
  return "good";
}

const LAYER_NAMES: Record<string, string> = { h: "high", m: "medium", l: "low" };

// A dot on each remote tile, from getStats every 2 seconds, and a badge while
// the camera comes in one of its lower simulcast layers (asked for, or the
// server's choice for this connection or the sender's).
function watchQuality(grid: HTMLElement, read: MeetingHooks["inboundStats"], layerOf: MeetingHooks["layerOf"]): void {
  const last = new Map<string, { lost: number; received: number }>();
  const tick = async () => {
    const all = await read().catch(() => []);
    const byPeer = new Map<string, typeof all>();
    for (const s of all) if (s.peerId) byPeer.set(s.peerId, [...(byPeer.get(s.peerId) ?? []), s]);
    for (const tile of grid.querySelectorAll<HTMLElement>(".tile:not(.self)")) {
      const peer = tile.dataset.peerId ?? "";
      const tracks = byPeer.get(peer);
      if (!tracks) continue;
      const lost = tracks.reduce((a, t) => a + (t.packetsLost ?? 0), 0);
      const received = tracks.reduce((a, t) => a + t.packetsReceived, 0);
      const prev = last.get(peer) ?? { lost: 0, received: 0 };
      last.set(peer, { lost, received });
      const dLost = Math.max(0, lost - prev.lost);
      const dReceived = Math.max(0, received - prev.received);
      const loss = dLost + dReceived > 0 ? dLost / (dLost + dReceived) : 0;
      const video = tracks.find((t) => t.kind === "video" && t.framesPerSecond !== undefined);
      const rtt = tracks.find((t) => t.rtt !== undefined)?.rtt;
      const q = quality(loss, rtt, video?.framesPerSecond);
      let dot = tile.querySelector<HTMLElement>(".quality");
      if (!dot) {
        dot = document.createElement("span");
        dot.className = "quality";
        dot.setAttribute("role", "img");
        tile.append(dot);
      }
      const text = `network ${q}: ${(loss * 100).toFixed(1)}% loss` +
        (rtt !== undefined ? `, ${Math.round(rtt * 1000)} ms` : "") +
        (video?.framesPerSecond !== undefined ? `, ${Math.round(video.framesPerSecond)} fps` : "");
      const layer = layerOf(peer);
      const fullText = text + (layer ? `; video: ${LAYER_NAMES[layer] ?? layer} quality layer` : "");
      dot.dataset.quality = q;
      dot.title = fullText;
      dot.setAttribute("aria-label", fullText);
      showLayer(tile, layer);
    }
  };
  setInterval(() => void tick(), 2000);
}

// "SD" / "LD" on a tile whose camera comes in the m or l layer; nothing for h.
function showLayer(tile: HTMLElement, layer: string | undefined): void {
  tile.dataset.layer = layer ?? "";
  let badge = tile.querySelector<HTMLElement>(".layer");
  if (!badge) {
    badge = document.createElement("span");
    badge.className = "layer";
    badge.setAttribute("aria-hidden", "true"); // the dot's label says it
    tile.append(badge);
  }
  badge.textContent = layer === "m" ? "SD" : layer === "l" ? "LD" : "";
  badge.hidden = badge.textContent === "";
}
