// The pre-join screen of `/room/ROOM` without `display_name`: a live preview,
// the name (remembered), camera and microphone pickers, a level meter and the
// "join muted" toggles. Nothing is sent to the server before Join.
import { fillSelect, LevelMeter, openTrack, permissionMessage, trackDevice, type TrackKind } from "./devices";

export type LobbyChoice = { name: string; stream: MediaStream | null; audioMuted: boolean; videoMuted: boolean };

const NAME_KEY = "videoroom.displayName";
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function rememberedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? "";
  } catch {
    return "";
  }
}

export function runLobby(room: string, fixedName?: string): Promise<LobbyChoice> {
  const lobby = byId("lobby");
  const form = byId<HTMLFormElement>("lobby-form");
  const nameInput = byId<HTMLInputElement>("lobby-name");
  const preview = byId<HTMLVideoElement>("preview");
  const previewOff = byId<HTMLElement>("preview-off");
  const error = byId<HTMLElement>("lobby-error");
  const selects: Record<TrackKind, HTMLSelectElement> = { video: byId("lobby-camera"), audio: byId("lobby-mic") };
  const muted: Record<TrackKind, HTMLInputElement> = { video: byId("join-muted-video"), audio: byId("join-muted-audio") };
  const meter = new LevelMeter(byId("mic-level"));

  byId("lobby-title").textContent = `Ready to join ${room}?`;
  document.body.classList.add("in-lobby");
  lobby.hidden = false;
  nameInput.value = fixedName ?? rememberedName();
  nameInput.readOnly = !!fixedName;

  let stream: MediaStream | null = null;
  const showPreview = () => {
    const video = stream?.getVideoTracks()[0];
    const on = !!video && !muted.video.checked;
    preview.srcObject = stream;
    previewOff.hidden = on;
    if (!video) previewOff.textContent = stream ? "No camera" : "Camera unavailable";
    else previewOff.textContent = "Your camera will be off";
    preview.style.visibility = on ? "visible" : "hidden";
    void preview.play().catch(() => undefined);
  };
  const fillPickers = async () => {
    await fillSelect(selects.video, "videoinput", trackDevice(stream?.getVideoTracks()[0]));
    await fillSelect(selects.audio, "audioinput", trackDevice(stream?.getAudioTracks()[0]));
  };

  const opened = (async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (e) {
      try {
        // A missing camera still leaves the microphone.
        if ((e as Error).name !== "NotAllowedError") stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch {
        /* the message below */
      }
      if (!stream) {
        error.textContent = permissionMessage(e);
        error.hidden = false;
      }
    }
    showPreview();
    meter.watch(stream?.getAudioTracks()[0]);
    await fillPickers();
  })();
  navigator.mediaDevices?.addEventListener?.("devicechange", () => void fillPickers());

  for (const kind of ["video", "audio"] as const) {
    selects[kind].onchange = async () => {
      await opened;
      try {
        const fresh = await openTrack(kind, selects[kind].value);
        stream ??= new MediaStream();
        for (const old of stream.getTracks().filter((t) => t.kind === kind)) {
          old.stop();
          stream.removeTrack(old);
        }
        stream.addTrack(fresh);
        if (kind === "audio") meter.watch(fresh);
        showPreview();
      } catch (e) {
        error.textContent = permissionMessage(e);
        error.hidden = false;
      }
    };
  }
  muted.video.onchange = showPreview;

  return new Promise((resolve) => {
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const name = nameInput.value.trim();
      if (!name) {
        nameInput.focus();
        return;
      }
      try {
        if (!fixedName) localStorage.setItem(NAME_KEY, name);
      } catch {
        /* private mode: not remembered */
      }
      await opened;
      meter.stop();
      preview.srcObject = null;
      lobby.hidden = true;
      document.body.classList.remove("in-lobby");
      resolve({ name, stream, audioMuted: muted.audio.checked, videoMuted: muted.video.checked });
    };
    nameInput.focus();
  });
}
